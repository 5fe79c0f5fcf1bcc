package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Limiter counts failures per key. Implementations are safe for concurrent
// use; errors come only from the backend (Redis) and never quote the key.
type Limiter interface {
	// Allow reports whether key may try now; when not, retryAfter says how long to wait. It does not count.
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
	// Fail records one failure for key.
	Fail(ctx context.Context, key string) error
	// Reset forgets key (after a successful login).
	Reset(ctx context.Context, key string) error
}

// Rule allows Max failures per Window, e.g. 5 per 15 minutes per account
// and 30 per 15 minutes per IP address.
type Rule struct {
	Max    int
	Window time.Duration
}

// mustValid panics on a rule that would block everyone or nobody: rules
// are constants of the program, so this is a programming error caught at
// start-up, like regexp.MustCompile.
func (r Rule) mustValid() {
	if r.Max < 1 || r.Window < time.Millisecond {
		panic(fmt.Sprintf("ratelimit: invalid rule: Max %d (want ≥ 1), Window %v (want ≥ 1ms)", r.Max, r.Window))
	}
}

var (
	_ Limiter = (*Memory)(nil)
	_ Limiter = (*Redis)(nil)
)
