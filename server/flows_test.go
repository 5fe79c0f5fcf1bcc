package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

func mustStatus(t *testing.T, what string, got int, body string, want int, code string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d: %s", what, got, want, trim(body))
	}
	if code != "" && !strings.Contains(body, `"code":"`+code+`"`) {
		t.Fatalf("%s: want code %s: %s", what, code, trim(body))
	}
}

func TestInvitationFlow(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	ln := h.id("cpts:CPTS Loire Nord")

	res, body := h.do(coord, "POST", "/api/v1/cpts/"+ln+"/invitations", `{"email":"Nouvelle.IDE@exemple.fr","role":"membre"}`)
	mustStatus(t, "invite", res.StatusCode, body, 201, "")
	if strings.Contains(body, "token") {
		t.Fatalf("the invitation token must only travel by e-mail: %s", body)
	}
	token := h.lastInvitationToken()

	res, body = h.do(session{}, "GET", "/api/v1/invitations/"+token, "")
	mustStatus(t, "info", res.StatusCode, body, 200, "")
	for _, want := range []string{"nouvelle.ide@exemple.fr", "CPTS Loire Nord", "Claire Morel", `"existing_account":false`} {
		if !strings.Contains(body, want) {
			t.Fatalf("info lacks %q: %s", want, body)
		}
	}

	accept := func(fields string) (int, string, string) {
		res, body := h.do(session{}, "POST", "/api/v1/invitations/"+token+"/accept", fields)
		cookie := ""
		for _, c := range res.Cookies() {
			if c.Name == SessionCookie {
				cookie = c.Value
			}
		}
		return res.StatusCode, body, cookie
	}
	valid := model.RPPSWithCheckDigit("1009912345")
	st, body, _ := accept(`{"name":"Léa Nouvelle","profession":"infirmier","rpps":"` + valid + `","commune":"Roanne","password":"court"}`)
	mustStatus(t, "weak password", st, body, 400, "weak_password")
	if !strings.Contains(body, "10 caractères") {
		t.Fatalf("the weak-password error must say what is required: %s", body)
	}
	st, body, _ = accept(`{"name":"Léa Nouvelle","profession":"infirmier","rpps":"12345678901","commune":"Roanne","password":"un-bon-mot-de-passe-7"}`)
	mustStatus(t, "bad rpps", st, body, 400, "invalid_rpps")
	st, body, _ = accept(`{"name":"Léa Nouvelle","profession":"sorcière","commune":"Roanne","password":"un-bon-mot-de-passe-7"}`)
	mustStatus(t, "bad profession", st, body, 400, "invalid_profession")
	st, body, _ = accept(`{"name":"","profession":"infirmier","password":"un-bon-mot-de-passe-7"}`)
	mustStatus(t, "no name", st, body, 400, "required")
	// Nothing was written by the failed attempts: the invitation still works.
	st, body, cookie := accept(`{"name":"Léa Nouvelle","profession":"infirmier","rpps":"` + valid + `","commune":"Roanne","password":"un-bon-mot-de-passe-7"}`)
	mustStatus(t, "accept", st, body, 200, "")
	if cookie == "" || !strings.Contains(body, `"status":"pending"`) {
		t.Fatalf("accept: want a session and a pending membership: %s", body)
	}
	var acc struct {
		User struct{ ID string } `json:"user"`
		CSRF string              `json:"csrf_token"`
	}
	_ = json.Unmarshal([]byte(body), &acc)
	lea := session{cookie: cookie, csrf: acc.CSRF}

	st2, body := h.do(session{}, "POST", "/api/v1/invitations/"+token+"/accept", `{"name":"Autre","profession":"infirmier","password":"un-bon-mot-de-passe-7"}`)
	mustStatus(t, "reuse", st2.StatusCode, body, 410, "invitation_used")

	// Pending: sees the CPTS name, nothing inside.
	res, body = h.do(lea, "GET", "/api/v1/channels", "")
	mustStatus(t, "pending channels", res.StatusCode, body, 200, "")
	if strings.Contains(body, h.id("chan:LN:général")) {
		t.Fatalf("a pending member must not see channels: %s", body)
	}
	res, body = h.do(lea, "GET", "/api/v1/cpts/"+ln+"/members", "")
	mustStatus(t, "pending members", res.StatusCode, body, 404, "not_found")

	res, body = h.do(coord, "POST", "/api/v1/cpts/"+ln+"/members/"+acc.User.ID+"/validate", "")
	mustStatus(t, "validate", res.StatusCode, body, 200, "")
	_, body = h.do(lea, "GET", "/api/v1/channels", "")
	if !strings.Contains(body, h.id("chan:LN:général")) {
		t.Fatalf("a validated member sees the public channels: %s", body)
	}
	res, body = h.do(lea, "POST", "/api/v1/channels/"+h.id("chan:LN:général")+"/join", "")
	mustStatus(t, "join", res.StatusCode, body, 200, "")

	// Expired invitation.
	res, body = h.do(coord, "POST", "/api/v1/cpts/"+ln+"/invitations", `{"email":"tardif@exemple.fr","role":"partenaire"}`)
	mustStatus(t, "invite 2", res.StatusCode, body, 201, "")
	late := h.lastInvitationToken()
	h.advance(8 * 24 * time.Hour)
	res, body = h.do(session{}, "GET", "/api/v1/invitations/"+late, "")
	mustStatus(t, "expired", res.StatusCode, body, 410, "invitation_expired")
}

func TestRevokedInvitation(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	ln := h.id("cpts:CPTS Loire Nord")
	res, body := h.do(coord, "POST", "/api/v1/cpts/"+ln+"/invitations", `{"email":"revoque@exemple.fr","role":"membre"}`)
	mustStatus(t, "invite", res.StatusCode, body, 201, "")
	token := h.lastInvitationToken()
	var inv struct {
		Invitation struct{ ID string } `json:"invitation"`
	}
	_ = json.Unmarshal([]byte(body), &inv)
	_, body = h.do(coord, "GET", "/api/v1/cpts/"+ln+"/invitations", "")
	if !strings.Contains(body, "revoque@exemple.fr") {
		t.Fatalf("pending list: %s", body)
	}
	res, body = h.do(coord, "DELETE", "/api/v1/cpts/"+ln+"/invitations/"+inv.Invitation.ID, "")
	mustStatus(t, "revoke", res.StatusCode, body, 204, "")
	res, body = h.do(session{}, "POST", "/api/v1/invitations/"+token+"/accept", `{"name":"X Y","profession":"infirmier","password":"un-bon-mot-de-passe-7"}`)
	mustStatus(t, "accept revoked", res.StatusCode, body, 410, "invitation_revoked")
}

func TestRemoveMemberCascades(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	kine := h.login("kine@loire-nord.demo")
	ln, bpco := h.id("cpts:CPTS Loire Nord"), h.id("group:Parcours BPCO inter-CPTS")
	res, body := h.do(kine, "GET", "/api/v1/groups/"+bpco, "")
	mustStatus(t, "kine sees group", res.StatusCode, body, 200, "")

	res, body = h.do(coord, "DELETE", "/api/v1/cpts/"+ln+"/members/"+h.id("user:Marc Lefèvre"), "")
	mustStatus(t, "remove", res.StatusCode, body, 204, "")

	res, body = h.do(kine, "GET", "/api/v1/groups/"+bpco, "")
	mustStatus(t, "kine group after removal", res.StatusCode, body, 404, "not_found")
	_, body = h.do(kine, "GET", "/api/v1/channels", "")
	for _, id := range []string{h.id("chan:LN:général"), h.id("chan:G:parcours-bpco")} {
		if strings.Contains(body, id) {
			t.Fatalf("removed member still lists channel %s: %s", id, body)
		}
	}
	// The last coordinator cannot leave.
	res, body = h.do(coord, "DELETE", "/api/v1/cpts/"+ln+"/members/"+h.id("user:Claire Morel"), "")
	mustStatus(t, "last coordinator", res.StatusCode, body, 409, "last_coordinator")
}

func TestLoginRateLimit(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 5; i++ {
		res, body := h.do(session{}, "POST", "/api/v1/auth/login", `{"email":"kine@loire-nord.demo","password":"mauvais-mot-de-passe"}`)
		mustStatus(t, "wrong password", res.StatusCode, body, 401, "invalid_credentials")
	}
	res, body := h.do(session{}, "POST", "/api/v1/auth/login", `{"email":"KINE@loire-nord.demo","password":"demo-ecpts"}`)
	mustStatus(t, "locked", res.StatusCode, body, 429, "too_many_attempts")
	if res.Header.Get("Retry-After") == "" || !strings.Contains(body, "Réessayez dans") {
		t.Fatalf("a locked login says when to retry: %v %s", res.Header, body)
	}
	// Another account is not affected.
	h.login("infirmiere@loire-nord.demo")
	h.advance(16 * time.Minute)
}

func TestChannelLifecycle(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	ln := h.id("cpts:CPTS Loire Nord")
	var created struct {
		Channel struct{ ID string } `json:"channel"`
	}
	for _, c := range []string{
		`{"name":"vaccination","cpts_id":"` + ln + `","visibility":"public","kind":"standard","topic":"Campagne grippe"}`,
		`{"name":"cellule-crise","cpts_id":"` + ln + `","visibility":"private"}`,
		`{"name":"infos-coordination","cpts_id":"` + ln + `","kind":"announcement"}`,
	} {
		res, body := h.do(coord, "POST", "/api/v1/channels", c)
		mustStatus(t, "create", res.StatusCode, body, 201, "")
		_ = json.Unmarshal([]byte(body), &created)
	}
	var res *http.Response
	_, body := h.do(ide, "GET", "/api/v1/channels", "")
	if !strings.Contains(body, "vaccination") || strings.Contains(body, "cellule-crise") || !strings.Contains(body, "infos-coordination") {
		t.Fatalf("ide sees public channels only: %s", body)
	}
	ann := created.Channel.ID
	_, body = h.do(ide, "GET", "/api/v1/channels/"+ann, "")
	if !strings.Contains(body, `"post_refusal":"not_member"`) {
		t.Fatalf("the view says to join first: %s", body)
	}
	res, body = h.do(ide, "POST", "/api/v1/channels/"+ann+"/join", "")
	mustStatus(t, "join announcement", res.StatusCode, body, 200, "")
	if !strings.Contains(body, `"can_post":false`) {
		t.Fatalf("members do not post in announcement channels: %s", body)
	}
	res, body = h.do(coord, "PATCH", "/api/v1/channels/"+ann, `{"name":"vaccination"}`)
	mustStatus(t, "rename to taken", res.StatusCode, body, 409, "name_taken")
	res, body = h.do(coord, "PATCH", "/api/v1/channels/"+ann, `{"name":"annonces-bureau"}`)
	mustStatus(t, "rename", res.StatusCode, body, 200, "")
	res, body = h.do(coord, "PATCH", "/api/v1/channels/"+ann, `{"archived":true}`)
	mustStatus(t, "archive", res.StatusCode, body, 200, "")
	_, body = h.do(ide, "GET", "/api/v1/channels", "")
	if strings.Contains(body, ann) {
		t.Fatalf("archived channels leave the list: %s", body)
	}
	_, body = h.do(ide, "GET", "/api/v1/channels?archived=1", "")
	if !strings.Contains(body, ann) || !strings.Contains(body, "annonces-bureau") {
		t.Fatalf("?archived=1 shows them: %s", body)
	}
	_, body = h.do(ide, "GET", "/api/v1/channels/"+ann, "")
	if !strings.Contains(body, `"post_refusal":"archived"`) {
		t.Fatalf("the view says it is archived: %s", body)
	}
	res, body = h.do(coord, "PATCH", "/api/v1/channels/"+ann, `{"archived":false}`)
	mustStatus(t, "unarchive", res.StatusCode, body, 200, "")
}

func TestInterCPTSGroup(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	coordVC := h.login("coordination@val-de-cher.demo")
	pharma := h.login("pharmacien@val-de-cher.demo")
	ln, vc := h.id("cpts:CPTS Loire Nord"), h.id("cpts:CPTS Val de Cher")
	for _, bad := range []string{model.NewID(), "pas-un-id"} {
		res, body := h.do(coord, "POST", "/api/v1/groups", `{"name":"Fantôme","cpts_id":"`+ln+`","invited_cpts_ids":["`+bad+`"]}`)
		mustStatus(t, "create group inviting "+bad, res.StatusCode, body, 400, "invalid_cpts")
	}
	res, body := h.do(coord, "POST", "/api/v1/groups", `{"name":"Prévention vaccinale","description":"Grippe et covid","cpts_id":"`+ln+`","invited_cpts_ids":["`+vc+`"]}`)
	mustStatus(t, "create group", res.StatusCode, body, 201, "")
	if !strings.Contains(body, `"inter_cpts":true`) {
		t.Fatalf("inter-CPTS group: %s", body)
	}
	var g struct {
		Group struct{ ID string } `json:"group"`
	}
	_ = json.Unmarshal([]byte(body), &g)
	res, body = h.do(pharma, "GET", "/api/v1/groups/"+g.Group.ID, "")
	mustStatus(t, "pharma before", res.StatusCode, body, 404, "not_found")
	res, body = h.do(coordVC, "GET", "/api/v1/groups/"+g.Group.ID, "")
	mustStatus(t, "coordVC sees", res.StatusCode, body, 200, "")
	res, body = h.do(coordVC, "POST", "/api/v1/groups/"+g.Group.ID+"/members", `{"user_id":"`+h.id("user:Julien Perrin")+`"}`)
	mustStatus(t, "coordVC adds pharma", res.StatusCode, body, 201, "")
	res, body = h.do(coordVC, "POST", "/api/v1/groups/"+g.Group.ID+"/members", `{"user_id":"`+h.id("user:Julien Perrin")+`"}`)
	mustStatus(t, "twice", res.StatusCode, body, 409, "already_member")
	res, body = h.do(coord, "POST", "/api/v1/channels", `{"name":"vaccins","group_id":"`+g.Group.ID+`"}`)
	mustStatus(t, "group channel", res.StatusCode, body, 201, "")
	_, body = h.do(pharma, "GET", "/api/v1/channels", "")
	if !strings.Contains(body, "vaccins") {
		t.Fatalf("pharma sees the group channel: %s", body)
	}
	res, body = h.do(coordVC, "POST", "/api/v1/channels", `{"name":"pirate","group_id":"`+g.Group.ID+`"}`)
	mustStatus(t, "coordVC cannot create in LN's group", res.StatusCode, body, 403, "forbidden")
	for _, bad := range []string{model.NewID(), "pas-un-id"} {
		res, body = h.do(coord, "POST", "/api/v1/groups/"+g.Group.ID+"/cpts", `{"cpts_id":"`+bad+`"}`)
		mustStatus(t, "invite "+bad, res.StatusCode, body, 400, "invalid_cpts")
	}
}

func TestSessionAndPassword(t *testing.T) {
	h := newHarness(t)
	a := h.login("infirmiere@loire-nord.demo")
	b := h.login("infirmiere@loire-nord.demo")
	res, body := h.do(a, "POST", "/api/v1/me/password", `{"current_password":"faux","new_password":"nouveau-secret-42"}`)
	mustStatus(t, "wrong current", res.StatusCode, body, 400, "wrong_password")
	res, body = h.do(a, "POST", "/api/v1/me/password", `{"current_password":"demo-ecpts","new_password":"court"}`)
	mustStatus(t, "weak new", res.StatusCode, body, 400, "weak_password")
	res, body = h.do(a, "POST", "/api/v1/me/password", `{"current_password":"demo-ecpts","new_password":"nouveau-secret-42"}`)
	mustStatus(t, "change", res.StatusCode, body, 204, "")
	res, body = h.do(b, "GET", "/api/v1/me", "")
	mustStatus(t, "other session closed", res.StatusCode, body, 401, "unauthenticated")
	res, body = h.do(a, "PATCH", "/api/v1/me", `{"commune":"Mably","rpps":"123"}`)
	mustStatus(t, "bad rpps", res.StatusCode, body, 400, "invalid_rpps")
	res, body = h.do(a, "PATCH", "/api/v1/me", `{"commune":"Mably"}`)
	mustStatus(t, "profile", res.StatusCode, body, 200, "")
	res, body = h.do(a, "POST", "/api/v1/auth/logout", "")
	mustStatus(t, "logout", res.StatusCode, body, 204, "")
	res, body = h.do(a, "GET", "/api/v1/me", "")
	mustStatus(t, "after logout", res.StatusCode, body, 401, "unauthenticated")
}

// TestBodyLimit needs a real socket: app.Test refuses oversized bodies
// before the server sees them.
func TestBodyLimit(t *testing.T) {
	h := newHarness(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = h.srv.Serve(ln) }()
	t.Cleanup(func() { _ = h.srv.Shutdown(context.Background()) })
	// The server must answer from the announced length and the first few
	// KiB of the body, not after reading 2 MiB (a client streaming 2 MiB
	// would see its write reset). Request bodies are streamed
	// (StreamRequestBody): fasthttp reads up to 8 KiB before calling the
	// handlers, and limitBody refuses from the announced length.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\n\r\n{"+strings.Repeat(" ", 16<<10))
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	mustStatus(t, "2 MiB body", res.StatusCode, string(b), 413, "payload_too_large")
}

func TestInvitationExistingAccount(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	ln := h.id("cpts:CPTS Loire Nord")
	res, body := h.do(coord, "POST", "/api/v1/cpts/"+ln+"/invitations", `{"email":"pharmacien@val-de-cher.demo","role":"partenaire"}`)
	mustStatus(t, "invite existing", res.StatusCode, body, 201, "")
	token := h.lastInvitationToken()
	_, body = h.do(session{}, "GET", "/api/v1/invitations/"+token, "")
	if !strings.Contains(body, `"existing_account":true`) {
		t.Fatalf("info: %s", body)
	}
	// Without logging in, nobody can take over the account.
	res, body = h.do(session{}, "POST", "/api/v1/invitations/"+token+"/accept", `{"name":"Usurpateur","profession":"pharmacien","password":"un-bon-mot-de-passe-7"}`)
	mustStatus(t, "anonymous", res.StatusCode, body, 401, "login_required")
	ide := h.login("infirmiere@loire-nord.demo")
	res, body = h.do(ide, "POST", "/api/v1/invitations/"+token+"/accept", `{}`)
	mustStatus(t, "wrong account", res.StatusCode, body, 401, "login_required")
	pharma := h.login("pharmacien@val-de-cher.demo")
	res, body = h.do(pharma, "POST", "/api/v1/invitations/"+token+"/accept", `{}`)
	mustStatus(t, "accept", res.StatusCode, body, 200, "")
	if !strings.Contains(body, `"status":"pending"`) || !strings.Contains(body, "CPTS Loire Nord") {
		t.Fatalf("membership: %s", body)
	}
	_, body = h.do(pharma, "GET", "/api/v1/me", "")
	if !strings.Contains(body, "CPTS Loire Nord") || !strings.Contains(body, "CPTS Val de Cher") {
		t.Fatalf("me: %s", body)
	}
}
