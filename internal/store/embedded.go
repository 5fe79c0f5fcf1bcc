package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Backend names, as Store.Backend reports them.
const (
	BackendMongoDB            = "mongodb"
	BackendFerretDBPostgreSQL = "ferretdb-postgresql"
	BackendFerretDBSQLite     = "ferretdb-sqlite"
)

// EmbeddedOptions configures an embedded FerretDB.
type EmbeddedOptions struct {
	// PostgresURL selects the PostgreSQL backend; else SQLite in DataDir/db.
	PostgresURL string
	DataDir     string
	Logger      *slog.Logger
}

// Embedded is a FerretDB running inside this process, listening on a
// random 127.0.0.1 port. Open starts one when no MongoDB URL is given and
// stops it on Close; tests may start one with StartEmbedded and share it
// between several stores through Options.Embedded.
type Embedded struct {
	uri     string
	backend string

	sqliteDir   string // the SQLite backend's directory, or ""
	postgresURL string // the PostgreSQL backend's URL, or ""
	cancel      context.CancelFunc
	done        chan struct{}
}

// StartEmbedded starts a FerretDB and returns once it listens. It owns one
// goroutine, stopped by Close. Errors name the setting at fault
// (ECPTS_POSTGRES_URL, ECPTS_DATA_DIR) without credentials.
func StartEmbedded(ctx context.Context, o EmbeddedOptions) (*Embedded, error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	cfg := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Logger:   slog.New(newFerretLogHandler(logger.Handler(), credentials(o.PostgresURL)...)).With("component", "ferretdb"),
	}
	var backend, setting, where string
	if o.PostgresURL != "" {
		backend, setting, where = BackendFerretDBPostgreSQL, "ECPTS_POSTGRES_URL", redactedHost(o.PostgresURL)
		cfg.Handler = "postgresql"
		cfg.PostgreSQLURL = tunePostgresURL(o.PostgresURL)
	} else {
		if o.DataDir == "" {
			return nil, errors.New("ECPTS_DATA_DIR: empty: the embedded database needs a data directory")
		}
		dir, err := filepath.Abs(filepath.Join(o.DataDir, "db"))
		if err != nil {
			return nil, fmt.Errorf("ECPTS_DATA_DIR: %s: %w", o.DataDir, err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("ECPTS_DATA_DIR: cannot create %s: %w", dir, err)
		}
		backend, setting, where = BackendFerretDBSQLite, "ECPTS_DATA_DIR", dir
		cfg.Handler = "sqlite"
		// secure_delete: SQLite overwrites what it frees with zeros, so a
		// deleted message's text is not left in free space (scrub.go).
		cfg.SQLiteURL = (&url.URL{Scheme: "file", Path: dir + "/", RawQuery: "_pragma=secure_delete(on)"}).String()
	}

	f, err := ferretdb.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot start the embedded database on %s: %w", setting, where, redactCredentials(err, o.PostgresURL))
	}
	// Run outlives the start-up context: it stops on Close only.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e := &Embedded{backend: backend, cancel: cancel, done: make(chan struct{}), postgresURL: o.PostgresURL}
	if backend == BackendFerretDBSQLite {
		e.sqliteDir = where
	}
	go func() {
		defer close(e.done)
		if err := f.Run(runCtx); err != nil {
			logger.Error("embedded database stopped", "backend", backend, "err", err)
		}
	}()
	// MongoDBURI waits until the listener is up (it is, once New returned:
	// FerretDB listens in New and accepts in Run).
	e.uri = f.MongoDBURI()
	return e, nil
}

// URI is the mongodb:// address of the embedded FerretDB.
func (e *Embedded) URI() string { return e.uri }

// Backend is BackendFerretDBSQLite or BackendFerretDBPostgreSQL.
func (e *Embedded) Backend() string { return e.backend }

// Close stops FerretDB and waits for it, at most until ctx ends.
// Disconnect the clients first: FerretDB gives open connections a few
// seconds to leave. Calling Close twice is harmless.
func (e *Embedded) Close(ctx context.Context) error {
	e.cancel()
	select {
	case <-e.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("store: stop embedded database: %w", ctx.Err())
	}
}

// redactedHost returns the host part of a database URL for error
// messages: never the user, password or query (which may hold a password).
func redactedHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsable URL)"
	}
	return u.Host
}

// redactedError hides the credentials of a database URL in the message of
// an error it still wraps: the PostgreSQL driver under FerretDB names the
// user ("user=alice"), and a server may echo a password back.
type redactedError struct {
	err     error
	secrets []string
}

func (e *redactedError) Error() string {
	msg := e.err.Error()
	for _, s := range e.secrets {
		msg = strings.ReplaceAll(msg, s, "***")
	}
	return msg
}

func (e *redactedError) Unwrap() error { return e.err }

// redactCredentials wraps err so that the user name and password of
// rawURL never appear in its message.
func redactCredentials(err error, rawURL string) error {
	if err == nil {
		return nil
	}
	secrets := credentials(rawURL)
	if len(secrets) == 0 {
		return err
	}
	return &redactedError{err: err, secrets: secrets}
}

// credentials lists the forms in which the user and password of rawURL
// may appear in a message.
func credentials(rawURL string) []string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return nil
	}
	var secrets []string
	if p, ok := u.User.Password(); ok && p != "" {
		secrets = append(secrets, p)
		if e := url.QueryEscape(p); e != p {
			secrets = append(secrets, e)
		}
	}
	if n := u.User.Username(); n != "" {
		secrets = append(secrets, "user="+n, n+"@", n+":")
	}
	return secrets
}

// connectTimeout bounds connecting to and pinging the database at start-up,
// so a wrong URL fails in seconds with a clear message.
const connectTimeout = 10 * time.Second

// tunePostgresURL adds session settings to FerretDB's PostgreSQL URL
// unless it sets them already. PostgreSQL cannot estimate how selective
// FerretDB's `_jsonb->'field' @> value` lookups are (it guesses 15 % of
// the table), so on a large collection it planned a one-row lookup as a
// parallel query with JIT compilation: 50–80 ms of worker start-up and
// compilation for 0.05 ms of work (measured at 1,000,000 messages). A chat
// server's queries are all small: no parallel workers, no JIT.
func tunePostgresURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return raw // key=value form or invalid: FerretDB reports it
	}
	q := u.Query()
	for k, v := range map[string]string{"jit": "off", "max_parallel_workers_per_gather": "0"} {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
