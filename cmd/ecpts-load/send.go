package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// sender is one WebSocket posting into one channel. It remembers when
// each client id left and what each ack said.
type sender struct {
	conn    *wsConn
	channel string
	hist    *histogram
	errs    *counts

	mu      sync.Mutex
	pending map[string]int64  // client id → send time (unix ns)
	acked   map[string]uint64 // client id → acked seq
	sent    atomic.Uint64
	failed  atomic.Uint64
	late    atomic.Uint64
}

func (s *sender) handle(f *frame) {
	switch f.kind {
	case kindAck:
		now := time.Now().UnixNano()
		s.mu.Lock()
		id := string(f.clientID)
		t, ok := s.pending[id]
		if ok {
			delete(s.pending, id)
			s.acked[id] = f.seq
		}
		s.mu.Unlock()
		if ok {
			s.hist.Record(time.Duration(now - t))
		}
	case kindError:
		s.errs.add(string(f.code))
		if len(f.ref) > 0 {
			s.mu.Lock()
			if _, ok := s.pending[string(f.ref)]; ok {
				delete(s.pending, string(f.ref))
				s.failed.Add(1)
			}
			s.mu.Unlock()
		}
	}
}

func (s *sender) outstanding() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// sendResult is one send run.
type sendResult struct {
	Channels       int               `json:"channels"`
	Senders        int               `json:"senders"`
	Rate           float64           `json:"rate"`
	Sent           uint64            `json:"sent"`
	SentPerSec     float64           `json:"sent_per_s"`
	Acked          uint64            `json:"acked"`
	Refused        uint64            `json:"refused"`
	Unanswered     uint64            `json:"unanswered"`
	LateSends      uint64            `json:"late_sends"`
	Latency        latency           `json:"ack_latency"`
	Errors         map[string]uint64 `json:"errors"`
	Stored         uint64            `json:"stored"`
	AckedMissing   uint64            `json:"acked_not_stored"`
	AckedWrongSeq  uint64            `json:"acked_wrong_seq"`
	StoredTwice    uint64            `json:"client_ids_stored_twice"`
	StoredLate     uint64            `json:"stored_unanswered"`
	StoredUnknown  uint64            `json:"stored_not_sent"`
	SeqGaps        uint64            `json:"seq_gaps"`
	AuditSeconds   float64           `json:"audit_s"`
	AuditError     string            `json:"audit_error,omitempty"`
	ConnectSeconds float64           `json:"connect_s"`
	CPU            cpuUse            `json:"cpu"`
}

func (x *sendResult) write(p func(string, ...any)) {
	p("  %d senders over %d channels (connected in %.1f s), target %.0f msg/s", x.Senders, x.Channels, x.ConnectSeconds, x.Rate)
	p("  sent %d (%.0f msg/s), acked %d, refused %d, unanswered %d, late on schedule %d", x.Sent, x.SentPerSec, x.Acked, x.Refused, x.Unanswered, x.LateSends)
	writeLatency(p, "send→ack latency", x.Latency)
	p("  error frames: %s", fmtCounts(x.Errors))
	if x.AuditError != "" {
		p("  REST audit incomplete after %.1f s: %s", x.AuditSeconds, x.AuditError)
	}
	p("  REST audit (%.1f s): %d stored; acked but not stored %d, stored with another seq %d, client ids stored twice %d, seq gaps %d, stored but refused or never sent %d; stored while still unanswered at the cut-off %d",
		x.AuditSeconds, x.Stored, x.AckedMissing, x.AckedWrongSeq, x.StoredTwice, x.SeqGaps, x.StoredUnknown, x.StoredLate)
	writeCPU(p, x.CPU)
}

// send: -conns senders post -rate messages/s in total over -channels
// channels, then the channels are read back through REST.
func (r *runner) send(ctx context.Context, rep *report) error {
	base := r.cfg.bases[0]
	chans := make([]string, r.cfg.channels)
	for i := range chans {
		var err error
		if chans[i], err = r.newChannel(ctx, fmt.Sprintf("envoi %d", i+1)); err != nil {
			return err
		}
	}
	t0 := time.Now()
	n := r.cfg.conns
	conns, err := r.dialAll(ctx, n, func(int) string { return base }, r.userFor, nil)
	if err != nil {
		return err
	}
	hist := new(histogram)
	var errs counts
	senders := make([]*sender, n)
	var readers sync.WaitGroup
	for i, c := range conns {
		s := &sender{conn: c, channel: chans[i%len(chans)], hist: hist, errs: &errs, pending: map[string]int64{}, acked: map[string]uint64{}}
		senders[i] = s
		readers.Go(func() { _ = c.readLoop(s.handle) })
	}
	defer func() {
		for _, c := range conns {
			c.closeNormal()
		}
		readers.Wait()
	}()
	connect := time.Since(t0)

	cpu := startCPU(ctx, r.cfg.bases)
	per := r.cfg.rate / float64(n)
	interval := time.Duration(float64(time.Second) / per)
	start := time.Now()
	end := start.Add(r.cfg.duration)
	var wg sync.WaitGroup
	for i, s := range senders {
		next := start.Add(interval * time.Duration(i) / time.Duration(n))
		wg.Go(func() {
			paced(ctx, next, end, interval, &s.late, func() bool {
				id := uuid.NewString()
				s.mu.Lock()
				s.pending[id] = time.Now().UnixNano()
				s.mu.Unlock()
				if err := s.conn.send(s.channel, id, loadBody(time.Now().UnixNano(), r.runID)); err != nil {
					errs.add("write_failed")
					return false
				}
				s.sent.Add(1)
				return true
			})
		})
	}
	wg.Wait()
	sendTime := time.Since(start)
	waitUntil(ctx, r.cfg.drain, 10*time.Millisecond, func() bool {
		for _, s := range senders {
			if s.outstanding() > 0 {
				return false
			}
		}
		return true
	})
	x := &sendResult{Channels: len(chans), Senders: n, Rate: r.cfg.rate, Latency: hist.Summary(), ConnectSeconds: connect.Seconds(), CPU: cpu.stop(ctx)}
	for _, s := range senders {
		x.Sent += s.sent.Load()
		x.Refused += s.failed.Load()
		x.LateSends += s.late.Load()
		x.Unanswered += uint64(s.outstanding())
	}
	x.SentPerSec = float64(x.Sent) / sendTime.Seconds()
	x.Errors = errs.snapshot()

	rep.Send = x
	rep.target("send rate reached", fmt.Sprintf("≥ %.0f msg/s", 0.95*r.cfg.rate), fmt.Sprintf("%.0f msg/s", x.SentPerSec), x.SentPerSec >= 0.95*r.cfg.rate)
	rep.target("send→ack p99", "≤ 10 ms", ms(x.Latency.P99), x.Latency.P99 <= 10)
	rep.target("every send answered within -drain", "0 unanswered", fmt.Sprint(x.Unanswered), x.Unanswered == 0)
	if n := x.Errors["rate_limited"]; n > 0 {
		rep.note("%d sends were refused with rate_limited: start the server with ECPTS_SEND_RATE=100000, or lower -conn-rate (the server accepts 20 frames/s per connection)", n)
	}

	// The audit: every acked client id is stored once, with its seq; the
	// seqs of each channel are 1..last without a gap. Channels are read
	// four at a time; the audit may use what is left of -max-duration.
	a0 := time.Now()
	// One snapshot per sender of what was acked and what is still
	// unanswered: a message stored late (its ack after the cut-off) is in
	// the second set, one stored but refused or never sent in neither.
	acked := make(map[string]map[string]uint64, len(chans)) // channel → client id → seq
	late := make(map[string]map[string]bool, len(chans))
	for _, ch := range chans {
		acked[ch], late[ch] = map[string]uint64{}, map[string]bool{}
	}
	for _, s := range senders {
		s.mu.Lock()
		for id, seq := range s.acked {
			acked[s.channel][id] = seq
		}
		for id := range s.pending {
			late[s.channel][id] = true
		}
		s.mu.Unlock()
	}
	for _, ch := range chans {
		x.Acked += uint64(len(acked[ch]))
	}
	var (
		mu       sync.Mutex
		auditErr error
		audits   sync.WaitGroup
		sem      = make(chan struct{}, 4)
	)
	for _, ch := range chans {
		audits.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			stored, last, err := r.coord.history(ctx, base, ch)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				auditErr = fmt.Errorf("read %s back: %w", ch, err)
				return
			}
			x.Stored += uint64(len(stored))
			byClient := map[string]uint64{}
			for i, m := range stored {
				if m.Seq != uint64(i+1) {
					x.SeqGaps++
				}
				if _, dup := byClient[m.ClientID]; dup {
					x.StoredTwice++
				}
				byClient[m.ClientID] = m.Seq
				if _, ok := acked[ch][m.ClientID]; !ok {
					if late[ch][m.ClientID] {
						x.StoredLate++
					} else {
						x.StoredUnknown++
					}
				}
			}
			if uint64(len(stored)) != last {
				x.SeqGaps++
			}
			for id, seq := range acked[ch] {
				got, ok := byClient[id]
				switch {
				case !ok:
					x.AckedMissing++
				case got != seq:
					x.AckedWrongSeq++
				}
			}
		})
	}
	audits.Wait()
	x.AuditSeconds = time.Since(a0).Seconds()
	if auditErr != nil {
		x.AuditError = auditErr.Error()
		rep.correct("REST audit completed", "yes", "no", false)
		rep.note("the REST audit did not complete (%v): deep history pages cost one store lookup per message, O(collection) each on embedded FerretDB (see docs/benchmarks.md)", auditErr)
		return nil
	}
	rep.correct("acked messages stored", "0 missing", fmt.Sprint(x.AckedMissing), x.AckedMissing == 0)
	rep.correct("acked seq = stored seq", "0 different", fmt.Sprint(x.AckedWrongSeq), x.AckedWrongSeq == 0)
	rep.correct("client ids stored once", "0 twice", fmt.Sprint(x.StoredTwice), x.StoredTwice == 0)
	rep.correct("seqs gap-free from 1", "0 gaps", fmt.Sprint(x.SeqGaps), x.SeqGaps == 0)
	rep.correct("stored messages were sent and not refused", "0", fmt.Sprint(x.StoredUnknown), x.StoredUnknown == 0)
	return nil
}
