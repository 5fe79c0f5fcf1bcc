package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecpts/ecpts/internal/demo"
	"github.com/ecpts/ecpts/realtime"
)

// An invitation link is built on the configured public URL, never on the
// request's Host or X-Forwarded-Host; without a public URL nobody is
// invited (cmd/ecpts gives the demo one: the address it listens on).
func TestInvitationLinkNeverFromRequestHost(t *testing.T) {
	h := newHarness(t)
	ln := h.id("cpts:CPTS Loire Nord")
	forged := map[string]string{"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}

	h.publicURL = ""
	h.restart()
	coord := h.login("coordination@loire-nord.demo")
	res, body := h.doWith(coord, "POST", "/api/v1/cpts/"+ln+"/invitations", `{"email":"sans.adresse@exemple.fr","role":"membre"}`, forged)
	mustStatus(t, "invite without a public URL", res.StatusCode, body, 503, "public_url_missing")
	if !strings.Contains(body, "ECPTS_PUBLIC_URL") {
		t.Fatalf("the message must name ECPTS_PUBLIC_URL: %s", body)
	}
	if files, _ := filepath.Glob(filepath.Join(h.mailDir, "*.eml")); len(files) != 0 {
		t.Fatalf("an invitation e-mail was written without a public URL: %v", files)
	}
	_, body = h.do(coord, "GET", "/api/v1/cpts/"+ln+"/invitations", "")
	if strings.Contains(body, "sans.adresse@exemple.fr") {
		t.Fatalf("an invitation was stored without a public URL: %s", body)
	}

	h.publicURL = "https://ecpts.example.fr"
	h.restart()
	coord = h.login("coordination@loire-nord.demo")
	res, body = h.doWith(coord, "POST", "/api/v1/cpts/"+ln+"/invitations", `{"email":"nouvelle@exemple.fr","role":"membre"}`, forged)
	mustStatus(t, "invite", res.StatusCode, body, 201, "")
	mail := h.lastMail()
	if strings.Contains(mail, "evil.example") || !strings.Contains(mail, "https://ecpts.example.fr/invitation/") {
		t.Fatalf("the link must be built on the public URL only:\n%s", mail)
	}
}

// nopHub closes every socket at once: these tests only look at handshakes.
type nopHub struct{}

func (nopHub) Serve(context.Context, realtime.Socket, realtime.Session) {}

// serveOn serves d with /ws on 127.0.0.1:0 and returns the address.
func serveOn(t *testing.T, d Deps) string {
	t.Helper()
	d.Registry = prometheus.NewRegistry()
	d.Hub, d.HubContext = nopHub{}, t.Context()
	srv := New(d)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Shutdown(context.Background())
		<-done
	})
	return ln.Addr().String()
}

// X-Forwarded-Host, -Proto and -For count only when the TCP peer is one of
// ECPTS_TRUSTED_PROXIES: anyone else could name a host of theirs and pass
// the Origin check of /ws and of unsafe requests with a matching Origin.
func TestForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	h := newHarness(t)
	cookie := h.login("coordination@loire-nord.demo").cookie
	const public = "https://ecpts.example.fr"
	cases := []struct {
		name    string
		trusted []string
		public  string
		origin  string // "self": http://<the server's address>
		fwdHost string
		allowed bool
	}{
		{"forged forwarded host, no proxy configured", nil, "", "http://evil.example", "evil.example", false},
		{"forged forwarded host, no proxy configured, public URL", nil, public, "http://evil.example", "evil.example", false},
		{"forged forwarded host, peer is not the proxy", []string{"10.0.0.0/8"}, "", "http://evil.example", "evil.example", false},
		{"own address, no proxy", nil, "", "self", "", true},
		{"public URL, no proxy", nil, public, public, "", true},
		{"forwarded host from the trusted proxy", []string{"127.0.0.1"}, "", "http://evil.example", "evil.example", true},
		{"public URL through the trusted proxy", []string{"127.0.0.1"}, public, public, "ecpts.example.fr", true},
		{"foreign origin through the trusted proxy", []string{"127.0.0.1"}, public, "http://evil.example", "ecpts.example.fr", false},
		{"foreign origin, trusted proxy, no forwarded host", []string{"127.0.0.1"}, "", "http://evil.example", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := h.srv.deps
			d.TrustedProxies, d.PublicURL = tc.trusted, tc.public
			addr := serveOn(t, d)
			origin := tc.origin
			if origin == "self" {
				origin = "http://" + addr
			}
			hdr := http.Header{"Origin": {origin}}
			if tc.fwdHost != "" {
				hdr.Set("X-Forwarded-Host", tc.fwdHost)
				hdr.Set("X-Forwarded-Proto", "https")
				if strings.HasPrefix(origin, "http://") {
					hdr.Set("X-Forwarded-Proto", "http")
				}
			}

			// The WebSocket handshake.
			wsHdr := hdr.Clone()
			wsHdr.Set("Cookie", SessionCookie+"="+cookie)
			conn, res, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", wsHdr)
			if conn != nil {
				conn.Close()
			}
			switch {
			case tc.allowed && err != nil:
				t.Fatalf("/ws refused: %v %v", res, err)
			case !tc.allowed && (err == nil || res == nil || res.StatusCode != 403):
				t.Fatalf("/ws must answer 403, got %v %v", res, err)
			}

			// An unsafe REST request.
			req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/auth/login",
				strings.NewReader(`{"email":"kine@loire-nord.demo","password":"`+demo.Password+`"}`))
			req.Header = hdr.Clone()
			req.Header.Set("Content-Type", "application/json")
			res, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if tc.allowed {
				mustStatus(t, "login", res.StatusCode, string(b), 200, "")
			} else {
				mustStatus(t, "login", res.StatusCode, string(b), 403, "origin_forbidden")
			}
		})
	}

	// X-Forwarded-Proto: HSTS only for what a trusted proxy says is HTTPS.
	for _, tc := range []struct {
		trusted []string
		hsts    bool
	}{{nil, false}, {[]string{"10.0.0.0/8"}, false}, {[]string{"127.0.0.1"}, true}} {
		d := h.srv.deps
		d.TrustedProxies, d.PublicURL = tc.trusted, ""
		addr := serveOn(t, d)
		req, _ := http.NewRequest("GET", "http://"+addr+"/healthz", nil)
		req.Header.Set("X-Forwarded-Proto", "https")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("Strict-Transport-Security") != ""; got != tc.hsts {
			t.Errorf("trusted %v: X-Forwarded-Proto https gives HSTS %v, want %v", tc.trusted, got, tc.hsts)
		}
	}
}
