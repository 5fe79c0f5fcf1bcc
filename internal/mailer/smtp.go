package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SMTP is a Mailer handing each message to an SMTP server, one connection
// per message (e-CPTS sends few: invitations, resets, digests).
//
// smtp:// upgrades with STARTTLS whenever the server offers it; smtps://
// speaks TLS from the first byte. Credentials are sent (AUTH PLAIN) only
// over TLS: an smtp:// server that does not offer STARTTLS gets mail only
// when no credentials are configured (a local relay).
type SMTP struct {
	addr     string // host:port
	host     string // for certificate verification and AUTH
	implicit bool   // smtps://
	user     string
	pass     string
	auth     bool
	from     *mail.Address
	now      func() time.Time
	// tlsConfig, when set, replaces the default (system roots, TLS 1.2+).
	// Tests set it to trust their own certificate.
	tlsConfig *tls.Config
}

// DefaultSMTPTimeout bounds a send whose context has no deadline: a server
// that stops answering must not hold a goroutine forever.
const DefaultSMTPTimeout = time.Minute

// NewSMTP parses rawURL, smtp://[user[:password]@]host[:port] (port 587 by
// default) or smtps://[user[:password]@]host[:port] (port 465), and returns
// a mailer sending as from. Special characters of the password must be
// percent-encoded. Errors never quote the URL, only its scheme.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("mailer: SMTP URL is not a valid URL (percent-encode special characters of the password)")
	}
	s := &SMTP{now: time.Now}
	var port string
	switch u.Scheme {
	case "smtp":
		port = "587"
	case "smtps":
		port, s.implicit = "465", true
	default:
		return nil, fmt.Errorf("mailer: SMTP URL scheme must be smtp:// or smtps://, got %q", u.Scheme)
	}
	if u.User == nil && strings.Contains(rawURL, "@") {
		return nil, errors.New("mailer: SMTP URL has an '@' outside the user part: percent-encode '/', '?', '#' and '@' in the password")
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("mailer: SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("mailer: SMTP URL port must be a number from 1 to 65535, got %q", p)
		}
		port = p
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("mailer: SMTP URL must not have a path, query or fragment")
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		s.auth = s.user != ""
	}
	if s.from, err = parseFrom(from); err != nil {
		return nil, err
	}
	return s, nil
}

// ReplyError is an SMTP server's refusal. It keeps the reply code and the
// stage, not the server's text, which often quotes the recipient address.
type ReplyError struct {
	Stage string // "MAIL", "RCPT", "DATA"…
	Code  int
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("mailer: smtp %s: server replied %d", e.Stage, e.Code)
}

// Temporary reports a 4xx reply: the same message may succeed later.
func (e *ReplyError) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// Send implements Mailer: one connection, STARTTLS or implicit TLS, AUTH
// PLAIN when configured, one recipient, QUIT. The whole exchange is bound by
// ctx (or DefaultSMTPTimeout when ctx has no deadline); a cancelled context
// aborts the exchange where it stands and the error wraps ctx.Err().
func (s *SMTP) Send(ctx context.Context, m Mail) error {
	to, raw, err := compose(s.from, m, s.now())
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultSMTPTimeout)
		defer cancel()
	}

	tlsConfig := s.tlsConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tlsConfig = tlsConfig.Clone()
	tlsConfig.ServerName = s.host

	var conn net.Conn
	if s.implicit {
		conn, err = (&tls.Dialer{Config: tlsConfig}).DialContext(ctx, "tcp", s.addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", s.addr)
	}
	if err != nil {
		return s.fail(ctx, "dial", err)
	}
	// A past deadline makes any read or write in progress fail at once,
	// including inside the TLS layer net/smtp adds on STARTTLS.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		_ = conn.Close()
		return s.fail(ctx, "greeting", err)
	}
	defer c.Close()

	if err := c.Hello("localhost"); err != nil {
		return s.fail(ctx, "EHLO", err)
	}
	secure := s.implicit
	if !secure {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConfig); err != nil {
				return s.fail(ctx, "STARTTLS", err)
			}
			secure = true
		}
	}
	if s.auth {
		if !secure {
			return errors.New("mailer: smtp: the server does not offer STARTTLS; refusing to send the password in clear (use smtps:// or a server with STARTTLS)")
		}
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return s.fail(ctx, "AUTH", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return s.fail(ctx, "MAIL", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return s.fail(ctx, "RCPT", err)
	}
	w, err := c.Data()
	if err != nil {
		return s.fail(ctx, "DATA", err)
	}
	if _, err := w.Write(raw); err != nil {
		return s.fail(ctx, "DATA", err)
	}
	if err := w.Close(); err != nil { // the server accepts or refuses the message here
		return s.fail(ctx, "DATA", err)
	}
	// The message is accepted: a failed QUIT loses nothing.
	_ = c.Quit()
	return nil
}

// fail wraps err with the stage. A cancelled or expired context wins (the
// I/O error is then only its symptom); a server reply keeps only its code.
func (s *SMTP) fail(ctx context.Context, stage string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("mailer: smtp %s: %w", stage, ctxErr)
	}
	var reply *textproto.Error
	if errors.As(err, &reply) {
		return &ReplyError{Stage: stage, Code: reply.Code}
	}
	return fmt.Errorf("mailer: smtp %s: %w", stage, err)
}
