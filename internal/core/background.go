package core

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecpts/ecpts/internal/model"
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

	// Group commit of new messages (see insertMessage): committing is
	// true while Run's committers take requests; mu makes "check and
	// enqueue" atomic against Run setting it false before the last drain.
	mu         sync.RWMutex
	committing bool
	commits    chan commitReq
	// batches and batched count group commits and the messages in them.
	batches, batched atomic.Int64
}

const backgroundQueue = 4096

// Run drains the background queue with a few workers until ctx ends, then
// finishes what is queued (with a fresh context) and returns.
func (c *Core) Run(ctx context.Context) {
	c.bg.running.Store(true)
	stopCommits := make(chan struct{})
	var committers sync.WaitGroup
	c.bg.mu.Lock()
	c.bg.committing = true
	c.bg.mu.Unlock()
	for range groupCommitters {
		committers.Go(func() { c.commitLoop(ctx, stopCommits) })
	}
	defer func() {
		c.bg.mu.Lock()
		c.bg.committing = false
		c.bg.mu.Unlock()
		close(stopCommits)
		committers.Wait()
	}()
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

// Group commit. A send used to be one insert command, each with its own
// FerretDB round trip and PostgreSQL transaction; under load the inserts
// of all channels now wait a moment in a queue and a committer stores
// whatever has gathered in one unordered insert. A channel still has one
// message in flight at a time (its lock is held across the insert), so a
// batch holds at most one message per channel and a conflict can never
// leave a gap behind it.
const (
	groupCommitters = 2   // batches in flight at once
	groupCommitMax  = 128 // messages per batch
	commitQueue     = 4096
	commitTimeout   = 10 * time.Second
)

type commitReq struct {
	m    model.Message
	done chan error // buffered: the committer never waits for the sender
}

// insertMessage stores a new message, through the group commit when Run
// is running (else, or when its queue is full, directly). It returns once
// the message is durably stored or refused.
func (c *Core) insertMessage(ctx context.Context, m model.Message) error {
	req := commitReq{m: m, done: make(chan error, 1)}
	c.bg.mu.RLock()
	queued := false
	if c.bg.committing {
		select {
		case c.bg.commits <- req:
			queued = true
		default:
		}
	}
	c.bg.mu.RUnlock()
	if !queued {
		return c.st.Messages.Insert(ctx, m)
	}
	// Wait even if ctx ends: the insert may happen, and the caller must
	// know whether it did to keep the channel's seq right.
	return <-req.done
}

// commitLoop stores batches of queued messages until stop is closed, then
// stores what is left.
func (c *Core) commitLoop(ctx context.Context, stop <-chan struct{}) {
	batch := make([]commitReq, 0, groupCommitMax)
	for {
		var first commitReq
		select {
		case first = <-c.bg.commits:
		case <-stop:
			for {
				select {
				case r := <-c.bg.commits:
					c.commit(ctx, append(batch[:0], r))
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	gather:
		for len(batch) < groupCommitMax {
			select {
			case r := <-c.bg.commits:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		c.commit(ctx, batch)
	}
}

func (c *Core) commit(ctx context.Context, batch []commitReq) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	ms := make([]model.Message, len(batch))
	for i, r := range batch {
		ms[i] = r.m
	}
	errs := c.st.Messages.InsertMany(ctx, ms)
	c.bg.batches.Add(1)
	c.bg.batched.Add(int64(len(batch)))
	for i, r := range batch {
		r.done <- errs[i]
	}
}
