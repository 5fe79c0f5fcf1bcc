package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Limiter shared by every node through Redis. Each key is one
// Redis hash (count, last failure, when all are forgotten), read and
// written by one Lua script, so concurrent failures on several nodes all
// count. Times come from the caller's clock, in milliseconds, like
// Memory's: the nodes' clocks agree to far less than a delay (NTP), and
// tests move a fake clock instead of waiting. Redis's own expiry only
// collects keys once they are forgotten, a minute late.
type Redis struct {
	client redis.UniversalClient
	prefix string
	rule   Rule
	now    func() time.Time
}

// NewRedis returns a limiter storing its counters under prefix (use one
// prefix per limiter, e.g. cfg.RedisPrefix+"rl:login:pair:"); now is its
// clock (nil: time.Now). It panics on an invalid rule (see Rule).
func NewRedis(client redis.UniversalClient, prefix string, rule Rule, now func() time.Time) *Redis {
	rule.mustValid()
	if now == nil {
		now = time.Now
	}
	return &Redis{client: client, prefix: prefix, rule: rule, now: now}
}

// limitScript is Memory's Check (ARGV[1] = 0) or Fail (ARGV[1] = 1) in one
// atomic step; see state, counted and Rule.Delay for the same steps in Go.
// Numbers are written with %.0f: Redis would print a Lua number with 14
// significant digits.
var limitScript = redis.NewScript(`
local op, now = tonumber(ARGV[1]), tonumber(ARGV[2])
local free, base, maxd, leak = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local function delay(n)
	if n < free then return 0 end
	local d, i = base, free
	while i < n and d < maxd do
		d, i = d * 2, i + 1
	end
	return math.min(d, maxd)
end
local h = redis.call('HMGET', KEYS[1], 'n', 'last', 'tat')
local n, last, tat = tonumber(h[1]), tonumber(h[2]), tonumber(h[3])
if n == nil or last == nil or tat == nil then
	n, last, tat = 0, now, 0
end
local c = 0
if tat > now then
	local d = tat - now
	c = math.floor(d / leak)
	if c * leak < d then c = c + 1 end
end
if op == 1 then
	n, last, tat = c + 1, now, math.max(tat, now) + leak
	redis.call('HSET', KEYS[1], 'n', string.format('%.0f', n), 'last', string.format('%.0f', last), 'tat', string.format('%.0f', tat))
	redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.max(tat, last + delay(n)) - now + 60000))
	return 1
end
local since, wait = math.max(0, now - last), delay(n)
if n == 0 or (c == 0 and since >= wait) then
	return {0, 0, 0, 0}
end
return {c, since, wait, math.max(0, wait - since)}
`)

// redisKey stores SHA-256(key): keys may be derived from e-mail or IP
// addresses, which have no business in Redis dumps or MONITOR output.
func (r *Redis) redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return r.prefix + hex.EncodeToString(sum[:16])
}

func (r *Redis) run(ctx context.Context, key string, op int) *redis.Cmd {
	return limitScript.Run(ctx, r.client, []string{r.redisKey(key)}, op, r.now().UnixMilli(),
		r.rule.Free, r.rule.Base.Milliseconds(), r.rule.Max.Milliseconds(), r.rule.Leak.Milliseconds())
}

// Check implements Limiter.
func (r *Redis) Check(ctx context.Context, key string) (Status, error) {
	res, err := r.run(ctx, key, 0).Int64Slice()
	if err != nil {
		return Status{}, fmt.Errorf("ratelimit: redis check: %w", err)
	}
	if len(res) != 4 {
		return Status{}, fmt.Errorf("ratelimit: redis check: unexpected reply of %d values", len(res))
	}
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	return Status{Failures: int(res[0]), Since: ms(res[1]), Wait: ms(res[2]), RetryAfter: ms(res[3])}, nil
}

// Fail implements Limiter.
func (r *Redis) Fail(ctx context.Context, key string) error {
	if err := r.run(ctx, key, 1).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis fail: %w", err)
	}
	return nil
}

// Reset implements Limiter.
func (r *Redis) Reset(ctx context.Context, key string) error {
	if err := r.client.Del(ctx, r.redisKey(key)).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis reset: %w", err)
	}
	return nil
}
