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

var testRule = ratelimit.Rule{Free: 3, Base: time.Second, Max: time.Minute, Leak: time.Minute}

func TestMemorySweepsForgotten(t *testing.T) {
	c := newClock()
	m := ratelimit.NewMemory(testRule, c.Now)
	ctx := context.Background()
	for i := range 1000 {
		_ = m.Fail(ctx, fmt.Sprint("old-", i))
	}
	if m.Len() != 1000 {
		t.Fatalf("Len = %d, want 1000", m.Len())
	}
	c.Advance(testRule.Leak)
	_ = m.Fail(ctx, "new") // at most one sweep per Leak: this one is due
	if m.Len() != 1 {
		t.Fatalf("Len after a Leak = %d, want 1 (forgotten keys swept)", m.Len())
	}
}

func TestMemoryBoundedKeepsDelayedKeys(t *testing.T) {
	c := newClock()
	const maxKeys = 100
	m := ratelimit.NewMemoryMax(testRule, c.Now, maxKeys)
	ctx := context.Background()
	// Ten accounts an attacker is slowed on...
	for i := range 10 {
		for range testRule.Free {
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
		if s, _ := m.Check(ctx, fmt.Sprint("victim-", i)); s.RetryAfter == 0 {
			t.Fatalf("victim-%d was evicted by a flood of fresh keys", i)
		}
	}
}

func TestMemoryBoundedAllDelayed(t *testing.T) {
	c := newClock()
	rule := ratelimit.Rule{Free: 1, Base: time.Minute, Max: time.Hour, Leak: time.Hour}
	m := ratelimit.NewMemoryMax(rule, c.Now, 10)
	ctx := context.Background()
	for i := range 50 { // every key delayed: eviction must still happen
		_ = m.Fail(ctx, fmt.Sprint("k", i))
		if m.Len() > 10 {
			t.Fatalf("Len = %d, want ≤ 10", m.Len())
		}
	}
	if s, _ := m.Check(ctx, "k49"); s.RetryAfter == 0 {
		t.Fatal("the newest key is not counted")
	}
}

func TestInvalidRulePanics(t *testing.T) {
	ok := testRule
	for _, r := range []ratelimit.Rule{
		{},
		{Free: 0, Base: ok.Base, Max: ok.Max, Leak: ok.Leak},
		{Free: 1, Base: 0, Max: ok.Max, Leak: ok.Leak},
		{Free: 1, Base: ok.Base, Max: ok.Max, Leak: 0},
		{Free: 1, Base: time.Minute, Max: time.Second, Leak: ok.Leak},
		{Free: 1, Base: 1500 * time.Microsecond, Max: ok.Max, Leak: ok.Leak},
		{Free: 1, Base: ok.Base, Max: 400 * 24 * time.Hour, Leak: ok.Leak},
	} {
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
