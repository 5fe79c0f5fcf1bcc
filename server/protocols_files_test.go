package server

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ecpts/ecpts/internal/core"
)

// TestProtocolPDF: a PDF uploaded to the CPTS is attached to a protocol
// version on create and on edit; a member reads it, another CPTS gets 404;
// a non-PDF, or another's upload, is refused.
func TestProtocolPDF(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	pharmaVC := h.login("pharmacien@val-de-cher.demo")
	ln := h.id("cpts:CPTS Loire Nord")

	uploadCPTS := func(s session, name, content string) core.FileView {
		t.Helper()
		ct, body := multipartBody(t, [][2]string{{"cpts_id", ln}}, name, []byte(content), 0)
		res, out := h.upload(s, ct, body, false)
		if res.StatusCode != 201 {
			t.Fatalf("upload %s: %d %s", name, res.StatusCode, out)
		}
		var v struct{ File core.FileView }
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err)
		}
		return v.File
	}
	type detail struct {
		Protocol *struct {
			ID      string `json:"id"`
			Current int    `json:"current_version"`
			Version struct {
				N   int    `json:"n"`
				PDF string `json:"pdf_file_id"`
			} `json:"version"`
			PDF *core.FileView `json:"pdf"`
		} `json:"protocol"`
		ID      string `json:"id"`
		Current int    `json:"current_version"`
		Version struct {
			N   int    `json:"n"`
			PDF string `json:"pdf_file_id"`
		} `json:"version"`
		PDF *core.FileView `json:"pdf"`
	}

	flat := func(x detail) detail {
		if x.Protocol != nil {
			p := x.Protocol
			x.ID, x.Current, x.PDF = p.ID, p.Current, p.PDF
			x.Version.N, x.Version.PDF = p.Version.N, p.Version.PDF
		}
		return x
	}
	unwrap := func(t *testing.T, body string) detail {
		t.Helper()
		var x detail
		if err := json.Unmarshal([]byte(body), &x); err != nil {
			t.Fatal(err)
		}
		return flat(x)
	}

	txt := uploadCPTS(coord, "notes.txt", "Pas un PDF.\n")
	res, body := h.do(coord, "POST", "/api/v1/protocols", fmt.Sprintf(`{"cpts_id":%q,"title":"Plaies chroniques","pdf_file_id":%q}`, ln, txt.ID))
	mustStatus(t, "a text file as the PDF", res.StatusCode, body, 400, "protocol_pdf_not_pdf")
	theirs := uploadCPTS(ide, "leur.pdf", testPDF)
	res, body = h.do(coord, "POST", "/api/v1/protocols", fmt.Sprintf(`{"cpts_id":%q,"title":"Plaies chroniques","pdf_file_id":%q}`, ln, theirs.ID))
	mustStatus(t, "someone else's upload", res.StatusCode, body, 400, "file_not_found")

	pdf := uploadCPTS(coord, "plaies.pdf", testPDF)
	res, body = h.do(coord, "POST", "/api/v1/protocols", fmt.Sprintf(`{"cpts_id":%q,"title":"Plaies chroniques","pdf_file_id":%q}`, ln, pdf.ID))
	if res.StatusCode != 201 && res.StatusCode != 200 {
		t.Fatalf("create with a PDF: %d %s", res.StatusCode, body)
	}
	d := unwrap(t, body)
	if d.Version.PDF != string(pdf.ID) || d.PDF == nil || d.PDF.Kind != "pdf" {
		t.Fatalf("created: %+v", d)
	}
	// A member reads the protocol and its PDF; Val de Cher does not.
	var got detail
	h.getJSON(ide, "/api/v1/protocols/"+d.ID, &got)
	seen := flat(got)
	if seen.PDF == nil || seen.PDF.ID != pdf.ID {
		t.Fatalf("member sees %+v", seen)
	}
	res, _ = h.do(ide, "GET", pdf.URL, "")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("member downloads the PDF: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	res, body = h.do(pharmaVC, "GET", pdf.URL, "")
	mustStatus(t, "another CPTS downloads the PDF", res.StatusCode, body, 404, "")
	res, body = h.do(pharmaVC, "GET", "/api/v1/protocols/"+d.ID, "")
	mustStatus(t, "another CPTS opens the protocol", res.StatusCode, body, 404, "")

	// Attached once: the same file again is refused.
	res, body = h.do(coord, "POST", "/api/v1/protocols", fmt.Sprintf(`{"cpts_id":%q,"title":"Encore","pdf_file_id":%q}`, ln, pdf.ID))
	mustStatus(t, "an attached file again", res.StatusCode, body, 409, "file_already_attached")

	// A new PDF makes a new version; the first version's file stays
	// readable by the drafts' readers.
	pdf2 := uploadCPTS(coord, "plaies-v2.pdf", testPDF)
	res, body = h.do(coord, "PATCH", "/api/v1/protocols/"+d.ID, fmt.Sprintf(`{"pdf_file_id":%q,"note":"PDF mis à jour"}`, pdf2.ID))
	if res.StatusCode != 200 {
		t.Fatalf("patch with a new PDF: %d %s", res.StatusCode, body)
	}
	d2 := unwrap(t, body)
	if d2.Current != 2 || d2.PDF == nil || d2.PDF.ID != pdf2.ID {
		t.Fatalf("after the new PDF: %+v", d2)
	}
	for _, u := range []string{pdf.URL, pdf2.URL} {
		if res, _ := h.do(ide, "GET", u, ""); res.StatusCode != 200 {
			t.Fatalf("member downloads %s: %d", u, res.StatusCode)
		}
	}
	// Removing it: a version without PDF.
	res, body = h.do(coord, "PATCH", "/api/v1/protocols/"+d.ID, `{"pdf_file_id":""}`)
	if res.StatusCode != 200 {
		t.Fatalf("patch without PDF: %d %s", res.StatusCode, body)
	}
	d3 := unwrap(t, body)
	if d3.Current != 3 || d3.PDF != nil {
		t.Fatalf("after removing the PDF: %+v", d3)
	}
}
