package store_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/storetest"
)

func openFerretSQLite(t *testing.T) *store.Store   { return storetest.OpenTest(t, "sqlite") }
func openFerretPostgres(t *testing.T) *store.Store { return storetest.OpenTest(t, "postgresql") }

func TestFerretSQLite(t *testing.T) { storetest.Run(t, openFerretSQLite) }

// TestFerretPostgres fails (never skips) when PostgreSQL is unreachable:
// ECPTS_TEST_POSTGRES_URL, default storetest.DefaultPostgresURL.
func TestFerretPostgres(t *testing.T) { storetest.Run(t, openFerretPostgres) }

// TestMongo runs the suite on a real MongoDB when ECPTS_MONGO_URL is set.
func TestMongo(t *testing.T) {
	url := os.Getenv("ECPTS_MONGO_URL")
	if url == "" {
		t.Log("ECPTS_MONGO_URL unset: real MongoDB suite not run")
		return
	}
	storetest.Run(t, func(t *testing.T) *store.Store {
		return storetest.OpenWith(t, store.Options{MongoURL: url, Database: storetest.DatabaseName(), Logger: storetest.Logger()})
	})
}

// BenchmarkChannelsForUser measures the sidebar query: the channels of a
// user in 50 channels (ChannelMembers.ByUser then Channels.ByIDs), with a
// few thousand unrelated rows in both collections.
func BenchmarkChannelsForUser(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgresql"} {
		b.Run(backend, func(b *testing.B) {
			s := storetest.OpenTest(b, backend)
			ctx := context.Background()
			user := model.UserID(model.NewID())
			const (
				mine       = 50
				otherChans = 1000
				otherRows  = 3000
			)
			var chans []model.ChannelID
			c := model.CPTSID(model.NewID())
			for i := range mine + otherChans {
				ch := model.Channel{
					ID: model.ChannelID(model.NewID()), Name: fmt.Sprintf("canal %04d", i),
					Kind: model.KindStandard, Visibility: model.VisibilityPublic, CPTSID: c, CreatedAt: time.Now(),
				}
				if err := s.Channels.Insert(ctx, ch); err != nil {
					b.Fatal(err)
				}
				chans = append(chans, ch.ID)
				if i < mine {
					if err := s.ChannelMembers.Insert(ctx, model.ChannelMember{ChannelID: ch.ID, UserID: user, JoinedAt: time.Now()}); err != nil {
						b.Fatal(err)
					}
				}
			}
			for i := range otherRows {
				m := model.ChannelMember{ChannelID: chans[i%len(chans)], UserID: model.UserID(model.NewID()), JoinedAt: time.Now()}
				if err := s.ChannelMembers.Insert(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				ms, err := s.ChannelMembers.ByUser(ctx, user)
				if err != nil {
					b.Fatal(err)
				}
				ids := make([]model.ChannelID, 0, len(ms))
				for _, m := range ms {
					ids = append(ids, m.ChannelID)
				}
				got, err := s.Channels.ByIDs(ctx, ids)
				if err != nil {
					b.Fatal(err)
				}
				if len(got) != mine {
					b.Fatalf("got %d channels, want %d", len(got), mine)
				}
			}
		})
	}
}
