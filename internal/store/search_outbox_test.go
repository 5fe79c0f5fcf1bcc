package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/storetest"
)

// The search outbox and the indexer's lease, on both FerretDB backends.
func TestSearchOutbox(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgresql"} {
		t.Run(backend, func(t *testing.T) {
			var clock atomic.Int64
			clock.Store(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC).UnixNano())
			now := func() time.Time { return time.Unix(0, clock.Load()) }
			o := store.Options{Database: storetest.DatabaseName(), Logger: storetest.Logger(), Now: now}
			if backend == "sqlite" {
				o.DataDir = t.TempDir()
			} else {
				if err := storetest.EnsurePostgresDatabase(context.Background(), storetest.PostgresURL()); err != nil {
					t.Fatal(err)
				}
				o.PostgresURL = storetest.PostgresURL()
			}
			st := storetest.OpenWith(t, o)
			ob := st.SearchOutbox
			ctx := context.Background()

			for i, ref := range []string{"m1", "m2", "m3"} {
				if err := ob.Append(ctx, store.OutboxMessage, ref); err != nil {
					t.Fatal(err)
				}
				clock.Add(int64(time.Second) * int64(i+1))
			}
			n, oldest, err := ob.Lag(ctx)
			if err != nil || n != 3 || !oldest.Equal(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)) {
				t.Fatalf("lag: %d %v %v", n, oldest, err)
			}
			batch, err := ob.Batch(ctx, 2)
			if err != nil || len(batch) != 2 || batch[0].Ref != "m1" || batch[1].Ref != "m2" {
				t.Fatalf("batch: %+v %v", batch, err)
			}
			if err := ob.Remove(ctx, []string{batch[0].ID, batch[1].ID}); err != nil {
				t.Fatal(err)
			}
			rest, err := ob.Batch(ctx, 10)
			if err != nil || len(rest) != 1 || rest[0].Ref != "m3" {
				t.Fatalf("after remove: %+v %v", rest, err)
			}

			// A group commit's messages: one record per channel, in one write.
			clock.Add(int64(time.Second))
			chA, chB := model.ChannelID(model.NewID()), model.ChannelID(model.NewID())
			if err := ob.AppendMessages(ctx, map[model.ChannelID][]uint64{chA: {1, 2, 3}, chB: {7}}); err != nil {
				t.Fatal(err)
			}
			all, err := ob.Batch(ctx, 1000)
			if err != nil || len(all) != 3 {
				t.Fatalf("after AppendMessages: %+v %v", all, err)
			}
			got := map[string][]uint64{}
			var ids []string
			for _, r := range all {
				if r.Ref == "m3" {
					continue
				}
				if r.Kind != store.OutboxMessages {
					t.Fatalf("kind %q", r.Kind)
				}
				got[r.Ref] = r.Seqs
				ids = append(ids, r.ID)
			}
			if fmt.Sprint(got[string(chA)]) != "[1 2 3]" || fmt.Sprint(got[string(chB)]) != "[7]" {
				t.Fatalf("records %v", got)
			}
			if err := ob.Remove(ctx, ids); err != nil {
				t.Fatal(err)
			}
			if rest, err := ob.Batch(ctx, 10); err != nil || len(rest) != 1 || rest[0].Ref != "m3" {
				t.Fatalf("after removing them: %+v %v", rest, err)
			}

			// One holder at a time, whoever asks at once.
			var wg sync.WaitGroup
			var won atomic.Int32
			for _, h := range []string{"a", "b", "c", "d"} {
				wg.Go(func() {
					ok, err := ob.Lease(ctx, "search-indexer", h, 30*time.Second)
					if err != nil {
						t.Error(err)
					}
					if ok {
						won.Add(1)
					}
				})
			}
			wg.Wait()
			if won.Load() != 1 {
				t.Fatalf("%d holders of one lease", won.Load())
			}
			var holder string
			for _, h := range []string{"a", "b", "c", "d"} {
				if ok, _ := ob.Lease(ctx, "search-indexer", h, 30*time.Second); ok {
					holder = h
				}
			}
			other := "a"
			if holder == "a" {
				other = "b"
			}
			clock.Add(int64(20 * time.Second))
			if ok, _ := ob.Lease(ctx, "search-indexer", other, 30*time.Second); ok {
				t.Fatal("a lease was taken before it lapsed")
			}
			clock.Add(int64(31 * time.Second))
			if ok, err := ob.Lease(ctx, "search-indexer", other, 30*time.Second); !ok || err != nil {
				t.Fatalf("a lapsed lease was not taken over: %v", err)
			}
			if ok, _ := ob.Lease(ctx, "search-indexer", holder, 30*time.Second); ok {
				t.Fatal("the former holder took the lease back while the new one holds it")
			}
			if err := ob.Release(ctx, "search-indexer", other); err != nil {
				t.Fatal(err)
			}
			if ok, _ := ob.Lease(ctx, "search-indexer", holder, 30*time.Second); !ok {
				t.Fatal("a released lease was not free")
			}
		})
	}
}
