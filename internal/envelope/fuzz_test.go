package envelope

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// The fuzz keyring has a fixed master key so that the seeds in
// testdata/fuzz/FuzzOpen, made once with it, stay valid envelopes.
var fuzzMaster = sha256.Sum256([]byte("e-CPTS envelope fuzz master key"))

const fuzzConv = "dm-fuzz"

// fuzzValid lists the authentic (wrapped, envelope) pairs of fuzzConv, made
// once with fuzzMaster, with their plaintext; testdata/fuzz/FuzzOpen holds
// them and variants.
var fuzzValid = []struct{ wrapped, envelope, plaintext string }{
	{
		"018e25c3d494cd55ff3abf40bf72eba541763df2bcc289bd41cd4efe2bec54cafb001cb006500cd01c291d36d79f31cd85e3d77e42a20f6286f237072e",
		"0145ab0c417564b707ead3170d97c84d5e5bed0ca8ff03d5f2bad706e989fc0c9526b22503dab61693f6301d6f5addf45624410f6ab4da8b9898d6b9",
		"Rappel : passage IDE demain 8h.",
	},
	{
		"018e25c3d494cd55ff3abf40bf72eba541763df2bcc289bd41cd4efe2bec54cafb001cb006500cd01c291d36d79f31cd85e3d77e42a20f6286f237072e",
		"0199fd1d02a09223333f7374797a9bef23020bcf89db0b151cf6de13bc",
		"",
	},
}

func unhex(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzOpen feeds Open arbitrary conversation ids, wrapped keys and
// envelopes: it must never panic, and must succeed only on an authentic
// triple, returning its plaintext.
func FuzzOpen(f *testing.F) {
	// Only static triples: fuzzing runs this function again in each worker
	// process, so a triple sealed here at random would be unknown to the
	// workers, though authentic.
	k, err := NewKeyring(fuzzMaster[:])
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range fuzzValid {
		f.Add(fuzzConv, unhex(f, v.wrapped), unhex(f, v.envelope))
		f.Add("dm-autre", unhex(f, v.wrapped), unhex(f, v.envelope))
	}
	f.Add(fuzzConv, []byte{}, []byte{})
	f.Add(fuzzConv, unhex(f, fuzzValid[0].wrapped), []byte{1})

	f.Fuzz(func(t *testing.T, conv string, wrapped, envelope []byte) {
		got, err := k.Open(conv, wrapped, envelope)
		if err != nil {
			if got != nil {
				t.Fatalf("error %v with output", err)
			}
			return
		}
		for _, v := range fuzzValid {
			if conv == fuzzConv && bytes.Equal(wrapped, unhex(t, v.wrapped)) && bytes.Equal(envelope, unhex(t, v.envelope)) {
				if string(got) != v.plaintext {
					t.Fatalf("authentic envelope opened to %q, want %q", got, v.plaintext)
				}
				return
			}
		}
		t.Fatalf("Open accepted a forged input: conv %q, wrapped %x, envelope %x", conv, wrapped, envelope)
	})
}

// TestFuzzSeedsAuthentic pins the seeds: if the format changes, they must be
// regenerated, not silently become "all invalid".
func TestFuzzSeedsAuthentic(t *testing.T) {
	k, err := NewKeyring(fuzzMaster[:])
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range fuzzValid {
		got, err := k.Open(fuzzConv, unhex(t, v.wrapped), unhex(t, v.envelope))
		if err != nil || string(got) != v.plaintext {
			t.Fatalf("seed opens to %q, %v", got, err)
		}
	}
}
