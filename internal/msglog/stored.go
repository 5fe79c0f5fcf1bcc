package msglog

import (
	"context"
	"sync"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

const (
	// storedTimeout bounds one call of Options.Stored.
	storedTimeout = 10 * time.Second
	// storedGap: calls of Options.Stored are at least this far apart, so
	// a burst of sends costs the search outbox ten writes a second at
	// most; the first call after a quiet moment is made at once.
	storedGap = 100 * time.Millisecond
)

// notifier tells Options.Stored of what the group commits stored, in a
// goroutine of its own, so that the next batch does not wait for it: what
// batches store while a call runs is told in the next call, in one piece.
// Calls are storedGap apart at least: under a burst of sends that is one
// search outbox write for all the group commits of 100 ms instead of one
// each; at a CPTS's usual pace, one per commit, at once. Calls never
// overlap.
type notifier struct {
	fn   func(ctx context.Context, chans []model.Channel, ms []model.Message)
	mu   sync.Mutex
	on   bool // Run's notifier goroutine takes what is queued
	ch   []model.Channel
	ms   []model.Message
	wake chan struct{} // capacity 1
}

// queue records what one group commit stored; false when no goroutine
// would take it (the caller tells fn itself).
func (n *notifier) queue(chans []model.Channel, ms []model.Message) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.on {
		return false
	}
	n.ch, n.ms = append(n.ch, chans...), append(n.ms, ms...)
	select {
	case n.wake <- struct{}{}:
	default:
	}
	return true
}

// take removes what is queued.
func (n *notifier) take() ([]model.Channel, []model.Message) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch, ms := n.ch, n.ms
	n.ch, n.ms = nil, nil
	return ch, ms
}

// run tells fn of what is queued until stop closes, then of what is left.
func (n *notifier) run(ctx context.Context, stop <-chan struct{}) {
	tell := func() bool {
		ch, ms := n.take()
		if len(ms) == 0 {
			return false
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storedTimeout)
		defer cancel()
		n.fn(cctx, ch, ms)
		return true
	}
	gap := time.NewTimer(0)
	defer gap.Stop()
	for {
		select {
		case <-n.wake:
			// Wait out the gap since the last call (or stop).
			select {
			case <-gap.C:
			case <-stop:
			}
			if tell() {
				gap.Reset(storedGap)
			} else {
				gap.Reset(0)
			}
		case <-stop:
			n.mu.Lock()
			n.on = false
			n.mu.Unlock()
			tell()
			return
		}
	}
}

// startNotifier starts the notifier goroutine for Run; the function it
// returns stops it once it told fn of everything queued.
func (l *Log) startNotifier(ctx context.Context) (stop func()) {
	n := &l.notify
	if n.fn == nil {
		return func() {}
	}
	n.mu.Lock()
	n.on = true
	n.mu.Unlock()
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		n.run(ctx, done)
	}()
	return func() {
		close(done)
		<-stopped
	}
}

// told tells Options.Stored of what a group commit stored: through the
// notifier goroutine while Run runs, else at once.
func (l *Log) told(ctx context.Context, chans []model.Channel, ms []model.Message) {
	if l.notify.fn == nil || len(ms) == 0 || l.notify.queue(chans, ms) {
		return
	}
	l.notify.fn(ctx, chans, ms)
}
