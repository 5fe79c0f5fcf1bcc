package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
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

	// Without ECPTS_PUBLIC_URL the demo's public URL is the address it
	// listens on: invitation links lead there, whatever Host and
	// X-Forwarded-Host the request names.
	res, body := invite(t, c, map[string]string{"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
	if res.StatusCode != 201 {
		t.Fatalf("demo invitation: %d %s", res.StatusCode, body)
	}
	if mail := newestMail(t, filepath.Join(dir, "mail")); strings.Contains(mail, "evil.example") || !strings.Contains(mail, base+"/invitation/") {
		t.Fatalf("the demo's invitation link must lead to %s:\n%s", base, mail)
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
	// Outside the demo, no public URL: no invitation link to build.
	res, body = invite(t, newClient(t, base, "coordination@loire-nord.demo"), nil)
	if res.StatusCode != 503 || !strings.Contains(body, `"code":"public_url_missing"`) || !strings.Contains(body, "ECPTS_PUBLIC_URL") {
		t.Fatalf("invitation without ECPTS_PUBLIC_URL outside the demo: %d %s", res.StatusCode, body)
	}
}

// invite asks, as c, to invite a new address to CPTS Loire Nord, with
// extra headers ("Host" sets the request's host).
func invite(t *testing.T, c *client, headers map[string]string) (*http.Response, string) {
	t.Helper()
	var cpts struct{ CPTS []struct{ ID, Name string } }
	c.call("GET", "/api/v1/cpts", "", 200, &cpts)
	id := ""
	for _, x := range cpts.CPTS {
		if x.Name == "CPTS Loire Nord" {
			id = x.ID
		}
	}
	req, _ := http.NewRequest("POST", c.base+"/api/v1/cpts/"+id+"/invitations", strings.NewReader(`{"email":"invitee@exemple.fr","role":"membre"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	// The jar would pick cookies by req.Host: give the session's at once.
	u, _ := url.Parse(c.base)
	for _, ck := range c.http.Jar.Cookies(u) {
		req.AddCookie(ck)
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// newestMail returns the text of the newest .eml in dir, quoted-printable
// undone.
func newestMail(t *testing.T, dir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	var newest string
	var newestT time.Time
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && !fi.ModTime().Before(newestT) {
			newest, newestT = f, fi.ModTime()
		}
	}
	if newest == "" {
		t.Fatalf("no e-mail in %s", dir)
	}
	b, err := os.ReadFile(newest)
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer("=\r\n", "", "=\n", "", "=3D", "=").Replace(string(b))
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
