package realtime

import (
	"slices"
	"sync"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// subscription is one connection's interest in one channel, and the state
// of the resume seam. It is created "replaying": live frames that arrive
// while the hub asks App for the backlog are buffered in pending. start
// sends the backlog and "subscribed", then the buffered frames the backlog
// did not already carry, and turns the subscription live.
//
// Duplicates at the seam are dropped by membership, not by "seq ≤ highest
// sent": with concurrent senders, seq N+1 can be stored and published before
// N, and N must still be delivered. A live frame is dropped when its seq is
// ≤ since (the client has it) or was in the backlog. The backlog's seqs are
// kept for dedupWindow after start: the live copy of a backlog message was
// published right after it was stored, so it arrives long before that.
type subscription struct {
	conn    *Conn
	channel model.ChannelID
	key     ChannelKey
	since   uint64

	mu            sync.Mutex
	live          bool
	removed       bool
	pending       []Frame
	replayed      []uint64 // sorted
	replayedUntil time.Time
}

// deliver queues a live frame; it runs under the shard's read lock and
// never blocks. false means the connection is too slow and must be closed.
func (s *subscription) deliver(f Frame) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removed {
		return true
	}
	if !s.live {
		if len(s.pending) >= s.conn.hub.opt.MaxPending {
			return false
		}
		s.pending = append(s.pending, f)
		return true
	}
	if s.seen(f.Seq) {
		return true
	}
	return s.conn.push(f.Data)
}

// seen reports whether the client already has the frame of seq. Caller
// holds s.mu.
func (s *subscription) seen(seq uint64) bool {
	if seq == 0 {
		return false
	}
	if seq <= s.since {
		return true
	}
	if s.replayed == nil {
		return false
	}
	if s.conn.hub.opt.Now().After(s.replayedUntil) {
		s.replayed = nil
		return false
	}
	_, found := slices.BinarySearch(s.replayed, seq)
	return found
}

// start sends the backlog in batches, then "subscribed", then the live
// frames buffered meanwhile, and turns the subscription live. It runs on
// behalf of the connection's reader (see Conn.handleOff). A subscription removed meanwhile (a
// revoke, a new subscribe to the same channel) sends nothing. false means
// the queue overflowed.
func (s *subscription) start(backlog []Frame, lastSeq uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removed {
		return true
	}
	opt := &s.conn.hub.opt
	if lastSeq < s.since {
		// The client is ahead of the channel (its history was reset): it
		// learns it from last_seq, and new messages must not be dropped.
		s.since = lastSeq
	}
	replayed := make([]uint64, 0, len(backlog))
	var chunk []byte
	for _, f := range backlog {
		if f.Seq <= s.since {
			continue // App gave more than asked; the client has these
		}
		if len(chunk) > 0 && len(chunk)+1+len(f.Data) > opt.BatchBytes {
			if !s.conn.push(chunk) {
				return false
			}
			chunk = nil
		}
		chunk = appendBatch(chunk, f.Data)
		replayed = append(replayed, f.Seq)
	}
	if len(chunk) > 0 && !s.conn.push(chunk) {
		return false
	}
	slices.Sort(replayed)
	last := max(lastSeq, s.since)
	if n := len(replayed); n > 0 {
		last = max(last, replayed[n-1])
	}
	if !s.conn.push(encode(subscribedFrame{head: head{TypeSubscribed, s.channel}, LastSeq: last})) {
		return false
	}
	if len(replayed) > 0 {
		s.replayed = replayed
		s.replayedUntil = opt.Now().Add(opt.ReplayDedupWindow)
	}
	s.live = true
	pending := s.pending
	s.pending = nil
	for _, f := range pending {
		if s.seen(f.Seq) {
			continue
		}
		if !s.conn.push(f.Data) {
			return false
		}
	}
	return true
}

// remove marks the subscription dead, so nothing more is queued for it,
// and queues frame (may be nil) in order with what it already sent. first
// reports that this call removed it; queued is false when the queue
// overflowed.
func (s *subscription) remove(frame []byte) (first, queued bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removed {
		return false, true
	}
	s.removed = true
	s.pending = nil
	s.replayed = nil
	if frame == nil {
		return true, true
	}
	return true, s.conn.push(frame)
}

// isRemoved reports whether remove ran.
func (s *subscription) isRemoved() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removed
}

// pushIfActive queues frame unless the subscription was removed, in order
// with the subscription's other frames. false means the queue overflowed.
func (s *subscription) pushIfActive(frame []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removed {
		return true
	}
	return s.conn.push(frame)
}
