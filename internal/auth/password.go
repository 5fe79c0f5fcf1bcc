package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8  // lanes; the hash differs with the value, it is not only a speed knob
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams is OWASP's second argon2id configuration (m=19 MiB, t=2,
// p=1), measured on the 2-core development machine with x/crypto v0.59:
//
//	m=19MiB t=2 p=1   1 login at a time: p50 22 ms, p99 39 ms;  2 at once: p50 40 ms, p99 90 ms
//	m=46MiB t=1 p=1   1 login at a time: p50 33 ms, p99 40 ms;  2 at once: p50 70 ms, p99 211 ms
//	m=64MiB t=1 p=2   1 login at a time: p50 48 ms, p99 52 ms;  2 at once: p50 95 ms, p99 151 ms
//
// (shared machine, other builds running: read them as orders of magnitude;
// go test -bench Hash ./internal/auth/ reproduces the single-login column).
// Through VerifyPassword, with the hash slots below, 32 concurrent logins
// wait in line (p50 0.7 s, p99 0.9 s) while the process stays near 108 MiB.
// We take the cheapest configuration OWASP accepts because a login costs
// its memory for every concurrent attempt, and attackers choose the
// concurrency: at 19 MiB the hash slots below cap hashing at well under
// 100 MiB, and p=1 keeps one core free for realtime traffic while a login
// runs. The PHC string records the parameters, so raising them later only
// makes old hashes report needsRehash; they keep verifying.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds accepted when decoding a stored hash, so that a corrupted or
// hostile database row cannot make one login allocate gigabytes or spin.
const (
	maxMemory  = 256 * 1024 // KiB
	maxTime    = 16
	maxThreads = 16
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 128
)

// hashSlots bounds concurrent argon2 computations. Each one holds
// Params.Memory for its whole duration, and a login flood arrives all at
// once, before any failure is counted by the rate limiter: without a bound,
// 1,000 concurrent logins would ask for 19 GB. Extra callers wait (about one
// hash duration per slot ahead of them); more slots than cores would not
// hash faster anyway.
var hashSlots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

func idKey(password string, salt []byte, p Params) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// ErrMalformedHash is returned (wrapped) by VerifyPassword for a string
// that is not an argon2id PHC hash within the accepted bounds.
var ErrMalformedHash = errors.New("auth: malformed password hash")

func (p Params) validate() error {
	switch {
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("auth: argon2 threads %d out of [1, %d]", p.Threads, maxThreads)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("auth: argon2 time %d out of [1, %d]", p.Time, maxTime)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("auth: argon2 memory %d KiB out of [8×threads, %d]", p.Memory, maxMemory)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("auth: argon2 salt length %d out of [%d, %d]", p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("auth: argon2 key length %d out of [%d, %d]", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}

var b64 = base64.RawStdEncoding.Strict()

// HashPassword hashes password with argon2id and a fresh random salt, and
// returns the PHC string $argon2id$v=19$m=…,t=…,p=…$salt$hash (unpadded
// standard base64). It errors only on out-of-bounds parameters. It may wait
// for a free hash slot.
func HashPassword(password string, p Params) (string, error) {
	if err := p.validate(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	_, _ = rand.Read(salt) // never fails, see NewToken
	key := idKey(password, salt, p)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the PHC string encoded.
// The comparison is constant-time. needsRehash is true when the stored
// parameters differ from DefaultParams (hash again and store it after a
// successful login). A malformed or out-of-bounds encoding returns an error
// wrapping ErrMalformedHash, never a panic; the error does not quote the
// encoding. It may wait for a free hash slot.
func VerifyPassword(password, encoded string) (ok bool, needsRehash bool, err error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	got := idKey(password, salt, p)
	ok = subtle.ConstantTimeCompare(got, key) == 1
	return ok, p != DefaultParams, nil
}

// NeedsRehash reports whether encoded was made with parameters other than
// p (or cannot be read). Core calls it when it hashes with parameters of
// its own rather than DefaultParams.
func NeedsRehash(encoded string, p Params) bool {
	got, _, _, err := decodeHash(encoded)
	return err != nil || got != p
}

// decodeHash parses $argon2id$v=19$m=M,t=T,p=P$salt$key strictly.
func decodeHash(encoded string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("%w: not an argon2id PHC string", ErrMalformedHash)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported version", ErrMalformedHash)
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return p, nil, nil, fmt.Errorf("%w: want m=,t=,p= parameters", ErrMalformedHash)
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		s, found := strings.CutPrefix(kv[i], name)
		if !found || s == "" || len(s) > 10 {
			return p, nil, nil, fmt.Errorf("%w: bad parameter %d", ErrMalformedHash, i+1)
		}
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return p, nil, nil, fmt.Errorf("%w: bad parameter %d", ErrMalformedHash, i+1)
		}
		vals[i] = v
	}
	if vals[2] > maxThreads {
		return p, nil, nil, fmt.Errorf("%w: threads out of bounds", ErrMalformedHash)
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("%w: bad salt encoding", ErrMalformedHash)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil {
		return p, nil, nil, fmt.Errorf("%w: bad key encoding", ErrMalformedHash)
	}
	if len(salt) > maxSaltLen || len(key) > maxKeyLen {
		return p, nil, nil, fmt.Errorf("%w: salt or key too long", ErrMalformedHash)
	}
	p = Params{
		Memory: uint32(vals[0]), Time: uint32(vals[1]), Threads: uint8(vals[2]),
		SaltLen: uint32(len(salt)), KeyLen: uint32(len(key)),
	}
	if err := p.validate(); err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	return p, salt, key, nil
}

// DummyHash is a valid hash, with DefaultParams, of a random password
// nobody knows. Verify against it when the account does not exist, so that
// a login costs the same time whether or not the e-mail is registered.
// Computing it costs one hash at program start.
var DummyHash = mustHash(NewToken(), DefaultParams)

func mustHash(password string, p Params) string {
	h, err := HashPassword(password, p)
	if err != nil {
		panic(err) // DefaultParams are within bounds; a test checks it
	}
	return h
}
