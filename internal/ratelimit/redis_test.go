package ratelimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecpts/ecpts/internal/ratelimit"
	"github.com/ecpts/ecpts/internal/ratelimit/ratelimittest"
)

// testRedis connects to ECPTS_TEST_REDIS_URL (default the local Redis) and
// fails the test when it cannot: Redis is a required test service.
func testRedis(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv("ECPTS_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("ECPTS_TEST_REDIS_URL: %v", err)
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis at %s unreachable (set ECPTS_TEST_REDIS_URL): %v", opts.Addr, err)
	}
	return client
}

// testPrefix returns a prefix unique to t and deletes its keys afterwards.
func testPrefix(t *testing.T, client *redis.Client) string {
	t.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	prefix := "ecpts-test:ratelimit:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		keys, err := scanKeys(ctx, client, prefix)
		if err == nil && len(keys) > 0 {
			err = client.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("cleaning %s*: %v", prefix, err)
		}
	})
	return prefix
}

func scanKeys(ctx context.Context, client *redis.Client, prefix string) ([]string, error) {
	var keys []string
	iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	return keys, iter.Err()
}

func TestRedis(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, rule ratelimit.Rule) ratelimittest.Harness {
		client := testRedis(t)
		c := newClock()
		return ratelimittest.Harness{Limiter: ratelimit.NewRedis(client, testPrefix(t, client), rule, c.Now), Advance: c.Advance}
	})
}

// TestRedisSharedByNodes: two nodes (two clients, one prefix) count the
// same failures.
func TestRedisSharedByNodes(t *testing.T) {
	c1, c2 := testRedis(t), testRedis(t)
	prefix := testPrefix(t, c1)
	c := newClock()
	nodes := []*ratelimit.Redis{ratelimit.NewRedis(c1, prefix, testRule, c.Now), ratelimit.NewRedis(c2, prefix, testRule, c.Now)}
	ctx := context.Background()
	for i := range testRule.Free {
		if err := nodes[i%2].Fail(ctx, "login:pair:x"); err != nil {
			t.Fatal(err)
		}
	}
	for i, n := range nodes {
		s, err := n.Check(ctx, "login:pair:x")
		if err != nil || s.Failures != testRule.Free || s.RetryAfter != testRule.Base {
			t.Fatalf("node %d: Check = %+v, %v; want %d failures, %v to wait", i+1, s, err, testRule.Free, testRule.Base)
		}
	}
}

func TestRedisStoresHashedKeysWithExpiry(t *testing.T) {
	client := testRedis(t)
	prefix := testPrefix(t, client)
	l := ratelimit.NewRedis(client, prefix, testRule, nil)
	ctx := context.Background()
	const key = "login:acct:claire.martin@cpts-loire-nord.fr"
	for range 5 {
		if err := l.Fail(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := scanKeys(ctx, client, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 {
		t.Fatalf("keys under the prefix: %v, want exactly one", keys)
	}
	if strings.Contains(keys[0], "claire") || strings.Contains(keys[0], "login") {
		t.Fatalf("Redis key %q holds the caller's key in clear", keys[0])
	}
	// Collected a minute after every failure is forgotten (5 Leaks).
	ttl, err := client.PTTL(ctx, keys[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := 5*testRule.Leak + time.Minute; ttl <= want-time.Second || ttl > want {
		t.Fatalf("PTTL = %v, want about %v", ttl, want)
	}
}

func TestRedisErrorsDoNotQuoteKeys(t *testing.T) {
	// Nothing listens on port 1 of loopback: every call fails fast.
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = client.Close() })
	l := ratelimit.NewRedis(client, "ecpts-test:", testRule, nil)
	ctx := context.Background()
	const key = "login:acct:secret-address@example.fr"
	_, errCheck := l.Check(ctx, key)
	errFail := l.Fail(ctx, key)
	errReset := l.Reset(ctx, key)
	for _, err := range []error{errCheck, errFail, errReset} {
		if err == nil {
			t.Fatal("no error from an unreachable Redis")
		}
		if strings.Contains(err.Error(), "secret-address") {
			t.Fatalf("error quotes the key: %v", err)
		}
	}
}
