package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ecpts/ecpts/internal/model"
)

// TestFerretConditionalUpdateIsNotCompareAndSet records why protocol
// transitions claim a revision by inserting it (protocols.go) instead of
// updating the protocol "where status = old status": FerretDB v1 runs an
// update as read, filter and apply in Go, then write back by _id, so
// several concurrent updates filtered on the same old state all match and
// all report a modification. Eight updates race on one document, filtered
// on {status: relecture, rev: 1}, each setting status and incrementing
// rev; on FerretDB (both backends) more than one of them "wins" in some
// round (measured: 2 to 8 winners out of 8 in most rounds), and rev ends
// below 1 + winners (increments lost). It would fail, and say so, the day
// the backend makes such an update atomic.
func TestFerretConditionalUpdateIsNotCompareAndSet(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgresql"} {
		t.Run(backend, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			o := Options{Database: fmt.Sprintf("cas_%d", time.Now().UnixNano()), Logger: testLogger()}
			if backend == "sqlite" {
				o.DataDir = t.TempDir()
			} else {
				o.PostgresURL = testPostgresURL(t)
			}
			s, err := Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				_ = s.Drop(context.Background())
				_ = s.Close(context.Background())
			}()
			coll := s.db.Collection("cas_probe")
			const racers, rounds = 8, 40
			maxWinners, lostIncrements := 0, 0
			for r := 0; r < rounds && maxWinners < 2; r++ {
				id := model.NewID()
				if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "status", Value: "relecture"}, {Key: "rev", Value: 1}}); err != nil {
					t.Fatal(err)
				}
				var wins atomic.Int64
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i := range racers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						res, err := coll.UpdateOne(ctx,
							bson.D{{Key: "_id", Value: id}, {Key: "status", Value: "relecture"}, {Key: "rev", Value: 1}},
							bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: "valide"}, {Key: "by", Value: i}}}, {Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}}})
						if err != nil {
							t.Error(err)
							return
						}
						if res.ModifiedCount == 1 {
							wins.Add(1)
						}
					}()
				}
				close(start)
				wg.Wait()
				var doc struct {
					Rev int `bson:"rev"`
				}
				if err := coll.FindOne(ctx, byID(id)).Decode(&doc); err != nil {
					t.Fatal(err)
				}
				w := int(wins.Load())
				maxWinners = max(maxWinners, w)
				if doc.Rev < 1+w {
					lostIncrements++
				}
			}
			t.Logf("%s: up to %d of %d conditional updates reported a modification; increments lost in %d rounds", backend, maxWinners, racers, lostIncrements)
			if maxWinners < 2 {
				t.Fatalf("%s: the conditional update had one winner in each of %d rounds: FerretDB now behaves as a compare-and-set; revisit protocols.go", backend, rounds)
			}
		})
	}
}
