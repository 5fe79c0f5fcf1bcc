// Package tick runs periodic work: the hourly session sweep of
// cmd/ecpts, core's background flushes and sweeps, the hub's presence
// heartbeat.
package tick

import (
	"context"
	"time"
)

// Every calls fn every d until ctx ends, then returns. The first call is
// d after the start.
func Every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}
