package mailer

import (
	"context"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"time"
)

// File is a Mailer writing each message as an .eml file (RFC 5322, the
// form any mail client opens) in one directory: the default when no SMTP
// server is configured, and what tests read. The directory is 0700 and the
// files 0600: messages hold invitation and reset links.
type File struct {
	dir  string
	from *mail.Address
	now  func() time.Time
}

// NewFile creates dir (0700) if needed and returns a File mailer sending
// as from. now is its clock (nil: time.Now).
func NewFile(dir, from string, now func() time.Time) (*File, error) {
	a, err := parseFrom(from)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mailer: create mail directory: %w", err)
	}
	// MkdirAll leaves an existing directory's mode alone; this one is ours.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mailer: mail directory: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &File{dir: dir, from: a, now: now}, nil
}

// Dir returns the directory the messages are written to.
func (f *File) Dir() string { return f.dir }

// Send writes m to <dir>/<UTC timestamp>-<random>.eml. The write is atomic
// (temporary file, fsync, rename): a reader listing *.eml never sees half
// a message. Names sort by sending time.
func (f *File) Send(ctx context.Context, m Mail) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mailer: file: %w", err)
	}
	now := f.now()
	_, raw, err := compose(f.from, m, now)
	if err != nil {
		return err
	}
	name := now.UTC().Format("20060102T150405.000000000Z") + "-" + randomHex(8) + ".eml"

	tmp, err := os.CreateTemp(f.dir, ".tmp-*.eml") // mode 0600
	if err != nil {
		return fmt.Errorf("mailer: file: %w", err)
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(raw); err != nil {
		return fmt.Errorf("mailer: file: write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("mailer: file: sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("mailer: file: close: %w", err)
	}
	if err := os.Rename(tmpName, filepath.Join(f.dir, name)); err != nil {
		return fmt.Errorf("mailer: file: rename: %w", err)
	}
	ok = true
	// Make the rename itself durable; a failure here loses nothing that
	// a caller could retry, so it is not reported.
	if d, err := os.Open(f.dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
