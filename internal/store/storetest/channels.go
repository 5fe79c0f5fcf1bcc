package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

func cptsChannel(name string, c model.CPTSID) model.Channel {
	return model.Channel{
		ID:         model.ChannelID(id()),
		Name:       name,
		Topic:      "Sujet",
		Kind:       model.KindStandard,
		Visibility: model.VisibilityPublic,
		CPTSID:     c,
		CreatedBy:  model.UserID(id()),
		CreatedAt:  at(0),
	}
}

func groupChannel(name string, g model.GroupID) model.Channel {
	ch := cptsChannel(name, "")
	ch.GroupID = g
	ch.Visibility = model.VisibilityPrivate
	return ch
}

func directChannel() model.Channel {
	ch := cptsChannel("", "")
	ch.Kind = model.KindDirect
	ch.Visibility = model.VisibilityPrivate
	return ch
}

func chID(c model.Channel) model.ChannelID { return c.ID }

func testChannels(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("RoundTripEveryKind", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		ann := cptsChannel("Annonces", model.CPTSID(id()))
		ann.Kind, ann.Archived = model.KindAnnouncement, true
		grp := groupChannel("Coordination", model.GroupID(id()))
		grp.CPTSID = model.CPTSID(id()) // owner CPTS recorded too: still a group channel
		dm := directChannel()
		for _, c := range []model.Channel{ann, grp, dm} {
			must(t, s.Channels.Insert(ctx, c), "insert")
			got, err := s.Channels.ByID(ctx, c.ID)
			must(t, err, "by id")
			equal(t, got, stored(c), "ByID")
		}
		_, err := s.Channels.ByID(ctx, model.ChannelID(id()))
		wantErr(t, err, model.ErrNotFound, "ByID of unknown id")
		fromCPTS, err := s.Channels.ByCPTS(ctx, grp.CPTSID)
		must(t, err, "by cpts")
		if len(fromCPTS) != 0 {
			t.Fatalf("a group channel is listed in its owner CPTS: %+v", fromCPTS)
		}
		nowhere := cptsChannel("Perdu", "")
		var invalid *model.InvalidError
		if err := s.Channels.Insert(ctx, nowhere); !errors.As(err, &invalid) {
			t.Fatalf("Insert of a channel without CPTS or group: %v, want *model.InvalidError", err)
		}
	})
	t.Run("NamesUniquePerScopeCaseInsensitive", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		c1, c2, g := model.CPTSID(id()), model.CPTSID(id()), model.GroupID(id())
		must(t, s.Channels.Insert(ctx, cptsChannel("Soins non programmés", c1)), "insert")
		wantErr(t, s.Channels.Insert(ctx, cptsChannel(" SOINS NON PROGRAMMÉS", c1)), model.ErrConflict, "same name, same CPTS", "programm")
		must(t, s.Channels.Insert(ctx, cptsChannel("Soins non programmés", c2)), "same name, other CPTS")
		must(t, s.Channels.Insert(ctx, groupChannel("Soins non programmés", g)), "same name, in a group")
		wantErr(t, s.Channels.Insert(ctx, groupChannel("soins non programmés", g)), model.ErrConflict, "same name, same group")
		must(t, s.Channels.Insert(ctx, directChannel()), "first direct conversation")
		must(t, s.Channels.Insert(ctx, directChannel()), "second direct conversation, same empty name")
		dup := cptsChannel("Autre", c1)
		must(t, s.Channels.Insert(ctx, dup), "insert")
		wantErr(t, s.Channels.Insert(ctx, dup), model.ErrConflict, "same id")
	})
	t.Run("ListsOrderedByName", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		c, g := model.CPTSID(id()), model.GroupID(id())
		general := cptsChannel("général", c)
		archives := cptsChannel("Archives 2024", c)
		archives.Archived = true
		equipe := cptsChannel("Équipe", c)
		zz := cptsChannel("Zones blanches", c)
		inGroup := groupChannel("BPCO", g)
		inOther := cptsChannel("Ailleurs", model.CPTSID(id()))
		insertAll(t, ctx, s.Channels.Insert, zz, general, inGroup, equipe, archives, inOther)
		got, err := s.Channels.ByCPTS(ctx, c)
		must(t, err, "by cpts")
		equal(t, ids(got, chID), []string{string(archives.ID), string(equipe.ID), string(general.ID), string(zz.ID)}, "ByCPTS: archived included, by folded name")
		wantRead(t, "by group", "ByGroup", []model.Channel{stored(inGroup)})(s.Channels.ByGroup(ctx, g))
		got, err = s.Channels.ByIDs(ctx, []model.ChannelID{zz.ID, inGroup.ID, model.ChannelID(id()), archives.ID})
		must(t, err, "by ids")
		equal(t, ids(got, chID), []string{string(archives.ID), string(inGroup.ID), string(zz.ID)}, "ByIDs")
		wantEmpty[model.Channel](t, "by no ids", "ByIDs(nil)")(s.Channels.ByIDs(ctx, nil))
		wantEmpty[model.Channel](t, "by unknown group", "ByGroup(unknown)")(s.Channels.ByGroup(ctx, model.GroupID(id())))
	})
	t.Run("RenameTopicArchive", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		c := model.CPTSID(id())
		ch, taken := cptsChannel("Vaccination", c), cptsChannel("Mois sans tabac", c)
		insertAll(t, ctx, s.Channels.Insert, ch, taken)
		must(t, s.Channels.Rename(ctx, ch.ID, "Vaccination grippe"), "rename")
		wantErr(t, s.Channels.Rename(ctx, ch.ID, "MOIS SANS TABAC"), model.ErrConflict, "rename onto a taken name", "tabac")
		must(t, s.Channels.Rename(ctx, ch.ID, "VACCINATION GRIPPE"), "rename to own name in other case")
		must(t, s.Channels.SetTopic(ctx, ch.ID, "Campagne 2026"), "set topic")
		must(t, s.Channels.SetArchived(ctx, ch.ID, true), "archive")
		must(t, s.Channels.SetVisibility(ctx, ch.ID, model.VisibilityPrivate), "make private")
		want := stored(ch)
		want.Name, want.Topic, want.Archived, want.Visibility = "VACCINATION GRIPPE", "Campagne 2026", true, model.VisibilityPrivate
		got, err := s.Channels.ByID(ctx, ch.ID)
		must(t, err, "by id")
		equal(t, got, want, "after updates")
		must(t, s.Channels.SetArchived(ctx, ch.ID, false), "restore")
		got, err = s.Channels.ByID(ctx, ch.ID)
		must(t, err, "by id")
		if got.Archived {
			t.Fatal("still archived after SetArchived(false)")
		}
		must(t, s.Channels.SetVisibility(ctx, ch.ID, model.VisibilityPublic), "make public")
		if got, err = s.Channels.ByID(ctx, ch.ID); err != nil || got.Visibility != model.VisibilityPublic {
			t.Fatalf("after SetVisibility(public): %v %+v", err, got)
		}
		must(t, s.Channels.Insert(ctx, cptsChannel("Vaccination", c)), "old name free after rename")
		unknown := model.ChannelID(id())
		wantErr(t, s.Channels.Rename(ctx, unknown, "X"), model.ErrNotFound, "Rename unknown")
		wantErr(t, s.Channels.SetTopic(ctx, unknown, "X"), model.ErrNotFound, "SetTopic unknown")
		wantErr(t, s.Channels.SetArchived(ctx, unknown, true), model.ErrNotFound, "SetArchived unknown")
		wantErr(t, s.Channels.SetVisibility(ctx, unknown, model.VisibilityPrivate), model.ErrNotFound, "SetVisibility unknown")
	})
}

func testChannelMembers(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("All", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		ch1, ch2 := model.ChannelID(id()), model.ChannelID(id())
		u1, u2 := model.UserID(id()), model.UserID(id())
		m11 := model.ChannelMember{ChannelID: ch1, UserID: u1, JoinedAt: at(0)}
		m21 := model.ChannelMember{ChannelID: ch2, UserID: u1, JoinedAt: at(time.Minute)}
		m12 := model.ChannelMember{ChannelID: ch1, UserID: u2, JoinedAt: at(time.Hour)}
		insertAll(t, ctx, s.ChannelMembers.Insert, m21, m12, m11)
		st := func(m model.ChannelMember) model.ChannelMember { m.JoinedAt = ms(m.JoinedAt); return m }
		wantRead(t, "get", "Get", st(m11))(s.ChannelMembers.Get(ctx, ch1, u1))
		_, err := s.ChannelMembers.Get(ctx, ch2, u2)
		wantErr(t, err, model.ErrNotFound, "Get of absent member")
		wantErr(t, s.ChannelMembers.Insert(ctx, m11), model.ErrConflict, "second insert")
		wantRead(t, "by user", "ByUser, oldest first", []model.ChannelMember{st(m11), st(m21)})(s.ChannelMembers.ByUser(ctx, u1))
		wantRead(t, "by channel", "ByChannel, oldest first", []model.ChannelMember{st(m11), st(m12)})(s.ChannelMembers.ByChannel(ctx, ch1))
		must(t, s.ChannelMembers.Delete(ctx, ch1, u2), "delete")
		wantErr(t, s.ChannelMembers.Delete(ctx, ch1, u2), model.ErrNotFound, "second Delete")
		wantEmpty[model.ChannelMember](t, "by unknown channel", "ByChannel(unknown)")(s.ChannelMembers.ByChannel(ctx, model.ChannelID(id())))
	})
	t.Run("DeleteUserFrom", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		leaver, stayer := model.UserID(id()), model.UserID(id())
		var chans []model.ChannelID
		for i := range 5 {
			ch := model.ChannelID(id())
			chans = append(chans, ch)
			joined := at(time.Duration(i) * time.Minute) // distinct: ByUser order is then known
			must(t, s.ChannelMembers.Insert(ctx, model.ChannelMember{ChannelID: ch, UserID: leaver, JoinedAt: joined}), "insert")
			must(t, s.ChannelMembers.Insert(ctx, model.ChannelMember{ChannelID: ch, UserID: stayer, JoinedAt: at(0)}), "insert")
		}
		// Leave the first three, plus a channel the user never joined.
		n, err := s.ChannelMembers.DeleteUserFrom(ctx, leaver, append(chans[:3:3], model.ChannelID(id())))
		must(t, err, "delete user from")
		if n != 3 {
			t.Fatalf("DeleteUserFrom removed %d, want 3", n)
		}
		left, err := s.ChannelMembers.ByUser(ctx, leaver)
		must(t, err, "by user")
		equal(t, ids(left, func(m model.ChannelMember) model.ChannelID { return m.ChannelID }), []string{string(chans[3]), string(chans[4])}, "channels left")
		kept, err := s.ChannelMembers.ByUser(ctx, stayer)
		must(t, err, "by user")
		if len(kept) != 5 {
			t.Fatalf("other member lost channels: %d left, want 5", len(kept))
		}
		n, err = s.ChannelMembers.DeleteUserFrom(ctx, leaver, nil)
		must(t, err, "delete from nothing")
		if n != 0 {
			t.Fatalf("DeleteUserFrom(nil) = %d", n)
		}
	})
}
