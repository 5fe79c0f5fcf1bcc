package server

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// TestRequestTooLong: a request line past the server's read buffer (a
// 10,000-character search: fasthttp answers 431 before any route) is a
// clear French JSON error.
func TestRequestTooLong(t *testing.T) {
	a := describe(fiber.NewError(fiber.StatusRequestHeaderFieldsTooLarge, "small read buffer"))
	if a.Status != 431 || a.Code != "request_too_long" || !strings.Contains(a.Message, "trop longue") {
		t.Errorf("431: %+v", a)
	}
	if a := describe(fiber.NewError(fiber.StatusBadRequest, "x")); a.Code != "bad_request" {
		t.Errorf("400: %+v", a)
	}
}

// TestSearchFilters checks the filters given as controls (query
// parameters) beyond the text — campaign and protocol status included —,
// the answers to contradictory or unknown filters, and what an attacker
// gets by naming a CPTS or a group it is not part of.
func TestSearchFilters(t *testing.T) {
	h, _, _ := newSearchHarness(t)
	nurse := h.login("infirmiere@loire-nord.demo")
	pharmacist := h.login("pharmacien@val-de-cher.demo")
	partner := h.login("assistante-sociale@loire-nord.demo")

	t.Run("campaign and status as controls", func(t *testing.T) {
		status, res, body := h.search(nurse, "affiche", "campaign", "mois_sans_tabac")
		if status != 200 || len(res.Hits) == 0 {
			t.Fatalf("affiche campaign=mois_sans_tabac: %d %s", status, body)
		}
		for _, hit := range res.Hits {
			if hit.Type != "material" {
				t.Errorf("campaign=mois_sans_tabac: a %s hit %q (only materials have a campaign)", hit.Type, hit.Title+hit.Excerpt)
			}
		}
		// Another campaign: the tobacco poster is not found.
		if _, res, _ := h.search(nurse, "affiche", "campaign", "octobre_rose"); len(res.Hits) != 0 {
			t.Errorf("affiche campaign=octobre_rose: %d hits, want 0", len(res.Hits))
		}
		// A control alone (no text) is a search.
		if status, res, body := h.search(nurse, "", "type", "protocol", "status", "valide"); status != 200 || len(res.Hits) == 0 {
			t.Errorf("type=protocol status=valide without text: %d %s", status, body)
		}
		_, valid, _ := h.search(nurse, "", "type", "protocol", "status", "valide", "per_page", "100")
		_, archived, _ := h.search(nurse, "", "type", "protocol", "status", "archive", "per_page", "100")
		if len(archived.Hits) == 0 {
			t.Fatal("no archived protocol in the demo data: the test would prove nothing")
		}
		for _, a := range archived.Hits {
			for _, v := range valid.Hits {
				if a.ID == v.ID {
					t.Errorf("protocol %s is found both as validated and as archived", a.ID)
				}
			}
		}
	})

	t.Run("clear errors", func(t *testing.T) {
		for _, c := range []struct {
			q     string
			extra []string
			code  string
		}{
			{"hta", []string{"from", "2026-12-01", "to", "2026-01-01"}, "invalid_date_range"},
			{"hta après:2026-12-01 avant:2026-01-01", nil, "invalid_date_range"},
			{"hta", []string{"campaign", "carnaval"}, "invalid_campaign"},
			{"hta", []string{"status", "perdu"}, "invalid_status"},
			{"hta", []string{"page", "-1"}, "invalid_page"},
		} {
			status, _, body := h.search(nurse, c.q, c.extra...)
			if status != 400 || !strings.Contains(body, `"code":"`+c.code+`"`) {
				t.Errorf("%q %v: %d %s, want 400 %s", c.q, c.extra, status, body, c.code)
			}
		}
		// One day, from and to the same: a period, not an error.
		if status, _, body := h.search(nurse, "hta", "from", "2026-01-01", "to", "2026-01-01"); status != 200 {
			t.Errorf("from = to: %d %s", status, body)
		}
		// An author nobody is called, alone: no hit, not "nothing typed".
		status, res, body := h.search(nurse, "de:@personne")
		if status != 200 || len(res.Hits) != 0 || res.Total != 0 {
			t.Errorf("de:@personne: %d %s, want 200 and no hit", status, body)
		}
	})

	t.Run("crafted cpts and group", func(t *testing.T) {
		ln, vc := h.id("cpts:CPTS Loire Nord"), h.id("cpts:CPTS Val de Cher")
		falls := h.id("group:Prévention chutes")
		// The Val de Cher pharmacist names Loire Nord: only what Loire
		// Nord shares with him (library items, the inter-CPTS group's
		// channel), never its own channels or people.
		var cs struct{ Channels []struct{ ID string } }
		h.getJSON(pharmacist, "/api/v1/channels", &cs)
		his := map[string]bool{}
		for _, c := range cs.Channels {
			his[c.ID] = true
		}
		for _, q := range []string{"hypertension", "chute", "cystite", "bienvenue", "patients"} {
			_, res, _ := h.search(pharmacist, q, "cpts", ln, "per_page", "100")
			for _, hit := range res.Hits {
				switch hit.Type {
				case "protocol", "material", "post":
					if r, _ := h.do(pharmacist, "GET", "/api/v1/"+hit.Type+"s/"+hit.ID, ""); r.StatusCode != 200 {
						t.Errorf("LEAK: %q cpts=Loire Nord as the pharmacist: %s %s he cannot open", q, hit.Type, hit.ID)
					}
				case "message", "channel":
					if hit.Location == nil || !his[hit.Location.ChannelID] {
						t.Errorf("LEAK: %q cpts=Loire Nord as the pharmacist: %s %s %q", q, hit.Type, hit.ID, hit.Excerpt)
					}
				default:
					t.Errorf("LEAK: %q cpts=Loire Nord as the pharmacist: %s %s %q", q, hit.Type, hit.ID, hit.Excerpt)
				}
			}
			// A group he is not in.
			if _, res, _ := h.search(pharmacist, q, "group", falls); len(res.Hits) != 0 {
				t.Errorf("LEAK: %q group=Prévention chutes as the pharmacist: %d hits", q, len(res.Hits))
			}
		}
		// The nurse names Val de Cher: nothing of its channels.
		for _, q := range []string{"amoxicilline", "bienvenue", "patients"} {
			_, res, _ := h.search(nurse, q, "cpts", vc, "per_page", "100")
			for _, hit := range res.Hits {
				if hit.Type == "message" || hit.Type == "channel" || hit.Type == "person" {
					t.Errorf("LEAK: %q cpts=Val de Cher as the nurse: %s %s", q, hit.Type, hit.ID)
				}
			}
		}
		// The partner (partenaire) of Loire Nord: not the group's channel.
		if _, res, _ := h.search(partner, "chute", "group", falls); len(res.Hits) != 0 {
			t.Errorf("LEAK: chute group=Prévention chutes as the partner: %d hits", len(res.Hits))
		}
		// The filter works for a member (the check can fail).
		if _, res, _ := h.search(nurse, "chute", "group", falls); len(res.Hits) == 0 {
			t.Error("chute group=Prévention chutes as the nurse: no hit")
		}
	})
}

// TestSearchOpenAPIParameters: GET /search documents every query
// parameter its handler reads, each with a description.
func TestSearchOpenAPIParameters(t *testing.T) {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name, In, Description string }
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range doc.Paths["/api/v1/search"]["get"].Parameters {
		if p.In == "query" {
			got[p.Name] = p.Description
		}
	}
	src, err := os.ReadFile("search.go")
	if err != nil {
		t.Fatal(err)
	}
	read := regexp.MustCompile(`p\.query\("([a-z_]+)"\)`).FindAllStringSubmatch(string(src), -1)
	if len(read) < 10 {
		t.Fatalf("only %d parameters read in search.go: the test is wrong", len(read))
	}
	for _, m := range read {
		if d, ok := got[m[1]]; !ok || d == "" {
			t.Errorf("query parameter %q of GET /search is not documented in openapi.json (description %q)", m[1], d)
		}
	}
}
