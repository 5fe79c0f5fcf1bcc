package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// memSample is a server's memory as its /metrics reports it.
type memSample struct {
	HeapInuse  float64 `json:"heap_inuse_bytes"`
	StackInuse float64 `json:"stack_inuse_bytes"`
	RSS        float64 `json:"resident_bytes"`
	Goroutines float64 `json:"goroutines"`
	GCs        float64 `json:"gc_count"`
	// AfterGC: a garbage collection ended between the phase's start and
	// this sample, so the heap holds little garbage of the phase.
	AfterGC bool `json:"after_gc"`
}

type idleResult struct {
	Channel             string            `json:"channel"`
	Connections         int               `json:"connections"`
	ConnectSeconds      float64           `json:"connect_s"`
	ServerConnections   float64           `json:"server_connections"`
	ServerSubscriptions float64           `json:"server_subscriptions"`
	Before              memSample         `json:"before"`
	After               memSample         `json:"after"`
	HeapKiBPerConn      float64           `json:"heap_kib_per_conn"`
	StackKiBPerConn     float64           `json:"stack_kib_per_conn"`
	HeapStackKiBPerConn float64           `json:"heap_stack_kib_per_conn"`
	RSSKiBPerConn       float64           `json:"rss_kib_per_conn"`
	GoroutinesPerConn   float64           `json:"goroutines_per_conn"`
	Closes              map[string]uint64 `json:"closes,omitempty"`
	Subscribed          int64             `json:"subscribed"`
	Refused             map[string]uint64 `json:"refused,omitempty"`
}

func (x *idleResult) write(p func(string, ...any)) {
	mib := func(b float64) float64 { return b / (1 << 20) }
	p("  %d idle connections, %d subscribed to channel %s (connected and subscribed in %.1f s); the server counts %.0f connections, %.0f subscriptions",
		x.Connections, x.Subscribed, x.Channel, x.ConnectSeconds, x.ServerConnections, x.ServerSubscriptions)
	if len(x.Refused) > 0 {
		p("  subscribes refused: %s", fmtCounts(x.Refused))
	}
	p("  before: heap in use %.1f MiB, stacks %.1f MiB, resident %.1f MiB, %0.f goroutines (after a GC: %v)", mib(x.Before.HeapInuse), mib(x.Before.StackInuse), mib(x.Before.RSS), x.Before.Goroutines, x.Before.AfterGC)
	p("  after:  heap in use %.1f MiB, stacks %.1f MiB, resident %.1f MiB, %0.f goroutines (after a GC: %v)", mib(x.After.HeapInuse), mib(x.After.StackInuse), mib(x.After.RSS), x.After.Goroutines, x.After.AfterGC)
	p("  per connection: heap %.1f KiB + stacks %.1f KiB = %.1f KiB; resident %.1f KiB; %.1f goroutines", x.HeapKiBPerConn, x.StackKiBPerConn, x.HeapStackKiBPerConn, x.RSSKiBPerConn, x.GoroutinesPerConn)
	if len(x.Closes) > 0 {
		p("  sockets that ended during the hold: %s", fmtCounts(x.Closes))
	}
}

// sampleAfterGC waits (at most settle) for the server to finish a garbage
// collection it had not finished when called, then samples its memory.
func sampleAfterGC(ctx context.Context, base string, settle time.Duration) (memSample, error) {
	read := func() (memSample, error) {
		m, err := scrapeMetrics(ctx, base)
		if err != nil {
			return memSample{}, err
		}
		for _, k := range []string{"go_memstats_heap_inuse_bytes", "go_memstats_stack_inuse_bytes", "go_goroutines", "go_gc_duration_seconds_count"} {
			if _, ok := m[k]; !ok {
				return memSample{}, fmt.Errorf("%s/metrics has no %s", base, k)
			}
		}
		return memSample{
			HeapInuse: m["go_memstats_heap_inuse_bytes"], StackInuse: m["go_memstats_stack_inuse_bytes"],
			RSS: m["process_resident_memory_bytes"], Goroutines: m["go_goroutines"], GCs: m["go_gc_duration_seconds_count"],
		}, nil
	}
	first, err := read()
	if err != nil || settle == 0 {
		return first, err
	}
	var last memSample
	waitUntil(ctx, settle, time.Second, func() bool {
		last, err = read()
		return err != nil || last.GCs > first.GCs
	})
	if err != nil {
		return memSample{}, err
	}
	last.AfterGC = last.GCs > first.GCs
	return last, ctx.Err()
}

// idle opens -conns sockets, subscribes each to one channel, and reports
// the server's memory per connection.
func (r *runner) idle(ctx context.Context, rep *report) error {
	base := r.cfg.bases[0]
	ch, err := r.newChannel(ctx, "inactives")
	if err != nil {
		return err
	}
	r.log.Info("waiting for a garbage collection before the baseline", "settle", r.cfg.settle)
	before, err := sampleAfterGC(ctx, base, r.cfg.settle)
	if err != nil {
		return err
	}

	t0 := time.Now()
	n := r.cfg.conns
	var (
		subscribed atomic.Int64
		refused    atomic.Int64
		errs       counts
		closes     counts
		stopping   atomic.Bool
		wg         sync.WaitGroup
	)
	// Each socket gets its reader at once: it answers the server's pings
	// and counts the subscribe's answer.
	opened := func(_ int, c *wsConn) error {
		wg.Go(func() {
			err := c.readLoop(func(f *frame) {
				switch f.kind {
				case kindSubscribed:
					subscribed.Add(1)
				case kindError:
					refused.Add(1)
					errs.add(string(f.code))
				}
			})
			if !stopping.Load() {
				closes.add(fmt.Sprintf("code_%d", closeCode(err)))
			}
		})
		if r.cfg.burst {
			return nil
		}
		return c.subscribe(ch, 0)
	}
	conns, err := r.dialAll(ctx, n, func(int) string { return base }, r.userFor, opened)
	defer func() {
		stopping.Store(true)
		sem := make(chan struct{}, 64)
		for _, c := range conns {
			sem <- struct{}{}
			go func() { c.closeNormal(); <-sem }()
		}
		wg.Wait()
	}()
	if err != nil {
		return err
	}
	if r.cfg.burst {
		for _, c := range conns {
			if err := c.subscribe(ch, 0); err != nil {
				return fmt.Errorf("subscribe: %w", err)
			}
		}
	}
	limit := time.Minute + time.Duration(n)*20*time.Millisecond
	waitUntil(ctx, limit, 50*time.Millisecond, func() bool { return subscribed.Load()+refused.Load() >= int64(n) })
	connect := time.Since(t0)
	r.log.Info("connections subscribed; waiting for a garbage collection", "conns", n, "subscribed", subscribed.Load(), "seconds", connect.Seconds(), "settle", r.cfg.settle)
	after, err := sampleAfterGC(ctx, base, r.cfg.settle)
	if err != nil {
		return err
	}
	m, err := scrapeMetrics(ctx, base)
	if err != nil {
		return err
	}
	kib := func(b float64) float64 { return b / 1024 / float64(n) }
	x := &idleResult{
		Channel: ch, Connections: n, ConnectSeconds: connect.Seconds(),
		ServerConnections: m["ecpts_ws_connections"], ServerSubscriptions: m["ecpts_ws_subscriptions"],
		Before: before, After: after,
		HeapKiBPerConn:      kib(after.HeapInuse - before.HeapInuse),
		StackKiBPerConn:     kib(after.StackInuse - before.StackInuse),
		HeapStackKiBPerConn: kib(after.HeapInuse + after.StackInuse - before.HeapInuse - before.StackInuse),
		RSSKiBPerConn:       kib(after.RSS - before.RSS),
		GoroutinesPerConn:   (after.Goroutines - before.Goroutines) / float64(n),
		Closes:              closes.snapshot(),
		Subscribed:          subscribed.Load(),
		Refused:             errs.snapshot(),
	}
	rep.Idle = x
	rep.correct("every connection subscribed", fmt.Sprint(n), fmt.Sprint(x.Subscribed), x.Subscribed == int64(n))
	rep.correct("server holds every connection", fmt.Sprintf("≥ %d", n), fmt.Sprintf("%.0f", x.ServerConnections), x.ServerConnections >= float64(n))
	rep.correct("no connection ended while idle", "0", fmt.Sprint(len(x.Closes)), len(x.Closes) == 0)
	if x.HeapStackKiBPerConn <= 0 && before.AfterGC && after.AfterGC {
		rep.correct("memory grew with the connections", "> 0", fmt.Sprintf("%.1f KiB", x.HeapStackKiBPerConn), false)
		rep.note("the baseline held memory of an earlier run that was freed meanwhile: run idle on a freshly started server")
	}
	rep.target("heap+stacks per idle connection", "≤ 20 KiB", fmt.Sprintf("%.1f KiB", x.HeapStackKiBPerConn), x.HeapStackKiBPerConn <= 20)
	if !before.AfterGC || !after.AfterGC {
		rep.note("no garbage collection finished within -settle %s before a sample: the heap figures include garbage", r.cfg.settle)
	}
	rep.note("heap and stacks from go_memstats_heap_inuse_bytes + go_memstats_stack_inuse_bytes; resident memory (process_resident_memory_bytes) also counts memory the runtime has not returned to the system")
	return nil
}
