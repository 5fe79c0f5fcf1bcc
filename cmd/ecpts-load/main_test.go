package main

import (
	"io"
	"strings"
	"testing"
)

func TestLoopbackOnly(t *testing.T) {
	for _, c := range []struct {
		base string
		ok   bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://localhost:8080", true},
		{"http://[::1]:8080", true},
		{"https://127.0.0.1", true},
		{"http://10.0.0.5:8080", false},
		{"http://192.168.1.2", false},
		{"http://example.org", false},
		{"http://127.0.0.1.example.org:8080", false},
		{"http://localhost.evil.test", false},
		{"http://0.0.0.0:8080", false},
		{"ws://127.0.0.1:8080", false},
		{"http://127.0.0.1:8080/api", false},
		{"http://user@127.0.0.1:8080", false},
	} {
		err := loopbackOnly(c.base)
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.base, err, c.ok)
		}
	}
}

func TestParseArgs(t *testing.T) {
	c, err := parseArgs([]string{"send"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.rate != 2000 || c.conns != 134 || c.channels != 10 || c.bases[0] != "http://127.0.0.1:8080" {
		t.Fatalf("send defaults: %+v", c)
	}
	c, err = parseArgs([]string{"reconnect", "-conns", "30"}, io.Discard)
	if err != nil || c.drops != 30 || c.rate != 100 {
		t.Fatalf("reconnect defaults: %+v, %v", c, err)
	}
	for _, bad := range [][]string{
		{},
		{"flood"},
		{"fanout", "-base", "http://10.1.2.3:8080"},
		{"twonode", "-base", "http://127.0.0.1:8080"},
		{"twonode", "-base", "http://127.0.0.1:8080,http://192.168.0.9:8080"},
		{"fanout", "-conns", "50000"},
		{"fanout", "-rate", "1e9"},
		{"fanout", "-max-duration", "2h"},
		{"fanout", "-duration", "20m", "-max-duration", "10m"},
		{"fanout", "-conn-rate", "25"},
		{"send", "-saturate"},
		{"fanout", "extra"},
	} {
		if _, err := parseArgs(bad, io.Discard); err == nil {
			t.Errorf("%q accepted", strings.Join(bad, " "))
		}
	}
}
