package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/storetest"
)

// feedFixture makes a CPTS with a coordinator and n members; it returns
// the coordinator's session and the members'.
func feedFixture(tb testing.TB, st *store.Store, n int) (model.CPTSID, model.Session, []model.Session) {
	ctx := context.Background()
	now := time.Now().UTC()
	x := model.CPTS{ID: model.CPTSID(model.NewID()), Name: "CPTS " + model.NewID(), Department: "42", Status: "active", CreatedAt: now}
	if err := st.CPTS.Insert(ctx, x); err != nil {
		tb.Fatal(err)
	}
	add := func(role model.Role, prof model.Profession) model.Session {
		u := model.User{ID: model.UserID(model.NewID()), Email: model.NewID() + "@exemple.fr", Name: "Pro " + model.NewID()[:6], Profession: prof, CreatedAt: now}
		if err := st.Users.Insert(ctx, u); err != nil {
			tb.Fatal(err)
		}
		if err := st.Memberships.Insert(ctx, model.Membership{CPTSID: x.ID, UserID: u.ID, Role: role, Status: model.StatusActive, CreatedAt: now}); err != nil {
			tb.Fatal(err)
		}
		return model.Session{UserID: u.ID}
	}
	coord := add(model.RoleCoordinateur, "medecin_generaliste")
	var members []model.Session
	for i := range n {
		members = append(members, add(model.RoleMembre, []model.Profession{"infirmier", "pharmacien", "masseur_kinesitherapeute"}[i%3]))
	}
	return x.ID, coord, members
}

// TestRSVPRace: members racing for the last seats of an event, on both
// FerretDB backends: exactly capacity of them get one, the others are told
// the event is full, and the counts agree.
func TestRSVPRace(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgresql"} {
		t.Run(backend, func(t *testing.T) {
			st := storetest.OpenTest(t, backend)
			c, ctx := runningCore(t, st)
			cpts, coord, members := feedFixture(t, st, 8)
			start := time.Now().Add(48 * time.Hour)
			p, err := c.PublishPost(ctx, coord, PostInput{CPTSID: cpts, Kind: model.PostEvent, Title: "Formation",
				Event: &EventInput{StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(time.Hour).Format(time.RFC3339), Place: "Roanne", Capacity: 3}})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, len(members))
			for i, m := range members {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = c.RSVP(ctx, m, p.ID, model.RSVPYes)
				}()
			}
			wg.Wait()
			got, full := 0, 0
			for _, err := range errs {
				switch {
				case err == nil:
					got++
				case errors.Is(err, errEventFull):
					full++
				default:
					t.Fatal(err)
				}
			}
			if got != 3 || full != 5 {
				t.Fatalf("%d seats given, %d refused; want 3 and 5", got, full)
			}
			v, err := c.GetPost(ctx, coord, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if v.RSVP == nil || v.RSVP.Yes != 3 || v.SeatsLeft == nil || *v.SeatsLeft != 0 {
				t.Fatalf("after the race: counts %+v, seats left %v", v.RSVP, v.SeatsLeft)
			}
		})
	}
}

// BenchmarkFeedPage measures ListFeed (what GET /api/v1/posts answers) on
// a feed of 1,000 posts (one in five an event with answers, one in ten
// reacted to, three pinned): the first page of 20 with the pinned posts,
// and a page far back (before seq 100).
//
//	go test ./internal/core -run '^$' -bench BenchmarkFeedPage -benchtime 200x
func BenchmarkFeedPage(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgresql"} {
		b.Run(backend, func(b *testing.B) {
			st := storetest.OpenTest(b, backend)
			c, ctx := runningCore(b, st)
			cpts, coord, members := feedFixture(b, st, 5)
			scope := model.CPTSFeed(cpts)
			now := time.Now().UTC()
			for i := range 1000 {
				p := model.Post{CPTSID: cpts, Kind: model.PostAnnouncement, Title: fmt.Sprintf("Annonce %d", i),
					Body: "Texte de l'annonce", HTML: "<p>Texte de l'annonce</p>", Text: "Texte de l'annonce",
					AuthorID: coord.UserID, CommentsChannel: model.ChannelID(model.NewID()), CreatedAt: now}
				if i%5 == 0 {
					p.Kind = model.PostEvent
					p.Event = &model.EventInfo{StartsAt: now.Add(time.Duration(i) * time.Hour), EndsAt: now.Add(time.Duration(i+1) * time.Hour), Place: "Roanne", Capacity: 20}
				}
				stored, err := st.Posts.Insert(ctx, p)
				if err != nil {
					b.Fatal(err)
				}
				if p.Event != nil {
					for j, m := range members[:2] {
						if _, err := st.RSVPs.Set(ctx, model.RSVP{PostID: stored.ID, UserID: m.UserID, Answer: []model.RSVPAnswer{model.RSVPYes, model.RSVPMaybe}[j], At: now}, 20); err != nil {
							b.Fatal(err)
						}
					}
				}
				if i%10 == 0 {
					if _, err := st.PostReactions.Add(ctx, stored.ID, members[0].UserID, "👍", now); err != nil {
						b.Fatal(err)
					}
				}
				if i == 10 || i == 500 || i == 990 {
					if err := st.Posts.Pin(ctx, stored.ID, coord.UserID, now); err != nil {
						b.Fatal(err)
					}
				}
			}
			for _, pg := range []struct {
				name   string
				before uint64
			}{{"first", 0}, {"far", 100}} {
				b.Run(pg.name, func(b *testing.B) {
					lat := make([]time.Duration, 0, b.N)
					for b.Loop() {
						t0 := time.Now()
						page, err := c.ListFeed(ctx, members[2], scope, pg.before, 20)
						if err != nil {
							b.Fatal(err)
						}
						if len(page.Posts) != 20 || pg.before == 0 && len(page.Pinned) != 3 {
							b.Fatalf("page of %d posts, %d pinned", len(page.Posts), len(page.Pinned))
						}
						lat = append(lat, time.Since(t0))
					}
					reportLatency(b, lat)
				})
			}
		})
	}
}
