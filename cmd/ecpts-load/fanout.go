package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// counts is a concurrent tally by name (close reasons, error codes).
type counts struct {
	mu sync.Mutex
	m  map[string]uint64
}

func (c *counts) add(k string) {
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[string]uint64)
	}
	c.m[k]++
	c.mu.Unlock()
}

func (c *counts) snapshot() map[string]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]uint64, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}

// fanoutRun is a set of subscribers on one channel and the publishers that
// send to it. Subscribers behave as docs/protocol.md asks of a client:
// they reconnect after any close but 4001/1003/1009/4029, resume with
// since_seq, and skip (here: count) seqs they already hold.
type fanoutRun struct {
	r       *runner
	bases   []string // subscriber and publisher i use bases[i%len(bases)]
	channel string
	subs    []*subscriber
	pubs    []*publisher

	hist       atomic.Pointer[histogram] // delivery latency of the current phase
	deliveries atomic.Uint64             // first copies received
	lastDeliv  atomic.Int64              // unix ns of the latest first copy
	closes     counts                    // why subscriber sockets ended
	errs       counts                    // error frames, "sub:<code>" / "send:<code>"
	reconnects atomic.Uint64
	drops      atomic.Uint64
	late       atomic.Uint64 // sends the publishers made later than scheduled by over one interval
	fatal      atomic.Uint64 // subscribers that stopped for good

	dialSem chan struct{}
	ctx     context.Context // subscribers' and publishers' life
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

type subscriber struct {
	f         *fanoutRun
	base      string
	sess      *session
	seqs      seqSet
	conn      atomic.Pointer[wsConn]
	dropped   atomic.Bool // the current socket was dropped on purpose
	ready     chan struct{}
	readyOnce sync.Once
}

type publisher struct {
	f      *fanoutRun
	conn   *wsConn
	sent   atomic.Uint64
	acks   atomic.Uint64
	failed atomic.Uint64 // sends answered by an error frame
	maxSeq atomic.Uint64
	done   chan struct{}
}

// startFanout creates the channel and connects n subscribers, subscriber
// i to bases[i%len(bases)], and waits until each has its "subscribed".
func (r *runner) startFanout(ctx context.Context, label string, n int, bases []string) (*fanoutRun, error) {
	ch, err := r.newChannel(ctx, label)
	if err != nil {
		return nil, err
	}
	f := &fanoutRun{r: r, bases: bases, channel: ch, dialSem: make(chan struct{}, r.cfg.dialers)}
	f.hist.Store(new(histogram))
	f.ctx, f.cancel = context.WithCancel(ctx)
	t0 := time.Now()
	for i := range n {
		s := &subscriber{f: f, base: bases[i%len(bases)], sess: r.userFor(i), ready: make(chan struct{})}
		f.subs = append(f.subs, s)
		f.wg.Add(1)
		go s.loop()
	}
	// A subscribe costs the server a backlog read: allow 20 ms each on top
	// of a minute.
	limit := time.Minute + time.Duration(n)*20*time.Millisecond
	ok := waitUntil(ctx, limit, 50*time.Millisecond, func() bool {
		for _, s := range f.subs {
			select {
			case <-s.ready:
			default:
				return false
			}
		}
		return true
	})
	if !ok {
		f.stop()
		return nil, fmt.Errorf("subscribers not all subscribed after %s (closes: %s, errors: %s)", limit, fmtCounts(f.closes.snapshot()), fmtCounts(f.errs.snapshot()))
	}
	r.log.Info("subscribers ready", "subscribers", n, "channel_id", ch, "seconds", time.Since(t0).Seconds())
	return f, nil
}

// stop closes every socket and waits for the goroutines.
func (f *fanoutRun) stop() {
	f.cancel()
	for _, s := range f.subs {
		if c := s.conn.Load(); c != nil {
			c.closeNormal()
		}
	}
	for _, p := range f.pubs {
		p.conn.closeNormal()
	}
	f.wg.Wait()
}

func (s *subscriber) resumePoint() uint64 {
	if s.f.r.cfg.resumeFrom == "contiguous" {
		return s.seqs.contiguous()
	}
	return s.seqs.highest()
}

func (s *subscriber) loop() {
	f := s.f
	defer f.wg.Done()
	var backoff time.Duration
	for {
		if backoff > 0 && sleepCtx(f.ctx, backoff) != nil {
			return
		}
		select {
		case f.dialSem <- struct{}{}:
		case <-f.ctx.Done():
			return
		}
		conn, err := dialWS(f.ctx, s.base, s.sess)
		<-f.dialSem
		if f.ctx.Err() != nil {
			if err == nil {
				conn.closeNormal()
			}
			return
		}
		if err != nil {
			f.closes.add("dial_failed")
			backoff = min(max(2*backoff, 100*time.Millisecond), 2*time.Second)
			continue
		}
		s.conn.Store(conn)
		if f.ctx.Err() != nil { // stop ran before the Store: close ourselves
			conn.closeNormal()
			return
		}
		if err := conn.subscribe(f.channel, s.resumePoint()); err != nil {
			conn.drop()
		}
		err = conn.readLoop(s.handle)
		s.conn.Store(nil)
		if f.ctx.Err() != nil {
			return
		}
		code := closeCode(err)
		switch {
		case s.dropped.Swap(false):
			f.closes.add("dropped_by_tool")
			backoff = time.Duration(rand.Int64N(int64(250 * time.Millisecond)))
		case code == 4008:
			f.closes.add("4008_slow_consumer")
			backoff = 0
		case code == 4001 || code == 1003 || code == 1009 || code == 4029:
			f.closes.add(fmt.Sprintf("%d_final", code))
			f.fatal.Add(1)
			return
		case code != 0:
			f.closes.add(fmt.Sprintf("%d", code))
			backoff = 100*time.Millisecond + time.Duration(rand.Int64N(int64(200*time.Millisecond)))
		default:
			f.closes.add("no_close_frame")
			backoff = 100*time.Millisecond + time.Duration(rand.Int64N(int64(200*time.Millisecond)))
		}
		f.reconnects.Add(1)
	}
}

// handle runs on the subscriber's reader goroutine for every frame.
func (s *subscriber) handle(fr *frame) {
	f := s.f
	switch fr.kind {
	case kindMessage:
		if string(fr.channel) != f.channel {
			return
		}
		if s.seqs.add(fr.seq) {
			return // a duplicate: audit counts it
		}
		now := time.Now().UnixNano()
		f.deliveries.Add(1)
		f.lastDeliv.Store(now)
		if fr.sentAt > 0 {
			f.hist.Load().Record(time.Duration(now - fr.sentAt))
		}
	case kindSubscribed:
		s.readyOnce.Do(func() { close(s.ready) })
	case kindError:
		f.errs.add("sub:" + string(fr.code))
	case kindResume:
		if c := s.conn.Load(); c != nil {
			_ = c.subscribe(f.channel, s.resumePoint())
		}
	}
}

// ensurePublishers opens publisher sockets until there are n. Publishers
// use the load users in turn; they do not subscribe.
func (f *fanoutRun) ensurePublishers(ctx context.Context, n int) error {
	for len(f.pubs) < n {
		i := len(f.pubs)
		c, err := dialWS(ctx, f.bases[i%len(f.bases)], f.r.userFor(i))
		if err != nil {
			return fmt.Errorf("publisher %d: %w", i, err)
		}
		p := &publisher{f: f, conn: c, done: make(chan struct{})}
		f.pubs = append(f.pubs, p)
		f.wg.Go(func() {
			defer close(p.done)
			err := c.readLoop(p.handle)
			if f.ctx.Err() == nil {
				f.closes.add(fmt.Sprintf("publisher_%d", closeCode(err)))
			}
		})
	}
	return nil
}

func (p *publisher) handle(fr *frame) {
	switch fr.kind {
	case kindAck:
		p.acks.Add(1)
		for {
			m := p.maxSeq.Load()
			if fr.seq <= m || p.maxSeq.CompareAndSwap(m, fr.seq) {
				break
			}
		}
	case kindError:
		p.f.errs.add("send:" + string(fr.code))
		if len(fr.ref) > 0 {
			p.failed.Add(1)
		}
	}
}

// publish sends rate messages/s for d, spread over ceil(rate/conn-rate)
// publishers with staggered, open-loop schedules (a late send does not
// push the next ones back). It returns how many were sent.
func (f *fanoutRun) publish(ctx context.Context, rate float64, d time.Duration) (uint64, error) {
	n := int(ceilDiv(rate, f.r.cfg.connRate))
	if err := f.ensurePublishers(ctx, n); err != nil {
		return 0, err
	}
	per := rate / float64(n)
	interval := time.Duration(float64(time.Second) / per)
	start := time.Now()
	end := start.Add(d)
	var sent atomic.Uint64
	var wg sync.WaitGroup
	for i, p := range f.pubs[:n] {
		next := start.Add(interval * time.Duration(i) / time.Duration(n))
		wg.Go(func() {
			paced(ctx, next, end, interval, &f.late, func() bool {
				body := loadBody(time.Now().UnixNano(), f.r.runID)
				if err := p.conn.send(f.channel, uuid.NewString(), body); err != nil {
					f.errs.add("send:write_failed")
					return false
				}
				p.sent.Add(1)
				sent.Add(1)
				return true
			})
		})
	}
	wg.Wait()
	return sent.Load(), ctx.Err()
}

func (f *fanoutRun) acked() (acks, failed, sent uint64) {
	for _, p := range f.pubs {
		acks += p.acks.Load()
		failed += p.failed.Load()
		sent += p.sent.Load()
	}
	return acks, failed, sent
}

// drain waits (at most -drain each) for every send to be answered, then
// for every subscriber to hold every seq of the channel. It returns the
// channel's last seq and whether everyone caught up.
func (f *fanoutRun) drain(ctx context.Context) (uint64, bool, error) {
	waitUntil(ctx, f.r.cfg.drain, 10*time.Millisecond, func() bool {
		acks, failed, sent := f.acked()
		return acks+failed >= sent
	})
	last, err := f.r.coord.lastSeq(ctx, f.r.cfg.bases[0], f.channel)
	if err != nil {
		return 0, false, err
	}
	ok := waitUntil(ctx, f.r.cfg.drain, 10*time.Millisecond, func() bool {
		for _, s := range f.subs {
			if !s.seqs.hasAll(1, last) {
				return false
			}
		}
		return true
	})
	return last, ok, nil
}

// dropLoop drops n subscriber sockets at random moments of [0.05d, 0.9d].
func (f *fanoutRun) dropLoop(ctx context.Context, n int, d time.Duration) {
	if n == 0 {
		return
	}
	at := make([]time.Duration, n)
	for i := range at {
		at[i] = d/20 + time.Duration(rand.Int64N(int64(d*17/20)))
	}
	slices.Sort(at)
	start := time.Now()
	for _, t := range at {
		if sleepCtx(ctx, time.Until(start.Add(t))) != nil {
			return
		}
		s := f.subs[rand.IntN(len(f.subs))]
		if c := s.conn.Load(); c != nil && !s.dropped.Load() {
			s.dropped.Store(true)
			c.drop()
			f.drops.Add(1)
		}
	}
}

// audit counts lost and duplicated seqs over 1..last, per subscriber.
func (f *fanoutRun) audit(last uint64) (lost, dups uint64, withLoss, withDup int) {
	for _, s := range f.subs {
		l, d := s.seqs.audit(1, last)
		lost += l
		dups += d
		if l > 0 {
			withLoss++
		}
		if d > 0 {
			withDup++
		}
	}
	return lost, dups, withLoss, withDup
}

// fanoutResult is one fan-out (or reconnect) run.
type fanoutResult struct {
	Channel          string  `json:"channel"`
	Subscribers      int     `json:"subscribers"`
	Publishers       int     `json:"publishers"`
	ConnectSeconds   float64 `json:"connect_s"`
	Rate             float64 `json:"rate"`
	Sent             uint64  `json:"sent"`
	Acked            uint64  `json:"acked"`
	LateSends        uint64  `json:"late_sends"`
	LastSeq          uint64  `json:"last_seq"`
	Deliveries       uint64  `json:"deliveries"`
	Expected         uint64  `json:"expected_deliveries"`
	DeliveriesPerSec float64 `json:"deliveries_per_s"`
	ServerDeliveries uint64  `json:"server_deliveries"`
	ServerSlowClosed uint64  `json:"server_slow_consumers"`
	Latency          latency `json:"latency"`
	Lost             uint64  `json:"lost"`
	Duplicates       uint64  `json:"duplicates"`
	SubscribersLost  int     `json:"subscribers_with_loss"`
	SubscribersDup   int     `json:"subscribers_with_duplicates"`
	CaughtUp         bool    `json:"caught_up"`
	Drops            uint64  `json:"drops"`
	Reconnects       uint64  `json:"reconnects"`
	ResumeFrom       string  `json:"resume_from,omitempty"`
	socketEnds
	SubscribersStopped uint64 `json:"subscribers_stopped"`
	CPU                cpuUse `json:"cpu"`
}

// socketEnds counts, by kind, why a fan-out's subscriber sockets ended and
// the error frames its sockets got.
type socketEnds struct {
	Closes map[string]uint64 `json:"closes"`
	Errors map[string]uint64 `json:"errors"`
}

func (f *fanoutRun) socketEnds() socketEnds {
	return socketEnds{Closes: f.closes.snapshot(), Errors: f.errs.snapshot()}
}

func (e socketEnds) write(p func(string, ...any)) {
	p("  socket ends: %s; error frames: %s", fmtCounts(e.Closes), fmtCounts(e.Errors))
}

func (x *fanoutResult) write(p func(string, ...any)) {
	p("  channel %s: %d subscribers (connected in %.1f s), %d publishers", x.Channel, x.Subscribers, x.ConnectSeconds, x.Publishers)
	p("  sent %d messages at %.0f msg/s (%d acked, %d sends late on schedule), last seq %d", x.Sent, x.Rate, x.Acked, x.LateSends, x.LastSeq)
	p("  deliveries %d of %d expected, %.0f deliveries/s (server counted %d; slow consumers closed %d)", x.Deliveries, x.Expected, x.DeliveriesPerSec, x.ServerDeliveries, x.ServerSlowClosed)
	writeLatency(p, "send→delivery latency", x.Latency)
	p("  lost %d (on %d subscribers), duplicated %d (on %d subscribers), all caught up: %v", x.Lost, x.SubscribersLost, x.Duplicates, x.SubscribersDup, x.CaughtUp)
	if x.Drops > 0 || x.Reconnects > 0 {
		p("  drops %d, reconnects %d, resume from %s", x.Drops, x.Reconnects, x.ResumeFrom)
	}
	x.socketEnds.write(p)
	writeCPU(p, x.CPU)
}

// measure runs one publishing phase of f at rate for d (with drops socket
// drops meanwhile) and returns its figures.
func (f *fanoutRun) measure(ctx context.Context, rate float64, d time.Duration, drops int) (*fanoutResult, error) {
	bases := f.bases
	before := sumMetrics(ctx, bases)
	cpu := startCPU(ctx, bases)
	h := new(histogram)
	f.hist.Store(h)
	deliv0, late0, reconn0, drops0 := f.deliveries.Load(), f.late.Load(), f.reconnects.Load(), f.drops.Load()
	acks0, _, sent0 := f.acked()
	seq0, err := f.r.coord.lastSeq(ctx, bases[0], f.channel)
	if err != nil {
		return nil, err
	}

	start := time.Now()
	dctx, stopDrops := context.WithCancel(ctx)
	var dropWG sync.WaitGroup
	dropWG.Go(func() { f.dropLoop(dctx, drops, d) })
	_, err = f.publish(ctx, rate, d)
	stopDrops()
	dropWG.Wait()
	if err != nil {
		return nil, err
	}
	last, caughtUp, err := f.drain(ctx)
	if err != nil {
		return nil, err
	}
	elapsed := time.Duration(f.lastDeliv.Load() - start.UnixNano())
	after := sumMetrics(ctx, bases)
	acks, _, sent := f.acked()
	x := &fanoutResult{
		Channel: f.channel, Subscribers: len(f.subs), Publishers: int(ceilDiv(rate, f.r.cfg.connRate)), Rate: rate,
		Sent: sent - sent0, Acked: acks - acks0, LateSends: f.late.Load() - late0, LastSeq: last,
		Deliveries: f.deliveries.Load() - deliv0, Expected: (last - seq0) * uint64(len(f.subs)),
		ServerDeliveries: uint64(after["ecpts_ws_deliveries_total"] - before["ecpts_ws_deliveries_total"]),
		ServerSlowClosed: uint64(after["ecpts_ws_slow_consumers_total"] - before["ecpts_ws_slow_consumers_total"]),
		Latency:          h.Summary(), CaughtUp: caughtUp,
		Drops: f.drops.Load() - drops0, Reconnects: f.reconnects.Load() - reconn0,
		socketEnds: f.socketEnds(), SubscribersStopped: f.fatal.Load(),
		CPU: cpu.stop(ctx),
	}
	if elapsed > 0 {
		x.DeliveriesPerSec = float64(x.Deliveries) / elapsed.Seconds()
	}
	if drops > 0 {
		x.ResumeFrom = f.r.cfg.resumeFrom
	}
	return x, nil
}

// sumMetrics adds up the unlabelled samples of every base's /metrics.
func sumMetrics(ctx context.Context, bases []string) map[string]float64 {
	out := map[string]float64{}
	for _, b := range bases {
		ms, err := scrapeMetrics(ctx, b)
		if err != nil {
			continue
		}
		for k, v := range ms {
			out[k] += v
		}
	}
	return out
}

// finish audits the whole channel and fills the correctness checks.
func (f *fanoutRun) finish(rep *report, x *fanoutResult, label string) {
	lost, dups, wl, wd := f.audit(x.LastSeq)
	x.Lost, x.Duplicates, x.SubscribersLost, x.SubscribersDup = lost, dups, wl, wd
	rep.correct(label+"lost seqs", "0", fmt.Sprint(lost), lost == 0)
	rep.correct(label+"duplicated seqs", "0", fmt.Sprint(dups), dups == 0)
	rep.correct(label+"every send acked", fmt.Sprint(x.Sent), fmt.Sprint(x.Acked), x.Acked == x.Sent)
	if n := x.Errors["send:rate_limited"]; n > 0 {
		rep.note("%d sends were refused with rate_limited: start the server with ECPTS_SEND_RATE=100000, or lower -conn-rate (the server accepts 20 frames/s per connection)", n)
	}
	if x.LateSends > 0 {
		rep.note("%d sends left later than scheduled by over one interval: the tool (or the machine) could not keep the rate", x.LateSends)
	}
}

// fanout: the fanout and reconnect scenarios.
func (r *runner) fanout(ctx context.Context, rep *report) error {
	t0 := time.Now()
	f, err := r.startFanout(ctx, r.cfg.scenario, r.cfg.conns, r.cfg.bases[:1])
	if err != nil {
		return err
	}
	defer f.stop()
	connect := time.Since(t0)
	x, err := f.measure(ctx, r.cfg.rate, r.cfg.duration, r.cfg.drops)
	if err != nil {
		return err
	}
	x.ConnectSeconds = connect.Seconds()
	f.finish(rep, x, "")
	rep.Fanout = x
	if r.cfg.scenario == "fanout" {
		rep.target("deliveries/s", fmt.Sprintf("≥ %.0f", r.cfg.rate*float64(r.cfg.conns)*0.95), fmt.Sprintf("%.0f", x.DeliveriesPerSec), x.DeliveriesPerSec >= r.cfg.rate*float64(r.cfg.conns)*0.95)
		rep.target("delivery p99", "≤ 15 ms", ms(x.Latency.P99), x.Latency.P99 <= 15)
	}
	if r.cfg.scenario == "reconnect" && x.Drops == 0 {
		rep.correct("socket drops happened", "> 0", "0", false)
	}
	return nil
}

// twoNodeResult compares a fan-out on one node with one spread over two.
type twoNodeResult struct {
	OneNode  *fanoutResult `json:"one_node"`
	TwoNodes *fanoutResult `json:"two_nodes"`
	P99Ratio float64       `json:"p99_ratio"`
}

func (r *runner) twoNode(ctx context.Context, rep *report) error {
	res := &twoNodeResult{}
	for phase, spread := range []bool{false, true} {
		label, bases := "un-noeud", r.cfg.bases[:1]
		if spread {
			label, bases = "deux-noeuds", r.cfg.bases
		}
		t0 := time.Now()
		f, err := r.startFanout(ctx, label, r.cfg.conns, bases)
		if err != nil {
			return err
		}
		connect := time.Since(t0)
		x, err := f.measure(ctx, r.cfg.rate, r.cfg.duration, 0)
		if err != nil {
			f.stop()
			return err
		}
		x.ConnectSeconds = connect.Seconds()
		f.finish(rep, x, []string{"one node: ", "two nodes: "}[phase])
		f.stop()
		if spread {
			res.TwoNodes = x
		} else {
			res.OneNode = x
		}
	}
	if res.OneNode.Latency.P99 > 0 {
		res.P99Ratio = res.TwoNodes.Latency.P99 / res.OneNode.Latency.P99
	}
	rep.TwoNode = res
	rep.target("p99 two nodes / one node", "≤ 1.5", fmt.Sprintf("%.2f", res.P99Ratio), res.P99Ratio <= 1.5)
	return nil
}

// paced calls send at next, next+interval, … until end, ctx ends or send
// returns false; a call more than one interval behind schedule counts in
// late.
func paced(ctx context.Context, next, end time.Time, interval time.Duration, late *atomic.Uint64, send func() bool) {
	for next.Before(end) {
		if wait := time.Until(next); wait > 0 {
			if sleepCtx(ctx, wait) != nil {
				return
			}
		} else if -wait > interval {
			late.Add(1)
		}
		if !send() {
			return
		}
		next = next.Add(interval)
	}
}
