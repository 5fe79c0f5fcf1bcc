package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// FS stores each blob as one file under a root directory, fanned out by
// the first four characters of its ID: root/ab/cd/abcd…. At most 1,296
// (36²) directories per level for hex or base-36 IDs keeps directories
// small whatever the number of files.
//
// Put writes into root/tmp/ (same filesystem, so the final link is
// atomic), syncs the file, hard-links it to its final name — os.Link
// fails when the name exists, which is how two Puts of one ID cannot both
// win — syncs the directory and removes the temporary name. The
// filesystem must support hard links (every Linux filesystem e-CPTS is
// meant for does; FAT and some network filesystems do not).
type FS struct {
	root string
}

// tmpDir holds uploads in progress; its name is not a valid fan-out
// directory (IDs have no dot… and "tmp" is 3 characters, fan-out names 2).
const tmpDir = "tmp"

// staleTemp is the age past which NewFS removes a temporary file: an
// upload that old died with its process.
const staleTemp = time.Hour

// NewFS returns a store rooted at dir, created (0700) when missing, and
// removes the temporary files that uploads interrupted more than an hour
// ago (a crash) left in dir/tmp.
func NewFS(dir string) (*FS, error) {
	if dir == "" {
		return nil, errors.New("blob: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: %s: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, tmpDir), 0o700); err != nil {
		return nil, fmt.Errorf("blob: create %s: %w", abs, err)
	}
	s := &FS{root: abs}
	if err := s.sweep(time.Now().Add(-staleTemp)); err != nil {
		return nil, err
	}
	return s, nil
}

// Root is the directory the store lives in.
func (s *FS) Root() string { return s.root }

func (s *FS) sweep(before time.Time) error {
	dir := filepath.Join(s.root, tmpDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("blob: list %s: %w", dir, err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(before) {
			continue // gone meanwhile, or an upload in progress
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("blob: remove stale %s: %w", e.Name(), err)
		}
	}
	return nil
}

func (s *FS) path(id string) string {
	return filepath.Join(s.root, id[0:2], id[2:4], id)
}

// Put implements Store.
func (s *FS) Put(ctx context.Context, id string, r io.Reader, limit int64) (Info, error) {
	if err := checkID(id); err != nil {
		return Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	final := s.path(id)
	// A cheap early answer; the link below is what decides.
	if _, err := os.Lstat(final); err == nil {
		return Info{}, ErrExists
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return Info{}, fmt.Errorf("blob: random: %w", err)
	}
	tmp := filepath.Join(s.root, tmpDir, id+"."+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Info{}, fmt.Errorf("blob: create temporary file: %w", err)
	}
	// The temporary name goes in every case: on success the final name
	// holds the bytes, on failure nothing should.
	defer os.Remove(tmp)

	m := newMeter(ctx, r, limit)
	_, err = io.Copy(f, m)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Info{}, err // the reader's, ctx's, a *TooLargeError or the disk's
	}
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Info{}, fmt.Errorf("blob: create %s: %w", dir, err)
	}
	if err := os.Link(tmp, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return Info{}, ErrExists
		}
		return Info{}, fmt.Errorf("blob: link %s: %w", id, err)
	}
	// The new name must survive a power cut before Put reports success.
	if err := syncDir(dir); err != nil {
		_ = os.Remove(final)
		return Info{}, err
	}
	return m.info(), nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("blob: open %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("blob: sync %s: %w", dir, err)
	}
	return nil
}

// Open implements Store.
func (s *FS) Open(ctx context.Context, id string) (Object, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(id))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("blob: open %s: %w", id, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blob: stat %s: %w", id, err)
	}
	return &fsObject{File: f, size: st.Size()}, nil
}

type fsObject struct {
	*os.File
	size int64
}

func (o *fsObject) Size() int64 { return o.size }

// Stat implements Store.
func (s *FS) Stat(ctx context.Context, id string) (int64, error) {
	if err := checkID(id); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	st, err := os.Stat(s.path(id))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, ErrNotFound
		}
		return 0, fmt.Errorf("blob: stat %s: %w", id, err)
	}
	return st.Size(), nil
}

// Delete implements Store.
func (s *FS) Delete(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(s.path(id)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNotFound
		}
		return fmt.Errorf("blob: delete %s: %w", id, err)
	}
	return nil
}
