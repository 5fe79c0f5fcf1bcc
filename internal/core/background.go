package core

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecpts/ecpts/internal/tick"
)

// Work that follows a write but that the writer need not wait for —
// mention counts, thread following, the author's read marker, the
// channel's recorded last seq — goes to a bounded queue drained by Run, so
// a send is acknowledged as soon as the message is stored. Without Run
// (tests, tools) or when the queue is full, the work runs inline: it is
// never dropped.
type background struct {
	queue   chan func(context.Context)
	running atomic.Bool
	wg      sync.WaitGroup

	// reads: the authors' read markers to write (see authorRead).
	readsMu sync.Mutex
	reads   map[markerKey]uint64
	// pending: background writes a newer one makes useless.
	pending supersede
}

const backgroundQueue = 4096

// Run drains the background queue with a few workers, and runs the
// message log's group commit, until ctx ends; then it finishes what is
// queued (with a fresh context) and returns once both are done.
func (c *Core) Run(ctx context.Context) {
	c.bg.running.Store(true)
	var committer sync.WaitGroup
	committer.Go(func() { c.msgs.Run(ctx) })
	defer committer.Wait()
	const workers = 4
	for range workers {
		c.bg.wg.Go(func() {
			for {
				select {
				case fn := <-c.bg.queue:
					fn(context.WithoutCancel(ctx))
				case <-ctx.Done():
					return
				}
			}
		})
	}
	c.every(ctx, authorReadEvery, func() { c.flushAuthorReads(context.WithoutCancel(ctx)) })
	c.every(ctx, orphanSweepEvery, func() {
		if n, err := c.CleanOrphans(ctx); err != nil {
			c.log.Error("orphan files cleanup", "err", err)
		} else if n > 0 {
			c.log.Info("orphan files removed", "count", n)
		}
	})
	<-ctx.Done()
	c.bg.running.Store(false)
	c.bg.wg.Wait()
	for {
		select {
		case fn := <-c.bg.queue:
			fn(context.WithoutCancel(ctx))
		default:
			c.flushAuthorReads(context.WithoutCancel(ctx))
			return
		}
	}
}

// every runs fn every d, in a background goroutine Run waits for, until
// ctx ends.
func (c *Core) every(ctx context.Context, d time.Duration, fn func()) {
	c.bg.wg.Go(func() { tick.Every(ctx, d, fn) })
}

// later runs fn after the current request, or now when Run is not running
// or the queue is full.
func (c *Core) later(ctx context.Context, fn func(context.Context)) {
	if c.bg.running.Load() {
		select {
		case c.bg.queue <- fn:
			return
		default:
		}
	}
	fn(ctx)
}

// supersede lets background work skip a write that a newer queued one
// makes useless: the channel's recorded last seq and the author's read
// marker only ever move up, so when sends queue faster than the workers
// drain them, only the newest of each is written.
type supersede struct {
	mu sync.Mutex
	m  map[string]uint64
}

// note records that work for key up to seq is queued.
func (s *supersede) note(key string, seq uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]uint64)
	}
	s.m[key] = max(s.m[key], seq)
}

// take reports whether the work for key at seq must run: false when work
// for a higher seq is queued (it will do this one's job).
func (s *supersede) take(key string, seq uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[key] > seq {
		return false
	}
	delete(s.m, key)
	return true
}
