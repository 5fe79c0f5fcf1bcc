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
// Redis string (the failure count) whose expiry is the end of its window.
type Redis struct {
	client redis.UniversalClient
	prefix string
	rule   Rule
}

// NewRedis returns a limiter storing its counters under prefix (use one
// prefix per limiter, e.g. cfg.RedisPrefix+"rl:login:acct:"). It panics on a
// rule with Max < 1 or Window < 1ms.
func NewRedis(client redis.UniversalClient, prefix string, rule Rule) *Redis {
	rule.mustValid()
	return &Redis{client: client, prefix: prefix, rule: rule}
}

// failScript counts a failure and sets the expiry on the first one, in one
// atomic step: a crash between INCR and PEXPIRE would otherwise leave a
// counter that never expires, locking the key out for good. A counter found
// without expiry (written by hand, or by an older version) gets one too.
var failScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
	redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
`)

// allowScript returns {count, remaining ms}. It reads both in one step, so
// the expiry cannot pass between the two reads.
var allowScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n < tonumber(ARGV[1]) then
	return {n, 0}
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
	ttl = tonumber(ARGV[2])
end
return {n, ttl}
`)

// redisKey stores SHA-256(key): keys may be derived from e-mail or IP
// addresses, which have no business in Redis dumps or MONITOR output.
func (r *Redis) redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return r.prefix + hex.EncodeToString(sum[:16])
}

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	res, err := allowScript.Run(ctx, r.client, []string{r.redisKey(key)}, r.rule.Max, r.rule.Window.Milliseconds()).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("ratelimit: redis allow: %w", err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("ratelimit: redis allow: unexpected reply of %d values", len(res))
	}
	if res[0] < int64(r.rule.Max) {
		return true, 0, nil
	}
	return false, max(time.Duration(res[1])*time.Millisecond, time.Millisecond), nil
}

// Fail implements Limiter.
func (r *Redis) Fail(ctx context.Context, key string) error {
	if err := failScript.Run(ctx, r.client, []string{r.redisKey(key)}, r.rule.Window.Milliseconds()).Err(); err != nil {
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
