package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/core"
)

// testMaxUpload is the harness's upload limit: small, so that the
// oversize cases stay cheap.
const testMaxUpload = 1 << 20

// eicar is the EICAR anti-virus test string (not a virus: every scanner
// is meant to flag it).
const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// eicarScanner stands for clamd in these tests (internal/clamav is tested
// against the real daemon): it flags the EICAR string.
type eicarScanner struct{}

func (eicarScanner) Scan(_ context.Context, r io.Reader) (bool, string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return false, "", err
	}
	if bytes.Contains(b, []byte(eicar)) {
		return false, "Eicar-Signature", nil
	}
	return true, "", nil
}

// testPNG is a small opaque PNG.
func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testPDF is a minimal valid one-page PDF.
const testPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n" +
	"4 0 obj<</Length 44>>stream\nBT /F1 24 Tf 40 70 Td (Protocole) Tj ET\nendstream endobj\n" +
	"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

// multipartBody builds an upload: fields first, then the file (when name
// is not empty). cut drops that many bytes from the end (a truncated
// upload).
func multipartBody(t *testing.T, fields [][2]string, name string, content []byte, cut int) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if name != "" {
		w, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(content)
	}
	mw.Close()
	body := b.Bytes()
	return mw.FormDataContentType(), body[:len(body)-cut]
}

// upload sends a multipart body; chunked leaves the length unknown.
func (h *harness) upload(s session, contentType string, body []byte, chunked bool) (*http.Response, string) {
	h.t.Helper()
	var r io.Reader = bytes.NewReader(body)
	if chunked {
		r = io.MultiReader(r) // no length: sent chunked
	}
	req := httptest.NewRequest("POST", "/api/v1/files", r)
	if chunked {
		req.ContentLength = 0
		req.TransferEncoding = []string{"chunked"}
	}
	req.Header.Set("Content-Type", contentType)
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: s.cookie})
	req.Header.Set("X-CSRF-Token", s.csrf)
	res, err := h.srv.App().Test(req, -1)
	if err != nil {
		h.t.Fatalf("upload: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	if err := conformErr("POST", "/api/v1/files", res, string(b)); err != nil {
		h.t.Errorf("upload: %d %s: does not conform to openapi.json: %v", res.StatusCode, b, err)
	}
	return res, string(b)
}

// uploadFile uploads content as name to a channel and returns its view.
func (h *harness) uploadFile(s session, channel, name string, content []byte) core.FileView {
	h.t.Helper()
	ct, body := multipartBody(h.t, [][2]string{{"channel_id", channel}}, name, content, 0)
	res, out := h.upload(s, ct, body, false)
	if res.StatusCode != 201 {
		h.t.Fatalf("upload %s: %d %s", name, res.StatusCode, out)
	}
	var v struct{ File core.FileView }
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		h.t.Fatal(err)
	}
	return v.File
}

// storedBlobs lists the blobs on disk (temporary files excluded).
func (h *harness) storedBlobs() []string {
	h.t.Helper()
	var out []string
	root := h.blobs.Root()
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "tmp" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			out = append(out, filepath.Base(p))
		}
		return nil
	})
	return out
}

func errCode(t *testing.T, body string) string {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not an error body: %s", body)
	}
	return e.Error.Code
}

func TestFilesInMessages(t *testing.T) {
	h := newHarness(t)
	ide := h.login("infirmiere@loire-nord.demo")
	coord := h.login("coordination@loire-nord.demo")
	pharm := h.login("pharmacien@val-de-cher.demo")
	general := h.id("chan:LN:général")

	img := h.uploadFile(ide, general, "C:\\Photos\\plaie‮gpj.exe.png", testPNG(t, 640, 480))
	if img.Kind != "image" || img.ContentType != "image/png" || !img.HasThumbnail || img.ThumbURL == "" {
		t.Fatalf("image view: %+v", img)
	}
	if strings.ContainsAny(img.Name, "\\\u202e") {
		t.Errorf("name not cleaned: %q", img.Name)
	}
	pdf := h.uploadFile(ide, general, "protocole.pdf", []byte(testPDF))
	if pdf.Kind != "pdf" || pdf.HasThumbnail {
		t.Fatalf("pdf view: %+v", pdf)
	}
	txt := h.uploadFile(ide, general, "notes.txt", []byte("Pansement tous les deux jours.\n"))

	// Unattached: the uploader alone reads them.
	if res, _ := h.do(ide, "GET", img.URL, ""); res.StatusCode != 200 {
		t.Fatalf("uploader reads own upload: %d", res.StatusCode)
	}
	if res, body := h.do(coord, "GET", img.URL, ""); res.StatusCode != 404 || errCode(t, body) != "not_found" {
		t.Fatalf("another member reads an unattached upload: %d %s", res.StatusCode, body)
	}

	// A message with the three files (and no text).
	res, body := h.do(ide, "POST", "/api/v1/channels/"+general+"/messages",
		fmt.Sprintf(`{"client_id":"6f1c1b1e-4b7a-4b8e-9a3c-1d2e3f4a5b6c","body":"","file_ids":[%q,%q,%q]}`, img.ID, pdf.ID, txt.ID))
	if res.StatusCode != 201 {
		t.Fatalf("send with files: %d %s", res.StatusCode, body)
	}
	var sent struct{ Message core.MessageView }
	json.Unmarshal([]byte(body), &sent)
	if len(sent.Message.Files) != 3 || sent.Message.Files[0].ID != img.ID {
		t.Fatalf("message files: %+v", sent.Message.Files)
	}
	var page struct{ Messages []core.MessageView }
	h.getJSON(coord, "/api/v1/channels/"+general+"/messages", &page)
	last := page.Messages[len(page.Messages)-1]
	if last.ID != sent.Message.ID || len(last.Files) != 3 {
		t.Fatalf("history: %+v", last)
	}

	// Served: type, disposition, no sniffing, sandboxed.
	for _, c := range []struct {
		url, ctype, disp string
	}{
		{img.URL, "image/png", "inline"},
		{img.ThumbURL, "image/jpeg", "inline"},
		{pdf.URL, "application/pdf", "inline"},
		{txt.URL, "text/plain", "attachment"},
	} {
		res, body := h.do(coord, "GET", c.url, "")
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", c.url, res.StatusCode, body)
		}
		if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, c.ctype) {
			t.Errorf("%s: Content-Type %q, want %s", c.url, got, c.ctype)
		}
		if got := res.Header.Get("Content-Disposition"); !strings.HasPrefix(got, c.disp+";") || !strings.Contains(got, "filename*=UTF-8''") {
			t.Errorf("%s: Content-Disposition %q", c.url, got)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(res.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("%s: nosniff %q, CSP %q", c.url, res.Header.Get("X-Content-Type-Options"), res.Header.Get("Content-Security-Policy"))
		}
		if res.Header.Get("ETag") == "" {
			t.Errorf("%s: no ETag", c.url)
		}
	}
	// The stored image is the re-encoding, the same size as sent.
	res, body = h.do(coord, "GET", img.URL, "")
	if cfg, err := png.DecodeConfig(strings.NewReader(body)); err != nil || cfg.Width != 640 || cfg.Height != 480 {
		t.Fatalf("stored image: %v %+v", err, cfg)
	}
	etag := res.Header.Get("ETag")
	if res, _ := h.doWith(coord, "GET", img.URL, "", map[string]string{"If-None-Match": etag}); res.StatusCode != 304 {
		t.Errorf("If-None-Match: %d", res.StatusCode)
	}
	res, body = h.doWith(coord, "GET", pdf.URL, "", map[string]string{"Range": "bytes=0-7"})
	if res.StatusCode != 206 || body != testPDF[:8] || res.Header.Get("Content-Range") != fmt.Sprintf("bytes 0-7/%d", len(testPDF)) {
		t.Errorf("range: %d %q %q", res.StatusCode, body, res.Header.Get("Content-Range"))
	}
	if res, _ := h.doWith(coord, "GET", pdf.URL, "", map[string]string{"Range": "bytes=9999-"}); res.StatusCode != 416 {
		t.Errorf("unsatisfiable range: %d", res.StatusCode)
	}
	if res, body := h.do(coord, "GET", pdf.URL+"?thumb=1", ""); res.StatusCode != 404 {
		t.Errorf("thumbnail of a PDF: %d %s", res.StatusCode, body)
	}

	// Another CPTS's user gets nothing by the file link, nor a made-up id.
	for _, u := range []string{img.URL, img.ThumbURL, pdf.URL, txt.URL, "/api/v1/files/0123456789abcdef01234567", "/api/v1/files/..%2Fetc"} {
		res, body := h.do(pharm, "GET", u, "")
		if res.StatusCode != 404 || errCode(t, body) != "not_found" {
			t.Errorf("foreign CPTS GET %s: %d %s", u, res.StatusCode, body)
		}
	}
	// Signed out: 401.
	if res, _ := h.do(session{}, "GET", pdf.URL, ""); res.StatusCode != 401 {
		t.Errorf("signed out: %d", res.StatusCode)
	}

	// Attached once only.
	res, body = h.do(ide, "POST", "/api/v1/channels/"+general+"/messages",
		fmt.Sprintf(`{"client_id":"7f1c1b1e-4b7a-4b8e-9a3c-1d2e3f4a5b6c","body":"encore","file_ids":[%q]}`, pdf.ID))
	if res.StatusCode != 409 || errCode(t, body) != "file_already_attached" {
		t.Errorf("attach twice: %d %s", res.StatusCode, body)
	}

	// Deleting the message removes its files.
	before := len(h.storedBlobs())
	if res, body := h.do(ide, "DELETE", "/api/v1/messages/"+string(sent.Message.ID), ""); res.StatusCode != 204 {
		t.Fatalf("delete: %d %s", res.StatusCode, body)
	}
	for _, u := range []string{img.URL, pdf.URL, txt.URL} {
		if res, _ := h.do(ide, "GET", u, ""); res.StatusCode != 404 {
			t.Errorf("file of a deleted message %s: %d", u, res.StatusCode)
		}
	}
	if after := len(h.storedBlobs()); after != before-4 { // image, thumbnail, PDF, text
		t.Errorf("blobs after deletion: %d, want %d", after, before-4)
	}
	h.getJSON(coord, "/api/v1/channels/"+general+"/messages", &page)
	if last := page.Messages[len(page.Messages)-1]; !last.Deleted || len(last.Files) != 0 {
		t.Errorf("deleted message still shows files: %+v", last)
	}
}

// TestFilesBadInput: every bad input of issue 14 for files gets its own
// code, and nothing is left behind.
func TestFilesBadInput(t *testing.T) {
	h := newHarness(t)
	ide := h.login("infirmiere@loire-nord.demo")
	coord := h.login("coordination@loire-nord.demo")
	pharm := h.login("pharmacien@val-de-cher.demo")
	general := h.id("chan:LN:général")
	annonces := h.id("chan:LN:annonces")
	vcGeneral := h.id("chan:VC:général")
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0}, 200)...)
	exe = append(exe, []byte("PE\x00\x00L\x01")...)
	big := bytes.Repeat([]byte("Compte rendu de réunion pluriprofessionnelle.\n"), testMaxUpload/40)
	at := [][2]string{{"channel_id", general}}

	cases := []struct {
		name    string
		who     session
		fields  [][2]string
		file    string
		content []byte
		cut     int
		chunked bool
		ctype   string // overrides the multipart type
		status  int
		code    string
	}{
		{"oversize, announced", ide, at, "cr.txt", big, 0, false, "", 413, "file_too_large"},
		{"oversize, streamed", ide, at, "cr.txt", big, 0, true, "", 413, "file_too_large"},
		{"exe renamed pdf", ide, at, "ordonnance.pdf", exe, 0, false, "", 400, "file_type_not_allowed"},
		{"svg", ide, at, "schema.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), 0, false, "", 400, "file_type_not_allowed"},
		{"html", ide, at, "page.pdf", []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"), 0, false, "", 400, "file_type_not_allowed"},
		{"truncated upload", ide, at, "protocole.pdf", []byte(testPDF + strings.Repeat("%", 20000)), 5000, false, "", 400, "file_truncated"},
		{"truncated image", ide, at, "photo.png", testPNG(t, 300, 300)[:400], 0, false, "", 400, "image_invalid"},
		{"empty file", ide, at, "vide.txt", nil, 0, false, "", 400, "file_empty"},
		{"infected", ide, at, "eicar.txt", []byte(eicar), 0, false, "", 400, "file_infected"},
		{"no place", ide, nil, "a.txt", []byte("x"), 0, false, "", 400, "file_where_required"},
		{"two places", ide, [][2]string{{"channel_id", general}, {"cpts_id", h.id("cpts:CPTS Loire Nord")}}, "a.txt", []byte("x"), 0, false, "", 400, "file_where_required"},
		{"bad place id", ide, [][2]string{{"channel_id", "../../etc"}}, "a.txt", []byte("x"), 0, false, "", 400, "invalid_channel_id"},
		{"unknown field", ide, [][2]string{{"channel_id", general}, {"owner", "me"}}, "a.txt", []byte("x"), 0, false, "", 400, "unknown_field"},
		{"no file part", ide, at, "", nil, 0, false, "", 400, "file_missing"},
		{"not multipart", ide, at, "a.txt", []byte("x"), 0, false, "application/json", 400, "multipart_required"},
		{"announcement channel, not coordinator", ide, [][2]string{{"channel_id", annonces}}, "a.txt", []byte("x"), 0, false, "", 403, "announcement_only"},
		{"other CPTS's channel", ide, [][2]string{{"channel_id", vcGeneral}}, "a.txt", []byte("x"), 0, false, "", 404, "not_found"},
		{"other CPTS", pharm, [][2]string{{"cpts_id", h.id("cpts:CPTS Loire Nord")}}, "a.txt", []byte("x"), 0, false, "", 404, "not_found"},
	}
	before := h.storedBlobs()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ct, body := multipartBody(t, c.fields, c.file, c.content, c.cut)
			if c.ctype != "" {
				ct = c.ctype
			}
			res, out := h.upload(c.who, ct, body, c.chunked)
			if res.StatusCode != c.status || errCode(t, out) != c.code {
				t.Fatalf("got %d %s, want %d %s", res.StatusCode, out, c.status, c.code)
			}
			if got := h.storedBlobs(); len(got) != len(before) {
				t.Fatalf("blobs left behind: %v (before: %v)", got, before)
			}
		})
	}

	// Attaching: another's upload, one made elsewhere, too many, bad ids.
	mine := h.uploadFile(ide, general, "a.txt", []byte("à moi"))
	theirs := h.uploadFile(coord, general, "b.txt", []byte("à la coordination"))
	ct, body := multipartBody(t, [][2]string{{"cpts_id", h.id("cpts:CPTS Loire Nord")}}, "c.txt", []byte("pour la bibliothèque"), 0)
	res, out := h.upload(ide, ct, body, false)
	if res.StatusCode != 201 {
		t.Fatalf("upload to the CPTS: %d %s", res.StatusCode, out)
	}
	var elsewhere struct{ File core.FileView }
	json.Unmarshal([]byte(out), &elsewhere)
	n := 0
	send := func(ids string) (*http.Response, string) {
		n++
		return h.do(ide, "POST", "/api/v1/channels/"+general+"/messages",
			fmt.Sprintf(`{"client_id":"00000000-0000-4000-8000-%012d","body":"voir pièce jointe","file_ids":[%s]}`, n, ids))
	}
	many := strings.TrimSuffix(strings.Repeat(`"`+string(mine.ID)+`",`, 11), ",")
	for _, c := range []struct {
		name, ids string
		status    int
		code      string
	}{
		{"someone else's upload", `"` + string(theirs.ID) + `"`, 400, "file_not_found"},
		{"unknown file", `"0123456789abcdef01234567"`, 400, "file_not_found"},
		{"uploaded to the CPTS, not this channel", `"` + string(elsewhere.File.ID) + `"`, 400, "file_wrong_place"},
		{"malformed id", `"x"`, 400, "invalid_file_id"},
		{"eleven files", many, 400, "too_many_files"},
	} {
		res, body := send(c.ids)
		if res.StatusCode != c.status || errCode(t, body) != c.code {
			t.Errorf("%s: got %d %s, want %d %s", c.name, res.StatusCode, body, c.status, c.code)
		}
	}
	// Still unattached after the refusals: it goes in a message now.
	if res, body := send(`"` + string(mine.ID) + `"`); res.StatusCode != 201 {
		t.Errorf("valid attachment after refusals: %d %s", res.StatusCode, body)
	}
}

// TestFilesOrphanCleanup: an upload never attached is removed after the
// orphan age (bytes and metadata); an attached one stays.
func TestFilesOrphanCleanup(t *testing.T) {
	h := newHarness(t)
	ide := h.login("infirmiere@loire-nord.demo")
	general := h.id("chan:LN:général")
	orphan := h.uploadFile(ide, general, "brouillon.png", testPNG(t, 64, 64))
	kept := h.uploadFile(ide, general, "garde.txt", []byte("joint"))
	res, body := h.do(ide, "POST", "/api/v1/channels/"+general+"/messages",
		fmt.Sprintf(`{"client_id":"8f1c1b1e-4b7a-4b8e-9a3c-1d2e3f4a5b6c","body":"ci-joint","file_ids":[%q]}`, kept.ID))
	if res.StatusCode != 201 {
		t.Fatalf("send: %d %s", res.StatusCode, body)
	}
	ctx := context.Background()
	if n, err := h.core.CleanOrphans(ctx); err != nil || n != 0 {
		t.Fatalf("too early: removed %d, %v", n, err)
	}
	before := len(h.storedBlobs())
	h.advance(core.DefaultOrphanAge + time.Minute)
	if n, err := h.core.CleanOrphans(ctx); err != nil || n != 1 {
		t.Fatalf("cleanup: removed %d, %v", n, err)
	}
	if after := len(h.storedBlobs()); after != before-2 { // the image and its thumbnail
		t.Errorf("blobs: %d, want %d", after, before-2)
	}
	if res, _ := h.do(ide, "GET", orphan.URL, ""); res.StatusCode != 404 {
		t.Errorf("orphan still served: %d", res.StatusCode)
	}
	if res, _ := h.do(ide, "GET", kept.URL, ""); res.StatusCode != 200 {
		t.Errorf("attached file: %d", res.StatusCode)
	}
}

// TestFilesImageMetadataStripped: a photo's EXIF block (camera, GPS) is
// not in what is stored and served, nor in its thumbnail.
func TestFilesImageMetadataStripped(t *testing.T) {
	h := newHarness(t)
	ide := h.login("infirmiere@loire-nord.demo")
	general := h.id("chan:LN:général")
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for x := range 400 {
		for y := range 300 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var j bytes.Buffer
	if err := jpeg.Encode(&j, img, nil); err != nil {
		t.Fatal(err)
	}
	// An APP1 Exif segment right after SOI: a little-endian TIFF header
	// whose single IFD entry is Make = "PhoneCam GPS".
	tiff := []byte("II*\x00\x08\x00\x00\x00\x01\x00\x0f\x01\x02\x00\x0d\x00\x00\x00\x1a\x00\x00\x00\x00\x00\x00\x00PhoneCam GPS\x00")
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xff, 0xe1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	photo := append([]byte{0xff, 0xd8}, append(append(seg, payload...), j.Bytes()[2:]...)...)
	if !bytes.Contains(photo, []byte("PhoneCam GPS")) {
		t.Fatal("test photo has no EXIF")
	}
	v := h.uploadFile(ide, general, "plaie.jpg", photo)
	if v.ContentType != "image/jpeg" || !v.HasThumbnail {
		t.Fatalf("view: %+v", v)
	}
	for _, u := range []string{v.URL, v.ThumbURL} {
		res, body := h.do(ide, "GET", u, "")
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d", u, res.StatusCode)
		}
		if strings.Contains(body, "Exif") || strings.Contains(body, "PhoneCam") {
			t.Errorf("%s still carries the EXIF block", u)
		}
		if _, err := jpeg.DecodeConfig(strings.NewReader(body)); err != nil {
			t.Errorf("%s: not a JPEG: %v", u, err)
		}
	}
}
