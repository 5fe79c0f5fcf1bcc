package server

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// The page may open WebSockets to its own origin only ('self' covers
// same-origin ws: and wss: in CSP3), plus the public URL's, named for
// browsers that do not; never "ws:" or "wss:" to any host.
func TestContentSecurityPolicy(t *testing.T) {
	for _, tc := range []struct {
		public  string
		connect []string
	}{
		{"", []string{"'self'"}},
		{"https://ecpts.example.fr", []string{"'self'", "wss://ecpts.example.fr"}},
		{"https://ecpts.example.fr:8443", []string{"'self'", "wss://ecpts.example.fr:8443"}},
		{"http://127.0.0.1:8080", []string{"'self'", "ws://127.0.0.1:8080"}},
	} {
		s := New(Deps{PublicURL: tc.public})
		for _, path := range []string{"/healthz", "/", "/api/v1/me"} {
			res, err := s.App().Test(httptest.NewRequest("GET", path, nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			csp := res.Header.Get("Content-Security-Policy")
			directives := map[string][]string{}
			for _, d := range strings.Split(csp, ";") {
				if f := strings.Fields(d); len(f) > 0 {
					directives[f[0]] = f[1:]
				}
			}
			if got := directives["connect-src"]; !slices.Equal(got, tc.connect) {
				t.Errorf("public URL %q, %s: connect-src %q, want %q (CSP %q)", tc.public, path, got, tc.connect, csp)
			}
			for name, want := range map[string][]string{
				"default-src": {"'self'"}, "script-src": {"'self'"}, "object-src": {"'none'"},
				"frame-ancestors": {"'none'"}, "base-uri": {"'self'"}, "form-action": {"'self'"},
			} {
				if got := directives[name]; !slices.Equal(got, want) {
					t.Errorf("public URL %q, %s: %s %q, want %q", tc.public, path, name, got, want)
				}
			}
		}
	}
}
