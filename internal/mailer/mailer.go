package mailer

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"
)

// Mail is one message to one recipient. Text is required (it is what
// every client can show); HTML is optional and, when set, sent alongside
// Text as multipart/alternative. Bodies are UTF-8; line endings may be \n.
type Mail struct {
	To      string // an address, with or without a display name: "Claire Martin <claire@example.fr>"
	Subject string
	Text    string
	HTML    string
}

// Mailer sends mail. Send returns once the message is accepted (by the SMTP
// server, or written to disk); it honours ctx. Errors never quote the
// recipient, subject or body.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// FromConfig returns the mailer the configuration asks for: SMTP when
// smtpURL is set, else a File mailer writing to dataDir/mail. now is the
// clock for the Date header and file names (nil: time.Now).
func FromConfig(smtpURL, from, dataDir string, now func() time.Time) (Mailer, error) {
	if smtpURL != "" {
		s, err := NewSMTP(smtpURL, from)
		if err != nil {
			return nil, err
		}
		if now != nil {
			s.now = now
		}
		return s, nil
	}
	return NewFile(filepath.Join(dataDir, "mail"), from, now)
}

// maxSubject keeps the Subject header within the 998-byte line limit of
// RFC 5322 even when it is not encoded.
const maxSubject = 900

// parseFrom parses the sender address given in configuration.
func parseFrom(from string) (*mail.Address, error) {
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mailer: sender address %q: %w", from, err)
	}
	return a, nil
}

// compose checks m and renders it as an RFC 5322 message with CRLF line
// endings, 7-bit clean: encoded-word headers, quoted-printable bodies.
func compose(from *mail.Address, m Mail, now time.Time) (*mail.Address, []byte, error) {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, nil, errors.New("mailer: invalid recipient address")
	}
	switch {
	case strings.ContainsAny(m.Subject, "\r\n"):
		return nil, nil, errors.New("mailer: subject contains a line break")
	case len(m.Subject) > maxSubject:
		return nil, nil, fmt.Errorf("mailer: subject longer than %d bytes", maxSubject)
	case !utf8.ValidString(m.Subject) || !utf8.ValidString(m.Text) || !utf8.ValidString(m.HTML):
		return nil, nil, errors.New("mailer: subject or body is not valid UTF-8")
	case m.Text == "":
		return nil, nil, errors.New("mailer: empty text body")
	}

	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from.String())
	header("To", to.String())
	header("Subject", encodeSubject(m.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", messageID(from))
	header("MIME-Version", "1.0")
	// RFC 3834: tells vacation responders not to answer a robot.
	header("Auto-Submitted", "auto-generated")

	if m.HTML == "" {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, m.Text); err != nil {
			return nil, nil, err
		}
		return to, b.Bytes(), nil
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body) // random boundary: it cannot occur in QP text by chance
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	// Least preferred first (RFC 2046 §5.1.4): clients show the last part
	// they can render.
	for _, part := range []struct{ ctype, content string }{
		{"text/plain; charset=utf-8", m.Text},
		{"text/html; charset=utf-8", m.HTML},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, nil, fmt.Errorf("mailer: compose: %w", err)
		}
		if err := writeQP(w, part.content); err != nil {
			return nil, nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, nil, fmt.Errorf("mailer: compose: %w", err)
	}
	b.Write(body.Bytes())
	return to, b.Bytes(), nil
}

// writeQP writes s quoted-printable, with soft breaks keeping lines under
// 76 characters (long links survive: decoders join them back), every line
// ending as CRLF, and a final CRLF if s lacks one (the MIME boundary or the
// end of the message must start on a line of its own).
func writeQP(w interface{ Write([]byte) (int, error) }, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(s)); err != nil {
		return fmt.Errorf("mailer: compose: %w", err)
	}
	if err := qp.Close(); err != nil {
		return fmt.Errorf("mailer: compose: %w", err)
	}
	if !strings.HasSuffix(s, "\n") && !strings.HasSuffix(s, "\r") {
		if _, err := w.Write([]byte("\r\n")); err != nil {
			return fmt.Errorf("mailer: compose: %w", err)
		}
	}
	return nil
}

// encodeSubject returns s as is when it is printable ASCII, else as RFC
// 2047 Q encoded-words, one per folded line (each at most 75 characters).
func encodeSubject(s string) string {
	enc := mime.QEncoding.Encode("utf-8", s)
	if enc == s {
		return s
	}
	// Encoded words come separated by single spaces; in Q encoding a space
	// inside a word is "_", so "?= =?" only occurs between words.
	return strings.ReplaceAll(enc, "?= =?", "?=\r\n =?")
}

// messageID returns a unique Message-ID in the sender's domain.
func messageID(from *mail.Address) string {
	domain := "ecpts.invalid"
	if i := strings.LastIndexByte(from.Address, '@'); i >= 0 && i < len(from.Address)-1 {
		domain = from.Address[i+1:]
	}
	return "<" + randomHex(16) + "@" + domain + ">"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}
