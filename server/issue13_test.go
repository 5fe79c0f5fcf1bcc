package server

import (
	"encoding/json"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// Issue 13: the platform administration's CPTS pages, pending members,
// title forms, profile cards and the home page.

func TestAdminCreatesEditsAndCountsCPTS(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin@ecpts.demo")
	coord := h.login("coordination@loire-nord.demo")
	ln := h.id("cpts:CPTS Loire Nord")

	var ov struct {
		CPTS []struct {
			ID                 string   `json:"id"`
			Name               string   `json:"name"`
			Communes           []string `json:"communes"`
			Members            int      `json:"members"`
			Coordinators       int      `json:"coordinators"`
			Pending            int      `json:"pending"`
			PendingInvitations int      `json:"pending_invitations"`
			Channels           int      `json:"channels"`
			Groups             int      `json:"groups"`
		} `json:"cpts"`
	}
	h.getJSON(admin, "/api/v1/admin/cpts", &ov)
	if len(ov.CPTS) != 2 {
		t.Fatalf("overview: want the 2 demo CPTS, got %+v", ov.CPTS)
	}
	got := ov.CPTS[0]
	if got.ID != ln || got.Members != 7 || got.Coordinators != 1 || got.Pending != 0 || got.Channels != 5 || got.Groups != 2 {
		t.Fatalf("Loire Nord counts: %+v", got)
	}
	_, body := h.do(admin, "GET", "/api/v1/admin/cpts", "")
	for _, secret := range []string{"général", "bureau", "Claire Morel", "@"} {
		if strings.Contains(body, secret) {
			t.Fatalf("the overview shows counts, not content (%q): %s", secret, body)
		}
	}
	res, body := h.do(coord, "GET", "/api/v1/admin/cpts", "")
	mustStatus(t, "overview by a coordinator", res.StatusCode, body, 403, "forbidden")

	// Admin still reads no channel of a CPTS.
	_, body = h.do(admin, "GET", "/api/v1/channels", "")
	if strings.Contains(body, h.id("chan:LN:général")) {
		t.Fatalf("the platform admin must not see the channels of a CPTS: %s", body)
	}

	// Create, then edit.
	res, body = h.do(admin, "POST", "/api/v1/cpts", `{"name":"CPTS Sud Touraine","department":"37","communes":["Loches"]}`)
	mustStatus(t, "create", res.StatusCode, body, 201, "")
	var created struct {
		CPTS struct{ ID string } `json:"cpts"`
	}
	_ = json.Unmarshal([]byte(body), &created)
	st := created.CPTS.ID
	res, body = h.do(admin, "PATCH", "/api/v1/cpts/"+st, `{"name":"CPTS du Lochois","communes":["Loches","Beaulieu-lès-Loches","Loches"],"status":"projet"}`)
	mustStatus(t, "edit", res.StatusCode, body, 200, "")
	for _, want := range []string{`"name":"CPTS du Lochois"`, `"communes":["Loches","Beaulieu-lès-Loches"]`, `"status":"projet"`, `"department":"37"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("edit: want %s: %s", want, body)
		}
	}
	res, body = h.do(admin, "PATCH", "/api/v1/cpts/"+st, `{"name":"cpts loire nord"}`)
	mustStatus(t, "edit to a taken name", res.StatusCode, body, 409, "name_taken")
	res, body = h.do(admin, "PATCH", "/api/v1/cpts/"+st, `{"department":"99"}`)
	mustStatus(t, "edit to a bad department", res.StatusCode, body, 400, "invalid_department")
	res, body = h.do(admin, "PATCH", "/api/v1/cpts/"+st, `{"status":"fermée"}`)
	mustStatus(t, "edit to a bad status", res.StatusCode, body, 400, "invalid_status")
	res, body = h.do(coord, "PATCH", "/api/v1/cpts/"+ln, `{"name":"CPTS Renommée"}`)
	mustStatus(t, "edit by its coordinator", res.StatusCode, body, 403, "forbidden")
	res, body = h.do(coord, "PATCH", "/api/v1/cpts/"+st, `{"name":"CPTS Renommée"}`)
	mustStatus(t, "edit of another CPTS by a coordinator", res.StatusCode, body, 404, "not_found")
	res, body = h.do(admin, "PATCH", "/api/v1/cpts/"+strings.Repeat("f", 24), `{"name":"X"}`)
	mustStatus(t, "edit of an unknown CPTS", res.StatusCode, body, 404, "not_found")

	// Name its first coordinator: the invitation says "la CPTS du
	// Lochois", and the named coordinator starts active.
	res, body = h.do(admin, "POST", "/api/v1/cpts/"+st+"/invitations", `{"email":"coordination@lochois.exemple.fr","role":"coordinateur"}`)
	mustStatus(t, "invite the coordinator", res.StatusCode, body, 201, "")
	mail := decodedMail(t, h.lastRawMail())
	if !strings.Contains(mail, "Subject: Invitation à rejoindre la CPTS du Lochois sur e-CPTS") || !strings.Contains(mail, "vous invite à rejoindre la CPTS du Lochois") {
		t.Fatalf("the invitation must say 'rejoindre la CPTS du Lochois': %s", mail)
	}
	token := h.lastInvitationToken()
	res, body = h.do(session{}, "POST", "/api/v1/invitations/"+token+"/accept",
		`{"name":"Agnès Villain","profession":"coordination","commune":"Loches","password":"un-bon-mot-de-passe-7"}`)
	mustStatus(t, "accept", res.StatusCode, body, 200, "")
	if !strings.Contains(body, `"status":"active"`) || !strings.Contains(body, `"role":"coordinateur"`) {
		t.Fatalf("a coordinator named by the admin starts active: %s", body)
	}
	h.getJSON(admin, "/api/v1/admin/cpts", &ov)
	for _, x := range ov.CPTS {
		if x.ID == st && (x.Members != 1 || x.Coordinators != 1 || x.Pending != 0 || x.PendingInvitations != 0 || x.Channels != 0) {
			t.Fatalf("the new CPTS's counts: %+v", x)
		}
	}
	// Each step is in the audit log.
	_, body = h.do(admin, "GET", "/api/v1/cpts/"+st+"/audit", "")
	for _, action := range []string{"cpts_created", "cpts_updated", "invitation_created", "invitation_accepted", "member_validated"} {
		if !strings.Contains(body, `"action":"`+action+`"`) {
			t.Fatalf("audit log lacks %s: %s", action, body)
		}
	}

	// An invitation as coordinator by a coordinator still needs validation.
	res, body = h.do(coord, "POST", "/api/v1/cpts/"+ln+"/invitations", `{"email":"co-coord@exemple.fr","role":"coordinateur"}`)
	mustStatus(t, "coordinator invites a coordinator", res.StatusCode, body, 201, "")
	if mail := decodedMail(t, h.lastRawMail()); !strings.Contains(mail, "vous invite à rejoindre la CPTS Loire Nord") {
		t.Fatalf("the invitation must say 'rejoindre la CPTS Loire Nord': %s", mail)
	}
	res, body = h.do(session{}, "POST", "/api/v1/invitations/"+h.lastInvitationToken()+"/accept",
		`{"name":"Paul Co","profession":"coordination","commune":"Roanne","password":"un-bon-mot-de-passe-7"}`)
	mustStatus(t, "accept 2", res.StatusCode, body, 200, "")
	if !strings.Contains(body, `"status":"pending"`) {
		t.Fatalf("a coordinator invited by a coordinator waits for validation: %s", body)
	}
}

func TestPendingMembersCountRefuseAndHome(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	ln := h.id("cpts:CPTS Loire Nord")

	invite := func(email, name string) string {
		t.Helper()
		res, body := h.do(coord, "POST", "/api/v1/cpts/"+ln+"/invitations", `{"email":"`+email+`","role":"membre"}`)
		mustStatus(t, "invite "+email, res.StatusCode, body, 201, "")
		res, body = h.do(session{}, "POST", "/api/v1/invitations/"+h.lastInvitationToken()+"/accept",
			`{"name":"`+name+`","profession":"orthoptiste","commune":"Roanne","password":"un-bon-mot-de-passe-7"}`)
		mustStatus(t, "accept "+email, res.StatusCode, body, 200, "")
		var acc struct {
			User struct{ ID string } `json:"user"`
		}
		_ = json.Unmarshal([]byte(body), &acc)
		return acc.User.ID
	}
	a := invite("attente.a@exemple.fr", "Alice Attente")
	b := invite("attente.b@exemple.fr", "Bruno Attente")

	pendingOf := func(s session) (me, list int) {
		t.Helper()
		var m struct {
			Memberships []struct {
				CPTSID       string `json:"cpts_id"`
				PendingCount int    `json:"pending_count"`
			} `json:"memberships"`
		}
		h.getJSON(s, "/api/v1/me", &m)
		for _, x := range m.Memberships {
			if x.CPTSID == ln {
				me = x.PendingCount
			}
		}
		var l struct {
			CPTS []struct {
				ID           string `json:"id"`
				PendingCount int    `json:"pending_count"`
			} `json:"cpts"`
		}
		h.getJSON(s, "/api/v1/cpts", &l)
		for _, x := range l.CPTS {
			if x.ID == ln {
				list = x.PendingCount
			}
		}
		return
	}
	if me, list := pendingOf(coord); me != 2 || list != 2 {
		t.Fatalf("coordinator: pending_count %d (me) and %d (cpts), want 2", me, list)
	}
	if me, list := pendingOf(ide); me != 0 || list != 0 {
		t.Fatalf("a member is not told of pending members: %d, %d", me, list)
	}
	var home struct {
		Pending []struct {
			CPTSID   string `json:"cpts_id"`
			CPTSName string `json:"cpts_name"`
			Member   struct {
				User struct {
					ID    string `json:"id"`
					Email string `json:"email"`
				} `json:"user"`
				Status string `json:"status"`
			} `json:"member"`
		} `json:"pending"`
	}
	h.getJSON(coord, "/api/v1/home", &home)
	if len(home.Pending) != 2 || home.Pending[0].Member.User.ID != a || home.Pending[0].CPTSName != "CPTS Loire Nord" ||
		home.Pending[0].Member.Status != "pending" || home.Pending[0].Member.User.Email != "attente.a@exemple.fr" {
		t.Fatalf("the coordinator's home lists the pending members, oldest first: %+v", home.Pending)
	}
	h.getJSON(ide, "/api/v1/home", &home)
	if len(home.Pending) != 0 {
		t.Fatalf("a member's home has no pending members: %+v", home.Pending)
	}

	res, body := h.do(ide, "POST", "/api/v1/cpts/"+ln+"/members/"+a+"/refuse", "")
	mustStatus(t, "refuse by a member", res.StatusCode, body, 403, "forbidden")
	res, body = h.do(coord, "POST", "/api/v1/cpts/"+ln+"/members/"+a+"/refuse", "")
	mustStatus(t, "refuse", res.StatusCode, body, 204, "")
	res, body = h.do(coord, "POST", "/api/v1/cpts/"+ln+"/members/"+a+"/refuse", "")
	mustStatus(t, "refuse again", res.StatusCode, body, 404, "not_found")
	res, body = h.do(coord, "POST", "/api/v1/cpts/"+ln+"/members/"+b+"/validate", "")
	mustStatus(t, "validate", res.StatusCode, body, 200, "")
	res, body = h.do(coord, "POST", "/api/v1/cpts/"+ln+"/members/"+b+"/refuse", "")
	mustStatus(t, "refuse a validated member", res.StatusCode, body, 409, "not_pending")
	if me, list := pendingOf(coord); me != 0 || list != 0 {
		t.Fatalf("after refusal and validation: pending_count %d, %d", me, list)
	}
	_, body = h.do(coord, "GET", "/api/v1/cpts/"+ln+"/audit", "")
	if !strings.Contains(body, `"action":"member_refused"`) {
		t.Fatalf("a refusal is in the audit log: %s", body)
	}
}

func TestTitleForms(t *testing.T) {
	h := newHarness(t)
	ide := h.login("infirmiere@loire-nord.demo")
	coord := h.login("coordination@loire-nord.demo")
	ln := h.id("cpts:CPTS Loire Nord")

	var me struct {
		User struct {
			ProfessionLabel string `json:"profession_label"`
			TitleForm       string `json:"title_form"`
		} `json:"user"`
		Memberships []struct {
			RoleLabel string `json:"role_label"`
		} `json:"memberships"`
	}
	h.getJSON(ide, "/api/v1/me", &me)
	if me.User.ProfessionLabel != "Infirmier·ère" {
		t.Fatalf("without a choice the label is inclusive: %+v", me.User)
	}
	res, body := h.do(ide, "PATCH", "/api/v1/me", `{"title_form":"feminin"}`)
	mustStatus(t, "choose feminine", res.StatusCode, body, 200, "")
	if !strings.Contains(body, `"profession_label":"Infirmière"`) || !strings.Contains(body, `"title_form":"feminin"`) {
		t.Fatalf("the chosen form names the person: %s", body)
	}
	res, body = h.do(ide, "PATCH", "/api/v1/me", `{"title_form":"neutre"}`)
	mustStatus(t, "bad form", res.StatusCode, body, 400, "")
	if !strings.Contains(body, "invalid_title_form") && !strings.Contains(body, `"field":"title_form"`) {
		t.Fatalf("bad form: %s", body)
	}
	res, body = h.do(coord, "PATCH", "/api/v1/me", `{"title_form":"feminin"}`)
	mustStatus(t, "coordinator chooses feminine", res.StatusCode, body, 200, "")
	h.getJSON(coord, "/api/v1/me", &me)
	if len(me.Memberships) != 1 || me.Memberships[0].RoleLabel != "Coordinatrice" {
		t.Fatalf("the role is named in the chosen form: %+v", me.Memberships)
	}
	// Others see the person so named: member list, directory, messages' authors.
	_, body = h.do(ide, "GET", "/api/v1/cpts/"+ln+"/members", "")
	if !strings.Contains(body, `"role_label":"Coordinatrice"`) || !strings.Contains(body, `"profession_label":"Infirmière"`) {
		t.Fatalf("member list: %s", body)
	}
	_, body = h.do(coord, "GET", "/api/v1/directory", "")
	if !strings.Contains(body, `"profession_label":"Infirmière"`) {
		t.Fatalf("directory: %s", body)
	}
	// The lists of professions keep the inclusive form and give the others.
	_, body = h.do(session{}, "GET", "/api/v1/meta", "")
	if !strings.Contains(body, `"label":"Infirmier·ère","label_feminine":"Infirmière","label_masculine":"Infirmier"`) {
		t.Fatalf("meta: %s", body)
	}
	res, body = h.do(ide, "PATCH", "/api/v1/me", `{"title_form":"masculin"}`)
	mustStatus(t, "choose masculine", res.StatusCode, body, 200, "")
	if !strings.Contains(body, `"profession_label":"Infirmier"`) {
		t.Fatalf("masculine: %s", body)
	}
}

func TestProfileCard(t *testing.T) {
	h := newHarness(t)
	ide := h.login("infirmiere@loire-nord.demo")
	pharma := h.login("pharmacien@val-de-cher.demo")
	admin := h.login("admin@ecpts.demo")
	kine := h.id("user:Marc Lefèvre")
	sophie := h.id("user:Sophie Garnier")

	type card struct {
		User struct {
			ID              string `json:"id"`
			Name            string `json:"name"`
			Email           string `json:"email"`
			ProfessionLabel string `json:"profession_label"`
			Commune         string `json:"commune"`
			RPPS            string `json:"rpps"`
		} `json:"user"`
		CPTS []struct {
			Name      string `json:"name"`
			RoleLabel string `json:"role_label"`
		} `json:"cpts"`
		CanMessage bool `json:"can_message"`
	}
	var c card
	h.getJSON(ide, "/api/v1/users/"+kine, &c)
	if c.User.Name != "Marc Lefèvre" || c.User.Commune != "Mably" || !model.ValidRPPS(c.User.RPPS) || c.User.Email != "" ||
		len(c.CPTS) != 1 || c.CPTS[0].Name != "CPTS Loire Nord" || c.CPTS[0].RoleLabel != "Membre" || !c.CanMessage {
		t.Fatalf("a colleague of the same CPTS sees the card with the RPPS: %+v", c)
	}
	// The pharmacist of Val de Cher shares the BPCO group with the kiné:
	// the card, not the RPPS.
	c = card{}
	h.getJSON(pharma, "/api/v1/users/"+kine, &c)
	if c.User.Name != "Marc Lefèvre" || c.User.RPPS != "" || !c.CanMessage || len(c.CPTS) != 1 {
		t.Fatalf("across CPTS, through a group: the card without the RPPS: %+v", c)
	}
	// The nurse and the pharmacist share nothing: the same 404 as an
	// unknown id.
	res, foreign := h.do(pharma, "GET", "/api/v1/users/"+sophie, "")
	mustStatus(t, "foreign user", res.StatusCode, foreign, 404, "not_found")
	res, unknown := h.do(pharma, "GET", "/api/v1/users/"+strings.Repeat("a", 24), "")
	mustStatus(t, "unknown user", res.StatusCode, unknown, 404, "not_found")
	if foreign != unknown {
		t.Fatalf("a foreign user must answer as an unknown one: %s vs %s", foreign, unknown)
	}
	res, body := h.do(pharma, "GET", "/api/v1/users/not-an-id", "")
	mustStatus(t, "malformed id", res.StatusCode, body, 404, "")
	res, body = h.do(session{}, "GET", "/api/v1/users/"+kine, "")
	mustStatus(t, "no session", res.StatusCode, body, 401, "")
	// The platform admin sees the card (it manages membership), not the RPPS.
	c = card{}
	h.getJSON(admin, "/api/v1/users/"+kine, &c)
	if c.User.Name != "Marc Lefèvre" || c.User.RPPS != "" {
		t.Fatalf("admin: %+v", c)
	}
}

func TestHomeMentionsAndThreads(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	kine := h.login("kine@loire-nord.demo")
	gen := h.id("chan:LN:général")

	type homeOut struct {
		MentionCount int `json:"mention_count"`
		Mentions     []struct {
			Message struct {
				ID   string `json:"id"`
				Body string `json:"body"`
			} `json:"message"`
			ChannelName string `json:"channel_name"`
			Excerpt     string `json:"excerpt"`
		} `json:"mentions"`
		Threads []struct {
			Root struct {
				ID string `json:"id"`
			} `json:"root"`
			ChannelName string `json:"channel_name"`
			Unread      int    `json:"unread"`
			ReplyCount  int    `json:"reply_count"`
		} `json:"threads"`
	}
	var home homeOut
	h.getJSON(ide, "/api/v1/home", &home)
	if home.MentionCount != 0 || len(home.Mentions) != 0 || len(home.Threads) != 0 {
		t.Fatalf("nothing needs the nurse yet: %+v", home)
	}

	// Her own message first: writing in a channel reads it.
	st, root, body := send(t, h, ide, gen, "Qui a des nouvelles du protocole plaies ?", "")
	if st != 201 {
		t.Fatalf("send root: %d %s", st, body)
	}
	long := "@sophie pouvez-vous passer chez Mme D. demain matin ? " + strings.Repeat("Détails du pansement. ", 20)
	st, m, body := send(t, h, kine, gen, long, "")
	if st != 201 {
		t.Fatalf("send: %d %s", st, body)
	}
	st, _, body = send(t, h, coord, gen, "Il arrive la semaine prochaine.", root.Message.ID)
	if st != 201 {
		t.Fatalf("reply: %d %s", st, body)
	}

	h.getJSON(ide, "/api/v1/home", &home)
	if home.MentionCount != 1 || len(home.Mentions) != 1 || home.Mentions[0].Message.ID != m.Message.ID || home.Mentions[0].ChannelName != "général" {
		t.Fatalf("the mention is on the nurse's home: %+v", home)
	}
	if ex := home.Mentions[0].Excerpt; len([]rune(ex)) > 160 || !strings.HasSuffix(ex, "…") || !strings.HasPrefix(ex, "@sophie pouvez-vous") {
		t.Fatalf("excerpt: %q", ex)
	}
	if len(home.Threads) != 1 || home.Threads[0].Root.ID != root.Message.ID || home.Threads[0].Unread != 1 || home.Threads[0].ReplyCount != 1 {
		t.Fatalf("the thread with a new reply is on the nurse's home: %+v", home.Threads)
	}
	// Read: both go.
	res, body := h.do(ide, "POST", "/api/v1/channels/"+gen+"/read", `{"seq":`+strconv.FormatUint(m.Message.Seq+10, 10)+`}`)
	mustStatus(t, "read", res.StatusCode, body, 204, "")
	res, body = h.do(ide, "POST", "/api/v1/messages/"+root.Message.ID+"/thread-read", `{"seq":`+strconv.FormatUint(m.Message.Seq+10, 10)+`}`)
	mustStatus(t, "thread read", res.StatusCode, body, 204, "")
	h.getJSON(ide, "/api/v1/home", &home)
	if home.MentionCount != 0 || len(home.Mentions) != 0 || len(home.Threads) != 0 {
		t.Fatalf("read mentions and threads leave the home: %+v", home)
	}
	// Someone who was not mentioned has no mention.
	h.getJSON(coord, "/api/v1/home", &home)
	if home.MentionCount != 0 {
		t.Fatalf("the coordinator was not mentioned: %+v", home)
	}
}

// decodedMail is an .eml's subject and text, their encodings undone.
func decodedMail(t *testing.T, eml string) string {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(eml))
	if err != nil {
		t.Fatalf("read e-mail: %v", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject: %v", err)
	}
	var body []byte
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body, err = io.ReadAll(quotedprintable.NewReader(msg.Body))
	} else {
		body, err = io.ReadAll(msg.Body)
	}
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	return "Subject: " + subject + "\n\n" + string(body)
}

// lastRawMail is the newest .eml as written.
func (h *harness) lastRawMail() string {
	h.t.Helper()
	files, _ := filepath.Glob(filepath.Join(h.mailDir, "*.eml"))
	var newest string
	var newestT time.Time
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && !fi.ModTime().Before(newestT) {
			newest, newestT = f, fi.ModTime()
		}
	}
	if newest == "" {
		h.t.Fatal("no e-mail written")
	}
	b, err := os.ReadFile(newest)
	if err != nil {
		h.t.Fatal(err)
	}
	return string(b)
}
