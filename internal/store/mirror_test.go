package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

func TestMirror(t *testing.T) {
	paris := time.FixedZone("Paris", 3600)
	at := time.Date(2026, 3, 1, 10, 0, 0, 123456789, paris)
	x := model.Invitation{ID: "i", TokenHash: "h", Email: "A@b.fr", CPTSID: "c", Role: model.RoleCoordinateur,
		InvitedBy: "u", CreatedAt: at, ExpiresAt: at.Add(time.Hour), AcceptedAt: &at, AcceptedBy: "v"}
	d := invitationMirror.doc(x)
	ms := at.UTC().Truncate(time.Millisecond)
	want := invitationDoc{ID: "i", TokenHash: "h", Email: "A@b.fr", CPTSID: "c", Role: model.RoleCoordinateur,
		InvitedBy: "u", CreatedAt: ms, ExpiresAt: ms.Add(time.Hour), AcceptedAt: &ms, AcceptedBy: "v"}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("doc = %+v, want %+v", d, want)
	}
	if d.AcceptedAt == x.AcceptedAt {
		t.Error("doc shares the model's *time.Time")
	}
	d.CreatedAt = at // as a driver could decode it, not in UTC
	back := d.model()
	if back.CreatedAt.Location() != time.UTC || !back.CreatedAt.Equal(at) || back.AcceptedAt.Location() != time.UTC || back.RevokedAt != nil {
		t.Errorf("model = %+v: times not in UTC", back)
	}
	m := membershipMirror.doc(model.Membership{CPTSID: "c", UserID: "u"})
	if m.ID != "" || m.ValidatedAt != nil {
		t.Errorf("membership doc = %+v: own field set or nil time not kept", m)
	}
}

func TestMirrorMismatch(t *testing.T) {
	type doc struct {
		ID   string `bson:"_id"`
		Seen bool   `bson:"seen"`
	}
	for name, f := range map[string]func(){
		"own field not declared":      func() { mirrorOf[doc, struct{ ID string }]() },
		"model field missing":         func() { mirrorOf[doc, struct{ ID, Name string }]("Seen") },
		"model field of another type": func() { mirrorOf[doc, struct{ ID int }]("Seen") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	mirrorOf[doc, struct{ ID string }]("Seen") // mirrors: no panic
}
