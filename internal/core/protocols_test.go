package core

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/blob"
	"github.com/ecpts/ecpts/internal/mailer"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/storetest"
)

// memMailer keeps what it sends.
type memMailer struct {
	mu   sync.Mutex
	sent []mailer.Mail
}

func (m *memMailer) Send(_ context.Context, x mailer.Mail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, x)
	return nil
}

type libFixture struct {
	c      *Core
	st     *store.Store
	mail   *memMailer
	ln, vc model.CPTSID
	// sessions by name
	s map[string]model.Session
}

func newLibFixture(t *testing.T) *libFixture {
	t.Helper()
	st := storetest.OpenTest(t, "sqlite")
	ctx := context.Background()
	f := &libFixture{st: st, mail: &memMailer{}, s: map[string]model.Session{}}
	now := time.Now().UTC()
	f.c = New(Deps{Store: st, Uncached: true, Mailer: f.mail, PublicURL: "https://ecpts.test",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	mk := func(name string) model.CPTSID {
		x := model.CPTS{ID: model.CPTSID(model.NewID()), Name: name, Department: "41", Status: "active", CreatedAt: now}
		if err := st.CPTS.Insert(ctx, x); err != nil {
			t.Fatal(err)
		}
		return x.ID
	}
	f.ln, f.vc = mk("CPTS Loire Nord"), mk("CPTS Val de Cher")
	user := func(name string, prof model.Profession, c model.CPTSID, role model.Role) {
		u := model.User{ID: model.UserID(model.NewID()), Email: name + "@exemple.fr", Name: name, Profession: prof, CreatedAt: now}
		if err := st.Users.Insert(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := st.Memberships.Insert(ctx, model.Membership{CPTSID: c, UserID: u.ID, Role: role, Status: model.StatusActive, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		f.s[name] = model.Session{UserID: u.ID}
	}
	user("auteur", "infirmier", f.ln, model.RoleMembre)
	user("medecin", "medecin_generaliste", f.ln, model.RoleMembre)
	user("pharma", "pharmacien", f.ln, model.RoleMembre)
	user("coord", "coordination", f.ln, model.RoleCoordinateur)
	user("coord2", "coordination", f.ln, model.RoleCoordinateur)
	user("ide", "infirmier", f.ln, model.RoleMembre)
	user("vcpharma", "pharmacien", f.vc, model.RoleMembre)
	user("vccoord", "coordination", f.vc, model.RoleCoordinateur)
	return f
}

func wantCode(t *testing.T, step string, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %s", step, code)
	}
	var coded *model.CodedError
	var inv *model.InvalidError
	got := ""
	switch {
	case errors.As(err, &coded):
		got = coded.Code
	case errors.As(err, &inv):
		got = inv.ErrorCode()
	}
	if got != code {
		t.Fatalf("%s: error %v (code %q), want %s", step, err, got, code)
	}
}

func TestProtocolWorkflow(t *testing.T) {
	f := newLibFixture(t)
	ctx := context.Background()
	c := f.c
	today := c.today()

	// Bad input at creation.
	_, err := c.CreateProtocol(ctx, f.s["auteur"], ProtocolInput{CPTSID: f.ln, Title: "Cystite", ReviewDate: today.AddDays(-1)})
	wantCode(t, "review date before today", err, "review_date_past")
	_, err = c.CreateProtocol(ctx, f.s["auteur"], ProtocolInput{CPTSID: f.ln, Title: " "})
	wantCode(t, "no title", err, "required")
	_, err = c.CreateProtocol(ctx, f.s["vcpharma"], ProtocolInput{CPTSID: f.ln, Title: "Cystite"})
	wantCode(t, "other CPTS", err, "not_found")
	_, err = c.CreateProtocol(ctx, f.s["auteur"], ProtocolInput{CPTSID: f.ln, Title: "Cystite", Visibility: model.SharingListed})
	wantCode(t, "listed without CPTS", err, "shared_with_required")

	d, err := c.CreateProtocol(ctx, f.s["auteur"], ProtocolInput{
		CPTSID: f.ln, Title: "Cystite simple de la femme", Missions: []model.Mission{model.MissionAcces},
		Professions: []model.Profession{"medecin_generaliste", "pharmacien"}, ReviewDate: today.AddDays(10),
		Visibility: model.SharingListed, SharedWith: []model.CPTSID{f.vc},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := d.ID
	if d.Status != model.ProtocolDraft || d.CurrentVersion != 1 || !strings.Contains(d.Version.Body, "## Objet") ||
		!strings.Contains(d.Version.HTML, "<h3>Objet</h3>") || !d.ReviewDue || d.ReviewOverdue {
		t.Fatalf("created: %+v", d.ProtocolView)
	}
	if len(d.SuggestedReviewers) != 2 {
		t.Fatalf("suggested reviewers: %+v", d.SuggestedReviewers)
	}
	// Val de Cher does not see a protocol never validated.
	if _, err := c.GetProtocol(ctx, f.s["vcpharma"], id); !isNotFound(err) {
		t.Fatalf("VC reads a draft: %v", err)
	}
	page, err := c.ListProtocols(ctx, f.s["vcpharma"], ProtocolFilter{})
	if err != nil || page.Total != 0 {
		t.Fatalf("VC library: %+v %v", page, err)
	}

	// Validating a draft never reviewed.
	_, err = c.ValidateProtocol(ctx, f.s["coord"], id)
	wantCode(t, "validate a draft", err, "protocol_not_in_review")
	// Reviewing before review.
	uid := func(n string) model.UserID { return f.s[n].UserID }
	_, err = c.SubmitProtocol(ctx, f.s["auteur"], id, []model.UserID{uid("auteur")})
	wantCode(t, "author reviewer", err, "reviewer_is_author")
	_, err = c.SubmitProtocol(ctx, f.s["auteur"], id, []model.UserID{uid("vcpharma")})
	wantCode(t, "reviewer of another CPTS", err, "invalid_reviewer")
	_, err = c.SubmitProtocol(ctx, f.s["ide"], id, []model.UserID{uid("medecin")})
	wantCode(t, "submit by a member not author", err, "forbidden")
	d, err = c.SubmitProtocol(ctx, f.s["auteur"], id, []model.UserID{uid("medecin"), uid("pharma")})
	if err != nil || d.Status != model.ProtocolInReview || len(d.ReviewerStates) != 2 {
		t.Fatalf("submit: %+v %v", d.ProtocolView, err)
	}
	_, err = c.ReviewProtocol(ctx, f.s["ide"], id, 1, model.ReviewApprove, "")
	wantCode(t, "non-reviewer reviews", err, "not_a_reviewer")
	_, err = c.ReviewProtocol(ctx, f.s["pharma"], id, 1, model.ReviewChangesRequested, "")
	wantCode(t, "changes without comment", err, "required")
	if _, err = c.ReviewProtocol(ctx, f.s["pharma"], id, 1, model.ReviewChangesRequested, "Préciser la durée du traitement."); err != nil {
		t.Fatal(err)
	}
	if _, err = c.ReviewProtocol(ctx, f.s["medecin"], id, 1, model.ReviewApprove, ""); err != nil {
		t.Fatal(err)
	}
	_, err = c.ReviewProtocol(ctx, f.s["medecin"], id, 1, model.ReviewApprove, "")
	wantCode(t, "approve twice", err, "review_already_given")
	_, err = c.ValidateProtocol(ctx, f.s["coord"], id)
	wantCode(t, "validate with changes requested", err, "protocol_reviews_pending")

	// Version 2 answers the change request; both approve it.
	body := strings.Replace(d.Version.Body, "Décrire en quelques lignes", "Fosfomycine-trométamol dose unique. Décrire", 1)
	d, err = c.UpdateProtocol(ctx, f.s["auteur"], id, ProtocolPatch{Body: &body, Note: "Durée du traitement", BaseVersion: 1})
	if err != nil || d.CurrentVersion != 2 || d.Status != model.ProtocolInReview {
		t.Fatalf("edit: %+v %v", d.ProtocolView, err)
	}
	_, err = c.UpdateProtocol(ctx, f.s["auteur"], id, ProtocolPatch{Body: &body, BaseVersion: 1})
	wantCode(t, "stale editor", err, "protocol_edit_conflict")
	_, err = c.ReviewProtocol(ctx, f.s["pharma"], id, 1, model.ReviewApprove, "")
	wantCode(t, "review an old version", err, "review_version_not_current")
	// Both reviewers approve at once.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, n := range []string{"medecin", "pharma"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.ReviewProtocol(ctx, f.s[n], id, 2, model.ReviewApprove, "")
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("concurrent approvals: %v", errs)
	}
	_, err = c.ValidateProtocol(ctx, f.s["auteur"], id)
	wantCode(t, "member validates", err, "forbidden")
	// Two coordinators validate at once: one transition.
	var okN, inReview int
	for i, n := range []string{"coord", "coord2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.ValidateProtocol(ctx, f.s[n], id)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		var coded *model.CodedError
		switch {
		case err == nil:
			okN++
		case errors.As(err, &coded) && coded.Code == "protocol_not_in_review":
			inReview++
		default:
			t.Fatalf("concurrent validation: %v", err)
		}
	}
	if okN != 1 || inReview != 1 {
		t.Fatalf("concurrent validation: %d ok, %d refused", okN, inReview)
	}
	evs, err := f.st.Protocols.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	validated := 0
	for _, e := range evs {
		if e.Kind == model.ProtocolEventValidated {
			validated++
		}
	}
	if validated != 1 {
		t.Fatalf("%d validation events", validated)
	}

	// Val de Cher now reads it, read-only, and acknowledges version 2.
	d, err = c.GetProtocol(ctx, f.s["vcpharma"], id)
	if err != nil || !d.Shared || d.Can.Edit || d.Version.N != 2 || len(d.ReviewerStates) != 0 || !d.Can.Ack {
		t.Fatalf("VC view: %+v %v", d.ProtocolView, err)
	}
	_, err = c.AckProtocol(ctx, f.s["vcpharma"], id, 1)
	wantCode(t, "ack an old version", err, "ack_version_not_current")
	if d, err = c.AckProtocol(ctx, f.s["vcpharma"], id, 2); err != nil || !d.Acked || d.Can.Ack {
		t.Fatalf("ack: %+v %v", d.ProtocolView, err)
	}
	if _, err = c.AckProtocol(ctx, f.s["ide"], id, 2); err != nil {
		t.Fatal(err)
	}
	// The LN coordinator's report: target professions médecin and
	// pharmacien of LN, none acknowledged; the VC coordinator's: its
	// pharmacist did.
	r, err := c.ProtocolAcks(ctx, f.s["coord"], id, "")
	if err != nil || r.AckedCount != 0 || r.PendingCount != 2 || len(r.Professions) != 2 {
		t.Fatalf("LN report: %+v %v", r, err)
	}
	r, err = c.ProtocolAcks(ctx, f.s["vccoord"], id, "")
	if err != nil || r.AckedCount != 1 || r.PendingCount != 0 || r.CPTS.ID != f.vc {
		t.Fatalf("VC report: %+v %v", r, err)
	}
	_, err = c.ProtocolAcks(ctx, f.s["vccoord"], id, f.ln)
	wantCode(t, "VC coordinator reads LN acks", err, "forbidden")
	_, err = c.ProtocolAcks(ctx, f.s["ide"], id, "")
	wantCode(t, "member reads acks", err, "forbidden")
	res, err := c.RemindProtocol(ctx, f.s["coord"], id, "")
	if err != nil || res.Sent != 2 || len(f.mail.sent) != 2 || !strings.Contains(f.mail.sent[0].Text, "https://ecpts.test/protocoles/"+string(id)) {
		t.Fatalf("remind: %+v %v %+v", res, err, f.mail.sent)
	}

	// A new version of the validated protocol: a draft, version 2 stays in
	// force for Val de Cher, and validating version 3 asks for a new ack.
	body3 := body + "\nNouvelle référence HAS 2026.\n"
	d, err = c.UpdateProtocol(ctx, f.s["coord"], id, ProtocolPatch{Body: &body3})
	if err != nil || d.Status != model.ProtocolDraft || d.ValidatedVersion != 2 || d.CurrentVersion != 3 {
		t.Fatalf("v3: %+v %v", d.ProtocolView, err)
	}
	d, err = c.GetProtocol(ctx, f.s["vcpharma"], id)
	if err != nil || d.Version.N != 2 || d.Status != model.ProtocolValidated || !d.Acked {
		t.Fatalf("VC during v3: %+v %v", d.ProtocolView, err)
	}
	if _, err := c.ProtocolVersion(ctx, f.s["vcpharma"], id, 3); !isNotFound(err) {
		t.Fatalf("VC reads draft v3: %v", err)
	}
	if _, err := c.SubmitProtocol(ctx, f.s["coord"], id, []model.UserID{uid("medecin")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReviewProtocol(ctx, f.s["medecin"], id, 3, model.ReviewApprove, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ValidateProtocol(ctx, f.s["coord"], id); err != nil {
		t.Fatal(err)
	}
	d, err = c.GetProtocol(ctx, f.s["vcpharma"], id)
	if err != nil || d.Version.N != 3 || d.Acked || !d.Can.Ack {
		t.Fatalf("VC after v3: %+v %v", d.ProtocolView, err)
	}
	vs, err := c.ProtocolVersions(ctx, f.s["auteur"], id)
	if err != nil || len(vs) != 3 || !vs[2].Validated || vs[1].Note != "Durée du traitement" {
		t.Fatalf("versions: %+v %v", vs, err)
	}

	// Archived: nobody edits it.
	if _, err := c.ArchiveProtocol(ctx, f.s["auteur"], id); err == nil {
		t.Fatal("a member archives")
	}
	if _, err := c.ArchiveProtocol(ctx, f.s["coord"], id); err != nil {
		t.Fatal(err)
	}
	title := "Autre titre"
	_, err = c.UpdateProtocol(ctx, f.s["coord"], id, ProtocolPatch{Title: &title})
	wantCode(t, "edit archived", err, "protocol_archived")
	_, err = c.AckProtocol(ctx, f.s["ide"], id, 3)
	wantCode(t, "ack archived", err, "protocol_archived")

	// Filters.
	page, err = c.ListProtocols(ctx, f.s["vcpharma"], ProtocolFilter{ReviewDue: true})
	if err != nil || page.Total != 1 || !page.Items[0].Shared || page.Items[0].CPTSName != "CPTS Loire Nord" {
		t.Fatalf("VC review due: %+v %v", page, err)
	}
	page, err = c.ListProtocols(ctx, f.s["ide"], ProtocolFilter{Profession: "infirmier"})
	if err != nil || page.Total != 0 {
		t.Fatalf("profession filter: %+v %v", page, err)
	}
	_, err = c.ListProtocols(ctx, f.s["ide"], ProtocolFilter{Status: "publie"})
	wantCode(t, "unknown status", err, "invalid_status")
}

// protocolTestPDF is a one-page PDF (the sniffer takes it for one).
const protocolTestPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

// TestProtocolPDFCarried: a new version that changes only the text keeps
// the previous version's PDF, which the readers of the validated version
// (another CPTS it is shared with) download; only an explicit "" removes
// it, and a later text change does not bring it back.
func TestProtocolPDFCarried(t *testing.T) {
	f := newLibFixture(t)
	ctx := context.Background()
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := New(Deps{Store: f.st, Uncached: true, Mailer: f.mail, PublicURL: "https://ecpts.test", Blobs: blobs,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	uid := func(n string) model.UserID { return f.s[n].UserID }
	pdf, err := c.Upload(ctx, f.s["auteur"], FileWhere{CPTS: f.ln}, "cystite.pdf", strings.NewReader(protocolTestPDF))
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.CreateProtocol(ctx, f.s["auteur"], ProtocolInput{CPTSID: f.ln, Title: "Cystite simple",
		Visibility: model.SharingListed, SharedWith: []model.CPTSID{f.vc}, PDF: pdf.ID})
	if err != nil {
		t.Fatal(err)
	}
	id := d.ID
	body := d.Version.Body + "\n\nFosfomycine-trométamol en dose unique.\n"
	d, err = c.UpdateProtocol(ctx, f.s["auteur"], id, ProtocolPatch{Body: &body, Note: "Traitement", BaseVersion: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d.CurrentVersion != 2 || d.Version.PDF != pdf.ID || d.PDF == nil || d.PDF.ID != pdf.ID {
		t.Fatalf("a text change dropped the PDF: version %d pdf %q %+v", d.CurrentVersion, d.Version.PDF, d.PDF)
	}
	// Naming the same PDF again changes nothing about it either.
	same := pdf.ID
	body2 := body + "Contrôle à 48 h.\n"
	if d, err = c.UpdateProtocol(ctx, f.s["auteur"], id, ProtocolPatch{Body: &body2, PDF: &same}); err != nil || d.Version.PDF != pdf.ID {
		t.Fatalf("same PDF named again: %q %v", d.Version.PDF, err)
	}
	// Version 3 validated: Val de Cher reads its PDF (attached to version 1).
	if _, err := c.SubmitProtocol(ctx, f.s["auteur"], id, []model.UserID{uid("medecin")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReviewProtocol(ctx, f.s["medecin"], id, 3, model.ReviewApprove, ""); err != nil {
		t.Fatal(err)
	}
	if d, err = c.ValidateProtocol(ctx, f.s["coord"], id); err != nil || d.ValidatedVersion != 3 {
		t.Fatalf("validate: %+v %v", d.ProtocolView, err)
	}
	seen, err := c.GetProtocol(ctx, f.s["vcpharma"], id)
	if err != nil || seen.PDF == nil || seen.PDF.ID != pdf.ID {
		t.Fatalf("Val de Cher's view of the validated version: %+v %v", seen.PDF, err)
	}
	dl, err := c.OpenFile(ctx, f.s["vcpharma"], pdf.ID, false)
	if err != nil {
		t.Fatalf("Val de Cher downloads the validated version's PDF: %v", err)
	}
	dl.Object.Close()
	// Removed explicitly: version 4 has none, and a text change after it
	// does not bring it back; Val de Cher still reads it (version 3 is in
	// force).
	none := model.FileID("")
	if d, err = c.UpdateProtocol(ctx, f.s["auteur"], id, ProtocolPatch{PDF: &none, Note: "Sans PDF"}); err != nil || d.CurrentVersion != 4 || d.PDF != nil {
		t.Fatalf("remove the PDF: version %d %+v %v", d.CurrentVersion, d.PDF, err)
	}
	body3 := body2 + "Orientation si fièvre.\n"
	if d, err = c.UpdateProtocol(ctx, f.s["auteur"], id, ProtocolPatch{Body: &body3}); err != nil || d.CurrentVersion != 5 || d.Version.PDF != "" || d.PDF != nil {
		t.Fatalf("text change after the removal: version %d %q %v", d.CurrentVersion, d.Version.PDF, err)
	}
	if dl, err = c.OpenFile(ctx, f.s["vcpharma"], pdf.ID, false); err != nil {
		t.Fatalf("Val de Cher after the removal in a draft: %v", err)
	}
	dl.Object.Close()
}
