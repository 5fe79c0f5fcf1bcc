package core

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/storetest"
	"github.com/google/uuid"
)

func reportLatency(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	q := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(d[len(d)-1].Microseconds())/1000, "max-ms")
}

// benchChannel makes a CPTS, a member and a channel she joined.
func benchChannel(b testing.TB, st *store.Store) (model.Session, model.ChannelID) {
	ctx := context.Background()
	now := time.Now().UTC()
	x := model.CPTS{ID: model.CPTSID(model.NewID()), Name: "CPTS " + model.NewID(), Department: "41", Status: "active", CreatedAt: now}
	u := model.User{ID: model.UserID(model.NewID()), Email: model.NewID() + "@exemple.fr", Name: "Bench", Profession: "infirmier", CreatedAt: now}
	ch := model.Channel{ID: model.ChannelID(model.NewID()), Name: "bench", Kind: model.KindStandard, Visibility: model.VisibilityPublic, CPTSID: x.ID, CreatedAt: now}
	for _, err := range []error{
		st.CPTS.Insert(ctx, x), st.Users.Insert(ctx, u),
		st.Memberships.Insert(ctx, model.Membership{CPTSID: x.ID, UserID: u.ID, Role: model.RoleMembre, Status: model.StatusActive, CreatedAt: now}),
		st.Channels.Insert(ctx, ch),
		st.ChannelMembers.Insert(ctx, model.ChannelMember{ChannelID: ch.ID, UserID: u.ID, JoinedAt: now}),
	} {
		if err != nil {
			b.Fatal(err)
		}
	}
	return model.Session{UserID: u.ID}, ch.ID
}

// BenchmarkCoreSend: SendMessage (authorise, render, sequence, store) one
// after the other, with the background work running as in production.
func BenchmarkCoreSend(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgresql"} {
		b.Run(backend, func(b *testing.B) {
			st := storetest.OpenTest(b, backend)
			c, ctx := runningCore(b, st)
			s, ch := benchChannel(b, st)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, _, err := c.SendMessage(ctx, s, SendInput{Channel: ch, ClientID: uuid.NewString(), Body: "Créneau SNP disponible demain à **11 h**"}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			reportLatency(b, lat)
		})
	}
}

// BenchmarkCoreHistory: a page of 50 messages far from the end (the
// recent window cannot serve it, every message is a store read) with n
// messages stored. HISTORY_N sets n (default 20,000; the targets
// are 100,000 on SQLite and 1,000,000 on PostgreSQL).
func BenchmarkCoreHistory(b *testing.B) {
	n := uint64(20000)
	if v := envUint("HISTORY_N"); v > 0 {
		n = v
	}
	for _, backend := range []string{"sqlite", "postgresql"} {
		b.Run(fmt.Sprintf("%s/%d", backend, n), func(b *testing.B) {
			st := storetest.OpenTest(b, backend)
			c := New(Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			s, ch := benchChannel(b, st)
			ctx := context.Background()
			seed(b, st, ch, s.UserID, n)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				before := 1000 + uint64(i*7919)%(n-2000)
				t0 := time.Now()
				ms, _, err := c.History(ctx, s, ch, 0, false, before, 50)
				if err != nil || len(ms) != 50 {
					b.Fatalf("page before %d: %d messages, %v", before, len(ms), err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			reportLatency(b, lat)
		})
	}
}

// seed inserts n messages directly (8 writers).
func seed(b *testing.B, st *store.Store, ch model.ChannelID, author model.UserID, n uint64) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	const writers, batch = 4, store.MaxInsertBatch
	for w := uint64(0); w < writers; w++ {
		wg.Go(func() {
			// Writer w stores the batches w, w+writers, … of seqs.
			for first := w*batch + 1; first <= n; first += writers * batch {
				ms := make([]model.Message, 0, batch)
				for seq := first; seq < first+batch && seq <= n; seq++ {
					ms = append(ms, model.Message{ChannelID: ch, Seq: seq, AuthorID: author, ClientID: uuid.NewString(), Body: "message", HTML: "<p>message</p>", Text: "message", CreatedAt: time.Now().UTC()})
				}
				for _, err := range st.Messages.InsertMany(ctx, ms) {
					if err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	if err := st.ChannelSeqs.Record(ctx, ch, n); err != nil {
		b.Fatal(err)
	}
}

// runningCore is a Core on st with its background work and group commit
// running (as in production) until the test ends, without a send limit.
func runningCore(tb testing.TB, st *store.Store) (*Core, context.Context) {
	c := New(Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SendRate: 1e6})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	tb.Cleanup(func() { cancel(); <-done })
	return c, ctx
}

func envUint(name string) uint64 {
	var n uint64
	_, _ = fmt.Sscan(os.Getenv(name), &n)
	return n
}
