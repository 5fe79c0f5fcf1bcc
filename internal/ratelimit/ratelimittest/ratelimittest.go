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
	// Advance moves the limiter's clock (the one it was built with)
	// forward by d. Nothing in the suite waits for real time.
	Advance func(d time.Duration)
}

// Factory builds a fresh limiter applying rule on a clock of its own. It
// registers its own cleanup with t.Cleanup and fails t (never skips) when
// the backend is unreachable.
type Factory func(t *testing.T, rule ratelimit.Rule) Harness

// rule is the login pair's shape, in short: 3 free failures, then 1 s,
// 2 s, 4 s… up to 10 s; one failure forgotten every minute.
var rule = ratelimit.Rule{Free: 3, Base: time.Second, Max: 10 * time.Second, Leak: time.Minute}

// Run runs the contract against the limiters newLimiter builds.
func Run(t *testing.T, newLimiter Factory) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, Factory)
	}{
		{"FreshKey", testFreshKey},
		{"FreeFailures", testFreeFailures},
		{"GrowingDelays", testGrowingDelays},
		{"RetryAfterCountsDown", testRetryAfterCountsDown},
		{"CheckDoesNotCount", testCheckDoesNotCount},
		{"KeysAreIndependent", testKeysAreIndependent},
		{"ResetForgets", testResetForgets},
		{"FailuresLeakOneByOne", testLeak},
		{"AllForgotten", testAllForgotten},
		{"ManyFailuresStayAtMax", testManyFailures},
		{"ConcurrentFailuresAllCount", testConcurrentFailures},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newLimiter) })
	}
}

func check(t *testing.T, l ratelimit.Limiter, key string) ratelimit.Status {
	t.Helper()
	s, err := l.Check(context.Background(), key)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return s
}

func fail(t *testing.T, l ratelimit.Limiter, key string, n int) {
	t.Helper()
	for range n {
		if err := l.Fail(context.Background(), key); err != nil {
			t.Fatalf("Fail: %v", err)
		}
	}
}

func mustStatus(t *testing.T, l ratelimit.Limiter, key, when string, want ratelimit.Status) {
	t.Helper()
	if got := check(t, l, key); got != want {
		t.Fatalf("%s: Check(%q) = %+v, want %+v", when, key, got, want)
	}
}

func testFreshKey(t *testing.T, f Factory) {
	h := f(t, rule)
	mustStatus(t, h.Limiter, "login:pair:never-seen", "fresh key", ratelimit.Status{})
	mustStatus(t, h.Limiter, "", "empty key", ratelimit.Status{})
}

func testFreeFailures(t *testing.T, f Factory) {
	h := f(t, rule)
	const k = "login:pair:a"
	for i := 1; i < rule.Free; i++ {
		fail(t, h.Limiter, k, 1)
		mustStatus(t, h.Limiter, k, fmt.Sprintf("after %d failures", i), ratelimit.Status{Failures: i})
	}
	fail(t, h.Limiter, k, 1)
	mustStatus(t, h.Limiter, k, "after Free failures", ratelimit.Status{Failures: rule.Free, Wait: time.Second, RetryAfter: time.Second})
}

func testGrowingDelays(t *testing.T, f Factory) {
	h := f(t, rule)
	const k = "login:pair:guesser"
	fail(t, h.Limiter, k, rule.Free)
	for i, want := range []time.Duration{1, 2, 4, 8, 10, 10} {
		want *= time.Second
		mustStatus(t, h.Limiter, k, fmt.Sprintf("delay %d", i),
			ratelimit.Status{Failures: rule.Free + i, Wait: want, RetryAfter: want})
		h.Advance(want)
		mustStatus(t, h.Limiter, k, fmt.Sprintf("after delay %d", i),
			ratelimit.Status{Failures: rule.Free + i, Since: want, Wait: want})
		fail(t, h.Limiter, k, 1)
	}
}

func testRetryAfterCountsDown(t *testing.T, f Factory) {
	h := f(t, rule)
	const k = "login:pair:b"
	fail(t, h.Limiter, k, rule.Free+2) // 4 s
	h.Advance(1500 * time.Millisecond)
	mustStatus(t, h.Limiter, k, "1.5 s later", ratelimit.Status{
		Failures: rule.Free + 2, Since: 1500 * time.Millisecond, Wait: 4 * time.Second, RetryAfter: 2500 * time.Millisecond})
	h.Advance(2499 * time.Millisecond)
	if s := check(t, h.Limiter, k); s.RetryAfter != time.Millisecond {
		t.Fatalf("1 ms before the end: RetryAfter %v", s.RetryAfter)
	}
	h.Advance(time.Millisecond)
	if s := check(t, h.Limiter, k); s.RetryAfter != 0 {
		t.Fatalf("at the end: RetryAfter %v", s.RetryAfter)
	}
}

func testCheckDoesNotCount(t *testing.T, f Factory) {
	h := f(t, rule)
	const k = "login:ip:192.0.2.1"
	for range 10 {
		mustStatus(t, h.Limiter, k, "repeated Check", ratelimit.Status{})
	}
	fail(t, h.Limiter, k, 1)
	for range 10 {
		mustStatus(t, h.Limiter, k, "repeated Check after one failure", ratelimit.Status{Failures: 1})
	}
}

func testKeysAreIndependent(t *testing.T, f Factory) {
	h := f(t, rule)
	fail(t, h.Limiter, "login:acct:k1", rule.Free)
	if s := check(t, h.Limiter, "login:acct:k1"); s.RetryAfter == 0 {
		t.Fatalf("k1 after Free failures: %+v", s)
	}
	for _, other := range []string{"login:acct:k2", "login:acct:K1", "login:acct:k1 ", "login:ip:k1", "login:acct:é"} {
		mustStatus(t, h.Limiter, other, "other key", ratelimit.Status{})
	}
}

func testResetForgets(t *testing.T, f Factory) {
	h := f(t, rule)
	ctx := context.Background()
	const k = "login:pair:reset"
	if err := h.Limiter.Reset(ctx, "login:pair:unknown"); err != nil {
		t.Fatalf("Reset of an unknown key: %v", err)
	}
	fail(t, h.Limiter, k, rule.Free+3)
	if err := h.Limiter.Reset(ctx, k); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	mustStatus(t, h.Limiter, k, "after Reset", ratelimit.Status{})
	fail(t, h.Limiter, k, rule.Free) // the count starts again from zero
	mustStatus(t, h.Limiter, k, "after Reset and Free failures", ratelimit.Status{Failures: rule.Free, Wait: time.Second, RetryAfter: time.Second})
}

func testLeak(t *testing.T, f Factory) {
	h := f(t, rule)
	const k = "login:ip:shared"
	fail(t, h.Limiter, k, rule.Free+1) // 2 s
	h.Advance(rule.Leak - time.Millisecond)
	if s := check(t, h.Limiter, k); s.Failures != rule.Free+1 {
		t.Fatalf("1 ms before a Leak: %d failures, want %d", s.Failures, rule.Free+1)
	}
	h.Advance(time.Millisecond)
	mustStatus(t, h.Limiter, k, "one Leak later", ratelimit.Status{Failures: rule.Free, Since: rule.Leak, Wait: 2 * time.Second})
	h.Advance(rule.Leak)
	mustStatus(t, h.Limiter, k, "two Leaks later", ratelimit.Status{Failures: rule.Free - 1, Since: 2 * rule.Leak, Wait: 2 * time.Second})
	// A failure now counts from what is left: Free, so the first delay.
	fail(t, h.Limiter, k, 1)
	mustStatus(t, h.Limiter, k, "a failure after two Leaks", ratelimit.Status{Failures: rule.Free, Wait: time.Second, RetryAfter: time.Second})
	// Failures spaced by a Leak never add up.
	h.Advance(10 * rule.Leak)
	for i := range 10 {
		fail(t, h.Limiter, k, 1)
		mustStatus(t, h.Limiter, k, fmt.Sprintf("spaced failure %d", i), ratelimit.Status{Failures: 1})
		h.Advance(rule.Leak)
	}
}

func testAllForgotten(t *testing.T, f Factory) {
	h := f(t, rule)
	const k = "login:pair:forgotten"
	fail(t, h.Limiter, k, 7)
	h.Advance(7*rule.Leak - time.Millisecond)
	if s := check(t, h.Limiter, k); s.Failures != 1 {
		t.Fatalf("1 ms before the last Leak: %+v", s)
	}
	h.Advance(time.Millisecond)
	mustStatus(t, h.Limiter, k, "every failure leaked", ratelimit.Status{})
	fail(t, h.Limiter, k, 1)
	mustStatus(t, h.Limiter, k, "a new failure", ratelimit.Status{Failures: 1})
}

func testManyFailures(t *testing.T, f Factory) {
	h := f(t, rule)
	const k = "login:pair:many"
	fail(t, h.Limiter, k, 200)
	mustStatus(t, h.Limiter, k, "200 failures", ratelimit.Status{Failures: 200, Wait: rule.Max, RetryAfter: rule.Max})
	if d := (ratelimit.Rule{Free: 1, Base: time.Millisecond, Max: 365 * 24 * time.Hour, Leak: time.Hour}).Delay(1 << 30); d != 365*24*time.Hour {
		t.Fatalf("Delay of a huge count = %v, want Max", d)
	}
}

func testConcurrentFailures(t *testing.T, f Factory) {
	const workers, each = 7, 7
	h := f(t, ratelimit.Rule{Free: workers*each + 1, Base: time.Second, Max: time.Minute, Leak: time.Hour})
	const k = "login:ip:198.51.100.7"
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range each {
				if err := h.Limiter.Fail(context.Background(), k); err != nil {
					errs <- fmt.Errorf("fail: %w", err)
					return
				}
				if _, err := h.Limiter.Check(context.Background(), k); err != nil {
					errs <- fmt.Errorf("check: %w", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Exactly workers*each failures were counted: one short of Free.
	mustStatus(t, h.Limiter, k, "after concurrent failures", ratelimit.Status{Failures: workers * each})
	fail(t, h.Limiter, k, 1)
	mustStatus(t, h.Limiter, k, "after the last failure", ratelimit.Status{Failures: workers*each + 1, Wait: time.Second, RetryAfter: time.Second})
}
