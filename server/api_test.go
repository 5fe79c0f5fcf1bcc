package server

import (
	"strings"
	"testing"
)

// TestAPITable: account × request → status, code, and strings that must
// (not) appear. Read-only rows and refusals: nothing here changes state
// that a later row depends on.
func TestAPITable(t *testing.T) {
	h := newHarness(t)
	sessions := map[string]session{"anon": {}}
	for name, email := range map[string]string{
		"coord": "coordination@loire-nord.demo", "ide": "infirmiere@loire-nord.demo", "kine": "kine@loire-nord.demo",
		"pharma": "pharmacien@val-de-cher.demo", "admin": "admin@ecpts.demo", "coordVC": "coordination@val-de-cher.demo",
		"social": "assistante-sociale@loire-nord.demo",
	} {
		sessions[name] = h.login(email)
	}
	noCSRF := sessions["coord"]
	noCSRF.csrf = "-"
	sessions["coordNoCSRF"] = noCSRF
	badCSRF := sessions["coord"]
	badCSRF.csrf = "not-the-token"
	sessions["coordBadCSRF"] = badCSRF

	r := strings.NewReplacer(
		"{ln}", h.id("cpts:CPTS Loire Nord"), "{vc}", h.id("cpts:CPTS Val de Cher"),
		"{bpco}", h.id("group:Parcours BPCO inter-CPTS"), "{chutes}", h.id("group:Prévention chutes"),
		"{lnGeneral}", h.id("chan:LN:général"), "{lnBureau}", h.id("chan:LN:bureau"),
		"{lnAnnonces}", h.id("chan:LN:annonces"), "{lnSortie}", h.id("chan:LN:sortie-hospitalisation"),
		"{vcGeneral}", h.id("chan:VC:général"), "{bpcoChan}", h.id("chan:G:parcours-bpco"),
		"{kine}", h.id("user:Marc Lefèvre"), "{ide}", h.id("user:Sophie Garnier"), "{mgVC}", h.id("user:Élise Marchand"),
	)
	long := strings.Repeat("a", 81)
	rows := []struct {
		name, who, method, url, body string
		headers                      map[string]string
		status                       int
		code                         string
		must, mustNot                []string
	}{
		{"anon me", "anon", "GET", "/api/v1/me", "", nil, 401, "unauthenticated", nil, nil},
		{"anon channels", "anon", "GET", "/api/v1/channels", "", nil, 401, "unauthenticated", nil, nil},
		{"me", "coord", "GET", "/api/v1/me", "", nil, 200, "", []string{"csrf_token", "CPTS Loire Nord", "coordinateur"}, []string{"password", "hash"}},
		{"pharma channels", "pharma", "GET", "/api/v1/channels", "", nil, 200, "", []string{"{bpcoChan}", "{vcGeneral}", "officines"},
			[]string{"{lnGeneral}", "{lnBureau}", "{lnAnnonces}", "soins-non-programm", "bureau", "{ln}"}},
		{"pharma LN channel", "pharma", "GET", "/api/v1/channels/{lnGeneral}", "", nil, 404, "not_found", nil, []string{"général"}},
		{"pharma LN channel members", "pharma", "GET", "/api/v1/channels/{lnGeneral}/members", "", nil, 404, "not_found", nil, nil},
		{"pharma joins LN channel", "pharma", "POST", "/api/v1/channels/{lnGeneral}/join", "", nil, 404, "not_found", nil, nil},
		{"pharma LN cpts", "pharma", "GET", "/api/v1/cpts/{ln}", "", nil, 404, "not_found", nil, []string{"Roanne"}},
		{"pharma LN members", "pharma", "GET", "/api/v1/cpts/{ln}/members", "", nil, 404, "not_found", nil, []string{"Sophie"}},
		{"pharma cpts", "pharma", "GET", "/api/v1/cpts", "", nil, 200, "", []string{"CPTS Val de Cher"}, []string{"{ln}", "Roanne"}},
		{"pharma groups", "pharma", "GET", "/api/v1/groups", "", nil, 200, "", []string{"Parcours BPCO"}, []string{"chutes", "{chutes}"}},
		{"pharma other group", "pharma", "GET", "/api/v1/groups/{chutes}", "", nil, 404, "not_found", nil, nil},
		{"pharma group members", "pharma", "GET", "/api/v1/groups/{bpco}/members", "", nil, 200, "", []string{"Marc Lefèvre"}, []string{"@"}},
		{"pharma directory", "pharma", "GET", "/api/v1/directory", "", nil, 200, "", []string{"Marc Lefèvre", "Élise Marchand"},
			[]string{"Sophie Garnier", "Nathalie Roux", "Inès Caron", "@"}},
		{"pharma invites into LN", "pharma", "POST", "/api/v1/cpts/{ln}/invitations", `{"email":"x@exemple.fr","role":"membre"}`, nil, 404, "not_found", nil, nil},
		{"kine VC members", "kine", "GET", "/api/v1/cpts/{vc}/members", "", nil, 404, "not_found", nil, nil},
		{"ide invites", "ide", "POST", "/api/v1/cpts/{ln}/invitations", `{"email":"x@exemple.fr","role":"membre"}`, nil, 403, "forbidden", nil, nil},
		{"ide private channel", "ide", "GET", "/api/v1/channels/{lnBureau}", "", nil, 404, "not_found", nil, nil},
		{"ide archives général", "ide", "PATCH", "/api/v1/channels/{lnGeneral}", `{"archived":true}`, nil, 403, "forbidden", nil, nil},
		{"ide channel can_post annonces", "ide", "GET", "/api/v1/channels/{lnAnnonces}", "", nil, 200, "", []string{`"can_post":false`}, nil},
		{"ide told why annonces is closed", "ide", "GET", "/api/v1/channels/{lnAnnonces}", "", nil, 200, "", []string{`"post_refusal":"announcement_only"`}, nil},
		{"coord posts in général", "coord", "GET", "/api/v1/channels/{lnGeneral}", "", nil, 200, "", []string{`"can_post":true`}, []string{"post_refusal"}},
		{"coord private channel", "coord", "GET", "/api/v1/channels/{lnBureau}", "", nil, 200, "", []string{"bureau", `"visibility":"private"`}, nil},
		{"coord members with emails", "coord", "GET", "/api/v1/cpts/{ln}/members", "", nil, 200, "", []string{"infirmiere@loire-nord.demo"}, []string{"pharmacien@"}},
		{"ide members without emails", "ide", "GET", "/api/v1/cpts/{ln}/members", "", nil, 200, "", []string{"Sophie Garnier"}, []string{"@loire-nord.demo"}},
		{"partenaire channels", "social", "GET", "/api/v1/channels", "", nil, 200, "", []string{"{lnSortie}"}, []string{"{lnGeneral}", "{lnAnnonces}"}},
		{"partenaire public channel", "social", "GET", "/api/v1/channels/{lnGeneral}", "", nil, 404, "not_found", nil, nil},
		{"partenaire directory", "social", "GET", "/api/v1/directory", "", nil, 200, "", nil, []string{"Sophie Garnier"}},
		{"no csrf", "coordNoCSRF", "POST", "/api/v1/channels", `{"name":"x","cpts_id":"{ln}"}`, nil, 403, "csrf_failed", nil, nil},
		{"bad csrf", "coordBadCSRF", "POST", "/api/v1/channels", `{"name":"x","cpts_id":"{ln}"}`, nil, 403, "csrf_failed", nil, nil},
		{"foreign origin", "coord", "POST", "/api/v1/channels", `{"name":"x","cpts_id":"{ln}"}`, map[string]string{"Origin": "https://evil.example"}, 403, "origin_forbidden", nil, nil},
		{"cross-site fetch", "anon", "POST", "/api/v1/auth/login", `{"email":"a@b.fr","password":"x"}`, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "origin_forbidden", nil, nil},
		{"malformed json", "coord", "POST", "/api/v1/channels", `{"name":`, nil, 400, "invalid_json", nil, nil},
		{"trailing json", "coord", "POST", "/api/v1/channels", `{"name":"a","cpts_id":"{ln}"} {}`, nil, 400, "invalid_json", nil, nil},
		{"empty body", "coord", "POST", "/api/v1/channels", ``, nil, 400, "invalid_json", nil, nil},
		{"unknown field", "coord", "POST", "/api/v1/channels", `{"name":"a","cpts_id":"{ln}","owner":"me"}`, nil, 400, "unknown_field", []string{`"field":"owner"`}, nil},
		{"wrong type", "coord", "POST", "/api/v1/channels", `{"name":12,"cpts_id":"{ln}"}`, nil, 400, "invalid_type", []string{`"field":"name"`}, nil},
		{"name too long", "coord", "POST", "/api/v1/channels", `{"name":"` + long + `","cpts_id":"{ln}"}`, nil, 400, "too_long", []string{`"field":"name"`}, nil},
		{"missing name", "coord", "POST", "/api/v1/channels", `{"name":"  ","cpts_id":"{ln}"}`, nil, 400, "required", nil, nil},
		{"bad visibility", "coord", "POST", "/api/v1/channels", `{"name":"a","cpts_id":"{ln}","visibility":"secret"}`, nil, 400, "invalid_visibility", nil, nil},
		{"channel in other CPTS", "coord", "POST", "/api/v1/channels", `{"name":"intrus","cpts_id":"{vc}"}`, nil, 404, "not_found", nil, nil},
		{"duplicate channel", "coord", "POST", "/api/v1/channels", `{"name":"GÉNÉRAL","cpts_id":"{ln}"}`, nil, 409, "name_taken", nil, nil},
		{"bad email invitation", "coord", "POST", "/api/v1/cpts/{ln}/invitations", `{"email":"pas-une-adresse","role":"membre"}`, nil, 400, "invalid_email", []string{`"field":"email"`}, nil},
		{"bad role invitation", "coord", "POST", "/api/v1/cpts/{ln}/invitations", `{"email":"a@exemple.fr","role":"chef"}`, nil, 400, "invalid_role", nil, nil},
		{"already member invitation", "coord", "POST", "/api/v1/cpts/{ln}/invitations", `{"email":"Infirmiere@Loire-Nord.demo","role":"membre"}`, nil, 409, "already_member", nil, nil},
		{"other CPTS invitation", "coord", "POST", "/api/v1/cpts/{vc}/invitations", `{"email":"a@exemple.fr","role":"membre"}`, nil, 404, "not_found", nil, nil},
		{"coord creates CPTS", "coord", "POST", "/api/v1/cpts", `{"name":"CPTS Test","department":"37"}`, nil, 403, "forbidden", nil, nil},
		{"admin creates CPTS bad dep", "admin", "POST", "/api/v1/cpts", `{"name":"CPTS Test","department":"999"}`, nil, 400, "invalid_department", nil, nil},
		{"admin sees all CPTS", "admin", "GET", "/api/v1/cpts", "", nil, 200, "", []string{"CPTS Loire Nord", "CPTS Val de Cher"}, nil},
		{"admin reads no channel", "admin", "GET", "/api/v1/channels/{lnGeneral}", "", nil, 404, "not_found", nil, nil},
		{"coordVC adds LN kine to BPCO", "coordVC", "POST", "/api/v1/groups/{bpco}/members", `{"user_id":"{kine}"}`, nil, 403, "not_eligible", nil, nil},
		{"coord adds kine to bureau", "coord", "POST", "/api/v1/channels/{lnBureau}/members", `{"user_id":"{kine}"}`, nil, 201, "", nil, nil},
		{"coord adds VC member to LN bureau", "coord", "POST", "/api/v1/channels/{lnBureau}/members", `{"user_id":"{mgVC}"}`, nil, 403, "not_eligible", nil, nil},
		{"bad login", "anon", "POST", "/api/v1/auth/login", `{"email":"coordination@loire-nord.demo","password":"faux-mot-de-passe"}`, nil, 401, "invalid_credentials", nil, nil},
		{"unknown account login", "anon", "POST", "/api/v1/auth/login", `{"email":"personne@exemple.fr","password":"faux-mot-de-passe"}`, nil, 401, "invalid_credentials", nil, nil},
		{"malformed login email", "anon", "POST", "/api/v1/auth/login", `{"email":"nope","password":"x"}`, nil, 400, "invalid_email", nil, nil},
		{"unknown invitation", "anon", "GET", "/api/v1/invitations/abcdef", "", nil, 404, "not_found", nil, nil},
		{"malformed id", "coord", "GET", "/api/v1/channels/zzz", "", nil, 404, "not_found", nil, nil},
		{"unknown api route", "coord", "GET", "/api/v1/nope", "", nil, 404, "not_found", nil, nil},
		{"form body", "coord", "POST", "/api/v1/channels", `name=x`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type", nil, nil},
		{"meta", "anon", "GET", "/api/v1/meta", "", nil, 200, "", []string{"pharmacien", "Masseur-kinésithérapeute"}, nil},
		{"openapi", "anon", "GET", "/api/v1/openapi.json", "", nil, 200, "", []string{`"openapi"`, "/api/v1/channels"}, nil},
		{"healthz", "anon", "GET", "/healthz", "", nil, 200, "", []string{"ok"}, nil},
		{"readyz", "anon", "GET", "/readyz", "", nil, 200, "", []string{`"database":"ok"`}, nil},
		{"metrics", "anon", "GET", "/metrics", "", nil, 200, "", []string{"ecpts_http_requests_total"}, nil},
		{"spa fallback", "anon", "GET", "/canaux/123", "", nil, 200, "", []string{"e-CPTS"}, nil},
	}
	// Nobody's cookie ever appears in an answer, nor another user's CSRF token.
	secrets := []string{sessions["coord"].cookie, sessions["pharma"].cookie, sessions["pharma"].csrf, "$argon2id$"}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			s := sessions[row.who]
			url, body := r.Replace(row.url), r.Replace(row.body)
			res, got := func() (int, string) {
				if row.headers == nil {
					res, b := h.do(s, row.method, url, body)
					return res.StatusCode, b
				}
				res, b := h.doWith(s, row.method, url, body, row.headers)
				return res.StatusCode, b
			}()
			if res != row.status {
				t.Fatalf("%s %s as %s: status %d, want %d: %s", row.method, url, row.who, res, row.status, trim(got))
			}
			if row.code != "" && !strings.Contains(got, `"code":"`+row.code+`"`) {
				t.Fatalf("want code %s, got %s", row.code, trim(got))
			}
			if row.status >= 400 && !strings.Contains(got, `"message":"`) {
				t.Fatalf("error without message: %s", trim(got))
			}
			for _, m := range row.must {
				if !strings.Contains(got, r.Replace(m)) {
					t.Errorf("answer lacks %q: %s", r.Replace(m), trim(got))
				}
			}
			for _, m := range append(row.mustNot, secrets...) {
				if m != "" && strings.Contains(got, r.Replace(m)) {
					t.Errorf("answer must not contain %q: %s", r.Replace(m), trim(got))
				}
			}
		})
	}
}

func trim(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}
