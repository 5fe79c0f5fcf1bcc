package server

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ecpts/ecpts/internal/demo"
)

// TestMaterialAPI: the demo materials listed by theme and campaign,
// sharing across CPTS, a link and a file added, every bad input with its
// code, the file of a material readable only by who sees the material.
func TestMaterialAPI(t *testing.T) {
	h := newHarness(t)
	if err := demo.LoadMaterials(context.Background(), h.st, h.core); err != nil {
		t.Fatal(err)
	}
	coord := h.login("coordination@loire-nord.demo")
	vcPharma := h.login("pharmacien@val-de-cher.demo")
	ln := h.id("cpts:CPTS Loire Nord")
	type item struct {
		ID     string `json:"id"`
		Title  string `json:"title"`
		Shared bool   `json:"shared"`
		Kind   string `json:"kind"`
		File   *struct {
			URL string `json:"url"`
		} `json:"file"`
	}
	var page struct {
		Items []item `json:"items"`
		Total int    `json:"total"`
	}
	h.getJSON(coord, "/api/v1/materials?cpts_id="+ln, &page)
	if page.Total != 8 {
		t.Fatalf("LN materials: %+v", page)
	}
	h.getJSON(coord, "/api/v1/materials?theme=tabac", &page)
	if page.Total != 2 {
		t.Fatalf("tabac: %+v", page)
	}
	var pdf item
	h.getJSON(coord, "/api/v1/materials?campaign=vaccination_grippe", &page)
	if page.Total != 1 || page.Items[0].Kind != "file" || page.Items[0].File == nil {
		t.Fatalf("grippe: %+v", page)
	}
	pdf = page.Items[0]
	// Val de Cher: its own, the one shared with it and the platform-wide one.
	h.getJSON(vcPharma, "/api/v1/materials", &page)
	if page.Total != 3 {
		t.Fatalf("VC materials: %+v", page)
	}
	res, body := h.do(vcPharma, "GET", "/api/v1/materials/"+pdf.ID, "")
	mustStatus(t, "VC opens an LN material", res.StatusCode, body, 404, "not_found")
	res, body = h.do(vcPharma, "GET", pdf.File.URL, "")
	mustStatus(t, "VC downloads its file", res.StatusCode, body, 404, "")
	res, _ = h.do(coord, "GET", pdf.File.URL, "")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("LN downloads the leaflet: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var cat struct {
		Themes    []any `json:"themes"`
		Campaigns []any `json:"campaigns"`
		Upcoming  []struct {
			Campaign string `json:"campaign"`
		} `json:"upcoming"`
	}
	h.getJSON(coord, "/api/v1/materials/catalog", &cat)
	if len(cat.Themes) < 10 || len(cat.Campaigns) < 10 {
		t.Fatalf("catalog: %+v", cat)
	}

	post := func(fields string) (int, string) {
		res, body := h.do(coord, "POST", "/api/v1/materials", fmt.Sprintf(`{"cpts_id":%q,"title":"Nutrition au quotidien",%s}`, ln, fields))
		return res.StatusCode, body
	}
	for _, c := range []struct{ fields, code string }{
		{`"theme":"nutrition","audience":"patients"`, "material_source_required"},
		{`"url":"javascript:alert(1)","theme":"nutrition","audience":"patients"`, "invalid_url"},
		{`"url":"https://a.example.org","file_id":"aaaaaaaaaaaaaaaaaaaaaaaa","theme":"nutrition","audience":"patients"`, "material_source_conflict"},
		{`"url":"https://a.example.org","theme":"cuisine","audience":"patients"`, "invalid_theme"},
		{`"url":"https://a.example.org","theme":"nutrition","audience":"tous"`, "invalid_audience"},
		{`"url":"https://a.example.org","theme":"nutrition","audience":"patients","campaign":"noel"`, "invalid_campaign"},
		{`"url":"https://a.example.org","theme":"nutrition","audience":"patients","language":"Français"`, "invalid_language"},
		{`"url":"https://a.example.org","theme":"nutrition","audience":"patients","valid_from":"2027-02-01","valid_to":"2027-01-01"`, "validity_order"},
		{`"file_id":"aaaaaaaaaaaaaaaaaaaaaaaa","theme":"nutrition","audience":"patients"`, "file_not_found"},
	} {
		st, body := post(c.fields)
		mustStatus(t, c.code, st, body, 400, c.code)
	}
	st, body := post(`"url":"https://a.example.org/nutrition","theme":"nutrition","audience":"patients"`)
	mustStatus(t, "create link", st, body, 201, "")
	if !strings.Contains(body, `"theme_label":"Nutrition"`) {
		t.Fatalf("created: %s", body)
	}
	res, body = h.do(vcPharma, "POST", "/api/v1/materials", fmt.Sprintf(`{"cpts_id":%q,"title":"x","url":"https://a.example.org","theme":"nutrition","audience":"patients"}`, ln))
	mustStatus(t, "VC adds to LN", res.StatusCode, body, 404, "not_found")
}
