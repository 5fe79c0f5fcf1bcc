package redisbroker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/ecpts/ecpts/realtime"
)

// Options tune a Broker. Zero fields take defaults.
type Options struct {
	// Prefix of every Redis channel and key (default "ecpts:"): several
	// deployments, or tests, can share one Redis.
	Prefix string
	// NodeID names this node in presence sets (default: a random UUID).
	NodeID string
	// PresenceTTL: a node that stops heartbeating is forgotten after it
	// (default 60 s; the hub beats every 20 s).
	PresenceTTL time.Duration
	// HealthInterval: after this long without traffic the Pub/Sub
	// connection is pinged; a second silent interval counts as lost
	// (default 15 s).
	HealthInterval time.Duration
	Logger         *slog.Logger
}

// Broker implements realtime.Broker on Redis.
type Broker struct {
	client *redis.Client
	owned  bool
	opt    Options
	log    *slog.Logger

	mu      sync.Mutex
	ps      *redis.PubSub
	keys    map[string]struct{}        // Redis channels this node wants
	waiters map[string][]chan struct{} // Subscribe calls awaiting confirmation
	running bool
}

var _ realtime.Broker = (*Broker)(nil)

// New returns a broker on client. The caller keeps ownership of client.
func New(client *redis.Client, opt Options) *Broker {
	if opt.Prefix == "" {
		opt.Prefix = "ecpts:"
	}
	if opt.NodeID == "" {
		opt.NodeID = uuid.NewString()
	}
	if opt.PresenceTTL <= 0 {
		opt.PresenceTTL = 60 * time.Second
	}
	if opt.HealthInterval <= 0 {
		opt.HealthInterval = 15 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Broker{
		client:  client,
		opt:     opt,
		log:     opt.Logger,
		ps:      client.Subscribe(context.Background()), // lazy: connects on first use
		keys:    make(map[string]struct{}),
		waiters: make(map[string][]chan struct{}),
	}
}

// Open connects to the Redis at url (redis://[:password@]host:port/db),
// checks it answers, and returns a broker that owns the client: Close
// closes it.
func Open(ctx context.Context, url string, opt Options) (*Broker, error) {
	ropt, err := redis.ParseURL(url)
	if err != nil {
		// The URL may hold a password: do not echo it.
		return nil, errors.New("redisbroker: invalid Redis URL")
	}
	client := redis.NewClient(ropt)
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("redisbroker: ping %s: %w", ropt.Addr, err)
	}
	b := New(client, opt)
	b.owned = true
	return b, nil
}

// Close releases the Pub/Sub connection, and the client when Open made it.
// Call it after Run has returned.
func (b *Broker) Close() error {
	b.mu.Lock()
	ps := b.ps
	b.mu.Unlock()
	_ = ps.Close()
	if b.owned {
		return b.client.Close()
	}
	return nil
}

// NodeID returns the name of this node in presence sets.
func (b *Broker) NodeID() string { return b.opt.NodeID }

var errRunning = errors.New("redisbroker: Run called twice")

// Run receives on the Pub/Sub connection until ctx ends, reconnecting with
// backoff; see the package comment for what a reconnect does.
func (b *Broker) Run(ctx context.Context, h realtime.BrokerHandler) error {
	b.mu.Lock()
	if b.running {
		b.mu.Unlock()
		return errRunning
	}
	b.running = true
	ps := b.ps
	b.mu.Unlock()
	// A blocked read ignores ctx: closing the connection ends it.
	stop := context.AfterFunc(ctx, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		_ = b.ps.Close()
	})
	defer stop()

	lost, pinged := false, false
	for {
		msg, err := ps.ReceiveTimeout(ctx, b.opt.HealthInterval)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if isTimeout(err) && !pinged {
				pinged = true
				if ps.Ping(ctx) == nil {
					continue
				}
			}
			if !lost {
				b.log.Warn("redisbroker: pub/sub connection lost, reconnecting", "node", b.opt.NodeID, "err", err)
			}
			lost, pinged = true, false
			if ps = b.reconnect(ctx, ps); ps == nil {
				return nil
			}
			continue
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				b.confirm(m.Channel)
			}
		case *redis.Message:
			if key, ok := strings.CutPrefix(m.Channel, b.opt.Prefix); ok {
				h.HandlePublication(key, []byte(m.Payload))
			}
		}
		// Any reply on the new connection means Redis processed our
		// SUBSCRIBE: the node receives again, clients may resume.
		if lost {
			lost = false
			b.log.Info("redisbroker: pub/sub connection back", "node", b.opt.NodeID)
			h.HandleResume()
		}
	}
}

// reconnect replaces ps by a new Pub/Sub connection subscribed to every
// wanted key. It returns nil when ctx ends first.
func (b *Broker) reconnect(ctx context.Context, old *redis.PubSub) *redis.PubSub {
	_ = old.Close()
	backoff := 50 * time.Millisecond
	for {
		ps := b.client.Subscribe(ctx)
		b.mu.Lock()
		if ctx.Err() != nil { // the AfterFunc above closed the old one already
			b.mu.Unlock()
			_ = ps.Close()
			return nil
		}
		b.ps = ps // Subscribe calls from now on write to the new connection
		keys := slices.Collect(maps.Keys(b.keys))
		b.mu.Unlock()
		var err error
		if len(keys) > 0 {
			err = ps.Subscribe(ctx, keys...)
		} else {
			err = ps.Ping(ctx) // a reply will still come back to mark the reconnect
		}
		if err == nil {
			return ps
		}
		_ = ps.Close()
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (b *Broker) confirm(channel string) {
	b.mu.Lock()
	ws := b.waiters[channel]
	delete(b.waiters, channel)
	b.mu.Unlock()
	for _, w := range ws {
		close(w)
	}
}

// Publish publishes payload on key; it returns once Redis has it.
func (b *Broker) Publish(ctx context.Context, key string, payload []byte) error {
	if err := b.client.Publish(ctx, b.opt.Prefix+key, payload).Err(); err != nil {
		return fmt.Errorf("redisbroker: publish %s: %w", key, err)
	}
	return nil
}

// Subscribe returns once Redis has confirmed the subscription on Run's
// connection (Run must be running), so that a publication accepted after
// it returns reaches this node.
func (b *Broker) Subscribe(ctx context.Context, key string) error {
	ch := b.opt.Prefix + key
	done := make(chan struct{})
	b.mu.Lock()
	b.keys[ch] = struct{}{}
	b.waiters[ch] = append(b.waiters[ch], done)
	ps := b.ps
	b.mu.Unlock()
	// A failed write is not final: a reconnect subscribes every wanted key
	// and confirms them all. The wait below decides.
	_ = ps.Subscribe(ctx, ch)
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	delete(b.keys, ch)
	ws := b.waiters[ch]
	if i := slices.Index(ws, done); i >= 0 {
		b.waiters[ch] = slices.Delete(ws, i, i+1)
	}
	ps = b.ps
	b.mu.Unlock()
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_ = ps.Unsubscribe(uctx, ch)
	return fmt.Errorf("redisbroker: subscribe %s: not confirmed: %w", key, ctx.Err())
}

// Unsubscribe drops key; the node stops receiving it once Redis processes
// the command.
func (b *Broker) Unsubscribe(ctx context.Context, key string) error {
	ch := b.opt.Prefix + key
	b.mu.Lock()
	delete(b.keys, ch)
	ps := b.ps
	b.mu.Unlock()
	if err := ps.Unsubscribe(ctx, ch); err != nil {
		return fmt.Errorf("redisbroker: unsubscribe %s: %w", key, err)
	}
	return nil
}

// Ping checks Redis answers.
func (b *Broker) Ping(ctx context.Context) error {
	if err := b.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redisbroker: ping: %w", err)
	}
	return nil
}

// Presence scripts take the time from Redis (TIME), so node clocks need not
// agree. Each user's set holds node → expiry in milliseconds.
const luaNow = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

var (
	// KEYS[1] set; ARGV node, ttl ms. Returns 1 when no other live node
	// held the user.
	joinScript = redis.NewScript(luaNow + `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local others = redis.call('ZCARD', KEYS[1])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then others = others - 1 end
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
if others == 0 then return 1 end
return 0`)
	// KEYS[1] set; ARGV node. Returns 1 when no live node holds the user.
	leaveScript = redis.NewScript(luaNow + `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) == 0 then return 1 end
return 0`)
	// KEYS sets; ARGV node, ttl ms.
	heartbeatScript = redis.NewScript(luaNow + `
local ttl = tonumber(ARGV[2])
for _, k in ipairs(KEYS) do
  redis.call('ZADD', k, now + ttl, ARGV[1])
  redis.call('PEXPIRE', k, ttl)
end
return #KEYS`)
	// KEYS sets. Returns the number of live nodes of each.
	onlineScript = redis.NewScript(luaNow + `
local out = {}
for i, k in ipairs(KEYS) do
  out[i] = redis.call('ZCOUNT', k, '(' .. now, '+inf')
end
return out`)
)

// scriptBatch bounds the keys of one script call: a script blocks Redis
// while it runs.
const scriptBatch = 500

func (b *Broker) presenceKey(user string) string { return b.opt.Prefix + "presence:" + user }

func (b *Broker) ttlMillis() string { return strconv.FormatInt(b.opt.PresenceTTL.Milliseconds(), 10) }

// Join records user on this node; first reports no other node had them.
func (b *Broker) Join(ctx context.Context, user string) (bool, error) {
	n, err := joinScript.Run(ctx, b.client, []string{b.presenceKey(user)}, b.opt.NodeID, b.ttlMillis()).Int()
	if err != nil {
		return false, fmt.Errorf("redisbroker: presence join %s: %w", user, err)
	}
	return n == 1, nil
}

// Leave forgets user on this node; last reports no node has them any more.
func (b *Broker) Leave(ctx context.Context, user string) (bool, error) {
	n, err := leaveScript.Run(ctx, b.client, []string{b.presenceKey(user)}, b.opt.NodeID).Int()
	if err != nil {
		return false, fmt.Errorf("redisbroker: presence leave %s: %w", user, err)
	}
	return n == 1, nil
}

// Heartbeat extends this node's presence of users by PresenceTTL.
func (b *Broker) Heartbeat(ctx context.Context, users []string) error {
	for batch := range slices.Chunk(users, scriptBatch) {
		keys := make([]string, len(batch))
		for i, u := range batch {
			keys[i] = b.presenceKey(u)
		}
		if err := heartbeatScript.Run(ctx, b.client, keys, b.opt.NodeID, b.ttlMillis()).Err(); err != nil {
			return fmt.Errorf("redisbroker: presence heartbeat of %d users: %w", len(users), err)
		}
	}
	return nil
}

// Online reports which users some live node holds.
func (b *Broker) Online(ctx context.Context, users []string) (map[string]bool, error) {
	out := make(map[string]bool, len(users))
	for batch := range slices.Chunk(users, scriptBatch) {
		keys := make([]string, len(batch))
		for i, u := range batch {
			keys[i] = b.presenceKey(u)
		}
		counts, err := onlineScript.Run(ctx, b.client, keys).Int64Slice()
		if err != nil {
			return nil, fmt.Errorf("redisbroker: presence of %d users: %w", len(users), err)
		}
		for i, u := range batch {
			out[u] = i < len(counts) && counts[i] > 0
		}
	}
	return out, nil
}
