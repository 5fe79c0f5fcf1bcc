package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// TestProtocolProjectionRepair simulates the crashes the event log of
// protocols must survive, on both FerretDB backends: a transition whose
// event was written but not its projection (nor its version), a slow
// writer putting an older state back over the document, and a creation
// interrupted before its first event.
func TestProtocolProjectionRepair(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgresql"} {
		t.Run(backend, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			o := Options{Database: fmt.Sprintf("repair_%d", time.Now().UnixNano()), Logger: testLogger()}
			if backend == "sqlite" {
				o.DataDir = t.TempDir()
			} else {
				o.PostgresURL = testPostgresURL(t)
			}
			s, err := Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				_ = s.Drop(context.Background())
				_ = s.Close(context.Background())
			}()
			now := time.Now().UTC().Truncate(time.Millisecond)
			create := func(title string) model.Protocol {
				t.Helper()
				p, err := s.Protocols.Create(ctx, model.Protocol{CPTSID: model.CPTSID(model.NewID()), Title: title, Status: model.ProtocolDraft,
					Visibility: model.SharingCPTS, AuthorID: model.UserID(model.NewID()), CreatedAt: now}, model.ProtocolVersion{Body: "v1", CreatedAt: now})
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			// crashedEdit records the event of an edit to version 2 as
			// Transition does, and stops there.
			crashedEdit := func(p model.Protocol) model.Protocol {
				t.Helper()
				next := p
				next.Rev, next.CurrentVersion, next.Title = p.Rev+1, p.CurrentVersion+1, p.Title+" (révisé)"
				v := versionToDoc(model.ProtocolVersion{ProtocolID: p.ID, N: next.CurrentVersion, Body: "v2", CreatedAt: now})
				nd := protocolToDoc(next)
				ev := protocolEventDoc{ID: eventID(p.ID, next.Rev), ProtocolID: p.ID, Rev: next.Rev, Kind: model.ProtocolEventEdited, At: now, State: nd, Version: &v}
				if _, err := s.Protocols.events.InsertOne(ctx, ev); err != nil {
					t.Fatal(err)
				}
				return nd.model()
			}
			docOf := func(id model.ProtocolID) model.Protocol {
				t.Helper()
				ps, err := s.Protocols.ByIDs(ctx, []model.ProtocolID{id})
				if err != nil || len(ps) != 1 {
					t.Fatalf("by ids: %v %v", ps, err)
				}
				return ps[0]
			}

			// 1. Get completes an interrupted transition.
			p := create("Cystite")
			want := crashedEdit(p)
			if d := docOf(p.ID); d.Rev != 1 {
				t.Fatalf("document at rev %d before Get, want the lagging 1", d.Rev)
			}
			if _, err := s.ProtocolVersions.Get(ctx, p.ID, 2); !errors.Is(err, model.ErrNotFound) {
				t.Fatalf("version 2 before Get: %v", err)
			}
			got, err := s.Protocols.Get(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Rev != 2 || got.Title != want.Title || got.CurrentVersion != 2 {
				t.Fatalf("Get: %+v", got)
			}
			if d := docOf(p.ID); d.Rev != 2 {
				t.Fatalf("document at rev %d after Get, want 2", d.Rev)
			}
			if v, err := s.ProtocolVersions.Get(ctx, p.ID, 2); err != nil || v.Body != "v2" {
				t.Fatalf("version 2 after Get: %+v %v", v, err)
			}
			// A transition from the lagging revision is a conflict.
			if _, err := s.Protocols.Transition(ctx, p.ID, 1, ProtocolTransition{Kind: model.ProtocolEventUpdated, At: now, State: p}); !errors.Is(err, model.ErrConflict) {
				t.Fatalf("transition from a superseded revision: %v", err)
			}

			// 2. A slow writer put revision 1 back over revision 2.
			if err := replaceUpsert(ctx, s.Protocols.coll, string(p.ID), protocolToDoc(p)); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Protocols.Get(ctx, p.ID); err != nil || got.Rev != 2 {
				t.Fatalf("Get over a regressed document: %+v %v", got, err)
			}

			// 3. RepairAll completes interrupted transitions and creations.
			q := create("Plaies")
			crashedEdit(q)
			r := create("Chutes")
			if _, err := s.Protocols.events.DeleteOne(ctx, byID(eventID(r.ID, 1))); err != nil {
				t.Fatal(err) // as if the creation stopped before its event
			}
			// A transition from revision 1 still works without the event.
			next := r
			next.Status = model.ProtocolInReview
			if _, err := s.Protocols.Transition(ctx, r.ID, 1, ProtocolTransition{Kind: model.ProtocolEventSubmitted, At: now, State: next}); err != nil {
				t.Fatalf("transition from a revision 1 without its event: %v", err)
			}
			u := create("AVK")
			if _, err := s.Protocols.events.DeleteOne(ctx, byID(eventID(u.ID, 1))); err != nil {
				t.Fatal(err)
			}
			n, err := s.Protocols.RepairAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != 2 {
				t.Fatalf("RepairAll repaired %d protocols, want 2 (the interrupted edit and creation)", n)
			}
			if d := docOf(q.ID); d.Rev != 2 {
				t.Fatalf("q at rev %d after RepairAll", d.Rev)
			}
			evs, err := s.Protocols.Events(ctx, u.ID)
			if err != nil || len(evs) != 1 || evs[0].Kind != model.ProtocolEventCreated || evs[0].Version != 1 {
				t.Fatalf("history of u after RepairAll: %+v %v", evs, err)
			}
			if n, err := s.Protocols.RepairAll(ctx); err != nil || n != 0 {
				t.Fatalf("second RepairAll: %d %v", n, err)
			}

			// 4. Stopped between the document and its index entry: the
			// library still lists it as it was; RepairAll re-indexes it.
			if err := replaceUpsert(ctx, s.Protocols.index, string(q.ID), indexOf(protocolToDoc(q))); err != nil {
				t.Fatal(err)
			}
			page, err := s.Protocols.List(ctx, ProtocolQuery{Viewer: []model.CPTSID{q.CPTSID}})
			if err != nil || len(page.Items) != 1 || page.Items[0].Rev != 2 {
				t.Fatalf("List over a lagging index entry: %+v %v", page.Items, err)
			}
			if n, err := s.Protocols.RepairAll(ctx); err != nil || n != 1 {
				t.Fatalf("RepairAll of a lagging index entry: %d %v", n, err)
			}
			var e protocolIndexDoc
			if err := s.Protocols.index.FindOne(ctx, byID(string(q.ID))).Decode(&e); err != nil || e.entry().rev != 2 {
				t.Fatalf("index entry after RepairAll: %+v %v", e, err)
			}
		})
	}
}

// TestProtocolIndexPublishedTag: a validated protocol is listed to the
// CPTS it is shared with (Published), a never-validated one only to its
// own CPTS (DraftsOf); an index entry of the older format, without the
// published tag, is rewritten by RepairAll.
func TestProtocolIndexPublishedTag(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Open(ctx, Options{Database: fmt.Sprintf("tag_%d", time.Now().UnixNano()), Logger: testLogger(), DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close(context.Background()) }()
	owner, other := model.CPTSID(model.NewID()), model.CPTSID(model.NewID())
	now := time.Now().UTC().Truncate(time.Millisecond)
	mk := func(title string, validated int) model.Protocol {
		p, err := s.Protocols.Create(ctx, model.Protocol{CPTSID: owner, Title: title, Status: model.ProtocolDraft, ValidatedVersion: validated,
			Visibility: model.SharingListed, SharedWith: []model.CPTSID{other}, AuthorID: model.UserID(model.NewID()), CreatedAt: now},
			model.ProtocolVersion{Body: "b", CreatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	valid, draft := mk("A validé", 1), mk("B brouillon", 0)
	count := func(viewer model.CPTSID) int {
		page, err := s.Protocols.List(ctx, ProtocolQuery{Viewer: []model.CPTSID{viewer}, Published: true, DraftsOf: []model.CPTSID{viewer}})
		if err != nil {
			t.Fatal(err)
		}
		return page.Total
	}
	if n := count(owner); n != 2 {
		t.Fatalf("owner lists %d", n)
	}
	if n := count(other); n != 1 {
		t.Fatalf("other CPTS lists %d", n)
	}
	// An entry of the older format: no published tag.
	old := indexOf(protocolToDoc(valid))
	old.Row = strings.TrimSuffix(strings.TrimSuffix(old.Row, publishedTag), " ")
	if err := replaceUpsert(ctx, s.Protocols.index, string(valid.ID), old); err != nil {
		t.Fatal(err)
	}
	if n := count(other); n != 0 {
		t.Fatalf("other CPTS lists %d with the old entry", n)
	}
	if n, err := s.Protocols.RepairAll(ctx); err != nil || n != 1 {
		t.Fatalf("repair: %d %v", n, err)
	}
	if n := count(other); n != 1 {
		t.Fatalf("other CPTS lists %d after repair", n)
	}
	_ = draft
}
