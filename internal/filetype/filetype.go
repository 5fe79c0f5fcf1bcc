// Package filetype decides, from a file's content alone, whether e-CPTS
// accepts it and how it is served back.
//
// The type is sniffed from the bytes (github.com/gabriel-vasile/mimetype),
// never taken from the file name or the browser's Content-Type, and must
// be on a short allow-list: PDF, JPEG, PNG, WebP, GIF, plain text, CSV and
// TSV, and the zip-based office documents (DOCX, XLSX, PPTX, ODT, ODS,
// ODP). Everything else is refused with a *RefusedError: executables
// whatever their name, HTML, SVG (it runs script), XML, archives, legacy
// binary Office files (.doc, .xls: macro carriers), audio and video
// (prevention videos are added as links).
//
// Zip-based documents are recognised from their zip directory (the
// standard library's archive/zip), not from the first bytes only: a zip
// that is not an office document is refused, and so is an office
// document carrying macros (vbaProject.bin, Excel 4 macro sheets, ActiveX
// controls, OpenDocument Basic or script folders).
//
// Serving (Headers): only images and PDF are shown inline; everything else
// is an attachment. The Content-Type is always the allow-listed type, so
// a download is never text/html nor image/svg+xml. The HTTP layer adds
// X-Content-Type-Options: nosniff to every download and a
// Content-Security-Policy sandbox to inline ones.
package filetype

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"github.com/ecpts/ecpts/internal/model"
)

// Kind groups types for the UI and for the download rule.
type Kind string

// Kinds.
const (
	KindImage    Kind = "image"    // shown as a thumbnail, opened in the viewer; re-encoded by internal/images
	KindPDF      Kind = "pdf"      // previewed in the page
	KindText     Kind = "text"     // downloaded
	KindDocument Kind = "document" // office document, downloaded
)

// Type is an accepted file type.
type Type struct {
	MIME       string   // canonical media type, without parameters
	Kind       Kind     // what the UI does with it
	Extensions []string // lowercase, with the dot; the first is the one SafeName appends
	Inline     bool     // served inline (images, PDF); otherwise as an attachment
	Label      string   // French, for messages: "document PDF"
}

// MIME types of the allow-list.
const (
	PDF  = "application/pdf"
	JPEG = "image/jpeg"
	PNG  = "image/png"
	WebP = "image/webp"
	GIF  = "image/gif"
	Text = "text/plain"
	CSV  = "text/csv"
	TSV  = "text/tab-separated-values"
	DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	ODT  = "application/vnd.oasis.opendocument.text"
	ODS  = "application/vnd.oasis.opendocument.spreadsheet"
	ODP  = "application/vnd.oasis.opendocument.presentation"
)

var allowList = []Type{
	{PDF, KindPDF, []string{".pdf"}, true, "document PDF"},
	{JPEG, KindImage, []string{".jpg", ".jpeg"}, true, "image JPEG"},
	{PNG, KindImage, []string{".png"}, true, "image PNG"},
	{WebP, KindImage, []string{".webp"}, true, "image WebP"},
	{GIF, KindImage, []string{".gif"}, true, "image GIF"},
	{Text, KindText, []string{".txt", ".md", ".csv", ".tsv", ".log"}, false, "texte"},
	{CSV, KindText, []string{".csv", ".txt"}, false, "tableau CSV"},
	{TSV, KindText, []string{".tsv", ".txt"}, false, "tableau TSV"},
	{DOCX, KindDocument, []string{".docx"}, false, "document Word"},
	{XLSX, KindDocument, []string{".xlsx"}, false, "classeur Excel"},
	{PPTX, KindDocument, []string{".pptx"}, false, "présentation PowerPoint"},
	{ODT, KindDocument, []string{".odt"}, false, "document OpenDocument"},
	{ODS, KindDocument, []string{".ods"}, false, "classeur OpenDocument"},
	{ODP, KindDocument, []string{".odp"}, false, "présentation OpenDocument"},
}

// AcceptedSummary lists the accepted types for a French message or a
// file picker's hint.
const AcceptedSummary = "PDF, images (JPEG, PNG, WebP, GIF), texte et CSV, documents Word, Excel, PowerPoint et OpenDocument"

// Allowed returns a copy of the allow-list.
func Allowed() []Type {
	out := make([]Type, len(allowList))
	for i, t := range allowList {
		t.Extensions = append([]string(nil), t.Extensions...)
		out[i] = t
	}
	return out
}

// Lookup returns the allow-listed type of a media type (parameters and
// case ignored).
func Lookup(mediaType string) (Type, bool) {
	m, _, _ := strings.Cut(mediaType, ";")
	m = strings.ToLower(strings.TrimSpace(m))
	for _, t := range allowList {
		if t.MIME == m {
			return t, true
		}
	}
	return Type{}, false
}

func mustLookup(m string) Type {
	t, ok := Lookup(m)
	if !ok {
		panic("filetype: " + m + " is not on the allow-list")
	}
	return t
}

// SniffLen is how many first bytes Sniff looks at.
const SniffLen = 4096

// Errors. Every refusal is a *RefusedError matching ErrRefused.
var ErrRefused = errors.New("filetype: refused")

// Refusal codes, the code of the *model.InvalidError a *RefusedError
// unwraps to.
const (
	CodeNotAllowed = "file_type_not_allowed"
	CodeEmpty      = "file_empty"
	CodeMacro      = "file_macro_refused"
	CodeCorrupt    = "file_corrupt"
)

// RefusedError says why a file was refused. It unwraps to a
// *model.InvalidError (field "file") with one of the Code* codes and a
// French message, so passing it up unchanged gives the user a 400 that
// says why.
type RefusedError struct {
	Code     string // CodeNotAllowed, CodeEmpty, CodeMacro or CodeCorrupt
	Detected string // the sniffed media type, e.g. "application/vnd.microsoft.portable-executable"
	Message  string // French
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("filetype: refused (%s): detected %s", e.Code, e.Detected)
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Unwrap gives the user-facing error.
func (e *RefusedError) Unwrap() error { return model.Invalid("file", e.Code, e.Message) }

func notAllowed(detected string) *RefusedError {
	what := describe(detected)
	return &RefusedError{Code: CodeNotAllowed, Detected: detected,
		Message: fmt.Sprintf("Ce type de fichier n'est pas accepté (%s). Types acceptés : %s.", what, AcceptedSummary)}
}

// describe names a refused type in French, for the common cases.
func describe(m string) string {
	switch {
	case m == "image/svg+xml":
		return "image SVG"
	case m == "text/html" || m == "application/xhtml+xml":
		return "page HTML"
	case m == "application/zip" || m == "application/x-7z-compressed" || m == "application/x-rar-compressed" ||
		m == "application/gzip" || m == "application/x-tar":
		return "archive"
	case m == "application/java-archive" || m == "application/vnd.android.package-archive":
		return "application"
	case strings.Contains(m, "executable") || m == "application/x-msdownload" || m == "application/x-msi" ||
		m == "application/x-mach-binary" || m == "application/x-elf" || m == "application/x-sharedlib":
		return "programme exécutable"
	case m == "application/x-ole-storage" || m == "application/msword" || m == "application/vnd.ms-excel" ||
		m == "application/vnd.ms-powerpoint":
		return "ancien format Office : enregistrez-le en .docx, .xlsx ou .pptx"
	case strings.HasPrefix(m, "video/"):
		return "vidéo : ajoutez-la plutôt comme lien"
	case strings.HasPrefix(m, "audio/"):
		return "son"
	case strings.HasPrefix(m, "text/") || strings.HasSuffix(m, "javascript") || strings.HasSuffix(m, "json") ||
		strings.HasSuffix(m, "xml"):
		return "code ou texte structuré"
	default:
		return "type " + m
	}
}

// detect runs mimetype over head and maps the result on the allow-list.
// zip reports a zip archive (or a type mimetype derives from one), which
// only the zip directory can tell.
func detect(head []byte) (t Type, detected string, isZip bool, ok bool) {
	m := mimetype.Detect(head)
	detected, _, _ = strings.Cut(m.String(), ";")
	for x := m; x != nil; x = x.Parent() {
		if x.Is("application/zip") {
			isZip = true
		}
	}
	if m.Is("image/vnd.mozilla.apng") {
		// Animated PNG: a PNG to every decoder; re-encoding keeps its
		// first frame.
		return mustLookup(PNG), detected, false, true
	}
	t, ok = Lookup(detected)
	return t, detected, isZip, ok
}

// Sniff refuses, from a file's first bytes (its first SniffLen bytes, or
// all of a shorter file), what Check would certainly refuse: the early
// answer while an upload is still streaming, so an executable or an HTML
// page is turned away before it is stored. A nil error only means Check
// may accept the file (a zip's first bytes may not show what it holds).
func Sniff(head []byte) error {
	if len(head) == 0 {
		return empty()
	}
	_, detected, isZip, ok := detect(head)
	if !ok && !isZip {
		return notAllowed(detected)
	}
	return nil
}

func empty() *RefusedError {
	return &RefusedError{Code: CodeEmpty, Detected: "inode/x-empty", Message: "Le fichier est vide."}
}

// Check gives the type of a whole stored file of size bytes, or a
// *RefusedError. It is the authoritative check: for a zip it reads the
// zip directory (and, for OpenDocument, its mimetype entry) to tell an
// office document from any other archive and to refuse macros. It never
// decompresses a document's content, so zip bombs cost nothing.
func Check(r io.ReaderAt, size int64) (Type, error) {
	if size <= 0 {
		return Type{}, empty()
	}
	head := make([]byte, min(size, SniffLen))
	if _, err := r.ReadAt(head, 0); err != nil && !(errors.Is(err, io.EOF) && len(head) == int(size)) {
		return Type{}, fmt.Errorf("filetype: read: %w", err)
	}
	t, detected, isZip, ok := detect(head)
	if isZip {
		return checkZip(r, size, detected)
	}
	if !ok {
		return Type{}, notAllowed(detected)
	}
	return t, nil
}

// maxZipEntries bounds the directory of an accepted document: a real one
// has tens to a few thousand entries.
const maxZipEntries = 20_000

func checkZip(r io.ReaderAt, size int64, detected string) (Type, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil || len(zr.File) == 0 || len(zr.File) > maxZipEntries {
		if errors.Is(err, zip.ErrInsecurePath) {
			return Type{}, notAllowed("application/zip")
		}
		return Type{}, corrupt()
	}
	names := make(map[string]bool, len(zr.File))
	for _, f := range zr.File {
		names[f.Name] = true
		lower := strings.ToLower(f.Name)
		if path.Base(lower) == "vbaproject.bin" || strings.HasPrefix(lower, "xl/macrosheets/") ||
			strings.Contains(lower, "/activex/") || strings.HasPrefix(lower, "basic/") || strings.HasPrefix(lower, "scripts/") {
			return Type{}, &RefusedError{Code: CodeMacro, Detected: detected,
				Message: "Les documents contenant des macros ou des contrôles ActiveX ne sont pas acceptés : enregistrez-le sans macros (.docx, .xlsx, .pptx, .odt…)."}
		}
	}
	if names["[Content_Types].xml"] {
		switch {
		case names["word/document.xml"]:
			return mustLookup(DOCX), nil
		case names["xl/workbook.xml"]:
			return mustLookup(XLSX), nil
		case names["ppt/presentation.xml"]:
			return mustLookup(PPTX), nil
		}
	}
	// OpenDocument: the first entry is "mimetype", stored, holding the type.
	if f := zr.File[0]; f.Name == "mimetype" && f.Method == zip.Store && f.UncompressedSize64 < 100 {
		rc, err := f.Open()
		if err != nil {
			return Type{}, corrupt()
		}
		b, err := io.ReadAll(io.LimitReader(rc, 100))
		rc.Close()
		if err != nil {
			return Type{}, corrupt()
		}
		switch m := string(b); m {
		case ODT, ODS, ODP:
			return mustLookup(m), nil
		}
		return Type{}, notAllowed(string(b))
	}
	if detected == "application/zip" || strings.HasPrefix(detected, "application/vnd.openxmlformats") {
		return Type{}, notAllowed("application/zip")
	}
	return Type{}, notAllowed(detected)
}

func corrupt() *RefusedError {
	return &RefusedError{Code: CodeCorrupt, Detected: "application/zip",
		Message: "Le fichier est endommagé : ce n'est pas un document valide."}
}
