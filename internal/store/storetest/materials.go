package storetest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

func newMaterial(owner model.CPTSID, title string, theme model.Theme, d time.Duration) model.Material {
	return model.Material{
		CPTSID: owner, Title: title, Description: "Affiche A3 pour la salle d'attente", Kind: model.MaterialLink,
		URL: "https://www.example.org/affiche", Theme: theme, Audience: model.AudiencePatients, Language: "fr",
		Visibility: model.SharingCPTS, AuthorID: model.UserID(id()), CreatedAt: at(d),
	}
}

func storedMaterial(m model.Material) model.Material {
	m.CreatedAt, m.UpdatedAt = ms(m.CreatedAt), ms(m.UpdatedAt)
	if m.SharedWith == nil {
		m.SharedWith = []model.CPTSID{}
	}
	return m
}

func materialIDs(ms []model.Material) []string {
	return ids(ms, func(m model.Material) model.MaterialID { return m.ID })
}

func testMaterials(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("RoundTripUpdateDelete", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		m := newMaterial(model.CPTSID(id()), "Mois sans tabac : affiche", model.ThemeTabac, 0)
		m.Campaign, m.ValidFrom, m.ValidTo = model.CampaignMoisSansTabac, "2026-10-15", "2026-11-30"
		m.Visibility, m.SharedWith = model.SharingListed, []model.CPTSID{model.CPTSID(id())}
		got, err := s.Materials.Insert(ctx, m)
		must(t, err, "insert")
		m.ID, m.UpdatedAt = got.ID, m.CreatedAt
		equal(t, got, storedMaterial(m), "Insert result")
		back, err := s.Materials.ByID(ctx, m.ID)
		must(t, err, "by id")
		equal(t, back, got, "ByID")
		f := newMaterial(m.CPTSID, "Dépistage : dépliant", model.ThemeDepistageCancers, time.Second)
		f.Kind, f.URL, f.FileID, f.Audience, f.Language = model.MaterialFile, "", model.FileID(id()), model.AudienceProfessionnels, "en"
		gotF, err := s.Materials.Insert(ctx, f)
		must(t, err, "insert file material")
		both, err := s.Materials.ByIDs(ctx, []model.MaterialID{gotF.ID, model.MaterialID(id()), got.ID})
		must(t, err, "by ids")
		equal(t, materialIDs(both), []string{string(gotF.ID), string(got.ID)}, "ByIDs in order")
		for name, bad := range map[string]func(*model.Material){
			"link without URL":   func(x *model.Material) { x.URL = "" },
			"link with a file":   func(x *model.Material) { x.FileID = model.FileID(id()) },
			"unknown theme":      func(x *model.Material) { x.Theme = "bien-etre" },
			"unknown campaign":   func(x *model.Material) { x.Campaign = "movember" },
			"unknown audience":   func(x *model.Material) { x.Audience = "tous" },
			"unknown visibility": func(x *model.Material) { x.Visibility = "public" },
			"bad date":           func(x *model.Material) { x.ValidTo = "30/11/2026" },
			"dates reversed":     func(x *model.Material) { x.ValidFrom, x.ValidTo = "2026-12-01", "2026-11-30" },
			"no owner":           func(x *model.Material) { x.CPTSID = "" },
		} {
			x := newMaterial(m.CPTSID, name, model.ThemeTabac, 0)
			bad(&x)
			if _, err := s.Materials.Insert(ctx, x); err == nil {
				t.Fatalf("%s: accepted", name)
			}
		}
		// Update: the owner, author and creation time stay.
		u := got
		u.Title, u.Theme, u.Campaign, u.UpdatedAt = "Mois sans tabac 2026", model.ThemeAddictions, "", at(time.Hour)
		u.CPTSID, u.AuthorID, u.CreatedAt = model.CPTSID(id()), model.UserID(id()), at(-time.Hour)
		upd, err := s.Materials.Update(ctx, u)
		must(t, err, "update")
		want := got
		want.Title, want.Theme, want.Campaign, want.UpdatedAt = "Mois sans tabac 2026", model.ThemeAddictions, "", ms(at(time.Hour))
		equal(t, upd, want, "Update result")
		bad := upd
		bad.Kind = model.MaterialFile
		if _, err := s.Materials.Update(ctx, bad); err == nil {
			t.Fatal("update to a file material without a file accepted")
		}
		must(t, s.Materials.Delete(ctx, got.ID, at(2*time.Hour)), "delete")
		must(t, s.Materials.Delete(ctx, got.ID, at(3*time.Hour)), "delete again")
		del, err := s.Materials.ByID(ctx, got.ID)
		must(t, err, "deleted by id")
		if !del.Deleted() || !del.DeletedAt.Equal(ms(at(2*time.Hour))) {
			t.Fatalf("deleted: %+v", del.DeletedAt)
		}
		_, err = s.Materials.Update(ctx, upd)
		wantErr(t, err, model.ErrNotFound, "update of a deleted material")
		wantErr(t, s.Materials.Delete(ctx, model.MaterialID(id()), at(0)), model.ErrNotFound, "delete absent")
	})
	t.Run("EditRacingDeletionStaysDeleted", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		for round := 0; round < 10; round++ {
			m, err := s.Materials.Insert(ctx, newMaterial(model.CPTSID(id()), "À supprimer", model.ThemeAlcool, 0))
			must(t, err, "insert")
			editsRaceDeletion(t, func(i int) error {
				e := m
				e.Title = fmt.Sprintf("Modifié %d", i)
				_, err := s.Materials.Update(ctx, e)
				return err
			}, func() error { return s.Materials.Delete(ctx, m.ID, at(time.Hour)) })
			got, err := s.Materials.ByID(ctx, m.ID)
			must(t, err, "by id")
			if !got.Deleted() {
				t.Fatalf("round %d: the deletion was undone by a concurrent edit", round)
			}
		}
	})
	t.Run("ListVisibilityFiltersPages", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		ln, vc, other := model.CPTSID(id()), model.CPTSID(id()), model.CPTSID(id())
		ins := func(m model.Material) model.Material {
			t.Helper()
			got, err := s.Materials.Insert(ctx, m)
			must(t, err, "insert")
			return got
		}
		tabac := newMaterial(ln, "Tabac", model.ThemeTabac, 1*time.Minute)
		tabac.Campaign, tabac.ValidFrom, tabac.ValidTo = model.CampaignMoisSansTabac, "2026-11-01", "2026-11-30"
		m1 := ins(tabac)
		rose := newMaterial(ln, "Octobre rose", model.ThemeDepistageCancers, 2*time.Minute)
		rose.Campaign, rose.Visibility, rose.SharedWith = model.CampaignOctobreRose, model.SharingListed, []model.CPTSID{vc}
		m2 := ins(rose)
		chutes := newMaterial(vc, "Chutes", model.ThemeChutes, 3*time.Minute)
		chutes.Audience, chutes.ValidTo = model.AudienceProfessionnels, "2026-03-01"
		m3 := ins(chutes)
		vaccin := newMaterial(other, "Vaccination", model.ThemeVaccination, 4*time.Minute)
		vaccin.Visibility, vaccin.Language = model.SharingPlatform, "ar"
		m4 := ins(vaccin)
		m5 := ins(newMaterial(other, "Privé", model.ThemeTabac, 5*time.Minute))
		gone := ins(newMaterial(ln, "Supprimé", model.ThemeTabac, 6*time.Minute))
		must(t, s.Materials.Delete(ctx, gone.ID, at(time.Hour)), "delete")
		_ = m5
		list := func(q store.MaterialQuery) []string {
			t.Helper()
			page, err := s.Materials.List(ctx, q)
			must(t, err, "list")
			return materialIDs(page.Items)
		}
		idsOf := func(ms ...model.Material) []string { return materialIDs(ms) }
		equal(t, list(store.MaterialQuery{Viewer: []model.CPTSID{ln}}), idsOf(m4, m2, m1), "Loire Nord, newest first, deleted left out")
		equal(t, list(store.MaterialQuery{Viewer: []model.CPTSID{vc}}), idsOf(m4, m3, m2), "Val de Cher: own, shared, platform")
		equal(t, list(store.MaterialQuery{Viewer: []model.CPTSID{ln, vc}, Theme: model.ThemeTabac}), idsOf(m1), "theme")
		equal(t, list(store.MaterialQuery{Viewer: []model.CPTSID{ln, vc}, Campaign: model.CampaignOctobreRose}), idsOf(m2), "campaign")
		equal(t, list(store.MaterialQuery{Viewer: []model.CPTSID{ln, vc}, Audience: model.AudienceProfessionnels}), idsOf(m3), "audience")
		equal(t, list(store.MaterialQuery{Viewer: []model.CPTSID{ln, vc}, Language: "ar"}), idsOf(m4), "language")
		equal(t, list(store.MaterialQuery{Viewer: []model.CPTSID{ln, vc}, Kind: model.MaterialFile}), []string{}, "kind")
		equal(t, list(store.MaterialQuery{Viewer: []model.CPTSID{ln, vc}, Owners: []model.CPTSID{vc}}), idsOf(m3), "owner")
		equal(t, list(store.MaterialQuery{Viewer: []model.CPTSID{ln, vc}, ValidOn: "2026-11-15"}), idsOf(m4, m2, m1), "valid on 15 November")
		equal(t, list(store.MaterialQuery{Viewer: []model.CPTSID{ln, vc}, ValidOn: "2026-02-01"}), idsOf(m4, m3, m2), "valid on 1 February")
		paged := allPages(t, 4, func(after string) ([]string, int, string, error) {
			page, err := s.Materials.List(ctx, store.MaterialQuery{Viewer: []model.CPTSID{ln, vc}, After: after, Limit: 1})
			return materialIDs(page.Items), page.Total, page.Next, err
		})
		equal(t, paged, idsOf(m4, m3, m2, m1), "pages of one")
		_, err := s.Materials.List(ctx, store.MaterialQuery{After: "%%%"})
		var invalid *model.InvalidError
		if !errors.As(err, &invalid) {
			t.Fatalf("bad cursor: %v", err)
		}
	})
}

func newFile(d time.Duration) model.File {
	return model.File{
		ID: model.FileID(id()), UploaderID: model.UserID(id()), Name: "compte-rendu.pdf", ContentType: "application/pdf",
		Size: 48213, SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", CreatedAt: at(d),
		CPTSID: model.CPTSID(id()), ChannelID: model.ChannelID(id()),
	}
}

func testFiles(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("RoundTripScanThumbnail", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		f := newFile(0)
		f.AttachedTo = &model.Attachment{Kind: model.AttachPost, ID: "ignoré"}
		got, err := s.Files.Insert(ctx, f)
		must(t, err, "insert")
		f.CreatedAt, f.Scan, f.AttachedTo = ms(f.CreatedAt), model.ScanPending, nil
		equal(t, got, f, "Insert result: pending scan, not attached")
		_, err = s.Files.Insert(ctx, f)
		wantErr(t, err, model.ErrConflict, "same id twice")
		must(t, s.Files.SetScan(ctx, f.ID, model.ScanClean), "scan")
		must(t, s.Files.SetThumbnail(ctx, f.ID, true), "thumbnail")
		back, err := s.Files.ByID(ctx, f.ID)
		must(t, err, "by id")
		f.Scan, f.HasThumbnail = model.ScanClean, true
		equal(t, back, f, "after scan and thumbnail")
		wantErr(t, s.Files.SetScan(ctx, model.FileID(id()), model.ScanClean), model.ErrNotFound, "scan of an absent file")
		if err := s.Files.SetScan(ctx, f.ID, "douteux"); err == nil {
			t.Fatal("unknown scan status accepted")
		}
		_, err = s.Files.ByID(ctx, model.FileID(id()))
		wantErr(t, err, model.ErrNotFound, "absent file")
		if _, err := s.Files.Insert(ctx, model.File{ID: "x"}); err == nil {
			t.Fatal("invalid id accepted")
		}
	})
	t.Run("AttachOnceByAttachmentDetach", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		f1, err := s.Files.Insert(ctx, newFile(0))
		must(t, err, "insert")
		f2, err := s.Files.Insert(ctx, newFile(time.Second))
		must(t, err, "insert")
		post := string(model.PostIDOf(model.CPTSFeed(model.CPTSID(id())), 1))
		a := model.Attachment{Kind: model.AttachPost, ID: post, At: at(time.Minute)}
		must(t, s.Files.Attach(ctx, f2.ID, a), "attach f2")
		must(t, s.Files.Attach(ctx, f1.ID, a), "attach f1")
		must(t, s.Files.Attach(ctx, f1.ID, a), "attach f1 again, same target")
		wantErr(t, s.Files.Attach(ctx, f1.ID, model.Attachment{Kind: model.AttachMessage, ID: "m", At: at(0)}), model.ErrConflict, "attach elsewhere")
		wantErr(t, s.Files.Attach(ctx, model.FileID(id()), a), model.ErrNotFound, "attach an absent file")
		if err := s.Files.Attach(ctx, f1.ID, model.Attachment{Kind: "avatar", ID: "x"}); err == nil {
			t.Fatal("unknown attachment kind accepted")
		}
		got, err := s.Files.ByAttachment(ctx, model.AttachPost, post)
		must(t, err, "by attachment")
		equal(t, ids(got, func(f model.File) model.FileID { return f.ID }), []string{string(f1.ID), string(f2.ID)}, "ByAttachment, oldest first")
		equal(t, *got[0].AttachedTo, model.Attachment{Kind: model.AttachPost, ID: post, At: ms(at(time.Minute))}, "AttachedTo")
		none, err := s.Files.ByAttachment(ctx, model.AttachMessage, post)
		must(t, err, "by attachment of another kind")
		equal(t, len(none), 0, "kind is part of the target")
		must(t, s.Files.Detach(ctx, f2.ID), "detach")
		must(t, s.Files.Detach(ctx, f2.ID), "detach again")
		back, err := s.Files.ByID(ctx, f2.ID)
		must(t, err, "by id")
		if back.AttachedTo != nil {
			t.Fatalf("detached file still attached: %+v", back.AttachedTo)
		}
	})
	t.Run("ConcurrentAttachmentsOneWinner", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		f, err := s.Files.Insert(ctx, newFile(0))
		must(t, err, "insert")
		var won atomic.Int64
		atOnce(6, func(i int) {
			err := s.Files.Attach(ctx, f.ID, model.Attachment{Kind: model.AttachMessage, ID: fmt.Sprintf("message-%d", i), At: at(0)})
			switch {
			case err == nil:
				won.Add(1)
			case !errors.Is(err, model.ErrConflict):
				t.Errorf("attach: %v", err)
			}
		})
		equal(t, won.Load(), int64(1), "attachments that succeeded")
	})
	t.Run("OrphansAndTheirCleanup", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		old1, err := s.Files.Insert(ctx, newFile(-3*time.Hour))
		must(t, err, "insert")
		old2, err := s.Files.Insert(ctx, newFile(-2*time.Hour))
		must(t, err, "insert")
		attached, err := s.Files.Insert(ctx, newFile(-2*time.Hour))
		must(t, err, "insert")
		_, err = s.Files.Insert(ctx, newFile(0)) // recent: an upload in progress
		must(t, err, "insert")
		must(t, s.Files.Attach(ctx, attached.ID, model.Attachment{Kind: model.AttachMaterial, ID: id(), At: at(0)}), "attach")
		orphans, err := s.Files.Orphans(ctx, at(-time.Hour), 0)
		must(t, err, "orphans")
		equal(t, ids(orphans, func(f model.File) model.FileID { return f.ID }), []string{string(old1.ID), string(old2.ID)}, "orphans, oldest first")
		one, err := s.Files.Orphans(ctx, at(-time.Hour), 1)
		must(t, err, "orphans, limited")
		equal(t, len(one), 1, "limit")
		// The cleanup claims, deletes the blob, then the metadata.
		claimed, err := s.Files.ClaimOrphan(ctx, attached.ID, at(0))
		must(t, err, "claim an attached file")
		equal(t, claimed, false, "an attached file is not claimed")
		wantErr(t, s.Files.Delete(ctx, attached.ID), model.ErrConflict, "delete an attached file")
		wantErr(t, s.Files.Delete(ctx, old2.ID), model.ErrConflict, "delete an unclaimed file")
		claimed, err = s.Files.ClaimOrphan(ctx, old1.ID, at(0))
		must(t, err, "claim")
		equal(t, claimed, true, "claimed")
		claimed, err = s.Files.ClaimOrphan(ctx, old1.ID, at(0))
		must(t, err, "claim again")
		equal(t, claimed, true, "claimed again (a cleanup resumed)")
		_, err = s.Files.ByID(ctx, old1.ID)
		wantErr(t, err, model.ErrNotFound, "a file being deleted is not found")
		wantErr(t, s.Files.Attach(ctx, old1.ID, model.Attachment{Kind: model.AttachPost, ID: "p", At: at(0)}), model.ErrConflict, "attach a file being deleted")
		must(t, s.Files.Detach(ctx, old1.ID), "detach does not undo a claim")
		orphans, err = s.Files.Orphans(ctx, at(-time.Hour), 0)
		must(t, err, "orphans")
		equal(t, len(orphans), 2, "a claimed file stays an orphan until deleted")
		must(t, s.Files.Delete(ctx, old1.ID), "delete")
		must(t, s.Files.Delete(ctx, old1.ID), "delete again")
		orphans, err = s.Files.Orphans(ctx, at(-time.Hour), 0)
		must(t, err, "orphans")
		equal(t, ids(orphans, func(f model.File) model.FileID { return f.ID }), []string{string(old2.ID)}, "after the cleanup")
	})
}
