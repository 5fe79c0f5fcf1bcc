package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
)

// tokenBytes gives tokens 256 bits of entropy: unguessable and free of
// birthday collisions at any scale we will see.
const tokenBytes = 32

// NewToken returns 32 random bytes as base64url without padding (43
// characters), safe in URLs and cookies. crypto/rand.Read never fails
// (it aborts the program if the system source is broken).
func NewToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the SHA-256 of token as lowercase hex: the form stored
// in the database, so a leaked database does not hand out live sessions. A
// fast hash is enough: tokens have full entropy, unlike passwords.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokensEqual compares two tokens in time that depends only on their
// lengths (use it for CSRF tokens, which are compared in clear).
func TokensEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
