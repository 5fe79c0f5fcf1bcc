package msglog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// A send whose seq another node took tries the next seq seqStepAttempts
// times, then re-reads the channel's last seq, and gives up after
// maxSeqAttempts.
const (
	seqStepAttempts = 8
	maxSeqAttempts  = 20
	maxRenumbers    = 100 // another send of the channel failed meanwhile
)

// ByClient returns the message the window holds for the author's client
// id, if it still holds it: no I/O, so a repeated send is answered before
// anything else is checked.
func (l *Log) ByClient(ch model.ChannelID, author model.UserID, clientID string) (model.Message, bool) {
	st := l.state(ch)
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.byClient(author, clientID)
}

// Append gives m (plain, without seq or ID) the channel's next seq and
// stores it, several sends of one channel in flight at once (see commit).
// It returns the stored message (plain) and whether it was created: a
// repeat of a stored (author, client id) returns that message and stores
// nothing.
func (l *Log) Append(ctx context.Context, ch model.Channel, m model.Message) (model.Message, bool, error) {
	st := l.state(ch.ID)
	key := clientKey{m.AuthorID, m.ClientID}
	var over chan struct{} // closed when this send is over; set once ours
	defer func() {
		if over != nil {
			st.mu.Lock()
			delete(st.inflight, key)
			st.mu.Unlock()
			close(over)
		}
	}()
	plain := m
	renumbered := 0
	for attempt := 0; ; attempt++ {
		st.mu.Lock()
		if err := l.syncLast(ctx, st, ch.ID); err != nil {
			st.mu.Unlock()
			return model.Message{}, false, err
		}
		if prev, ok := st.byClient(m.AuthorID, m.ClientID); ok {
			st.mu.Unlock()
			return prev, false, nil
		}
		if other := st.inflight[key]; other != nil && other != over {
			// The same send is in flight: its outcome answers this one.
			st.mu.Unlock()
			select {
			case <-other:
			case <-ctx.Done():
				return model.Message{}, false, ctx.Err()
			}
			attempt--
			continue
		}
		if over == nil {
			over = make(chan struct{})
			if st.inflight == nil {
				st.inflight = make(map[clientKey]chan struct{})
			}
			st.inflight[key] = over
		}
		plain.Seq = max(st.next, st.last) + 1
		plain.ID = model.MessageIDOf(ch.ID, plain.Seq)
		sealed, err := l.codec.Seal(ch, plain)
		if err != nil {
			st.mu.Unlock()
			return model.Message{}, false, err
		}
		st.next = plain.Seq
		st.addUnpublished(plain.Seq)
		r := &commitReq{st: st, ch: ch, gen: st.gen, plain: plain, m: sealed, done: make(chan error, 1)}
		alone := !l.enqueueCommit(r)
		if alone {
			// No committer (Run is not running): store it now, holding
			// the lock, one message in flight.
			err := l.msgs.Insert(ctx, sealed)
			settleLocked(r, err)
			r.done <- err
		}
		st.mu.Unlock()
		// Wait even if ctx ends: the insert may happen, and its outcome
		// keeps the channel's seqs right.
		err = <-r.done
		if err == nil {
			if alone {
				l.told(ctx, []model.Channel{ch}, []model.Message{plain})
			}
			break
		}
		st.mu.Lock()
		st.removeUnpublished(plain.Seq) // not stored under this seq
		st.mu.Unlock()
		if errors.Is(err, errRenumber) {
			// Not a failure of this message: an earlier one failed.
			if renumbered++; renumbered <= maxRenumbers {
				attempt--
				continue
			}
		}
		if !errors.Is(err, model.ErrConflict) || attempt >= maxSeqAttempts {
			return model.Message{}, false, fmt.Errorf("msglog: store message in %s: %w", ch.ID, err)
		}
		// Either this client id is already stored (a repeat the window no
		// longer holds) or another node took the seq.
		if prev, err := l.msgs.ByClientID(ctx, ch.ID, m.AuthorID, m.ClientID); err == nil {
			prev, err = l.codec.Open(ch, prev)
			return prev, false, err
		}
		st.mu.Lock()
		st.forget() // it no longer ends at the channel's last message
		if attempt < seqStepAttempts {
			// The seq is taken: once every seq before it is stored, the
			// next send tries the one after (two nodes writing one
			// channel collide on one seq at a time). Before that, the
			// sends numbered again fill the seqs below it first.
			if plain.Seq == st.last+1 {
				st.last = plain.Seq
			}
		} else {
			// Far behind: find the last seq again.
			st.loaded = false
		}
		st.mu.Unlock()
	}
	if l.win != nil {
		if sealed, err := l.codec.Seal(ch, plain); err == nil {
			if err := l.win.Append(ctx, sealed); err != nil {
				// Stored: readers of the shared window fall back to the store.
				l.log.Warn("shared window: append", "message_id", plain.ID, "err", err)
			}
		}
	}
	return plain, true, nil
}

// publishTurnWait bounds how long Publish waits for the sends of lower
// seqs: a sender that never calls Published (a bug, a stuck view) delays
// its channel's live stream by at most this, never stops it.
const publishTurnWait = 5 * time.Second

// Publish runs publish, the publication of seq (a message Append created
// on this node), once every send of ch numbered below seq on this node is
// over (published, or failed), so that a channel's messages are published
// in seq order: the live stream never carries seq N+1 before N, and a
// client resuming from the highest seq it holds (docs/protocol.md) misses
// nothing. Group commit stores several sends at once and each sender then
// finishes on its own goroutine (view, search outbox), in any order.
//
// One goroutine at a time publishes a channel's messages: the sender whose
// turn comes also runs the publications of the later sends that are
// already waiting, one after the other, and they return when theirs ran;
// those queued meanwhile go to the next of their senders, woken then.
// (Each sender publishing its own after the previous one woke it cost a
// goroutine hand-off per message: under a backlog the fan-out lost its
// batching and half its throughput.) Publish marks seq over (Published
// is then a no-op for it). After publishTurnWait it runs publish itself,
// out of order, and logs it.
func (l *Log) Publish(ch model.ChannelID, seq uint64, publish func()) {
	st := l.state(ch)
	p := &pendingPub{seq: seq, run: publish, done: make(chan struct{})}
	var timer *time.Timer // only once it has to wait: most sends do not
	st.mu.Lock()
	st.addReady(p)
	for {
		if !st.draining && st.runnable(seq) {
			st.drainLocked(func(seq uint64, v any) { // runs p among others
				l.log.Error("publish panicked", "channel_id", ch, "seq", seq, "panic", v)
			})
			st.mu.Unlock()
			return
		}
		turn := st.turnOf(seq)
		st.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(publishTurnWait)
			defer timer.Stop()
		}
		select {
		case <-p.done:
			return
		case <-turn:
		case <-timer.C:
			st.mu.Lock()
			mine := st.takeReady(p)
			first := uint64(0)
			if len(st.unpublished) > 0 {
				first = st.unpublished[0]
			}
			if mine {
				st.removeUnpublished(seq)
			}
			st.mu.Unlock()
			if !mine { // being published by the channel's publisher
				<-p.done
				return
			}
			l.log.Warn("publish turn: an earlier send of the channel is not over", "channel_id", ch, "seq", seq, "waiting_for", first)
			p.run()
			close(p.done)
			return
		}
		st.mu.Lock()
	}
}

// Published ends the send of seq that Append created (see Publish): the
// sends numbered after it may publish. Call it once per created message,
// whatever happened after the store (a no-op once Publish ran for it).
func (l *Log) Published(ch model.ChannelID, seq uint64) {
	st := l.state(ch)
	st.mu.Lock()
	st.removeUnpublished(seq)
	st.mu.Unlock()
}

// Update reads message id of ch, lets change modify it and, when change
// reports a change, writes it back; it returns the message as it now is
// and whether it was written. The read, change and write run under the
// channel's lock on this node and, with several nodes, its shared lock
// (taken after the local one), so two changes of one channel never
// overwrite each other: FerretDB applies updates as read-modify-write.
// change runs under those locks: it may read other data, never this
// channel's log. Its error is returned as it is.
func (l *Log) Update(ctx context.Context, ch model.Channel, id model.MessageID, change func(m *model.Message) (bool, error)) (model.Message, bool, error) {
	st := l.state(ch.ID)
	st.mu.Lock()
	defer st.mu.Unlock()
	unlock, err := l.lockShared(ctx, ch.ID)
	if err != nil {
		return model.Message{}, false, err
	}
	defer unlock()
	m, err := l.messageLocked(ctx, st, ch, id)
	if err != nil {
		return model.Message{}, false, err
	}
	changed, err := change(&m)
	if err != nil {
		return model.Message{}, false, err
	}
	if !changed {
		return m, false, nil
	}
	if err := l.replaceLocked(ctx, st, ch, m); err != nil {
		return model.Message{}, false, err
	}
	return m, true, nil
}

// Record writes seq as the channel's recorded last seq, every recordEvery
// messages (see recordDue). It only speeds up finding the true one
// (LastSeq gallops from it), so it may lag, and $max keeps it from going
// back. A failure is logged.
func (l *Log) Record(ctx context.Context, ch model.ChannelID, seq uint64) {
	if !l.state(ch).recordDue(seq) {
		return
	}
	if err := l.seqs.Record(ctx, ch, seq); err != nil {
		l.log.Warn("record last seq", "channel_id", ch, "err", err)
	}
}

// messageLocked reads one message of ch (window first). Caller holds st.mu.
func (l *Log) messageLocked(ctx context.Context, st *chanState, ch model.Channel, id model.MessageID) (model.Message, error) {
	chID, seq, ok := id.Parse()
	if !ok || chID != ch.ID {
		return model.Message{}, fmt.Errorf("msglog: message %s of %s: %w", id, ch.ID, ErrNotFound)
	}
	if l.win != nil {
		// Several nodes: this node's window may hold an old version.
		if _, ms, ok, err := l.win.Range(ctx, ch.ID, seq, seq, 0); err == nil && ok && len(ms) == 1 {
			return l.codec.Open(ch, ms[0])
		}
	} else if i, ok := st.index(seq); ok {
		return st.window[i], nil
	}
	m, err := l.msgs.ByID(ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		return model.Message{}, fmt.Errorf("msglog: message %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return model.Message{}, fmt.Errorf("msglog: message %s: %w", id, err)
	}
	return l.codec.Open(ch, m)
}

// replaceLocked writes a changed message back. Caller holds st.mu.
func (l *Log) replaceLocked(ctx context.Context, st *chanState, ch model.Channel, m model.Message) error {
	sealed, err := l.codec.Seal(ch, m)
	if err != nil {
		return err
	}
	if err := l.msgs.Replace(ctx, sealed); err != nil {
		return fmt.Errorf("msglog: update message %s: %w", m.ID, err)
	}
	st.replace(m)
	if l.win != nil {
		if err := l.win.Replace(ctx, sealed); err != nil {
			l.log.Warn("shared window: replace", "message_id", m.ID, "err", err)
		}
	}
	return nil
}

// lockShared takes the channel's cross-node write lock in multi-node mode
// (a no-op on a single node, where st.mu suffices), waiting at most
// sharedLockWait.
func (l *Log) lockShared(ctx context.Context, ch model.ChannelID) (func(), error) {
	if l.win == nil {
		return func() {}, nil
	}
	lctx, cancel := context.WithTimeout(ctx, sharedLockWait)
	defer cancel()
	unlock, err := l.win.Lock(lctx, ch)
	if err != nil {
		return nil, fmt.Errorf("msglog: lock channel %s: %w", ch, err)
	}
	return unlock, nil
}

// sharedLockWait bounds the wait for another node's channel write lock.
const sharedLockWait = 5 * time.Second
