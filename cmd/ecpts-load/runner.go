package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// runner holds what every scenario shares: the coordinator's session, the
// CPTS where channels are made, the load users, the channels to archive.
type runner struct {
	cfg   config
	log   *slog.Logger
	runID string

	coord    *session
	cpts     string
	users    []*session // sessions connections spread over (at least one)
	channels []string   // created by this run, archived at the end
}

func (r *runner) run(ctx context.Context) (*report, error) {
	rep := &report{Scenario: r.cfg.scenario, Run: r.runID, Bases: r.cfg.bases, Started: time.Now().UTC(), Params: r.params()}
	start := time.Now()
	defer func() { rep.WallSeconds = time.Since(start).Seconds() }()
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	defer r.cleanup()
	var err error
	switch r.cfg.scenario {
	case "idle":
		err = r.idle(ctx, rep)
	case "fanout":
		if r.cfg.saturate {
			err = r.saturate(ctx, rep)
		} else {
			err = r.fanout(ctx, rep)
		}
	case "reconnect":
		err = r.fanout(ctx, rep)
	case "send":
		err = r.send(ctx, rep)
	case "twonode":
		err = r.twoNode(ctx, rep)
	}
	if err != nil {
		return rep, err
	}
	return rep, nil
}

func (r *runner) params() map[string]any {
	c := r.cfg
	p := map[string]any{"conns": c.conns, "duration": c.duration.String(), "users": c.users, "conn_rate": c.connRate}
	switch c.scenario {
	case "idle":
		p = map[string]any{"conns": c.conns, "users": c.users, "settle": c.settle.String(), "subscribe_burst": c.burst}
	case "send":
		p["rate"] = c.rate
		p["channels"] = c.channels
	case "reconnect":
		p["rate"] = c.rate
		p["drops"] = c.drops
		p["resume_from"] = c.resumeFrom
	default:
		p["rate"] = c.rate
		if c.saturate {
			p["saturate"] = true
			p["step"] = c.step.String()
			p["max_steps"] = c.maxSteps
		}
	}
	return p
}

// setup logs the coordinator in, finds the CPTS and makes the load users.
func (r *runner) setup(ctx context.Context) error {
	base := r.cfg.bases[0]
	for _, b := range r.cfg.bases {
		if _, err := scrapeMetrics(ctx, b); err != nil {
			return fmt.Errorf("server %s not reachable: %w", b, err)
		}
	}
	var err error
	if r.coord, err = login(ctx, base, r.cfg.email, r.cfg.password); err != nil {
		return err
	}
	if r.cpts, err = r.coord.coordinatedCPTS(ctx, base, r.cfg.cptsName); err != nil {
		return err
	}
	r.users = []*session{r.coord}
	if r.cfg.users > 0 {
		t0 := time.Now()
		users, err := createUsers(ctx, base, r.coord, r.cpts, r.cfg.dataDir, r.runID, r.cfg.users)
		if err != nil {
			return err
		}
		r.users = users
		r.log.Info("load users ready", "users", len(users), "seconds", time.Since(t0).Seconds())
	}
	return nil
}

// newChannel creates a channel for this run and makes every load user
// join it.
func (r *runner) newChannel(ctx context.Context, label string) (string, error) {
	base := r.cfg.bases[0]
	id, err := r.coord.createChannel(ctx, base, r.cpts, "charge "+r.runID+" "+label)
	if err != nil {
		return "", fmt.Errorf("create the run's channel: %w", err)
	}
	r.channels = append(r.channels, id)
	for _, u := range r.users {
		if u == r.coord {
			continue
		}
		if err := u.joinChannel(ctx, base, id); err != nil {
			return "", fmt.Errorf("load user joins %s: %w", id, err)
		}
	}
	return id, nil
}

// cleanup archives the run's channels (their messages stay).
func (r *runner) cleanup() {
	if r.cfg.keep || r.coord == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, ch := range r.channels {
		if err := r.coord.archiveChannel(ctx, r.cfg.bases[0], ch); err != nil {
			r.log.Warn("archive the run's channel", "channel_id", ch, "err", err)
		}
	}
}

// userFor spreads connections over the load users.
func (r *runner) userFor(i int) *session { return r.users[i%len(r.users)] }

// dialAll opens n WebSockets, dialers at a time; conn i goes to base(i)
// with session user(i), and then (when not nil) opened(i, conn) runs on
// the dialing goroutine. It stops at the first failure.
func (r *runner) dialAll(ctx context.Context, n int, base func(i int) string, user func(i int) *session, opened func(i int, c *wsConn) error) ([]*wsConn, error) {
	conns := make([]*wsConn, n)
	var (
		next   atomic.Int64
		failed atomic.Pointer[error]
		wg     sync.WaitGroup
	)
	for range min(r.cfg.dialers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || failed.Load() != nil || ctx.Err() != nil {
					return
				}
				c, err := dialWS(ctx, base(i), user(i))
				if err != nil {
					err = fmt.Errorf("connection %d of %d: %w%s", i+1, n, err, fdHint(err))
					failed.CompareAndSwap(nil, &err)
					return
				}
				conns[i] = c
				if opened != nil {
					if err := opened(i, c); err != nil {
						err = fmt.Errorf("connection %d of %d: %w", i+1, n, err)
						failed.CompareAndSwap(nil, &err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if p := failed.Load(); p != nil || ctx.Err() != nil {
		for _, c := range conns {
			if c != nil {
				c.drop()
			}
		}
		if p != nil {
			return nil, *p
		}
		return nil, ctx.Err()
	}
	return conns, nil
}

func fdHint(err error) string {
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || strings.Contains(err.Error(), "too many open files") {
		return " (raise the open-file limit of this shell and of the server: ulimit -n 20000)"
	}
	if errors.Is(err, syscall.EADDRNOTAVAIL) {
		return " (out of loopback ephemeral ports)"
	}
	return ""
}

// cpuMeter measures, over a window, the CPU time the servers (from their
// /metrics) and this tool used, and the machine's load: both share the
// same cores, so a figure only means something next to these.
type cpuMeter struct {
	bases     []string
	wall      time.Time
	server    float64
	tool      time.Duration
	loadStart float64
}

type cpuUse struct {
	CPUs             int     `json:"cpus"`
	WallSeconds      float64 `json:"wall_s"`
	ServerCPUSeconds float64 `json:"server_cpu_s"`
	ToolCPUSeconds   float64 `json:"tool_cpu_s"`
	Load1Start       float64 `json:"load1_start"`
	Load1End         float64 `json:"load1_end"`
}

func startCPU(ctx context.Context, bases []string) *cpuMeter {
	m := &cpuMeter{bases: bases, wall: time.Now(), tool: toolCPU(), loadStart: load1()}
	m.server = serverCPU(ctx, bases)
	return m
}

func (m *cpuMeter) stop(ctx context.Context) cpuUse {
	return cpuUse{
		CPUs:             runtime.NumCPU(),
		WallSeconds:      time.Since(m.wall).Seconds(),
		ServerCPUSeconds: serverCPU(ctx, m.bases) - m.server,
		ToolCPUSeconds:   (toolCPU() - m.tool).Seconds(),
		Load1Start:       m.loadStart,
		Load1End:         load1(),
	}
}

func serverCPU(ctx context.Context, bases []string) float64 {
	var sum float64
	for _, b := range bases {
		if ms, err := scrapeMetrics(ctx, b); err == nil {
			sum += ms["process_cpu_seconds_total"]
		}
	}
	return sum
}

func toolCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// load1 is the one-minute load average (0 where /proc is missing).
func load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _, _ := strings.Cut(string(b), " ")
	v, _ := strconv.ParseFloat(f, 64)
	return v
}

// sleepCtx sleeps d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// waitUntil polls cond every interval until it holds, ctx ends or limit
// passes; it reports whether cond held.
func waitUntil(ctx context.Context, limit, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) || sleepCtx(ctx, interval) != nil {
			return cond()
		}
	}
}
