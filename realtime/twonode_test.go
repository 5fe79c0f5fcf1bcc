package realtime_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/realtime"
	"github.com/ecpts/ecpts/realtime/redisbroker"
)

// redisNodes returns n Redis brokers sharing a fresh prefix. Redis is
// required: without it the test fails.
func redisNodes(t *testing.T, n int) []*redisbroker.Broker {
	t.Helper()
	url := os.Getenv("ECPTS_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("ECPTS_TEST_REDIS_URL: %v", err)
	}
	client := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis at %s is required for this test: %v", opt.Addr, err)
	}
	prefix := "ecpts-test-" + uuid.NewString()[:8] + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
		_ = client.Close()
	})
	out := make([]*redisbroker.Broker, n)
	for i := range out {
		out[i] = redisbroker.New(client, redisbroker.Options{Prefix: prefix})
		b := out[i]
		t.Cleanup(func() { _ = b.Close() })
	}
	return out
}

// TestTwoNodesOverRedis: a subscriber on node A receives what node B
// publishes; a revoke published on B removes the subscription on A; typing
// and presence cross nodes; closing a user reaches every node.
func TestTwoNodesOverRedis(t *testing.T) {
	brokers := redisNodes(t, 2)
	// One application "database"; each node publishes through its broker.
	appA := newFakeApp(brokers[0])
	appA.addChannel(chanA, alice, bob, carol)
	appA.addChannel(chanB, alice)
	hubA := startHub(t, brokers[0], appA, realtime.Options{})
	hubB := startHub(t, brokers[1], onNode{appA, realtime.NewPublisher(brokers[1])}, realtime.Options{})
	ctx := t.Context()

	a := connect(t, hubA, alice, "sa")
	a.subscribe(chanA, 0)
	a.subscribe(chanB, 0)
	b := connect(t, hubB, bob, "sb")
	b.subscribe(chanA, 0)
	c := connect(t, hubB, carol, "sc")
	c.subscribe(chanA, 0)

	// A sees bob and carol come online through B.
	a.until("bob and carol online", func() bool {
		var seen []string
		for _, f := range a.frames() {
			if f["type"] == realtime.TypePresence && f["status"] == "online" {
				seen = append(seen, f["user_id"].(string))
			}
		}
		return slices.Contains(seen, string(bob)) && slices.Contains(seen, string(carol))
	})

	// A message sent on B reaches A, once.
	id := uuid.NewString()
	b.send(map[string]any{"type": "send", "channel": chanA, "client_id": id, "body": "Bonjour depuis B"})
	b.skipTo(realtime.TypeAck)
	a.until("the message from B", func() bool { return slices.Equal(a.seqsOf(chanA), []uint64{1}) })

	// Typing on A reaches B.
	a.send(map[string]any{"type": "typing", "channel": chanA})
	if f := b.skipTo(realtime.TypeTyping); f["user_id"] != string(alice) {
		t.Fatalf("typing %v", f)
	}

	// Revoke published through B removes alice's subscription on A.
	appA.removeMember(chanA, alice)
	if err := hubB.RevokeChannel(ctx, alice, chanA, realtime.ReasonRemoved); err != nil {
		t.Fatal(err)
	}
	if f := a.skipTo(realtime.TypeUnsubscribed); f["channel"] != string(chanA) {
		t.Fatalf("unsubscribed %v", f)
	}
	if _, err := appA.post(ctx, chanA, bob, "après le retrait"); err != nil {
		t.Fatal(err)
	}
	if _, err := appA.post(ctx, chanB, alice, "marker"); err != nil {
		t.Fatal(err)
	}
	b.until("bob gets seq 2", func() bool { return slices.Contains(b.seqsOf(chanA), 2) })
	a.until("alice gets the marker", func() bool { return len(a.seqsOf(chanB)) == 1 })
	if got := a.seqsOf(chanA); !slices.Equal(got, []uint64{1}) {
		t.Fatalf("alice got %v on a revoked channel", got)
	}

	// Closing carol from A closes her connection on B; A learns she left.
	if err := hubA.CloseUser(ctx, carol); err != nil {
		t.Fatal(err)
	}
	if code := c.closed(); code != realtime.CloseUnauthenticated {
		t.Fatalf("close code %d", code)
	}
	b.until("carol offline", func() bool {
		for _, f := range b.frames() {
			if f["type"] == realtime.TypePresence && f["user_id"] == string(carol) && f["status"] == "offline" {
				return true
			}
		}
		return false
	})
	online, err := hubA.Online(ctx, []model.UserID{alice, bob, carol})
	if err != nil {
		t.Fatal(err)
	}
	if !online[alice] || !online[bob] || online[carol] {
		t.Fatalf("online %v", online)
	}
}

// TestRedisReconnectAsksClientsToResume cuts the node's Pub/Sub connection
// from the Redis side; a message published meanwhile may be lost by Pub/Sub,
// so clients get a "resume" frame and resubscribing replays it, once.
func TestRedisReconnectAsksClientsToResume(t *testing.T) {
	url := os.Getenv("ECPTS_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	name := "ecpts-test-" + uuid.NewString()[:8]
	opt.ClientName = name
	client := redis.NewClient(opt)
	t.Cleanup(func() { _ = client.Close() })
	if err := client.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("Redis at %s is required for this test: %v", opt.Addr, err)
	}
	broker := redisbroker.New(client, redisbroker.Options{Prefix: name + ":", HealthInterval: time.Second})
	t.Cleanup(func() { _ = broker.Close() })
	app := newFakeApp(broker)
	app.addChannel(chanA, alice, bob)
	h := startHub(t, broker, app, realtime.Options{})
	ctx := t.Context()
	c := connect(t, h, alice, "s")
	c.subscribe(chanA, 0)
	if _, err := app.post(ctx, chanA, bob, "1"); err != nil {
		t.Fatal(err)
	}
	c.until("seq 1", func() bool { return len(c.seqsOf(chanA)) == 1 })

	list, err := client.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for line := range strings.SplitSeq(list, "\n") {
		if !strings.Contains(line, " name="+name+" ") || strings.Contains(line, " sub=0 ") {
			continue
		}
		for kv := range strings.FieldsSeq(line) {
			if id, ok := strings.CutPrefix(kv, "id="); ok {
				if err := client.Do(ctx, "CLIENT", "KILL", "ID", id).Err(); err != nil {
					t.Fatal(err)
				}
				killed++
			}
		}
	}
	if killed != 1 {
		t.Fatalf("killed %d Pub/Sub connections, want 1", killed)
	}
	if _, err := app.post(ctx, chanA, bob, "2, maybe lost by Pub/Sub"); err != nil {
		t.Fatal(err)
	}
	c.skipTo(realtime.TypeResume)
	// As a client does: resume from the last seq it has (2 may have made it).
	c.subscribe(chanA, slices.Max(c.seqsOf(chanA)))
	if _, err := app.post(ctx, chanA, bob, "3"); err != nil {
		t.Fatal(err)
	}
	c.until("seq 3", func() bool { return slices.Contains(c.seqsOf(chanA), 3) })
	if got := c.seqsOf(chanA); !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Fatalf("seqs %v, want each of 1 2 3 once", got)
	}
	if h.Stats().BrokerResumes != 1 {
		t.Fatalf("broker resumes %d", h.Stats().BrokerResumes)
	}
}
