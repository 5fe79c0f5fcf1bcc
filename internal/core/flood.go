package core

import (
	"sync"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// Default sending limits per user, whatever the path (REST, any number of
// tabs or WebSocket connections): a sustained rate with a burst for pasting
// a few messages at once. Per node: with several nodes a user may send up
// to that many times more, which still bounds a flood. ECPTS_SEND_RATE
// raises them (integrations, load tests).
const (
	sendRate  = 5.0  // messages per second, sustained
	sendBurst = 20.0 // messages at once
)

var errSendFlood = model.Coded(model.ErrTooMany, "rate_limited", "Vous envoyez trop de messages à la fois : patientez quelques secondes.")

type floodGuard struct {
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

func newFloodGuard(now func() time.Time, rate, burst float64) *floodGuard {
	if rate <= 0 {
		rate = sendRate
	}
	if burst < 1 {
		burst = max(sendBurst, rate*4)
	}
	return &floodGuard{rate: rate, burst: burst, now: now, buckets: make(map[model.UserID]*bucket)}
}

// allow takes one token of user's bucket.
func (f *floodGuard) allow(user model.UserID) bool {
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
