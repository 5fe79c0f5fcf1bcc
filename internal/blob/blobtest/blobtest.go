// Package blobtest is the contract suite every blob.Store implementation
// passes, and the deterministic data its tests and benchmarks stream.
//
//	func TestFS(t *testing.T) { blobtest.Run(t, openFS) }
//
// The suite checks round trips (0 B, 1 B, 5 MiB, 30 MiB), seeking and
// ReadAt, the size limit, a reader failing mid-stream, a cancelled
// context, a Put over an existing ID, concurrent Puts of different IDs and
// of one ID, deletes, and after each failure that nothing was left behind.
package blobtest

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/blob"
	"github.com/ecpts/ecpts/internal/model"
)

// Harness is one implementation under test.
type Harness struct {
	Store blob.Store
	// Residue lists everything the implementation holds underneath —
	// files and temporary files, chunks, reservations — one string each,
	// so the suite can check that a failed Put left nothing behind and
	// that Delete removed everything.
	Residue func(ctx context.Context) ([]string, error)
}

// Run runs the suite; open must return an empty store each call and clean
// it up at t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) Harness) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open(t)) })
	t.Run("Seek", func(t *testing.T) { testSeek(t, open(t)) })
	t.Run("TooLarge", func(t *testing.T) { testTooLarge(t, open(t)) })
	t.Run("Truncated", func(t *testing.T) { testTruncated(t, open(t)) })
	t.Run("Cancelled", func(t *testing.T) { testCancelled(t, open(t)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, open(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open(t)) })
	t.Run("Conflict", func(t *testing.T) { testConflict(t, open(t)) })
	t.Run("ConcurrentPuts", func(t *testing.T) { testConcurrentPuts(t, open(t)) })
	t.Run("ConcurrentSameID", func(t *testing.T) { testConcurrentSameID(t, open(t)) })
	t.Run("InvalidID", func(t *testing.T) { testInvalidID(t, open(t)) })
}

const (
	kib = 1 << 10
	mib = 1 << 20
)

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// ID returns a fresh blob ID.
func ID() string { return model.NewID() }

func testRoundTrip(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	for i, size := range []int64{0, 1, 5 * mib, 30 * mib} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			id := ID()
			p := NewPattern(uint64(i+1), size)
			// The limit is the size: a file of exactly the limit passes.
			limit := size
			info, err := h.Store.Put(ctx, id, p, limit)
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			want := p.SHA256()
			if info.Size != size || info.SHA256 != want {
				t.Fatalf("Put = %+v, want size %d sha256 %s", info, size, want)
			}
			if n, err := h.Store.Stat(ctx, id); err != nil || n != size {
				t.Fatalf("Stat = %d, %v; want %d", n, err, size)
			}
			if ok, err := blob.Exists(ctx, h.Store, id); err != nil || !ok {
				t.Fatalf("Exists = %v, %v", ok, err)
			}
			o, err := h.Store.Open(ctx, id)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer o.Close()
			if o.Size() != size {
				t.Fatalf("Object.Size = %d, want %d", o.Size(), size)
			}
			hsh := sha256.New()
			n, err := io.Copy(hsh, o)
			if err != nil || n != size {
				t.Fatalf("read %d bytes, %v; want %d", n, err, size)
			}
			if got := hex.EncodeToString(hsh.Sum(nil)); got != want {
				t.Fatalf("read back sha256 %s, want %s", got, want)
			}
			if n, err := o.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Fatalf("Read at end = %d, %v; want 0, EOF", n, err)
			}
		})
	}
}

func testSeek(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	const size = 2*mib + 123 // several GridFS chunks (255 KiB)
	id := ID()
	p := NewPattern(7, size)
	if _, err := h.Store.Put(ctx, id, p, blob.NoLimit); err != nil {
		t.Fatalf("Put: %v", err)
	}
	o, err := h.Store.Open(ctx, id)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer o.Close()

	// http.ServeContent's first moves.
	if end, err := o.Seek(0, io.SeekEnd); err != nil || end != size {
		t.Fatalf("Seek(0, End) = %d, %v", end, err)
	}
	if pos, err := o.Seek(0, io.SeekStart); err != nil || pos != 0 {
		t.Fatalf("Seek(0, Start) = %d, %v", pos, err)
	}
	ranges := []struct{ off, n int64 }{
		{0, 10},
		{255*kib - 5, 10}, // across a chunk boundary
		{size - 10, 10},
		{600_000, 700_000},
		{100, 50}, // backwards
		{3 * 255 * kib, 255 * kib},
		{1, 1},
	}
	for _, r := range ranges {
		if pos, err := o.Seek(r.off, io.SeekStart); err != nil || pos != r.off {
			t.Fatalf("Seek(%d) = %d, %v", r.off, pos, err)
		}
		got := make([]byte, r.n)
		if _, err := io.ReadFull(o, got); err != nil {
			t.Fatalf("read %d at %d: %v", r.n, r.off, err)
		}
		if !bytes.Equal(got, p.At(r.off, r.n)) {
			t.Fatalf("bytes %d..%d differ from what was stored", r.off, r.off+r.n)
		}
	}
	// SeekCurrent from where the last read ended (2), SeekEnd backwards.
	if pos, err := o.Seek(8, io.SeekCurrent); err != nil || pos != 10 {
		t.Fatalf("Seek(8, Current) = %d, %v; want 10", pos, err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(o, got); err != nil || !bytes.Equal(got, p.At(10, 4)) {
		t.Fatalf("read after SeekCurrent: %v", err)
	}
	if _, err := o.Seek(-5, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	tail, err := io.ReadAll(o)
	if err != nil || !bytes.Equal(tail, p.At(size-5, 5)) {
		t.Fatalf("ReadAll after Seek(-5, End) = %d bytes, %v", len(tail), err)
	}
	if _, err := o.Seek(size+10, io.SeekStart); err != nil {
		t.Fatalf("Seek past the end: %v", err)
	}
	if n, err := o.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Fatalf("Read past the end = %d, %v; want 0, EOF", n, err)
	}
	if _, err := o.Seek(-1, io.SeekStart); err == nil {
		t.Fatal("Seek to -1 succeeded")
	}

	// ReadAt does not move the read position.
	if _, err := o.Seek(1000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 300)
	if n, err := o.ReadAt(buf, 512*kib-100); n != len(buf) || err != nil || !bytes.Equal(buf, p.At(512*kib-100, 300)) {
		t.Fatalf("ReadAt = %d, %v (or wrong bytes)", n, err)
	}
	if n, err := o.ReadAt(buf, size-100); n != 100 || err != io.EOF || !bytes.Equal(buf[:100], p.At(size-100, 100)) {
		t.Fatalf("ReadAt across the end = %d, %v; want 100, EOF", n, err)
	}
	if _, err := io.ReadFull(o, buf[:10]); err != nil || !bytes.Equal(buf[:10], p.At(1000, 10)) {
		t.Fatalf("Read after ReadAt did not continue at 1000: %v", err)
	}
}

func testTooLarge(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	for _, c := range []struct{ size, limit int64 }{
		{1000, 999},
		{1, 0},
		// Past the GridFS driver's 16 MiB batch: chunks were written
		// before the limit was hit, and must go.
		{20 * mib, 17 * mib},
	} {
		t.Run(fmt.Sprintf("%d>%d", c.size, c.limit), func(t *testing.T) {
			id := ID()
			p := NewPattern(3, c.size)
			_, err := h.Store.Put(ctx, id, p, c.limit)
			if !errors.Is(err, blob.ErrTooLarge) {
				t.Fatalf("Put of %d bytes with limit %d: %v, want ErrTooLarge", c.size, c.limit, err)
			}
			var tl *blob.TooLargeError
			if !errors.As(err, &tl) || tl.Limit != c.limit {
				t.Fatalf("error %v is not a *TooLargeError with limit %d", err, c.limit)
			}
			var inv *model.InvalidError
			if !errors.As(err, &inv) || inv.Code != "file_too_large" {
				t.Fatalf("error %v does not unwrap to the file_too_large InvalidError", err)
			}
			if p.Read64() > c.limit+1 {
				t.Errorf("Put read %d bytes with a limit of %d: it should stop one byte past the limit", p.Read64(), c.limit)
			}
			assertGone(t, ctx, h, id)
			// The ID is free again.
			if _, err := h.Store.Put(ctx, id, NewPattern(4, 10), 10); err != nil {
				t.Fatalf("Put after a refused Put: %v", err)
			}
			if err := h.Store.Delete(ctx, id); err != nil {
				t.Fatal(err)
			}
			assertEmpty(t, ctx, h)
		})
	}
}

var errTruncated = errors.New("blobtest: connection reset mid-upload")

func testTruncated(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	for _, at := range []int64{0, 3 * mib, 18 * mib} {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			id := ID()
			r := &failingReader{r: NewPattern(5, 30*mib), after: at, err: errTruncated}
			_, err := h.Store.Put(ctx, id, r, blob.NoLimit)
			if !errors.Is(err, errTruncated) {
				t.Fatalf("Put of a stream failing at %d: %v, want the reader's error", at, err)
			}
			assertGone(t, ctx, h, id)
			if _, err := h.Store.Put(ctx, id, NewPattern(6, 100), 100); err != nil {
				t.Fatalf("Put after a truncated Put: %v", err)
			}
			if err := h.Store.Delete(ctx, id); err != nil {
				t.Fatal(err)
			}
			assertEmpty(t, ctx, h)
		})
	}
}

func testCancelled(t *testing.T, h Harness) {
	ctx, cancel := context.WithCancel(ctxFor(t))
	id := ID()
	r := &failingReader{r: NewPattern(8, 10*mib), after: 2 * mib, onHit: cancel}
	_, err := h.Store.Put(ctx, id, r, blob.NoLimit)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put whose context was cancelled mid-stream: %v, want context.Canceled", err)
	}
	assertGone(t, ctxFor(t), h, id)
}

func testNotFound(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	id := ID()
	if err := h.Store.Delete(ctx, id); !errors.Is(err, blob.ErrNotFound) || !errors.Is(err, model.ErrNotFound) {
		t.Errorf("Delete of an unknown id: %v, want ErrNotFound", err)
	}
	if _, err := h.Store.Open(ctx, id); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Open of an unknown id: %v, want ErrNotFound", err)
	}
	if _, err := h.Store.Stat(ctx, id); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat of an unknown id: %v, want ErrNotFound", err)
	}
	if ok, err := blob.Exists(ctx, h.Store, id); ok || err != nil {
		t.Errorf("Exists of an unknown id = %v, %v", ok, err)
	}
}

func testDelete(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	a, b := ID(), ID()
	for _, id := range []string{a, b} {
		if _, err := h.Store.Put(ctx, id, NewPattern(9, 600*kib), blob.NoLimit); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Store.Delete(ctx, a); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	assertUnknown(t, ctx, h, a)
	if err := h.Store.Delete(ctx, a); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("second Delete: %v, want ErrNotFound", err)
	}
	// The other file is untouched.
	assertContent(t, ctx, h, b, NewPattern(9, 600*kib))
	// The ID may be stored again.
	if _, err := h.Store.Put(ctx, a, NewPattern(10, 1000), blob.NoLimit); err != nil {
		t.Fatalf("Put after Delete: %v", err)
	}
	assertContent(t, ctx, h, a, NewPattern(10, 1000))
	for _, id := range []string{a, b} {
		if err := h.Store.Delete(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	assertEmpty(t, ctx, h)
}

func testConflict(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	id := ID()
	if _, err := h.Store.Put(ctx, id, NewPattern(11, 300*kib), blob.NoLimit); err != nil {
		t.Fatal(err)
	}
	before := residue(t, ctx, h)
	_, err := h.Store.Put(ctx, id, NewPattern(12, 400*kib), blob.NoLimit)
	if !errors.Is(err, blob.ErrExists) || !errors.Is(err, model.ErrConflict) {
		t.Fatalf("second Put of one id: %v, want ErrExists", err)
	}
	assertContent(t, ctx, h, id, NewPattern(11, 300*kib))
	if after := residue(t, ctx, h); !slices.Equal(before, after) {
		t.Fatalf("a refused Put changed what is stored:\nbefore %v\nafter  %v", before, after)
	}
}

func testConcurrentPuts(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	// Each file spans two GridFS chunks, so interleaved chunk writes of
	// different files would show.
	const workers, each = 6, 2
	type file struct {
		id   string
		seed uint64
		size int64
	}
	var (
		mu    sync.Mutex
		files []file
		wg    sync.WaitGroup
	)
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				f := file{ID(), uint64(100 + w*each + i), int64(260*kib + w*1000 + i)}
				if _, err := h.Store.Put(ctx, f.id, NewPattern(f.seed, f.size), blob.NoLimit); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				files = append(files, f)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Put: %v", err)
	}
	for _, f := range files {
		assertContent(t, ctx, h, f.id, NewPattern(f.seed, f.size))
	}
	if got := len(residue(t, ctx, h)); got < len(files) {
		t.Fatalf("residue has %d entries for %d files", got, len(files))
	}
}

func testConcurrentSameID(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	id := ID()
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = h.Store.Put(ctx, id, NewPattern(uint64(200+i), int64(700*kib+i)), blob.NoLimit)
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("Puts %d and %d of one id both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, blob.ErrExists):
			t.Fatalf("Put %d: %v, want nil or ErrExists", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("every concurrent Put of one id failed")
	}
	assertContent(t, ctx, h, id, NewPattern(uint64(200+winner), int64(700*kib+winner)))
	if err := h.Store.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	assertEmpty(t, ctx, h)
}

func testInvalidID(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	for _, id := range []string{"", "abc", "../../etc/passwd", "ab/cd/efgh", "ABCDEF", ".hidden", "-abcd", "abcd\x00"} {
		if _, err := h.Store.Put(ctx, id, NewPattern(1, 1), 1); !errors.Is(err, blob.ErrInvalidID) {
			t.Errorf("Put(%q): %v, want ErrInvalidID", id, err)
		}
		if _, err := h.Store.Open(ctx, id); !errors.Is(err, blob.ErrInvalidID) {
			t.Errorf("Open(%q): %v, want ErrInvalidID", id, err)
		}
		if _, err := h.Store.Stat(ctx, id); !errors.Is(err, blob.ErrInvalidID) {
			t.Errorf("Stat(%q): %v, want ErrInvalidID", id, err)
		}
		if err := h.Store.Delete(ctx, id); !errors.Is(err, blob.ErrInvalidID) {
			t.Errorf("Delete(%q): %v, want ErrInvalidID", id, err)
		}
	}
	assertEmpty(t, ctx, h)
}

func assertContent(t *testing.T, ctx context.Context, h Harness, id string, p *Pattern) {
	t.Helper()
	o, err := h.Store.Open(ctx, id)
	if err != nil {
		t.Fatalf("Open %s: %v", id, err)
	}
	defer o.Close()
	hsh := sha256.New()
	if _, err := io.Copy(hsh, o); err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	if got, want := hex.EncodeToString(hsh.Sum(nil)), p.SHA256(); got != want {
		t.Fatalf("%s holds other bytes than stored (sha256 %s, want %s)", id, got, want)
	}
}

// assertGone checks id is unknown and, the stores being fresh for each
// test, that nothing at all remains.
func assertGone(t *testing.T, ctx context.Context, h Harness, id string) {
	t.Helper()
	assertUnknown(t, ctx, h, id)
	assertEmpty(t, ctx, h)
}

func assertUnknown(t *testing.T, ctx context.Context, h Harness, id string) {
	t.Helper()
	if _, err := h.Store.Stat(ctx, id); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Stat of %s: %v, want ErrNotFound", id, err)
	}
	if _, err := h.Store.Open(ctx, id); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Open of %s: %v, want ErrNotFound", id, err)
	}
}

func assertEmpty(t *testing.T, ctx context.Context, h Harness) {
	t.Helper()
	if r := residue(t, ctx, h); len(r) > 0 {
		t.Fatalf("left behind: %v", r)
	}
}

func residue(t *testing.T, ctx context.Context, h Harness) []string {
	t.Helper()
	r, err := h.Residue(ctx)
	if err != nil {
		t.Fatalf("Residue: %v", err)
	}
	slices.Sort(r)
	return r
}

// failingReader gives r's bytes until after of them have been read, then
// fails with err (and calls onHit, once, if set).
type failingReader struct {
	r     io.Reader
	after int64
	n     int64
	err   error
	onHit func()
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n >= f.after {
		if f.onHit != nil {
			f.onHit()
			f.onHit = nil
		}
		if f.err != nil {
			return 0, f.err
		}
	}
	if rem := f.after - f.n; rem > 0 && int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := f.r.Read(p)
	f.n += int64(n)
	return n, err
}

// Pattern is a reader of size deterministic, incompressible bytes (an
// AES-CTR key stream keyed by the seed) that can also tell the bytes at
// any offset and their SHA-256 without keeping them.
type Pattern struct {
	block cipher.Block
	size  int64
	off   int64
}

// NewPattern returns a Pattern of size bytes for seed.
func NewPattern(seed uint64, size int64) *Pattern {
	var key [16]byte
	binary.BigEndian.PutUint64(key[:], seed)
	b, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err)
	}
	return &Pattern{block: b, size: size}
}

// Read implements io.Reader.
func (p *Pattern) Read(b []byte) (int, error) {
	if p.off >= p.size {
		return 0, io.EOF
	}
	if rem := p.size - p.off; int64(len(b)) > rem {
		b = b[:rem]
	}
	p.fill(b, p.off)
	p.off += int64(len(b))
	return len(b), nil
}

// Read64 is how many bytes were read.
func (p *Pattern) Read64() int64 { return p.off }

// At returns the n bytes at off (fewer at the end).
func (p *Pattern) At(off, n int64) []byte {
	n = max(0, min(n, p.size-off))
	b := make([]byte, n)
	p.fill(b, off)
	return b
}

// SHA256 is the lowercase hex SHA-256 of all size bytes.
func (p *Pattern) SHA256() string {
	h := sha256.New()
	buf := make([]byte, 256*kib)
	for off := int64(0); off < p.size; off += int64(len(buf)) {
		b := buf[:min(int64(len(buf)), p.size-off)]
		p.fill(b, off)
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (p *Pattern) fill(b []byte, off int64) {
	var iv [aes.BlockSize]byte
	binary.BigEndian.PutUint64(iv[8:], uint64(off/aes.BlockSize))
	s := cipher.NewCTR(p.block, iv[:])
	if skip := off % aes.BlockSize; skip > 0 {
		var junk [aes.BlockSize]byte
		s.XORKeyStream(junk[:skip], junk[:skip])
	}
	clear(b)
	s.XORKeyStream(b, b)
}
