package core

import (
	"context"
	"sync"
	"sync/atomic"
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
}

const backgroundQueue = 4096

// Run drains the background queue with a few workers until ctx ends, then
// finishes what is queued (with a fresh context) and returns.
func (c *Core) Run(ctx context.Context) {
	c.bg.running.Store(true)
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
	<-ctx.Done()
	c.bg.running.Store(false)
	c.bg.wg.Wait()
	for {
		select {
		case fn := <-c.bg.queue:
			fn(context.WithoutCancel(ctx))
		default:
			return
		}
	}
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
