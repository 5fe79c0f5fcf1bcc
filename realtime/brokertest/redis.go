package brokertest

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

// DropRedisKeys deletes what a test's nodes left in the Redis at url under
// prefix (their ECPTS_REDIS_PREFIX): the shared history windows live for
// days. Failures are test errors.
func DropRedisKeys(t testing.TB, url, prefix string) {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Error(err)
		return
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		if err := rdb.Del(ctx, iter.Val()).Err(); err != nil {
			t.Error(err)
			return
		}
	}
	if err := iter.Err(); err != nil {
		t.Error(err)
	}
}
