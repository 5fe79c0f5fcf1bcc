package server

import (
	"context"
	"testing"

	"github.com/ecpts/ecpts/internal/demo"
)

// TestMaterialEditDelete: the coordination edits and deletes a material
// (its file goes with it); a member who is not its author may not; another
// CPTS does not know it exists.
func TestMaterialEditDelete(t *testing.T) {
	h := newHarness(t)
	if err := demo.LoadMaterials(context.Background(), h.st, h.core); err != nil {
		t.Fatal(err)
	}
	coord := h.login("coordination@loire-nord.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	vcPharma := h.login("pharmacien@val-de-cher.demo")
	var page struct {
		Items []struct {
			ID       string `json:"id"`
			Title    string `json:"title"`
			AuthorID string `json:"author_id"`
			File     *struct {
				URL string `json:"url"`
			} `json:"file"`
		} `json:"items"`
	}
	h.getJSON(coord, "/api/v1/materials?campaign=vaccination_grippe", &page)
	if len(page.Items) != 1 || page.Items[0].File == nil {
		t.Fatalf("grippe: %+v", page)
	}
	m := page.Items[0]
	url := "/api/v1/materials/" + m.ID

	res, body := h.do(vcPharma, "PATCH", url, `{"title":"Piraté"}`)
	mustStatus(t, "another CPTS edits", res.StatusCode, body, 404, "not_found")
	res, body = h.do(vcPharma, "DELETE", url, "")
	mustStatus(t, "another CPTS deletes", res.StatusCode, body, 404, "not_found")
	res, body = h.do(ide, "PATCH", url, `{"title":"Pas à moi"}`)
	mustStatus(t, "a member, not the author, edits", res.StatusCode, body, 403, "")
	res, body = h.do(coord, "PATCH", url, `{"title":""}`)
	mustStatus(t, "empty title", res.StatusCode, body, 400, "")
	res, body = h.do(coord, "PATCH", url, `{"theme":"inconnu"}`)
	mustStatus(t, "unknown theme", res.StatusCode, body, 400, "invalid_theme")
	res, body = h.do(coord, "PATCH", url, `{"url":"https://exemple.org"}`)
	mustStatus(t, "a link on a file material", res.StatusCode, body, 400, "material_source_conflict")

	res, body = h.do(coord, "PATCH", url, `{"title":"Grippe : se faire vacciner","valid_from":"2026-10-01","valid_to":"2027-01-31"}`)
	if res.StatusCode != 200 {
		t.Fatalf("coordination edits: %d %s", res.StatusCode, body)
	}
	var got struct {
		Material struct {
			Title string `json:"title"`
		} `json:"material"`
		Title string `json:"title"`
	}
	h.getJSON(ide, url, &got)
	if got.Title != "Grippe : se faire vacciner" && got.Material.Title != "Grippe : se faire vacciner" {
		t.Fatalf("after the edit: %+v", got)
	}

	res, body = h.do(ide, "DELETE", url, "")
	mustStatus(t, "a member, not the author, deletes", res.StatusCode, body, 403, "")
	res, body = h.do(coord, "DELETE", url, "")
	if res.StatusCode != 204 && res.StatusCode != 200 {
		t.Fatalf("coordination deletes: %d %s", res.StatusCode, body)
	}
	res, body = h.do(ide, "GET", url, "")
	mustStatus(t, "deleted material", res.StatusCode, body, 404, "not_found")
	res, body = h.do(coord, "GET", m.File.URL, "")
	mustStatus(t, "deleted material's file", res.StatusCode, body, 404, "")
	res, body = h.do(coord, "DELETE", url, "")
	mustStatus(t, "deleted twice", res.StatusCode, body, 404, "not_found")
}
