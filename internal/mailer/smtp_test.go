package mailer

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// received is what the test SMTP server recorded of one session.
type received struct {
	from, rcpt     string
	data           []byte
	tls            bool // the message travelled over TLS
	authUser, auth string
	authSeen       bool
}

// smtpServer is a minimal SMTP server on 127.0.0.1:0 (RFC 5321 subset:
// EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT) that
// records each session.
type smtpServer struct {
	addr       string
	startTLS   *tls.Config // offer STARTTLS with it; nil: do not
	implicit   bool        // TLS from the first byte
	rejectRcpt bool        // answer RCPT with a 550 quoting the address
	silent     bool        // accept, never greet
	sessions   chan received
	ln         net.Listener
	wg         sync.WaitGroup
	mu         sync.Mutex
	conns      []net.Conn
}

func startSMTP(t *testing.T, s *smtpServer, serverTLS *tls.Config) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.implicit {
		ln = tls.NewListener(ln, serverTLS)
	}
	s.ln, s.addr, s.sessions = ln, ln.Addr().String(), make(chan received, 8)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				s.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *smtpServer) serve(conn net.Conn) {
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if s.silent {
		_, _ = bufio.NewReader(conn).ReadByte() // until the client gives up
		return
	}
	var r received
	_, r.tls = conn.(*tls.Conn)
	tp := textproto.NewConn(conn)
	reply := func(format string, args ...any) { _ = tp.PrintfLine(format, args...) }
	reply("220 test.invalid ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			lines := []string{"test.invalid", "8BITMIME"}
			if s.startTLS != nil && !r.tls {
				lines = append(lines, "STARTTLS")
			}
			lines = append(lines, "AUTH PLAIN")
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				reply("250%s%s", sep, l)
			}
		case "STARTTLS":
			if s.startTLS == nil || r.tls {
				reply("503 5.5.1 not now")
				continue
			}
			reply("220 2.0.0 go ahead")
			tc := tls.Server(conn, s.startTLS)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, r.tls = tc, true
			tp = textproto.NewConn(tc)
		case "AUTH":
			mech, initial, _ := strings.Cut(arg, " ")
			if mech != "PLAIN" {
				reply("504 5.5.4 unsupported")
				continue
			}
			if initial == "" {
				reply("334 ")
				if initial, err = tp.ReadLine(); err != nil {
					return
				}
			}
			b, err := base64.StdEncoding.DecodeString(initial)
			f := strings.Split(string(b), "\x00")
			if err != nil || len(f) != 3 {
				reply("501 5.5.2 bad AUTH")
				continue
			}
			r.authSeen, r.authUser, r.auth = true, f[1], f[2]
			reply("235 2.7.0 ok")
		case "MAIL":
			r.from = arg
			reply("250 2.1.0 ok")
		case "RCPT":
			if s.rejectRcpt {
				reply("550 5.1.1 %s: Recipient address rejected", strings.TrimPrefix(arg, "TO:"))
				continue
			}
			r.rcpt = arg
			reply("250 2.1.5 ok")
		case "DATA":
			reply("354 end with <CRLF>.<CRLF>")
			if r.data, err = tp.ReadDotBytes(); err != nil {
				return
			}
			reply("250 2.0.0 queued")
			s.sessions <- r
		case "RSET", "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 5.5.2 unknown command")
		}
	}
}

// testCert returns a server configuration with a fresh self-signed
// certificate for 127.0.0.1, and a client configuration trusting it.
func testCert(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test SMTP"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return server, client
}

func newTestSMTP(t *testing.T, rawURL string, clientTLS *tls.Config) *SMTP {
	t.Helper()
	s, err := NewSMTP(rawURL, testFrom)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	s.tlsConfig = clientTLS
	s.now = fixedClock
	return s
}

func waitSession(t *testing.T, srv *smtpServer) received {
	t.Helper()
	select {
	case r := <-srv.sessions:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("the server recorded no message")
		return received{}
	}
}

func checkSession(t *testing.T, r received) {
	t.Helper()
	if !strings.HasPrefix(r.from, "FROM:<no-reply@ecpts.example.fr>") {
		t.Errorf("MAIL %q", r.from)
	}
	if r.rcpt != "TO:<claire.martin@cpts-loire-nord.fr>" {
		t.Errorf("RCPT %q", r.rcpt)
	}
	// ReadDotBytes turned CRLF into LF and undid dot-stuffing: put CRLF
	// back to read the message as it was composed.
	p := parseMessage(t, []byte(strings.ReplaceAll(string(r.data), "\n", "\r\n")))
	checkParsed(t, p, testMail)
}

func TestSMTPPlainRelayWithoutAuth(t *testing.T) {
	srv := startSMTP(t, &smtpServer{}, nil)
	s := newTestSMTP(t, "smtp://"+srv.addr, nil)
	if err := s.Send(context.Background(), testMail); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := waitSession(t, srv)
	if r.tls || r.authSeen {
		t.Fatalf("tls %v, auth %v: want neither", r.tls, r.authSeen)
	}
	checkSession(t, r)
}

func TestSMTPStartTLSAndAuth(t *testing.T) {
	serverTLS, clientTLS := testCert(t)
	srv := startSMTP(t, &smtpServer{startTLS: serverTLS}, nil)
	s := newTestSMTP(t, "smtp://mailer%40cpts:p%40ss%2Fw%3Ard@"+srv.addr, clientTLS)
	if err := s.Send(context.Background(), testMail); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := waitSession(t, srv)
	if !r.tls {
		t.Fatal("the message was sent without STARTTLS although the server offered it")
	}
	if !r.authSeen || r.authUser != "mailer@cpts" || r.auth != "p@ss/w:rd" {
		t.Fatalf("AUTH PLAIN user %q password %q (seen %v)", r.authUser, r.auth, r.authSeen)
	}
	checkSession(t, r)
}

func TestSMTPImplicitTLS(t *testing.T) {
	serverTLS, clientTLS := testCert(t)
	srv := startSMTP(t, &smtpServer{implicit: true}, serverTLS)
	s := newTestSMTP(t, "smtps://user:pw@"+srv.addr, clientTLS)
	if err := s.Send(context.Background(), testMail); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := waitSession(t, srv)
	if !r.tls || r.authUser != "user" || r.auth != "pw" {
		t.Fatalf("tls %v user %q password %q", r.tls, r.authUser, r.auth)
	}
	checkSession(t, r)
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	serverTLS, _ := testCert(t)
	srv := startSMTP(t, &smtpServer{startTLS: serverTLS}, nil)
	s := newTestSMTP(t, "smtp://user:hunter2@"+srv.addr, nil) // system roots: the test CA is unknown
	err := s.Send(context.Background(), testMail)
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send to an untrusted certificate = %v, want a STARTTLS error", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func TestSMTPRefusesCredentialsInClear(t *testing.T) {
	srv := startSMTP(t, &smtpServer{}, nil) // no STARTTLS offered
	s := newTestSMTP(t, "smtp://user:hunter2@"+srv.addr, nil)
	err := s.Send(context.Background(), testMail)
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("Send = %v, want a refusal naming STARTTLS", err)
	}
	select {
	case r := <-srv.sessions:
		t.Fatalf("a message went through: %+v", r)
	default:
	}
}

func TestSMTPReplyErrorHidesAddress(t *testing.T) {
	srv := startSMTP(t, &smtpServer{rejectRcpt: true}, nil)
	s := newTestSMTP(t, "smtp://"+srv.addr, nil)
	err := s.Send(context.Background(), testMail)
	var reply *ReplyError
	if !errors.As(err, &reply) || reply.Stage != "RCPT" || reply.Code != 550 || reply.Temporary() {
		t.Fatalf("Send = %v, want a permanent RCPT ReplyError 550", err)
	}
	if strings.Contains(err.Error(), "claire") {
		t.Fatalf("error quotes the recipient: %v", err)
	}
}

func TestSMTPContextDeadline(t *testing.T) {
	srv := startSMTP(t, &smtpServer{silent: true}, nil)
	s := newTestSMTP(t, "smtp://"+srv.addr, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Send(ctx, testMail)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send to a silent server = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Send returned after %v, long after its 200 ms deadline", d)
	}

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if err := s.Send(ctx, testMail); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send with a cancelled context = %v", err)
	}
}

func TestSMTPConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there any more
	s := newTestSMTP(t, "smtp://"+addr, nil)
	if err := s.Send(context.Background(), testMail); err == nil || !strings.Contains(err.Error(), "dial") {
		t.Fatalf("Send to a closed port = %v", err)
	}
}

func TestNewSMTPBadURLs(t *testing.T) {
	for _, tt := range []struct {
		url, want string
	}{
		{"http://mail.example.fr", "scheme must be smtp:// or smtps://"},
		{"mail.example.fr:587", "scheme"},
		{"", "scheme"},
		{"smtp://", "no host"},
		{"smtp://user:hunter2@:587", "no host"},
		{"smtp://mail.example.fr:port", "not a valid URL"},
		{"smtp://mail.example.fr:70000", "port must be a number"},
		{"smtp://mail.example.fr:0", "port must be a number"},
		{"smtp://mail.example.fr/inbox", "path"},
		{"smtp://mail.example.fr?tls=off", "query"},
		{"smtp://user:hunter2#x@mail.example.fr", "not a valid URL"},
		{"smtp://user:2024#hunter2@mail.example.fr", "'@' outside the user part"},
		{"smtp://user:hun ter2@mail.example.fr%zz", "not a valid URL"},
	} {
		_, err := NewSMTP(tt.url, testFrom)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewSMTP(%q) = %v, want an error saying %q", tt.url, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("NewSMTP(%q) error leaks the password: %v", tt.url, err)
		}
	}
	if _, err := NewSMTP("smtp://mail.example.fr", "nobody"); err == nil {
		t.Error("bad sender accepted")
	}
	for url, addr := range map[string]string{
		"smtp://mail.example.fr":       "mail.example.fr:587",
		"smtps://mail.example.fr":      "mail.example.fr:465",
		"smtp://mail.example.fr:25/":   "mail.example.fr:25",
		"smtps://u:p@[::1]:2465":       "[::1]:2465",
		"smtp://relay.example.fr:2525": "relay.example.fr:2525",
	} {
		s, err := NewSMTP(url, testFrom)
		if err != nil || s.addr != addr {
			t.Errorf("NewSMTP(%q) addr %q, %v; want %q", url, s.addr, err, addr)
		}
	}
	s, _ := NewSMTP("smtp://only-user@mail.example.fr", testFrom)
	if !s.auth || s.user != "only-user" || s.pass != "" {
		t.Errorf("user without password: auth %v user %q", s.auth, s.user)
	}
}

func ExampleReplyError() {
	err := error(&ReplyError{Stage: "RCPT", Code: 450})
	var reply *ReplyError
	if errors.As(err, &reply) && reply.Temporary() {
		fmt.Println("retry later:", err)
	}
	// Output: retry later: mailer: smtp RCPT: server replied 450
}
