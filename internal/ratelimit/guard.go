package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Bucket is a token bucket per key that several nodes share (RedisBucket).
type Bucket interface {
	// Take takes one token of key's bucket; false when it is empty.
	Take(ctx context.Context, key string) (bool, error)
}

// Guard bounds how fast each key (a user) may act: a token bucket per key
// of rate tokens per second up to burst, one taken per Allow. With a
// shared Bucket the nodes count together; when it cannot be reached, each
// node falls back to its own buckets, so a Redis failure neither blocks
// nor frees everyone. Safe for concurrent use.
type Guard struct {
	shared Bucket // nil on a single node
	prefix string // of the shared bucket's keys: one guard's buckets are not another's
	log    *slog.Logger
	rate   float64
	burst  float64
	now    func() time.Time

	mu      sync.Mutex
	buckets map[string]*tokens
	swept   time.Time
}

type tokens struct {
	n  float64
	at time.Time
}

// GuardOptions are a Guard's optional parts.
type GuardOptions struct {
	// Shared is the nodes' bucket (nil: this node's alone); Prefix sets
	// this guard's keys apart in it.
	Shared Bucket
	Prefix string
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default slog.Default()
}

// NewGuard returns a guard of rate tokens per second and bursts of burst.
func NewGuard(rate, burst float64, o GuardOptions) *Guard {
	g := &Guard{rate: rate, burst: burst, shared: o.Shared, prefix: o.Prefix, now: o.Now, log: o.Logger, buckets: make(map[string]*tokens)}
	if g.now == nil {
		g.now = time.Now
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	return g
}

// Allow takes one token of key's bucket: the shared one, or this node's
// when there is none or it cannot be reached. False: key goes too fast.
func (g *Guard) Allow(ctx context.Context, key string) bool {
	if g.shared != nil {
		ok, err := g.shared.Take(ctx, g.prefix+key)
		if err == nil {
			return ok
		}
		g.log.Warn("shared send limit unavailable, this node's applies", "err", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if now.Sub(g.swept) > time.Minute {
		// A bucket idle long enough to be full again is the same as none.
		for k, b := range g.buckets {
			if now.Sub(b.at).Seconds()*g.rate >= g.burst {
				delete(g.buckets, k)
			}
		}
		g.swept = now
	}
	b, ok := g.buckets[key]
	if !ok {
		b = &tokens{n: g.burst, at: now}
		g.buckets[key] = b
	}
	b.n = min(g.burst, b.n+now.Sub(b.at).Seconds()*g.rate)
	b.at = now
	if b.n < 1 {
		return false
	}
	b.n--
	return true
}
