package ratelimit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/ratelimit"
	"github.com/ecpts/ecpts/internal/ratelimit/ratelimittest"
)

// clock is a fake clock safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestMemory(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, rule ratelimit.Rule) ratelimittest.Harness {
		c := newClock()
		return ratelimittest.Harness{Limiter: ratelimit.NewMemory(rule, c.Now), Advance: c.Advance}
	})
}

func TestMemoryExactRetryAfter(t *testing.T) {
	c := newClock()
	m := ratelimit.NewMemory(ratelimit.Rule{Max: 2, Window: 15 * time.Minute}, c.Now)
	ctx := context.Background()
	_ = m.Fail(ctx, "k")
	c.Advance(4 * time.Minute)
	_ = m.Fail(ctx, "k")
	c.Advance(time.Minute)
	if ok, retry, _ := m.Allow(ctx, "k"); ok || retry != 10*time.Minute {
		t.Fatalf("Allow = %v, %v; want false, 10m", ok, retry)
	}
	c.Advance(10*time.Minute - time.Nanosecond)
	if ok, retry, _ := m.Allow(ctx, "k"); ok || retry != time.Nanosecond {
		t.Fatalf("Allow one ns before the end = %v, %v", ok, retry)
	}
	c.Advance(time.Nanosecond)
	if ok, _, _ := m.Allow(ctx, "k"); !ok {
		t.Fatal("refused at the end of the window")
	}
}

func TestMemorySweepsExpired(t *testing.T) {
	c := newClock()
	rule := ratelimit.Rule{Max: 3, Window: time.Minute}
	m := ratelimit.NewMemory(rule, c.Now)
	ctx := context.Background()
	for i := range 1000 {
		_ = m.Fail(ctx, fmt.Sprint("old-", i))
	}
	if m.Len() != 1000 {
		t.Fatalf("Len = %d, want 1000", m.Len())
	}
	c.Advance(rule.Window)
	_ = m.Fail(ctx, "new") // at most one sweep per window: this one is due
	if m.Len() != 1 {
		t.Fatalf("Len after a window = %d, want 1 (expired keys swept)", m.Len())
	}
}

func TestMemoryBoundedKeepsBlockedKeys(t *testing.T) {
	c := newClock()
	rule := ratelimit.Rule{Max: 3, Window: time.Hour}
	const maxKeys = 100
	m := ratelimit.NewMemoryMax(rule, c.Now, maxKeys)
	ctx := context.Background()
	// Ten accounts an attacker has locked out (or is working on)...
	for i := range 10 {
		for range rule.Max {
			_ = m.Fail(ctx, fmt.Sprint("victim-", i))
		}
	}
	// ...then a flood of fresh keys meant to push them out.
	for i := range 10 * maxKeys {
		_ = m.Fail(ctx, fmt.Sprint("flood-", i))
		if n := m.Len(); n > maxKeys {
			t.Fatalf("Len = %d after %d flood keys, want ≤ %d", n, i+1, maxKeys)
		}
	}
	for i := range 10 {
		if ok, _, _ := m.Allow(ctx, fmt.Sprint("victim-", i)); ok {
			t.Fatalf("victim-%d was evicted by a flood of fresh keys", i)
		}
	}
}

func TestMemoryBoundedAllBlocked(t *testing.T) {
	c := newClock()
	rule := ratelimit.Rule{Max: 1, Window: time.Hour}
	m := ratelimit.NewMemoryMax(rule, c.Now, 10)
	ctx := context.Background()
	for i := range 50 { // every key blocked: eviction must still happen
		_ = m.Fail(ctx, fmt.Sprint("k", i))
		if m.Len() > 10 {
			t.Fatalf("Len = %d, want ≤ 10", m.Len())
		}
	}
	if ok, _, _ := m.Allow(ctx, "k49"); ok {
		t.Fatal("the newest key is not counted")
	}
}

func TestInvalidRulePanics(t *testing.T) {
	for _, r := range []ratelimit.Rule{{}, {Max: 0, Window: time.Minute}, {Max: 1, Window: 0}, {Max: 1, Window: time.Microsecond}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewMemory(%+v) did not panic", r)
				}
			}()
			ratelimit.NewMemory(r, nil)
		}()
	}
}
