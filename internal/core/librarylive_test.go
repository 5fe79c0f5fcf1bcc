package core

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/ecpts/ecpts/internal/model"
)

// libraryRecorder records the library frames core publishes (and
// nothing else of the Publisher).
type libraryRecorder struct {
	mu   sync.Mutex
	sent []libraryEvent
}

type libraryEvent struct {
	item    string
	id      string
	cpts    model.CPTSID
	deleted bool
	users   []model.UserID
}

func (r *libraryRecorder) RevokeChannels(context.Context, model.UserID, []model.ChannelID, string) error {
	return nil
}
func (r *libraryRecorder) RevokeChannelExcept(context.Context, model.ChannelID, []model.UserID, string) error {
	return nil
}
func (r *libraryRecorder) CloseUser(context.Context, model.UserID) error       { return nil }
func (r *libraryRecorder) AccessChanged(context.Context, []model.UserID) error { return nil }
func (r *libraryRecorder) CloseSession(context.Context, string) error          { return nil }
func (r *libraryRecorder) PublishUpdate(context.Context, model.ChannelID, MessageView) error {
	return nil
}
func (r *libraryRecorder) PublishMessage(context.Context, model.ChannelID, uint64, MessageView) error {
	return nil
}

func (r *libraryRecorder) PublishProtocol(_ context.Context, users []model.UserID, id model.ProtocolID, cpts model.CPTSID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, libraryEvent{item: "protocol", id: string(id), cpts: cpts, users: slices.Clone(users)})
	return nil
}

func (r *libraryRecorder) PublishMaterial(_ context.Context, users []model.UserID, id model.MaterialID, cpts model.CPTSID, deleted bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, libraryEvent{item: "material", id: string(id), cpts: cpts, deleted: deleted, users: slices.Clone(users)})
	return nil
}

// last returns the last event and forgets them all.
func (r *libraryRecorder) last(t *testing.T, what string) libraryEvent {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sent) == 0 {
		t.Fatalf("%s: nothing published", what)
	}
	e := r.sent[len(r.sent)-1]
	r.sent = nil
	return e
}

// TestLibraryAudience: each change of a protocol or a material is
// published to exactly those who may see it before or after the change
// (CanSeeProtocol, CanSeeMaterial): a draft to its CPTS's coordinateurs
// and membres, a validated protocol shared with another CPTS to its
// members too (an acknowledgement only to the coordinators who follow
// them and to the member), a platform-wide material to everyone, a
// material narrowed back or deleted to those who lose it as well.
func TestLibraryAudience(t *testing.T) {
	f := newLibFixture(t)
	ctx := context.Background()
	rec := &libraryRecorder{}
	f.c.SetPublisher(rec)
	uid := func(n string) model.UserID { return f.s[n].UserID }
	users := func(names ...string) []model.UserID {
		var out []model.UserID
		for _, n := range names {
			out = append(out, uid(n))
		}
		slices.Sort(out)
		return out
	}
	ln := []string{"auteur", "medecin", "pharma", "coord", "coord2", "ide"}
	all := append(slices.Clone(ln), "vcpharma", "vccoord")
	check := func(what string, e libraryEvent, item, id string, want []model.UserID) {
		t.Helper()
		if e.item != item || e.id != id || e.cpts != f.ln || !slices.Equal(e.users, want) {
			t.Fatalf("%s: %+v, want %s %s to %v", what, e, item, id, want)
		}
	}

	d, err := f.c.CreateProtocol(ctx, f.s["auteur"], ProtocolInput{CPTSID: f.ln, Title: "Cystite simple",
		Visibility: model.SharingListed, SharedWith: []model.CPTSID{f.vc}})
	if err != nil {
		t.Fatal(err)
	}
	id := string(d.ID)
	check("draft created", rec.last(t, "create"), "protocol", id, users(ln...))
	if _, err := f.c.SubmitProtocol(ctx, f.s["auteur"], d.ID, []model.UserID{uid("medecin")}); err != nil {
		t.Fatal(err)
	}
	check("sent to review", rec.last(t, "submit"), "protocol", id, users(ln...))
	if _, err := f.c.ReviewProtocol(ctx, f.s["medecin"], d.ID, 1, model.ReviewApprove, ""); err != nil {
		t.Fatal(err)
	}
	check("reviewed", rec.last(t, "review"), "protocol", id, users(ln...))
	if _, err := f.c.ValidateProtocol(ctx, f.s["coord"], d.ID); err != nil {
		t.Fatal(err)
	}
	check("validated, shared with Val de Cher", rec.last(t, "validate"), "protocol", id, users(all...))
	if _, err := f.c.AckProtocol(ctx, f.s["vcpharma"], d.ID, 1); err != nil {
		t.Fatal(err)
	}
	// An acknowledgement: the coordinators who follow them, and the user.
	check("acknowledged", rec.last(t, "ack"), "protocol", id, users("coord", "coord2", "vccoord", "vcpharma"))
	// Shared with nobody else any more: Val de Cher is told it changed.
	cptsOnly := model.SharingCPTS
	if _, err := f.c.UpdateProtocol(ctx, f.s["coord"], d.ID, ProtocolPatch{Visibility: &cptsOnly}); err != nil {
		t.Fatal(err)
	}
	check("narrowed", rec.last(t, "narrow"), "protocol", id, users(all...))
	title := "Cystite simple de la femme"
	if _, err := f.c.UpdateProtocol(ctx, f.s["coord"], d.ID, ProtocolPatch{Title: &title}); err != nil {
		t.Fatal(err)
	}
	check("renamed, Loire Nord only", rec.last(t, "rename"), "protocol", id, users(ln...))

	// A material of Loire Nord, then platform-wide, then its own again,
	// then deleted.
	m, err := f.c.CreateMaterial(ctx, f.s["ide"], MaterialInput{CPTSID: f.ln, Title: "Mois sans tabac", URL: "https://example.org/tabac",
		Theme: model.ThemeTabac, Audience: model.AudiencePatients})
	if err != nil {
		t.Fatal(err)
	}
	mid := string(m.ID)
	check("material created", rec.last(t, "material"), "material", mid, users(ln...))
	platform := model.SharingPlatform
	if _, err := f.c.UpdateMaterial(ctx, f.s["ide"], m.ID, MaterialPatch{Visibility: &platform}); err != nil {
		t.Fatal(err)
	}
	check("platform-wide", rec.last(t, "platform"), "material", mid, users(all...))
	if _, err := f.c.UpdateMaterial(ctx, f.s["ide"], m.ID, MaterialPatch{Visibility: &cptsOnly}); err != nil {
		t.Fatal(err)
	}
	check("back to Loire Nord", rec.last(t, "narrow material"), "material", mid, users(all...))
	if err := f.c.DeleteMaterial(ctx, f.s["coord"], m.ID); err != nil {
		t.Fatal(err)
	}
	e := rec.last(t, "delete")
	check("deleted", e, "material", mid, users(ln...))
	if !e.deleted {
		t.Fatal("the deletion frame does not say deleted")
	}
}
