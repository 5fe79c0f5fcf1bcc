package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

var urlPattern = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)

// start runs the binary's run() with env and returns its URL and a stop
// function that cancels and waits for a clean return.
func start(t *testing.T, env map[string]string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, pw)
		pw.Close()
	}()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if u := urlPattern.FindString(sc.Text()); u != "" {
				select {
				case urls <- u:
				default:
				}
			}
		}
	}()
	select {
	case u := <-urls:
		return u, func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run returned %v", err)
				}
			case <-time.After(20 * time.Second):
				var buf strings.Builder
				_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
				t.Errorf("run did not stop within 20 s:\n%s", buf.String())
			}
		}
	case err := <-done:
		cancel()
		t.Fatalf("run stopped before serving: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("no URL printed within 60 s")
	}
	return "", nil
}

func login(t *testing.T, base, email, password string) int {
	t.Helper()
	res, err := http.Post(base+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"email":"`+email+`","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	return res.StatusCode
}

// TestRunDemoRestart: the embedded default starts with the demo data, is
// ready, stops cleanly, and what it stored survives a restart.
func TestRunDemoRestart(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"ECPTS_ADDR": "127.0.0.1:0", "ECPTS_DATA_DIR": dir, "ECPTS_DEMO": "1", "ECPTS_LOG_LEVEL": "warn"}
	base, stop := start(t, env)
	res, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready struct{ Status string }
	_ = json.NewDecoder(res.Body).Decode(&ready)
	res.Body.Close()
	if res.StatusCode != 200 || ready.Status != "ok" {
		t.Fatalf("readyz: %d %+v", res.StatusCode, ready)
	}
	if got := login(t, base, "coordination@loire-nord.demo", "demo-ecpts"); got != 200 {
		t.Fatalf("demo login: %d", got)
	}
	// The demo conversations were posted through core: messages, a thread,
	// an encrypted direct conversation.
	c := newClient(t, base, "coordination@loire-nord.demo")
	var page struct {
		Messages []struct {
			ReplyCount int    `json:"reply_count"`
			ThreadID   string `json:"thread_id"`
		}
	}
	c.call("GET", "/api/v1/channels/"+c.channelID("général")+"/messages", "", 200, &page)
	threads := 0
	for _, m := range page.Messages {
		if m.ReplyCount > 0 {
			threads++
		}
	}
	if len(page.Messages) < 5 || threads == 0 {
		t.Fatalf("demo messages in général: %+v", page.Messages)
	}
	k := newClient(t, base, "kine@loire-nord.demo")
	var convs struct{ Conversations []struct{ ID, Name string } }
	k.call("GET", "/api/v1/conversations", "", 200, &convs)
	if len(convs.Conversations) != 1 || convs.Conversations[0].Name != "Julien Perrin" {
		t.Fatalf("demo conversation: %+v", convs)
	}

	// `ecpts healthcheck` (compose's container check) sees it ready.
	port := base[strings.LastIndex(base, ":")+1:]
	if err := run(context.Background(), []string{"healthcheck"}, func(k string) string {
		if k == "ECPTS_ADDR" {
			return "0.0.0.0:" + port
		}
		return ""
	}, io.Discard); err != nil {
		t.Fatalf("healthcheck: %v", err)
	}
	stop()
	if err := run(context.Background(), []string{"healthcheck"}, func(k string) string {
		if k == "ECPTS_ADDR" {
			return "127.0.0.1:" + port
		}
		return ""
	}, io.Discard); err == nil {
		t.Fatal("healthcheck of a stopped server must fail")
	}

	// Second start on the same directory, demo flag off: same accounts.
	delete(env, "ECPTS_DEMO")
	base, stop = start(t, env)
	defer stop()
	if got := login(t, base, "pharmacien@val-de-cher.demo", "demo-ecpts"); got != 200 {
		t.Fatalf("login after restart: %d", got)
	}
}

func TestRunStartupErrors(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"ECPTS_MONGO_URL": "http://nope"}, "ECPTS_MONGO_URL"},
		{map[string]string{"ECPTS_ADDR": "pas-une-adresse"}, "ECPTS_ADDR"},
		{map[string]string{"ECPTS_MONGO_URL": "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500&connectTimeoutMS=500"}, "ECPTS_MONGO_URL: cannot connect"},
		{map[string]string{"ECPTS_REDIS_URL": "redis://127.0.0.1:1/0"}, "ECPTS_REDIS_URL: cannot connect"},
	}
	for _, c := range cases {
		c.env["ECPTS_DATA_DIR"] = t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		err := run(ctx, nil, func(k string) string { return c.env[k] }, io.Discard)
		cancel()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("env %v: got %v, want an error mentioning %q", c.env, err, c.want)
		}
	}
}
