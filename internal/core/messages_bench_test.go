package core

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/msglog"
	"github.com/ecpts/ecpts/internal/store/storetest"
	"github.com/google/uuid"
)

// BenchmarkHistoryPage: a page of 50 messages of a channel holding n
// (HISTORY_N, default 10,000), the newest page (served from the window of
// recent messages) and one far back (read from the store), with p50/p99.
// The last msglog.WindowSize messages are posted through SendMessage, the rest
// inserted directly (8 writers), as history accumulated before a restart.
func BenchmarkHistoryPage(b *testing.B) {
	n := uint64(10000)
	if v := envUint("HISTORY_N"); v > 0 {
		n = v
	}
	if n < 2*msglog.WindowSize+100 {
		b.Fatalf("HISTORY_N must be at least %d", 2*msglog.WindowSize+100)
	}
	for _, backend := range []string{"sqlite", "postgresql"} {
		b.Run(fmt.Sprintf("%s/%d", backend, n), func(b *testing.B) {
			st := storetest.OpenTest(b, backend)
			c := New(Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SendRate: 1e6})
			s, ch := benchChannel(b, st)
			ctx := context.Background()
			t0 := time.Now()
			seed(b, st, ch, s.UserID, n-msglog.WindowSize)
			for i := uint64(0); i < msglog.WindowSize; i++ {
				if _, _, err := c.SendMessage(ctx, s, SendInput{Channel: ch, ClientID: uuid.NewString(), Body: "message récent"}); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("%s: %d messages seeded in %s", backend, n, time.Since(t0).Round(time.Millisecond))
			b.Run("newest", func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				for b.Loop() {
					t := time.Now()
					ms, last, err := c.History(ctx, s, ch, 0, false, 0, 50)
					if err != nil || len(ms) != 50 || last != n || ms[49].Seq != n {
						b.Fatalf("newest page: %d messages, last %d, %v", len(ms), last, err)
					}
					lat = append(lat, time.Since(t))
				}
				reportLatency(b, lat)
			})
			b.Run("far", func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				i := uint64(0)
				for b.Loop() {
					// Pages spread over the whole history, none in the window.
					before := 51 + (i*7919)%(n-msglog.WindowSize-100)
					i++
					t := time.Now()
					ms, _, err := c.History(ctx, s, ch, 0, false, before, 50)
					if err != nil || len(ms) != 50 || ms[49].Seq != before-1 {
						b.Fatalf("page before %d: %d messages, %v", before, len(ms), err)
					}
					lat = append(lat, time.Since(t))
				}
				reportLatency(b, lat)
			})
		})
	}
}

// BenchmarkSendMessageParallel: 16 senders posting at once into 10
// channels (one user, no send limit), the core-level counterpart of
// `ecpts-load send`: per-send p50/p99 and the throughput reached.
func BenchmarkSendMessageParallel(b *testing.B) {
	const channels = 10
	for _, backend := range []string{"sqlite", "postgresql"} {
		b.Run(backend, func(b *testing.B) {
			st := storetest.OpenTest(b, backend)
			c, ctx := runningCore(b, st)
			s, first := benchChannel(b, st)
			chans := []model.ChannelID{first}
			now := time.Now().UTC()
			for len(chans) < channels {
				x, err := st.Channels.ByID(ctx, first)
				if err != nil {
					b.Fatal(err)
				}
				x.ID, x.Name = model.ChannelID(model.NewID()), fmt.Sprintf("bench %d", len(chans))
				if err := st.Channels.Insert(ctx, x); err != nil {
					b.Fatal(err)
				}
				if err := st.ChannelMembers.Insert(ctx, model.ChannelMember{ChannelID: x.ID, UserID: s.UserID, JoinedAt: now}); err != nil {
					b.Fatal(err)
				}
				chans = append(chans, x.ID)
			}
			var (
				mu   sync.Mutex
				lat  = make([]time.Duration, 0, b.N)
				next atomic.Uint64
			)
			b.SetParallelism(8) // 16 senders on 2 cores
			t0 := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					ch := chans[next.Add(1)%channels]
					t := time.Now()
					if _, _, err := c.SendMessage(ctx, s, SendInput{Channel: ch, ClientID: uuid.NewString(), Body: "Créneau SNP disponible demain à **11 h**"}); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(t))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			elapsed := time.Since(t0)
			b.StopTimer()
			reportLatency(b, lat)
			b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "msg/s")
			batches, batched := c.msgs.Commits()
			b.ReportMetric(float64(batched)/max(1, float64(batches)), "msgs/commit")
		})
	}
}
