package msglog

import (
	"context"
	"fmt"

	"github.com/ecpts/ecpts/internal/model"
)

// Get reads one message of ch (window first); ErrNotFound when there is
// none.
func (l *Log) Get(ctx context.Context, ch model.Channel, id model.MessageID) (model.Message, error) {
	st := l.state(ch.ID)
	st.mu.Lock()
	defer st.mu.Unlock()
	return l.messageLocked(ctx, st, ch, id)
}

// BySeqs reads the messages of ch with these seqs from the store, in seq
// order; missing ones are left out.
func (l *Log) BySeqs(ctx context.Context, ch model.Channel, seqs []uint64) ([]model.Message, error) {
	ms, err := l.msgs.BySeqs(ctx, ch.ID, seqs)
	if err != nil {
		return nil, err
	}
	return l.openAll(ch, ms)
}

// Last returns the channel's true last seq (see syncLast).
func (l *Log) Last(ctx context.Context, ch model.ChannelID) (uint64, error) {
	st := l.state(ch)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := l.syncLast(ctx, st, ch); err != nil {
		return 0, err
	}
	return st.last, nil
}

// Page reads a page of ch's history: after (ascending from after+1) or
// before (the page just below before); neither gives the newest page.
// hasAfter says after was given (after 0 then means "from the start").
// It returns the page and the channel's last seq, from the window when it
// holds those seqs, else the store.
func (l *Log) Page(ctx context.Context, ch model.Channel, after uint64, hasAfter bool, before uint64, limit int) ([]model.Message, uint64, error) {
	if l.win != nil {
		if ms, last, ok := l.sharedPage(ctx, ch, after, hasAfter, before, limit); ok {
			return ms, last, nil
		}
	}
	st := l.state(ch.ID)
	st.mu.Lock()
	if err := l.syncLast(ctx, st, ch.ID); err != nil {
		st.mu.Unlock()
		return nil, 0, err
	}
	last := st.last
	from, to := pageBounds(last, after, hasAfter, before, limit)
	if to == 0 || from > to {
		st.mu.Unlock()
		return []model.Message{}, last, nil
	}
	if l.win == nil {
		// With several nodes this node's window may hold old versions.
		if ms, ok := st.span(from, to); ok {
			st.mu.Unlock()
			return ms, last, nil
		}
	}
	st.mu.Unlock()
	ms, err := l.msgs.Range(ctx, ch.ID, from, to)
	if err != nil {
		return nil, 0, fmt.Errorf("msglog: history of %s: %w", ch.ID, err)
	}
	ms, err = l.openAll(ch, ms)
	return ms, last, err
}

// pageBounds is the seq range of a history page in a channel whose last
// seq is last (see Page).
func pageBounds(last, after uint64, hasAfter bool, before uint64, limit int) (from, to uint64) {
	switch {
	case hasAfter && after >= last:
		return 1, 0 // nothing after it (and after+1 could wrap around)
	case hasAfter:
		return after + 1, min(after+uint64(limit), last)
	case before > 0:
		to = min(before-1, last)
	default:
		to = last
	}
	from = 1
	if to >= uint64(limit) {
		from = to - uint64(limit) + 1
	}
	return from, to
}

// sharedPage serves a history page from the shared window in one round
// trip; ok false sends the caller to the store (the window lost those
// messages, lags, or is unreachable).
func (l *Log) sharedPage(ctx context.Context, ch model.Channel, after uint64, hasAfter bool, before uint64, limit int) ([]model.Message, uint64, bool) {
	var from, to uint64
	newest := 0
	switch {
	case hasAfter:
		from, to = after+1, after+uint64(limit)
	case before > 0:
		from, to = pageBounds(before-1, 0, false, 0, limit)
	default:
		newest = limit
	}
	last, ms, ok, err := l.win.Range(ctx, ch.ID, from, to, newest)
	if err != nil {
		l.log.Warn("shared window: history", "channel_id", ch.ID, "err", err)
		return nil, 0, false
	}
	if !ok || last == 0 {
		return nil, 0, false
	}
	from, to = pageBounds(last, after, hasAfter, before, limit)
	if to == 0 || from > to {
		return []model.Message{}, last, true
	}
	if uint64(len(ms)) != to-from+1 || ms[0].Seq != from {
		return nil, 0, false
	}
	ms, err = l.openAll(ch, ms)
	if err != nil {
		return nil, 0, false
	}
	return ms, last, true
}

// Since serves a resume: the messages after since (at most MaxReplay) and
// the channel's last seq; nothing when since is at or past it, and
// ErrTooFarBehind (with the last seq) when more than MaxReplay follow.
func (l *Log) Since(ctx context.Context, ch model.Channel, since uint64) ([]model.Message, uint64, error) {
	last, err := l.Last(ctx, ch.ID)
	if err != nil {
		return nil, 0, err
	}
	if since >= last {
		return nil, last, nil
	}
	if last-since > MaxReplay {
		return nil, last, ErrTooFarBehind
	}
	var out []model.Message
	for from := since; from < last; {
		page, _, err := l.Page(ctx, ch, from, true, 0, 100)
		if err != nil {
			return nil, 0, err
		}
		if len(page) == 0 {
			break
		}
		out = append(out, page...)
		from = page[len(page)-1].Seq
	}
	return out, last, nil
}
