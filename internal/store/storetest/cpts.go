package storetest

import (
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

func newCPTS(name string) model.CPTS {
	return model.CPTS{
		ID:         model.CPTSID(id()),
		Name:       name,
		Department: "41",
		Communes:   []string{"Blois", "Vendôme"},
		Status:     "active",
		Missions:   []model.Mission{model.MissionAcces, model.MissionPrevention},
		CreatedAt:  at(0),
	}
}

func testCPTS(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		c := newCPTS("CPTS Loire Nord")
		must(t, s.CPTS.Insert(ctx, c), "insert")
		got, err := s.CPTS.ByID(ctx, c.ID)
		must(t, err, "by id")
		equal(t, got, stored(c), "ByID")
		empty := newCPTS("CPTS sans communes")
		empty.Communes, empty.Missions = []string{}, nil
		must(t, s.CPTS.Insert(ctx, empty), "insert")
		wantRead(t, "by id", "ByID with empty and nil slices", stored(empty))(s.CPTS.ByID(ctx, empty.ID))
		_, err = s.CPTS.ByID(ctx, model.CPTSID(id()))
		wantErr(t, err, model.ErrNotFound, "ByID of unknown id")
	})
	t.Run("DuplicateNameIsConflictWhateverTheCase", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		must(t, s.CPTS.Insert(ctx, newCPTS("CPTS Val de Cher")), "insert")
		wantErr(t, s.CPTS.Insert(ctx, newCPTS(" cpts VAL DE CHER")), model.ErrConflict, "same name", "val de cher")
	})
	t.Run("ListAndByIDsOrderedByName", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		var all []model.CPTSID
		for _, name := range []string{"CPTS Val de Cher", "CPTS de l'Agglomération", "CPTS Loire Nord", "CPTS Éclose"} {
			c := newCPTS(name)
			must(t, s.CPTS.Insert(ctx, c), "insert")
			all = append(all, c.ID)
		}
		names := func(xs []model.CPTS) []string {
			return ids(xs, func(c model.CPTS) model.CPTSID { return model.CPTSID(c.Name) })
		}
		list, err := s.CPTS.List(ctx)
		must(t, err, "list")
		equal(t, names(list), []string{"CPTS de l'Agglomération", "CPTS Éclose", "CPTS Loire Nord", "CPTS Val de Cher"}, "List order")
		some, err := s.CPTS.ByIDs(ctx, []model.CPTSID{all[0], model.CPTSID(id()), all[3]})
		must(t, err, "by ids")
		equal(t, names(some), []string{"CPTS Éclose", "CPTS Val de Cher"}, "ByIDs")
		wantEmpty[model.CPTS](t, "by no ids", "ByIDs(nil)")(s.CPTS.ByIDs(ctx, nil))
	})
}

func newMembership(c model.CPTSID, u model.UserID, role model.Role, status model.MembershipStatus, created time.Time) model.Membership {
	return model.Membership{CPTSID: c, UserID: u, Role: role, Status: status, CreatedAt: created}
}

func testMemberships(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("RoundTripAndLists", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		c1, c2 := model.CPTSID(id()), model.CPTSID(id())
		u1, u2 := model.UserID(id()), model.UserID(id())
		m11 := newMembership(c1, u1, model.RoleCoordinateur, model.StatusActive, at(0))
		m11.ValidatedAt, m11.ValidatedBy = func() *time.Time { v := at(time.Minute); return &v }(), model.UserID(id())
		m21 := newMembership(c2, u1, model.RoleMembre, model.StatusPending, at(time.Hour))
		m12 := newMembership(c1, u2, model.RolePartenaire, model.StatusPending, at(2*time.Hour))
		insertAll(t, ctx, s.Memberships.Insert, m21, m11, m12)
		st := func(m model.Membership) model.Membership {
			m.CreatedAt = ms(m.CreatedAt)
			if m.ValidatedAt != nil {
				m.ValidatedAt = msPtr(*m.ValidatedAt)
			}
			return m
		}
		got, err := s.Memberships.Get(ctx, c1, u1)
		must(t, err, "get")
		equal(t, got, st(m11), "Get validated")
		wantRead(t, "get", "Get pending", st(m12))(s.Memberships.Get(ctx, c1, u2))
		wantRead(t, "by user", "ByUser, oldest first", []model.Membership{st(m11), st(m21)})(s.Memberships.ByUser(ctx, u1))
		wantRead(t, "by cpts", "ByCPTS, oldest first", []model.Membership{st(m11), st(m12)})(s.Memberships.ByCPTS(ctx, c1))
		wantEmpty[model.Membership](t, "by unknown cpts", "ByCPTS(unknown)")(s.Memberships.ByCPTS(ctx, model.CPTSID(id())))
		_, err = s.Memberships.Get(ctx, c2, u2)
		wantErr(t, err, model.ErrNotFound, "Get of absent membership")
		wantErr(t, s.Memberships.Insert(ctx, newMembership(c1, u1, model.RoleMembre, model.StatusPending, at(0))), model.ErrConflict, "second membership")
	})
	t.Run("Validate", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		c, u, coord := model.CPTSID(id()), model.UserID(id()), model.UserID(id())
		must(t, s.Memberships.Insert(ctx, newMembership(c, u, model.RoleMembre, model.StatusPending, at(0))), "insert")
		got, err := s.Memberships.Validate(ctx, c, u, coord, at(time.Hour))
		must(t, err, "validate")
		want := model.Membership{CPTSID: c, UserID: u, Role: model.RoleMembre, Status: model.StatusActive,
			CreatedAt: ms(at(0)), ValidatedAt: msPtr(at(time.Hour)), ValidatedBy: coord}
		equal(t, got, want, "Validate result")
		wantRead(t, "get", "stored after Validate", want)(s.Memberships.Get(ctx, c, u))
		wantRead(t, "validate an active membership", "second Validate leaves it unchanged", want)(s.Memberships.Validate(ctx, c, u, model.UserID(id()), at(5*time.Hour)))
		_, err = s.Memberships.Validate(ctx, c, model.UserID(id()), coord, at(0))
		wantErr(t, err, model.ErrNotFound, "Validate of absent membership")
	})
	t.Run("SetRoleDeleteAndCountCoordinators", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		c, other := model.CPTSID(id()), model.CPTSID(id())
		a, b, p := model.UserID(id()), model.UserID(id()), model.UserID(id())
		must(t, s.Memberships.Insert(ctx, newMembership(c, a, model.RoleCoordinateur, model.StatusActive, at(0))), "insert")
		must(t, s.Memberships.Insert(ctx, newMembership(c, b, model.RoleMembre, model.StatusActive, at(0))), "insert")
		must(t, s.Memberships.Insert(ctx, newMembership(c, p, model.RoleCoordinateur, model.StatusPending, at(0))), "insert")
		must(t, s.Memberships.Insert(ctx, newMembership(other, b, model.RoleCoordinateur, model.StatusActive, at(0))), "insert")
		count := func(want int64) {
			t.Helper()
			n, err := s.Memberships.CountActiveCoordinators(ctx, c)
			must(t, err, "count coordinators")
			if n != want {
				t.Fatalf("CountActiveCoordinators = %d, want %d", n, want)
			}
		}
		count(1) // the pending coordinator and the other CPTS do not count
		must(t, s.Memberships.SetRole(ctx, c, b, model.RoleCoordinateur), "promote")
		got, err := s.Memberships.Get(ctx, c, b)
		must(t, err, "get")
		if got.Role != model.RoleCoordinateur || got.Status != model.StatusActive {
			t.Fatalf("after SetRole: %+v", got)
		}
		count(2)
		wantErr(t, s.Memberships.SetRole(ctx, c, model.UserID(id()), model.RoleMembre), model.ErrNotFound, "SetRole of absent membership")
		must(t, s.Memberships.Delete(ctx, c, a), "delete")
		count(1)
		_, err = s.Memberships.Get(ctx, c, a)
		wantErr(t, err, model.ErrNotFound, "Get after Delete")
		wantErr(t, s.Memberships.Delete(ctx, c, a), model.ErrNotFound, "second Delete")
		if _, err := s.Memberships.Get(ctx, other, b); err != nil {
			t.Fatalf("membership in another CPTS touched: %v", err)
		}
	})
}

func newGroup(name string, owner model.CPTSID) model.Group {
	return model.Group{
		ID:          model.GroupID(id()),
		Name:        name,
		Description: "Groupe de travail",
		OwnerCPTS:   owner,
		CPTSIDs:     []model.CPTSID{owner},
		CreatedBy:   model.UserID(id()),
		CreatedAt:   at(0),
	}
}

func testGroups(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("RoundTripAndNames", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		c1, c2 := model.CPTSID(id()), model.CPTSID(id())
		g := newGroup("Parcours BPCO", c1)
		must(t, s.Groups.Insert(ctx, g), "insert")
		got, err := s.Groups.ByID(ctx, g.ID)
		must(t, err, "by id")
		equal(t, got, stored(g), "ByID")
		_, err = s.Groups.ByID(ctx, model.GroupID(id()))
		wantErr(t, err, model.ErrNotFound, "ByID of unknown id")
		wantErr(t, s.Groups.Insert(ctx, newGroup("parcours bpco ", c1)), model.ErrConflict, "same name, same owner", "bpco")
		must(t, s.Groups.Insert(ctx, newGroup("Parcours BPCO", c2)), "same name, other owner")
		noIDs := newGroup("Sans liste", c1)
		noIDs.CPTSIDs = nil
		must(t, s.Groups.Insert(ctx, noIDs), "insert without CPTSIDs")
		got, err = s.Groups.ByID(ctx, noIDs.ID)
		must(t, err, "by id")
		equal(t, got.CPTSIDs, []model.CPTSID{c1}, "CPTSIDs default to the owner")
	})
	t.Run("ByCPTSAndAddCPTS", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		c1, c2, c3 := model.CPTSID(id()), model.CPTSID(id()), model.CPTSID(id())
		inter := newGroup("Prévention chutes", c1)
		local := newGroup("Bureau", c1)
		theirs := newGroup("Soins non programmés", c2)
		insertAll(t, ctx, s.Groups.Insert, inter, local, theirs)
		must(t, s.Groups.AddCPTS(ctx, inter.ID, c2), "invite c2")
		must(t, s.Groups.AddCPTS(ctx, inter.ID, c2), "invite c2 again")
		must(t, s.Groups.AddCPTS(ctx, inter.ID, c3), "invite c3")
		got, err := s.Groups.ByID(ctx, inter.ID)
		must(t, err, "by id")
		equal(t, got.CPTSIDs, []model.CPTSID{c1, c2, c3}, "CPTSIDs: owner first, no duplicate")
		if !got.InterCPTS() {
			t.Fatal("InterCPTS() = false after AddCPTS")
		}
		gid := func(g model.Group) model.GroupID { return g.ID }
		of2, err := s.Groups.ByCPTS(ctx, c2)
		must(t, err, "by cpts")
		equal(t, ids(of2, gid), []string{string(inter.ID), string(theirs.ID)}, "ByCPTS(c2), by name")
		of1, err := s.Groups.ByCPTS(ctx, c1)
		must(t, err, "by cpts")
		equal(t, ids(of1, gid), []string{string(local.ID), string(inter.ID)}, "ByCPTS(c1), by name")
		wantEmpty[model.Group](t, "by unknown cpts", "ByCPTS(unknown)")(s.Groups.ByCPTS(ctx, model.CPTSID(id())))
		wantErr(t, s.Groups.AddCPTS(ctx, model.GroupID(id()), c2), model.ErrNotFound, "AddCPTS to unknown group")
		byIDs, err := s.Groups.ByIDs(ctx, []model.GroupID{theirs.ID, model.GroupID(id()), local.ID, inter.ID})
		must(t, err, "by ids")
		equal(t, ids(byIDs, gid), []string{string(local.ID), string(inter.ID), string(theirs.ID)}, "ByIDs by name")
	})
	t.Run("Update", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		c := model.CPTSID(id())
		g, taken := newGroup("Diabète", c), newGroup("Insuffisance cardiaque", c)
		insertAll(t, ctx, s.Groups.Insert, g, taken)
		must(t, s.Groups.Update(ctx, g.ID, "Parcours diabète", "Nouveau descriptif"), "update")
		got, err := s.Groups.ByID(ctx, g.ID)
		must(t, err, "by id")
		want := stored(g)
		want.Name, want.Description = "Parcours diabète", "Nouveau descriptif"
		equal(t, got, want, "after Update")
		must(t, s.Groups.Update(ctx, g.ID, "PARCOURS DIABÈTE", "casse seule"), "change case of own name")
		wantErr(t, s.Groups.Update(ctx, g.ID, "insuffisance CARDIAQUE", ""), model.ErrConflict, "rename onto a taken name", "cardiaque")
		wantErr(t, s.Groups.Update(ctx, model.GroupID(id()), "Libre", ""), model.ErrNotFound, "Update of unknown group")
		must(t, s.Groups.Insert(ctx, newGroup("Diabète", c)), "old name is free again")
	})
}

func testGroupMembers(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("All", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		g1, g2 := model.GroupID(id()), model.GroupID(id())
		u1, u2, by := model.UserID(id()), model.UserID(id()), model.UserID(id())
		m11 := model.GroupMember{GroupID: g1, UserID: u1, Role: model.RoleCoordinateur, AddedBy: by, CreatedAt: at(0)}
		m21 := model.GroupMember{GroupID: g2, UserID: u1, Role: model.RoleMembre, CreatedAt: at(time.Hour)}
		m12 := model.GroupMember{GroupID: g1, UserID: u2, Role: model.RoleMembre, AddedBy: by, CreatedAt: at(2 * time.Hour)}
		insertAll(t, ctx, s.GroupMembers.Insert, m12, m21, m11)
		st := func(m model.GroupMember) model.GroupMember { m.CreatedAt = ms(m.CreatedAt); return m }
		wantRead(t, "get", "Get", st(m11))(s.GroupMembers.Get(ctx, g1, u1))
		wantErr(t, s.GroupMembers.Insert(ctx, m11), model.ErrConflict, "second insert")
		wantRead(t, "by user", "ByUser, oldest first", []model.GroupMember{st(m11), st(m21)})(s.GroupMembers.ByUser(ctx, u1))
		wantRead(t, "by group", "ByGroup, oldest first", []model.GroupMember{st(m11), st(m12)})(s.GroupMembers.ByGroup(ctx, g1))
		must(t, s.GroupMembers.Delete(ctx, g1, u1), "delete")
		_, err := s.GroupMembers.Get(ctx, g1, u1)
		wantErr(t, err, model.ErrNotFound, "Get after Delete")
		wantErr(t, s.GroupMembers.Delete(ctx, g1, u1), model.ErrNotFound, "second Delete")
		wantRead(t, "by group", "ByGroup after Delete", []model.GroupMember{st(m12)})(s.GroupMembers.ByGroup(ctx, g1))
		wantEmpty[model.GroupMember](t, "by unknown user", "ByUser(unknown)")(s.GroupMembers.ByUser(ctx, model.UserID(id())))
	})
}
