package core

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
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
	// The commit queue: unbounded (each sender waits for its own request,
	// so it holds at most one per concurrent send), appended to under the
	// channel's lock so that a channel's requests queue in seq order.
	cmu   sync.Mutex
	cq    []*commitReq
	cwake chan struct{} // capacity 1: something was queued
	// reads: the authors' read markers to write (see authorRead).
	readsMu sync.Mutex
	reads   map[markerKey]uint64
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
	committers.Go(func() { c.commitLoop(ctx, stopCommits) })
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
	c.bg.wg.Go(func() {
		t := time.NewTicker(authorReadEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				c.flushAuthorReads(context.WithoutCancel(ctx))
			case <-ctx.Done():
				return
			}
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

// Group commit and per-channel pipelining. A send used to be one insert
// command, each with its own FerretDB round trip and PostgreSQL
// transaction, and a channel had one message in flight at a time (its
// lock held across the insert), so one channel took at most 1/latency
// messages a second and its senders queued on the lock. Now a sender
// takes the next seq under the channel's lock, queues the message and
// waits without the lock; one committer stores whatever has gathered in
// one ordered insert. Ordered is what keeps seqs gap-free without
// transactions: the insert stops at the first failure, so no message of a
// channel is stored after one of its messages failed. The committer then
// "breaks" that channel (settle): its generation moves on, so its requests
// still queued are sent back to be numbered again (errRenumber), and its
// next seq falls back to the last stored one.
const (
	groupCommitMax = store.MaxInsertBatch // messages per batch
	commitTimeout  = 10 * time.Second
)

// errRenumber sends a request back to its sender: an earlier message of
// its channel failed, so its seq must be assigned again.
var errRenumber = errors.New("core: seq to be assigned again")

type commitReq struct {
	st    *chanState
	gen   uint64        // st.gen when the seq was assigned
	plain model.Message // as the window holds it (decrypted)
	m     model.Message // as stored (sealed for a conversation)
	done  chan error    // buffered: the committer never waits for the sender
}

// enqueueCommit queues r for the committer; false when Run is not
// committing (the caller stores it itself). Caller holds r.st.mu.
func (c *Core) enqueueCommit(r *commitReq) bool {
	c.bg.mu.RLock()
	defer c.bg.mu.RUnlock()
	if !c.bg.committing {
		return false
	}
	c.bg.cmu.Lock()
	c.bg.cq = append(c.bg.cq, r)
	c.bg.cmu.Unlock()
	select {
	case c.bg.cwake <- struct{}{}:
	default:
	}
	return true
}

// takeCommits removes up to groupCommitMax queued requests.
func (c *Core) takeCommits(batch []*commitReq) []*commitReq {
	c.bg.cmu.Lock()
	defer c.bg.cmu.Unlock()
	n := min(len(c.bg.cq), groupCommitMax)
	batch = append(batch[:0], c.bg.cq[:n]...)
	rest := copy(c.bg.cq, c.bg.cq[n:])
	clear(c.bg.cq[rest:])
	c.bg.cq = c.bg.cq[:rest]
	if rest > 0 {
		select {
		case c.bg.cwake <- struct{}{}:
		default:
		}
	}
	return batch
}

// commitLoop stores batches of queued messages until stop is closed, then
// stores what is left. It is the only committer: a channel's batches are
// stored one after the other, in seq order.
func (c *Core) commitLoop(ctx context.Context, stop <-chan struct{}) {
	var batch []*commitReq
	for {
		select {
		case <-c.bg.cwake:
		case <-stop:
			for {
				if batch = c.takeCommits(batch); len(batch) == 0 {
					return
				}
				c.commit(ctx, batch)
			}
		}
		if batch = c.takeCommits(batch); len(batch) > 0 {
			c.commit(ctx, batch)
		}
	}
}

// commit stores batch in order and answers each request.
func (c *Core) commit(ctx context.Context, batch []*commitReq) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	ms := make([]model.Message, 0, len(batch))
	for len(batch) > 0 {
		// Requests of a channel broken since they were queued go back.
		live := batch[:0]
		for _, r := range batch {
			r.st.mu.Lock()
			stale := r.gen != r.st.gen
			r.st.mu.Unlock()
			if stale {
				r.done <- errRenumber
				continue
			}
			live = append(live, r)
		}
		batch = live
		if len(batch) == 0 {
			return
		}
		ms = ms[:0]
		for _, r := range batch {
			ms = append(ms, r.m)
		}
		errs := c.st.Messages.InsertMany(ctx, ms)
		c.bg.batches.Add(1)
		// Answer every attempted request (stored, or the failure); what
		// the failure stopped goes round again, where the filter above
		// sends the failed channel's requests back.
		retry := batch[:0]
		for i, r := range batch {
			if errors.Is(errs[i], store.ErrNotAttempted) {
				retry = append(retry, r)
				continue
			}
			if errs[i] == nil {
				c.bg.batched.Add(1)
			}
			r.st.mu.Lock()
			c.settleLocked(r, errs[i])
			r.st.mu.Unlock()
			r.done <- errs[i]
		}
		batch = retry
	}
}

// settleLocked records the outcome of storing r: a stored message becomes
// the channel's last; a failure breaks the channel (see errRenumber), and
// an error that may have stored it or not makes the next send find the
// last seq in the store again. Caller holds r.st.mu.
func (c *Core) settleLocked(r *commitReq, err error) {
	st := r.st
	if err == nil {
		if r.plain.Seq > st.last {
			st.last = r.plain.Seq
			st.remember(r.plain)
		}
		return
	}
	st.gen++
	st.next = st.last
	if !errors.Is(err, model.ErrConflict) {
		st.loaded = false
		st.forget()
	}
}
