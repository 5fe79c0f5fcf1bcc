package store

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ecpts/ecpts/internal/model"
)

func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func TestOpenErrorsNameTheSettingWithoutCredentials(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		opts    Options
		setting string
		host    string
	}{
		{"mongo", Options{MongoURL: "mongodb://alice:s3cret-pw@127.0.0.1:1/?authSource=admin"}, "ECPTS_MONGO_URL", "127.0.0.1:1"},
		{"postgres", Options{PostgresURL: "postgres://alice:s3cret-pw@127.0.0.1:1/ecpts?sslmode=disable"}, "ECPTS_POSTGRES_URL", "127.0.0.1:1"},
		{"datadir", Options{DataDir: file}, "ECPTS_DATA_DIR", "not-a-dir"},
		{"no datadir", Options{}, "ECPTS_DATA_DIR", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			c.opts.Logger = testLogger()
			s, err := Open(ctx, c.opts)
			if err == nil {
				_ = s.Close(ctx)
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, c.setting+":") || !strings.Contains(msg, c.host) {
				t.Fatalf("error %q: want it to start with %s: and name %q", msg, c.setting, c.host)
			}
			if strings.Contains(msg, "s3cret-pw") || strings.Contains(msg, "alice") {
				t.Fatalf("error leaks credentials: %q", msg)
			}
		})
	}
}

func TestMetricsCountCommands(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	e := embeddedSQLite(t)
	s, err := Open(ctx, Options{Embedded: e, Database: "metrics", Registerer: reg, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close(ctx) }()
	// A second store on the same registry reuses the collectors.
	s2, err := Open(ctx, Options{Embedded: e, Database: "metrics", Registerer: reg, Logger: testLogger()})
	if err != nil {
		t.Fatalf("second store on one registry: %v", err)
	}
	defer func() { _ = s2.Close(ctx) }()

	if _, err := s.Users.Count(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.db.RunCommand(ctx, bson.D{{Key: "noSuchCommand", Value: 1}}).Err(); err == nil {
		t.Fatal("unknown command succeeded")
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	var observed uint64
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch f.GetName() {
			case "ecpts_store_commands_total":
				counts[labels["command"]+"/"+labels["outcome"]] += m.GetCounter().GetValue()
			case "ecpts_store_command_duration_seconds":
				observed += m.GetHistogram().GetSampleCount()
			}
		}
	}
	for _, k := range []string{"ping/ok", "createIndexes/ok", "aggregate/ok", "noSuchCommand/error"} {
		if counts[k] < 1 {
			t.Errorf("ecpts_store_commands_total{%s} = %v; all: %v", k, counts[k], counts)
		}
	}
	if observed == 0 {
		t.Error("no duration observed")
	}
}

func TestFerretLogHandlerDropsSQLAndArguments(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(newFerretLogHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	secret := "corps-du-message-patient"

	l.Debug(">>> SELECT", "args", []any{secret})
	l.Info("Query", "sql", "INSERT "+secret)
	l.Warn("Response message:\n{ errmsg: " + secret + " }")
	l.Error("Query", "err", "ERROR: duplicate key value violates unique constraint \"x\" (SQLSTATE 23505)", "args", secret)
	l.With("args", []any{secret}, "sql", secret).With(slog.Group("g", "args.0", secret)).
		Error("Query failed", "sql", secret, "args.1", secret, slog.Group("inner", "args", secret, "kept", "yes"), "err", "boom", "time", "3ms")
	l.WithGroup("pg").Warn("slow", "args", secret, "pid", 42)

	out := buf.String()
	if strings.Contains(out, secret) {
		t.Fatalf("secret logged:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 records (the failure and the slow query), got %d:\n%s", len(lines), out)
	}
	for _, want := range []string{`"msg":"Query failed"`, `"err":"boom"`, `"kept":"yes"`, `"time":"3ms"`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("record %s lacks %s", lines[0], want)
		}
	}
	if !strings.Contains(lines[1], `"pg":{"pid":42}`) {
		t.Errorf("grouped record: %s", lines[1])
	}
}

func TestRedactedHost(t *testing.T) {
	for in, want := range map[string]string{
		"mongodb://u:p@db1:27017,db2:27017/ecpts?replicaSet=rs": "db1:27017,db2:27017",
		"postgres://u:p@127.0.0.1:5432/x?password=p":            "127.0.0.1:5432",
		"host=127.0.0.1 user=u password=p":                      "(unparsable URL)",
		"%zz":                                                   "(unparsable URL)",
	} {
		if got := redactedHost(in); got != want {
			t.Errorf("redactedHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCredentialsMaskedInErrorsAndFerretLogs(t *testing.T) {
	const raw = "postgres://alice:p%40ss-w0rd@db.example:5432/ecpts"
	err := redactCredentials(errors.New("failed to connect to `user=alice database=ecpts`: bad password p@ss-w0rd"), raw)
	if msg := err.Error(); strings.Contains(msg, "alice") || strings.Contains(msg, "p@ss-w0rd") {
		t.Fatalf("credentials in %q", msg)
	}
	var buf bytes.Buffer
	l := slog.New(newFerretLogHandler(slog.NewJSONHandler(&buf, nil), credentials(raw)...))
	l.Error("Connect to user=alice", "err", errors.New("failed to connect to `user=alice database=ecpts`"), "host", "db.example")
	if out := buf.String(); strings.Contains(out, "alice") || !strings.Contains(out, "db.example") {
		t.Fatalf("log record: %s", out)
	}
}

func TestSessionsExpireAgainstInjectedClock(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	s, err := Open(ctx, Options{Embedded: embeddedSQLite(t), Database: "clock", Logger: testLogger(), Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close(ctx) }()
	x := model.Session{ID: "h", UserID: model.UserID(model.NewID()), CreatedAt: clock, ExpiresAt: clock.Add(time.Minute)}
	if err := s.Sessions.Insert(ctx, x); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sessions.ByID(ctx, "h"); err != nil {
		t.Fatalf("live session (by the injected clock): %v", err)
	}
	clock = clock.Add(time.Minute) // expiry instant: expired
	if _, err := s.Sessions.ByID(ctx, "h"); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("session at its expiry instant: %v, want ErrNotFound", err)
	}
}
