package core

import (
	"fmt"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store/storetest"
)

// BenchmarkCoreProtocolList: GET /protocols as core answers it (actor,
// library query, views with owner names and the caller's
// acknowledgements) with 1,000 protocols stored in the caller's CPTS, half
// of them validated; the first page of 50, all and filtered on a
// profession with review due.
//
//	go test ./internal/core/ -run '^$' -bench BenchmarkCoreProtocolList -benchtime 30x
func BenchmarkCoreProtocolList(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgresql"} {
		b.Run(backend, func(b *testing.B) {
			st := storetest.OpenTest(b, backend)
			c, ctx := runningCore(b, st)
			s, _ := benchChannel(b, st)
			ms, err := st.Memberships.ByUser(ctx, s.UserID)
			if err != nil || len(ms) != 1 {
				b.Fatal(ms, err)
			}
			owner := ms[0].CPTSID
			statuses := []model.ProtocolStatus{model.ProtocolDraft, model.ProtocolInReview, model.ProtocolValidated, model.ProtocolValidated}
			now := time.Now().UTC()
			for i := 0; i < 1000; i++ {
				p := model.Protocol{
					CPTSID: owner, Title: fmt.Sprintf("Protocole %04d", i), Status: statuses[i%4],
					Professions: []model.Profession{[]model.Profession{"pharmacien", "infirmier", "medecin_generaliste"}[i%3]},
					ReviewDate:  model.DateOf(now.AddDate(0, 0, i%400)), Visibility: model.SharingCPTS,
					AuthorID: s.UserID, CreatedAt: now,
				}
				if p.Status == model.ProtocolValidated {
					p.ValidatedVersion = 1
				}
				if _, err := st.Protocols.Create(ctx, p, model.ProtocolVersion{Body: "texte", HTML: "<p>texte</p>", Text: "texte", CreatedAt: now}); err != nil {
					b.Fatal(err)
				}
			}
			for _, q := range []struct {
				name string
				f    ProtocolFilter
			}{
				{"all", ProtocolFilter{CPTSID: owner}},
				{"profession-review-due", ProtocolFilter{CPTSID: owner, Profession: "pharmacien", ReviewDue: true}},
			} {
				b.Run(q.name, func(b *testing.B) {
					lat := make([]time.Duration, 0, b.N)
					for b.Loop() {
						t0 := time.Now()
						page, err := c.ListProtocols(ctx, s, q.f)
						if err != nil || len(page.Items) == 0 {
							b.Fatal(len(page.Items), err)
						}
						lat = append(lat, time.Since(t0))
					}
					reportLatency(b, lat)
				})
			}
		})
	}
}
