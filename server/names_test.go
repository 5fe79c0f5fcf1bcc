package server

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLookalikeNames: names that read like another's, or hide characters,
// are refused with a French message, wherever a person types a name. The
// demo has the channels "général" and "soins-non-programmés" in Loire
// Nord, the group "Prévention chutes" owned by Loire Nord, Claire Morel
// (Roanne) and Marc Lefèvre (Mably) among its active members.
func TestLookalikeNames(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	pharma := h.login("pharmacien@val-de-cher.demo")
	admin := h.login("admin@ecpts.demo")
	ln := h.id("cpts:CPTS Loire Nord")

	// JSON escapes: \u0301 is a combining acute accent, \u200b a zero-width
	// space, \u202e RIGHT-TO-LEFT OVERRIDE, \u0430 the Cyrillic "а".
	rows := []struct {
		name, who, method, url, body string
		status                       int
		code, message                string
	}{
		{"decomposed accents", "coord", "POST", "/api/v1/channels", `{"name":"ge\u0301ne\u0301ral","cpts_id":"{ln}"}`, 409, "name_taken", "Un canal porte déjà ce nom"},
		{"zero-width space", "coord", "POST", "/api/v1/channels", `{"name":"général\u200b","cpts_id":"{ln}"}`, 400, "invalid_characters", "U+200B"},
		{"bidi override", "coord", "POST", "/api/v1/channels", `{"name":"lare\u202enég","cpts_id":"{ln}"}`, 400, "invalid_characters", "U+202E"},
		{"isolate", "coord", "POST", "/api/v1/channels", `{"name":"\u2066général\u2069","cpts_id":"{ln}"}`, 400, "invalid_characters", "U+2066"},
		{"byte order mark", "coord", "POST", "/api/v1/channels", `{"name":"gé\ufeffnéral","cpts_id":"{ln}"}`, 400, "invalid_characters", "U+FEFF"},
		{"hangul filler", "coord", "POST", "/api/v1/channels", `{"name":"\u3164","cpts_id":"{ln}"}`, 400, "invalid_characters", "U+3164"},
		{"accents folded", "coord", "POST", "/api/v1/channels", `{"name":"General","cpts_id":"{ln}"}`, 409, "name_taken", ""},
		{"spaces for hyphens", "coord", "POST", "/api/v1/channels", `{"name":"Soins non  programmes","cpts_id":"{ln}"}`, 409, "name_taken", ""},
		{"cyrillic a", "coord", "POST", "/api/v1/channels", `{"name":"g\u0435n\u0435ral","cpts_id":"{ln}"}`, 400, "mixed_scripts", "cyrilliques"},
		{"rename onto a look-alike", "coord", "PATCH", "/api/v1/channels/{bureau}", `{"name":"GÉNÉRAL"}`, 409, "name_taken", ""},
		{"rename onto itself", "coord", "PATCH", "/api/v1/channels/{bureau}", `{"name":"Bureau"}`, 200, "", ""},
		{"group look-alike", "coord", "POST", "/api/v1/groups", `{"name":"prevention-chutes","cpts_id":"{ln}"}`, 409, "name_taken", "Un groupe de cette CPTS"},
		{"group hidden", "coord", "POST", "/api/v1/groups", `{"name":"Prévention\u200bchutes","cpts_id":"{ln}"}`, 400, "invalid_characters", ""},
		{"cpts look-alike", "admin", "POST", "/api/v1/cpts", `{"name":"cpts loire-nord","department":"42"}`, 409, "name_taken", "Une CPTS"},
		{"commune hidden", "admin", "POST", "/api/v1/cpts", `{"name":"CPTS Forez","department":"42","communes":["Montbrison\u202e"]}`, 400, "invalid_characters", ""},
		{"display name override", "ide", "PATCH", "/api/v1/me", `{"name":"Sophie\u202eGarnier"}`, 400, "invalid_characters", "U+202E"},
		{"display name of a colleague", "ide", "PATCH", "/api/v1/me", `{"name":"claire  MOREL"}`, 409, "name_taken", "initiale"},
		{"display name of a colleague, accents", "ide", "PATCH", "/api/v1/me", `{"name":"Marc Lefevre"}`, 409, "name_taken", ""},
		{"display name, cyrillic", "ide", "PATCH", "/api/v1/me", `{"name":"Cl\u0430ire Morel"}`, 400, "mixed_scripts", ""},
		// Homonyms are real: a name is only refused within a CPTS.
		{"homonym in another CPTS", "pharma", "PATCH", "/api/v1/me", `{"name":"Claire Morel"}`, 200, "", ""},
		{"own name, other case", "ide", "PATCH", "/api/v1/me", `{"name":"Sophie  GARNIER"}`, 200, "", ""},
	}
	who := map[string]session{"coord": coord, "ide": ide, "pharma": pharma, "admin": admin}
	r := strings.NewReplacer("{ln}", ln, "{bureau}", h.id("chan:LN:bureau"))
	for _, row := range rows {
		res, body := h.do(who[row.who], row.method, r.Replace(row.url), r.Replace(row.body))
		mustStatus(t, row.name, res.StatusCode, body, row.status, row.code)
		if !strings.Contains(body, row.message) {
			t.Errorf("%s: the message lacks %q: %s", row.name, row.message, body)
		}
	}

	// Stored names are NFC with one ASCII space between words.
	res, body := h.do(coord, "POST", "/api/v1/channels", `{"name":" cre\u0300che\u00a0\u00a0municipale ","cpts_id":"`+ln+`"}`)
	mustStatus(t, "nfc", res.StatusCode, body, 201, "")
	if !strings.Contains(body, `"name":"crèche municipale"`) {
		t.Fatalf("the name is stored normalised: %s", body)
	}
	_, body = h.do(ide, "GET", "/api/v1/me", "")
	if !strings.Contains(body, `"name":"Sophie GARNIER"`) {
		t.Fatalf("the spaces of a display name are collapsed: %s", body)
	}

	// A new member may not take the name of an active member of the CPTS
	// that invites her.
	res, body = h.do(coord, "POST", "/api/v1/cpts/"+ln+"/invitations", `{"email":"imposteur@exemple.fr","role":"membre"}`)
	mustStatus(t, "invite", res.StatusCode, body, 201, "")
	token := h.lastInvitationToken()
	accept := func(name string) (int, string) {
		b, _ := json.Marshal(map[string]string{"name": name, "profession": "medecin_generaliste", "commune": "Roanne", "password": "un-bon-mot-de-passe-7"})
		res, body := h.do(session{}, "POST", "/api/v1/invitations/"+token+"/accept", string(b))
		return res.StatusCode, body
	}
	st, body := accept("Claire Morel")
	mustStatus(t, "accept as a colleague", st, body, 409, "name_taken")
	st, body = accept("Claire\u200b Morel")
	mustStatus(t, "accept with a hidden character", st, body, 400, "invalid_characters")
	st, body = accept("Claire B. Morel")
	mustStatus(t, "accept with an initial", st, body, 200, "")

	// The author of a message carries the commune that tells homonyms apart.
	_, msg, raw := send(t, h, coord, h.id("chan:LN:général"), "bonjour", "")
	if msg.Message.ID == "" || !strings.Contains(raw, `"commune":"Roanne"`) {
		t.Fatalf("the author of a message has a commune: %s", raw)
	}
}
