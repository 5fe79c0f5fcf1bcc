package storetest

import (
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

func testAudit(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("RoundTripNewestFirstAndPaged", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		ln, vc := model.CPTSID(id()), model.CPTSID(id())
		actor, target := model.UserID(id()), model.UserID(id())
		var stored []model.AuditEntry
		for i, e := range []model.AuditEntry{
			{At: at(0), ActorID: actor, Action: model.AuditInvitationCreated, CPTSID: ln, InvitationID: id(), Role: model.RoleMembre},
			{At: at(time.Second), ActorID: target, Action: model.AuditInvitationAccepted, CPTSID: ln, TargetID: target},
			{At: at(2 * time.Second), ActorID: actor, Action: model.AuditCPTSCreated, CPTSID: vc},
			// The same millisecond as the entry before: the order holds.
			{At: at(2*time.Second + time.Microsecond), ActorID: actor, Action: model.AuditMemberValidated, CPTSID: ln, TargetID: target},
			{At: at(3 * time.Second), ActorID: actor, Action: model.AuditGroupMemberAdded, CPTSID: ln, GroupID: model.GroupID(id()), TargetID: target},
		} {
			got, err := s.Audit.Insert(ctx, e)
			must(t, err, "insert")
			if !model.ValidID(got.ID) {
				t.Fatalf("entry %d: id %q", i, got.ID)
			}
			e.ID, e.At = got.ID, ms(e.At)
			equal(t, got, e, "Insert result")
			stored = append(stored, e)
		}
		all, err := s.Audit.List(ctx, "", "", 100)
		must(t, err, "list")
		want := []model.AuditEntry{stored[4], stored[3], stored[2], stored[1], stored[0]}
		equal(t, all, want, "List, newest first")
		page, err := s.Audit.List(ctx, "", "", 2)
		must(t, err, "first page")
		equal(t, page, want[:2], "first page")
		page, err = s.Audit.List(ctx, "", page[1].ID, 2)
		must(t, err, "second page")
		equal(t, page, want[2:4], "second page")
		page, err = s.Audit.List(ctx, "", page[1].ID, 2)
		must(t, err, "last page")
		equal(t, page, want[4:], "last page")
		mine, err := s.Audit.List(ctx, ln, "", 100)
		must(t, err, "list of a CPTS")
		equal(t, mine, []model.AuditEntry{stored[4], stored[3], stored[1], stored[0]}, "List of one CPTS")
		wantRead(t, "page of a CPTS", "page of one CPTS", []model.AuditEntry{stored[1]})(s.Audit.List(ctx, ln, stored[3].ID, 1))
		none, err := s.Audit.List(ctx, model.CPTSID(id()), "", 100)
		must(t, err, "list of an unknown CPTS")
		if len(none) != 0 {
			t.Fatalf("unknown CPTS: %+v", none)
		}
		_, err = s.Audit.Insert(ctx, stored[0])
		wantErr(t, err, model.ErrConflict, "same id twice")
	})
}
