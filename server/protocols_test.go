package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ecpts/ecpts/internal/demo"
)

// TestProtocolAPI: the library over REST with the demo library: lists and
// filters, the workflow from brouillon to validé with its errors, the
// acknowledgement report, and another CPTS kept out by URL.
func TestProtocolAPI(t *testing.T) {
	h := newHarness(t)
	if err := demo.LoadLibrary(context.Background(), h.st, h.core); err != nil {
		t.Fatal(err)
	}
	coord := h.login("coordination@loire-nord.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	kine := h.login("kine@loire-nord.demo")
	pharmaLN := h.login("pharmacie@loire-nord.demo")
	pharmaVC := h.login("pharmacien@val-de-cher.demo")
	ln := h.id("cpts:CPTS Loire Nord")

	type item struct {
		ID            string `json:"id"`
		Title         string `json:"title"`
		Status        string `json:"status"`
		Shared        bool   `json:"shared"`
		CPTSName      string `json:"cpts_name"`
		ReviewOverdue bool   `json:"review_overdue"`
		Validated     int    `json:"validated_version"`
		Current       int    `json:"current_version"`
	}
	var page struct {
		Items []item `json:"items"`
		Total int    `json:"total"`
	}
	h.getJSON(coord, "/api/v1/protocols?cpts_id="+ln, &page)
	if page.Total != 7 {
		t.Fatalf("LN library: %d protocols: %+v", page.Total, page.Items)
	}
	byTitle := map[string]item{}
	for _, it := range page.Items {
		byTitle[strings.SplitN(it.Title, " ", 2)[0]] = it
	}
	if !byTitle["Chutes"].ReviewOverdue || byTitle["Plaies"].Status != "brouillon" || byTitle["Canicule"].Status != "archive" {
		t.Fatalf("LN library states: %+v", byTitle)
	}
	h.getJSON(coord, "/api/v1/protocols?review_due=true", &page)
	if page.Total != 1 || !strings.HasPrefix(page.Items[0].Title, "Chutes") {
		t.Fatalf("review due: %+v", page)
	}
	h.getJSON(coord, "/api/v1/protocols?status=relecture&profession=pharmacien", &page)
	if page.Total != 1 || !strings.HasPrefix(page.Items[0].Title, "Sortie") {
		t.Fatalf("relecture + pharmacien: %+v", page)
	}
	h.getJSON(coord, "/api/v1/protocols?mission=prevention&limit=1", &page)
	if page.Total != 2 || len(page.Items) != 1 {
		t.Fatalf("prevention, page of 1: %+v", page)
	}
	for _, q := range []string{"status=publie", "mission=x", "profession=x", "limit=0", "review_due=peut-etre"} {
		res, body := h.do(coord, "GET", "/api/v1/protocols?"+q, "")
		mustStatus(t, q, res.StatusCode, body, 400, "")
	}

	// Val de Cher sees the shared and platform-wide validated ones, as
	// "partagé par CPTS Loire Nord", and nothing else, even by URL.
	h.getJSON(pharmaVC, "/api/v1/protocols", &page)
	if page.Total != 2 {
		t.Fatalf("VC library: %+v", page)
	}
	for _, it := range page.Items {
		if !it.Shared || it.CPTSName != "CPTS Loire Nord" || it.Status != "valide" {
			t.Fatalf("VC sees %+v", it)
		}
	}
	for _, k := range []string{"Plaies", "Chutes", "Sortie", "Suivi"} {
		res, body := h.do(pharmaVC, "GET", "/api/v1/protocols/"+byTitle[k].ID, "")
		mustStatus(t, "VC opens "+k, res.StatusCode, body, 404, "not_found")
		res, body = h.do(pharmaVC, "GET", "/api/v1/protocols/"+byTitle[k].ID+"/versions/1", "")
		mustStatus(t, "VC reads v1 of "+k, res.StatusCode, body, 404, "not_found")
		res, body = h.do(pharmaVC, "POST", "/api/v1/protocols/"+byTitle[k].ID+"/ack", `{"version":1}`)
		mustStatus(t, "VC acks "+k, res.StatusCode, body, 404, "not_found")
	}
	// AVK: v1 validated, v2 in review; the VC view of a shared one shows
	// the validated version only.
	cyst := byTitle["Cystite"].ID
	res, body := h.do(pharmaVC, "PATCH", "/api/v1/protocols/"+cyst, `{"title":"Piraté"}`)
	mustStatus(t, "VC edits shared", res.StatusCode, body, 403, "forbidden")

	// A new protocol through the whole workflow.
	res, body = h.do(ide, "POST", "/api/v1/protocols", fmt.Sprintf(`{"cpts_id":%q,"title":"Bronchiolite du nourrisson","professions":["masseur_kinesitherapeute","pharmacien"],"review_date":"2020-01-01"}`, ln))
	mustStatus(t, "past review date", res.StatusCode, body, 400, "review_date_past")
	res, body = h.do(ide, "POST", "/api/v1/protocols", fmt.Sprintf(`{"cpts_id":%q,"title":"Bronchiolite du nourrisson","professions":["masseur_kinesitherapeute","pharmacien"],"visibility":"listed","shared_with":[%q]}`, ln, h.id("cpts:CPTS Val de Cher")))
	mustStatus(t, "create", res.StatusCode, body, 201, "")
	var created struct {
		Protocol struct {
			ID        string                `json:"id"`
			Version   struct{ Body string } `json:"version"`
			Suggested []struct {
				ID string `json:"id"`
			} `json:"suggested_reviewers"`
		} `json:"protocol"`
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatal(err)
	}
	id := created.Protocol.ID
	if !strings.Contains(created.Protocol.Version.Body, "## Conduite à tenir") || len(created.Protocol.Suggested) != 2 {
		t.Fatalf("created: %s", body)
	}
	base := "/api/v1/protocols/" + id
	res, body = h.do(coord, "POST", base+"/validate", "")
	mustStatus(t, "validate a draft", res.StatusCode, body, 409, "protocol_not_in_review")
	reviewers := fmt.Sprintf(`{"reviewer_ids":[%q,%q]}`, created.Protocol.Suggested[0].ID, created.Protocol.Suggested[1].ID)
	res, body = h.do(ide, "POST", base+"/submit", reviewers)
	mustStatus(t, "submit", res.StatusCode, body, 200, "")
	res, body = h.do(coord, "POST", base+"/reviews", `{"decision":"approve"}`)
	mustStatus(t, "non-reviewer", res.StatusCode, body, 403, "not_a_reviewer")
	res, body = h.do(pharmaLN, "POST", base+"/reviews", `{"decision":"changes_requested","comment":"Ajouter les signes de gravité."}`)
	mustStatus(t, "changes requested", res.StatusCode, body, 200, "")
	res, body = h.do(kine, "POST", base+"/reviews", `{"decision":"approve"}`)
	mustStatus(t, "approve", res.StatusCode, body, 200, "")
	res, body = h.do(kine, "POST", base+"/reviews", `{"decision":"approve"}`)
	mustStatus(t, "approve twice", res.StatusCode, body, 409, "review_already_given")
	res, body = h.do(kine, "POST", base+"/reviews", `{"decision":"peut-etre"}`)
	mustStatus(t, "bad decision", res.StatusCode, body, 400, "invalid_decision")
	res, body = h.do(coord, "POST", base+"/validate", "")
	mustStatus(t, "validate with a change requested", res.StatusCode, body, 409, "protocol_reviews_pending")
	res, body = h.do(ide, "PATCH", base, `{"body":"## Objet\n\nBronchiolite.\n\n## Orientation et signes d'alerte\n\n- Signes de lutte : 15.\n","note":"Signes de gravité","base_version":1}`)
	mustStatus(t, "v2", res.StatusCode, body, 200, "")
	for _, s := range []session{pharmaLN, kine} {
		res, body = h.do(s, "POST", base+"/reviews", `{"decision":"approve","version":2}`)
		mustStatus(t, "approve v2", res.StatusCode, body, 200, "")
	}
	res, body = h.do(ide, "POST", base+"/validate", "")
	mustStatus(t, "member validates", res.StatusCode, body, 403, "forbidden")
	res, body = h.do(coord, "POST", base+"/validate", "")
	mustStatus(t, "validate", res.StatusCode, body, 200, "")
	var vs struct {
		Versions []struct {
			N         int  `json:"n"`
			Validated bool `json:"validated"`
		} `json:"versions"`
	}
	h.getJSON(coord, base+"/versions", &vs)
	if len(vs.Versions) != 2 || !vs.Versions[1].Validated {
		t.Fatalf("versions: %+v", vs)
	}
	res, body = h.do(coord, "GET", base+"/versions/3", "")
	mustStatus(t, "version 3", res.StatusCode, body, 404, "not_found")
	res, body = h.do(coord, "GET", base+"/versions/abc", "")
	mustStatus(t, "version abc", res.StatusCode, body, 404, "not_found")
	res, body = h.do(pharmaVC, "POST", base+"/ack", `{"version":1}`)
	mustStatus(t, "ack v1", res.StatusCode, body, 409, "ack_version_not_current")
	res, body = h.do(pharmaVC, "POST", base+"/ack", `{"version":2}`)
	mustStatus(t, "VC acks", res.StatusCode, body, 200, "")
	res, body = h.do(pharmaLN, "POST", base+"/ack", `{"version":2}`)
	mustStatus(t, "LN acks", res.StatusCode, body, 200, "")
	var report struct {
		AckedCount   int `json:"acked_count"`
		PendingCount int `json:"pending_count"`
		Professions  []struct {
			Profession string `json:"profession"`
			Acked      []any  `json:"acked"`
			Pending    []any  `json:"pending"`
		} `json:"professions"`
	}
	h.getJSON(coord, base+"/acks", &report)
	if report.AckedCount != 1 || report.PendingCount != 1 || len(report.Professions) != 2 {
		t.Fatalf("report: %+v", report)
	}
	res, body = h.do(ide, "GET", base+"/acks", "")
	mustStatus(t, "member reads report", res.StatusCode, body, 403, "forbidden")
	res, body = h.do(coord, "POST", base+"/remind", "")
	mustStatus(t, "remind", res.StatusCode, body, 200, "")
	if !strings.Contains(body, `"sent":1`) || !strings.Contains(h.lastMail(), "Bronchiolite") {
		t.Fatalf("remind: %s", body)
	}
	res, body = h.do(coord, "POST", base+"/archive", "")
	mustStatus(t, "archive", res.StatusCode, body, 200, "")
	res, body = h.do(coord, "PATCH", base, `{"title":"Encore"}`)
	mustStatus(t, "edit archived", res.StatusCode, body, 409, "protocol_archived")
}
