package main

import (
	"context"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/config"
)

func TestParseAdminArgs(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    adminOptions
		wantErr string
	}{
		{args: []string{"create", "a@exemple.fr"}, want: adminOptions{email: "a@exemple.fr"}},
		{args: []string{"create", "--name", "Alex Martin", "a@exemple.fr", "--password-stdin"}, want: adminOptions{email: "a@exemple.fr", name: "Alex Martin", passwordStdin: true}},
		{args: []string{"create", "a@exemple.fr", "--name=Alex"}, want: adminOptions{email: "a@exemple.fr", name: "Alex"}},
		{args: []string{"create", "a@exemple.fr", "--password", "secret"}, wantErr: "never taken from an argument"},
		{args: []string{"create", "a@exemple.fr", "--password=secret"}, wantErr: "never taken from an argument"},
		{args: []string{"create"}, wantErr: "address is missing"},
		{args: []string{"create", "a@exemple.fr", "b@exemple.fr"}, wantErr: "one address only"},
		{args: []string{"delete", "a@exemple.fr"}, wantErr: "usage: ecpts admin create"},
		{args: nil, wantErr: "usage: ecpts admin create"},
		{args: []string{"create", "a@exemple.fr", "--force"}, wantErr: "unknown option"},
	} {
		got, err := parseAdminArgs(tc.args)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v, %v; want %+v", tc.args, got, err, tc.want)
		}
	}
}

var setupLink = regexp.MustCompile(`/mot-de-passe/([A-Za-z0-9_-]+)`)

// TestAdminCreateOnEmptyServer: a production install (no demo) has no
// account; `ecpts admin create` makes the first administrator (password on
// standard input, or a set-password link by e-mail), refuses the same
// address twice, and the administrator then creates a CPTS and invites its
// first coordinator.
func TestAdminCreateOnEmptyServer(t *testing.T) {
	dir := t.TempDir()
	// A fixed port, so that the public URL (needed for e-mail links) is
	// the server's own address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	public := "http://127.0.0.1:" + strconv.Itoa(port)
	env := map[string]string{
		"ECPTS_ADDR": "127.0.0.1:" + strconv.Itoa(port), "ECPTS_DATA_DIR": dir, "ECPTS_LOG_LEVEL": "warn",
		"ECPTS_PUBLIC_URL": public,
	}
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// The empty server: nobody can log in.
	base, stop := start(t, env)
	if got := login(t, base, "root@exemple.fr", "un-mot-de-passe-solide-42"); got != 401 {
		t.Fatalf("empty server: login answered %d", got)
	}
	stop()

	var out strings.Builder
	err = adminCommand(ctx, cfg, []string{"create", "root@exemple.fr", "--name", "Alex Martin", "--password-stdin"},
		strings.NewReader("un-mot-de-passe-solide-42\n"), &out)
	if err != nil {
		t.Fatalf("admin create: %v", err)
	}
	if !strings.Contains(out.String(), "root@exemple.fr") {
		t.Fatalf("admin create says what it did: %q", out.String())
	}
	err = adminCommand(ctx, cfg, []string{"create", "ROOT@exemple.fr", "--password-stdin"}, strings.NewReader("un-autre-mot-de-passe-99\n"), &out)
	if err == nil || !strings.Contains(err.Error(), "existe déjà") {
		t.Fatalf("a second run for the same address must fail clearly: %v", err)
	}
	err = adminCommand(ctx, cfg, []string{"create", "faible@exemple.fr", "--password-stdin"}, strings.NewReader("court\n"), &out)
	if err == nil || !strings.Contains(err.Error(), "caractères") {
		t.Fatalf("a weak password is refused with the rule: %v", err)
	}
	err = adminCommand(ctx, cfg, []string{"create", "vide@exemple.fr", "--password-stdin"}, strings.NewReader(""), &out)
	if err == nil || !strings.Contains(err.Error(), "no password") {
		t.Fatalf("an empty standard input is refused: %v", err)
	}
	// The link mode: a set-password e-mail.
	if err := adminCommand(ctx, cfg, []string{"create", "second@exemple.fr"}, strings.NewReader(""), &out); err != nil {
		t.Fatalf("admin create with a link: %v", err)
	}
	token := ""
	emls, _ := filepath.Glob(filepath.Join(dir, "mail", "*.eml"))
	for _, f := range emls {
		b, _ := os.ReadFile(f)
		if m := setupLink.FindStringSubmatch(strings.NewReplacer("=\r\n", "", "=\n", "").Replace(string(b))); m != nil {
			token = m[1]
		}
	}
	if token == "" {
		t.Fatalf("no set-password link in %v", emls)
	}
	noEnv := map[string]string{"ECPTS_DATA_DIR": dir}
	noPublic, _ := config.Load(func(k string) string { return noEnv[k] })
	if err := adminCommand(ctx, noPublic, []string{"create", "trois@exemple.fr"}, strings.NewReader(""), &out); err == nil || !strings.Contains(err.Error(), "ECPTS_PUBLIC_URL") {
		t.Fatalf("the link mode needs ECPTS_PUBLIC_URL: %v", err)
	}

	base, stop = start(t, env)
	defer stop()
	jar, _ := cookiejar.New(nil)
	admin := &client{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
	var li struct {
		CSRF string `json:"csrf_token"`
		User struct {
			Admin bool `json:"admin"`
			Name  string
		} `json:"user"`
	}
	admin.call("POST", "/api/v1/auth/login", `{"email":"root@exemple.fr","password":"un-mot-de-passe-solide-42"}`, 200, &li)
	admin.csrf = li.CSRF
	if !li.User.Admin || li.User.Name != "Alex Martin" {
		t.Fatalf("the account is a platform admin: %+v", li.User)
	}
	var created struct {
		CPTS struct{ ID string } `json:"cpts"`
	}
	admin.call("POST", "/api/v1/cpts", `{"name":"CPTS Sud Touraine","department":"37","communes":["Loches"]}`, 201, &created)
	admin.call("POST", "/api/v1/cpts/"+created.CPTS.ID+"/invitations", `{"email":"coordination@sud-touraine.exemple.fr","role":"coordinateur"}`, 201, nil)
	found := false
	emls, _ = filepath.Glob(filepath.Join(dir, "mail", "*.eml"))
	for _, f := range emls {
		b, _ := os.ReadFile(f)
		s := strings.NewReplacer("=\r\n", "", "=\n", "", "=C3=A0", "à").Replace(string(b))
		if strings.Contains(s, "coordination@sud-touraine.exemple.fr") && strings.Contains(s, public+"/invitation/") &&
			strings.Contains(s, "rejoindre la CPTS Sud Touraine") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no invitation e-mail for the coordinator among %v", emls)
	}
	audit := admin.call("GET", "/api/v1/admin/audit", "", 200, nil)
	for _, action := range []string{"admin_created", "cpts_created", "invitation_created"} {
		if !strings.Contains(audit, `"action":"`+action+`"`) {
			t.Fatalf("audit lacks %s: %s", action, audit)
		}
	}

	// The second administrator chooses a password through the link.
	anon := &client{t: t, base: base, http: &http.Client{Timeout: 20 * time.Second}}
	info := anon.call("GET", "/api/v1/password-setup/"+token, "", 200, nil)
	if !strings.Contains(info, "second@exemple.fr") {
		t.Fatalf("setup info: %s", info)
	}
	anon.call("POST", "/api/v1/password-setup/"+token, `{"password":"court"}`, 400, nil)
	anon.call("POST", "/api/v1/password-setup/"+token, `{"password":"un-mot-de-passe-solide-43"}`, 200, nil)
	anon.call("POST", "/api/v1/password-setup/"+token, `{"password":"un-mot-de-passe-solide-44"}`, 404, nil)
	if got := login(t, base, "second@exemple.fr", "un-mot-de-passe-solide-43"); got != 200 {
		t.Fatalf("login with the chosen password: %d", got)
	}
}
