package realtime_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/realtime"
)

// gatedSubscribes makes app's Subscribe wait for a token on the returned
// channel, counting the calls in App now and the most at once.
func gatedSubscribes(app *fakeApp) (gate chan struct{}, inApp, most *atomic.Int64) {
	gate = make(chan struct{})
	inApp, most = new(atomic.Int64), new(atomic.Int64)
	app.mu.Lock()
	app.beforeSnapshot = func(model.ChannelID) {
		n := inApp.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-gate
		inApp.Add(-1)
	}
	app.mu.Unlock()
	return gate, inApp, most
}

// eventually waits (bounded) for cond, polled: for state no socket signals.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// A subscribe storm (every tab of a restarted node at once) queues in the
// hub: at most MaxConcurrentSubscribes calls reach App at once, and every
// subscribe is answered in the end. Other connections are not held up.
func TestSubscribeStormIsBounded(t *testing.T) {
	const limit, conns = 2, 10
	h, app := newTestHub(t, realtime.Options{MaxConcurrentSubscribes: limit})
	gate, inApp, most := gatedSubscribes(app)
	clients := make([]*client, conns)
	for i := range clients {
		clients[i] = connect(t, h, alice, fmt.Sprintf("s%d", i))
		clients[i].send(map[string]any{"type": "subscribe", "channel": chanA})
	}
	// Every subscribe has reached the hub: it is in App, or waits its turn.
	eventually(t, "every subscribe in App or queued", func() bool {
		return inApp.Load()+h.Stats().SubscribesQueued == conns
	})
	if n := inApp.Load(); n != limit {
		t.Fatalf("%d subscribes in App at once, want %d (the others queued)", n, limit)
	}
	other := connect(t, h, bob, "other")
	other.send(map[string]any{"type": "ping"})
	other.expect(realtime.TypePong)

	for range conns { // each subscribe let through lets a queued one in
		gate <- struct{}{}
	}
	for _, c := range clients {
		c.skipTo(realtime.TypeSubscribed)
	}
	if m := most.Load(); m != limit {
		t.Fatalf("at most %d subscribes in App at once, want %d", m, limit)
	}
	if q := h.Stats().SubscribesQueued; q != 0 {
		t.Fatalf("%d subscribes still queued", q)
	}
}

// A subscribe waiting for its turn gives up when its connection closes.
func TestQueuedSubscribeEndsWithItsConnection(t *testing.T) {
	h, app := newTestHub(t, realtime.Options{MaxConcurrentSubscribes: 1})
	gate, inApp, _ := gatedSubscribes(app)
	first := connect(t, h, alice, "first")
	first.send(map[string]any{"type": "subscribe", "channel": chanA})
	eventually(t, "the first subscribe in App", func() bool { return inApp.Load() == 1 })
	queued := connect(t, h, bob, "queued")
	queued.send(map[string]any{"type": "subscribe", "channel": chanA})
	eventually(t, "the second subscribe queued", func() bool { return h.Stats().SubscribesQueued == 1 })

	if err := h.CloseSession(t.Context(), "queued"); err != nil {
		t.Fatal(err)
	}
	if code := queued.closed(); code != realtime.CloseUnauthenticated {
		t.Fatalf("close code %d, want %d", code, realtime.CloseUnauthenticated)
	}
	if q := h.Stats().SubscribesQueued; q != 0 {
		t.Fatalf("%d subscribes still queued", q)
	}
	gate <- struct{}{}
	first.skipTo(realtime.TypeSubscribed)
}
