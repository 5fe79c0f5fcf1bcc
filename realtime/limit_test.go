package realtime_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

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

// testClock is a clock the test moves by hand (Options.Now).
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// replies reads a client's frames incrementally (a long exchange would
// make client.frames, which parses everything each time, quadratic).
type replies struct {
	c      *client
	writes int // socket writes already parsed
}

// answers waits for one ack or error about each client_id of ids and
// returns them; any other frame, or a second answer about one id, fails.
func (r *replies) answers(ids []string) map[string]map[string]any {
	t := r.c.t
	t.Helper()
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	got := make(map[string]map[string]any, len(ids))
	r.c.until(fmt.Sprintf("answers to %d sends", len(ids)), func() bool {
		r.c.sock.mu.Lock()
		writes := slices.Clone(r.c.sock.writes[r.writes:])
		r.c.sock.mu.Unlock()
		r.writes += len(writes)
		for _, w := range writes {
			for line := range bytes.SplitSeq(w, []byte{'\n'}) {
				var f map[string]any
				if err := json.Unmarshal(line, &f); err != nil {
					t.Fatalf("not JSON: %v", err)
				}
				var id string
				switch f["type"] {
				case realtime.TypeAck:
					id, _ = f["client_id"].(string)
				case realtime.TypeError:
					id, _ = f["ref"].(string)
				}
				if !want[id] {
					t.Fatalf("frame %v answers none of the sends in flight", f)
				}
				if _, dup := got[id]; dup {
					t.Fatalf("send %s answered twice: %v, then %v", id, got[id], f)
				}
				got[id] = f
			}
		}
		return len(got) == len(ids)
	})
	return got
}

// A client pipelining sends (an integration, the browser's outbox after a
// reconnect) learns which ones the server did not take: each send gets an
// ack or an error naming its client_id with a retry_after, whether the
// connection's frame limit dropped it or the application's per-user send
// limit refused it. Resending exactly those, each after its retry_after,
// ends with all of them acked once and stored once, the connection open.
func TestPipelinedSendsAreEachAnswered(t *testing.T) {
	clock := &testClock{t: time.Unix(1_700_000_000, 0)}
	// The production limits: 20 frames/s, bursts of 40, 200 dropped frames
	// in 10 s close; and core's default send limit, 5/s, bursts of 20.
	h, app := newTestHub(t, realtime.Options{Now: clock.now})
	app.limitSends(clock.now, 5, 20)
	c := connect(t, h, alice, "s")
	r := &replies{c: c}

	const n = 200
	ids := make([]string, n)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	sendAll := func(ids []string) {
		for _, id := range ids {
			c.send(map[string]any{"type": "send", "channel": chanA, "client_id": id, "body": "m " + id})
		}
	}
	acked := make(map[string]uint64)
	retryAt := make(map[string]time.Time)
	refusals := make(map[string]int)
	// record takes the answers to ids, sent at the clock's time.
	record := func(ids []string) (dropped, refused int) {
		now := clock.now()
		for id, f := range r.answers(ids) {
			if f["type"] == realtime.TypeAck {
				acked[id] = uint64(f["seq"].(float64))
				delete(retryAt, id)
				continue
			}
			secs, ok := f["retry_after"].(float64)
			if f["code"] != realtime.CodeRateLimited || !ok || secs <= 0 {
				t.Fatalf("send %s: %v, want rate_limited with a retry_after", id, f)
			}
			if f["message"] == app.sendLimit.refusal.Message {
				refused++
			} else {
				dropped++
			}
			refusals[id]++
			retryAt[id] = now.Add(time.Duration(math.Round(secs*1000)) * time.Millisecond)
		}
		return dropped, refused
	}

	sendAll(ids)
	firstDropped, firstRefused := record(ids)
	if firstDropped == 0 || firstRefused == 0 {
		t.Fatalf("first pass: %d dropped by the connection, %d refused by the app: the test wants both limits hit", firstDropped, firstRefused)
	}
	start := clock.now()
	steps, resent, dropped := 0, 0, firstDropped
	for len(retryAt) > 0 {
		if steps++; steps > 10*n {
			t.Fatalf("%d sends still refused after %d resend steps", len(retryAt), steps)
		}
		// The client waits for the earliest retry_after, then resends
		// every send due.
		next := time.Time{}
		for _, at := range retryAt {
			if next.IsZero() || at.Before(next) {
				next = at
			}
		}
		clock.set(next)
		var due []string
		for _, id := range ids { // in the outbox's order
			if at, ok := retryAt[id]; ok && !at.After(next) {
				due = append(due, id)
			}
		}
		sendAll(due)
		resent += len(due)
		d, _ := record(due)
		dropped += d
	}

	if len(acked) != n {
		t.Fatalf("%d sends acked, want %d", len(acked), n)
	}
	seqs := make([]uint64, 0, n)
	for _, seq := range acked {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	for i, seq := range seqs {
		if seq != uint64(i+1) {
			t.Fatalf("acked seqs %v…: want 1..%d, each once", seqs[:i+1], n)
		}
	}
	app.mu.Lock()
	stored := len(app.channels[chanA].stored)
	app.mu.Unlock()
	if stored != n {
		t.Fatalf("%d messages stored, want %d", stored, n)
	}
	if c.sock.isClosed() {
		t.Fatalf("the connection was closed (code %d)", c.closed())
	}
	if got := h.Stats().RateLimited; got != uint64(dropped) {
		t.Fatalf("Stats.RateLimited %d, want the %d frames dropped", got, dropped)
	}
	most := 0
	for _, k := range refusals {
		most = max(most, k)
	}
	t.Logf("first pass: %d acked, %d dropped by the connection's limit, %d refused by the per-user limit; then %d resends in %d steps over %v (%d dropped again), at most %d refusals of one send",
		n-firstDropped-firstRefused, firstDropped, firstRefused, resent, steps, clock.now().Sub(start), dropped-firstDropped, most)
}

// A flood of sends is still closed: each dropped send costs one error
// frame, and the drop past AbuseLimit closes the connection.
func TestSendFloodIsClosed(t *testing.T) {
	clock := &testClock{t: time.Unix(1_700_000_000, 0)}
	h, _ := newTestHub(t, realtime.Options{Now: clock.now, RateLimit: 1, RateBurst: 3, AbuseLimit: 10, AbuseWindow: time.Minute})
	c := connect(t, h, alice, "s")
	r := &replies{c: c}
	send := func(n int) []string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = uuid.NewString()
			c.send(map[string]any{"type": "send", "channel": chanA, "client_id": ids[i], "body": "x"})
		}
		return ids
	}
	ids := send(3 + 10) // the burst, then AbuseLimit drops
	got := r.answers(ids)
	for i, id := range ids {
		f := got[id]
		if i < 3 {
			if f["type"] != realtime.TypeAck {
				t.Fatalf("send %d of the burst: %v", i, f)
			}
			continue
		}
		// One token a second: the dropped sends are told to come back
		// a second apart.
		if f["type"] != realtime.TypeError || f["code"] != realtime.CodeRateLimited || f["retry_after"] != float64(i-2) {
			t.Fatalf("dropped send %d: %v, want rate_limited, retry_after %d", i-2, f, i-2)
		}
	}
	send(1)
	if code := c.closed(); code != realtime.CloseRateLimited {
		t.Fatalf("close code %d, want %d", code, realtime.CloseRateLimited)
	}
}
