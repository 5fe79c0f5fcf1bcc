package core

import (
	"context"
	"log/slog"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/ratelimit"
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
	errWriteFlood  = floodError("Trop de requêtes à la fois : patientez quelques secondes.")
	errSendFlood   = floodError("Vous envoyez trop de messages à la fois : patientez quelques secondes.")
	errChangeFlood = floodError("Trop de modifications à la fois (réactions, corrections, suppressions) : patientez quelques secondes.")
)

func floodError(message string) *model.CodedError {
	e := model.Coded(model.ErrTooMany, "rate_limited", message)
	e.RetryAfter = time.Second
	return e
}

// SendLimits are the per-user send rate and burst core applies for the
// configured ones (zero: the defaults), for building the shared bucket
// (ratelimit.NewRedisBucket).
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
	if !c.limits.writes.Allow(ctx, string(user)) {
		return errWriteFlood
	}
	return nil
}

// limits are what bounds one user's pace: wrong passwords (loginWait) and
// the flood guards.
type limits struct {
	// pair, ip and account count wrong passwords per (account, client
	// address) pair, per address and per account.
	pair, ip, account ratelimit.Limiter
	sends             *ratelimit.Guard // messages sent
	changes           *ratelimit.Guard // edits, deletions, reactions: each one is fanned out too
	writes            *ratelimit.Guard // every state-changing API request (AllowWrite)
}

func newLimits(d Deps, now func() time.Time, log *slog.Logger) limits {
	srate, sburst := SendLimits(d.SendRate, d.SendBurst)
	wrate, wburst := WriteLimits(d.WriteRate)
	return limits{
		pair: d.PairLimiter, ip: d.IPLimiter, account: d.AccountLimiter,
		sends:   ratelimit.NewGuard(srate, sburst, ratelimit.GuardOptions{Shared: d.SendBucket, Now: now, Logger: log}),
		changes: ratelimit.NewGuard(srate, sburst, ratelimit.GuardOptions{Shared: d.SendBucket, Prefix: "changes:", Now: now, Logger: log}),
		writes:  ratelimit.NewGuard(wrate, wburst, ratelimit.GuardOptions{Shared: d.WriteBucket, Now: now, Logger: log}),
	}
}
