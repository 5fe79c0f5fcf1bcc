package brokertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecpts/ecpts/realtime"
)

// NewBrokers returns n brokers, the nodes of one fresh backend. It fails
// the test when the backend is unreachable (never skips) and registers its
// own cleanup.
type NewBrokers func(t *testing.T, n int) []realtime.Broker

// wait bounds every expectation; events arrive well before.
const wait = 5 * time.Second

// Run runs the suite.
func Run(t *testing.T, newBrokers NewBrokers) {
	// cluster starts n nodes of a fresh backend, each with a recorder.
	cluster := func(t *testing.T, n int) ([]realtime.Broker, []*Recorder) {
		nodes := newBrokers(t, n)
		return nodes, startAll(t, nodes)
	}
	t.Run("PublishReachesSubscribedNodes", func(t *testing.T) {
		nodes, recs := cluster(t, 3)
		mustSubscribe(t, nodes[0], "chan:a")
		mustSubscribe(t, nodes[1], "chan:a")
		mustSubscribe(t, nodes[2], "chan:b")
		mustPublish(t, nodes[2], "chan:a", []byte("one"))
		recs[0].expect(t, "chan:a", "one")
		recs[1].expect(t, "chan:a", "one")
		// A marker on node 2's own key: once it is there, "one" would be too.
		mustPublish(t, nodes[0], "chan:b", []byte("marker"))
		recs[2].expect(t, "chan:b", "marker")
		recs[2].holds(t, "chan:a", 0, "node 2, a key it did not subscribe")
	})

	t.Run("SubscribeIsEffectiveOnReturn", func(t *testing.T) {
		// The hub's resume seam relies on it: once Subscribe returns, a
		// publication accepted by any node reaches this one.
		nodes, recs := cluster(t, 2)
		for i := range 20 {
			key := fmt.Sprintf("chan:k%d", i)
			mustSubscribe(t, nodes[0], key)
			mustPublish(t, nodes[1], key, []byte("x"))
			recs[0].expect(t, key, "x")
		}
	})

	t.Run("UnsubscribeStops", func(t *testing.T) {
		nodes, recs := cluster(t, 2)
		ctx := testContext(t)
		mustSubscribe(t, nodes[0], "chan:a")
		mustSubscribe(t, nodes[0], "chan:marker")
		mustPublish(t, nodes[1], "chan:a", []byte("before"))
		recs[0].expect(t, "chan:a", "before")
		if err := nodes[0].Unsubscribe(ctx, "chan:a"); err != nil {
			t.Fatalf("unsubscribe: %v", err)
		}
		// Unsubscribe takes effect once the backend has processed it. A
		// later subscription is confirmed after it (same connection, in
		// order), and "after" is published before the marker: if node 0
		// still received chan:a, "after" would arrive before "m".
		mustSubscribe(t, nodes[0], "chan:marker2")
		mustPublish(t, nodes[1], "chan:a", []byte("after"))
		mustPublish(t, nodes[1], "chan:marker2", []byte("m"))
		recs[0].expect(t, "chan:marker2", "m")
		recs[0].holds(t, "chan:a", 1, "only the one before unsubscribe")
	})

	t.Run("OrderFromOnePublisher", func(t *testing.T) {
		nodes, recs := cluster(t, 2)
		mustSubscribe(t, nodes[0], "chan:o")
		const n = 200
		for i := range n {
			mustPublish(t, nodes[1], "chan:o", fmt.Appendf(nil, "%03d", i))
		}
		inOrder(t, "publication", recs[0].waitCount(t, "chan:o", n))
	})

	t.Run("ConcurrentPublishers", func(t *testing.T) {
		nodes, recs := cluster(t, 2)
		mustSubscribe(t, nodes[0], "chan:c")
		const publishers, each = 8, 50
		var wg sync.WaitGroup
		for p := range publishers {
			wg.Go(func() {
				for i := range each {
					if err := nodes[p%2].Publish(testContext(t), "chan:c", fmt.Appendf(nil, "%d-%d", p, i)); err != nil {
						t.Errorf("publish: %v", err)
						return
					}
				}
			})
		}
		wg.Wait()
		got := recs[0].waitCount(t, "chan:c", publishers*each)
		seen := make(map[string]bool)
		for _, p := range got {
			if seen[string(p)] {
				t.Fatalf("publication %q delivered twice", p)
			}
			seen[string(p)] = true
		}
	})

	t.Run("PayloadIntact", func(t *testing.T) {
		nodes, recs := cluster(t, 2)
		mustSubscribe(t, nodes[0], "chan:p")
		payload := make([]byte, 64<<10)
		for i := range payload {
			payload[i] = byte(i * 7)
		}
		copy(payload, "M\x00\n\r\"{}")
		mustPublish(t, nodes[1], "chan:p", payload)
		got := recs[0].waitCount(t, "chan:p", 1)
		if !bytes.Equal(got[0], payload) {
			t.Fatalf("payload changed in transit (%d bytes, want %d)", len(got[0]), len(payload))
		}
	})

	t.Run("Presence", func(t *testing.T) {
		nodes := newBrokers(t, 2)
		startAll(t, nodes)
		ctx := testContext(t)
		online := func(users ...string) map[string]bool {
			t.Helper()
			got, err := nodes[1].Online(ctx, users)
			if err != nil {
				t.Fatalf("online: %v", err)
			}
			return got
		}
		if got := online("u1", "u2"); got["u1"] || got["u2"] || len(got) != 2 {
			t.Fatalf("before any join: %v", got)
		}
		first, err := nodes[0].Join(ctx, "u1")
		if err != nil || !first {
			t.Fatalf("join u1 on node 0: first=%v err=%v, want first", first, err)
		}
		first, err = nodes[1].Join(ctx, "u1")
		if err != nil || first {
			t.Fatalf("join u1 on node 1: first=%v err=%v, want not first", first, err)
		}
		if got := online("u1", "u2"); !got["u1"] || got["u2"] {
			t.Fatalf("after joins: %v", got)
		}
		if err := nodes[0].Heartbeat(ctx, []string{"u1"}); err != nil {
			t.Fatalf("heartbeat: %v", err)
		}
		if err := nodes[0].Heartbeat(ctx, nil); err != nil {
			t.Fatalf("empty heartbeat: %v", err)
		}
		last, err := nodes[0].Leave(ctx, "u1")
		if err != nil || last {
			t.Fatalf("leave u1 on node 0: last=%v err=%v, want not last", last, err)
		}
		if got := online("u1"); !got["u1"] {
			t.Fatalf("u1 still on node 1: %v", got)
		}
		last, err = nodes[1].Leave(ctx, "u1")
		if err != nil || !last {
			t.Fatalf("leave u1 on node 1: last=%v err=%v, want last", last, err)
		}
		if got := online("u1"); got["u1"] {
			t.Fatalf("u1 left everywhere: %v", got)
		}
		// A node leaving a user it never held does not hide the others.
		if _, err := nodes[0].Join(ctx, "u3"); err != nil {
			t.Fatal(err)
		}
		if last, err := nodes[1].Leave(ctx, "u3"); err != nil || last {
			t.Fatalf("stray leave: last=%v err=%v", last, err)
		}
		if got := online("u3"); !got["u3"] {
			t.Fatalf("u3: %v", got)
		}
	})

	t.Run("RunTwiceFails", func(t *testing.T) {
		nodes := newBrokers(t, 1)
		startAll(t, nodes)
		mustSubscribe(t, nodes[0], "chan:r") // returns once Run runs
		ctx, cancel := context.WithTimeout(testContext(t), wait)
		defer cancel()
		if err := nodes[0].Run(ctx, newRecorder()); err == nil {
			t.Fatal("second Run returned nil")
		}
	})

	t.Run("AnnounceReachesEveryNode", func(t *testing.T) {
		// Cache invalidations (Publisher.Announce) travel as control
		// events: every node's hub hands them to OnInvalidate, the
		// announcing node's included, with kind and payload intact.
		nodes := newBrokers(t, 3)
		recs := startHubs(t, nodes)
		payload := []byte("ids\x00\n\r\"{}\xff,C")
		mustAnnounce(t, nodes[1], "access", payload)
		for i, rec := range recs {
			rec.expect(t, "access", string(payload))
			rec.holds(t, "access", 1, fmt.Sprintf("node %d, the announcement", i))
		}
		mustAnnounce(t, nodes[0], "channel", nil)
		recs[2].WaitFor(t, "an empty payload", func() bool { return len(recs[2].all("channel")) == 1 })
		if got := recs[2].all("channel")[0]; len(got) != 0 {
			t.Fatalf("empty payload arrived as %q", got)
		}
	})

	t.Run("AnnouncementsInOrder", func(t *testing.T) {
		nodes := newBrokers(t, 2)
		recs := startHubs(t, nodes)
		const n = 50
		for i := range n {
			mustAnnounce(t, nodes[0], "channel", fmt.Appendf(nil, "%03d", i))
		}
		inOrder(t, "announcement", recs[1].waitCount(t, "channel", n))
	})

	t.Run("InvalidAnnouncementsDropped", func(t *testing.T) {
		nodes := newBrokers(t, 2)
		recs := startHubs(t, nodes)
		pub := realtime.NewPublisher(nodes[0])
		ctx := testContext(t)
		for _, kind := range []string{"", "Access", "a b", "1x", "access\n", strings.Repeat("a", 33)} {
			if err := pub.Announce(ctx, kind, []byte("x")); !errors.Is(err, realtime.ErrInvalidAnnouncement) {
				t.Errorf("kind %q: %v, want ErrInvalidAnnouncement", kind, err)
			}
		}
		if err := pub.Announce(ctx, "access", make([]byte, realtime.MaxInvalidationPayload+1)); !errors.Is(err, realtime.ErrInvalidAnnouncement) {
			t.Errorf("payload over the limit: %v", err)
		}
		// What another node (or another version) put on the control key
		// is checked again on receipt: an invalid kind, an oversized or
		// undecodable payload never reach OnInvalidate.
		big := base64.StdEncoding.EncodeToString(make([]byte, realtime.MaxInvalidationPayload+1))
		for _, raw := range []string{
			`{"op":"invalidate","kind":"BAD KIND","payload":"eA=="}`,
			`{"op":"invalidate","payload":"eA=="}`,
			`{"op":"invalidate","kind":"access","payload":"` + big + `"}`,
			`{"op":"invalidate","kind":"access","payload":"not base64!"}`,
		} {
			mustPublish(t, nodes[1], realtime.ControlKey, append([]byte{'C'}, raw...))
		}
		mustAnnounce(t, nodes[1], "marker", []byte("m"))
		for i, rec := range recs {
			rec.expect(t, "marker", "m")
			rec.mu.Lock()
			kinds := slices.Sorted(maps.Keys(rec.got))
			rec.mu.Unlock()
			if len(kinds) != 1 || len(rec.all("marker")) != 1 {
				t.Fatalf("node %d: invalid announcements reached OnInvalidate (kinds %q)", i, kinds)
			}
		}
	})

	t.Run("Ping", func(t *testing.T) {
		nodes := newBrokers(t, 1)
		if err := nodes[0].Ping(testContext(t)); err != nil {
			t.Fatalf("ping: %v", err)
		}
	})
}

func testContext(t *testing.T) context.Context { return t.Context() }

// Recorder is a BrokerHandler that keeps what it receives.
type Recorder struct {
	mu      sync.Mutex
	changed chan struct{}
	got     map[string][][]byte
	resumes int
}

func newRecorder() *Recorder {
	return &Recorder{changed: make(chan struct{}, 1), got: make(map[string][][]byte)}
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return newRecorder() }

// HandlePublication records payload.
func (r *Recorder) HandlePublication(key string, payload []byte) {
	r.mu.Lock()
	r.got[key] = append(r.got[key], payload)
	r.mu.Unlock()
	r.signal()
}

// HandleResume counts resumes.
func (r *Recorder) HandleResume() {
	r.mu.Lock()
	r.resumes++
	r.mu.Unlock()
	r.signal()
}

func (r *Recorder) signal() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *Recorder) all(key string) [][]byte { return r.Payloads(key) }

// Payloads returns what was received on key, in order.
func (r *Recorder) Payloads(key string) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got[key])
}

// Resumes returns how many times HandleResume ran.
func (r *Recorder) Resumes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.resumes
}

// WaitFor blocks until cond holds (checked on each event) or fails t.
func (r *Recorder) WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-r.changed:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// holds fails the test unless exactly want publications on key arrived
// (what says which).
func (r *Recorder) holds(t *testing.T, key string, want int, what string) {
	t.Helper()
	if got := r.all(key); len(got) != want {
		t.Fatalf("%s: got %d publications on %s, want %d", what, len(got), key, want)
	}
}

func (r *Recorder) waitCount(t *testing.T, key string, n int) [][]byte {
	t.Helper()
	r.WaitFor(t, fmt.Sprintf("%d publications on %s", n, key), func() bool { return len(r.all(key)) >= n })
	got := r.all(key)
	if len(got) != n {
		t.Fatalf("got %d publications on %s, want %d", len(got), key, n)
	}
	return got
}

func (r *Recorder) expect(t *testing.T, key, payload string) {
	t.Helper()
	r.WaitFor(t, fmt.Sprintf("%q on %s", payload, key), func() bool {
		for _, p := range r.all(key) {
			if string(p) == payload {
				return true
			}
		}
		return false
	})
}

// Start runs b with a new Recorder until the test ends, and checks that
// Run returns once its context is cancelled.
func Start(t *testing.T, b realtime.Broker) *Recorder {
	t.Helper()
	rec := newRecorder()
	runUntilCleanup(t, "broker", func(ctx context.Context) error { return b.Run(ctx, rec) })
	return rec
}

// runUntilCleanup runs run until the test ends: the cleanup cancels its
// context and checks that it returns, without error, in time (name says
// what ran). The channel receives what run returned.
func runUntilCleanup(t *testing.T, name string, run func(context.Context) error) <-chan error {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s Run: %v", name, err)
			}
		case <-time.After(wait):
			t.Errorf("%s Run did not return after cancel", name)
		}
	})
	return done
}

// inOrder checks that got holds "000", "001"… in that order.
func inOrder(t *testing.T, what string, got [][]byte) {
	t.Helper()
	for i, p := range got {
		if want := fmt.Sprintf("%03d", i); string(p) != want {
			t.Fatalf("%s %d is %q, want %q", what, i, p, want)
		}
	}
}

// RunHub runs h until the test ends and returns once it is ready; the
// test fails if it stops early or does not return after its cleanup
// cancels it.
func RunHub(t *testing.T, h *realtime.Hub) {
	t.Helper()
	done := runUntilCleanup(t, "hub", h.Run)
	select {
	case <-h.Ready():
	case err := <-done:
		t.Fatalf("hub stopped before it was ready: %v", err)
	case <-time.After(wait):
		t.Fatal("hub not ready")
	}
}

// startHubs runs a hub on each node until the test ends, recording what
// each hands to Options.OnInvalidate by kind.
func startHubs(t *testing.T, nodes []realtime.Broker) []*Recorder {
	t.Helper()
	recs := make([]*Recorder, len(nodes))
	for i, b := range nodes {
		rec := newRecorder()
		recs[i] = rec
		RunHub(t, realtime.New(b, nil, realtime.Options{OnInvalidate: func(kind string, payload []byte) { rec.HandlePublication(kind, payload) }}))
	}
	return recs
}

func mustAnnounce(t *testing.T, b realtime.Broker, kind string, payload []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(testContext(t), wait)
	defer cancel()
	if err := realtime.NewPublisher(b).Announce(ctx, kind, payload); err != nil {
		t.Fatalf("announce %s: %v", kind, err)
	}
}

func startAll(t *testing.T, nodes []realtime.Broker) []*Recorder {
	recs := make([]*Recorder, len(nodes))
	for i, n := range nodes {
		recs[i] = Start(t, n)
	}
	return recs
}

func mustSubscribe(t *testing.T, b realtime.Broker, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(testContext(t), wait)
	defer cancel()
	if err := b.Subscribe(ctx, key); err != nil {
		t.Fatalf("subscribe %s: %v", key, err)
	}
}

func mustPublish(t *testing.T, b realtime.Broker, key string, payload []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(testContext(t), wait)
	defer cancel()
	if err := b.Publish(ctx, key, payload); err != nil {
		t.Fatalf("publish %s: %v", key, err)
	}
}
