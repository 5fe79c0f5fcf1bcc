package storetest

import (
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

// Issue 13: CPTS edits, pending members, membership counts, title forms
// and set-password links.
func testIssue13(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("CPTSUpdate", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		a, b := newCPTS("CPTS Amont"), newCPTS("CPTS Aval")
		must(t, s.CPTS.Insert(ctx, a), "insert a")
		must(t, s.CPTS.Insert(ctx, b), "insert b")
		a.Name, a.Department, a.Communes, a.Status, a.Missions = "CPTS Amont-Loire", "45", []string{"Gien"}, "projet", []model.Mission{model.MissionCrise}
		must(t, s.CPTS.Update(ctx, a), "update")
		wantRead(t, "by id", "after Update", stored(a))(s.CPTS.ByID(ctx, a.ID))
		b.Name = "cpts amont-loire"
		wantErr(t, s.CPTS.Update(ctx, b), model.ErrConflict, "Update to another CPTS's name")
		x := newCPTS("CPTS Fantôme")
		wantErr(t, s.CPTS.Update(ctx, x), model.ErrNotFound, "Update of an unknown CPTS")
	})
	t.Run("PendingCountsAndDeletePending", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		c1, c2 := model.CPTSID(id()), model.CPTSID(id())
		u1, u2, u3 := model.UserID(id()), model.UserID(id()), model.UserID(id())
		insertAll(t, ctx, s.Memberships.Insert,
			newMembership(c1, u1, model.RoleCoordinateur, model.StatusActive, at(0)),
			newMembership(c1, u2, model.RoleMembre, model.StatusPending, at(time.Minute)),
			newMembership(c1, u3, model.RoleMembre, model.StatusActive, at(2*time.Minute)),
			newMembership(c2, u2, model.RoleCoordinateur, model.StatusPending, at(3*time.Minute)),
			newMembership(c2, u3, model.RolePartenaire, model.StatusActive, at(4*time.Minute)),
		)
		counts, err := s.Memberships.CountByCPTS(ctx)
		must(t, err, "count by cpts")
		equal(t, counts, map[model.CPTSID]store.MembershipCounts{
			c1: {Active: 2, Pending: 1, Coordinators: 1},
			c2: {Active: 1, Pending: 1},
		}, "CountByCPTS")
		p, err := s.Memberships.Pending(ctx, []model.CPTSID{c1})
		must(t, err, "pending of c1")
		if len(p) != 1 || p[0].UserID != u2 || p[0].CPTSID != c1 {
			t.Fatalf("Pending(c1) = %+v", p)
		}
		p, err = s.Memberships.Pending(ctx, nil)
		must(t, err, "pending of all")
		if len(p) != 2 || p[0].CPTSID != c1 || p[1].CPTSID != c2 {
			t.Fatalf("Pending(all) = %+v, want oldest first", p)
		}
		p, err = s.Memberships.Pending(ctx, []model.CPTSID{})
		must(t, err, "pending of none")
		if len(p) != 0 {
			t.Fatalf("Pending(none) = %+v", p)
		}
		wantErr(t, s.Memberships.DeletePending(ctx, c1, u3), model.ErrConflict, "DeletePending of an active member")
		wantErr(t, s.Memberships.DeletePending(ctx, c2, u1), model.ErrNotFound, "DeletePending of no membership")
		must(t, s.Memberships.DeletePending(ctx, c1, u2), "DeletePending")
		_, err = s.Memberships.Get(ctx, c1, u2)
		wantErr(t, err, model.ErrNotFound, "Get after DeletePending")
		if _, err := s.Memberships.Get(ctx, c1, u3); err != nil {
			t.Fatalf("the active member stays: %v", err)
		}
	})
	t.Run("TitleFormAndSetupLink", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		u := newUser("Camille Setup", "setup@loire-nord.demo")
		u.PasswordHash, u.SetupHash, u.SetupExpiresAt = "", "abc123", at(72*time.Hour)
		must(t, s.Users.Insert(ctx, u), "insert")
		must(t, s.Users.SetTitleForm(ctx, u.ID, model.TitleFeminine, at(time.Minute)), "set title form")
		got, err := s.Users.BySetupHash(ctx, "abc123")
		must(t, err, "by setup hash")
		if got.ID != u.ID || got.TitleForm != model.TitleFeminine || !got.SetupExpiresAt.Equal(ms(at(72*time.Hour))) {
			t.Fatalf("BySetupHash = %+v", got)
		}
		_, err = s.Users.BySetupHash(ctx, "")
		wantErr(t, err, model.ErrNotFound, "BySetupHash of nothing")
		wantErr(t, s.Users.CompleteSetup(ctx, u.ID, "other", "h", at(0)), model.ErrNotFound, "CompleteSetup with another link")
		must(t, s.Users.CompleteSetup(ctx, u.ID, "abc123", "h2", at(2*time.Minute)), "complete setup")
		wantErr(t, s.Users.CompleteSetup(ctx, u.ID, "abc123", "h3", at(3*time.Minute)), model.ErrNotFound, "a link works once")
		_, err = s.Users.BySetupHash(ctx, "abc123")
		wantErr(t, err, model.ErrNotFound, "BySetupHash after use")
		got, err = s.Users.ByID(ctx, u.ID)
		must(t, err, "by id")
		if got.PasswordHash != "h2" || got.SetupHash != "" || !got.SetupExpiresAt.IsZero() {
			t.Fatalf("after setup: %+v", got)
		}
		wantErr(t, s.Users.SetTitleForm(ctx, model.UserID(id()), model.TitleMasculine, at(0)), model.ErrNotFound, "SetTitleForm of unknown id")
	})
}
