package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Limiter counts failures per key. Implementations are safe for concurrent
// use; errors come only from the backend (Redis) and never quote the key.
type Limiter interface {
	// Check reports key's state now. It does not count.
	Check(ctx context.Context, key string) (Status, error)
	// Fail records one failure for key.
	Fail(ctx context.Context, key string) error
	// Reset forgets key (after a success).
	Reset(ctx context.Context, key string) error
}

// Status is a key's state at one instant. The zero Status is a key with
// nothing counted.
type Status struct {
	// Failures is the number of failures still counted (not leaked away).
	Failures int
	// Since is the time since the key's last failure (0 without one).
	Since time.Duration
	// Wait is the delay the key's last failure called for (Rule.Delay of
	// the count it reached), from that failure: 0 below Rule.Free.
	Wait time.Duration
	// RetryAfter is Wait − Since when positive: the key must not try
	// before it has passed. 0: it may try now.
	RetryAfter time.Duration
}

// Rule says how failures of a key slow it down; see the package comment.
// Redis counts in milliseconds: durations are multiples of a millisecond.
type Rule struct {
	// Free is the number of failures that cost no wait (≥ 1): the
	// Free-th failure calls for Base before the next try.
	Free int
	// Base is the first delay; each further failure doubles it.
	Base time.Duration
	// Max caps the delay.
	Max time.Duration
	// Leak: each failure is forgotten Leak after the previous one was
	// (the count goes down by one every Leak).
	Leak time.Duration
}

// Delay is the wait after a failure that brought a key's count to n.
func (r Rule) Delay(n int) time.Duration {
	if n < r.Free {
		return 0
	}
	d := r.Base
	for i := r.Free; i < n && d < r.Max; i++ {
		d *= 2
	}
	return min(d, r.Max)
}

// maxDuration bounds the durations of a rule: Delay doubles up to twice
// Max, and Redis holds milliseconds in a Lua number (exact to 2⁵³).
const maxDuration = 365 * 24 * time.Hour

// mustValid panics on a rule that would delay nobody or overflow: rules
// are constants of the program, so this is a programming error caught at
// start-up, like regexp.MustCompile.
func (r Rule) mustValid() {
	ok := func(d time.Duration) bool {
		return d >= time.Millisecond && d <= maxDuration && d%time.Millisecond == 0
	}
	if r.Free < 1 || !ok(r.Base) || !ok(r.Max) || !ok(r.Leak) || r.Max < r.Base {
		panic(fmt.Sprintf("ratelimit: invalid rule %+v: want Free ≥ 1 and whole milliseconds from 1 ms to a year, Base ≤ Max", r))
	}
}

// state is what a limiter keeps per key, in one unit (nanoseconds for
// Memory, milliseconds for Redis, whose Lua script mirrors these steps).
type state struct {
	n    int   // the count right after the last failure
	last int64 // the last failure
	tat  int64 // when every failure counted will be forgotten
}

// counted is the number of failures not yet forgotten at now: a failure
// leaks away only once a whole Leak has passed.
func counted(s state, now, leak int64) int {
	if s.tat <= now {
		return 0
	}
	return int((s.tat - now + leak - 1) / leak)
}

var (
	_ Limiter = (*Memory)(nil)
	_ Limiter = (*Redis)(nil)
)
