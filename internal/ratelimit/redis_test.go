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
		return ratelimittest.Harness{
			Limiter: ratelimit.NewRedis(client, testPrefix(t, client), rule),
			// Redis expires keys on its own clock: the only way to move
			// it is to let the time pass.
			Advance: time.Sleep,
		}
	})
}

func TestRedisStoresHashedKeysWithExpiry(t *testing.T) {
	client := testRedis(t)
	prefix := testPrefix(t, client)
	rule := ratelimit.Rule{Max: 3, Window: time.Minute}
	l := ratelimit.NewRedis(client, prefix, rule)
	ctx := context.Background()
	const key = "login:acct:claire.martin@cpts-loire-nord.fr"
	if err := l.Fail(ctx, key); err != nil {
		t.Fatal(err)
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
	ttl, err := client.PTTL(ctx, keys[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > rule.Window {
		t.Fatalf("PTTL = %v, want in (0, %v]", ttl, rule.Window)
	}

	// A counter left without expiry (a crash of an older writer) heals
	// instead of locking the account forever.
	if err := client.Persist(ctx, keys[0]).Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.Set(ctx, keys[0], rule.Max, 0).Err(); err != nil {
		t.Fatal(err)
	}
	ok, retry, err := l.Allow(ctx, key)
	if err != nil || ok || retry <= 0 || retry > rule.Window {
		t.Fatalf("Allow on a counter without expiry = %v, %v, %v", ok, retry, err)
	}
	if ttl, _ := client.PTTL(ctx, keys[0]).Result(); ttl <= 0 {
		t.Fatalf("PTTL after Allow = %v, want an expiry set", ttl)
	}
}

func TestRedisErrorsDoNotQuoteKeys(t *testing.T) {
	// Nothing listens on port 1 of loopback: every call fails fast.
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = client.Close() })
	l := ratelimit.NewRedis(client, "ecpts-test:", ratelimit.Rule{Max: 1, Window: time.Minute})
	ctx := context.Background()
	const key = "login:acct:secret-address@example.fr"
	_, _, errAllow := l.Allow(ctx, key)
	errFail := l.Fail(ctx, key)
	errReset := l.Reset(ctx, key)
	for _, err := range []error{errAllow, errFail, errReset} {
		if err == nil {
			t.Fatal("no error from an unreachable Redis")
		}
		if strings.Contains(err.Error(), "secret-address") {
			t.Fatalf("error quotes the key: %v", err)
		}
	}
	if ok, _, _ := l.Allow(ctx, key); ok {
		t.Fatal("Allow = true on error: callers could ignore the error and let everyone in")
	}
}
