package realtime_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/realtime"
)

func newTestHub(t *testing.T, opt realtime.Options) (*realtime.Hub, *fakeApp) {
	t.Helper()
	b := realtime.NewMemoryBroker()
	app := newFakeApp(b)
	app.addChannel(chanA, alice, bob)
	app.addChannel(chanB, alice)
	return startHub(t, b, app, opt), app
}

func TestSubscribeReplaysBacklogThenLive(t *testing.T) {
	h, app := newTestHub(t, realtime.Options{})
	ctx := t.Context()
	for i := range 5 {
		if _, err := app.post(ctx, chanA, bob, fmt.Sprintf("m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	c := connect(t, h, alice, "s1")
	backlog, last := c.subscribe(chanA, 2)
	if !slices.Equal(backlog, []uint64{3, 4, 5}) || last != 5 {
		t.Fatalf("backlog %v last %d, want [3 4 5] and 5", backlog, last)
	}
	if _, err := app.post(ctx, chanA, bob, "live"); err != nil {
		t.Fatal(err)
	}
	f := c.skipTo(realtime.TypeMessage)
	if f["seq"].(float64) != 6 || f["channel"] != string(chanA) {
		t.Fatalf("live frame %v", f)
	}
	msg := f["message"].(map[string]any)
	if msg["body"] != "live" {
		t.Fatalf("message %v", msg)
	}
}

// TestPublishUpdate: a changed message reaches the channel's subscribers
// as a "message_updated" frame without a seq, built by the publisher.
func TestPublishUpdate(t *testing.T) {
	h, app := newTestHub(t, realtime.Options{})
	sub, other := connect(t, h, alice, "s1"), connect(t, h, alice, "s2")
	sub.subscribe(chanA, 0)
	other.subscribe(chanB, 0)
	if err := app.pub.PublishUpdate(t.Context(), chanA, fakeMessage{ID: "m1", Body: "modifié"}); err != nil {
		t.Fatal(err)
	}
	f := sub.skipTo(realtime.TypeUpdated)
	if _, ok := f["seq"]; ok || f["channel"] != string(chanA) || f["message"].(map[string]any)["body"] != "modifié" {
		t.Fatalf("message_updated frame %v", f)
	}
	other.roundTrip() // the pong comes next, not the update of chanA
}

func TestSendAcksAndFansOut(t *testing.T) {
	h, _ := newTestHub(t, realtime.Options{})
	a := connect(t, h, alice, "s1")
	b := connect(t, h, bob, "s2")
	a.subscribe(chanA, 0)
	b.subscribe(chanA, 0)
	id := uuid.NewString()
	send := map[string]any{"type": "send", "channel": chanA, "client_id": id, "body": "Bonjour"}
	a.send(send)
	ack := a.skipTo(realtime.TypeAck)
	if ack["client_id"] != id || ack["seq"].(float64) != 1 || ack["channel"] != string(chanA) || !model.ValidID(ack["id"].(string)) {
		t.Fatalf("ack %v", ack)
	}
	got := b.skipTo(realtime.TypeMessage)
	if got["message"].(map[string]any)["client_id"] != id {
		t.Fatalf("bob got %v", got)
	}
	// Same client_id again: same ack, no second message.
	a.send(send)
	again := a.skipTo(realtime.TypeAck)
	if again["id"] != ack["id"] || again["seq"] != ack["seq"] {
		t.Fatalf("repeat ack %v, first %v", again, ack)
	}
	a.send(map[string]any{"type": "ping"})
	a.skipTo(realtime.TypePong)
	if seqs := a.seqsOf(chanA); !slices.Equal(seqs, []uint64{1}) {
		t.Fatalf("alice saw seqs %v, want [1]", seqs)
	}
}

// TestResumeSeamDeterministic places publications on each side of the
// backlog query: some land in the store and in the live stream (the seam
// must drop the live copy), some only in the live stream, one is committed
// out of order (N+1 before N) and must not be dropped.
func TestResumeSeamDeterministic(t *testing.T) {
	h, app := newTestHub(t, realtime.Options{})
	ctx := t.Context()
	for range 3 {
		if _, err := app.post(ctx, chanA, bob, "old"); err != nil {
			t.Fatal(err)
		}
	}
	var late uint64
	app.beforeSnapshot = func(ch model.ChannelID) {
		// Registered already: these arrive live and are in the backlog.
		for range 2 {
			if _, err := app.post(ctx, ch, bob, "both"); err != nil {
				t.Error(err)
			}
		}
		late = app.allocate(ch)                                          // seq 6 allocated, committed after the snapshot
		if _, err := app.post(ctx, ch, bob, "before-late"); err != nil { // seq 7, in the backlog
			t.Error(err)
		}
	}
	app.afterSnapshot = func(ch model.ChannelID) {
		if _, err := app.store(ctx, ch, late, bob, "", "late"); err != nil { // live only, below 7
			t.Error(err)
		}
		for range 2 {
			if _, err := app.post(ctx, ch, bob, "live-only"); err != nil { // 8, 9
				t.Error(err)
			}
		}
	}
	c := connect(t, h, alice, "s1")
	backlog, last := c.subscribe(chanA, 1)
	if !slices.Equal(backlog, []uint64{2, 3, 4, 5, 7}) {
		t.Fatalf("backlog %v, want [2 3 4 5 7]", backlog)
	}
	if last != 7 {
		t.Fatalf("last_seq %d, want 7 (the channel's last seq when the backlog was read)", last)
	}
	c.until("all nine messages", func() bool { return len(c.seqsOf(chanA)) >= 8 })
	app.beforeSnapshot, app.afterSnapshot = nil, nil
	if _, err := app.post(ctx, chanA, bob, "after"); err != nil {
		t.Fatal(err)
	}
	c.until("seq 10", func() bool { return slices.Contains(c.seqsOf(chanA), 10) })
	got := c.seqsOf(chanA)
	if want := []uint64{2, 3, 4, 5, 7, 6, 8, 9, 10}; !slices.Equal(got, want) {
		t.Fatalf("seqs %v, want %v (each once, the late 6 kept)", got, want)
	}
}

// TestResumeSeamConcurrent subscribes many times while publishers run, and
// checks every subscriber saw each seq after its since exactly once.
func TestResumeSeamConcurrent(t *testing.T) {
	h, app := newTestHub(t, realtime.Options{QueueSize: 4096})
	ctx := t.Context()
	const publishers, each = 4, 150
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range publishers {
		wg.Go(func() {
			<-start
			for range each {
				if _, err := app.post(ctx, chanA, bob, "x"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	type sub struct {
		c     *client
		since uint64
	}
	var subs []sub
	close(start)
	for i := range 12 {
		c := connect(t, h, alice, fmt.Sprintf("s%d", i))
		app.mu.Lock()
		next := app.channels[chanA].nextSeq
		app.mu.Unlock()
		since := uint64(rand.IntN(int(next) + 1))
		c.send(map[string]any{"type": "subscribe", "channel": chanA, "since_seq": since})
		subs = append(subs, sub{c, since})
	}
	wg.Wait()
	total := uint64(publishers * each)
	for i, s := range subs {
		want := total - s.since
		s.c.until(fmt.Sprintf("subscriber %d to get %d messages", i, want), func() bool {
			return uint64(len(s.c.seqsOf(chanA))) >= want
		})
		got := s.c.seqsOf(chanA)
		seen := make(map[uint64]bool)
		for _, seq := range got {
			if seq <= s.since || seq > total || seen[seq] {
				t.Fatalf("subscriber %d (since %d): unexpected or duplicate seq %d in %v", i, s.since, seq, got)
			}
			seen[seq] = true
		}
		if uint64(len(seen)) != want {
			t.Fatalf("subscriber %d: %d distinct seqs, want %d", i, len(seen), want)
		}
	}
}

func TestErrorFrames(t *testing.T) {
	h, app := newTestHub(t, realtime.Options{})
	c := connect(t, h, carol, "s1") // carol is in no channel
	cases := []struct {
		name string
		raw  string
		code string
		ref  string
	}{
		{"malformed json", `{"type":`, realtime.CodeInvalidJSON, ""},
		{"unknown type", `{"type":"dance","channel":"` + string(chanA) + `"}`, realtime.CodeUnknownType, string(chanA)},
		{"bad channel", `{"type":"subscribe","channel":"nope"}`, realtime.CodeInvalidFrame, ""},
		{"wrong field type", `{"type":"subscribe","channel":"` + string(chanA) + `","since_seq":"3"}`, realtime.CodeInvalidFrame, string(chanA)},
		{"bad client id", `{"type":"send","channel":"` + string(chanA) + `","client_id":"x","body":"b"}`, realtime.CodeInvalidFrame, string(chanA)},
		{"not a member", `{"type":"subscribe","channel":"` + string(chanA) + `"}`, realtime.CodeNotFound, string(chanA)},
		{"send not a member", `{"type":"send","channel":"` + string(chanA) + `","client_id":"0f8fad5b-d9cb-469f-a165-70867728950e","body":"b"}`, realtime.CodeNotFound, "0f8fad5b-d9cb-469f-a165-70867728950e"},
		{"typing not a member", `{"type":"typing","channel":"` + string(chanA) + `"}`, realtime.CodeNotFound, string(chanA)},
	}
	for _, tc := range cases {
		c.sendRaw(tc.raw)
		f := c.expect(realtime.TypeError)
		if f["code"] != tc.code {
			t.Errorf("%s: code %v, want %s", tc.name, f["code"], tc.code)
		}
		ref, _ := f["ref"].(string)
		if ref != tc.ref {
			t.Errorf("%s: ref %q, want %q", tc.name, ref, tc.ref)
		}
		if msg, _ := f["message"].(string); msg == "" {
			t.Errorf("%s: no message", tc.name)
		}
	}

	// App errors map to their codes; unexpected ones say "internal" and
	// nothing more.
	app.addChannel(chanB, alice, carol)
	appCases := []struct {
		err  error
		code string
	}{
		{fmt.Errorf("core: send: %w", model.ErrForbidden), realtime.CodeForbidden},
		{model.Invalid("body", "body_too_long", "Le message est trop long."), "body_too_long"},
		{model.Coded(model.ErrConflict, "channel_archived", "Ce canal est archivé."), "channel_archived"},
		{errors.New("store: connection refused to 10.0.0.3"), realtime.CodeInternal},
	}
	for _, tc := range appCases {
		app.forceError("send", tc.err)
		c.send(map[string]any{"type": "send", "channel": chanB, "client_id": uuid.NewString(), "body": "b"})
		f := c.expect(realtime.TypeError)
		if f["code"] != tc.code {
			t.Errorf("%v: code %v, want %s", tc.err, f["code"], tc.code)
		}
		if strings.Contains(fmt.Sprint(f), "10.0.0.3") {
			t.Errorf("internal cause leaked: %v", f)
		}
	}
	app.forceError("send", nil)
	app.maxReplay = 2
	for range 5 {
		if _, err := app.post(t.Context(), chanB, alice, "x"); err != nil {
			t.Fatal(err)
		}
	}
	c.send(map[string]any{"type": "subscribe", "channel": chanB, "since_seq": 0})
	if f := c.expect(realtime.TypeError); f["code"] != realtime.CodeTooFarBehind {
		t.Fatalf("got %v, want too_far_behind", f)
	}
	// The failed subscription left nothing behind: a post is not delivered.
	if _, err := app.post(t.Context(), chanB, alice, "y"); err != nil {
		t.Fatal(err)
	}
	c.send(map[string]any{"type": "ping"})
	c.expect(realtime.TypePong)
	if h.Stats().Subscriptions != 0 {
		t.Fatalf("subscriptions left: %d", h.Stats().Subscriptions)
	}
}

func TestUnauthenticatedClosesConnection(t *testing.T) {
	h, app := newTestHub(t, realtime.Options{})
	c := connect(t, h, alice, "s1")
	app.forceError("read", fmt.Errorf("core: %w", model.ErrUnauthenticated))
	c.send(map[string]any{"type": "read", "channel": chanA, "seq": 3})
	if code := c.closed(); code != realtime.CloseUnauthenticated {
		t.Fatalf("close code %d, want %d", code, realtime.CloseUnauthenticated)
	}
}

func TestSlowConsumerIsClosedNotWaited(t *testing.T) {
	h, app := newTestHub(t, realtime.Options{QueueSize: 8, BatchBytes: 64, WriteWait: 100 * time.Millisecond})
	sock := newFakeSocket()
	sock.gate = make(chan struct{}) // never lets a write through
	slow := connectSocket(t, h, sock, alice, "slow")
	slow.send(map[string]any{"type": "subscribe", "channel": chanA})
	ctx := t.Context()
	deadline := time.Now().Add(waitFor)
	for h.Stats().SlowConsumers == 0 { // each post returns at once: the slow client is never waited for
		if _, err := app.post(ctx, chanA, bob, "x"); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("slow consumer never closed")
		}
	}
	// The writer is stuck in a write until its deadline, then closes.
	if code := slow.closed(); code != realtime.CloseSlowConsumer {
		t.Fatalf("close code %d, want %d", code, realtime.CloseSlowConsumer)
	}
	if got := h.Stats().SlowConsumers; got != 1 {
		t.Fatalf("slow consumers: %d", got)
	}
	// Its subscription is gone: later posts go nowhere, and do not block.
	if _, err := app.post(ctx, chanA, bob, "after"); err != nil {
		t.Fatal(err)
	}
	if n := h.Stats().Subscriptions; n != 0 {
		t.Fatalf("subscriptions left: %d", n)
	}
}

func TestSlowConsumerCloseCodeReachesClient(t *testing.T) {
	// A client slow but not dead: its writes complete late. The close
	// frame must carry 4008.
	h, app := newTestHub(t, realtime.Options{QueueSize: 4, BatchBytes: 32})
	sock := newFakeSocket()
	sock.gate = make(chan struct{})
	c := connectSocket(t, h, sock, alice, "s")
	c.send(map[string]any{"type": "subscribe", "channel": chanA})
	c.send(map[string]any{"type": "ping"})
	// Let exactly the subscribe's frames out, then stall.
	sock.gate <- struct{}{}
	ctx := t.Context()
	for range 50 {
		if _, err := app.post(ctx, chanA, bob, "x"); err != nil {
			t.Fatal(err)
		}
	}
	close(sock.gate) // the writer drains what it holds, then closes
	if code := c.closed(); code != realtime.CloseSlowConsumer {
		t.Fatalf("close code %d, want %d", code, realtime.CloseSlowConsumer)
	}
}

func TestBatchingJoinsQueuedFrames(t *testing.T) {
	h, app := newTestHub(t, realtime.Options{})
	sock := newFakeSocket()
	sock.gate = make(chan struct{})
	c := connectSocket(t, h, sock, alice, "s")
	c.send(map[string]any{"type": "subscribe", "channel": chanA})
	c.send(map[string]any{"type": "ping"})
	// The writer takes "subscribed" and waits at the gate; everything
	// published meanwhile queues up.
	c.until("the first write to start", func() bool { return sock.writing.Load() >= 1 })
	ctx := t.Context()
	for range 10 {
		if _, err := app.post(ctx, chanA, bob, "x"); err != nil {
			t.Fatal(err)
		}
	}
	close(sock.gate)
	c.until("10 messages", func() bool { return len(c.seqsOf(chanA)) == 10 })
	sock.mu.Lock()
	writes := len(sock.writes)
	sock.mu.Unlock()
	if writes > 3 {
		t.Fatalf("%d text frames for 12 frames: queued frames were not batched", writes)
	}
	if got := c.seqsOf(chanA); !slices.Equal(got, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) {
		t.Fatalf("seqs %v", got)
	}
}

func TestBatchRespectsByteBudget(t *testing.T) {
	const budget = 600
	h, app := newTestHub(t, realtime.Options{BatchBytes: budget})
	sock := newFakeSocket()
	sock.gate = make(chan struct{})
	c := connectSocket(t, h, sock, alice, "s")
	c.send(map[string]any{"type": "subscribe", "channel": chanA})
	c.until("the first write to start", func() bool { return sock.writing.Load() >= 1 })
	for range 20 {
		if _, err := app.post(t.Context(), chanA, bob, strings.Repeat("é", 50)); err != nil {
			t.Fatal(err)
		}
	}
	close(sock.gate)
	c.until("20 messages", func() bool { return len(c.seqsOf(chanA)) == 20 })
	sock.mu.Lock()
	defer sock.mu.Unlock()
	multi := 0
	for _, w := range sock.writes {
		if strings.Count(string(w), "\n") > 0 {
			multi++
			if len(w) > budget {
				t.Fatalf("batch of %d bytes over the %d budget", len(w), budget)
			}
		}
	}
	if multi == 0 {
		t.Fatal("no batch at all")
	}
}

func TestRateLimit(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h, _ := newTestHub(t, realtime.Options{Now: clock, RateLimit: 1, RateBurst: 3, AbuseLimit: 10, AbuseWindow: time.Minute})
	c := connect(t, h, alice, "s")
	for range 4 {
		c.send(map[string]any{"type": "ping"})
	}
	for range 3 {
		c.expect(realtime.TypePong)
	}
	if f := c.expect(realtime.TypeError); f["code"] != realtime.CodeRateLimited {
		t.Fatalf("got %v", f)
	}
	// Time passes: tokens come back, the connection was kept.
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	c.send(map[string]any{"type": "ping"})
	c.expect(realtime.TypePong)
	// Gross abuse closes.
	for range 20 {
		c.send(map[string]any{"type": "ping"})
	}
	if code := c.closed(); code != realtime.CloseRateLimited {
		t.Fatalf("close code %d, want %d", code, realtime.CloseRateLimited)
	}
	if h.Stats().RateLimited == 0 {
		t.Fatal("rate-limited frames not counted")
	}
}

func TestOversizedFrame(t *testing.T) {
	h, _ := newTestHub(t, realtime.Options{})
	c := connect(t, h, alice, "s")
	c.sendRaw(`{"type":"send","body":"` + strings.Repeat("x", realtime.MaxFrameSize) + `"}`)
	if f := c.expect(realtime.TypeError); f["code"] != realtime.CodePayloadTooLarge {
		t.Fatalf("got %v", f)
	}
	if code := c.closed(); code != realtime.CloseMessageTooBig {
		t.Fatalf("close code %d, want %d", code, realtime.CloseMessageTooBig)
	}
}

func TestBinaryFrameCloses(t *testing.T) {
	h, _ := newTestHub(t, realtime.Options{})
	c := connect(t, h, alice, "s")
	c.sock.in <- fakeInbound{mt: realtime.BinaryMessage, data: []byte{1, 2}}
	if code := c.closed(); code != realtime.CloseUnsupportedData {
		t.Fatalf("close code %d", code)
	}
}

func TestPingsAndPongDeadline(t *testing.T) {
	h, _ := newTestHub(t, realtime.Options{PongWait: 500 * time.Millisecond, PingPeriod: 50 * time.Millisecond})
	c := connect(t, h, alice, "s")
	pings := func() int { c.sock.mu.Lock(); defer c.sock.mu.Unlock(); return c.sock.pings }
	// Answering pings keeps the connection open past two pong waits.
	for pings() < 25 {
		n := pings()
		c.until("a ping", func() bool { return pings() > n })
		c.sock.in <- fakeInbound{pong: true}
	}
	if c.sock.isClosed() {
		t.Fatal("closed although pongs came back")
	}
	// Silence: the read deadline ends it.
	c.closed()
}

func TestTypingIsPublishedAndThrottled(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h, app := newTestHub(t, realtime.Options{Now: clock})
	a := connect(t, h, alice, "s1")
	b := connect(t, h, bob, "s2")
	a.subscribe(chanA, 0)
	b.subscribe(chanA, 0)
	for range 3 {
		a.send(map[string]any{"type": "typing", "channel": chanA})
	}
	a.send(map[string]any{"type": "ping"})
	a.skipTo(realtime.TypePong)
	// Another connection of hers does not multiply the notices: the
	// interval holds per user and channel.
	a2 := connect(t, h, alice, "s3")
	a2.send(map[string]any{"type": "typing", "channel": chanA})
	a2.send(map[string]any{"type": "ping"})
	a2.skipTo(realtime.TypePong)
	f := b.skipTo(realtime.TypeTyping)
	if f["user_id"] != string(alice) || f["channel"] != string(chanA) {
		t.Fatalf("typing frame %v", f)
	}
	if n := app.typings.Load(); n != 1 {
		t.Fatalf("%d typing notices went through within the interval, want 1", n)
	}
	mu.Lock()
	now = now.Add(3 * time.Second)
	mu.Unlock()
	a.send(map[string]any{"type": "typing", "channel": chanA})
	b.skipTo(realtime.TypeTyping)
}

func TestReadGoesToApp(t *testing.T) {
	h, app := newTestHub(t, realtime.Options{})
	c := connect(t, h, alice, "s")
	c.send(map[string]any{"type": "read", "channel": chanA, "seq": 42})
	c.send(map[string]any{"type": "ping"})
	c.expect(realtime.TypePong)
	app.mu.Lock()
	defer app.mu.Unlock()
	if !slices.Equal(app.reads, []uint64{42}) {
		t.Fatalf("reads %v", app.reads)
	}
}

func TestRevokeChannel(t *testing.T) {
	h, app := newTestHub(t, realtime.Options{})
	ctx := t.Context()
	a1 := connect(t, h, alice, "s1")
	a2 := connect(t, h, alice, "s2")
	b := connect(t, h, bob, "s3")
	a1.subscribe(chanA, 0)
	a2.subscribe(chanA, 0)
	a1.subscribe(chanB, 0)
	b.subscribe(chanA, 0)

	app.removeMember(chanA, alice)
	if err := h.RevokeChannel(ctx, alice, chanA, realtime.ReasonRemoved); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{a1, a2} {
		f := c.skipTo(realtime.TypeUnsubscribed)
		if f["channel"] != string(chanA) || f["reason"] != realtime.ReasonRemoved {
			t.Fatalf("unsubscribed frame %v", f)
		}
	}
	if _, err := app.post(ctx, chanA, bob, "secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := app.post(ctx, chanB, alice, "still here"); err != nil {
		t.Fatal(err)
	}
	b.until("bob gets the post", func() bool { return len(b.seqsOf(chanA)) == 1 })
	a1.until("alice gets chanB", func() bool { return len(a1.seqsOf(chanB)) == 1 })
	if n := len(a1.seqsOf(chanA)) + len(a2.seqsOf(chanA)); n != 0 {
		t.Fatalf("revoked connections got %d messages of chanA", n)
	}

	// Archiving revokes everyone.
	if err := h.RevokeChannel(ctx, "", chanA, realtime.ReasonArchived); err != nil {
		t.Fatal(err)
	}
	if f := b.skipTo(realtime.TypeUnsubscribed); f["reason"] != realtime.ReasonArchived {
		t.Fatalf("got %v", f)
	}
}

// TestRevokeChannelExcept: a channel made private ends the subscriptions
// of everyone but its members, whatever connection they are on.
func TestRevokeChannelExcept(t *testing.T) {
	h, app := newTestHub(t, realtime.Options{})
	ctx := t.Context()
	a := connect(t, h, alice, "s1")
	b1 := connect(t, h, bob, "s2")
	b2 := connect(t, h, bob, "s3")
	a.subscribe(chanA, 0)
	b1.subscribe(chanA, 0)
	b2.subscribe(chanA, 0)
	a.subscribe(chanB, 0)

	app.removeMember(chanA, bob)
	if err := h.RevokeChannelExcept(ctx, chanA, []model.UserID{alice, carol}, realtime.ReasonPrivate); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{b1, b2} {
		f := c.skipTo(realtime.TypeUnsubscribed)
		if f["channel"] != string(chanA) || f["reason"] != realtime.ReasonPrivate {
			t.Fatalf("unsubscribed frame %v", f)
		}
	}
	if _, err := app.post(ctx, chanA, alice, "members only"); err != nil {
		t.Fatal(err)
	}
	if _, err := app.post(ctx, chanB, alice, "elsewhere"); err != nil {
		t.Fatal(err)
	}
	a.until("alice keeps chanA and chanB", func() bool { return len(a.seqsOf(chanA)) == 1 && len(a.seqsOf(chanB)) == 1 })
	b1.roundTrip() // the connection itself stays
	if n := len(b1.seqsOf(chanA)) + len(b2.seqsOf(chanA)); n != 0 {
		t.Fatalf("bob got %d messages of chanA after it was made private", n)
	}
	for _, f := range a.frames() {
		if f["type"] == realtime.TypeUnsubscribed {
			t.Fatalf("a kept member was unsubscribed: %v", f)
		}
	}
}

func TestRevokeDuringReplaySendsNoBacklog(t *testing.T) {
	h, app := newTestHub(t, realtime.Options{})
	ctx := t.Context()
	for range 3 {
		if _, err := app.post(ctx, chanA, bob, "x"); err != nil {
			t.Fatal(err)
		}
	}
	app.afterSnapshot = func(ch model.ChannelID) {
		// Authorised a moment ago, revoked before the backlog goes out.
		if err := h.RevokeChannel(ctx, alice, ch, realtime.ReasonRemoved); err != nil {
			t.Error(err)
		}
	}
	c := connect(t, h, alice, "s")
	c.send(map[string]any{"type": "subscribe", "channel": chanA})
	c.expect(realtime.TypeUnsubscribed)
	c.send(map[string]any{"type": "ping"})
	c.expect(realtime.TypePong)
	if got := c.seqsOf(chanA); len(got) != 0 {
		t.Fatalf("backlog sent after revocation: %v", got)
	}
}

func TestCloseUserAndSession(t *testing.T) {
	h, _ := newTestHub(t, realtime.Options{})
	ctx := t.Context()
	a1 := connect(t, h, alice, "s1")
	a2 := connect(t, h, alice, "s2")
	b := connect(t, h, bob, "s3")
	for _, c := range []*client{a1, a2, b} {
		c.roundTrip()
	}
	if err := h.CloseSession(ctx, "s2"); err != nil {
		t.Fatal(err)
	}
	if code := a2.closed(); code != realtime.CloseUnauthenticated {
		t.Fatalf("close code %d", code)
	}
	a1.send(map[string]any{"type": "ping"})
	a1.expect(realtime.TypePong)
	if err := h.CloseUser(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if code := a1.closed(); code != realtime.CloseUnauthenticated {
		t.Fatalf("close code %d", code)
	}
	b.send(map[string]any{"type": "ping"})
	b.expect(realtime.TypePong)
}

// TestConnectionsPerUser: a user holds at most MaxConnsPerUser connections
// on a node; one more is closed at once (4029), others are not affected,
// and a closed connection frees its place.
func TestConnectionsPerUser(t *testing.T) {
	h, _ := newTestHub(t, realtime.Options{MaxConnsPerUser: 2})
	a1 := connect(t, h, alice, "s1")
	a2 := connect(t, h, alice, "s2")
	b := connect(t, h, bob, "s3")
	for _, c := range []*client{a1, a2, b} {
		c.roundTrip()
	}
	a3 := connect(t, h, alice, "s4")
	if code := a3.closed(); code != realtime.CloseRateLimited {
		t.Fatalf("third connection: close code %d, want %d", code, realtime.CloseRateLimited)
	}
	if got := h.Stats().RefusedConns; got != 1 {
		t.Fatalf("refused connections: %d", got)
	}
	b2 := connect(t, h, bob, "s5")
	b2.send(map[string]any{"type": "ping"})
	b2.expect(realtime.TypePong)
	a1.sock.Close()
	a1.closed()
	a4 := connect(t, h, alice, "s6")
	a4.send(map[string]any{"type": "ping"})
	a4.expect(realtime.TypePong)
}

// TestAccessChanged: every connection of the users named, and no other,
// is told to re-read its lists.
func TestAccessChanged(t *testing.T) {
	h, _ := newTestHub(t, realtime.Options{})
	a1 := connect(t, h, alice, "s1")
	a2 := connect(t, h, alice, "s2")
	b := connect(t, h, bob, "s3")
	for _, c := range []*client{a1, a2, b} { // registered once they answer
		c.roundTrip()
	}
	if err := h.Publisher().AccessChanged(t.Context(), []model.UserID{alice}); err != nil {
		t.Fatal(err)
	}
	a1.expect(realtime.TypeAccess)
	a2.expect(realtime.TypeAccess)
	b.send(map[string]any{"type": "ping"})
	if f := b.next(); f["type"] != realtime.TypePong {
		t.Fatalf("bob got %v", f)
	}
}

// TestPublishToUsers: a feed or library frame reaches every connection of
// the users named, and no other; a frame that is not JSON is refused.
func TestPublishToUsers(t *testing.T) {
	h, _ := newTestHub(t, realtime.Options{})
	a1 := connect(t, h, alice, "s1")
	a2 := connect(t, h, alice, "s2")
	b := connect(t, h, bob, "s3")
	for _, c := range []*client{a1, a2, b} {
		c.roundTrip()
	}
	f, err := realtime.PostFrame("cpts:aaaaaaaaaaaaaaaaaaaaaaaa", true, map[string]any{"id": "p1", "title": "Soirée"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Publisher().PublishToUsers(t.Context(), []model.UserID{alice}, f); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{a1, a2} {
		got := c.expect(realtime.TypePost)
		if got["feed"] != "cpts:aaaaaaaaaaaaaaaaaaaaaaaa" || got["created"] != true || got["post"].(map[string]any)["title"] != "Soirée" {
			t.Fatalf("post frame %v", got)
		}
	}
	c, err := realtime.RSVPCountsFrame("p1", map[string]int{"oui": 2, "non": 0, "peut_etre": 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Publisher().PublishToUsers(t.Context(), []model.UserID{alice}, c); err != nil {
		t.Fatal(err)
	}
	if got := a1.expect(realtime.TypeRSVPCounts); got["post_id"] != "p1" {
		t.Fatalf("rsvp_counts frame %v", got)
	}
	pf, err := realtime.ProtocolFrame("p2", "aaaaaaaaaaaaaaaaaaaaaaaa")
	if err != nil {
		t.Fatal(err)
	}
	mf, err := realtime.MaterialFrame("m3", "aaaaaaaaaaaaaaaaaaaaaaaa", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range [][]byte{pf, mf} {
		if err := h.Publisher().PublishToUsers(t.Context(), []model.UserID{alice}, f); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*client{a1, a2} {
		if got := c.skipTo(realtime.TypeProtocol); got["id"] != "p2" || got["cpts_id"] != "aaaaaaaaaaaaaaaaaaaaaaaa" || len(got) != 3 {
			t.Fatalf("protocol frame %v", got)
		}
		if got := c.expect(realtime.TypeMaterial); got["id"] != "m3" || got["cpts_id"] != "aaaaaaaaaaaaaaaaaaaaaaaa" || got["deleted"] != true {
			t.Fatalf("material frame %v", got)
		}
	}
	b.send(map[string]any{"type": "ping"})
	if f := b.next(); f["type"] != realtime.TypePong {
		t.Fatalf("bob got %v", f)
	}
	if err := h.Publisher().PublishToUsers(t.Context(), []model.UserID{alice}, []byte("not json")); err == nil {
		t.Fatal("a frame that is not JSON was published")
	}
}

func TestPresence(t *testing.T) {
	h, _ := newTestHub(t, realtime.Options{})
	ctx := t.Context()
	b := connect(t, h, bob, "s3")
	b.subscribe(chanA, 0)
	online, err := h.Online(ctx, []model.UserID{alice, bob})
	if err != nil || online[alice] || !online[bob] {
		t.Fatalf("online %v err %v", online, err)
	}
	a1 := connect(t, h, alice, "s1")
	a1.subscribe(chanA, 0)
	f := b.skipTo(realtime.TypePresence)
	if f["user_id"] != string(alice) || f["status"] != "online" || f["channel"] != string(chanA) {
		t.Fatalf("presence %v", f)
	}
	// Subscribing again on the same connection announces nothing new: a
	// subscribe/unsubscribe loop must not flood the channel.
	for range 3 {
		a1.send(map[string]any{"type": "unsubscribe", "channel": chanA})
		a1.subscribe(chanA, 0)
	}
	b.send(map[string]any{"type": "ping"})
	for f := b.next(); f["type"] != realtime.TypePong; f = b.next() {
		if f["type"] == realtime.TypePresence {
			t.Fatalf("presence repeated on resubscribe: %v", f)
		}
	}
	a2 := connect(t, h, alice, "s2")
	a2.subscribe(chanA, 0)
	// Closing one of two connections: still online.
	a2.sock.Close()
	a2.closed()
	if online, _ := h.Online(ctx, []model.UserID{alice}); !online[alice] {
		t.Fatal("alice offline with a connection left")
	}
	a1.sock.Close()
	a1.closed()
	f = b.skipTo(realtime.TypePresence)
	if f["user_id"] != string(alice) || f["status"] != "offline" {
		t.Fatalf("presence %v", f)
	}
	if online, _ := h.Online(ctx, []model.UserID{alice}); online[alice] {
		t.Fatal("alice still online")
	}
}

func TestUnsubscribeAndResubscribe(t *testing.T) {
	h, app := newTestHub(t, realtime.Options{})
	ctx := t.Context()
	c := connect(t, h, alice, "s")
	c.subscribe(chanA, 0)
	c.send(map[string]any{"type": "unsubscribe", "channel": chanA})
	c.send(map[string]any{"type": "ping"})
	c.expect(realtime.TypePong)
	if _, err := app.post(ctx, chanA, bob, "missed"); err != nil {
		t.Fatal(err)
	}
	c.send(map[string]any{"type": "ping"})
	c.expect(realtime.TypePong)
	if got := c.seqsOf(chanA); len(got) != 0 {
		t.Fatalf("got %v after unsubscribe", got)
	}
	backlog, _ := c.subscribe(chanA, 0)
	if !slices.Equal(backlog, []uint64{1}) {
		t.Fatalf("backlog %v", backlog)
	}
	// Subscribing again while subscribed replaces the subscription: one
	// copy of each later message.
	c.subscribe(chanA, 1)
	if _, err := app.post(ctx, chanA, bob, "once"); err != nil {
		t.Fatal(err)
	}
	c.until("seq 2", func() bool { return slices.Contains(c.seqsOf(chanA), 2) })
	c.send(map[string]any{"type": "ping"})
	c.skipTo(realtime.TypePong)
	if got := c.seqsOf(chanA); !slices.Equal(got, []uint64{1, 2}) {
		t.Fatalf("seqs %v", got)
	}
	if n := h.Stats().Subscriptions; n != 1 {
		t.Fatalf("subscriptions %d", n)
	}
}

func TestResumeRequest(t *testing.T) {
	h, _ := newTestHub(t, realtime.Options{})
	ctx := t.Context()
	a := connect(t, h, alice, "s1")
	b := connect(t, h, bob, "s2")
	a.subscribe(chanA, 0)
	a.subscribe(chanB, 0)
	b.subscribe(chanA, 0)
	if err := h.Publisher().RequestResume(ctx, chanB); err != nil {
		t.Fatal(err)
	}
	if f := a.skipTo(realtime.TypeResume); f["channel"] != string(chanB) {
		t.Fatalf("got %v", f)
	}
	if err := h.Publisher().RequestResume(ctx, ""); err != nil {
		t.Fatal(err)
	}
	b.skipTo(realtime.TypeResume)
	a.skipTo(realtime.TypeResume)
	for _, f := range b.frames() {
		if f["type"] == realtime.TypeResume && f["channel"] == string(chanB) {
			t.Fatal("bob asked to resume a channel he is not subscribed to")
		}
	}
}

func TestShutdownClosesConnections(t *testing.T) {
	b := realtime.NewMemoryBroker()
	app := newFakeApp(b)
	app.addChannel(chanA, alice)
	h := realtime.New(b, app, realtime.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	<-h.Ready()
	c := connect(t, h, alice, "s")
	c.subscribe(chanA, 0)
	cancel()
	if code := c.closed(); code != realtime.CloseGoingAway {
		t.Fatalf("close code %d", code)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitFor):
		t.Fatal("Run did not return")
	}
	if err := h.Run(context.Background()); err == nil {
		t.Fatal("a second Run returned nil")
	}
	// A stopped hub refuses new connections.
	late := connect(t, h, alice, "s2")
	if code := late.closed(); code != realtime.CloseTryAgainLater {
		t.Fatalf("close code %d", code)
	}
	if online, _ := h.Online(context.Background(), []model.UserID{alice}); online[alice] {
		t.Fatal("presence survived shutdown")
	}
}

func TestServeContextEndCloses(t *testing.T) {
	h, _ := newTestHub(t, realtime.Options{})
	sock := newFakeSocket()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Serve(ctx, sock, realtime.Session{UserID: alice, SessionID: "s"})
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("Serve did not return")
	}
	if !sock.isClosed() {
		t.Fatal("socket left open")
	}
}

func TestTooManySubscriptions(t *testing.T) {
	h, _ := newTestHub(t, realtime.Options{MaxSubscriptions: 1})
	c := connect(t, h, alice, "s")
	c.subscribe(chanA, 0)
	c.send(map[string]any{"type": "subscribe", "channel": chanB})
	if f := c.expect(realtime.TypeError); f["code"] != realtime.CodeTooManySubscriptions {
		t.Fatalf("got %v", f)
	}
	// Resubscribing the same channel is not a new subscription.
	c.subscribe(chanA, 0)
}

// TestBrokerKeysFollowSubscribers checks the node subscribes a key once
// and releases it with its last local subscriber.
func TestBrokerKeysFollowSubscribers(t *testing.T) {
	bus := realtime.NewMemoryBus()
	node := bus.Node()
	spy := &spyBroker{Broker: node, subs: make(map[string]int), changed: make(chan struct{}, 1)}
	app := newFakeApp(node)
	app.addChannel(chanA, alice, bob)
	h := startHub(t, spy, app, realtime.Options{})
	a := connect(t, h, alice, "s1")
	b := connect(t, h, bob, "s2")
	a.subscribe(chanA, 0)
	b.subscribe(chanA, 0)
	key := string(realtime.KeyOf(chanA))
	if n := spy.count(key); n != 1 {
		t.Fatalf("broker subscriptions of %s: %d, want 1", key, n)
	}
	a.send(map[string]any{"type": "unsubscribe", "channel": chanA})
	a.send(map[string]any{"type": "ping"})
	a.skipTo(realtime.TypePong)
	if n := spy.count(key); n != 1 {
		t.Fatalf("released while bob is subscribed: %d", n)
	}
	b.sock.Close()
	b.closed()
	deadline := time.After(waitFor)
	for spy.count(key) != 0 {
		select {
		case <-spy.changed:
		case <-deadline:
			t.Fatal("broker key never released")
		}
	}
}

type spyBroker struct {
	realtime.Broker
	mu      sync.Mutex
	subs    map[string]int
	changed chan struct{}
}

func (s *spyBroker) Subscribe(ctx context.Context, key string) error {
	s.mu.Lock()
	s.subs[key]++
	s.mu.Unlock()
	return s.Broker.Subscribe(ctx, key)
}

func (s *spyBroker) Unsubscribe(ctx context.Context, key string) error {
	s.mu.Lock()
	s.subs[key]--
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return s.Broker.Unsubscribe(ctx, key)
}

func (s *spyBroker) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subs[key]
}

func TestSubscribeAheadOfChannel(t *testing.T) {
	h, app := newTestHub(t, realtime.Options{})
	ctx := t.Context()
	if _, err := app.post(ctx, chanA, bob, "1"); err != nil {
		t.Fatal(err)
	}
	c := connect(t, h, alice, "s")
	// The client claims seq 50: the channel's history was reset under it.
	backlog, last := c.subscribe(chanA, 50)
	if len(backlog) != 0 || last != 1 {
		t.Fatalf("backlog %v last %d, want none and 1", backlog, last)
	}
	if _, err := app.post(ctx, chanA, bob, "2"); err != nil {
		t.Fatal(err)
	}
	c.until("seq 2", func() bool { return slices.Equal(c.seqsOf(chanA), []uint64{2}) })
}
