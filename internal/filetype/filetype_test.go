package filetype_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"mime"
	"strings"
	"testing"

	"github.com/ecpts/ecpts/internal/filetype"
	"github.com/ecpts/ecpts/internal/model"
)

func testImage() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 16, 8))
	for x := range 16 {
		for y := range 8 {
			img.Set(x, y, color.NRGBA{uint8(x * 16), uint8(y * 32), 128, 255})
		}
	}
	return img
}

func encode(t *testing.T, f func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A 1×1 lossless WebP (Go has no WebP encoder; golang.org/x/image/webp
// decodes this one).
var webp1x1 = []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")

// minimalPDF is a valid one-page PDF.
const minimalPDF = "%PDF-1.4\n" +
	"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
	"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n" +
	"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n" +
	"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \n" +
	"trailer << /Size 4 /Root 1 0 R >>\nstartxref\n188\n%%EOF\n"

// fakeExe has the DOS header and the PE signature of a Windows program.
func fakeExe() []byte {
	b := make([]byte, 512)
	copy(b, "MZ")
	b[0x3c] = 0x80
	copy(b[0x80:], "PE\x00\x00\x4c\x01")
	return b
}

type entry struct {
	name   string
	body   string
	stored bool
}

func zipOf(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.stored {
			h.Method = zip.Store
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const contentTypes = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"></Types>`

func ooxml(t *testing.T, main string, extra ...entry) []byte {
	return zipOf(t, append([]entry{
		{name: "[Content_Types].xml", body: contentTypes},
		{name: "_rels/.rels", body: `<Relationships/>`},
		{name: main, body: `<document/>`},
	}, extra...)...)
}

func odf(t *testing.T, mediaType string, extra ...entry) []byte {
	return zipOf(t, append([]entry{
		{name: "mimetype", body: mediaType, stored: true},
		{name: "content.xml", body: `<office:document-content/>`},
		{name: "META-INF/manifest.xml", body: `<manifest/>`},
	}, extra...)...)
}

// incompressible returns n bytes that deflate cannot shrink.
func incompressible(n int) string {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return string(b)
}

func TestCheckAccepts(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"png", encode(t, func(b *bytes.Buffer) error { return png.Encode(b, testImage()) }), filetype.PNG},
		{"jpeg", encode(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, testImage(), nil) }), filetype.JPEG},
		{"gif", encode(t, func(b *bytes.Buffer) error { return gif.Encode(b, testImage(), nil) }), filetype.GIF},
		{"webp", webp1x1, filetype.WebP},
		{"pdf", []byte(minimalPDF), filetype.PDF},
		{"text utf-8", []byte("Protocole cystite : conduite à tenir.\nRévision 2026.\n"), filetype.Text},
		{"text latin-1", []byte("Protocole r\xe9vis\xe9\r\n"), filetype.Text},
		{"csv", []byte("nom,profession,ville\nDupont,infirmière,Blois\nMartin,pharmacien,Tours\n"), filetype.CSV},
		{"csv semicolons", []byte("nom;profession\nDupont;infirmière\n"), filetype.Text},
		{"docx", ooxml(t, "word/document.xml"), filetype.DOCX},
		{"xlsx", ooxml(t, "xl/workbook.xml"), filetype.XLSX},
		{"pptx", ooxml(t, "ppt/presentation.xml"), filetype.PPTX},
		// Its first entries fill more than the bytes mimetype reads: only
		// the zip directory tells it is a Word document.
		{"docx, big first entries", zipOf(t,
			entry{name: "docProps/thumbnail.jpeg", body: incompressible(20_000)},
			entry{name: "[Content_Types].xml", body: contentTypes},
			entry{name: "word/document.xml", body: "<document/>"}), filetype.DOCX},
		{"odt", odf(t, filetype.ODT), filetype.ODT},
		{"ods", odf(t, filetype.ODS), filetype.ODS},
		{"odp", odf(t, filetype.ODP), filetype.ODP},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := filetype.Check(bytes.NewReader(c.data), int64(len(c.data)))
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if got.MIME != c.want {
				t.Fatalf("Check = %s, want %s", got.MIME, c.want)
			}
			if err := filetype.Sniff(c.data[:min(len(c.data), filetype.SniffLen)]); err != nil {
				t.Fatalf("Sniff refused an accepted file: %v", err)
			}
		})
	}
}

func TestCheckRefuses(t *testing.T) {
	cases := []struct {
		name     string
		data     []byte
		code     string
		message  string // part of the French message
		sniffToo bool   // Sniff refuses it from the first bytes already
	}{
		{"exe renamed .pdf", fakeExe(), filetype.CodeNotAllowed, "programme exécutable", true},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script></svg>`),
			filetype.CodeNotAllowed, "image SVG", true},
		{"svg with prolog", []byte("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><rect/></svg>"),
			filetype.CodeNotAllowed, "image SVG", true},
		{"html", []byte("<!DOCTYPE html><html><body><script>fetch('/api/v1/me')</script></body></html>"),
			filetype.CodeNotAllowed, "page HTML", true},
		{"html, lowercase, leading spaces and BOM", []byte("\xef\xbb\xbf  \n<html><head><title>x</title></head></html>"),
			filetype.CodeNotAllowed, "page HTML", true},
		{"plain zip", zipOf(t, entry{name: "notes.txt", body: "bonjour"}), filetype.CodeNotAllowed, "archive", false},
		{"zip posing as docx", zipOf(t, entry{name: "[Content_Types].xml", body: contentTypes}, entry{name: "evil.exe", body: string(fakeExe())}),
			filetype.CodeNotAllowed, "archive", false},
		{"docm (VBA macros)", ooxml(t, "word/document.xml", entry{name: "word/vbaProject.bin", body: "macro"}), filetype.CodeMacro, "macros", false},
		{"xlsm (Excel 4 macro sheet)", ooxml(t, "xl/workbook.xml", entry{name: "xl/macrosheets/sheet1.xml", body: "<x/>"}), filetype.CodeMacro, "macros", false},
		{"odt with Basic macros", odf(t, filetype.ODT, entry{name: "Basic/Standard/Module1.xml", body: "<x/>"}), filetype.CodeMacro, "macros", false},
		{"epub", odf(t, "application/epub+zip"), filetype.CodeNotAllowed, "", false},
		{"truncated zip", ooxml(t, "word/document.xml")[:200], filetype.CodeCorrupt, "endommagé", false},
		{"json", []byte(`{"a": 1, "b": [1, 2, 3]}`), filetype.CodeNotAllowed, "texte structuré", true},
		{"mp4", append([]byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"), make([]byte, 64)...), filetype.CodeNotAllowed, "lien", true},
		{"legacy .doc", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 504)...), filetype.CodeNotAllowed, "ancien format Office", true},
		{"empty", nil, filetype.CodeEmpty, "vide", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := filetype.Check(bytes.NewReader(c.data), int64(len(c.data)))
			if err == nil {
				t.Fatalf("Check accepted it as %s", got.MIME)
			}
			var re *filetype.RefusedError
			if !errors.As(err, &re) || !errors.Is(err, filetype.ErrRefused) {
				t.Fatalf("Check: %v, want a *RefusedError", err)
			}
			var inv *model.InvalidError
			if !errors.As(err, &inv) || inv.Code != c.code || inv.Field != "file" || !strings.Contains(inv.Message, c.message) {
				t.Fatalf("Check: %v unwraps to %+v, want code %s and a message with %q", err, inv, c.code, c.message)
			}
			serr := filetype.Sniff(c.data[:min(len(c.data), filetype.SniffLen)])
			if c.sniffToo && !errors.Is(serr, filetype.ErrRefused) {
				t.Fatalf("Sniff: %v, want a refusal from the first bytes", serr)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	cases := []struct {
		mediaType, name string
		wantType        string
		wantDisposition string
		wantName        string // as a client decodes it
	}{
		{"image/png", "photo.png", "image/png", `inline; filename="photo.png"; filename*=UTF-8''photo.png`, "photo.png"},
		{"image/jpeg", "plaie J+3.JPG", "image/jpeg", `inline; filename="plaie J+3.JPG"; filename*=UTF-8''plaie%20J+3.JPG`, "plaie J+3.JPG"},
		{"application/pdf", "Protocole révisé.pdf", "application/pdf",
			`inline; filename="Protocole revise.pdf"; filename*=UTF-8''Protocole%20r%C3%A9vis%C3%A9.pdf`, "Protocole révisé.pdf"},
		{"text/plain; charset=utf-8", "notes.txt", "text/plain", `attachment; filename="notes.txt"; filename*=UTF-8''notes.txt`, "notes.txt"},
		{filetype.DOCX, "compte rendu.docx", filetype.DOCX,
			`attachment; filename="compte rendu.docx"; filename*=UTF-8''compte%20rendu.docx`, "compte rendu.docx"},
		{filetype.CSV, `liste "RSVP".csv`, "text/csv", `attachment; filename="liste _RSVP_.csv"; filename*=UTF-8''liste%20_RSVP_.csv`, "liste _RSVP_.csv"},
		// Never served as what is not on the list.
		{"text/html", "page.html", "application/octet-stream", `attachment; filename="page.html"; filename*=UTF-8''page.html`, "page.html"},
		{"image/svg+xml", "logo.svg", "application/octet-stream", `attachment; filename="logo.svg"; filename*=UTF-8''logo.svg`, "logo.svg"},
		{"", "x", "application/octet-stream", `attachment; filename="x"; filename*=UTF-8''x`, "x"},
		// Header injection attempts end up as plain characters.
		{"application/pdf", "a\r\nSet-Cookie: x=1\".pdf", "application/pdf",
			`inline; filename="a Set-Cookie_ x=1_.pdf"; filename*=UTF-8''a%20Set-Cookie_%20x%3D1_.pdf`, "a Set-Cookie_ x=1_.pdf"},
		{"image/gif", "日本語.gif", "image/gif", `inline; filename="___.gif"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.gif`, "日本語.gif"},
	}
	for _, c := range cases {
		ct, cd := filetype.Headers(c.mediaType, c.name)
		if ct != c.wantType || cd != c.wantDisposition {
			t.Errorf("Headers(%q, %q) =\n  %s\n  %s\nwant\n  %s\n  %s", c.mediaType, c.name, ct, cd, c.wantType, c.wantDisposition)
			continue
		}
		if strings.ContainsAny(cd, "\r\n") {
			t.Errorf("Content-Disposition %q holds a line break", cd)
		}
		disp, params, err := mime.ParseMediaType(cd)
		if err != nil || params["filename"] != c.wantName || disp != strings.SplitN(c.wantDisposition, ";", 2)[0] {
			t.Errorf("Content-Disposition %q parses as %s %v (%v), want filename %q", cd, disp, params, err, c.wantName)
		}
	}
	for _, ty := range filetype.Allowed() {
		ct, cd := filetype.Headers(ty.MIME, "f")
		if ct == "text/html" || ct == "image/svg+xml" {
			t.Errorf("%s served as %s", ty.MIME, ct)
		}
		inline := strings.HasPrefix(cd, "inline;")
		if want := ty.Kind == filetype.KindImage || ty.Kind == filetype.KindPDF; inline != want {
			t.Errorf("%s: inline = %v, want %v (only images and PDF are inline)", ty.MIME, inline, want)
		}
	}
}

func TestSafeName(t *testing.T) {
	pdf, _ := filetype.Lookup(filetype.PDF)
	png, _ := filetype.Lookup(filetype.PNG)
	jpg, _ := filetype.Lookup(filetype.JPEG)
	cases := []struct {
		in   string
		t    filetype.Type
		want string
	}{
		{"protocole.pdf", pdf, "protocole.pdf"},
		{"Protocole.PDF", pdf, "Protocole.PDF"},
		{`C:\Users\dr\Bureau\ordonnance.pdf`, pdf, "ordonnance.pdf"},
		{"../../etc/passwd", pdf, "passwd.pdf"},
		{"scan.pdf", png, "scan.pdf.png"},
		{"photo", jpg, "photo.jpg"},
		{"photo.jpeg", jpg, "photo.jpeg"},
		// U+202E RIGHT-TO-LEFT OVERRIDE would show "facture‮fdp.exe" as "factureexe.pdf".
		{"facture\u202efdp.exe", pdf, "facturefdp.exe.pdf"},
		{"a\x00b\tc\nd.pdf", pdf, "ab c d.pdf"},
		{`a<b>c:d"e|f?g*h.pdf`, pdf, "a_b_c_d_e_f_g_h.pdf"},
		{"  . rapport  final .pdf . ", pdf, "rapport final .pdf"},
		{"", pdf, "fichier.pdf"},
		{"...", pdf, "fichier.pdf"},
		{".pdf", pdf, "pdf.pdf"},
		{"e\u0301te\u0301.pdf", pdf, "été.pdf"}, // NFD from a Mac → NFC
		{"bad\xffutf8.pdf", pdf, "badutf8.pdf"},
	}
	for _, c := range cases {
		if got := filetype.SafeName(c.in, c.t); got != c.want {
			t.Errorf("SafeName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := strings.Repeat("é", 300) + ".pdf"
	got := filetype.SafeName(long, pdf)
	if len(got) > filetype.MaxNameBytes || !strings.HasSuffix(got, ".pdf") || !strings.HasPrefix(got, "éé") {
		t.Errorf("SafeName of a 600-byte name = %q (%d bytes)", got, len(got))
	}
	if strings.ToValidUTF8(got, "?") != got {
		t.Errorf("SafeName cut a character in two: %q", got)
	}
}

func TestAllowedIsACopy(t *testing.T) {
	a := filetype.Allowed()
	a[0].Extensions[0] = ".exe"
	a[0].Inline = false
	if b := filetype.Allowed(); b[0].Extensions[0] == ".exe" || !b[0].Inline {
		t.Fatal("Allowed returned the list itself")
	}
}
