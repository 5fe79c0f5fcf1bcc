package redisbroker_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/ecpts/ecpts/realtime"
	"github.com/ecpts/ecpts/realtime/brokertest"
	"github.com/ecpts/ecpts/realtime/redisbroker"
)

// redisURL is the Redis of the test machine. Redis is required: the tests
// fail, never skip, when it is down.
func redisURL() string {
	if u := os.Getenv("ECPTS_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// newClient connects a client named name, failing the test without Redis.
func newClient(t *testing.T, name string) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(redisURL())
	if err != nil {
		t.Fatalf("ECPTS_TEST_REDIS_URL: %v", err)
	}
	opt.ClientName = name
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis at %s is required for these tests: %v", opt.Addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testPrefix isolates a test's channels and keys, and deletes the keys at
// the end.
func testPrefix(t *testing.T, c *redis.Client) string {
	prefix := "ecpts-test-" + uuid.NewString()[:8] + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return prefix
}

func newNodes(t *testing.T, n int, opt redisbroker.Options) ([]*redisbroker.Broker, []string) {
	t.Helper()
	first := newClient(t, "")
	opt.Prefix = testPrefix(t, first)
	nodes := make([]*redisbroker.Broker, n)
	names := make([]string, n)
	for i := range nodes {
		names[i] = strings.TrimSuffix(opt.Prefix, ":") + "-node" + string(rune('0'+i))
		o := opt
		o.NodeID = names[i]
		nodes[i] = redisbroker.New(newClient(t, names[i]), o)
		b := nodes[i]
		t.Cleanup(func() { _ = b.Close() })
	}
	return nodes, names
}

func TestBrokerSuite(t *testing.T) {
	brokertest.Run(t, func(t *testing.T, n int) []realtime.Broker {
		nodes, _ := newNodes(t, n, redisbroker.Options{})
		out := make([]realtime.Broker, n)
		for i, b := range nodes {
			out[i] = b
		}
		return out
	})
}

// killPubSub closes, from the Redis side, the Pub/Sub connection of the
// client named name: what a Redis restart or a network cut does to a node.
func killPubSub(t *testing.T, admin *redis.Client, name string) {
	t.Helper()
	ctx := context.Background()
	list, err := admin.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for line := range strings.SplitSeq(list, "\n") {
		fields := map[string]string{}
		for _, kv := range strings.Fields(line) {
			k, v, _ := strings.Cut(kv, "=")
			fields[k] = v
		}
		if fields["name"] != name || fields["sub"] == "0" || fields["sub"] == "" {
			continue
		}
		if err := admin.Do(ctx, "CLIENT", "KILL", "ID", fields["id"]).Err(); err != nil {
			t.Fatal(err)
		}
		killed++
	}
	if killed == 0 {
		t.Fatalf("no Pub/Sub connection named %s", name)
	}
}

func TestReconnectResubscribesAndAsksResume(t *testing.T) {
	nodes, names := newNodes(t, 2, redisbroker.Options{HealthInterval: time.Second})
	rec := brokertest.Start(t, nodes[0])
	brokertest.Start(t, nodes[1])
	ctx := t.Context()
	if err := nodes[0].Subscribe(ctx, "chan:a"); err != nil {
		t.Fatal(err)
	}
	if err := nodes[1].Publish(ctx, "chan:a", []byte("before")); err != nil {
		t.Fatal(err)
	}
	rec.WaitFor(t, "before", func() bool { return len(rec.Payloads("chan:a")) == 1 })

	killPubSub(t, newClient(t, ""), names[0])
	rec.WaitFor(t, "a resume after the reconnect", func() bool { return rec.Resumes() >= 1 })
	// Resubscribed: publications flow again without a new Subscribe.
	if err := nodes[1].Publish(ctx, "chan:a", []byte("after")); err != nil {
		t.Fatal(err)
	}
	rec.WaitFor(t, "after", func() bool {
		got := rec.Payloads("chan:a")
		return len(got) > 0 && string(got[len(got)-1]) == "after"
	})
	// And new subscriptions work on the new connection.
	if err := nodes[0].Subscribe(ctx, "chan:b"); err != nil {
		t.Fatal(err)
	}
	if err := nodes[1].Publish(ctx, "chan:b", []byte("b")); err != nil {
		t.Fatal(err)
	}
	rec.WaitFor(t, "b", func() bool { return len(rec.Payloads("chan:b")) == 1 })
}

func TestSubscribeGivesUpWithContext(t *testing.T) {
	// No Run: nothing confirms, so Subscribe must return with ctx.
	nodes, _ := newNodes(t, 1, redisbroker.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := nodes[0].Subscribe(ctx, "chan:x"); err == nil {
		t.Fatal("subscribe without Run returned nil")
	}
}

func TestPresenceExpiresWithoutHeartbeat(t *testing.T) {
	nodes, _ := newNodes(t, 2, redisbroker.Options{PresenceTTL: 300 * time.Millisecond})
	ctx := t.Context()
	if _, err := nodes[0].Join(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := nodes[1].Join(ctx, "u2"); err != nil {
		t.Fatal(err)
	}
	// Node 1 keeps beating for u2; node 0 "dies" and u1 must disappear.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := nodes[1].Heartbeat(ctx, []string{"u2"}); err != nil {
			t.Fatal(err)
		}
		got, err := nodes[1].Online(ctx, []string{"u1", "u2"})
		if err != nil {
			t.Fatal(err)
		}
		if !got["u2"] {
			t.Fatal("u2 expired despite heartbeats")
		}
		if !got["u1"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("u1 never expired")
		}
		// Polling Redis's clock with a deadline: expiry is not an event we can wait on.
		time.Sleep(50 * time.Millisecond)
	}
	// A node seeing the user again after expiry is "first".
	first, err := nodes[1].Join(ctx, "u1")
	if err != nil || !first {
		t.Fatalf("join after expiry: first=%v err=%v", first, err)
	}
}

func TestOpen(t *testing.T) {
	ctx := t.Context()
	b, err := redisbroker.Open(ctx, redisURL(), redisbroker.Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if err := b.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = redisbroker.Open(ctx, "redis://:s3cret@127.0.0.1:1/0", redisbroker.Options{})
	if err == nil {
		t.Fatal("open on a closed port succeeded")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("password in error: %v", err)
	}
	_, err = redisbroker.Open(ctx, "http://s3cret@x", redisbroker.Options{})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("bad URL: %v", err)
	}
}

// TestConnect: one call gives a node its broker, its window (both under
// the prefix) and the client rate limits take; errors never show the URL.
func TestConnect(t *testing.T) {
	ctx := t.Context()
	prefix := testPrefix(t, newClient(t, ""))
	n, err := redisbroker.Connect(ctx, redisURL(), redisbroker.Options{Prefix: prefix})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { // cleanups run last first: after Run has returned
		if err := n.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	rec := brokertest.Start(t, n.Broker)
	if err := n.Broker.Subscribe(ctx, "chan:a"); err != nil {
		t.Fatal(err)
	}
	if err := n.Broker.Publish(ctx, "chan:a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	rec.WaitFor(t, "the publication", func() bool { return len(rec.Payloads("chan:a")) == 1 })
	if err := n.Window.Append(ctx, msg("chan-a", 1, "un")); err != nil {
		t.Fatal(err)
	}
	if got, err := n.Client.Exists(ctx, prefix+"win:chan-a").Result(); err != nil || got != 1 {
		t.Fatalf("window key under the prefix: %d, %v", got, err)
	}

	_, err = redisbroker.Connect(ctx, "redis://:s3cret@127.0.0.1:1/0", redisbroker.Options{})
	if err == nil || !strings.Contains(err.Error(), "cannot connect to 127.0.0.1:1") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("closed port: %v", err)
	}
	_, err = redisbroker.Connect(ctx, "http://s3cret@x", redisbroker.Options{})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("bad URL: %v", err)
	}
}
