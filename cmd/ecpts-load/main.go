package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errChecksFailed):
		fmt.Fprintln(os.Stderr, "ecpts-load:", err)
		os.Exit(1)
	case err != nil:
		fmt.Fprintln(os.Stderr, "ecpts-load:", err)
		os.Exit(2)
	}
}

// Hard bounds: whatever the flags say, a run stays small enough for a
// developer machine and never outlives maxRunCap.
const (
	maxConns      = 20000
	maxRate       = 50000 // messages per second
	maxRunCap     = 30 * time.Minute
	maxUsers      = 2000
	maxDrops      = 100000
	maxChannels   = 500
	serverWSLimit = 20 // frames/s the server accepts per connection (docs/protocol.md)
)

// config is the parsed command line.
type config struct {
	scenario    string
	bases       []string
	email       string
	password    string
	cptsName    string
	conns       int
	rate        float64
	duration    time.Duration
	maxDuration time.Duration
	json        bool
	dataDir     string
	users       int
	channels    int
	connRate    float64
	dialers     int
	drops       int
	resumeFrom  string
	saturate    bool
	step        time.Duration
	maxSteps    int
	settle      time.Duration
	drain       time.Duration
	keep        bool
	strict      bool
	burst       bool
	cpuProfile  string
}

const usage = `ecpts-load drives a running e-CPTS server on this machine (loopback only)
and reports real-time figures.

Usage:
  ecpts-load <scenario> [flags]

Scenarios:
  idle       open -conns WebSockets (default 1,000), subscribe each to a fresh
             channel, let the server collect garbage, and report its memory per
             idle connection from /metrics.
  fanout     -conns subscribers (default 1,000) on one channel, publishers
             sending -rate messages/s (default 100) for -duration: deliveries/s,
             delivery latency, lost and duplicated seqs per subscriber.
             -saturate raises the rate step by step until deliveries/s stop
             growing.
  send       senders posting -rate messages/s in total (default 2,000) over
             WebSocket into -channels channels: send→ack latency, then a REST
             audit (every acked message stored exactly once, seqs gap-free).
  reconnect  a fanout run during which subscribers drop their sockets at
             random (-drops) and resume with since_seq: lost and duplicates.
  twonode    a fanout run with every subscriber on the first -base, then one
             with subscribers spread over two -base nodes (Redis): p99 ratio.

The server must allow the load: start it with ECPTS_SEND_RATE=100000 (the
per-user send limit, 5 msg/s by default, would refuse the publishers),
ECPTS_WRITE_RATE=100000 (the coordinator invites and validates every load
user: more than 20 requests/s) and ECPTS_WS_PER_USER=20000 (a user may hold 50 sockets by default, and every
connection uses the coordinator's session unless -users is given), and
raise the open-file limit of both processes for thousands of sockets:

  ulimit -n 20000
  ECPTS_DEMO=1 ECPTS_SEND_RATE=100000 ECPTS_WRITE_RATE=100000 ECPTS_WS_PER_USER=20000 ECPTS_DATA_DIR=$(mktemp -d) \
    ECPTS_ADDR=127.0.0.1:8080 ./bin/ecpts &
  ulimit -n 20000; go run ./cmd/ecpts-load fanout -conns 1000 -rate 100

Every run creates its own channel(s) in the coordinator's CPTS and archives
them at the end (-keep to leave them). Exit status: 0, 1 when a correctness
check failed (lost, duplicated or badly stored messages; with -strict also a
missed target), 2 on error.

Flags:
`

// parseArgs reads the scenario and its flags.
func parseArgs(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("ecpts-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			fs.Usage()
			return c, flag.ErrHelp
		}
		fs.Usage()
		return c, errors.New("name a scenario: idle, fanout, send, reconnect or twonode")
	}
	c.scenario = args[0]
	if !slices.Contains([]string{"idle", "fanout", "send", "reconnect", "twonode"}, c.scenario) {
		return c, fmt.Errorf("unknown scenario %q: want idle, fanout, send, reconnect or twonode", c.scenario)
	}
	var bases string
	fs.StringVar(&bases, "base", "http://127.0.0.1:8080", "server base URL; twonode takes two, comma-separated (loopback only)")
	fs.StringVar(&c.email, "email", "coordination@loire-nord.demo", "coordinator account (creates the run's channels)")
	fs.StringVar(&c.password, "password", "demo-ecpts", "its password")
	fs.StringVar(&c.cptsName, "cpts", "Loire Nord", "CPTS (part of its name) where the run's channels are created")
	fs.IntVar(&c.conns, "conns", 0, "connections: idle/fanout/reconnect/twonode subscribers (default 1000); send: senders (default rate/conn-rate)")
	fs.Float64Var(&c.rate, "rate", 0, "messages per second in total (fanout default 100, send default 2000; with -saturate, the first step)")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long publishers/senders send")
	fs.DurationVar(&c.maxDuration, "max-duration", 10*time.Minute, "hard limit of the whole run (at most 30m)")
	fs.BoolVar(&c.json, "json", false, "print the report as JSON")
	fs.StringVar(&c.dataDir, "data-dir", "", "the server's ECPTS_DATA_DIR (needed by -users: invitation e-mails are read there)")
	fs.IntVar(&c.users, "users", 0, "create this many load users through the invitation flow and spread connections over them (0: every connection uses the coordinator's session)")
	fs.IntVar(&c.channels, "channels", 10, "send: channels the senders spread over")
	fs.Float64Var(&c.connRate, "conn-rate", 15, "messages/s one sending connection sends (the server accepts 20 frames/s per connection)")
	fs.IntVar(&c.dialers, "dialers", 32, "WebSockets opened concurrently while connecting")
	fs.IntVar(&c.drops, "drops", 0, "reconnect: socket drops spread over the run (default: as many as subscribers)")
	fs.StringVar(&c.resumeFrom, "resume-from", "highest", "reconnect: since_seq sent on resume, highest (what docs/protocol.md says) or contiguous (highest seq with no gap below)")
	fs.BoolVar(&c.saturate, "saturate", false, "fanout: raise the rate ×1.5 per step until deliveries/s stop growing")
	fs.DurationVar(&c.step, "step", 5*time.Second, "fanout -saturate: duration of one step")
	fs.IntVar(&c.maxSteps, "max-steps", 12, "fanout -saturate: at most this many steps")
	fs.DurationVar(&c.settle, "settle", 150*time.Second, "idle: longest wait for the server's next garbage collection before reading its memory (Go forces one every 2 minutes); 0 reads at once")
	fs.DurationVar(&c.drain, "drain", 15*time.Second, "longest wait, after sending, for acks and deliveries to arrive")
	fs.BoolVar(&c.keep, "keep", false, "leave the run's channels unarchived")
	fs.BoolVar(&c.burst, "subscribe-burst", false, "idle: open every socket first, then send every subscribe at once (a reconnect storm after a restart); default: each socket subscribes as soon as it is open, -dialers at a time")
	fs.BoolVar(&c.strict, "strict", false, "exit 1 when a target is missed too")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write this tool's CPU profile to the file (the server's CPU is in the report)")
	if err := fs.Parse(args[1:]); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, b := range strings.Split(bases, ",") {
		if b = strings.TrimRight(strings.TrimSpace(b), "/"); b != "" {
			c.bases = append(c.bases, b)
		}
	}
	return c, c.validate()
}

func (c *config) validate() error {
	if len(c.bases) == 0 {
		return errors.New("-base: no URL")
	}
	for _, b := range c.bases {
		if err := loopbackOnly(b); err != nil {
			return err
		}
	}
	if c.scenario == "twonode" && len(c.bases) != 2 {
		return errors.New("twonode needs two nodes: -base http://127.0.0.1:8080,http://127.0.0.1:8081")
	}
	if c.scenario != "twonode" && len(c.bases) != 1 {
		return fmt.Errorf("%s takes one -base", c.scenario)
	}
	if c.maxDuration <= 0 || c.maxDuration > maxRunCap {
		return fmt.Errorf("-max-duration must be in (0, %s]", maxRunCap)
	}
	if c.duration <= 0 || c.duration > c.maxDuration {
		return fmt.Errorf("-duration must be in (0, -max-duration]")
	}
	if c.connRate <= 0 || c.connRate > serverWSLimit {
		return fmt.Errorf("-conn-rate must be in (0, %d]: the server drops frames beyond %d/s per connection", serverWSLimit, serverWSLimit)
	}
	switch c.scenario {
	case "send":
		if c.rate == 0 {
			c.rate = 2000
		}
		if c.conns == 0 {
			c.conns = int(ceilDiv(c.rate, c.connRate))
		}
		if c.channels < 1 || c.channels > maxChannels {
			return fmt.Errorf("-channels must be in [1, %d]", maxChannels)
		}
	default:
		if c.rate == 0 {
			c.rate = 100
		}
		if c.conns == 0 {
			c.conns = 1000
		}
	}
	if c.conns < 1 || c.conns > maxConns {
		return fmt.Errorf("-conns must be in [1, %d]", maxConns)
	}
	if c.rate <= 0 || c.rate > maxRate {
		return fmt.Errorf("-rate must be in (0, %d]", maxRate)
	}
	if c.users < 0 || c.users > maxUsers {
		return fmt.Errorf("-users must be in [0, %d]", maxUsers)
	}
	if c.scenario == "reconnect" && c.drops == 0 {
		c.drops = c.conns
	}
	if c.drops < 0 || c.drops > maxDrops {
		return fmt.Errorf("-drops must be in [0, %d]", maxDrops)
	}
	if c.resumeFrom != "highest" && c.resumeFrom != "contiguous" {
		return errors.New("-resume-from: highest or contiguous")
	}
	if c.dialers < 1 || c.dialers > 512 {
		return errors.New("-dialers must be in [1, 512]")
	}
	if c.burst && c.scenario != "idle" {
		return errors.New("-subscribe-burst goes with idle")
	}
	if c.saturate && c.scenario != "fanout" {
		return errors.New("-saturate goes with fanout")
	}
	if c.step <= 0 || c.maxSteps < 1 || c.maxSteps > 30 {
		return errors.New("-step must be positive and -max-steps in [1, 30]")
	}
	if c.settle < 0 || c.settle > 5*time.Minute || c.drain <= 0 || c.drain > 5*time.Minute {
		return errors.New("-settle must be in [0, 5m] and -drain in (0, 5m]")
	}
	return nil
}

// loopbackOnly refuses any target that is not this machine: the tool
// opens thousands of sockets and sends thousands of messages a second.
func loopbackOnly(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("-base %q: %w", base, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("-base %q: want http:// or https://", base)
	}
	if u.Path != "" || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("-base %q: give the server's root, e.g. http://127.0.0.1:8080", base)
	}
	switch u.Hostname() {
	case "127.0.0.1", "::1", "localhost":
		return nil
	}
	return fmt.Errorf("-base %q: ecpts-load only targets this machine (127.0.0.1, ::1 or localhost)", base)
}

func ceilDiv(a, b float64) float64 {
	n := a / b
	if n != float64(int64(n)) {
		return float64(int64(n) + 1)
	}
	return n
}

var errChecksFailed = errors.New("a check failed (see the report)")

// run parses args, runs the scenario within the hard time limit, prints
// the report on stdout, and returns errChecksFailed when a correctness
// check (or, with -strict, a target) failed.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.maxDuration)
	defer cancel()
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	r := &runner{cfg: cfg, log: log, runID: newRunID()}
	rep, err := r.run(ctx)
	if rep != nil {
		if cfg.json {
			if werr := rep.writeJSON(stdout); werr != nil && err == nil {
				err = werr
			}
		} else {
			rep.writeText(stdout)
		}
	}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%w (the run hit -max-duration %s)", err, cfg.maxDuration)
		}
		return err
	}
	if rep.failed(cfg.strict) {
		return errChecksFailed
	}
	return nil
}

func newRunID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
