package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Deleted text on the embedded SQLite backend.
//
// Deleting a message rewrites its document without its text
// (model.Message.Erase), but SQLite would keep the old bytes in two places:
// the space its rows and overflow pages freed, and the write-ahead log,
// whose old page images stay in the -wal file until it is overwritten. So
// FerretDB's connections run with secure_delete on (embedded.go: freed
// space and free pages are overwritten with zeros), and after a message is
// deleted the store checkpoints the log in TRUNCATE mode: every page goes
// back to the database file in its current, zeroed form, and the log is cut
// to nothing. The other backends keep deleted text until their own
// clean-up (README "Deleted messages").

const (
	// scrubDelay gathers the deletions of a burst into one checkpoint.
	scrubDelay = time.Second
	// scrubRetry is the wait after a checkpoint that could not finish.
	scrubRetry = 5 * time.Second
	// scrubBusyMS bounds how long a checkpoint waits for the writer and
	// the readers of the log (in milliseconds): writers wait behind it
	// meanwhile, so it gives up early and tries again later.
	scrubBusyMS = 1000
)

var errCheckpointBusy = errors.New("store: checkpoint: readers or a writer kept the write-ahead log busy")

// scrubber checkpoints one SQLite database file after deletions.
type scrubber struct {
	file    string
	log     *slog.Logger
	kick    chan struct{}
	pending atomic.Bool // a deletion not yet checkpointed
	cancel  context.CancelFunc
	done    chan struct{}
	once    sync.Once
}

// startScrubber checkpoints file once (a deletion just before a crash was
// never checkpointed; if it cannot now, it tries again shortly) and starts
// its scrubber.
func startScrubber(ctx context.Context, file string, log *slog.Logger) *scrubber {
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &scrubber{file: file, log: log, kick: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go s.run(rctx)
	if err := checkpointTruncate(ctx, file); err != nil {
		log.Warn("store: erase deleted text from the write-ahead log at start-up; retrying", "err", err)
		s.erased()
	}
	return s
}

// erased notes a deletion: a checkpoint follows within scrubDelay, or
// later while the log is busy.
func (s *scrubber) erased() {
	s.pending.Store(true)
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *scrubber) run(ctx context.Context) {
	defer close(s.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		}
		wait := scrubDelay
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			s.pending.Store(false)
			err := checkpointTruncate(ctx, s.file)
			if err == nil {
				break
			}
			s.pending.Store(true)
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("store: erase deleted text from the write-ahead log; retrying", "err", err)
			wait = scrubRetry
		}
	}
}

// stop ends the scrubber, checkpointing once more if a deletion is still
// pending. Calling it twice is harmless.
func (s *scrubber) stop(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		s.cancel()
		<-s.done
		if s.pending.Load() {
			err = checkpointTruncate(ctx, s.file)
		}
	})
	return err
}

// checkpointTruncate runs PRAGMA wal_checkpoint(TRUNCATE) on file through
// a connection of its own (FerretDB exposes no SQL). A file that is gone
// (the database was dropped) has nothing left to erase; mode=rw keeps one
// dropped meanwhile from coming back as a new empty database.
func checkpointTruncate(ctx context.Context, file string) error {
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	u := url.URL{Scheme: "file", Opaque: file, RawQuery: fmt.Sprintf("mode=rw&_pragma=busy_timeout(%d)", scrubBusyMS)}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var busy, frames, done int
	if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	if busy != 0 {
		return errCheckpointBusy
	}
	return nil
}
