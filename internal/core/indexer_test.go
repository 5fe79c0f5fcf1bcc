package core

import (
	"testing"
	"time"
)

// The indexer waits while the message log stores a burst of sends, at most
// indexerMaxDefer in a row, and indexes at once at a CPTS's usual pace.
func TestSendGaugeYieldsToBursts(t *testing.T) {
	var g sendGauge
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	if g.yield(at(0), 0) {
		t.Fatal("first look: nothing known, the indexer must run")
	}
	if g.yield(at(2*time.Second), 10) {
		t.Fatal("5 messages a second: the indexer must run")
	}
	// A burst: 2,000 messages a second.
	stored := int64(10)
	now := 2 * time.Second
	for range 20 { // 5 s of burst
		now += indexerBusyPoll
		stored += 500
		if !g.yield(at(now), stored) {
			t.Fatalf("at %v, 2,000 messages a second: the indexer must wait", now)
		}
	}
	// A look sooner than half a poll keeps the verdict.
	if !g.yield(at(now+time.Millisecond), stored) {
		t.Fatal("a look 1 ms later changed the verdict")
	}
	// The burst goes on past indexerMaxDefer: the indexer catches up.
	for now < 2*time.Second+indexerMaxDefer {
		now += indexerBusyPoll
		stored += 500
		g.yield(at(now), stored)
	}
	now += indexerBusyPoll
	stored += 500
	if g.yield(at(now), stored) {
		t.Fatalf("waited %v: the indexer must catch up", indexerMaxDefer)
	}
	// Caught up, the burst still on: it waits again.
	g.caughtUp()
	now += indexerBusyPoll
	stored += 500
	if !g.yield(at(now), stored) {
		t.Fatal("caught up during a burst: the indexer must wait again")
	}
	// The burst ends: the next look lets the indexer run.
	now += indexerBusyPoll
	if g.yield(at(now), stored) {
		t.Fatal("no sends since the last look: the indexer must run")
	}
}
