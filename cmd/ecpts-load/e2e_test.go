package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecpts/ecpts/internal/store/storetest"
	"github.com/ecpts/ecpts/realtime/brokertest"
)

// The scenarios run against the real server binary, built once for the
// package (backend only: the UI is not needed), started on port 0 with a
// fresh data directory, as an operator would run it.

var ecptsBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ecpts-load-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ecptsBin = filepath.Join(dir, "ecpts")
	out, err := exec.Command("go", "build", "-tags", "no_ui", "-o", ecptsBin, "github.com/ecpts/ecpts/cmd/ecpts").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build the ecpts server: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var readyLine = regexp.MustCompile(`prêt : (http://\S+)`)

// startServer starts ecpts with env (ECPTS_* of the environment are not
// inherited), waits for its ready line and returns its base URL. The
// server stops at the end of the test; its log is printed if the test
// failed.
func startServer(t *testing.T, env ...string) string {
	t.Helper()
	cmd := exec.Command(ecptsBin)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ECPTS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "ECPTS_ADDR=127.0.0.1:0", "ECPTS_SEND_RATE=100000", "ECPTS_WRITE_RATE=100000", "ECPTS_WS_PER_USER=20000", "ECPTS_LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, env...)
	logFile, err := os.Create(filepath.Join(t.TempDir(), "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("server %d did not stop within 20 s of SIGINT", cmd.Process.Pid)
		}
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("server log (end):\n%s", b)
		}
		logFile.Close()
	})
	urls := make(chan string, 1)
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := readyLine.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case u := <-urls:
		return u
	case <-exited:
		t.Fatal("the server exited before it was ready")
	case <-time.After(60 * time.Second):
		t.Fatal("the server was not ready within 60 s")
	}
	return ""
}

// runTool runs the tool with args and -json and returns its report. A
// failed correctness check fails the test.
func runTool(t *testing.T, args ...string) *report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	err := run(ctx, append(args, "-json", "-max-duration", "3m"), &out, &errOut)
	var rep report
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
		t.Fatalf("ecpts-load %s: %v; no report (%v)\nstderr: %s", strings.Join(args, " "), err, jerr, errOut.String())
	}
	if err != nil {
		t.Fatalf("ecpts-load %s: %v\nreport: %s\nstderr: %s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	for _, c := range rep.Checks {
		if c.Kind == "correctness" && !c.OK {
			t.Errorf("check %q: want %s, got %s", c.Name, c.Want, c.Got)
		}
	}
	return &rep
}

func TestScenariosOnOneNode(t *testing.T) {
	dataDir := t.TempDir()
	base := startServer(t, "ECPTS_DEMO=1", "ECPTS_DATA_DIR="+dataDir)

	t.Run("fanout", func(t *testing.T) {
		rep := runTool(t, "fanout", "-base", base, "-conns", "30", "-rate", "30", "-duration", "2s")
		x := rep.Fanout
		if x == nil || x.Sent < 50 || x.LastSeq != x.Sent || x.Deliveries != x.Expected || x.Expected != 30*x.Sent {
			t.Fatalf("fanout: %+v", x)
		}
		if x.Latency.Count != x.Deliveries || x.Latency.Max <= 0 || x.ServerDeliveries < x.Deliveries {
			t.Fatalf("fanout latency or server count: %+v", x)
		}
	})
	t.Run("send", func(t *testing.T) {
		rep := runTool(t, "send", "-base", base, "-rate", "60", "-channels", "3", "-duration", "2s")
		x := rep.Send
		if x == nil || x.Senders != 4 || x.Sent < 100 || x.Acked != x.Sent || x.Stored != x.Sent || x.Latency.Count != x.Acked {
			t.Fatalf("send: %+v", x)
		}
	})
	t.Run("reconnect", func(t *testing.T) {
		rep := runTool(t, "reconnect", "-base", base, "-conns", "20", "-rate", "30", "-duration", "3s", "-drops", "25")
		x := rep.Fanout
		if x == nil || x.Drops == 0 || x.Reconnects < x.Drops || x.Closes["dropped_by_tool"] == 0 {
			t.Fatalf("reconnect: %+v", x)
		}
		if x.Lost != 0 || x.Duplicates != 0 || !x.CaughtUp {
			t.Fatalf("reconnect lost %d, duplicated %d, caught up %v", x.Lost, x.Duplicates, x.CaughtUp)
		}
	})
	t.Run("idle", func(t *testing.T) {
		rep := runTool(t, "idle", "-base", base, "-conns", "40", "-settle", "0")
		x := rep.Idle
		if x == nil || x.Subscribed != 40 || x.ServerConnections < 40 || x.After.HeapInuse == 0 || x.After.Goroutines <= x.Before.Goroutines {
			t.Fatalf("idle: %+v", x)
		}
	})
	t.Run("saturate", func(t *testing.T) {
		rep := runTool(t, "fanout", "-saturate", "-base", base, "-conns", "10", "-rate", "20", "-step", "1s", "-max-steps", "2")
		x := rep.Saturate
		if x == nil || len(x.Steps) == 0 || x.Steps[0].Deliveries == 0 || x.MaxDeliveriesPerSec <= 0 || x.StopReason == "" {
			t.Fatalf("saturate: %+v", x)
		}
	})
	t.Run("users", func(t *testing.T) {
		// Load users come through the invitation flow, e-mails read from
		// the data directory.
		rep := runTool(t, "fanout", "-base", base, "-conns", "6", "-rate", "10", "-duration", "1s", "-users", "3", "-data-dir", dataDir)
		if x := rep.Fanout; x == nil || x.Deliveries != x.Expected || x.Expected == 0 {
			t.Fatalf("users: %+v", rep.Fanout)
		}
		if n, _ := filepath.Glob(filepath.Join(dataDir, "mail", "*.eml")); len(n) < 3 {
			t.Fatalf("%d invitation e-mails", len(n))
		}
	})
}

// Two nodes share FerretDB-PostgreSQL and Redis, as in production.
func TestTwoNodes(t *testing.T) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	db := "load_" + hex.EncodeToString(b[:])
	pgURL := storetest.PostgresURL()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := storetest.EnsurePostgresDatabase(ctx, pgURL); err != nil {
		t.Fatalf("PostgreSQL (ECPTS_TEST_POSTGRES_URL): %v", err)
	}
	t.Cleanup(func() { dropSchema(t, pgURL, db) })
	redisURL := os.Getenv("ECPTS_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	t.Cleanup(func() { brokertest.DropRedisKeys(t, redisURL, db+":") })
	shared := []string{"ECPTS_POSTGRES_URL=" + pgURL, "ECPTS_MONGO_DB=" + db, "ECPTS_REDIS_URL=" + redisURL, "ECPTS_REDIS_PREFIX=" + db + ":"}
	a := startServer(t, append(shared, "ECPTS_DEMO=1", "ECPTS_DATA_DIR="+t.TempDir())...)
	bURL := startServer(t, append(shared, "ECPTS_DATA_DIR="+t.TempDir())...)

	rep := runTool(t, "twonode", "-base", a+","+bURL, "-conns", "20", "-rate", "20", "-duration", "2s")
	x := rep.TwoNode
	if x == nil || x.OneNode == nil || x.TwoNodes == nil {
		t.Fatalf("twonode: %+v", x)
	}
	for _, r := range []*fanoutResult{x.OneNode, x.TwoNodes} {
		if r.Deliveries != r.Expected || r.Expected == 0 || r.Lost != 0 || r.Duplicates != 0 {
			t.Fatalf("twonode phase: %+v", r)
		}
	}
	if x.P99Ratio <= 0 {
		t.Fatalf("p99 ratio %v", x.P99Ratio)
	}
}

// dropSchema removes what FerretDB stored for database db (a schema of
// the same name).
func dropSchema(t *testing.T, pgURL, db string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Errorf("drop schema %s: %v", db, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{db}.Sanitize()+" CASCADE"); err != nil {
		t.Errorf("drop schema %s: %v", db, err)
	}
}
