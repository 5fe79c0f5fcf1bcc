package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/storetest"
)

// reportP99 runs op b.N times and reports, besides ns/op, the 99th
// percentile latency in milliseconds.
func reportP99(b *testing.B, op func() error) {
	b.Helper()
	var ds []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	if len(ds) > 0 {
		b.ReportMetric(float64(ds[(len(ds)*99)/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkProtocolList measures the library query with 1,000 protocols
// stored: "spread" puts them in 20 CPTS (one in ten platform-wide, one in
// ten shared with another CPTS) and lists what a member of one CPTS sees
// (about 150); "one-cpts" puts all 1,000 in the member's CPTS (the worst
// case: every one matches). First page of 50, and the same filtered on
// status valide.
//
//	go test ./internal/store/ -run '^$' -bench BenchmarkProtocolList -benchtime 50x
func BenchmarkProtocolList(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgresql"} {
		for _, layout := range []string{"spread", "one-cpts"} {
			b.Run(backend+"/"+layout, func(b *testing.B) {
				s := storetest.OpenTest(b, backend)
				ctx := context.Background()
				cpts := make([]model.CPTSID, 20)
				for i := range cpts {
					cpts[i] = model.CPTSID(model.NewID())
				}
				missions := []model.Mission{model.MissionAcces, model.MissionParcours, model.MissionPrevention, model.MissionQualite}
				statuses := []model.ProtocolStatus{model.ProtocolDraft, model.ProtocolInReview, model.ProtocolValidated, model.ProtocolArchived}
				for i := 0; i < 1000; i++ {
					owner := cpts[0]
					if layout == "spread" {
						owner = cpts[i%len(cpts)]
					}
					p := model.Protocol{
						CPTSID: owner, Title: fmt.Sprintf("Protocole %04d", i), Status: statuses[(i/20)%4],
						Missions: []model.Mission{missions[i%4]}, Professions: []model.Profession{"pharmacien", "infirmier"},
						ReviewDate: model.DateFor(2026, time.Month(1+i%12), 1), Visibility: model.SharingCPTS,
						AuthorID: model.UserID(model.NewID()), CreatedAt: time.Now(),
					}
					switch i % 10 {
					case 3:
						p.Visibility = model.SharingPlatform
					case 7:
						p.Visibility, p.SharedWith = model.SharingListed, []model.CPTSID{cpts[(i+1)%len(cpts)]}
					}
					if _, err := s.Protocols.Create(ctx, p, model.ProtocolVersion{Body: "texte", HTML: "<p>texte</p>", Text: "texte", CreatedAt: time.Now()}); err != nil {
						b.Fatal(err)
					}
				}
				for _, q := range []struct {
					name string
					q    store.ProtocolQuery
				}{
					{"all", store.ProtocolQuery{Viewer: []model.CPTSID{cpts[0]}}},
					{"validated", store.ProtocolQuery{Viewer: []model.CPTSID{cpts[0]}, Statuses: []model.ProtocolStatus{model.ProtocolValidated}}},
				} {
					b.Run(q.name, func(b *testing.B) {
						reportP99(b, func() error {
							page, err := s.Protocols.List(ctx, q.q)
							if err == nil && len(page.Items) == 0 {
								err = fmt.Errorf("empty page")
							}
							return err
						})
					})
				}
			})
		}
	}
}

// BenchmarkFeedPage measures a feed page: 1,000 posts in the feed (a
// Markdown body of about 1 KB each, 7 pinned) among 1,000 posts of other
// feeds; the first page (pins and 20 posts) and a page far back.
//
//	go test ./internal/store/ -run '^$' -bench BenchmarkFeedPage -benchtime 50x
func BenchmarkFeedPage(b *testing.B) {
	body := ""
	for len(body) < 1000 {
		body += "Réunion du bureau : ordre du jour, soins non programmés, parcours BPCO. "
	}
	for _, backend := range []string{"sqlite", "postgresql"} {
		b.Run(backend, func(b *testing.B) {
			s := storetest.OpenTest(b, backend)
			ctx := context.Background()
			feed := model.CPTSFeed(model.CPTSID(model.NewID()))
			others := []model.FeedScope{model.CPTSFeed(model.CPTSID(model.NewID())), model.GroupFeed(model.GroupID(model.NewID()))}
			for i := 0; i < 2000; i++ {
				sc := feed
				if i%2 == 1 {
					sc = others[i%4/2]
				}
				p, err := s.Posts.Insert(ctx, model.Post{
					CPTSID: sc.CPTSID, GroupID: sc.GroupID, Kind: model.PostAnnouncement, Title: fmt.Sprintf("Annonce %d", i),
					Body: body, HTML: "<p>" + body + "</p>", Text: body, AuthorID: model.UserID(model.NewID()),
					CommentsChannel: model.ChannelID(model.NewID()), CreatedAt: time.Now(),
				})
				if err != nil {
					b.Fatal(err)
				}
				if sc == feed && i%300 == 0 {
					if err := s.Posts.Pin(ctx, p.ID, p.AuthorID, time.Now()); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.Run("first", func(b *testing.B) {
				reportP99(b, func() error {
					page, err := s.Posts.Feed(ctx, feed, 0, 20)
					if err == nil && (len(page.Posts) != 20 || len(page.Pinned) != 7) {
						err = fmt.Errorf("%d posts, %d pinned", len(page.Posts), len(page.Pinned))
					}
					return err
				})
			})
			b.Run("far-back", func(b *testing.B) {
				reportP99(b, func() error {
					page, err := s.Posts.Feed(ctx, feed, 100, 20)
					if err == nil && len(page.Posts) != 20 {
						err = fmt.Errorf("%d posts", len(page.Posts))
					}
					return err
				})
			})
		})
	}
}

// BenchmarkMaterialList measures the prevention materials query with
// 1,000 materials in 20 CPTS (one in five platform-wide): what a member
// of one CPTS sees (about 250), first page of 50, all themes and one.
//
//	go test ./internal/store/ -run '^$' -bench BenchmarkMaterialList -benchtime 50x
func BenchmarkMaterialList(b *testing.B) {
	themes := []model.Theme{model.ThemeTabac, model.ThemeAlcool, model.ThemeVaccination, model.ThemeChutes, model.ThemeNutrition}
	for _, backend := range []string{"sqlite", "postgresql"} {
		b.Run(backend, func(b *testing.B) {
			s := storetest.OpenTest(b, backend)
			ctx := context.Background()
			cpts := make([]model.CPTSID, 20)
			for i := range cpts {
				cpts[i] = model.CPTSID(model.NewID())
			}
			for i := 0; i < 1000; i++ {
				m := model.Material{
					CPTSID: cpts[i%len(cpts)], Title: fmt.Sprintf("Affiche %d", i), Description: "Affiche pour la salle d'attente",
					Kind: model.MaterialLink, URL: "https://www.example.org/affiche", Theme: themes[i%len(themes)],
					Audience: model.AudiencePatients, Language: "fr", Visibility: model.SharingCPTS,
					AuthorID: model.UserID(model.NewID()), CreatedAt: time.Now(),
				}
				if i%5 == 1 {
					m.Visibility = model.SharingPlatform
				}
				if _, err := s.Materials.Insert(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
			for _, q := range []struct {
				name string
				q    store.MaterialQuery
			}{
				{"all", store.MaterialQuery{Viewer: []model.CPTSID{cpts[0]}}},
				{"theme", store.MaterialQuery{Viewer: []model.CPTSID{cpts[0]}, Theme: model.ThemeAlcool}},
			} {
				b.Run(q.name, func(b *testing.B) {
					reportP99(b, func() error {
						page, err := s.Materials.List(ctx, q.q)
						if err == nil && len(page.Items) == 0 {
							err = fmt.Errorf("empty page")
						}
						return err
					})
				})
			}
		})
	}
}
