package auth

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fast are cheap parameters for tests that are not about cost.
var fast = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashAndVerify(t *testing.T) {
	h, err := HashPassword("demo-ecpts", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("unexpected encoding %q", h)
	}
	ok, rehash, err := VerifyPassword("demo-ecpts", h)
	if err != nil || !ok || !rehash {
		t.Fatalf("VerifyPassword(right) = %v, %v, %v; want true, true (not default params), nil", ok, rehash, err)
	}
	ok, _, err = VerifyPassword("demo-ecptS", h)
	if err != nil || ok {
		t.Fatalf("VerifyPassword(wrong) = %v, %v", ok, err)
	}
	h2, _ := HashPassword("demo-ecpts", fast)
	if h2 == h {
		t.Fatal("two hashes of the same password are equal: salt not random")
	}
	if NeedsRehash(h, fast) || !NeedsRehash(h, DefaultParams) || !NeedsRehash("garbage", fast) {
		t.Fatal("NeedsRehash disagrees with the parameters")
	}
}

func TestDefaultParams(t *testing.T) {
	if err := DefaultParams.validate(); err != nil {
		t.Fatal(err)
	}
	// OWASP minimum for argon2id: m=19 MiB with t=2, p=1.
	if DefaultParams.Memory < 19*1024 || DefaultParams.Time < 2 && DefaultParams.Memory < 46*1024 {
		t.Fatalf("DefaultParams below the OWASP floor: %+v", DefaultParams)
	}
	ok, rehash, err := VerifyPassword("whatever", DummyHash)
	if err != nil || ok || rehash {
		t.Fatalf("VerifyPassword(DummyHash) = %v, %v, %v; want false, false, nil", ok, rehash, err)
	}
	h, err := HashPassword("Cystite-simple-2024", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	ok, rehash, err = VerifyPassword("Cystite-simple-2024", h)
	if err != nil || !ok || rehash {
		t.Fatalf("VerifyPassword(default) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

// A reference vector computed independently, by the reference C
// implementation (Debian's libargon2.so.1, argon2id_hash_encoded with t=2,
// m=64, p=1, salt "0123456789abcdef", 32-byte hash, called through Python
// ctypes), pins the encoding: salt and key in unpadded standard base64,
// parameters in m,t,p order.
func TestVerifyReferenceVector(t *testing.T) {
	const ref = "$argon2id$v=19$m=64,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$dPtrHTEawLtMiR9+/XloAkXZ+EtyrY+bvmHIbiufhk0"
	ok, _, err := VerifyPassword("correct horse", ref)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatal("reference hash does not verify")
	}
}

func TestHashPasswordRejectsBadParams(t *testing.T) {
	for _, p := range []Params{
		{},
		{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 7, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8},
		{Memory: 1 << 20, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
	} {
		if _, err := HashPassword("x", p); err == nil {
			t.Errorf("HashPassword accepted %+v", p)
		}
	}
}

func TestVerifyMalformed(t *testing.T) {
	good, _ := HashPassword("pw", fast)
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	for _, enc := range []string{
		"",
		"$",
		"plain-text-password",
		"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1$" + salt + "$" + key,
		"$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=256$" + salt + "$" + key,
		"$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=99999999999,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=4000000000,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$",
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key[:10],
		"$argon2id$v=19$m=64,t=1,p=1$$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$!!!!",
		"$2a$10$abcdefghijklmnopqrstuuLzA7mnx8OaqI7ZTAkK0L0RV1.Ra1J5S", // bcrypt
	} {
		ok, rehash, err := VerifyPassword("pw", enc)
		if err == nil || ok || rehash {
			t.Errorf("VerifyPassword(%q) = %v, %v, %v; want an error", enc, ok, rehash, err)
			continue
		}
		if !errors.Is(err, ErrMalformedHash) {
			t.Errorf("VerifyPassword(%q) error %v does not wrap ErrMalformedHash", enc, err)
		}
		if len(enc) > 20 && strings.Contains(err.Error(), enc[len(enc)-12:]) {
			t.Errorf("error quotes the encoding: %v", err)
		}
	}
}

// FuzzVerifyPassword: whatever the stored string, VerifyPassword returns
// (never panics), reports a match only for a decodable hash, and a string
// that decodes survives a re-encode round trip.
func FuzzVerifyPassword(f *testing.F) {
	good, _ := HashPassword("pw", fast)
	f.Add("pw", good)
	f.Add("pw", DummyHash)
	f.Add("", "$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("pw", "$argon2id$v=19$m=64,t=1,p=1$$")
	f.Add("pw", "$argon2id$v=19$m=,t=,p=$x$y")
	f.Add("pw", strings.Repeat("$", 6))
	f.Fuzz(func(t *testing.T, password, encoded string) {
		p, salt, key, derr := decodeHash(encoded)
		if derr == nil {
			if p.validate() != nil {
				t.Fatalf("decodeHash accepted out-of-bounds %+v", p)
			}
			if int(p.SaltLen) != len(salt) || int(p.KeyLen) != len(key) {
				t.Fatalf("lengths disagree: %+v", p)
			}
			// Keep each fuzz iteration cheap: the bounds are tested
			// above, the fuzzer should spend its time on parsing.
			if p.Memory > 4096 || p.Time > 4 {
				return
			}
		}
		ok, _, err := VerifyPassword(password, encoded)
		if (err == nil) != (derr == nil) {
			t.Fatalf("VerifyPassword err %v, decodeHash err %v", err, derr)
		}
		if err != nil && ok {
			t.Fatal("ok with an error")
		}
	})
}

// TestHashSlots: concurrent hashes beyond the slot count all finish and
// give every slot back; with every slot taken, a hash waits.
func TestHashSlots(t *testing.T) {
	n := cap(hashSlots)*3 + 1
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pw := fmt.Sprint("password-", i)
			h, err := HashPassword(pw, fast)
			if err == nil {
				var ok bool
				ok, _, err = VerifyPassword(pw, h)
				if err == nil && !ok {
					err = errors.New("hash does not verify")
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(hashSlots) != 0 {
		t.Fatalf("%d hash slots still held", len(hashSlots))
	}

	for range cap(hashSlots) {
		hashSlots <- struct{}{}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = HashPassword("waiting", fast)
	}()
	select {
	case <-done:
		t.Fatal("a hash ran while every slot was taken")
	case <-time.After(100 * time.Millisecond): // a fast hash takes well under 1 ms
	}
	<-hashSlots
	<-done
	for len(hashSlots) > 0 {
		<-hashSlots
	}
}

// TestVerifyTimingIndependentOfMatch is a coarse sanity check that a wrong
// password costs the hash, not a short-circuit (the constant-time compare
// itself is subtle's).
func TestVerifyTimingIndependentOfMatch(t *testing.T) {
	p := Params{Memory: 4096, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	h, _ := HashPassword("right-password-1", p)
	measure := func(pw string) time.Duration {
		best := time.Duration(1 << 62)
		for range 5 {
			s := time.Now()
			if _, _, err := VerifyPassword(pw, h); err != nil {
				t.Fatal(err)
			}
			best = min(best, time.Since(s))
		}
		return best
	}
	right, wrong := measure("right-password-1"), measure("x")
	if wrong*4 < right {
		t.Fatalf("wrong password verified in %v, right in %v: the hash was skipped", wrong, right)
	}
}

func BenchmarkHash(b *testing.B) {
	for _, p := range []Params{
		DefaultParams,
		{Memory: 46 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64 * 1024, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32},
	} {
		b.Run(fmt.Sprintf("m=%dMiB,t=%d,p=%d", p.Memory/1024, p.Time, p.Threads), func(b *testing.B) {
			for b.Loop() {
				if _, err := HashPassword("demo-ecpts", p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
