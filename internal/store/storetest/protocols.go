package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

func newProtocol(owner model.CPTSID, title string) model.Protocol {
	return model.Protocol{
		CPTSID: owner, Title: title, Status: model.ProtocolDraft,
		Missions:    []model.Mission{model.MissionParcours, model.MissionQualite},
		Professions: []model.Profession{"pharmacien", "medecin_generaliste"},
		ReviewDate:  "2027-03-01", Visibility: model.SharingCPTS, AuthorID: model.UserID(id()), CreatedAt: at(0),
	}
}

func newVersion(body string) model.ProtocolVersion {
	return model.ProtocolVersion{
		Body: body, HTML: "<p>" + body + "</p>", Text: body, AuthorID: model.UserID(id()), CreatedAt: at(0), Note: "Première rédaction",
	}
}

// storedProtocol is what the store gives back for p at revision rev.
func storedProtocol(p model.Protocol) model.Protocol {
	p.CreatedAt, p.UpdatedAt = ms(p.CreatedAt), ms(p.UpdatedAt)
	if p.ValidatedAt != nil {
		p.ValidatedAt = msPtr(*p.ValidatedAt)
	}
	for _, s := range []*[]model.UserID{&p.Reviewers} {
		if *s == nil {
			*s = []model.UserID{}
		}
	}
	if p.SharedWith == nil {
		p.SharedWith = []model.CPTSID{}
	}
	return p
}

func protocolIDs(ps []model.Protocol) []string {
	return ids(ps, func(p model.Protocol) model.ProtocolID { return p.ID })
}

func testProtocols(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("CreateGetAndFirstVersion", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		p := newProtocol(model.CPTSID(id()), "Cystite simple de la femme")
		v := newVersion("## Objet\nPrise en charge par le pharmacien.")
		got, err := s.Protocols.Create(ctx, p, v)
		must(t, err, "create")
		if !model.ValidID(string(got.ID)) {
			t.Fatalf("id %q", got.ID)
		}
		p.ID, p.Rev, p.CurrentVersion, p.UpdatedAt = got.ID, 1, 1, p.CreatedAt
		equal(t, got, storedProtocol(p), "Create result")
		back, err := s.Protocols.Get(ctx, got.ID)
		must(t, err, "get")
		equal(t, back, got, "Get")
		v1, err := s.ProtocolVersions.Get(ctx, got.ID, 1)
		must(t, err, "version 1")
		v.ProtocolID, v.N, v.CreatedAt = got.ID, 1, ms(v.CreatedAt)
		equal(t, v1, v, "version 1")
		list, err := s.ProtocolVersions.List(ctx, got.ID, 1)
		must(t, err, "list versions")
		v.Body, v.HTML, v.Text = "", "", ""
		equal(t, list, []model.ProtocolVersion{v}, "List, without bodies")
		evs, err := s.Protocols.Events(ctx, got.ID)
		must(t, err, "events")
		if len(evs) != 1 || evs[0].Kind != model.ProtocolEventCreated || evs[0].Version != 1 || evs[0].Rev != 1 || evs[0].ActorID != p.AuthorID {
			t.Fatalf("history after create: %+v", evs)
		}
		equal(t, evs[0].State, got, "state of the creation event")
		_, err = s.Protocols.Create(ctx, p, v)
		wantErr(t, err, model.ErrConflict, "same id twice")
		_, err = s.Protocols.Get(ctx, model.ProtocolID(id()))
		wantErr(t, err, model.ErrNotFound, "absent protocol")
		_, err = s.ProtocolVersions.Get(ctx, got.ID, 2)
		wantErr(t, err, model.ErrNotFound, "absent version")
		for _, bad := range []model.Protocol{
			{Title: "sans CPTS", Status: model.ProtocolDraft, Visibility: model.SharingCPTS},
			{CPTSID: p.CPTSID, Status: "validé", Visibility: model.SharingCPTS},
			{CPTSID: p.CPTSID, Status: model.ProtocolDraft, Visibility: "public"},
			{CPTSID: p.CPTSID, Status: model.ProtocolDraft, Visibility: model.SharingCPTS, ReviewDate: "01/03/2027"},
		} {
			if _, err := s.Protocols.Create(ctx, bad, v); err == nil {
				t.Fatalf("Create(%+v) accepted", bad)
			}
		}
	})
	t.Run("LifecycleTransitions", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		owner := model.CPTSID(id())
		p, err := s.Protocols.Create(ctx, newProtocol(owner, "AVK et INR"), newVersion("v1"))
		must(t, err, "create")
		author, coord, r1, r2 := p.AuthorID, model.UserID(id()), model.UserID(id()), model.UserID(id())
		// A new version.
		next := p
		next.CurrentVersion = 2
		v2 := newVersion("v2")
		v2.N, v2.AuthorID = 2, author
		p2, err := s.Protocols.Transition(ctx, p.ID, 1, store.ProtocolTransition{Kind: model.ProtocolEventEdited, ActorID: author, At: at(time.Hour), State: next, Version: &v2})
		must(t, err, "edit")
		if p2.Rev != 2 || p2.CurrentVersion != 2 || !p2.UpdatedAt.Equal(ms(at(time.Hour))) {
			t.Fatalf("after edit: %+v", p2)
		}
		got, err := s.ProtocolVersions.Get(ctx, p.ID, 2)
		must(t, err, "version 2")
		equal(t, got.Body, "v2", "version 2 body")
		// Submitted with two reviewers.
		next = p2
		next.Status, next.Reviewers = model.ProtocolInReview, []model.UserID{r1, r2}
		p3, err := s.Protocols.Transition(ctx, p.ID, 2, store.ProtocolTransition{Kind: model.ProtocolEventSubmitted, ActorID: author, At: at(2 * time.Hour), State: next})
		must(t, err, "submit")
		equal(t, p3.Reviewers, []model.UserID{r1, r2}, "reviewers")
		// Validated.
		next = p3
		validatedAt := at(3 * time.Hour)
		next.Status, next.ValidatedVersion, next.ValidatedAt, next.ValidatedBy = model.ProtocolValidated, 2, &validatedAt, coord
		// The owner, author and creation time stay what they were.
		next.CPTSID, next.AuthorID, next.CreatedAt = model.CPTSID(id()), coord, at(-time.Hour)
		p4, err := s.Protocols.Transition(ctx, p.ID, 3, store.ProtocolTransition{Kind: model.ProtocolEventValidated, ActorID: coord, At: validatedAt, State: next, Note: "Validé en bureau"})
		must(t, err, "validate")
		want := p3
		want.Rev, want.Status, want.ValidatedVersion, want.ValidatedAt, want.ValidatedBy, want.UpdatedAt = 4, model.ProtocolValidated, 2, msPtr(validatedAt), coord, ms(validatedAt)
		equal(t, p4, want, "after validation")
		back, err := s.Protocols.Get(ctx, p.ID)
		must(t, err, "get")
		equal(t, back, p4, "Get after validation")
		evs, err := s.Protocols.Events(ctx, p.ID)
		must(t, err, "events")
		var kinds []model.ProtocolEventKind
		for i, e := range evs {
			kinds = append(kinds, e.Kind)
			if e.Rev != i+1 || e.State.Rev != i+1 {
				t.Fatalf("event %d: rev %d, state rev %d", i, e.Rev, e.State.Rev)
			}
		}
		equal(t, kinds, []model.ProtocolEventKind{model.ProtocolEventCreated, model.ProtocolEventEdited, model.ProtocolEventSubmitted, model.ProtocolEventValidated}, "history")
		equal(t, evs[1].Version, 2, "the edit created version 2")
		equal(t, evs[3].Note, "Validé en bureau", "note")
		versions, err := s.ProtocolVersions.List(ctx, p.ID, p4.CurrentVersion)
		must(t, err, "versions")
		equal(t, len(versions), 2, "two versions")

		// Refused transitions.
		_, err = s.Protocols.Transition(ctx, p.ID, 3, store.ProtocolTransition{Kind: model.ProtocolEventArchived, ActorID: coord, At: at(4 * time.Hour), State: p4})
		wantErr(t, err, model.ErrConflict, "from a superseded revision")
		if _, err = s.Protocols.Transition(ctx, p.ID, 9, store.ProtocolTransition{Kind: model.ProtocolEventArchived, ActorID: coord, At: at(4 * time.Hour), State: p4}); err == nil || errors.Is(err, model.ErrConflict) {
			t.Fatalf("from a revision to come: %v, want a plain error", err)
		}
		_, err = s.Protocols.Transition(ctx, model.ProtocolID(id()), 1, store.ProtocolTransition{Kind: model.ProtocolEventArchived, State: p4})
		wantErr(t, err, model.ErrNotFound, "absent protocol")
		for name, tr := range map[string]store.ProtocolTransition{
			"created again":       {Kind: model.ProtocolEventCreated, State: p4},
			"unknown kind":        {Kind: "publié", State: p4},
			"version not next":    {Kind: model.ProtocolEventEdited, State: withVersion(p4, 4), Version: &model.ProtocolVersion{N: 4}},
			"version moved alone": {Kind: model.ProtocolEventUpdated, State: withVersion(p4, 3)},
			"validated beyond":    {Kind: model.ProtocolEventValidated, State: withValidated(p4, 3)},
			"unknown status":      {Kind: model.ProtocolEventUpdated, State: withStatus(p4, "perime")},
			"state and version ≠": {Kind: model.ProtocolEventEdited, State: p4, Version: &model.ProtocolVersion{N: 3}},
		} {
			if _, err := s.Protocols.Transition(ctx, p.ID, 4, tr); err == nil {
				t.Fatalf("%s: accepted", name)
			}
		}
		back, err = s.Protocols.Get(ctx, p.ID)
		must(t, err, "get after refusals")
		equal(t, back.Rev, 4, "no refused transition recorded")
	})
	t.Run("ConcurrentValidationsMakeOneTransition", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		for round := 0; round < 4; round++ {
			p, err := s.Protocols.Create(ctx, newProtocol(model.CPTSID(id()), "Plaies chroniques"), newVersion("v1"))
			must(t, err, "create")
			inReview := p
			inReview.Status, inReview.Reviewers = model.ProtocolInReview, []model.UserID{model.UserID(id())}
			p, err = s.Protocols.Transition(ctx, p.ID, 1, store.ProtocolTransition{Kind: model.ProtocolEventSubmitted, At: at(time.Minute), State: inReview})
			must(t, err, "submit")
			// Eight coordinators validate from the same revision.
			var won, lost atomic.Int64
			atOnce(8, func(i int) {
				next := p
				next.Status, next.ValidatedVersion, next.ValidatedBy = model.ProtocolValidated, 1, model.UserID(id())
				_, err := s.Protocols.Transition(ctx, p.ID, p.Rev, store.ProtocolTransition{Kind: model.ProtocolEventValidated, ActorID: next.ValidatedBy, At: at(time.Hour), State: next})
				switch {
				case err == nil:
					won.Add(1)
				case errors.Is(err, model.ErrConflict):
					lost.Add(1)
				default:
					t.Errorf("validate: %v", err)
				}
			})
			if won.Load() != 1 || lost.Load() != 7 {
				t.Fatalf("round %d: %d validations recorded, %d refused; want 1 and 7", round, won.Load(), lost.Load())
			}
			evs, err := s.Protocols.Events(ctx, p.ID)
			must(t, err, "events")
			equal(t, len(evs), 3, "created, submitted, validated")
			// The same through Apply and a rule: only a protocol in
			// relecture can be validated.
			errNotInReview := errors.New("not in relecture")
			q, err := s.Protocols.Create(ctx, newProtocol(p.CPTSID, "Chutes de la personne âgée"), newVersion("v1"))
			must(t, err, "create")
			q, err = s.Protocols.Transition(ctx, q.ID, 1, store.ProtocolTransition{Kind: model.ProtocolEventSubmitted, At: at(time.Minute), State: withStatus(q, model.ProtocolInReview)})
			must(t, err, "submit")
			won.Store(0)
			var refused atomic.Int64
			atOnce(6, func(int) {
				by := model.UserID(id())
				_, err := s.Protocols.Apply(ctx, q.ID, func(cur model.Protocol) (store.ProtocolTransition, error) {
					if cur.Status != model.ProtocolInReview {
						return store.ProtocolTransition{}, errNotInReview
					}
					next := cur
					next.Status, next.ValidatedVersion, next.ValidatedBy = model.ProtocolValidated, cur.CurrentVersion, by
					return store.ProtocolTransition{Kind: model.ProtocolEventValidated, ActorID: by, At: at(time.Hour), State: next}, nil
				})
				switch {
				case err == nil:
					won.Add(1)
				case errors.Is(err, errNotInReview):
					refused.Add(1)
				default:
					t.Errorf("apply: %v", err)
				}
			})
			if won.Load() != 1 || refused.Load() != 5 {
				t.Fatalf("round %d, Apply: %d validations, %d refused by the rule; want 1 and 5", round, won.Load(), refused.Load())
			}
			evs, err = s.Protocols.Events(ctx, q.ID)
			must(t, err, "events")
			equal(t, len(evs), 3, "Apply: created, submitted, validated")
		}
	})
	t.Run("ConcurrentChangesKeepHistoryAndDocumentInStep", func(t *testing.T) {
		// Six writers make four changes each through Apply: every one is
		// recorded once, revisions are contiguous, and the document ends
		// at the last state (a slow writer's older state never stays).
		s, ctx := open(t), ctxT(t)
		p, err := s.Protocols.Create(ctx, newProtocol(model.CPTSID(id()), "Sortie d'hospitalisation"), newVersion("v1"))
		must(t, err, "create")
		var wg sync.WaitGroup
		for w := 0; w < 6; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 4; i++ {
					_, err := s.Protocols.Apply(ctx, p.ID, func(cur model.Protocol) (store.ProtocolTransition, error) {
						next := cur
						next.Title = fmt.Sprintf("Sortie d'hospitalisation (%d.%d)", w, i)
						var v *model.ProtocolVersion
						if w%2 == 0 { // half of the changes are new versions
							next.CurrentVersion++
							nv := newVersion(fmt.Sprintf("texte %d.%d", w, i))
							nv.N = next.CurrentVersion
							v = &nv
						}
						kind := model.ProtocolEventUpdated
						if v != nil {
							kind = model.ProtocolEventEdited
						}
						return store.ProtocolTransition{Kind: kind, At: at(time.Duration(i) * time.Minute), State: next, Version: v}, nil
					})
					if err != nil {
						t.Errorf("apply: %v", err)
					}
				}
			}()
		}
		wg.Wait()
		// The document as stored, before Get brings it up to date.
		docs, err := s.Protocols.ByIDs(ctx, []model.ProtocolID{p.ID})
		must(t, err, "by ids")
		got, err := s.Protocols.Get(ctx, p.ID)
		must(t, err, "get")
		evs, err := s.Protocols.Events(ctx, p.ID)
		must(t, err, "events")
		if got.Rev != 25 || len(evs) != 25 || got.CurrentVersion != 13 {
			t.Fatalf("rev %d, %d events, version %d; want 25, 25, 13", got.Rev, len(evs), got.CurrentVersion)
		}
		equal(t, got, evs[24].State, "Get is the last event's state")
		equal(t, docs[0], got, "the document is the last state")
		versions, err := s.ProtocolVersions.List(ctx, p.ID, got.CurrentVersion)
		must(t, err, "versions")
		equal(t, len(versions), 13, "every version written once")
		repaired, err := s.Protocols.RepairAll(ctx)
		must(t, err, "repair all")
		equal(t, repaired, 0, "nothing to repair")
	})
	t.Run("Library", func(t *testing.T) { testLibrary(t, open) })
}

func withStatus(p model.Protocol, st model.ProtocolStatus) model.Protocol { p.Status = st; return p }
func withVersion(p model.Protocol, n int) model.Protocol                  { p.CurrentVersion = n; return p }
func withValidated(p model.Protocol, n int) model.Protocol                { p.ValidatedVersion = n; return p }

func testLibrary(t *testing.T, open func(t *testing.T) *store.Store) {
	s, ctx := open(t), ctxT(t)
	ln, vc, tv, other := model.CPTSID(id()), model.CPTSID(id()), model.CPTSID(id()), model.CPTSID(id())
	mk := func(owner model.CPTSID, title string, st model.ProtocolStatus, vis model.Sharing, shared []model.CPTSID, review model.Date, m model.Mission, prof model.Profession) model.Protocol {
		t.Helper()
		p := newProtocol(owner, title)
		p.Visibility, p.SharedWith, p.ReviewDate = vis, shared, review
		p.Missions, p.Professions = []model.Mission{m}, []model.Profession{prof, "infirmier"}
		got, err := s.Protocols.Create(ctx, p, newVersion(title))
		must(t, err, "create")
		if st != model.ProtocolDraft {
			got, err = s.Protocols.Transition(ctx, got.ID, 1, store.ProtocolTransition{Kind: model.ProtocolEventSubmitted, At: at(time.Minute), State: withStatus(got, st)})
			must(t, err, "status")
		}
		return got
	}
	cystite := mk(ln, "Cystite simple", model.ProtocolValidated, model.SharingListed, []model.CPTSID{vc, ln}, "2026-04-01", model.MissionAcces, "pharmacien")
	equipe := mk(ln, "Équipe mobile", model.ProtocolDraft, model.SharingCPTS, nil, "", model.MissionParcours, "medecin_generaliste")
	depistage := mk(ln, "Dépistage BPCO", model.ProtocolInReview, model.SharingPlatform, nil, "2030-01-01", model.MissionPrevention, "masseur_kinesitherapeute")
	fragilite := mk(vc, "Fragilité", model.ProtocolValidated, model.SharingCPTS, nil, "2026-03-20", model.MissionParcours, "pharmacien")
	avk := mk(tv, "AVK", model.ProtocolArchived, model.SharingListed, []model.CPTSID{other}, "", model.MissionQualite, "infirmier")
	grippe := mk(other, "Vaccination antigrippale", model.ProtocolValidated, model.SharingPlatform, nil, "2026-05-01", model.MissionPrevention, "infirmier")
	list := func(q store.ProtocolQuery) []string {
		t.Helper()
		page, err := s.Protocols.List(ctx, q)
		must(t, err, "list")
		if page.Total < len(page.Items) {
			t.Fatalf("total %d < %d items", page.Total, len(page.Items))
		}
		return protocolIDs(page.Items)
	}
	idsOf := func(ps ...model.Protocol) []string { return protocolIDs(ps) }
	// Ordered by folded title: Cystite, Dépistage, Équipe, Fragilité…
	equal(t, list(store.ProtocolQuery{Viewer: []model.CPTSID{ln}}), idsOf(cystite, depistage, equipe, grippe), "seen from Loire Nord")
	equal(t, list(store.ProtocolQuery{Viewer: []model.CPTSID{vc}}), idsOf(cystite, depistage, fragilite, grippe), "seen from Val de Cher (shared, platform)")
	equal(t, list(store.ProtocolQuery{Viewer: []model.CPTSID{tv}}), idsOf(avk, depistage, grippe), "seen from a third CPTS")
	equal(t, list(store.ProtocolQuery{}), idsOf(depistage, grippe), "seen by a member of no CPTS: platform only")
	equal(t, list(store.ProtocolQuery{Viewer: []model.CPTSID{ln, vc}}), idsOf(cystite, depistage, equipe, fragilite, grippe), "member of two CPTS, each once")
	equal(t, list(store.ProtocolQuery{Viewer: []model.CPTSID{ln, vc}, Owners: []model.CPTSID{vc}}), idsOf(fragilite), "owned by Val de Cher")
	equal(t, list(store.ProtocolQuery{Viewer: []model.CPTSID{ln, vc}, Mission: model.MissionParcours}), idsOf(equipe, fragilite), "mission parcours")
	equal(t, list(store.ProtocolQuery{Viewer: []model.CPTSID{ln, vc}, Profession: "pharmacien"}), idsOf(cystite, fragilite), "target pharmacien")
	equal(t, list(store.ProtocolQuery{Viewer: []model.CPTSID{ln, vc}, Statuses: []model.ProtocolStatus{model.ProtocolValidated}}), idsOf(cystite, fragilite, grippe), "validated")
	equal(t, list(store.ProtocolQuery{Viewer: []model.CPTSID{ln, vc}, Statuses: []model.ProtocolStatus{model.ProtocolDraft, model.ProtocolInReview}}), idsOf(depistage, equipe), "draft or in review")
	equal(t, list(store.ProtocolQuery{Viewer: []model.CPTSID{ln, vc, tv}, ReviewDueBefore: "2026-04-13"}), idsOf(cystite, fragilite), "review due within 30 days of 14 March 2026")
	equal(t, list(store.ProtocolQuery{Viewer: []model.CPTSID{ln}, Owners: []model.CPTSID{ln}, ReviewDueBefore: "2026-04-13", Statuses: []model.ProtocolStatus{model.ProtocolValidated}}), idsOf(cystite), "the owner's home page")
	equal(t, list(store.ProtocolQuery{Viewer: []model.CPTSID{ln}, Mission: model.MissionCrise}), []string{}, "no match")
	// Pages of two cover the list once.
	paged := allPages(t, 5, func(after string) ([]string, int, string, error) {
		page, err := s.Protocols.List(ctx, store.ProtocolQuery{Viewer: []model.CPTSID{ln, vc}, After: after, Limit: 2})
		return protocolIDs(page.Items), page.Total, page.Next, err
	})
	equal(t, paged, idsOf(cystite, depistage, equipe, fragilite, grippe), "pages of two")
	_, err := s.Protocols.List(ctx, store.ProtocolQuery{Viewer: []model.CPTSID{ln}, After: "pas-un-curseur"})
	var invalid *model.InvalidError
	if !errors.As(err, &invalid) {
		t.Fatalf("bad cursor: %v, want *model.InvalidError", err)
	}
	// Unsharing removes it from Val de Cher's library.
	next := cystite
	next.Visibility, next.SharedWith = model.SharingCPTS, nil
	_, err = s.Protocols.Transition(ctx, cystite.ID, cystite.Rev, store.ProtocolTransition{Kind: model.ProtocolEventUpdated, At: at(time.Hour), State: next})
	must(t, err, "unshare")
	equal(t, list(store.ProtocolQuery{Viewer: []model.CPTSID{vc}}), idsOf(depistage, fragilite, grippe), "after unsharing")
}

func testProtocolReviewsAndAcks(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("Reviews", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		p := model.ProtocolID(id())
		r1, r2, r3 := model.UserID(id()), model.UserID(id()), model.UserID(id())
		rev := func(u model.UserID, v int, d model.ReviewDecision, dt time.Duration) model.ProtocolReview {
			return model.ProtocolReview{ProtocolID: p, Version: v, ReviewerID: u, Decision: d, Comment: "Préciser les critères d'exclusion", At: at(dt)}
		}
		must(t, s.ProtocolReviews.Insert(ctx, rev(r1, 1, model.ReviewChangesRequested, 0)), "r1 v1")
		must(t, s.ProtocolReviews.Insert(ctx, rev(r2, 1, model.ReviewApprove, time.Second)), "r2 v1")
		must(t, s.ProtocolReviews.Insert(ctx, rev(r1, 2, model.ReviewApprove, 2*time.Second)), "r1 v2")
		wantErr(t, s.ProtocolReviews.Insert(ctx, rev(r1, 2, model.ReviewChangesRequested, 3*time.Second)), model.ErrConflict, "r1 decides twice on v2")
		if err := s.ProtocolReviews.Insert(ctx, rev(r3, 2, "peut-être", 0)); err == nil {
			t.Fatal("unknown decision accepted")
		}
		v1, err := s.ProtocolReviews.ByVersion(ctx, p, 1)
		must(t, err, "by version")
		want1 := []model.ProtocolReview{rev(r1, 1, model.ReviewChangesRequested, 0), rev(r2, 1, model.ReviewApprove, time.Second)}
		for i := range want1 {
			want1[i].At = ms(want1[i].At)
		}
		equal(t, v1, want1, "ByVersion")
		all, err := s.ProtocolReviews.ByProtocol(ctx, p)
		must(t, err, "by protocol")
		equal(t, len(all), 3, "ByProtocol")
		of, err := s.ProtocolReviews.Of(ctx, p, 2, []model.UserID{r1, r2, r3})
		must(t, err, "of")
		if len(of) != 1 || of[r1].Decision != model.ReviewApprove {
			t.Fatalf("Of v2: %+v", of)
		}
	})
	t.Run("ReviewerApprovingTwiceAtOnce", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		p, r := model.ProtocolID(id()), model.UserID(id())
		var won, conflict atomic.Int64
		atOnce(6, func(i int) {
			d := model.ReviewApprove
			if i%2 == 1 {
				d = model.ReviewChangesRequested
			}
			err := s.ProtocolReviews.Insert(ctx, model.ProtocolReview{ProtocolID: p, Version: 1, ReviewerID: r, Decision: d, At: at(0)})
			switch {
			case err == nil:
				won.Add(1)
			case errors.Is(err, model.ErrConflict):
				conflict.Add(1)
			default:
				t.Errorf("insert: %v", err)
			}
		})
		got, err := s.ProtocolReviews.ByVersion(ctx, p, 1)
		must(t, err, "by version")
		if won.Load() != 1 || conflict.Load() != 5 || len(got) != 1 {
			t.Fatalf("%d decisions recorded, %d refused, %d stored; want 1, 5, 1", won.Load(), conflict.Load(), len(got))
		}
	})
	t.Run("Acknowledgements", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		p1, p2 := model.ProtocolID(id()), model.ProtocolID(id())
		u1, u2, u3 := model.UserID(id()), model.UserID(id()), model.UserID(id())
		ack := func(p model.ProtocolID, v int, u model.UserID, d time.Duration) model.ProtocolAck {
			return model.ProtocolAck{ProtocolID: p, Version: v, UserID: u, At: at(d)}
		}
		must(t, s.ProtocolAcks.Insert(ctx, ack(p1, 2, u1, 0)), "u1 p1 v2")
		must(t, s.ProtocolAcks.Insert(ctx, ack(p1, 2, u2, time.Second)), "u2 p1 v2")
		must(t, s.ProtocolAcks.Insert(ctx, ack(p1, 3, u1, 2*time.Second)), "u1 p1 v3")
		must(t, s.ProtocolAcks.Insert(ctx, ack(p2, 1, u1, 0)), "u1 p2 v1")
		wantErr(t, s.ProtocolAcks.Insert(ctx, ack(p1, 2, u1, time.Hour)), model.ErrConflict, "twice")
		if err := s.ProtocolAcks.Insert(ctx, ack(p1, 0, u3, 0)); err == nil {
			t.Fatal("version 0 accepted")
		}
		by, err := s.ProtocolAcks.ByVersion(ctx, p1, 2)
		must(t, err, "by version")
		equal(t, by, []model.ProtocolAck{
			{ProtocolID: p1, Version: 2, UserID: u1, At: ms(at(0))},
			{ProtocolID: p1, Version: 2, UserID: u2, At: ms(at(time.Second))},
		}, "ByVersion")
		of, err := s.ProtocolAcks.Of(ctx, p1, 3, []model.UserID{u1, u2, u3})
		must(t, err, "of")
		if len(of) != 1 || of[u1].Version != 3 {
			t.Fatalf("Of v3: %+v", of)
		}
		mine, err := s.ProtocolAcks.ByUser(ctx, u2, []model.ProtocolVersionRef{{ProtocolID: p1, Version: 3}, {ProtocolID: p2, Version: 1}, {ProtocolID: model.ProtocolID(id())}})
		must(t, err, "by user")
		equal(t, len(mine), 0, "u2 acknowledged neither current version")
		mine, err = s.ProtocolAcks.ByUser(ctx, u1, []model.ProtocolVersionRef{{ProtocolID: p1, Version: 3}, {ProtocolID: p2, Version: 1}})
		must(t, err, "by user")
		equal(t, len(mine), 2, "u1 acknowledged both")
	})
}
