package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ecpts/ecpts/internal/store"
)

// DefaultPostgresURL is the PostgreSQL the tests use when
// ECPTS_TEST_POSTGRES_URL is unset.
const DefaultPostgresURL = "postgres://root@127.0.0.1:5432/ecpts_test?sslmode=disable"

// PostgresURL returns the PostgreSQL database of this test process: the
// database of ECPTS_TEST_POSTGRES_URL (or DefaultPostgresURL) with a
// suffix of its own, "<name>_<unix seconds>_<random>", created by
// EnsurePostgresDatabase. Each test binary has its own database: FerretDB
// reads the list of a database's schemas, and another binary dropping one
// of them at that moment failed the read ("_ferretdb_database_metadata
// does not exist") when packages ran in parallel. Databases of earlier
// runs are dropped once they are old (EnsurePostgresDatabase).
func PostgresURL() string {
	perProcess.once.Do(func() {
		base := os.Getenv("ECPTS_TEST_POSTGRES_URL")
		if base == "" {
			base = DefaultPostgresURL
		}
		u, err := url.Parse(base)
		if err != nil || strings.Trim(u.Path, "/") == "" {
			perProcess.url = base // EnsurePostgresDatabase says what is wrong
			return
		}
		var b [4]byte
		_, _ = rand.Read(b[:])
		u.Path = fmt.Sprintf("/%s_%d_%s", strings.Trim(u.Path, "/"), time.Now().Unix(), hex.EncodeToString(b[:]))
		perProcess.url = u.String()
	})
	return perProcess.url
}

var perProcess struct {
	once sync.Once
	url  string
}

// staleAfter: a per-process database older than this is left from an
// earlier run (longer than the test timeout of make test) and is dropped.
const staleAfter = 30 * time.Minute

// DatabaseName returns a fresh random database name, so concurrent test
// runs never collide (FerretDB-PostgreSQL maps it to a schema).
func DatabaseName() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("storetest: crypto/rand failed: " + err.Error())
	}
	return "t_" + hex.EncodeToString(b[:])
}

// Logger is the logger test stores use: warnings and errors only, on
// stderr. Not t.Log: FerretDB goroutines outlive the test that started
// them and t.Log after the end of a test panics.
func Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// OpenTest opens a store on a fresh database of the given backend
// ("sqlite" or "postgresql") and closes/drops it at t.Cleanup. A backend
// that cannot be reached fails the test: it never skips.
//
// "postgresql" shares one embedded FerretDB per test binary (it holds no
// files, and dies with the process). "sqlite" starts a FerretDB per call,
// in t.TempDir(): start-up costs about 2 ms and the directory is removed
// with the test, which a shared instance could not promise.
func OpenTest(t testing.TB, backend string) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o := store.Options{Database: DatabaseName(), Logger: Logger()}
	switch backend {
	case "sqlite":
		o.DataDir = t.TempDir()
	case "postgresql":
		e, err := sharedPostgres(ctx)
		if err != nil {
			t.Fatalf("storetest: PostgreSQL backend: %v", err)
		}
		o.Embedded = e
	default:
		t.Fatalf("storetest: unknown backend %q (want sqlite or postgresql)", backend)
	}
	return OpenWith(t, o)
}

// OpenWith opens a store with o and registers its drop and close at
// t.Cleanup; o.Database should be fresh (DatabaseName). It fails the test
// when the store cannot be opened.
func OpenWith(t testing.TB, o store.Options) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, o)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", o.Database, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Drop(ctx); err != nil {
			t.Errorf("storetest: drop %s: %v", o.Database, err)
		}
		if err := s.Close(ctx); err != nil {
			t.Errorf("storetest: close %s: %v", o.Database, err)
		}
	})
	return s
}

var pg struct {
	mu  sync.Mutex
	e   *store.Embedded
	err error
}

// sharedPostgres starts, once per test binary, the embedded FerretDB on
// the test PostgreSQL, creating its database first. A failure is
// remembered so every later test fails fast with the same cause.
func sharedPostgres(ctx context.Context) (*store.Embedded, error) {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if pg.e != nil || pg.err != nil {
		return pg.e, pg.err
	}
	u := PostgresURL()
	if err := EnsurePostgresDatabase(ctx, u); err != nil {
		pg.err = err
		return nil, err
	}
	pg.e, pg.err = store.StartEmbedded(ctx, store.EmbeddedOptions{PostgresURL: u, Logger: Logger()})
	return pg.e, pg.err
}

// EnsurePostgresDatabase creates the database named in the path of rawURL
// unless it exists, connecting to the maintenance database "test" (then
// "postgres") of the same server.
func EnsurePostgresDatabase(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return errors.New("ECPTS_TEST_POSTGRES_URL: unparsable URL")
	}
	name := u.Path
	if len(name) > 0 && name[0] == '/' {
		name = name[1:]
	}
	if name == "" {
		return errors.New("ECPTS_TEST_POSTGRES_URL: no database name in the path")
	}
	var lastErr error
	for _, maint := range []string{"test", "postgres"} {
		mu := *u
		mu.Path = "/" + maint
		conn, err := pgx.Connect(ctx, mu.String())
		if err != nil {
			lastErr = err
			continue
		}
		dropStale(ctx, conn, name)
		_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
		_ = conn.Close(ctx)
		var pgErr *pgconn.PgError
		switch {
		case err == nil:
			return nil
		// 42P04 duplicate_database; 23505 when two binaries create it at once.
		case errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505"):
			return nil
		default:
			return fmt.Errorf("create database %s on %s: %w", name, u.Host, err)
		}
	}
	return fmt.Errorf("ECPTS_TEST_POSTGRES_URL: cannot connect to %s: %w", u.Host, lastErr)
}

// dropStale drops the per-process databases (see PostgresURL) of the same
// base name that are older than staleAfter. Failures are ignored: another
// run may be dropping them too.
func dropStale(ctx context.Context, conn *pgx.Conn, name string) {
	i := strings.LastIndexByte(name, '_')
	j := strings.LastIndexByte(name[:max(i, 0)], '_')
	if i < 0 || j < 0 {
		return
	}
	base := name[:j]
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", base+"_")
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var d string
		if rows.Scan(&d) != nil {
			continue
		}
		parts := strings.Split(strings.TrimPrefix(d, base+"_"), "_")
		if len(parts) != 2 {
			continue
		}
		sec, err := strconv.ParseInt(parts[0], 10, 64)
		if err == nil && time.Since(time.Unix(sec, 0)) > staleAfter {
			stale = append(stale, d)
		}
	}
	rows.Close()
	for _, d := range stale {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d}.Sanitize()+" WITH (FORCE)")
	}
}
