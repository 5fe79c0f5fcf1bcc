package core

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// Default sending limits per user, whatever the path (REST, any number of
// tabs or WebSocket connections): a sustained rate with a burst for pasting
// a few messages at once. With several nodes the bucket lives in Redis
// (Deps.SendBucket), shared by all; when Redis fails, each node falls back
// to its own. ECPTS_SEND_RATE raises them (integrations, load tests).
const (
	sendRate  = 5.0  // messages per second, sustained
	sendBurst = 20.0 // messages at once
)

// errSendFlood and errChangeFlood: the bucket gains a token every 1/rate
// seconds (at most a second with the default rate), which Retry-After
// tells REST clients.
var (
	errWriteFlood  = floodError("Trop de requêtes à la fois : patientez quelques secondes.")
	errSendFlood   = floodError("Vous envoyez trop de messages à la fois : patientez quelques secondes.")
	errChangeFlood = floodError("Trop de modifications à la fois (réactions, corrections, suppressions) : patientez quelques secondes.")
)

func floodError(message string) *model.CodedError {
	e := model.Coded(model.ErrTooMany, "rate_limited", message)
	e.RetryAfter = time.Second
	return e
}

// SendBucket is a token bucket per user shared by the nodes
// (ratelimit.RedisBucket).
type SendBucket interface {
	Take(ctx context.Context, key string) (bool, error)
}

type floodGuard struct {
	shared  SendBucket // nil on a single node
	prefix  string     // of the shared bucket's key: one guard's buckets are not another's
	log     *slog.Logger
	rate    float64
	burst   float64
	mu      sync.Mutex
	now     func() time.Time
	buckets map[model.UserID]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// SendLimits are the per-user send rate and burst core applies for the
// configured ones (zero: the defaults), for building a SendBucket.
func SendLimits(rate, burst float64) (float64, float64) {
	if rate <= 0 {
		rate = sendRate
	}
	if burst < 1 {
		burst = max(sendBurst, rate*4)
	}
	return rate, burst
}

// Default limits of state-changing API requests per user (creating
// channels, conversations, invitations, read markers, follows…), above
// what the web app does even on a busy day: they stop a script filling the
// database. Sends and changes also count here, and in their own buckets.
const (
	writeRate     = 20.0
	minWriteBurst = 100.0
)

// WriteLimits are the per-user rate and burst of state-changing requests
// core applies for the configured rate (zero: the default).
func WriteLimits(rate float64) (float64, float64) {
	if rate <= 0 {
		rate = writeRate
	}
	return rate, max(minWriteBurst, 5*rate)
}

// AllowWrite takes one of user's state-changing requests: an error
// (rate_limited, 429 with Retry-After) once they come too fast.
func (c *Core) AllowWrite(ctx context.Context, user model.UserID) error {
	if !c.writes.allow(ctx, user) {
		return errWriteFlood
	}
	return nil
}

// newFloodGuard returns a guard of rate and burst, shared through the
// nodes' bucket when there is one, under prefix.
func newFloodGuard(now func() time.Time, log *slog.Logger, rate, burst float64, shared SendBucket, prefix string) *floodGuard {
	return &floodGuard{rate: rate, burst: burst, now: now, buckets: make(map[model.UserID]*bucket), log: log, shared: shared, prefix: prefix}
}

// allow takes one token of user's bucket: the shared one, or this node's
// when there is none or it cannot be reached.
func (f *floodGuard) allow(ctx context.Context, user model.UserID) bool {
	if f.shared != nil {
		ok, err := f.shared.Take(ctx, f.prefix+string(user))
		if err == nil {
			return ok
		}
		f.log.Warn("shared send limit unavailable, this node's applies", "err", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if now.Sub(f.swept) > time.Minute {
		// A bucket idle long enough to be full again is the same as none.
		for id, b := range f.buckets {
			if now.Sub(b.at).Seconds()*f.rate >= f.burst {
				delete(f.buckets, id)
			}
		}
		f.swept = now
	}
	b, ok := f.buckets[user]
	if !ok {
		b = &bucket{tokens: f.burst, at: now}
		f.buckets[user] = b
	}
	b.tokens = min(f.burst, b.tokens+now.Sub(b.at).Seconds()*f.rate)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
