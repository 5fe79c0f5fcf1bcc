package msglog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/ecpts/ecpts/internal/model"
)

// WindowSize is how many recent messages of a channel each node keeps in
// memory: resumes and the newest history page are served from it without
// a store read. Resumes further back than MaxReplay go through REST.
const (
	WindowSize = 256
	MaxReplay  = 1000
)

// chanState is this node's view of one channel's sequence. mu serialises
// the writes of the channel on this node: sequence assignment (insert at
// last+1 under the unique index, retry on conflict, so a failed write never
// burns a number) and the read-modify-write of edits, reactions and thread
// replies (FerretDB applies updates as read-modify-write).
type chanState struct {
	mu     sync.Mutex
	loaded bool
	last   uint64          // highest seq known stored
	window []model.Message // contiguous, ascending, ending at last (decrypted)
	// clients indexes window by author and client id (a repeated send
	// is looked up on every send).
	clients map[clientKey]uint64
	// Sends in flight (see commit): next is the highest seq assigned on
	// this node, stored or queued (the next send takes max(next, last)+1);
	// gen moves on when a queued message failed, sending back the
	// channel's requests queued after it; inflight holds, by author and
	// client id, a channel closed when that send is over (a repeat sent
	// meanwhile waits for it).
	next     uint64
	gen      uint64
	inflight map[clientKey]chan struct{}
	// unpublished holds, ascending, the seqs assigned on this node whose
	// sends are not over (see Log.Publish): a seq is added when assigned,
	// removed when its store fails, when its publication runs or when its
	// sender calls Published. turns holds, by seq, the channel a sender
	// waiting in Publish sleeps on: closed when every seq below its own is
	// over, so that a removal wakes the one sender whose turn came, not
	// every waiter (k wake-ups a message with k senders waiting).
	unpublished []uint64
	turns       map[uint64]chan struct{}
	// ready holds, ascending, the publications waiting for their turn
	// (Log.Publish); draining is set while one goroutine runs a batch.
	ready    []*pendingPub
	draining bool
	// recorded is the last seq written to the store's channel_seqs (a
	// hint LastSeq gallops from), by Record.
	recorded atomic.Uint64
}

// recordEvery: the channel's last seq is recorded every so many messages;
// finding the true one from a hint that far behind costs a few lookups.
const recordEvery = 16

// recordDue reports whether seq should be recorded, and claims it.
func (st *chanState) recordDue(seq uint64) bool {
	for {
		r := st.recorded.Load()
		if r != 0 && seq < r+recordEvery {
			return false
		}
		if st.recorded.CompareAndSwap(r, seq) {
			return true
		}
	}
}

type clientKey struct {
	author model.UserID
	client string
}

// forget empties the window.
func (st *chanState) forget() {
	st.window, st.clients = nil, nil
}

type chanStates struct {
	mu sync.Mutex
	m  map[model.ChannelID]*chanState
}

func (l *Log) state(id model.ChannelID) *chanState {
	l.states.mu.Lock()
	defer l.states.mu.Unlock()
	st, ok := l.states.m[id]
	if !ok {
		st = &chanState{}
		l.states.m[id] = st
	}
	return st
}

// syncLast makes st.last the channel's true last seq. On a single node it
// is exact once loaded. With several nodes another one may have written:
// the shared window (one Redis round trip) says how far; without it, or
// when it knows less than this node (Redis lost its state), the store is
// probed from what is known (a few _id lookups) and the window told.
// Caller holds st.mu.
func (l *Log) syncLast(ctx context.Context, st *chanState, ch model.ChannelID) error {
	if st.loaded && !l.multiNode {
		return nil
	}
	if l.win != nil && st.loaded {
		last, _, _, err := l.win.Range(ctx, ch, 1, 0, 0)
		if err != nil {
			l.log.Warn("shared window: last seq", "channel_id", ch, "err", err)
		} else if last >= st.last {
			if last != st.last {
				st.forget() // another node wrote: our window no longer ends at last
			}
			st.last = last
			return nil
		}
	}
	hint := st.last
	if !st.loaded {
		seqs, err := l.seqs.Many(ctx, []model.ChannelID{ch})
		if err != nil {
			return fmt.Errorf("msglog: recorded seq of %s: %w", ch, err)
		}
		hint = max(hint, seqs[ch])
	}
	last, err := l.msgs.LastSeq(ctx, ch, hint)
	if err != nil {
		return fmt.Errorf("msglog: last seq of %s: %w", ch, err)
	}
	if l.win != nil {
		if _, err := l.win.Observe(ctx, ch, last); err != nil {
			l.log.Warn("shared window: observe last seq", "channel_id", ch, "err", err)
		}
	}
	if last != st.last {
		st.forget() // another node wrote: our window no longer ends at last
	}
	st.last, st.loaded = last, true
	return nil
}

// remember appends a just-stored message to the window.
func (st *chanState) remember(m model.Message) {
	if len(st.window) > 0 && st.window[len(st.window)-1].Seq+1 != m.Seq {
		st.forget()
	}
	st.window = append(st.window, m)
	if st.clients == nil {
		st.clients = make(map[clientKey]uint64, 2*WindowSize)
	}
	st.clients[clientKey{m.AuthorID, m.ClientID}] = m.Seq
	// Trim only once it holds twice the size: copying the window on every
	// send once it is full cost a copy of 256 messages per message.
	if len(st.window) > 2*WindowSize {
		cut := len(st.window) - WindowSize
		for _, old := range st.window[:cut] {
			delete(st.clients, clientKey{old.AuthorID, old.ClientID})
		}
		st.window = append(st.window[:0:0], st.window[cut:]...)
	}
}

// replace updates a message held in the window.
func (st *chanState) replace(m model.Message) {
	if i, ok := st.index(m.Seq); ok {
		st.window[i] = m
	}
}

func (st *chanState) index(seq uint64) (int, bool) {
	if len(st.window) == 0 {
		return 0, false
	}
	first := st.window[0].Seq
	if seq < first || seq > st.window[len(st.window)-1].Seq {
		return 0, false
	}
	return int(seq - first), true
}

// span returns copies of the window's messages from..to when it holds them
// all.
func (st *chanState) span(from, to uint64) ([]model.Message, bool) {
	if from > to {
		return nil, true
	}
	i, ok := st.index(from)
	j, ok2 := st.index(to)
	if !ok || !ok2 {
		return nil, false
	}
	return append([]model.Message(nil), st.window[i:j+1]...), true
}

// byClient finds a message of the window by its author and client id.
func (st *chanState) byClient(author model.UserID, clientID string) (model.Message, bool) {
	seq, ok := st.clients[clientKey{author, clientID}]
	if !ok {
		return model.Message{}, false
	}
	i, ok := st.index(seq)
	if !ok {
		return model.Message{}, false
	}
	return st.window[i], true
}

// addUnpublished records seq as assigned and not yet published. Caller
// holds st.mu.
func (st *chanState) addUnpublished(seq uint64) {
	i, found := slices.BinarySearch(st.unpublished, seq)
	if !found {
		st.unpublished = slices.Insert(st.unpublished, i, seq)
	}
}

// removeUnpublished drops seq and wakes the sends waiting for their turn.
// Caller holds st.mu.
func (st *chanState) removeUnpublished(seq uint64) {
	if st.dropUnpublished(seq) {
		st.wakeTurns()
	}
}

// dropUnpublished removes seq from unpublished and reports whether it was
// the first (only then may a turn have come). Caller holds st.mu.
func (st *chanState) dropUnpublished(seq uint64) bool {
	i, found := slices.BinarySearch(st.unpublished, seq)
	if !found {
		return false
	}
	st.unpublished = slices.Delete(st.unpublished, i, i+1)
	if w, ok := st.turns[seq]; ok { // its sender gave up waiting
		close(w)
		delete(st.turns, seq)
	}
	return i == 0
}

// wakeTurns wakes the senders whose turn has come. Caller holds st.mu.
func (st *chanState) wakeTurns() {
	for s, w := range st.turns {
		if st.runnable(s) {
			close(w)
			delete(st.turns, s)
		}
	}
}

// turnOf returns the channel closed when seq's turn comes (see
// removeUnpublished). Caller holds st.mu.
func (st *chanState) turnOf(seq uint64) <-chan struct{} {
	w, ok := st.turns[seq]
	if !ok {
		if st.turns == nil {
			st.turns = make(map[uint64]chan struct{})
		}
		w = make(chan struct{})
		st.turns[seq] = w
	}
	return w
}

// pendingPub is a publication waiting for its turn (Log.Publish): done is
// closed once run has run.
type pendingPub struct {
	seq  uint64
	run  func()
	done chan struct{}
}

// addReady queues p in seq order. Caller holds st.mu.
func (st *chanState) addReady(p *pendingPub) {
	i, _ := slices.BinarySearchFunc(st.ready, p.seq, func(q *pendingPub, seq uint64) int { return cmp.Compare(q.seq, seq) })
	st.ready = slices.Insert(st.ready, i, p)
}

// takeReady removes p from the queue; false when it is no longer there
// (a drain took it). Caller holds st.mu.
func (st *chanState) takeReady(p *pendingPub) bool {
	i := slices.Index(st.ready, p)
	if i < 0 {
		return false
	}
	st.ready = slices.Delete(st.ready, i, i+1)
	return true
}

// runnable reports whether every seq below seq on this node is over.
// Caller holds st.mu.
func (st *chanState) runnable(seq uint64) bool {
	return len(st.unpublished) == 0 || st.unpublished[0] >= seq
}

// drainLocked runs, in seq order, the queued publications whose turn has
// come, marking each seq over. It releases st.mu while they run; the
// caller holds it, and holds it again after. Those queued while they ran
// are left to the sender of the first of them, woken here: a sender
// publishes one batch at most, so that a busy channel does not keep one
// connection's goroutine publishing for others while its own next frames
// wait. A publication that panics is reported to onPanic; the others
// still run.
func (st *chanState) drainLocked(onPanic func(seq uint64, v any)) {
	var batch []*pendingPub
	for len(st.ready) > 0 && st.runnable(st.ready[0].seq) {
		p := st.ready[0]
		st.ready = slices.Delete(st.ready, 0, 1)
		delete(st.turns, p.seq) // its sender waits for p.done, not for a turn
		st.dropUnpublished(p.seq)
		batch = append(batch, p)
	}
	if len(batch) == 0 {
		return
	}
	st.draining = true
	st.mu.Unlock()
	for _, p := range batch {
		runPublication(p, onPanic)
	}
	st.mu.Lock()
	st.draining = false
	st.wakeTurns() // the first of those queued meanwhile, if its turn came
}

// runPublication runs p and marks it done, even if it panics (reported to
// onPanic): the channel's later publications must not wait on it.
func runPublication(p *pendingPub, onPanic func(seq uint64, v any)) {
	defer close(p.done)
	defer func() {
		if v := recover(); v != nil {
			onPanic(p.seq, v)
		}
	}()
	p.run()
}
