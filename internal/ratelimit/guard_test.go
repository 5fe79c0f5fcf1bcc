package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"
)

// Core's default send limits (core.SendLimits): 5 per second, bursts of 20.
const (
	sendRate  = 5.0
	sendBurst = 20.0
)

func TestGuard(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	f := NewGuard(sendRate, sendBurst, GuardOptions{Now: func() time.Time { return now }, Logger: slog.Default()})
	for i := 0; i < int(sendBurst); i++ {
		if !f.Allow(context.Background(), "u1") {
			t.Fatalf("message %d of the burst refused", i+1)
		}
	}
	if f.Allow(context.Background(), "u1") {
		t.Fatal("a message past the burst was allowed")
	}
	if !f.Allow(context.Background(), "u2") {
		t.Fatal("another user is not affected")
	}
	now = now.Add(time.Second)
	for i := 0; i < int(sendRate); i++ {
		if !f.Allow(context.Background(), "u1") {
			t.Fatalf("after a second, message %d refused", i+1)
		}
	}
	if f.Allow(context.Background(), "u1") {
		t.Fatal("more than the rate after a second")
	}
	now = now.Add(time.Hour)
	f.Allow(context.Background(), "u3")
	if len(f.buckets) != 1 {
		t.Fatalf("idle buckets are swept: %d left", len(f.buckets))
	}
}

type fakeBucket struct {
	ok   bool
	err  error
	n    int
	keys []string
}

func (f *fakeBucket) Take(_ context.Context, key string) (bool, error) {
	f.n++
	f.keys = append(f.keys, key)
	return f.ok, f.err
}

func TestGuardShared(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	shared := &fakeBucket{ok: false}
	f := NewGuard(sendRate, sendBurst, GuardOptions{Shared: shared, Prefix: "changes:", Now: func() time.Time { return now }, Logger: slog.Default()})
	if f.Allow(context.Background(), "u1") || shared.n != 1 {
		t.Fatalf("shared bucket empty: allowed (asked %d times)", shared.n)
	}
	if shared.keys[0] != "changes:u1" {
		t.Fatalf("shared bucket asked for %q, want the guard's prefix before the key", shared.keys[0])
	}
	// Redis down: this node's own bucket applies (full for u1).
	shared.err = errors.New("redis: connection refused")
	for i := 0; i < int(sendBurst); i++ {
		if !f.Allow(context.Background(), "u1") {
			t.Fatalf("fallback: message %d of the burst refused", i+1)
		}
	}
	if f.Allow(context.Background(), "u1") {
		t.Fatal("fallback: past the burst allowed")
	}
}
