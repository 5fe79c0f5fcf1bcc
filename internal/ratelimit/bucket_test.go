package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/ratelimit"
)

func TestRedisBucket(t *testing.T) {
	c1, c2 := testRedis(t), testRedis(t)
	prefix := testPrefix(t, c1)
	// Two nodes, one bucket per key: 3 at once, then 20 per second.
	nodes := []*ratelimit.RedisBucket{
		ratelimit.NewRedisBucket(c1, prefix, 20, 3),
		ratelimit.NewRedisBucket(c2, prefix, 20, 3),
	}
	ctx := context.Background()
	take := func(i int, key string) bool {
		t.Helper()
		ok, err := nodes[i%2].Take(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for i := range 3 {
		if !take(i, "u1") {
			t.Fatalf("take %d of the burst refused", i+1)
		}
	}
	if take(1, "u1") || take(0, "u1") {
		t.Fatal("past the burst, on either node: allowed")
	}
	if !take(0, "u2") {
		t.Fatal("another key is affected")
	}
	time.Sleep(120 * time.Millisecond) // 20/s: two tokens back
	if !take(1, "u1") {
		t.Fatal("not refilled after 120 ms at 20/s")
	}
	keys, err := scanKeys(ctx, c1, prefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if ttl := c1.PTTL(ctx, k).Val(); ttl <= 0 || ttl > 2*time.Second {
			t.Fatalf("key %s expires in %v, want within (burst-tokens)/rate + 1 s", k, ttl)
		}
	}
	if len(keys) != 2 {
		t.Fatalf("%d keys, want one per user", len(keys))
	}
}

func TestRedisBucketPanicsOnBadLimits(t *testing.T) {
	for _, l := range [][2]float64{{0, 3}, {5, 0.5}, {-1, 3}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("rate %v burst %v: no panic", l[0], l[1])
				}
			}()
			ratelimit.NewRedisBucket(nil, "p:", l[0], l[1])
		}()
	}
}
