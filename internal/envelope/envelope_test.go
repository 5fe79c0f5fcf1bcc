package envelope

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func newMaster(t testing.TB) []byte {
	t.Helper()
	m := make([]byte, KeyLen)
	if _, err := rand.Read(m); err != nil {
		t.Fatal(err)
	}
	return m
}

func newTestKeyring(t testing.TB) *Keyring {
	t.Helper()
	k, err := NewKeyring(newMaster(t))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newConv(t testing.TB, k *Keyring, id string) []byte {
	t.Helper()
	w, err := k.NewConversationKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestRoundTrip(t *testing.T) {
	k := newTestKeyring(t)
	wrapped := newConv(t, k, "conv-1")
	if len(wrapped) != WrappedKeyLen {
		t.Fatalf("wrapped key of %d bytes, want %d", len(wrapped), WrappedKeyLen)
	}
	for _, msg := range [][]byte{nil, {}, []byte("Patient vu ce matin, rappeler la pharmacie."), bytes.Repeat([]byte{0xab}, 1<<16)} {
		env, err := k.Seal("conv-1", wrapped, msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(env) != len(msg)+Overhead || env[0] != version1 {
			t.Fatalf("envelope of %d bytes, version %d", len(env), env[0])
		}
		if len(msg) > 8 && bytes.Contains(env, msg[:8]) {
			t.Fatal("plaintext visible in envelope")
		}
		got, err := k.Open("conv-1", wrapped, env)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("Open = %q, want %q", got, msg)
		}
	}
}

// TestFreshKeyring opens with a keyring that never saw the conversation:
// what a restart, or another node, does.
func TestFreshKeyring(t *testing.T) {
	master := newMaster(t)
	k1, _ := NewKeyring(master)
	wrapped := newConv(t, k1, "conv-1")
	env, err := k1.Seal("conv-1", wrapped, []byte("bonjour"))
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := NewKeyring(master)
	got, err := k2.Open("conv-1", wrapped, env)
	if err != nil || string(got) != "bonjour" {
		t.Fatalf("Open = %q, %v", got, err)
	}
}

func TestNoncesDiffer(t *testing.T) {
	k := newTestKeyring(t)
	w := newConv(t, k, "c")
	a, _ := k.Seal("c", w, []byte("même texte"))
	b, _ := k.Seal("c", w, []byte("même texte"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same text are equal")
	}
	w2 := newConv(t, k, "d")
	if bytes.Equal(w, w2) {
		t.Fatal("two conversation keys wrapped alike")
	}
}

func TestTamperedByte(t *testing.T) {
	k := newTestKeyring(t)
	w := newConv(t, k, "conv-1")
	env, _ := k.Seal("conv-1", w, []byte("ordonnance renouvelée"))
	for i := range env {
		bad := bytes.Clone(env)
		bad[i] ^= 0x01
		_, err := k.Open("conv-1", w, bad)
		if err == nil {
			t.Fatalf("byte %d flipped: no error", i)
		}
		want := ErrCorrupt
		if i == 0 {
			want = ErrVersion
		}
		if !errors.Is(err, want) {
			t.Fatalf("byte %d flipped: err = %v, want %v", i, err, want)
		}
	}
}

func TestTamperedWrappedKey(t *testing.T) {
	master := newMaster(t)
	k1, _ := NewKeyring(master)
	w := newConv(t, k1, "conv-1")
	env, _ := k1.Seal("conv-1", w, []byte("x"))
	for i := range w {
		bad := bytes.Clone(w)
		bad[i] ^= 0x80
		// A fresh keyring each time: nothing cached to fall back on.
		k2, _ := NewKeyring(master)
		if _, err := k2.Open("conv-1", bad, env); err == nil {
			t.Fatalf("wrapped byte %d flipped: no error", i)
		}
		// The keyring that cached the good key must not answer for bad bytes.
		if _, err := k1.Open("conv-1", bad, env); err == nil {
			t.Fatalf("wrapped byte %d flipped: cached keyring opened", i)
		}
	}
}

func TestMovedToAnotherConversation(t *testing.T) {
	k := newTestKeyring(t)
	wa := newConv(t, k, "conv-a")
	wb := newConv(t, k, "conv-b")
	env, _ := k.Seal("conv-a", wa, []byte("confidentiel"))

	tests := []struct {
		name    string
		conv    string
		wrapped []byte
	}{
		{"envelope into b, with b's key", "conv-b", wb},
		{"envelope and a's wrapped key into b", "conv-b", wa},
		{"b's key claimed for a", "conv-a", wb},
	}
	for _, tt := range tests {
		if _, err := k.Open(tt.conv, tt.wrapped, env); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", tt.name, err)
		}
	}
	// The same again with nothing cached.
	k2 := &Keyring{master: k.master, cache: newLRU(DefaultCacheSize)}
	for _, tt := range tests {
		if _, err := k2.Open(tt.conv, tt.wrapped, env); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s, cold: err = %v, want ErrCorrupt", tt.name, err)
		}
	}
}

func TestWrongMaster(t *testing.T) {
	k1 := newTestKeyring(t)
	w := newConv(t, k1, "conv-1")
	env, _ := k1.Seal("conv-1", w, []byte("x"))
	k2 := newTestKeyring(t)
	if _, err := k2.Open("conv-1", w, env); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open with another master: err = %v, want ErrCorrupt", err)
	}
	if _, err := k2.Seal("conv-1", w, []byte("y")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Seal with another master: err = %v, want ErrCorrupt", err)
	}
}

func TestMalformed(t *testing.T) {
	k := newTestKeyring(t)
	w := newConv(t, k, "c")
	env, _ := k.Seal("c", w, []byte("abc"))
	tests := []struct {
		name     string
		wrapped  []byte
		envelope []byte
		want     error
	}{
		{"nil envelope", w, nil, ErrCorrupt},
		{"version only", w, []byte{version1}, ErrCorrupt},
		{"header only", w, env[:headerLen], ErrCorrupt},
		{"one byte short of a tag", w, env[:headerLen+tagLen-1], ErrCorrupt},
		{"truncated", w, env[:len(env)-1], ErrCorrupt},
		{"extended", w, append(bytes.Clone(env), 0), ErrCorrupt},
		{"version 0", w, append([]byte{0}, env[1:]...), ErrVersion},
		{"version 2", w, append([]byte{2}, env[1:]...), ErrVersion},
		{"nil wrapped", nil, env, ErrCorrupt},
		{"short wrapped", w[:20], env, ErrCorrupt},
		{"wrapped of unknown version", append([]byte{9}, w[1:]...), env, ErrVersion},
	}
	for _, tt := range tests {
		if _, err := k.Open("c", tt.wrapped, tt.envelope); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestInvalidArguments(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewKeyring(make([]byte, n)); !errors.Is(err, ErrKeyLength) {
			t.Errorf("NewKeyring(%d bytes): err = %v", n, err)
		}
	}
	k := newTestKeyring(t)
	if _, err := k.NewConversationKey(""); !errors.Is(err, ErrNoConv) {
		t.Errorf("NewConversationKey(\"\"): err = %v", err)
	}
	w := newConv(t, k, "c")
	if _, err := k.Seal("", w, []byte("x")); !errors.Is(err, ErrNoConv) {
		t.Errorf("Seal(\"\"): err = %v", err)
	}
}

// TestMasterNotKept: the keyring must not alias the caller's slice.
func TestMasterNotKept(t *testing.T) {
	master := newMaster(t)
	k, _ := NewKeyring(master)
	w := newConv(t, k, "c")
	clear(master)
	k.cache = newLRU(DefaultCacheSize) // force an unwrap with the master
	env, err := k.Seal("c", w, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Open("c", w, env); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsCarryNoContent(t *testing.T) {
	k := newTestKeyring(t)
	w := newConv(t, k, "conv-42")
	secret := []byte("SECRET-PLAINTEXT")
	env, _ := k.Seal("conv-42", w, secret)
	env[len(env)-1] ^= 1
	_, err := k.Open("conv-42", w, env)
	if err == nil || !strings.Contains(err.Error(), "conv-42") {
		t.Fatalf("err = %v, want the conversation id", err)
	}
	if strings.Contains(err.Error(), string(secret)) || strings.Contains(err.Error(), fmt.Sprintf("%x", w[:8])) {
		t.Fatalf("error leaks content: %v", err)
	}
}

func TestCacheBounded(t *testing.T) {
	k, err := newKeyring(newMaster(t), 3)
	if err != nil {
		t.Fatal(err)
	}
	wrapped := map[string][]byte{}
	envs := map[string][]byte{}
	for i := range 10 {
		id := fmt.Sprintf("c%d", i)
		wrapped[id] = newConv(t, k, id)
		envs[id], _ = k.Seal(id, wrapped[id], []byte(id))
		if n := k.cache.len(); n > 3 {
			t.Fatalf("cache holds %d entries, bound 3", n)
		}
	}
	// Evicted conversations still open, by unwrapping again.
	for id, env := range envs {
		got, err := k.Open(id, wrapped[id], env)
		if err != nil || string(got) != id {
			t.Fatalf("Open(%s) = %q, %v", id, got, err)
		}
	}
	if n := k.cache.len(); n != 3 {
		t.Fatalf("cache holds %d entries, want 3", n)
	}
}

func TestLRUOrder(t *testing.T) {
	c := newLRU(2)
	aead := newTestKeyring(t).master
	c.put("a", []byte{1}, aead)
	c.put("b", []byte{2}, aead)
	if _, ok := c.get("a", []byte{1}); !ok { // a is now the most recent
		t.Fatal("a missing")
	}
	c.put("c", []byte{3}, aead) // evicts b
	if _, ok := c.get("b", []byte{2}); ok {
		t.Fatal("b kept, want it evicted")
	}
	if _, ok := c.get("a", []byte{1}); !ok {
		t.Fatal("a evicted, want b evicted")
	}
	if _, ok := c.get("a", []byte{9}); ok {
		t.Fatal("hit with other wrapped bytes")
	}
	w := []byte{4}
	c.put("d", w, aead)
	w[0] = 5 // the cache keeps its own copy
	if _, ok := c.get("d", []byte{4}); !ok {
		t.Fatal("cache aliased the caller's slice")
	}
}

func TestConcurrentUse(t *testing.T) {
	k, err := newKeyring(newMaster(t), 4) // small: evictions race with use
	if err != nil {
		t.Fatal(err)
	}
	const convs = 8
	wrapped := make([][]byte, convs)
	for i := range convs {
		wrapped[i] = newConv(t, k, fmt.Sprintf("c%d", i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				c := (g + i) % convs
				id := fmt.Sprintf("c%d", c)
				msg := fmt.Appendf(nil, "g%d m%d", g, i)
				env, err := k.Seal(id, wrapped[c], msg)
				if err == nil {
					var got []byte
					got, err = k.Open(id, wrapped[c], env)
					if err == nil && !bytes.Equal(got, msg) {
						err = fmt.Errorf("got %q, want %q", got, msg)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

var benchPlaintext = bytes.Repeat([]byte("Compte rendu de passage. "), 20)[:500]

func BenchmarkSeal500(b *testing.B) {
	k := newTestKeyring(b)
	w := newConv(b, k, "conv")
	b.SetBytes(int64(len(benchPlaintext)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Seal("conv", w, benchPlaintext); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen500(b *testing.B) {
	k := newTestKeyring(b)
	w := newConv(b, k, "conv")
	env, err := k.Seal("conv", w, benchPlaintext)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchPlaintext)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Open("conv", w, env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen500Cold measures a cache miss: unwrap, then open.
func BenchmarkOpen500Cold(b *testing.B) {
	k := newTestKeyring(b)
	w := newConv(b, k, "conv")
	env, err := k.Seal("conv", w, benchPlaintext)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchPlaintext)))
	b.ReportAllocs()
	for b.Loop() {
		k.cache = newLRU(1)
		if _, err := k.Open("conv", w, env); err != nil {
			b.Fatal(err)
		}
	}
}
