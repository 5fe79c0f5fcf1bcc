package ratelimit

import (
	"context"
	"fmt"
	"math"

	"github.com/redis/go-redis/v9"
)

// RedisBucket is a token bucket per key shared by every node through
// Redis: rate tokens per second up to burst, one taken per Take. Core uses
// it to bound what one user sends through all nodes together. The bucket
// of a key is one Redis hash, updated by one Lua script on Redis's own
// clock, and expires once it would be full again.
type RedisBucket struct {
	client      redis.UniversalClient
	prefix      string
	rate, burst float64
}

// NewRedisBucket returns a bucket store under prefix (e.g.
// cfg.RedisPrefix+"send:"). It panics unless rate > 0 and burst ≥ 1.
func NewRedisBucket(client redis.UniversalClient, prefix string, rate, burst float64) *RedisBucket {
	if !(rate > 0) || !(burst >= 1) || math.IsInf(rate, 0) || math.IsInf(burst, 0) {
		panic(fmt.Sprintf("ratelimit: invalid bucket rate %v burst %v", rate, burst))
	}
	return &RedisBucket{client: client, prefix: prefix, rate: rate, burst: burst}
}

var takeScript = redis.NewScript(`
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(b[1]), tonumber(b[2])
if tokens == nil or at == nil then tokens, at = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local ok = 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return ok`)

// Take takes one token of key's bucket; false when it is empty.
func (b *RedisBucket) Take(ctx context.Context, key string) (bool, error) {
	n, err := takeScript.Run(ctx, b.client, []string{b.prefix + key}, b.rate, b.burst).Int()
	if err != nil {
		return false, fmt.Errorf("ratelimit: bucket: %w", err)
	}
	return n == 1, nil
}
