package filetype

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxNameBytes bounds a stored file name (most filesystems allow 255).
const MaxNameBytes = 200

// SafeName turns the name a browser sent with an upload into the name
// e-CPTS stores and serves, for a file of type t:
//
//   - only the last path element is kept ("C:\dossier\a.pdf" → "a.pdf");
//   - control and format characters are removed — among them the
//     right-to-left override that makes "facture‮fdp.exe" look like
//     "factureexe.pdf" — and the characters Windows forbids (<>:"/\|?*)
//     become "_";
//   - the name is NFC-normalised, spaces are collapsed, leading and
//     trailing spaces and dots are trimmed, and it is cut to
//     MaxNameBytes;
//   - when its extension is not one of t's, t's is appended ("scan.pdf"
//     holding a PNG becomes "scan.pdf.png"), so the saved file opens in the
//     program its content is for;
//   - an empty result becomes "fichier" plus the extension.
func SafeName(name string, t Type) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = norm.NFC.String(strings.ToValidUTF8(name, ""))
	var b strings.Builder
	space := false
	for _, r := range name {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r), r == utf8.RuneError:
			continue
		case strings.ContainsRune(`<>:"/\|?*`, r):
			r = '_'
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	name = strings.Trim(b.String(), " .")

	ext := ""
	if len(t.Extensions) > 0 {
		ext = t.Extensions[0]
		lower := strings.ToLower(name)
		for _, e := range t.Extensions {
			if strings.HasSuffix(lower, e) && len(name) > len(e) {
				ext = ""
				break
			}
		}
	}
	if strings.Trim(name, "_") == "" {
		name = "fichier"
		if len(t.Extensions) > 0 {
			ext = t.Extensions[0]
		}
	}
	if len(name)+len(ext) > MaxNameBytes {
		// Keep the end of the name (its extension) and cut the middle.
		keep := MaxNameBytes - len(ext)
		name = truncateKeepingExt(name, keep)
	}
	return name + ext
}

// truncateKeepingExt cuts name to at most n bytes on a rune boundary,
// keeping its extension when it has a short one.
func truncateKeepingExt(name string, n int) string {
	e := ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 10 {
		name, e = name[:i], name[i:]
	}
	n -= len(e)
	for n > 0 && n < len(name) && !utf8.RuneStart(name[n]) {
		n--
	}
	if n < len(name) {
		name = name[:max(n, 0)]
	}
	return strings.TrimRight(name, " .") + e
}

// Headers gives the Content-Type and Content-Disposition to serve a
// stored file whose sniffed type was mediaType under the name name:
//
//   - images and PDF of the allow-list are inline, everything else is an
//     attachment;
//   - the Content-Type is the allow-listed type; a type not on the list
//     (stored before a change of the list, or a bug) is served as an
//     application/octet-stream attachment. So nothing is ever served as
//     text/html or image/svg+xml;
//   - the file name is given twice (RFC 6266): filename= with an ASCII
//     version (accents dropped: "Protocole_révisé.pdf" →
//     "Protocole_revise.pdf") for old clients, and filename* (charset UTF-8) with
//     the exact name percent-encoded (RFC 8187, formerly 5987).
//
// The caller adds X-Content-Type-Options: nosniff to every download, and a
// sandboxing Content-Security-Policy to inline ones.
func Headers(mediaType, name string) (contentType, contentDisposition string) {
	t, ok := Lookup(mediaType)
	disposition := "attachment"
	contentType = "application/octet-stream"
	if ok {
		contentType = t.MIME
		if t.Inline {
			disposition = "inline"
		}
		name = SafeName(name, t)
	} else {
		name = SafeName(name, Type{})
	}
	return contentType, disposition + `; filename="` + asciiName(name) + `"; filename*=UTF-8''` + encodeRFC8187(name)
}

// asciiName drops accents (NFD, then marks removed) and replaces what is
// still not printable ASCII, and the quote and backslash, by "_".
func asciiName(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%':
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// encodeRFC8187 percent-encodes every byte of s outside attr-char.
func encodeRFC8187(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
