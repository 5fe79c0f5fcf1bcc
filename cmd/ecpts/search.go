package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ecpts/ecpts/internal/config"
	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/search"
	"github.com/prometheus/client_golang/prometheus"
)

// The search index: bleve on disk in ECPTS_DATA_DIR/search by default,
// Meilisearch when ECPTS_MEILI_URL is set.

// bleveDir is where the embedded index lives.
func bleveDir(cfg config.Config) string { return filepath.Join(cfg.DataDir, "search") }

// openIndex opens the configured index. rebuild reports that the index is
// new or was rebuilt empty (an index of another version is derived data:
// it is dropped and rebuilt from the store).
func openIndex(ctx context.Context, cfg config.Config, log *slog.Logger) (idx search.Index, rebuild bool, err error) {
	if cfg.MeiliURL != "" {
		m, err := search.OpenMeili(ctx, search.MeiliOptions{URL: cfg.MeiliURL, Key: cfg.MeiliKey})
		if err != nil {
			return nil, false, fmt.Errorf("ECPTS_MEILI_URL: %w", err)
		}
		n, err := m.Count(ctx)
		return m, err == nil && n == 0, nil
	}
	dir := bleveDir(cfg)
	_, statErr := os.Stat(filepath.Join(dir, "index_meta.json"))
	b, err := search.OpenBleve(dir)
	if errors.Is(err, search.ErrStale) {
		log.Warn("search index built by another version: rebuilding it from the store", "dir", dir)
		if err := os.RemoveAll(dir); err != nil {
			return nil, false, fmt.Errorf("search index: remove %s: %w", dir, err)
		}
		b, err = search.OpenBleve(dir)
		statErr = os.ErrNotExist
	}
	if err != nil {
		return nil, false, err
	}
	return b, statErr != nil, nil
}

// lazyIndex is the index as the server holds it: when it could not be
// opened (Meilisearch unreachable, bleve files locked or unreadable) every
// call fails with search.ErrUnavailable — search says so, writes wait in
// the outbox — and it tries to open it again at most every retryEvery.
type lazyIndex struct {
	open       func(context.Context) (search.Index, error)
	retryEvery time.Duration
	log        *slog.Logger

	mu      sync.Mutex
	idx     search.Index
	lastTry time.Time
	lastErr error
	closed  bool
}

func (l *lazyIndex) get(ctx context.Context) (search.Index, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, search.ErrUnavailable
	}
	if l.idx != nil {
		return l.idx, nil
	}
	if !l.lastTry.IsZero() && time.Since(l.lastTry) < l.retryEvery {
		return nil, l.lastErr
	}
	l.lastTry = time.Now()
	idx, err := l.open(ctx)
	if err != nil {
		if !errors.Is(err, search.ErrUnavailable) {
			err = fmt.Errorf("%w: %w", search.ErrUnavailable, err)
		}
		l.lastErr = err
		l.log.Warn("search index unavailable", "err", err)
		return nil, err
	}
	l.log.Info("search index open")
	l.idx = idx
	return idx, nil
}

func (l *lazyIndex) Upsert(ctx context.Context, docs ...search.Document) error {
	idx, err := l.get(ctx)
	if err != nil {
		return err
	}
	return idx.Upsert(ctx, docs...)
}

func (l *lazyIndex) Delete(ctx context.Context, ids ...string) error {
	idx, err := l.get(ctx)
	if err != nil {
		return err
	}
	return idx.Delete(ctx, ids...)
}

func (l *lazyIndex) Search(ctx context.Context, q search.Query) (search.Result, error) {
	idx, err := l.get(ctx)
	if err != nil {
		return search.Result{}, err
	}
	return idx.Search(ctx, q)
}

func (l *lazyIndex) Get(ctx context.Context, id string) (search.Document, error) {
	idx, err := l.get(ctx)
	if err != nil {
		return search.Document{}, err
	}
	return idx.Get(ctx, id)
}

func (l *lazyIndex) Count(ctx context.Context) (int, error) {
	idx, err := l.get(ctx)
	if err != nil {
		return 0, err
	}
	return idx.Count(ctx)
}

func (l *lazyIndex) Walk(ctx context.Context, fn func(string, int64) error) error {
	idx, err := l.get(ctx)
	if err != nil {
		return err
	}
	return idx.Walk(ctx, fn)
}

func (l *lazyIndex) Check(ctx context.Context) error {
	idx, err := l.get(ctx)
	if err != nil {
		return err
	}
	return idx.Check(ctx)
}

func (l *lazyIndex) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.idx == nil {
		return nil
	}
	return l.idx.Close()
}

// registerSearchMetrics exposes the outbox lag on /metrics, read at scrape
// time.
func registerSearchMetrics(reg prometheus.Registerer, app *core.Core) {
	lag := func() (int64, time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, age, err := app.OutboxLag(ctx)
		if err != nil {
			return -1, -1
		}
		return n, age
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ecpts_search_outbox_pending", Help: "Search outbox records not yet applied to the index (-1: unreadable)."},
			func() float64 { n, _ := lag(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ecpts_search_outbox_lag_seconds", Help: "Age of the oldest search outbox record (0: none waiting, -1: unreadable)."},
			func() float64 { _, d := lag(); return d.Seconds() }),
	)
}

// reindex is `ecpts reindex`: it rebuilds the index from the store, with a
// progress bar on out and a final count. Interrupted, the index holds the
// current version of what was done and older versions of the rest: run
// it again. With bleve, the server must be stopped (one process holds the
// index files); with Meilisearch it may run.
func reindex(ctx context.Context, cfg config.Config, out io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg, os.Stderr)
	st, err := store.Open(ctx, store.Options{
		MongoURL: cfg.MongoURL, PostgresURL: cfg.PostgresURL, DataDir: cfg.DataDir, Database: cfg.MongoDB, Logger: log.With("component", "store"),
	})
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = st.Close(cctx)
	}()
	idx, _, err := openIndex(ctx, cfg, log)
	if err != nil {
		if cfg.MeiliURL == "" {
			return fmt.Errorf("reindex: %w (is the server running? stop it first: the embedded index is held by one process)", err)
		}
		return fmt.Errorf("reindex: %w", err)
	}
	defer idx.Close()
	app := core.New(core.Deps{Store: st, Search: idx, Logger: log.With("component", "core"), Uncached: true})
	start := time.Now()
	bar := progressBar{w: out}
	n, err := app.Reindex(ctx, bar.show)
	bar.end()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("reindex interrupted after %d documents: run `ecpts reindex` again (nothing is lost: the store is the source)", n)
		}
		return fmt.Errorf("reindex: %w", err)
	}
	total, _ := idx.Count(ctx)
	fmt.Fprintf(out, "Index reconstruit : %d documents écrits, %d dans l'index (%s).\n", n, total, time.Since(start).Round(time.Millisecond))
	return nil
}

// progressBar draws "[#####.....]  45 % (12/27 objets, 345 documents)" on
// one line.
type progressBar struct {
	w     io.Writer
	last  time.Time
	drawn bool
}

func (p *progressBar) show(done, total, docs int) {
	if done < total && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	const width = 30
	pct := 100
	if total > 0 {
		pct = done * 100 / total
	}
	fill := pct * width / 100
	fmt.Fprintf(p.w, "\r[%s%s] %3d %% (%d/%d objets, %d documents)", strings.Repeat("#", fill), strings.Repeat(".", width-fill), pct, done, total, docs)
	p.drawn = true
}

func (p *progressBar) end() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
