// Package blob stores the bytes of uploaded files, by ID, behind one
// interface: Store. Two implementations share one contract suite
// (internal/blob/blobtest):
//
//   - FS, a directory tree (the default: ECPTS_DATA_DIR/files). Each file is
//     written to a temporary file, synced, then linked into place, so a
//     reader never sees half a file and a failed upload leaves nothing.
//   - GridFS, a GridFS bucket through the MongoDB driver, so that several
//     replicas on one MongoDB share their files.
//
// Which one the embedded default uses was decided by measurement
// (docs/benchmarks.md, "Files"): FerretDB v1 reads a GridFS file by a
// filter on files_id, which its SQLite backend answers by scanning every
// chunk of every file, so the filesystem is the embedded default.
//
// A Store knows nothing of users, names or types: the caller authorises,
// checks the content (internal/filetype) and keeps the file's metadata.
// Put streams: neither implementation holds a whole file in memory (the
// GridFS driver buffers up to 16 MiB of it, then writes those chunks).
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"regexp"

	"github.com/ecpts/ecpts/internal/model"
)

// Store keeps file bytes by ID. Implementations are safe for concurrent
// use. Every error for a missing ID matches ErrNotFound (and
// model.ErrNotFound); a Put over an existing ID matches ErrExists (and
// model.ErrConflict); a Put over its limit matches ErrTooLarge.
type Store interface {
	// Put stores the bytes of r under id, reading r to its end, and
	// returns their size and SHA-256. It fails with a *TooLargeError
	// (errors.Is(err, ErrTooLarge)) as soon as r gives more than limit
	// bytes (NoLimit: no limit), with ErrExists when id is already stored
	// (or being stored), and with r's own error when reading fails. On any
	// error nothing of this Put is left behind: id stays free (unless it
	// was taken by someone else) and no bytes remain stored.
	Put(ctx context.Context, id string, r io.Reader, limit int64) (Info, error)

	// Open returns the stored bytes of id for reading and seeking (HTTP
	// range requests, inline PDF preview). The caller must Close it. ctx
	// bounds the whole life of the Object on GridFS; FS only checks it
	// when opening.
	Open(ctx context.Context, id string) (Object, error)

	// Stat returns the size of id.
	Stat(ctx context.Context, id string) (int64, error)

	// Delete removes id. Deleting an ID that is not stored fails with
	// ErrNotFound. An Object opened before may keep reading on FS and fail
	// on GridFS.
	Delete(ctx context.Context, id string) error
}

// Object is an opened stored file: an io.ReadSeekCloser (what
// http.ServeContent needs) and an io.ReaderAt (what archive/zip needs),
// with its size. Seek past the end is allowed; Read there returns io.EOF.
// An Object is not safe for concurrent use, except ReadAt calls.
type Object interface {
	io.ReadSeekCloser
	io.ReaderAt
	Size() int64
}

// Info is what Put learned while storing a file.
type Info struct {
	Size   int64
	SHA256 string // lowercase hex, 64 characters
}

// NoLimit as Put's limit stores whatever size comes: for bytes the
// server made itself (thumbnails), never for an upload.
const NoLimit int64 = -1

// Errors. ErrNotFound and ErrExists wrap the model's sentinels, so the
// HTTP layer maps them without knowing this package.
var (
	ErrNotFound  = fmt.Errorf("blob: %w", model.ErrNotFound)
	ErrExists    = fmt.Errorf("blob: id already stored: %w", model.ErrConflict)
	ErrTooLarge  = errors.New("blob: too large")
	ErrInvalidID = errors.New("blob: invalid id")
)

// TooLargeError is Put's error when the stream exceeds its limit. It
// matches ErrTooLarge, and unwraps to a *model.InvalidError with code
// "file_too_large", kind model.ErrTooLarge, and a French message naming the
// limit, so that a caller that passes it up unchanged gives the user a
// 413 that says why.
type TooLargeError struct {
	Limit int64 // bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("blob: more than the limit of %d bytes", e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// Unwrap gives the user-facing error.
func (e *TooLargeError) Unwrap() error {
	return model.InvalidAs(model.ErrTooLarge, "file", "file_too_large",
		fmt.Sprintf("Le fichier dépasse la taille maximale autorisée (%s).", FormatSize(e.Limit)))
}

// FormatSize writes a byte count the French way, in the unit a user
// expects: "25 Mo", "1,5 Mo", "300 Ko", "12 octets" (Mo = 2^20 octets).
func FormatSize(n int64) string {
	switch {
	case n >= 1<<20:
		return frenchDecimal(float64(n)/(1<<20)) + " Mo"
	case n >= 1<<10:
		return frenchDecimal(float64(n)/(1<<10)) + " Ko"
	case n == 1:
		return "1 octet"
	default:
		return fmt.Sprintf("%d octets", n)
	}
}

func frenchDecimal(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s[:len(s)-2] + "," + s[len(s)-1:]
}

// idPattern: lowercase so that two IDs never name one file on a
// case-insensitive filesystem; no dot or slash, so an ID is never a path.
var idPattern = regexp.MustCompile(`^[0-9a-z][0-9a-z_-]{3,127}$`)

// ValidID reports whether id may name a blob: 4 to 128 characters of
// [0-9a-z_-], not starting with - or _. model.NewID() values qualify.
func ValidID(id string) bool { return idPattern.MatchString(id) }

func checkID(id string) error {
	if !ValidID(id) {
		return fmt.Errorf("%w %q", ErrInvalidID, id)
	}
	return nil
}

// Exists reports whether s holds id.
func Exists(ctx context.Context, s Store, id string) (bool, error) {
	_, err := s.Stat(ctx, id)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	default:
		return false, err
	}
}

// meter wraps the reader of a Put: it hashes and counts what passes,
// refuses more than limit bytes and stops when ctx ends.
type meter struct {
	ctx   context.Context
	r     io.Reader
	limit int64
	n     int64
	h     hash.Hash
}

func newMeter(ctx context.Context, r io.Reader, limit int64) *meter {
	return &meter{ctx: ctx, r: r, limit: limit, h: sha256.New()}
}

func (m *meter) Read(p []byte) (int, error) {
	if err := m.ctx.Err(); err != nil {
		return 0, err
	}
	if m.limit >= 0 && int64(len(p)) > m.limit-m.n+1 {
		// Never ask for more than one byte past the limit: that byte
		// proves the stream is too large, and nothing more is read.
		p = p[:m.limit-m.n+1]
	}
	n, err := m.r.Read(p)
	m.n += int64(n)
	if m.limit >= 0 && m.n > m.limit {
		return 0, &TooLargeError{Limit: m.limit}
	}
	m.h.Write(p[:n])
	return n, err
}

func (m *meter) info() Info {
	return Info{Size: m.n, SHA256: hex.EncodeToString(m.h.Sum(nil))}
}
