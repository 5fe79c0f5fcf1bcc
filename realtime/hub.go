package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/tick"
)

// numShards: enough that fan-out to one busy channel and subscribes to
// others rarely meet on a lock, few enough to stay cheap to scan.
const numShards = 64

// Options tune a Hub. Zero fields take the defaults of DefaultOptions.
type Options struct {
	Logger *slog.Logger
	// Now is the clock of rate limits, typing throttles and the replay
	// window (socket deadlines are wall-clock and use time.Now).
	Now func() time.Time

	// QueueSize bounds a connection's send queue (items: frames or batches).
	// A full queue closes the connection with CloseSlowConsumer.
	QueueSize int
	// BatchBytes is the budget of one outgoing text frame when several
	// frames are queued (they are joined by newlines).
	BatchBytes int
	// MaxPending bounds the live frames buffered for one subscription while
	// its backlog is fetched; beyond it the connection is too slow.
	MaxPending int
	// PongWait is how long a connection may stay silent (no pong, no
	// frame).
	PongWait time.Duration
	// PingPeriod: how often the server pings (default 9/10 of PongWait).
	PingPeriod time.Duration
	// WriteWait bounds every write.
	WriteWait time.Duration
	// AppTimeout bounds every App call.
	AppTimeout time.Duration
	// RateLimit (frames/s) and RateBurst shape the inbound token bucket;
	// a frame over it is dropped with a rate_limited error frame.
	RateLimit float64
	RateBurst int
	// AbuseLimit dropped frames within AbuseWindow close the connection
	// with CloseRateLimited.
	AbuseLimit  int
	AbuseWindow time.Duration
	// MaxSubscriptions per connection.
	MaxSubscriptions int
	// MaxConnsPerUser: connections one user may hold on this node (tabs,
	// devices); one more is closed at once with CloseRateLimited
	// ("too_many_connections"), so that a single account cannot exhaust
	// the node's sockets and memory.
	MaxConnsPerUser int
	// ReplayDedupWindow: how long a subscription remembers the seqs of its
	// backlog to drop their live copies.
	ReplayDedupWindow time.Duration
	// TypingInterval: at most one typing notice per user and channel on a node
	// per interval; extra ones are dropped silently.
	TypingInterval time.Duration
	// PresenceHeartbeat: how often the node refreshes its users' presence
	// (the Redis broker forgets them after three missed beats).
	PresenceHeartbeat time.Duration
	// MaxConcurrentSubscribes bounds the subscribes handled at once on this
	// node (each asks App for the backlog, a database round trip); the
	// others wait their turn. Default: 4 × GOMAXPROCS.
	MaxConcurrentSubscribes int
	// OnInvalidate receives every invalidation announced on any node, this
	// one included (Publisher.Announce), with a valid kind and a payload
	// the application must still validate. It is called from the broker's
	// delivery (in order, one at a time on Redis; in the publisher's
	// goroutine on a memory broker): it must be quick, idempotent and not
	// take a lock an announcer may hold. Nil: announcements are ignored.
	OnInvalidate func(kind string, payload []byte)
}

// DefaultOptions are the production values.
var DefaultOptions = Options{
	QueueSize:         256,
	BatchBytes:        64 << 10,
	MaxPending:        1024,
	PongWait:          60 * time.Second,
	PingPeriod:        54 * time.Second,
	WriteWait:         10 * time.Second,
	AppTimeout:        10 * time.Second,
	RateLimit:         20,
	RateBurst:         40,
	AbuseLimit:        200,
	AbuseWindow:       10 * time.Second,
	MaxSubscriptions:  1000,
	MaxConnsPerUser:   50,
	ReplayDedupWindow: 2 * time.Minute,
	TypingInterval:    2 * time.Second,
	PresenceHeartbeat: 20 * time.Second,
}

func (o Options) withDefaults() Options {
	d := DefaultOptions
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	setInt := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setDur := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	setInt(&o.QueueSize, d.QueueSize)
	setInt(&o.BatchBytes, d.BatchBytes)
	setInt(&o.MaxPending, d.MaxPending)
	setDur(&o.PongWait, d.PongWait)
	if o.PingPeriod <= 0 || o.PingPeriod >= o.PongWait {
		o.PingPeriod = o.PongWait * 9 / 10
	}
	setDur(&o.WriteWait, d.WriteWait)
	setDur(&o.AppTimeout, d.AppTimeout)
	if o.RateLimit <= 0 {
		o.RateLimit = d.RateLimit
	}
	setInt(&o.RateBurst, d.RateBurst)
	setInt(&o.AbuseLimit, d.AbuseLimit)
	setDur(&o.AbuseWindow, d.AbuseWindow)
	setInt(&o.MaxSubscriptions, d.MaxSubscriptions)
	setInt(&o.MaxConnsPerUser, d.MaxConnsPerUser)
	setDur(&o.ReplayDedupWindow, d.ReplayDedupWindow)
	setDur(&o.TypingInterval, d.TypingInterval)
	setDur(&o.PresenceHeartbeat, d.PresenceHeartbeat)
	setInt(&o.MaxConcurrentSubscribes, 4*runtime.GOMAXPROCS(0))
	return o
}

// Hub holds this node's connections and their subscriptions, and fans the
// broker's publications out to them. Create it with New, run it with Run,
// hand it sockets with Serve.
type Hub struct {
	broker Broker
	app    App
	pub    *Publisher
	opt    Options
	log    *slog.Logger
	seed   maphash.Seed

	shards        [numShards]shard
	presenceLocks [numShards]sync.Mutex
	index         connIndex
	typing        typingThrottle

	// life is cancelled when the hub stops: every connection closes.
	life     context.Context
	stopLife context.CancelFunc

	mu      sync.Mutex
	state   int
	serving sync.WaitGroup
	ready   chan struct{}

	dirtyMu  sync.Mutex
	dirty    map[ChannelKey]struct{}
	dirtySig chan struct{}

	// subscribeSlots holds a token per subscribe being handled.
	subscribeSlots chan struct{}

	stats hubStats
}

const (
	stateIdle = iota
	stateStarting
	stateRunning
	stateStopped
)

type shard struct {
	mu   sync.RWMutex
	subs map[ChannelKey]map[*Conn]*subscription

	// subMu serialises broker (un)subscriptions of this shard's keys;
	// brokerKeys is what the broker is subscribed to. Never held by
	// fan-out, so a slow broker round trip delays only other subscribes.
	subMu      sync.Mutex
	brokerKeys map[ChannelKey]bool
}

// New returns a hub that is not running yet.
func New(broker Broker, app App, opt Options) *Hub {
	h := &Hub{
		broker:   broker,
		app:      app,
		pub:      NewPublisher(broker),
		opt:      opt.withDefaults(),
		seed:     maphash.MakeSeed(),
		ready:    make(chan struct{}),
		dirty:    make(map[ChannelKey]struct{}),
		dirtySig: make(chan struct{}, 1),
	}
	h.log = h.opt.Logger
	h.subscribeSlots = make(chan struct{}, h.opt.MaxConcurrentSubscribes)
	h.life, h.stopLife = context.WithCancel(context.Background())
	for i := range h.shards {
		h.shards[i].subs = make(map[ChannelKey]map[*Conn]*subscription)
		h.shards[i].brokerKeys = make(map[ChannelKey]bool)
	}
	h.index.byUser = make(map[model.UserID]map[*Conn]struct{})
	h.index.bySession = make(map[string]map[*Conn]struct{})
	return h
}

// Publisher returns the hub's publisher (the same broker seam core uses).
func (h *Hub) Publisher() *Publisher { return h.pub }

// Ready is closed once Run has subscribed the control key and Serve
// accepts connections.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

var errHubRan = errors.New("realtime: hub: Run called twice")

// Run runs the broker, subscribes the control key (retrying while the
// broker is unreachable), then serves until ctx ends. On the way out it
// closes every connection with CloseGoingAway and waits for every Serve to
// return. It returns nil when ctx ends, or the broker's error.
func (h *Hub) Run(ctx context.Context) error {
	h.mu.Lock()
	if h.state != stateIdle {
		h.mu.Unlock()
		return errHubRan
	}
	h.state = stateStarting
	h.mu.Unlock()

	brokerCtx, stopBroker := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBroker()
	brokerDone := make(chan error, 1)
	go func() { brokerDone <- h.broker.Run(brokerCtx, hubHandler{h}) }()

	var workers sync.WaitGroup
	err := h.subscribeControl(ctx, brokerDone)
	if err == nil && ctx.Err() == nil {
		h.mu.Lock()
		h.state = stateRunning
		h.mu.Unlock()
		close(h.ready)
		workers.Go(func() { h.reconcileLoop(brokerCtx) })
		workers.Go(func() { h.heartbeatLoop(brokerCtx) })
		select {
		case <-ctx.Done():
		case err = <-brokerDone:
			if err == nil {
				err = errors.New("broker stopped")
			}
			brokerDone <- err // for the wait below
		}
	}

	h.mu.Lock()
	h.state = stateStopped
	h.mu.Unlock()
	h.stopLife()
	for _, c := range h.index.all() { // see Hub.open for those registering now
		c.close(CloseGoingAway, "going_away", false)
	}
	h.serving.Wait() // connections leave presence through the broker: it still runs
	stopBroker()
	workers.Wait()
	if berr := <-brokerDone; err == nil && berr != nil && !errors.Is(berr, context.Canceled) {
		err = berr
	}
	if err != nil {
		return fmt.Errorf("realtime: hub: %w", err)
	}
	return nil
}

func (h *Hub) subscribeControl(ctx context.Context, brokerDone chan error) error {
	backoff := 100 * time.Millisecond
	for {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := h.broker.Subscribe(sctx, ControlKey)
		cancel()
		if err == nil || ctx.Err() != nil {
			return nil
		}
		h.log.Warn("realtime: control subscription failed, retrying", "err", err, "retry_in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case err := <-brokerDone:
			t.Stop()
			brokerDone <- err
			if err == nil {
				err = errors.New("broker stopped")
			}
			return err
		case <-t.C:
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// Serve runs one connection: it reads in the calling goroutine (the
// websocket handler's), and returns when the connection has ended and its
// subscriptions and presence are cleaned up. ctx ending closes the
// connection with CloseGoingAway. sess comes from the authenticated
// upgrade request.
func (h *Hub) Serve(ctx context.Context, sock Socket, sess Session) {
	c := h.open(ctx, sock, sess)
	if c == nil {
		return
	}
	defer h.end(ctx, c)
	c.readLoop() // an idle connection waits here: see readLoop
}

// open registers a connection, or refuses it (nil) when the hub is not
// running.
func (h *Hub) open(ctx context.Context, sock Socket, sess Session) *Conn {
	h.mu.Lock()
	if h.state != stateRunning {
		h.mu.Unlock()
		_ = sock.WriteControl(CloseMessage, closePayload(CloseTryAgainLater, "not_ready"), time.Now().Add(time.Second))
		_ = sock.Close()
		return nil
	}
	// Checked before registering: connections opened together may pass
	// the limit by as many, which bounds nothing less.
	if h.index.count(sess.UserID) >= h.opt.MaxConnsPerUser {
		h.mu.Unlock()
		h.stats.refused.Add(1)
		_ = sock.WriteControl(CloseMessage, closePayload(CloseRateLimited, "too_many_connections"), time.Now().Add(time.Second))
		_ = sock.Close()
		return nil
	}
	h.serving.Add(1)
	h.mu.Unlock()

	c := newConn(h, sock, sess)
	// Armed only once assigned: sendPing reads c.ping.
	c.ping = time.AfterFunc(math.MaxInt64, c.sendPing)
	c.ping.Reset(h.opt.PingPeriod)
	c.stopOnCtx = context.AfterFunc(ctx, func() { c.close(CloseGoingAway, "going_away", false) })

	h.register(c)
	h.stats.connections.Add(1)
	// Run closes every registered connection once the hub's life ends;
	// one registered after that sees it here.
	if h.life.Err() != nil {
		c.close(CloseGoingAway, "going_away", false)
	}

	sock.SetReadLimit(2 * MaxFrameSize) // see Conn.onFrame: 64 KiB–128 KiB gets an error frame first
	// Socket deadlines are wall-clock: they use time.Now, not opt.Now.
	sock.SetPongHandler(func(string) error {
		return sock.SetReadDeadline(time.Now().Add(h.opt.PongWait))
	})
	return c
}

// end cleans up after c's reader has returned.
func (h *Hub) end(ctx context.Context, c *Conn) {
	defer h.serving.Done()
	c.stopOnCtx()
	c.close(CloseNormal, "", false)
	<-c.done
	h.unregister(ctx, c)
	h.stats.connections.Add(-1)
}

// limitSubscribe runs fn, the handling of c's subscribe, once one of the
// MaxConcurrentSubscribes slots is free. A subscribe storm (every tab of a
// restarted node at once) thus queues here instead of exhausting the
// database pool and timing out. Only c waits: its next frames are read
// once its subscribe is handled, in order; other connections go on.
func (h *Hub) limitSubscribe(c *Conn, fn func()) {
	select {
	case h.subscribeSlots <- struct{}{}:
	default:
		h.stats.subscribesQueued.Add(1)
		select {
		case h.subscribeSlots <- struct{}{}:
			h.stats.subscribesQueued.Add(-1)
		case <-c.ctx.Done():
			h.stats.subscribesQueued.Add(-1)
			return
		}
	}
	defer func() { <-h.subscribeSlots }()
	fn()
}

// RevokeChannel removes user's subscriptions to channel on every node (all
// users when user is empty), with reason ReasonRemoved, ReasonArchived,
// ReasonReadOnly or ReasonPrivate.
func (h *Hub) RevokeChannel(ctx context.Context, user model.UserID, channel model.ChannelID, reason string) error {
	return h.pub.RevokeChannel(ctx, user, channel, reason)
}

// RevokeChannelExcept removes every subscription to channel on every node
// but those of the users in keep, with reason ReasonPrivate (a channel made
// private keeps its members).
func (h *Hub) RevokeChannelExcept(ctx context.Context, channel model.ChannelID, keep []model.UserID, reason string) error {
	return h.pub.RevokeChannelExcept(ctx, channel, keep, reason)
}

// CloseUser closes every connection of user on every node.
func (h *Hub) CloseUser(ctx context.Context, user model.UserID) error {
	return h.pub.CloseUser(ctx, user)
}

// CloseSession closes every connection of one login session on every node.
func (h *Hub) CloseSession(ctx context.Context, sessionID string) error {
	return h.pub.CloseSession(ctx, sessionID)
}

// Online reports which of users have a connection on some node.
func (h *Hub) Online(ctx context.Context, users []model.UserID) (map[model.UserID]bool, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = string(u)
	}
	got, err := h.broker.Online(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("realtime: presence of %d users: %w", len(users), err)
	}
	out := make(map[model.UserID]bool, len(users))
	for _, u := range users {
		out[u] = got[string(u)]
	}
	return out, nil
}

func (h *Hub) shardIndex(s string) int {
	return int(maphash.String(h.seed, s) % numShards)
}

func (h *Hub) shardOf(key ChannelKey) *shard { return &h.shards[h.shardIndex(string(key))] }

func (h *Hub) presenceLock(user model.UserID) *sync.Mutex {
	return &h.presenceLocks[h.shardIndex(string(user))]
}

// fanOut never blocks: a full queue means the client is too slow, and its
// reconnect-and-resume costs everyone less than waiting for it. f.Data is
// queued as is on every subscriber: encoded once. Connections of except
// (when set) are skipped: nobody needs their own typing or presence.
func (h *Hub) fanOut(key ChannelKey, f Frame, except model.UserID) {
	var slow []*Conn
	s := h.shardOf(key)
	s.mu.RLock()
	subs := s.subs[key]
	for c, sub := range subs {
		if except != "" && c.sess.UserID == except {
			continue
		}
		if !sub.deliver(f) {
			slow = append(slow, c)
		}
	}
	n := len(subs)
	s.mu.RUnlock()
	h.stats.deliveries.Add(uint64(n - len(slow)))
	for _, c := range slow { // close cancels a context: no lock of ours needed
		c.close(CloseSlowConsumer, "slow_consumer", false)
	}
}

// attach registers sub in its shard and makes sure the broker delivers its
// key to this node. Once it returns nil, every later publication reaches
// sub (buffered while it replays).
func (h *Hub) attach(ctx context.Context, c *Conn, sub *subscription) error {
	s := h.shardOf(sub.key)
	s.subMu.Lock()
	defer s.subMu.Unlock()
	s.mu.Lock()
	m := s.subs[sub.key]
	if m == nil {
		m = make(map[*Conn]*subscription)
		s.subs[sub.key] = m
	}
	if _, ok := m[c]; !ok {
		h.stats.subscriptions.Add(1)
	}
	m[c] = sub
	s.mu.Unlock()
	if s.brokerKeys[sub.key] {
		return nil
	}
	if err := h.broker.Subscribe(ctx, string(sub.key)); err != nil {
		return fmt.Errorf("realtime: broker subscribe %s: %w", sub.key, err)
	}
	s.brokerKeys[sub.key] = true
	return nil
}

// detach removes sub from the connection and the shard (if it is still
// the registered one). The broker key is released later by reconcileLoop,
// off the caller's path.
func (h *Hub) detach(c *Conn, sub *subscription) {
	c.mu.Lock()
	if c.subs[sub.key] == sub {
		delete(c.subs, sub.key)
	}
	c.mu.Unlock()
	s := h.shardOf(sub.key)
	s.mu.Lock()
	m := s.subs[sub.key]
	if m[c] == sub {
		delete(m, c)
		h.stats.subscriptions.Add(-1)
	}
	empty := len(m) == 0
	if empty {
		delete(s.subs, sub.key)
	}
	s.mu.Unlock()
	if empty {
		h.markDirty(sub.key)
	}
}

func (h *Hub) markDirty(key ChannelKey) {
	h.dirtyMu.Lock()
	h.dirty[key] = struct{}{}
	h.dirtyMu.Unlock()
	select {
	case h.dirtySig <- struct{}{}:
	default:
	}
}

// reconcileLoop unsubscribes the broker from keys that lost their last
// local subscriber. It re-checks under the shard's subMu, so a subscribe
// that raced in keeps its key.
func (h *Hub) reconcileLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.dirtySig:
		}
		h.dirtyMu.Lock()
		keys := h.dirty
		h.dirty = make(map[ChannelKey]struct{})
		h.dirtyMu.Unlock()
		for key := range keys {
			h.reconcile(ctx, key)
		}
	}
}

func (h *Hub) reconcile(ctx context.Context, key ChannelKey) {
	s := h.shardOf(key)
	s.subMu.Lock()
	defer s.subMu.Unlock()
	s.mu.RLock()
	empty := len(s.subs[key]) == 0
	s.mu.RUnlock()
	if !empty || !s.brokerKeys[key] {
		return
	}
	delete(s.brokerKeys, key)
	uctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := h.broker.Unsubscribe(uctx, string(key)); err != nil {
		// The broker forgets the key anyway (Redis resubscribes only
		// what it was last told); the worst case is unused traffic.
		h.log.Warn("realtime: broker unsubscribe failed", "key", string(key), "err", err)
	}
}

func (h *Hub) heartbeatLoop(ctx context.Context) {
	tick.Every(ctx, h.opt.PresenceHeartbeat, func() {
		users := h.index.users()
		if len(users) == 0 {
			return
		}
		hctx, cancel := context.WithTimeout(ctx, h.opt.PresenceHeartbeat)
		if err := h.broker.Heartbeat(hctx, users); err != nil {
			h.log.Warn("realtime: presence heartbeat failed", "users", len(users), "err", err)
		}
		cancel()
	})
}

// register indexes c and records its user's presence on this node.
func (h *Hub) register(c *Conn) {
	pl := h.presenceLock(c.sess.UserID)
	pl.Lock()
	defer pl.Unlock()
	if !h.index.add(c) {
		return
	}
	ctx, cancel := context.WithTimeout(h.life, 5*time.Second)
	defer cancel()
	if _, err := h.broker.Join(ctx, string(c.sess.UserID)); err != nil {
		// The next heartbeat records the user.
		h.log.Warn("realtime: presence join failed", "user_id", c.sess.UserID, "err", err)
	}
}

// unregister drops c's subscriptions and index entries; when c was its
// user's last connection anywhere, it tells the channels c was subscribed
// to that the user went offline.
func (h *Hub) unregister(ctx context.Context, c *Conn) {
	c.mu.Lock()
	subs := make([]*subscription, 0, len(c.subs))
	for _, sub := range c.subs {
		subs = append(subs, sub)
	}
	c.mu.Unlock()
	for _, sub := range subs {
		sub.remove(nil)
		h.detach(c, sub)
	}

	pl := h.presenceLock(c.sess.UserID)
	pl.Lock()
	defer pl.Unlock()
	if !h.index.remove(c) {
		return
	}
	// The hub may be stopping: presence must still be cleaned up.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	last, err := h.broker.Leave(bctx, string(c.sess.UserID))
	if err != nil {
		h.log.Warn("realtime: presence leave failed", "user_id", c.sess.UserID, "err", err)
		return
	}
	if !last {
		return
	}
	for _, sub := range subs {
		h.publishPresence(bctx, sub.channel, c.sess.UserID, "offline")
	}
}

func (h *Hub) publishPresence(ctx context.Context, channel model.ChannelID, user model.UserID, status string) {
	frame := encode(presenceFrame{Type: TypePresence, Channel: channel, UserID: user, Status: status})
	if err := h.broker.Publish(ctx, string(KeyOf(channel)), userFramePayload(user, frame)); err != nil {
		h.log.Warn("realtime: publish presence failed", "user_id", user, "channel_id", channel, "err", err)
	}
}

// firstLocalSubscriber reports whether c is the only connection of its
// user on this node subscribed to key.
func (h *Hub) firstLocalSubscriber(c *Conn, key ChannelKey) bool {
	for _, other := range h.index.conns(c.sess.UserID) {
		if other == c {
			continue
		}
		other.mu.Lock()
		_, has := other.subs[key]
		other.mu.Unlock()
		if has {
			return false
		}
	}
	return true
}

// hubHandler is the hub's side of the broker.
type hubHandler struct{ h *Hub }

func (hh hubHandler) HandlePublication(key string, payload []byte) {
	h := hh.h
	env, err := openPayload(payload)
	if err != nil {
		h.stats.dropped.Add(1)
		h.log.Warn("realtime: dropped malformed publication", "key", key, "bytes", len(payload))
		return
	}
	switch env.kind {
	case envControl:
		if key != ControlKey {
			h.stats.dropped.Add(1)
			return
		}
		var ev control
		if err := json.Unmarshal(env.body, &ev); err != nil {
			h.stats.dropped.Add(1)
			h.log.Warn("realtime: dropped malformed control event", "err", err)
			return
		}
		h.handleControl(ev)
	default:
		h.fanOut(ChannelKey(key), Frame{Seq: env.seq, Data: env.body}, env.except)
	}
}

// HandleResume: the broker may have missed publications; every local
// client resubscribes from its last seqs.
func (hh hubHandler) HandleResume() {
	h := hh.h
	h.stats.resumes.Add(1)
	h.log.Info("realtime: broker reconnected, asking clients to resume")
	for _, c := range h.index.all() {
		c.reply(resumeBytes)
	}
}

func (h *Hub) handleControl(ev control) {
	switch ev.Op {
	case opRevoke:
		h.revokeLocal(ev.UserID, ev.Channel, ev.Reason, ev.Keep)
	case opCloseUser:
		for _, c := range h.index.conns(ev.UserID) {
			c.close(CloseUnauthenticated, "session_closed", false)
		}
	case opCloseSession:
		for _, c := range h.index.sessionConns(ev.SessionID) {
			c.close(CloseUnauthenticated, "session_closed", false)
		}
	case opResume:
		h.resumeLocal(ev.Channel)
	case opAccess:
		for _, u := range ev.Users {
			for _, c := range h.index.conns(u) {
				c.reply(accessBytes)
			}
		}
	case opUserFrame:
		if len(ev.Frame) == 0 || len(ev.Frame) > MaxUserFrame {
			h.stats.dropped.Add(1)
			return
		}
		frame := []byte(ev.Frame)
		for _, u := range ev.Users {
			for _, c := range h.index.conns(u) {
				c.reply(frame)
			}
		}
	case opInvalidate:
		if err := checkAnnouncement(ev.Kind, ev.Payload); err != nil {
			h.stats.dropped.Add(1)
			h.log.Warn("realtime: dropped invalid announcement", "err", err)
			return
		}
		if h.opt.OnInvalidate != nil {
			h.opt.OnInvalidate(ev.Kind, ev.Payload)
		}
	default:
		h.stats.dropped.Add(1)
		h.log.Warn("realtime: unknown control event", "op", ev.Op)
	}
}

type connSub struct {
	c   *Conn
	sub *subscription
}

// subscribersOf returns this node's subscriptions to key.
func (h *Hub) subscribersOf(key ChannelKey) []connSub {
	s := h.shardOf(key)
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]connSub, 0, len(s.subs[key]))
	for c, sub := range s.subs[key] {
		out = append(out, connSub{c, sub})
	}
	return out
}

func (h *Hub) revokeLocal(user model.UserID, channel model.ChannelID, reason string, keep []model.UserID) {
	if reason != ReasonArchived && reason != ReasonReadOnly && reason != ReasonPrivate {
		reason = ReasonRemoved
	}
	key := KeyOf(channel)
	var targets []connSub
	if user == "" {
		targets = h.subscribersOf(key)
		if len(keep) > 0 {
			kept := make(map[model.UserID]bool, len(keep))
			for _, u := range keep {
				kept[u] = true
			}
			targets = slices.DeleteFunc(targets, func(t connSub) bool { return kept[t.c.sess.UserID] })
		}
	} else {
		for _, c := range h.index.conns(user) {
			c.mu.Lock()
			sub := c.subs[key]
			c.mu.Unlock()
			if sub != nil {
				targets = append(targets, connSub{c, sub})
			}
		}
	}
	frame := encode(unsubscribedFrame{head: head{TypeUnsubscribed, channel}, Reason: reason})
	for _, t := range targets {
		_, queued := t.sub.remove(frame)
		h.detach(t.c, t.sub)
		if !queued {
			t.c.close(CloseSlowConsumer, "slow_consumer", false)
		}
	}
}

func (h *Hub) resumeLocal(channel model.ChannelID) {
	if channel == "" {
		hubHandler{h}.HandleResume()
		return
	}
	frame := encode(resumeFrame{Type: TypeResume, Channel: channel})
	for _, t := range h.subscribersOf(KeyOf(channel)) {
		if !t.sub.pushIfActive(frame) {
			t.c.close(CloseSlowConsumer, "slow_consumer", false)
		}
	}
}

// typingThrottle lets one typing notice per user and channel through per
// interval on this node, whatever the number of the user's connections:
// each notice is fanned out to the whole channel.
type typingThrottle struct {
	mu    sync.Mutex
	last  map[typingKey]time.Time
	swept time.Time
}

type typingKey struct {
	user    model.UserID
	channel model.ChannelID
}

func (t *typingThrottle) allow(user model.UserID, channel model.ChannelID, now time.Time, every time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := typingKey{user, channel}
	if last, ok := t.last[k]; ok && now.Sub(last) < every {
		return false
	}
	if t.last == nil {
		t.last = make(map[typingKey]time.Time)
	}
	if now.Sub(t.swept) > time.Minute { // entries past their interval throttle nothing
		for k, at := range t.last {
			if now.Sub(at) >= every {
				delete(t.last, k)
			}
		}
		t.swept = now
	}
	t.last[k] = now
	return true
}

// connIndex finds a node's connections by user and by session.
type connIndex struct {
	mu        sync.RWMutex
	byUser    map[model.UserID]map[*Conn]struct{}
	bySession map[string]map[*Conn]struct{}
}

// add reports whether c is its user's first connection on this node.
func (x *connIndex) add(c *Conn) (first bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	m := x.byUser[c.sess.UserID]
	if m == nil {
		m = make(map[*Conn]struct{})
		x.byUser[c.sess.UserID] = m
	}
	m[c] = struct{}{}
	if c.sess.SessionID != "" {
		s := x.bySession[c.sess.SessionID]
		if s == nil {
			s = make(map[*Conn]struct{})
			x.bySession[c.sess.SessionID] = s
		}
		s[c] = struct{}{}
	}
	return len(m) == 1
}

// remove reports whether c was its user's last connection on this node.
func (x *connIndex) remove(c *Conn) (last bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if s := x.bySession[c.sess.SessionID]; s != nil {
		delete(s, c)
		if len(s) == 0 {
			delete(x.bySession, c.sess.SessionID)
		}
	}
	m := x.byUser[c.sess.UserID]
	if _, ok := m[c]; !ok {
		return false
	}
	delete(m, c)
	if len(m) == 0 {
		delete(x.byUser, c.sess.UserID)
		return true
	}
	return false
}

func (x *connIndex) count(user model.UserID) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byUser[user])
}

func (x *connIndex) conns(user model.UserID) []*Conn {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return connList(x.byUser[user])
}

func (x *connIndex) sessionConns(session string) []*Conn {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return connList(x.bySession[session])
}

// connList copies a set of connections into a slice.
func connList(set map[*Conn]struct{}) []*Conn {
	out := make([]*Conn, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	return out
}

func (x *connIndex) all() []*Conn {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []*Conn
	for _, m := range x.byUser {
		for c := range m {
			out = append(out, c)
		}
	}
	return out
}

func (x *connIndex) users() []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]string, 0, len(x.byUser))
	for u := range x.byUser {
		out = append(out, string(u))
	}
	return out
}

// Stats is a snapshot of a hub's counters, for /metrics.
type Stats struct {
	Connections      int64  // open connections
	Subscriptions    int64  // live channel subscriptions
	Deliveries       uint64 // frames queued by fan-out
	SlowConsumers    uint64 // connections closed with CloseSlowConsumer
	RateLimited      uint64 // inbound frames dropped by the rate limit
	SubscribesQueued int64  // subscribes waiting for a MaxConcurrentSubscribes slot
	BrokerResumes    uint64 // broker reconnects (each asked clients to resume)
	DroppedBroadcast uint64 // malformed or unknown publications dropped
	RefusedConns     uint64 // connections closed at once: their user held MaxConnsPerUser
}

type hubStats struct {
	connections      atomic.Int64
	subscriptions    atomic.Int64
	deliveries       atomic.Uint64
	slow             atomic.Uint64
	rateLimited      atomic.Uint64
	subscribesQueued atomic.Int64
	resumes          atomic.Uint64
	dropped          atomic.Uint64
	refused          atomic.Uint64
}

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	return Stats{
		Connections:      h.stats.connections.Load(),
		Subscriptions:    h.stats.subscriptions.Load(),
		Deliveries:       h.stats.deliveries.Load(),
		SlowConsumers:    h.stats.slow.Load(),
		RateLimited:      h.stats.rateLimited.Load(),
		SubscribesQueued: h.stats.subscribesQueued.Load(),
		BrokerResumes:    h.stats.resumes.Load(),
		RefusedConns:     h.stats.refused.Load(),
		DroppedBroadcast: h.stats.dropped.Load(),
	}
}
