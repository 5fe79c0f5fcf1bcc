// Package ratelimittest is the contract every ratelimit.Limiter passes:
// run it from each implementation's tests with Run.
package ratelimittest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/ratelimit"
)

// Harness is one fresh limiter under test, with no keys counted yet.
type Harness struct {
	Limiter ratelimit.Limiter
	// Advance moves the limiter's clock forward by d and returns once the
	// limiter has seen at least d pass: a fake clock just moves; a backend
	// with a real clock (Redis expiry) waits for d.
	Advance func(d time.Duration)
}

// Factory builds a fresh limiter applying rule. It registers its own
// cleanup with t.Cleanup and fails t (never skips) when the backend is
// unreachable.
type Factory func(t *testing.T, rule ratelimit.Rule) Harness

// Window is the window of the rules the suite uses when time passes:
// short, because a real backend has to wait it out.
const Window = 300 * time.Millisecond

// Run runs the contract against the limiters newLimiter builds.
func Run(t *testing.T, newLimiter Factory) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, Factory)
	}{
		{"FreshKeyAllowed", testFreshKeyAllowed},
		{"BlocksAfterMax", testBlocksAfterMax},
		{"AllowDoesNotCount", testAllowDoesNotCount},
		{"KeysAreIndependent", testKeysAreIndependent},
		{"ResetForgets", testResetForgets},
		{"WindowExpires", testWindowExpires},
		{"WindowNotExtended", testWindowNotExtended},
		{"ConcurrentFailuresAllCount", testConcurrentFailures},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newLimiter) })
	}
}

func allow(t *testing.T, l ratelimit.Limiter, key string) (bool, time.Duration) {
	t.Helper()
	ok, retry, err := l.Allow(context.Background(), key)
	if err != nil {
		t.Fatalf("Allow: %v", err)
	}
	if ok && retry != 0 {
		t.Fatalf("Allow = true with retryAfter %v, want 0", retry)
	}
	return ok, retry
}

func fail(t *testing.T, l ratelimit.Limiter, key string, n int) {
	t.Helper()
	for range n {
		if err := l.Fail(context.Background(), key); err != nil {
			t.Fatalf("Fail: %v", err)
		}
	}
}

func mustAllow(t *testing.T, l ratelimit.Limiter, key, when string) {
	t.Helper()
	if ok, _ := allow(t, l, key); !ok {
		t.Fatalf("%s: key %q refused, want allowed", when, key)
	}
}

func mustBlock(t *testing.T, l ratelimit.Limiter, key, when string, maxRetry time.Duration) time.Duration {
	t.Helper()
	ok, retry := allow(t, l, key)
	if ok {
		t.Fatalf("%s: key %q allowed, want refused", when, key)
	}
	if retry <= 0 || retry > maxRetry {
		t.Fatalf("%s: retryAfter %v, want in (0, %v]", when, retry, maxRetry)
	}
	return retry
}

func testFreshKeyAllowed(t *testing.T, f Factory) {
	h := f(t, ratelimit.Rule{Max: 1, Window: time.Minute})
	mustAllow(t, h.Limiter, "login:acct:never-seen", "fresh key")
	mustAllow(t, h.Limiter, "", "empty key")
}

func testBlocksAfterMax(t *testing.T, f Factory) {
	rule := ratelimit.Rule{Max: 5, Window: time.Minute}
	h := f(t, rule)
	const k = "login:acct:a"
	fail(t, h.Limiter, k, rule.Max-1)
	mustAllow(t, h.Limiter, k, "after Max-1 failures")
	fail(t, h.Limiter, k, 1)
	mustBlock(t, h.Limiter, k, "after Max failures", rule.Window)
	fail(t, h.Limiter, k, 3) // more failures while blocked are harmless
	mustBlock(t, h.Limiter, k, "after more failures", rule.Window)
}

func testAllowDoesNotCount(t *testing.T, f Factory) {
	rule := ratelimit.Rule{Max: 2, Window: time.Minute}
	h := f(t, rule)
	const k = "login:ip:192.0.2.1"
	for range 10 {
		mustAllow(t, h.Limiter, k, "repeated Allow")
	}
	fail(t, h.Limiter, k, 1)
	for range 10 {
		mustAllow(t, h.Limiter, k, "repeated Allow after one failure")
	}
}

func testKeysAreIndependent(t *testing.T, f Factory) {
	rule := ratelimit.Rule{Max: 1, Window: time.Minute}
	h := f(t, rule)
	fail(t, h.Limiter, "login:acct:k1", 1)
	mustBlock(t, h.Limiter, "login:acct:k1", "blocked key", rule.Window)
	for _, other := range []string{"login:acct:k2", "login:acct:K1", "login:acct:k1 ", "login:ip:k1", "login:acct:é"} {
		mustAllow(t, h.Limiter, other, "other key")
	}
}

func testResetForgets(t *testing.T, f Factory) {
	rule := ratelimit.Rule{Max: 3, Window: time.Minute}
	h := f(t, rule)
	ctx := context.Background()
	const k = "login:acct:reset"
	if err := h.Limiter.Reset(ctx, "login:acct:unknown"); err != nil {
		t.Fatalf("Reset of an unknown key: %v", err)
	}
	fail(t, h.Limiter, k, rule.Max)
	mustBlock(t, h.Limiter, k, "before Reset", rule.Window)
	if err := h.Limiter.Reset(ctx, k); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	mustAllow(t, h.Limiter, k, "after Reset")
	fail(t, h.Limiter, k, rule.Max-1) // the count starts again from zero
	mustAllow(t, h.Limiter, k, "after Reset and Max-1 failures")
	fail(t, h.Limiter, k, 1)
	mustBlock(t, h.Limiter, k, "after Reset and Max failures", rule.Window)
}

// waitAllowed polls until key is allowed: a real backend's expiry lands a
// little after the window (timer and clock granularity).
func waitAllowed(t *testing.T, l ratelimit.Limiter, key, when string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if ok, _ := allow(t, l, key); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: key %q still refused 5 s after its window", when, key)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testWindowExpires(t *testing.T, f Factory) {
	rule := ratelimit.Rule{Max: 2, Window: Window}
	h := f(t, rule)
	const k = "login:acct:expires"
	fail(t, h.Limiter, k, rule.Max)
	mustBlock(t, h.Limiter, k, "within the window", rule.Window)
	h.Advance(rule.Window)
	waitAllowed(t, h.Limiter, k, "after the window")
	// A new window: one failure does not block again.
	fail(t, h.Limiter, k, 1)
	mustAllow(t, h.Limiter, k, "one failure in a new window")
	fail(t, h.Limiter, k, 1)
	mustBlock(t, h.Limiter, k, "Max failures in a new window", rule.Window)
}

func testWindowNotExtended(t *testing.T, f Factory) {
	rule := ratelimit.Rule{Max: 3, Window: Window}
	h := f(t, rule)
	const k = "login:acct:fixed"
	fail(t, h.Limiter, k, 1)
	h.Advance(rule.Window / 2)
	fail(t, h.Limiter, k, rule.Max-1)
	// The window opened at the first failure: at most half of it is left
	// (plus 5 ms for a backend's millisecond rounding).
	mustBlock(t, h.Limiter, k, "late failures", rule.Window/2+5*time.Millisecond)
	h.Advance(rule.Window / 2)
	waitAllowed(t, h.Limiter, k, "one window after the first failure")
}

func testConcurrentFailures(t *testing.T, f Factory) {
	const workers, each = 7, 7
	rule := ratelimit.Rule{Max: workers*each + 1, Window: time.Minute}
	h := f(t, rule)
	const k = "login:ip:198.51.100.7"
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if err := h.Limiter.Fail(context.Background(), k); err != nil {
					errs <- fmt.Errorf("fail: %w", err)
					return
				}
				if _, _, err := h.Limiter.Allow(context.Background(), k); err != nil {
					errs <- fmt.Errorf("allow: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Exactly workers*each failures were counted: one short of Max.
	mustAllow(t, h.Limiter, k, "after concurrent failures, one short of Max")
	fail(t, h.Limiter, k, 1)
	mustBlock(t, h.Limiter, k, "after the last failure", rule.Window)
}
