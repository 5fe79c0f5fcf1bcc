package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ecpts/ecpts/frontend"
	"github.com/ecpts/ecpts/internal/auth"
	"github.com/ecpts/ecpts/internal/blob"
	"github.com/ecpts/ecpts/internal/clamav"
	"github.com/ecpts/ecpts/internal/config"
	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/demo"
	"github.com/ecpts/ecpts/internal/envelope"
	"github.com/ecpts/ecpts/internal/mailer"
	"github.com/ecpts/ecpts/internal/msglog"
	"github.com/ecpts/ecpts/internal/ratelimit"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/cache"
	"github.com/ecpts/ecpts/internal/tick"
	"github.com/ecpts/ecpts/realtime"
	"github.com/ecpts/ecpts/realtime/redisbroker"
	"github.com/ecpts/ecpts/search"
	"github.com/ecpts/ecpts/server"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// run wires config → store → core → server, serves until ctx ends, then
// stops in reverse order. It prints the URL on out once the app is ready.
func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	switch {
	case len(args) == 1 && args[0] == "healthcheck":
		return healthcheck(ctx, cfg.Addr)
	case len(args) == 1 && args[0] == "reindex":
		return reindex(ctx, cfg, out)
	case len(args) > 0 && args[0] == "admin":
		return adminCommand(ctx, cfg, args[1:], os.Stdin, out)
	case len(args) > 0:
		return fmt.Errorf("unexpected arguments %q: ecpts takes no arguments but `healthcheck`, `reindex` and `admin create EMAIL`, and is configured by ECPTS_* environment variables (see README)", args)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg, os.Stderr)
	log.Info("starting e-CPTS", "config", cfg)
	now := time.Now

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("ECPTS_DATA_DIR: cannot create %s: %w", cfg.DataDir, err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	st, err := store.Open(ctx, store.Options{
		MongoURL: cfg.MongoURL, PostgresURL: cfg.PostgresURL, DataDir: cfg.DataDir, Database: cfg.MongoDB,
		Logger: log.With("component", "store"), Registerer: reg, Now: now,
	})
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := st.Close(cctx); err != nil {
			log.Error("close store", "err", err)
		}
	}()
	log.Info("store ready", "backend", st.Backend())
	// The protocol library's projections and index entries, and the
	// materials' index, are brought up to date before serving (a crash
	// between two writes, or entries of an older format).
	if n, err := st.Protocols.RepairAll(ctx); err != nil {
		log.Error("repair protocols", "err", err)
	} else if n > 0 {
		log.Info("protocols repaired", "count", n)
	}
	if n, err := st.Materials.RepairIndex(ctx); err != nil {
		log.Error("repair material index", "err", err)
	} else if n > 0 {
		log.Info("material index repaired", "count", n)
	}

	checks := map[string]func(context.Context) error{"database": st.Ping}
	var (
		pairRL, ipRL, acctRL    ratelimit.Limiter
		broker                  realtime.Broker
		window                  msglog.SharedWindow
		sendBucket, writeBucket ratelimit.Bucket
	)
	if cfg.RedisURL != "" {
		rn, err := redisbroker.Connect(ctx, cfg.RedisURL, redisbroker.Options{Prefix: cfg.RedisPrefix, Logger: log.With("component", "broker")})
		if err != nil {
			return fmt.Errorf("ECPTS_REDIS_URL: %w", err)
		}
		defer rn.Close()
		broker, window = rn.Broker, rn.Window
		// Not the "rl:ip:" and "rl:acct:" of the fixed windows before: their
		// counters are strings, which these hashes cannot read.
		pairRL = ratelimit.NewRedis(rn.Client, cfg.RedisPrefix+"rl:login:pair:", core.LoginPairRule, now)
		ipRL = ratelimit.NewRedis(rn.Client, cfg.RedisPrefix+"rl:login:ip:", core.LoginIPRule, now)
		acctRL = ratelimit.NewRedis(rn.Client, cfg.RedisPrefix+"rl:login:acct:", core.LoginAccountRule, now)
		wrate, wburst := core.WriteLimits(cfg.WriteRate)
		writeBucket = ratelimit.NewRedisBucket(rn.Client, cfg.RedisPrefix+"writes:", wrate, wburst)
		rate, burst := core.SendLimits(cfg.SendRate, 0)
		sendBucket = ratelimit.NewRedisBucket(rn.Client, cfg.RedisPrefix+"send:", rate, burst)
	} else {
		pairRL = ratelimit.NewMemory(core.LoginPairRule, now)
		ipRL = ratelimit.NewMemory(core.LoginIPRule, now)
		acctRL = ratelimit.NewMemory(core.LoginAccountRule, now)
		broker = realtime.NewMemoryBroker()
	}
	checks["broker"] = broker.Ping

	var configuredKey []byte
	if cfg.MasterKey != "" {
		if configuredKey, err = config.DecodeMasterKey(cfg.MasterKey); err != nil {
			return fmt.Errorf("ECPTS_MASTER_KEY: %w", err)
		}
	}
	master, err := envelope.LoadOrCreateMasterKey(cfg.DataDir, configuredKey)
	if err != nil {
		return fmt.Errorf("ECPTS_MASTER_KEY: %w", err)
	}
	keyring, err := envelope.NewKeyring(master)
	if err != nil {
		return fmt.Errorf("ECPTS_MASTER_KEY: %w", err)
	}

	mail, err := mailer.FromConfig(cfg.SMTPURL, cfg.SMTPFrom, cfg.DataDir, now)
	if err != nil {
		return err
	}

	demoLoaded := false
	if cfg.Demo {
		if demoLoaded, err = demo.Load(ctx, st, log, now(), auth.DefaultParams); err != nil {
			return err
		}
	}

	// Listening now gives the demo its public URL: the address really bound
	// (ECPTS_ADDR may say port 0). Connections wait in the backlog until
	// the server serves.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("ECPTS_ADDR: cannot listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	publicURL := cfg.PublicURL
	switch {
	case publicURL == "" && cfg.Demo:
		publicURL = listenURL(ln.Addr())
	case publicURL == "":
		log.Warn("ECPTS_PUBLIC_URL is not set: invitations are disabled (their e-mail links are built on it, never on a request's Host)")
	}

	// The search index. When it cannot be opened the server still starts:
	// search answers search_unavailable and writes wait in the outbox.
	// fresh: the index was opened new or rebuilt empty (at start, or
	// later when it comes back): it is filled from the store.
	fresh := make(chan struct{}, 1)
	index := &lazyIndex{retryEvery: 10 * time.Second, log: log.With("component", "search"),
		open: func(ctx context.Context) (search.Index, error) {
			idx, isNew, err := openIndex(ctx, cfg, log.With("component", "search"))
			if err == nil && isNew {
				select {
				case fresh <- struct{}{}:
				default:
				}
			}
			return idx, err
		}}
	_, _ = index.get(ctx)
	defer func() {
		if err := index.Close(); err != nil {
			log.Error("close search index", "err", err)
		}
	}()
	// Uploaded files: on the filesystem under the data directory (the
	// embedded default, measured in docs/benchmarks.md "Files"), or in
	// GridFS on a real MongoDB so that replicas share them.
	var blobs blob.Store
	if st.Backend() == store.BackendMongoDB {
		if blobs, err = blob.NewGridFS(ctx, st.Database(), ""); err != nil {
			return fmt.Errorf("files (GridFS): %w", err)
		}
	} else if blobs, err = blob.NewFS(filepath.Join(cfg.DataDir, "files")); err != nil {
		return fmt.Errorf("ECPTS_DATA_DIR: files: %w", err)
	}
	var scanner clamav.Scanner
	if cfg.ClamdAddr != "" {
		cl, err := clamav.New(cfg.ClamdAddr, clamav.Options{MaxSize: cfg.MaxUploadBytes()})
		if err != nil {
			return fmt.Errorf("ECPTS_CLAMD_ADDR: %w", err)
		}
		scanner = cl
		checks["clamav"] = cl.Ping
	}

	pub := realtime.NewPublisher(broker)
	// The read markers are cached only on a node alone: with several,
	// another node writes them too.
	layer := cache.New(st, cache.Options{Bus: cacheBus{pub}, Markers: cfg.RedisURL == "", Now: now, Logger: log.With("component", "cache")})
	app := core.New(core.Deps{
		Store: st, Cache: layer, Mailer: mail, PairLimiter: pairRL, IPLimiter: ipRL, AccountLimiter: acctRL,
		Logger: log.With("component", "core"), Now: now, PublicURL: publicURL,
		Publisher: publisher{p: pub},
		Sealer:    keyring, MultiNode: cfg.RedisURL != "", Window: window, SendRate: cfg.SendRate, SendBucket: sendBucket,
		WriteRate: cfg.WriteRate, WriteBucket: writeBucket, Search: index,
		Blobs: blobs, Scanner: scanner, MaxUpload: cfg.MaxUploadBytes(),
	})
	registerSearchMetrics(reg, app)
	if cfg.DebugAddr != "" {
		if err := serveDebug(ctx, cfg.DebugAddr, log); err != nil {
			return fmt.Errorf("ECPTS_DEBUG_ADDR: %w", err)
		}
	}
	if demoLoaded {
		if err := demo.LoadMessages(ctx, st, app); err != nil {
			return err
		}
		if err := demo.LoadPosts(ctx, st, app, now()); err != nil {
			return err
		}
		if err := demo.LoadLibrary(ctx, st, app); err != nil {
			return err
		}
		if err := demo.LoadMaterials(ctx, st, app); err != nil {
			return err
		}
	}
	hub := realtime.New(broker, hubApp{c: app}, realtime.Options{
		Logger: log.With("component", "realtime"), Now: now, MaxConnsPerUser: cfg.WSPerUser,
		OnInvalidate: applyInvalidation(layer, log),
	})
	registerHubMetrics(reg, hub)

	// Background work, stopped (and waited for) before the store closes.
	bgCtx, stopBg := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	defer func() { stopBg(); bg.Wait() }()
	bg.Add(5)
	go func() {
		defer bg.Done()
		for {
			select {
			case <-bgCtx.Done():
				return
			case <-fresh:
				// A new or rebuilt index over existing data: fill it from
				// the store (the indexer goes on beside it; both derive
				// from the store).
				if n, err := app.Reindex(bgCtx, nil); err != nil {
					log.Error("search index rebuild", "err", err)
				} else {
					log.Info("search index rebuilt from the store", "documents", n)
				}
			}
		}
	}()
	go func() {
		defer bg.Done()
		app.RunIndexer(bgCtx)
	}()
	go func() { defer bg.Done(); sweepSessions(bgCtx, st, log, now) }()
	go func() { defer bg.Done(); app.Run(bgCtx) }()
	go func() {
		defer bg.Done()
		if err := hub.Run(bgCtx); err != nil {
			log.Error("realtime hub stopped", "err", err)
		}
	}()
	select {
	case <-hub.Ready():
	case <-ctx.Done():
		return nil
	}

	ui, _ := frontend.Dist()
	srv := server.New(server.Deps{
		Core: app, Logger: log.With("component", "http"), Registry: reg, Checks: checks,
		Reports:   map[string]func(context.Context) error{"search": index.Check},
		PublicURL: publicURL, Origins: cfg.Origins, TrustedProxies: cfg.TrustedProxies, UI: ui,
		Hub: hub, HubContext: bgCtx, Presence: hub.Online,
	})
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	url := publicURL
	if url == "" {
		url = listenURL(ln.Addr())
	}
	fmt.Fprintf(out, "e-CPTS est prêt : %s (données : %s)\n", url, absPath(cfg.DataDir))
	if cfg.Demo {
		fmt.Fprintf(out, "Comptes de démonstration : coordination@loire-nord.demo, infirmiere@loire-nord.demo, pharmacien@val-de-cher.demo, kine@loire-nord.demo, admin@ecpts.demo — mot de passe %s\n", demo.Password)
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
	}
	log.Info("shutting down")
	// Close the WebSockets first (clients reconnect elsewhere and resume),
	// then let HTTP requests finish; the store closes last (deferred).
	stopBg()
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Error("http shutdown", "err", err)
	}
	return nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// sweepSessions deletes expired sessions hourly: FerretDB has no TTL index.
func sweepSessions(ctx context.Context, st *store.Store, log *slog.Logger, now func() time.Time) {
	tick.Every(ctx, time.Hour, func() {
		if n, err := st.Sessions.DeleteExpired(ctx, now()); err != nil {
			log.Warn("sweep sessions", "err", err)
		} else if n > 0 {
			log.Info("expired sessions deleted", "count", n)
		}
	})
}

// listenURL is the http:// address of a listener; a wildcard host
// (0.0.0.0, ::) is reached on loopback.
func listenURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// healthcheck asks the server listening on addr whether it is ready: the
// container image has no shell or curl, so compose's healthcheck runs
// `ecpts healthcheck`. A wildcard host is reached on loopback.
func healthcheck(ctx context.Context, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("ECPTS_ADDR: %w", err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/readyz", nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /readyz answered %d", res.StatusCode)
	}
	return nil
}
