package msglog

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

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
var errRenumber = errors.New("msglog: seq to be assigned again")

// committer is the group commit's queue (see Append).
type committer struct {
	// committing is true while Run takes requests; mu makes "check and
	// enqueue" atomic against Run setting it false before the last drain.
	mu         sync.RWMutex
	committing bool
	// The queue: unbounded (each sender waits for its own request, so it
	// holds at most one per concurrent send), appended to under the
	// channel's lock so that a channel's requests queue in seq order.
	qmu  sync.Mutex
	q    []*commitReq
	wake chan struct{} // capacity 1: something was queued
	// batches and batched count group commits and the messages in them.
	batches, batched atomic.Int64
}

type commitReq struct {
	st    *chanState
	ch    model.Channel // for Options.Stored
	gen   uint64        // st.gen when the seq was assigned
	plain model.Message // as the window holds it (decrypted)
	m     model.Message // as stored (sealed for a conversation)
	done  chan error    // buffered: the committer never waits for the sender
}

// Run is the committer: it stores batches of queued messages until ctx
// ends, then stores what is left and returns. It is the only committer:
// a channel's batches are stored one after the other, in seq order.
// Without Run each sender stores its own message.
func (l *Log) Run(ctx context.Context) {
	defer l.startNotifier(ctx)()
	l.setCommitting(true)
	var batch []*commitReq
	for {
		select {
		case <-l.commits.wake:
		case <-ctx.Done():
			// From now on senders store their own: what is queued is all
			// that is left.
			l.setCommitting(false)
			for {
				if batch = l.takeCommits(batch); len(batch) == 0 {
					return
				}
				l.commit(ctx, batch)
			}
		}
		if batch = l.takeCommits(batch); len(batch) > 0 {
			l.commit(ctx, batch)
		}
	}
}

// Commits returns how many group commits stored messages so far, and how
// many messages they stored.
func (l *Log) Commits() (batches, messages int64) {
	return l.commits.batches.Load(), l.commits.batched.Load()
}

func (l *Log) setCommitting(on bool) {
	l.commits.mu.Lock()
	l.commits.committing = on
	l.commits.mu.Unlock()
}

// enqueueCommit queues r for the committer; false when Run is not
// committing (the caller stores it itself). Caller holds r.st.mu.
func (l *Log) enqueueCommit(r *commitReq) bool {
	c := &l.commits
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.committing {
		return false
	}
	c.qmu.Lock()
	c.q = append(c.q, r)
	c.qmu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return true
}

// takeCommits removes up to groupCommitMax queued requests.
func (l *Log) takeCommits(batch []*commitReq) []*commitReq {
	c := &l.commits
	c.qmu.Lock()
	defer c.qmu.Unlock()
	n := min(len(c.q), groupCommitMax)
	batch = append(batch[:0], c.q[:n]...)
	rest := copy(c.q, c.q[n:])
	clear(c.q[rest:])
	c.q = c.q[:rest]
	if rest > 0 {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return batch
}

// commit stores batch in order and answers each request.
func (l *Log) commit(ctx context.Context, batch []*commitReq) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	ms := make([]model.Message, 0, len(batch))
	var storedCh []model.Channel
	var stored []model.Message
	defer func() { l.told(ctx, storedCh, stored) }()
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
		errs := l.msgs.InsertMany(ctx, ms)
		l.commits.batches.Add(1)
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
				l.commits.batched.Add(1)
				if l.notify.fn != nil {
					storedCh = append(storedCh, r.ch)
					stored = append(stored, r.plain)
				}
			}
			r.st.mu.Lock()
			settleLocked(r, errs[i])
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
func settleLocked(r *commitReq, err error) {
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
