package auth

import (
	"encoding/base64"
	"testing"
)

func TestNewToken(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		tok := NewToken()
		if len(tok) != 43 {
			t.Fatalf("token length %d, want 43", len(tok))
		}
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(b) != 32 {
			t.Fatalf("token is not 32 bytes of base64url: %v", err)
		}
		if seen[tok] {
			t.Fatal("duplicate token")
		}
		seen[tok] = true
	}
}

func TestHashToken(t *testing.T) {
	// SHA-256("abc"), FIPS 180-2 appendix B.1.
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := HashToken("abc"); got != want {
		t.Fatalf("HashToken(abc) = %s, want %s", got, want)
	}
	if HashToken("a") == HashToken("b") {
		t.Fatal("distinct tokens hash equal")
	}
}

func TestTokensEqual(t *testing.T) {
	a := NewToken()
	for _, tt := range []struct {
		x, y string
		want bool
	}{
		{a, a, true},
		{a, string([]byte(a)), true},
		{a, NewToken(), false},
		{a, a[:42], false},
		{"", "", true},
		{a, "", false},
	} {
		if got := TokensEqual(tt.x, tt.y); got != tt.want {
			t.Errorf("TokensEqual(%q, %q) = %v", tt.x, tt.y, got)
		}
	}
}
