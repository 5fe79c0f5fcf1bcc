package realtime_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/realtime"
	"github.com/ecpts/ecpts/realtime/brokertest"
)

// waitFor bounds every expectation of these tests.
const waitFor = 5 * time.Second

var (
	errFakeClosed  = errors.New("fake socket: closed")
	errFakeTimeout = errors.New("fake socket: i/o timeout")
	errFakeLimit   = errors.New("fake socket: read limit exceeded")
)

// fakeSocket is an in-memory realtime.Socket. The test plays the client:
// it pushes frames in and reads what the hub wrote.
type fakeSocket struct {
	in     chan fakeInbound
	closed chan struct{}
	once   sync.Once

	mu            sync.Mutex
	readDeadline  time.Time
	writeDeadline time.Time
	readLimit     int64
	pong          func(string) error
	writes        [][]byte // text frames, copied
	pings         int
	closeCode     int
	changed       chan struct{}

	// gate, when set, makes each WriteMessage wait for a token: a client
	// that does not read.
	gate chan struct{}
	// writing counts WriteMessage calls in progress or done.
	writing atomic.Int64
}

type fakeInbound struct {
	mt   int
	data []byte
	pong bool
}

func newFakeSocket() *fakeSocket {
	return &fakeSocket{
		in:      make(chan fakeInbound, 1024),
		closed:  make(chan struct{}),
		changed: make(chan struct{}, 1),
	}
}

func (s *fakeSocket) signal() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *fakeSocket) ReadMessage() (int, []byte, error) {
	for {
		s.mu.Lock()
		dl := s.readDeadline
		s.mu.Unlock()
		var timeout <-chan time.Time
		if !dl.IsZero() {
			t := time.NewTimer(time.Until(dl))
			defer t.Stop()
			timeout = t.C
		}
		select {
		case m := <-s.in:
			if m.pong {
				s.mu.Lock()
				h := s.pong
				s.mu.Unlock()
				if h != nil {
					if err := h(""); err != nil {
						return 0, nil, err
					}
				}
				continue
			}
			s.mu.Lock()
			limit := s.readLimit
			s.mu.Unlock()
			if limit > 0 && int64(len(m.data)) > limit {
				return 0, nil, errFakeLimit
			}
			return m.mt, m.data, nil
		case <-s.closed:
			return 0, nil, errFakeClosed
		case <-timeout:
			return 0, nil, errFakeTimeout
		}
	}
}

func (s *fakeSocket) WriteMessage(mt int, data []byte) error {
	s.writing.Add(1)
	s.signal()
	if s.gate != nil {
		s.mu.Lock()
		dl := s.writeDeadline
		s.mu.Unlock()
		t := time.NewTimer(time.Until(dl))
		defer t.Stop()
		select {
		case <-s.gate:
		case <-s.closed:
			return errFakeClosed
		case <-t.C:
			return errFakeTimeout
		}
	}
	select {
	case <-s.closed:
		return errFakeClosed
	default:
	}
	if mt != realtime.TextMessage {
		return fmt.Errorf("fake socket: message type %d", mt)
	}
	s.mu.Lock()
	s.writes = append(s.writes, bytes.Clone(data))
	s.mu.Unlock()
	s.signal()
	return nil
}

func (s *fakeSocket) WriteControl(mt int, data []byte, deadline time.Time) error {
	select {
	case <-s.closed:
		return errFakeClosed
	default:
	}
	s.mu.Lock()
	switch mt {
	case realtime.PingMessage:
		s.pings++
	case realtime.CloseMessage:
		if len(data) >= 2 && s.closeCode == 0 {
			s.closeCode = int(binary.BigEndian.Uint16(data))
		}
	}
	s.mu.Unlock()
	s.signal()
	return nil
}

func (s *fakeSocket) SetReadLimit(n int64) {
	s.mu.Lock()
	s.readLimit = n
	s.mu.Unlock()
}

func (s *fakeSocket) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	s.readDeadline = t
	s.mu.Unlock()
	return nil
}

func (s *fakeSocket) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	s.writeDeadline = t
	s.mu.Unlock()
	return nil
}

func (s *fakeSocket) SetPongHandler(h func(string) error) {
	s.mu.Lock()
	s.pong = h
	s.mu.Unlock()
}

func (s *fakeSocket) Close() error {
	s.once.Do(func() { close(s.closed) })
	s.signal()
	return nil
}

func (s *fakeSocket) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// client drives one fake connection served by a hub.
type client struct {
	t      *testing.T
	sock   *fakeSocket
	done   chan struct{} // Serve returned
	cursor int           // frames already consumed
}

// connect serves a new fake socket for sess on h.
func connect(t *testing.T, h *realtime.Hub, user model.UserID, session string) *client {
	t.Helper()
	return connectSocket(t, h, newFakeSocket(), user, session)
}

func connectSocket(t *testing.T, h *realtime.Hub, sock *fakeSocket, user model.UserID, session string) *client {
	t.Helper()
	c := &client{t: t, sock: sock, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		h.Serve(context.Background(), sock, realtime.Session{UserID: user, SessionID: session})
	}()
	t.Cleanup(func() {
		_ = sock.Close()
		select {
		case <-c.done:
		case <-time.After(waitFor):
			t.Errorf("Serve did not return after the socket closed")
		}
	})
	return c
}

func (c *client) sendRaw(data string) {
	c.sock.in <- fakeInbound{mt: realtime.TextMessage, data: []byte(data)}
}

func (c *client) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sock.in <- fakeInbound{mt: realtime.TextMessage, data: b}
}

// frames returns every frame written so far, batches split.
func (c *client) frames() []map[string]any {
	c.t.Helper()
	c.sock.mu.Lock()
	writes := slices.Clone(c.sock.writes)
	c.sock.mu.Unlock()
	var out []map[string]any
	for _, w := range writes {
		for line := range bytes.SplitSeq(w, []byte{'\n'}) {
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				c.t.Fatalf("hub wrote a line that is not JSON (%d bytes): %v", len(line), err)
			}
			out = append(out, m)
		}
	}
	return out
}

// until waits for cond over the socket's state.
func (c *client) until(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.NewTimer(waitFor)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-c.sock.changed:
		case <-deadline.C:
			c.t.Fatalf("timed out waiting for %s; frames so far: %v", what, c.frames())
		}
	}
}

// next returns the next unread frame.
func (c *client) next() map[string]any {
	c.t.Helper()
	var f map[string]any
	c.until("a frame", func() bool {
		all := c.frames()
		if len(all) > c.cursor {
			f = all[c.cursor]
			return true
		}
		return false
	})
	c.cursor++
	return f
}

// expect returns the next frame, failing unless its type is typ.
func (c *client) expect(typ string) map[string]any {
	c.t.Helper()
	f := c.next()
	if f["type"] != typ {
		c.t.Fatalf("got frame %v, want type %q", f, typ)
	}
	return f
}

// skipTo consumes frames until one of type typ.
func (c *client) skipTo(typ string) map[string]any {
	c.t.Helper()
	for {
		f := c.next()
		if f["type"] == typ {
			return f
		}
	}
}

// roundTrip pings and waits for the pong: every frame sent before is
// handled (and the connection registered).
func (c *client) roundTrip() {
	c.t.Helper()
	c.send(map[string]any{"type": "ping"})
	c.expect(realtime.TypePong)
}

// closed waits for the connection to end and returns the close code sent.
func (c *client) closed() int {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(waitFor):
		c.t.Fatalf("connection still open; frames: %v", c.frames())
	}
	c.sock.mu.Lock()
	defer c.sock.mu.Unlock()
	return c.sock.closeCode
}

// subscribe subscribes and consumes the backlog up to "subscribed".
func (c *client) subscribe(ch model.ChannelID, since uint64) (backlog []uint64, lastSeq uint64) {
	c.t.Helper()
	c.send(map[string]any{"type": "subscribe", "channel": ch, "since_seq": since})
	for {
		f := c.next()
		switch f["type"] {
		case realtime.TypeMessage:
			backlog = append(backlog, uint64(f["seq"].(float64)))
		case realtime.TypeSubscribed:
			return backlog, uint64(f["last_seq"].(float64))
		case realtime.TypeError:
			c.t.Fatalf("subscribe %s: %v", ch, f)
		}
	}
}

// seqsOf returns the seqs of every message frame of channel ch received.
func (c *client) seqsOf(ch model.ChannelID) []uint64 {
	var out []uint64
	for _, f := range c.frames() {
		if f["type"] == realtime.TypeMessage && f["channel"] == string(ch) {
			out = append(out, uint64(f["seq"].(float64)))
		}
	}
	return out
}

// fakeApp is an App over in-memory channels. Send stores, then publishes
// through the broker, as core does.
type fakeApp struct {
	pub *realtime.Publisher

	mu       sync.Mutex
	channels map[model.ChannelID]*fakeChannel
	// maxReplay: Subscribe answers ErrTooFarBehind beyond it (0: no limit).
	maxReplay int
	// beforeSnapshot / afterSnapshot run inside Subscribe, around the
	// backlog query: the seam tests publish from them.
	beforeSnapshot func(ch model.ChannelID)
	afterSnapshot  func(ch model.ChannelID)
	// fail forces an error for an op ("subscribe", "send", "read", "typing").
	fail map[string]error
	// sendLimit, when set, is a per-user send limit like core's.
	sendLimit *fakeSendLimit
	typings   atomic.Int64
	reads     []uint64
	snapshot  atomic.Int64 // Subscribe calls that took a snapshot
}

type fakeChannel struct {
	members  map[model.UserID]bool
	stored   map[uint64]realtime.Frame
	nextSeq  uint64
	byClient map[string]realtime.Ack
}

type fakeMessage struct {
	ID       string       `json:"id"`
	UserID   model.UserID `json:"user_id"`
	ClientID string       `json:"client_id"`
	Body     string       `json:"body"`
}

func newFakeApp(b realtime.Broker) *fakeApp {
	return &fakeApp{pub: realtime.NewPublisher(b), channels: make(map[model.ChannelID]*fakeChannel), fail: make(map[string]error)}
}

func (a *fakeApp) addChannel(ch model.ChannelID, members ...model.UserID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fc := &fakeChannel{members: make(map[model.UserID]bool), stored: make(map[uint64]realtime.Frame), byClient: make(map[string]realtime.Ack)}
	for _, m := range members {
		fc.members[m] = true
	}
	a.channels[ch] = fc
}

func (a *fakeApp) removeMember(ch model.ChannelID, user model.UserID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.channels[ch].members, user)
}

func (a *fakeApp) forceError(op string, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.fail[op] = err
}

func (a *fakeApp) channel(ch model.ChannelID, user model.UserID) (*fakeChannel, error) {
	fc := a.channels[ch]
	if fc == nil || !fc.members[user] {
		return nil, fmt.Errorf("fake: channel %s: %w", ch, model.ErrNotFound)
	}
	return fc, nil
}

func (a *fakeApp) Subscribe(ctx context.Context, sess realtime.Session, ch model.ChannelID, since uint64) ([]realtime.Frame, uint64, error) {
	a.mu.Lock()
	before, after := a.beforeSnapshot, a.afterSnapshot
	err := a.fail["subscribe"]
	a.mu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	if before != nil {
		before(ch)
	}
	a.mu.Lock()
	fc, err := a.channel(ch, sess.UserID)
	if err != nil {
		a.mu.Unlock()
		return nil, 0, err
	}
	var backlog []realtime.Frame
	for seq := since + 1; seq <= fc.nextSeq; seq++ {
		if f, ok := fc.stored[seq]; ok {
			backlog = append(backlog, f)
		}
	}
	last := fc.nextSeq
	tooFar := a.maxReplay > 0 && last > since+uint64(a.maxReplay)
	a.mu.Unlock()
	a.snapshot.Add(1)
	if tooFar {
		return nil, 0, fmt.Errorf("fake: since %d: %w", since, realtime.ErrTooFarBehind)
	}
	if after != nil {
		after(ch)
	}
	return backlog, last, nil
}

// allocate reserves the next seq of ch without storing a message: with
// store, it lets a test commit seqs out of order.
func (a *fakeApp) allocate(ch model.ChannelID) uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	fc := a.channels[ch]
	fc.nextSeq++
	return fc.nextSeq
}

// store stores the message of seq and publishes it.
func (a *fakeApp) store(ctx context.Context, ch model.ChannelID, seq uint64, user model.UserID, clientID, body string) (realtime.Ack, error) {
	return a.storeVia(ctx, a.pub, ch, seq, user, clientID, body)
}

func (a *fakeApp) storeVia(ctx context.Context, pub *realtime.Publisher, ch model.ChannelID, seq uint64, user model.UserID, clientID, body string) (realtime.Ack, error) {
	id := model.NewID()
	f, err := realtime.MessageFrame(ch, seq, fakeMessage{ID: id, UserID: user, ClientID: clientID, Body: body})
	if err != nil {
		return realtime.Ack{}, err
	}
	ack := realtime.Ack{Seq: seq, ID: id}
	a.mu.Lock()
	fc := a.channels[ch]
	fc.stored[seq] = f
	if clientID != "" {
		fc.byClient[clientID] = ack
	}
	a.mu.Unlock()
	return ack, pub.PublishFrame(ctx, ch, f)
}

// post appends and publishes a message, as a send from user would.
func (a *fakeApp) post(ctx context.Context, ch model.ChannelID, user model.UserID, body string) (realtime.Ack, error) {
	return a.store(ctx, ch, a.allocate(ch), user, "", body)
}

func (a *fakeApp) Send(ctx context.Context, sess realtime.Session, in realtime.SendInput) (realtime.Ack, error) {
	return a.sendVia(ctx, a.pub, sess, in)
}

func (a *fakeApp) sendVia(ctx context.Context, pub *realtime.Publisher, sess realtime.Session, in realtime.SendInput) (realtime.Ack, error) {
	a.mu.Lock()
	if err := a.fail["send"]; err != nil {
		a.mu.Unlock()
		return realtime.Ack{}, err
	}
	fc, err := a.channel(in.Channel, sess.UserID)
	if err != nil {
		a.mu.Unlock()
		return realtime.Ack{}, err
	}
	if ack, ok := fc.byClient[in.ClientID]; ok {
		a.mu.Unlock()
		return ack, nil
	}
	if a.sendLimit != nil && !a.sendLimit.take(sess.UserID) {
		a.mu.Unlock()
		return realtime.Ack{}, a.sendLimit.refusal
	}
	fc.nextSeq++
	seq := fc.nextSeq
	a.mu.Unlock()
	return a.storeVia(ctx, pub, in.Channel, seq, sess.UserID, in.ClientID, in.Body)
}

// fakeSendLimit is core's per-user send limit in small: a token bucket
// per user on the test's clock. A refusal is core's error: rate_limited,
// Retry-After one second.
type fakeSendLimit struct {
	now         func() time.Time
	refusal     *model.CodedError
	rate, burst float64
	tokens      map[model.UserID]float64
	at          map[model.UserID]time.Time
}

var errFakeSendFlood = &model.CodedError{Kind: model.ErrTooMany, Code: "rate_limited", Message: "Vous envoyez trop de messages à la fois.", RetryAfter: time.Second}

// limitSends gives app a per-user send limit of rate and burst on now.
func (a *fakeApp) limitSends(now func() time.Time, rate, burst float64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sendLimit = &fakeSendLimit{now: now, refusal: errFakeSendFlood, rate: rate, burst: burst, tokens: make(map[model.UserID]float64), at: make(map[model.UserID]time.Time)}
}

// take is called with a.mu held.
func (l *fakeSendLimit) take(user model.UserID) bool {
	now := l.now()
	tokens, ok := l.tokens[user]
	if !ok {
		tokens = l.burst
	} else {
		tokens = min(l.burst, tokens+now.Sub(l.at[user]).Seconds()*l.rate)
	}
	l.at[user] = now
	if tokens < 1 {
		l.tokens[user] = tokens
		return false
	}
	l.tokens[user] = tokens - 1
	return true
}

// onNode is the same application data served by another node: its sends
// publish through that node's broker.
type onNode struct {
	*fakeApp
	pub *realtime.Publisher
}

func (n onNode) Send(ctx context.Context, sess realtime.Session, in realtime.SendInput) (realtime.Ack, error) {
	return n.sendVia(ctx, n.pub, sess, in)
}

func (a *fakeApp) Read(ctx context.Context, sess realtime.Session, ch model.ChannelID, seq uint64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.fail["read"]; err != nil {
		return err
	}
	if _, err := a.channel(ch, sess.UserID); err != nil {
		return err
	}
	a.reads = append(a.reads, seq)
	return nil
}

func (a *fakeApp) Typing(ctx context.Context, sess realtime.Session, ch model.ChannelID) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.fail["typing"]; err != nil {
		return err
	}
	if _, err := a.channel(ch, sess.UserID); err != nil {
		return err
	}
	a.typings.Add(1)
	return nil
}

// startHub runs a hub on broker b until the test ends.
func startHub(t *testing.T, b realtime.Broker, app realtime.App, opt realtime.Options) *realtime.Hub {
	t.Helper()
	h := realtime.New(b, app, opt)
	brokertest.RunHub(t, h)
	return h
}

// IDs used across tests (24 hex characters, like model.NewID).
const (
	chanA model.ChannelID = "aaaaaaaaaaaaaaaaaaaaaaaa"
	chanB model.ChannelID = "bbbbbbbbbbbbbbbbbbbbbbbb"
	alice model.UserID    = "a11ce0000000000000000000"
	bob   model.UserID    = "b0b0000000000000000000bb"
	carol model.UserID    = "ca401000000000000000000c"
)
