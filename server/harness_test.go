package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/auth"
	"github.com/ecpts/ecpts/internal/blob"
	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/demo"
	"github.com/ecpts/ecpts/internal/envelope"
	"github.com/ecpts/ecpts/internal/mailer"
	"github.com/ecpts/ecpts/internal/ratelimit"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/storetest"
	"github.com/ecpts/ecpts/search"
	"github.com/prometheus/client_golang/prometheus"
)

// fastParams keep argon2id cheap in tests; production uses auth.DefaultParams.
var fastParams = auth.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// harness is the real stack in process: FerretDB (SQLite) with the demo
// data, core, the Fiber app, a file mailer.
type harness struct {
	t       *testing.T
	st      *store.Store
	core    *core.Core
	srv     *Server
	mailer  mailer.Mailer
	mailDir string
	// publicURL is the configured public address (restart reads it).
	publicURL string
	ids       map[string]string // "cpts:CPTS Loire Nord", "chan:LN:général", "group:Parcours BPCO inter-CPTS", "user:Marc Lefèvre"
	offset    atomic.Int64      // added to the wall clock core sees (h.advance)
	blobs     *blob.FS          // uploaded files (a directory of the test's)
	start     time.Time         // the login limiters' clock stands still at start + offset
	index     search.Index      // the search index core uses (nil: none)
}

func (h *harness) now() time.Time { return time.Now().Add(time.Duration(h.offset.Load())) }

// limitNow is the login limiters' clock: only h.advance moves it, so a
// test reads exact Retry-After values whatever the machine's speed.
func (h *harness) limitNow() time.Time { return h.start.Add(time.Duration(h.offset.Load())) }

// advance moves core's clock forward.
func (h *harness) advance(d time.Duration) { h.offset.Add(int64(d)) }

func newHarness(t *testing.T) *harness {
	t.Helper()
	st := storetest.OpenTest(t, "sqlite")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	if _, err := demo.Load(ctx, st, log, time.Now(), fastParams); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	m, err := mailer.NewFile(dir, "e-CPTS <no-reply@ecpts.invalid>", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, st: st, mailDir: dir, publicURL: "http://ecpts.test", ids: map[string]string{}, mailer: m, start: time.Now(), blobs: blobs}
	h.restart()
	h.collectIDs()
	return h
}

// restart replaces core and the Fiber app with new ones on the same store,
// as a restarted process: nothing is left in memory (sessions live in the
// store and stay valid).
func (h *harness) restart() {
	h.t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	keyring, err := envelope.NewKeyring(make([]byte, 32))
	if err != nil {
		h.t.Fatal(err)
	}
	h.core = core.New(core.Deps{
		Store: h.st, Mailer: h.mailer, Logger: log, PasswordParams: fastParams, Now: h.now, Sealer: keyring, PublicURL: h.publicURL,
		PairLimiter:    ratelimit.NewMemory(core.LoginPairRule, h.limitNow),
		IPLimiter:      ratelimit.NewMemory(core.LoginIPRule, h.limitNow),
		AccountLimiter: ratelimit.NewMemory(core.LoginAccountRule, h.limitNow),
		Search:         h.index,
		Blobs:          h.blobs, MaxUpload: testMaxUpload, Scanner: eicarScanner{},
	})
	// The in-process requests come from 0.0.0.0: trusting it lets a test
	// pick its client address with X-Forwarded-For (fromIP).
	h.srv = New(Deps{Core: h.core, Logger: log, Registry: prometheus.NewRegistry(), Checks: map[string]func(context.Context) error{"database": h.st.Ping},
		PublicURL: h.publicURL, TrustedProxies: []string{"0.0.0.0"}})
}

// session is a logged-in client.
type session struct {
	cookie string
	csrf   string
	email  string
}

func (h *harness) login(email string) session {
	h.t.Helper()
	res, body := h.do(session{}, "POST", "/api/v1/auth/login", `{"email":"`+email+`","password":"`+demo.Password+`"}`)
	if res.StatusCode != 200 {
		h.t.Fatalf("login %s: %d %s", email, res.StatusCode, body)
	}
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		h.t.Fatal(err)
	}
	var cookie string
	for _, c := range res.Cookies() {
		if c.Name == SessionCookie {
			cookie = c.Value
		}
	}
	if cookie == "" || out.CSRF == "" {
		h.t.Fatalf("login %s: no cookie or csrf token", email)
	}
	return session{cookie: cookie, csrf: out.CSRF, email: email}
}

// do sends one request in process. Unsafe methods carry the session's CSRF
// token unless the session's csrf is "-".
func (h *harness) do(s session, method, url, body string) (*http.Response, string) {
	h.t.Helper()
	return h.doWith(s, method, url, body, nil)
}

// doWith is do with extra headers (they win over the defaults).
func (h *harness) doWith(s session, method, url, body string, headers map[string]string) (*http.Response, string) {
	h.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, url, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.cookie != "" {
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: s.cookie})
	}
	if s.csrf != "" && s.csrf != "-" && !safeMethod(method) {
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := h.srv.App().Test(req, -1)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, url, err)
	}
	b, _ := io.ReadAll(res.Body)
	if err := conformErr(method, url, res, string(b)); err != nil {
		h.t.Errorf("%s %s: %d %s: the answer does not conform to openapi.json: %v", method, url, res.StatusCode, b, err)
	}
	return res, string(b)
}

func (h *harness) getJSON(s session, url string, dst any) {
	h.t.Helper()
	res, body := h.do(s, "GET", url, "")
	if res.StatusCode != 200 {
		h.t.Fatalf("GET %s: %d %s", url, res.StatusCode, body)
	}
	if err := json.Unmarshal([]byte(body), dst); err != nil {
		h.t.Fatalf("GET %s: %v", url, err)
	}
}

func (h *harness) collectIDs() {
	type named struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		CPTSID  string `json:"cpts_id"`
		GroupID string `json:"group_id"`
	}
	for _, email := range []string{"coordination@loire-nord.demo", "coordination@val-de-cher.demo"} {
		s := h.login(email)
		var cp struct{ CPTS []named }
		h.getJSON(s, "/api/v1/cpts", &cp)
		for _, c := range cp.CPTS {
			h.ids["cpts:"+c.Name] = c.ID
		}
		var gs struct{ Groups []named }
		h.getJSON(s, "/api/v1/groups", &gs)
		for _, g := range gs.Groups {
			h.ids["group:"+g.Name] = g.ID
		}
		var chs struct{ Channels []named }
		h.getJSON(s, "/api/v1/channels", &chs)
		for _, c := range chs.Channels {
			scope := "LN"
			switch {
			case c.GroupID != "":
				scope = "G"
			case c.CPTSID == h.ids["cpts:CPTS Val de Cher"]:
				scope = "VC"
			}
			h.ids["chan:"+scope+":"+c.Name] = c.ID
		}
		var dir struct{ Members []named }
		h.getJSON(s, "/api/v1/directory", &dir)
		for _, m := range dir.Members {
			h.ids["user:"+m.Name] = m.ID
		}
	}
}

// id returns a collected id or fails.
func (h *harness) id(key string) string {
	h.t.Helper()
	v, ok := h.ids[key]
	if !ok {
		h.t.Fatalf("no id for %q (have %v)", key, h.ids)
	}
	return v
}

var linkPattern = regexp.MustCompile(`/invitation/([A-Za-z0-9_-]+)`)

// lastInvitationToken reads the newest .eml and returns its token.
func (h *harness) lastInvitationToken() string {
	h.t.Helper()
	m := linkPattern.FindStringSubmatch(h.lastMail())
	if m == nil {
		h.t.Fatal("no invitation link in the newest e-mail")
	}
	return m[1]
}

// lastMail returns the text of the newest .eml, quoted-printable undone.
func (h *harness) lastMail() string {
	h.t.Helper()
	files, _ := filepath.Glob(filepath.Join(h.mailDir, "*.eml"))
	if len(files) == 0 {
		h.t.Fatal("no e-mail written")
	}
	var newest string
	var newestT time.Time
	for _, f := range files {
		fi, err := os.Stat(f)
		if err == nil && !fi.ModTime().Before(newestT) {
			newest, newestT = f, fi.ModTime()
		}
	}
	b, err := os.ReadFile(newest)
	if err != nil {
		h.t.Fatal(err)
	}
	return strings.NewReplacer("=\r\n", "", "=\n", "", "=3D", "=").Replace(string(b))
}
