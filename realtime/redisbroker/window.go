package redisbroker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/ecpts/ecpts/internal/model"
)

// Window is the recent-history window of every channel, shared by the
// nodes through Redis (msglog.SharedWindow): the last messages of each
// channel as stored (a direct message stays sealed) and the channel's
// last seq, so that resumes and the newest history page are served
// without a database query whichever node wrote the messages. It also
// holds the per-channel locks under which the nodes read-modify-write a
// message (edits, reactions, thread roots).
//
// One hash per channel, `<prefix>win:<channel>`: field "last" is the
// highest seq appended (only ever raised), field "<seq>" a message as JSON.
// Appending seq n drops seq n-2×Size, so a hash holds about 2×Size
// messages. The hash expires after TTL without an append. Every operation
// is one Lua script, atomic on the Redis server.
//
// The window is a cache: it may lag the database (a node that stored a
// message and died before appending it), never lead it, because a message
// is appended only after it is stored. Readers check that the seqs they
// get are contiguous and fall back to the database otherwise.
type Window struct {
	client *redis.Client
	prefix string
	size   int
	ttl    time.Duration
}

// WindowOptions tune a Window; zero fields take defaults.
type WindowOptions struct {
	Prefix string        // default "ecpts:", as the broker's
	Size   int           // messages guaranteed per channel (default 256)
	TTL    time.Duration // idle channel expiry (default 7 days)
}

// NewWindow returns a Window on client (the caller keeps ownership).
func NewWindow(client *redis.Client, o WindowOptions) *Window {
	if o.Prefix == "" {
		o.Prefix = "ecpts:"
	}
	if o.Size <= 0 {
		o.Size = 256
	}
	if o.TTL <= 0 {
		o.TTL = 7 * 24 * time.Hour
	}
	return &Window{client: client, prefix: o.Prefix, size: o.Size, ttl: o.TTL}
}

func (w *Window) key(ch model.ChannelID) string { return w.prefix + "win:" + string(ch) }

var appendScript = redis.NewScript(`
local seq = tonumber(ARGV[1])
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
local old = seq - tonumber(ARGV[3])
if old > 0 then redis.call('HDEL', KEYS[1], tostring(old)) end
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
if seq > last then redis.call('HSET', KEYS[1], 'last', ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`)

// Append records a message just stored (in its stored form) and raises
// the channel's last seq to its seq. A version already there is kept: it
// is a newer one another node's Replace put in first.
func (w *Window) Append(ctx context.Context, m model.Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("redis window: encode %s: %w", m.ID, err)
	}
	err = appendScript.Run(ctx, w.client, []string{w.key(m.ChannelID)},
		m.Seq, b, 2*w.size, w.ttl.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("redis window: append %s: %w", m.ID, err)
	}
	return nil
}

var replaceScript = redis.NewScript(`
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 or tonumber(ARGV[1]) > last - tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0`)

// Replace updates a message (an edit, a reaction) the window holds or
// should hold: also one newer than the last seq appended, whose writer
// has not appended it yet (its Append then keeps this newer version).
// Older messages are left to the database.
func (w *Window) Replace(ctx context.Context, m model.Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("redis window: encode %s: %w", m.ID, err)
	}
	if err := replaceScript.Run(ctx, w.client, []string{w.key(m.ChannelID)}, m.Seq, b, 2*w.size).Err(); err != nil {
		return fmt.Errorf("redis window: replace %s: %w", m.ID, err)
	}
	return nil
}

var observeScript = redis.NewScript(`
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local seq = tonumber(ARGV[1])
if seq > last then
  redis.call('HSET', KEYS[1], 'last', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return seq
end
return last`)

// Observe raises the channel's last seq to seq, read from the database
// (after Redis lost it, or a node died between storing and appending),
// and returns the resulting last seq.
func (w *Window) Observe(ctx context.Context, ch model.ChannelID, seq uint64) (uint64, error) {
	n, err := observeScript.Run(ctx, w.client, []string{w.key(ch)}, seq, w.ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("redis window: observe %s: %w", ch, err)
	}
	return uint64(n), nil
}

// rangeScript returns {last, json or false for each seq from..to}, with
// to capped at last; newest > 0 asks for the newest messages instead.
var rangeScript = redis.NewScript(`
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local from, to, newest = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if newest > 0 then
  to = last
  from = math.max(1, last - newest + 1)
end
if to > last then to = last end
if from < 1 then from = 1 end
if to - from + 1 > tonumber(ARGV[4]) then to = from + tonumber(ARGV[4]) - 1 end
local out = {tostring(last)}
if to >= from then
  local fields = {}
  for s = from, to do fields[#fields + 1] = tostring(s) end
  local vals = redis.call('HMGET', KEYS[1], unpack(fields))
  for i = 1, #fields do out[#out + 1] = vals[i] end
end
return out`)

// Range returns the channel's last seq as the window knows it (0 when it
// knows nothing) and the messages it holds with from ≤ seq ≤ min(to,
// last), ascending, at most 2×Size of them; ok reports that it holds every
// one of those seqs. newest > 0 asks for the newest messages instead of
// from..to.
func (w *Window) Range(ctx context.Context, ch model.ChannelID, from, to uint64, newest int) (last uint64, ms []model.Message, ok bool, err error) {
	newest = min(newest, 2*w.size)
	to = min(to, uint64(1)<<52) // Lua numbers are doubles
	vals, err := rangeScript.Run(ctx, w.client, []string{w.key(ch)}, from, to, newest, 2*w.size).Slice()
	if err != nil {
		return 0, nil, false, fmt.Errorf("redis window: range of %s: %w", ch, err)
	}
	if len(vals) == 0 {
		return 0, nil, false, fmt.Errorf("redis window: range of %s: empty reply", ch)
	}
	s, _ := vals[0].(string)
	last, err = strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, nil, false, fmt.Errorf("redis window: last seq of %s: %w", ch, err)
	}
	ok = true
	ms = make([]model.Message, 0, len(vals)-1)
	for _, v := range vals[1:] {
		s, isStr := v.(string)
		if !isStr {
			ok = false // evicted, or never appended (its node died)
			continue
		}
		var m model.Message
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return 0, nil, false, fmt.Errorf("redis window: decode a message of %s: %w", ch, err)
		}
		ms = append(ms, m)
	}
	return last, ms, ok, nil
}

var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// lockTTL bounds how long a dead node's lock blocks the others.
const lockTTL = 10 * time.Second

// ErrLockTimeout: the channel lock was not obtained before ctx ended.
var ErrLockTimeout = errors.New("redis window: channel lock not obtained")

// Lock takes the channel's cross-node write lock, waiting for it until ctx
// ends. The returned function releases it (only if still ours: a lock
// held past lockTTL may have passed to another node).
func (w *Window) Lock(ctx context.Context, ch model.ChannelID) (func(), error) {
	key, token := w.prefix+"lock:"+string(ch), uuid.NewString()
	wait := 200 * time.Microsecond
	for {
		ok, err := w.client.SetNX(ctx, key, token, lockTTL).Result()
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%w: %w", ErrLockTimeout, ctx.Err())
			}
			return nil, fmt.Errorf("redis window: lock %s: %w", ch, err)
		}
		if ok {
			return func() {
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
				defer cancel()
				_ = unlockScript.Run(ctx, w.client, []string{key}, token).Err()
			}, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w: %w", ErrLockTimeout, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, 20*time.Millisecond)
	}
}
