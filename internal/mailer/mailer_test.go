package mailer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// A link longer than a quoted-printable line (76 characters), with '=' and
// '?' that QP must escape, as in an invitation e-mail.
const longLink = "https://ecpts.example.fr/invitations/accept?token=Qx3p_Yb1-9zKfE2mW7sVhTgR5uLcA8dNjO4iP0eZ6yX&source=mail"

var testMail = Mail{
	To:      "Claire Martin-Lefèvre <claire.martin@cpts-loire-nord.fr>",
	Subject: "Invitation à rejoindre la CPTS Loire Nord — Groupe « Parcours BPCO » et soins non programmés",
	Text:    "Bonjour Claire,\n\nVous êtes invitée à rejoindre la CPTS Loire Nord :\n" + longLink + "\n\nCe lien expire dans 7 jours.\n.\nUne ligne qui commence par un point.\n",
	HTML:    `<p>Bonjour Claire,</p><p><a href="` + longLink + `">Rejoindre la CPTS Loire Nord</a></p>`,
}

var fixedNow = time.Date(2025, 3, 14, 8, 30, 15, 123456789, time.FixedZone("CET", 3600))

func fixedClock() time.Time { return fixedNow }

// parsed is a message read back the way a mail client would.
type parsed struct {
	header  mail.Header
	subject string
	text    string
	html    string
}

// parseMessage reads raw with net/mail, checks it is 7-bit with short
// lines, and decodes headers and quoted-printable parts by hand (rather than
// with multipart's transparent decoding) so that the encoding is checked.
func parseMessage(t *testing.T, raw []byte) parsed {
	t.Helper()
	head, body, found := strings.Cut(string(raw), "\r\n\r\n")
	if !found {
		t.Fatal("no blank line between header and body (or not CRLF)")
	}
	for _, part := range []struct {
		text string
		max  int // RFC 5322 hard limit for headers; QP lines are 76 + CRLF
	}{{head, 998}, {body, 76}} {
		for i, line := range strings.Split(part.text, "\r\n") {
			if len(line) > part.max {
				t.Errorf("line %d is %d bytes long (max %d): %q", i+1, len(line), part.max, line)
			}
			for _, c := range []byte(line) {
				if c >= 0x80 || c == '\r' || c == '\n' {
					t.Fatalf("line %d has byte %#x: %q", i+1, c, line)
				}
			}
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("mail.ReadMessage: %v", err)
	}
	var p parsed
	p.header = msg.Header
	p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode Subject: %v", err)
	}
	if _, err := msg.Header.Date(); err != nil {
		t.Fatalf("Date header: %v", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	decodeQP := func(h interface{ Get(string) string }, r io.Reader) string {
		t.Helper()
		if cte := h.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Fatalf("Content-Transfer-Encoding %q", cte)
		}
		b, err := io.ReadAll(quotedprintable.NewReader(r))
		if err != nil {
			t.Fatalf("quoted-printable: %v", err)
		}
		return strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	switch mediaType {
	case "text/plain":
		if params["charset"] != "utf-8" {
			t.Fatalf("charset %q", params["charset"])
		}
		p.text = decodeQP(msg.Header, msg.Body)
	case "multipart/alternative":
		mr := multipart.NewReader(msg.Body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("multipart: %v", err)
			}
			switch ct := part.Header.Get("Content-Type"); ct {
			case "text/plain; charset=utf-8":
				p.text = decodeQP(part.Header, part)
			case "text/html; charset=utf-8":
				p.html = decodeQP(part.Header, part)
			default:
				t.Fatalf("unexpected part %q", ct)
			}
		}
	default:
		t.Fatalf("unexpected Content-Type %q", mediaType)
	}
	return p
}

// checkParsed compares a read-back message with what was sent.
func checkParsed(t *testing.T, p parsed, want Mail) {
	t.Helper()
	if p.subject != want.Subject {
		t.Errorf("Subject = %q, want %q", p.subject, want.Subject)
	}
	to, err := p.header.AddressList("To")
	if err != nil || len(to) != 1 {
		t.Fatalf("To: %v %v", to, err)
	}
	wantTo, _ := mail.ParseAddress(want.To)
	if *to[0] != *wantTo {
		t.Errorf("To = %+v, want %+v", to[0], wantTo)
	}
	from, err := p.header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "no-reply@ecpts.example.fr" || from[0].Name != "e-CPTS Loire Nord" {
		t.Errorf("From = %v, %v", from, err)
	}
	if !regexp.MustCompile(`^<[0-9a-f]{32}@ecpts\.example\.fr>$`).MatchString(p.header.Get("Message-ID")) {
		t.Errorf("Message-ID = %q", p.header.Get("Message-ID"))
	}
	if p.header.Get("MIME-Version") != "1.0" || p.header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("MIME-Version %q, Auto-Submitted %q", p.header.Get("MIME-Version"), p.header.Get("Auto-Submitted"))
	}
	if got := strings.TrimSuffix(p.text, "\n"); got != strings.TrimSuffix(want.Text, "\n") {
		t.Errorf("text body:\n got %q\nwant %q", got, want.Text)
	}
	if strings.Contains(want.Text, longLink) && !strings.Contains(p.text, longLink) {
		t.Errorf("the link did not survive in the text body: %q", p.text)
	}
	if got := strings.TrimSuffix(p.html, "\n"); got != want.HTML {
		t.Errorf("HTML body:\n got %q\nwant %q", got, want.HTML)
	}
}

const testFrom = "e-CPTS Loire Nord <no-reply@ecpts.example.fr>"

func TestFileWritesParseableMessages(t *testing.T) {
	for _, tt := range []struct {
		name string
		mail Mail
	}{
		{"text and HTML", testMail},
		{"text only", Mail{To: "pharmacie@example.fr", Subject: "Rappel", Text: "Lien : " + longLink}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "mail")
			f, err := NewFile(dir, testFrom, fixedClock)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Send(context.Background(), tt.mail); err != nil {
				t.Fatalf("Send: %v", err)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				t.Fatalf("%d files in the mail directory, want 1 (no temporary file left)", len(entries))
			}
			name := entries[0].Name()
			if !regexp.MustCompile(`^20250314T073015\.123456789Z-[0-9a-f]{16}\.eml$`).MatchString(name) {
				t.Errorf("file name %q", name)
			}
			checkMode(t, dir, 0o700)
			checkMode(t, filepath.Join(dir, name), 0o600)
			raw, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			p := parseMessage(t, raw)
			checkParsed(t, p, tt.mail)
			if d, _ := p.header.Date(); !d.Equal(fixedNow.Truncate(time.Second)) {
				t.Errorf("Date = %v, want %v", d, fixedNow)
			}
		})
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s mode %o, want %o", filepath.Base(path), got, want)
	}
}

func TestFileTightensExistingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFile(dir, testFrom, nil); err != nil {
		t.Fatal(err)
	}
	checkMode(t, dir, 0o700)
}

func TestFileConcurrentSendsDistinctFiles(t *testing.T) {
	dir := t.TempDir()
	f, err := NewFile(dir, testFrom, fixedClock) // same instant for all: names must still differ
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- f.Send(context.Background(), testMail)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(matches) != n {
		t.Fatalf("%d messages written, want %d", len(matches), n)
	}
}

func TestComposeRejects(t *testing.T) {
	dir := t.TempDir()
	f, err := NewFile(dir, testFrom, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	ok := Mail{To: "a@example.fr", Subject: "Objet", Text: "Texte"}
	for _, tt := range []struct {
		name string
		mod  func(*Mail)
	}{
		{"header injection in To", func(m *Mail) { m.To = "victim@example.fr\r\nBcc: spy@evil.example" }},
		{"two recipients", func(m *Mail) { m.To = "a@example.fr, b@example.fr" }},
		{"not an address", func(m *Mail) { m.To = "claire.martin" }},
		{"header injection in Subject", func(m *Mail) { m.Subject = "Objet\r\nBcc: spy@evil.example" }},
		{"LF in Subject", func(m *Mail) { m.Subject = "Objet\nsecret-subject" }},
		{"subject too long", func(m *Mail) { m.Subject = strings.Repeat("secret-subject ", 70) }},
		{"no text", func(m *Mail) { m.Text = "" }},
		{"invalid UTF-8", func(m *Mail) { m.Text = "secret-body \xff" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			tt.mod(&m)
			err := f.Send(context.Background(), m)
			if err == nil {
				t.Fatal("Send accepted it")
			}
			for _, leak := range []string{"victim", "spy", "secret", "claire"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error quotes the mail: %v", err)
				}
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("%d files written for rejected mail", len(entries))
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.Send(ctx, ok); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send with a cancelled context = %v", err)
	}
}

func TestSubjectEncoding(t *testing.T) {
	for _, s := range []string{
		"",
		"Plain ASCII subject",
		"Réinitialisation de votre mot de passe",
		strings.Repeat("é", 200),
		"Équipe =?utf-8?q?not-an-encoded-word?= _underscores_ «guillemets» ? = ?=",
	} {
		enc := encodeSubject(s)
		for _, line := range strings.Split(enc, "\r\n") {
			if len(line) > 76 { // RFC 2047: encoded-word lines at most 76 characters
				t.Errorf("encoded subject line of %d bytes: %q", len(line), line)
			}
		}
		got, err := new(mime.WordDecoder).DecodeHeader(strings.ReplaceAll(enc, "\r\n", ""))
		if err != nil {
			t.Fatalf("decode %q: %v", enc, err)
		}
		if got != s {
			t.Errorf("round trip: got %q, want %q", got, s)
		}
	}
}

func TestFromConfig(t *testing.T) {
	dataDir := t.TempDir()
	m, err := FromConfig("", testFrom, dataDir, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := m.(*File)
	if !ok || f.Dir() != filepath.Join(dataDir, "mail") {
		t.Fatalf("FromConfig without SMTP = %T %v", m, m)
	}
	m, err = FromConfig("smtps://u:p@mail.example.fr", testFrom, dataDir, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := m.(*SMTP)
	if !ok || s.addr != "mail.example.fr:465" || !s.implicit || s.now().IsZero() {
		t.Fatalf("FromConfig with SMTP = %T %+v", m, m)
	}
	if _, err := FromConfig("", "not an address", dataDir, nil); err == nil {
		t.Fatal("bad sender accepted")
	}
}
