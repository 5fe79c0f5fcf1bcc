package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// session is one logged-in account: its cookie jar (shared by every node,
// which share the session store) and its CSRF token.
type session struct {
	http   *http.Client
	csrf   string
	userID string
}

func newSession() *session {
	jar, _ := cookiejar.New(nil)
	return &session{http: &http.Client{
		Jar:     jar,
		Timeout: 60 * time.Second,
		// Every request of a session goes to loopback: no proxy.
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
	}}
}

// cookieHeader is the Cookie header a browser would send to u.
func (s *session) cookieHeader(u *url.URL) string {
	var parts []string
	for _, c := range s.http.Jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// apiError is a non-expected HTTP answer. Only the status and the error
// code are kept: bodies may carry content.
type apiError struct {
	method, path string
	status       int
	code         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d %s", e.method, e.path, e.status, e.code)
}

// call sends a JSON request to base+path and decodes the answer into out
// (may be nil). A status other than want is an *apiError.
func (s *session) call(ctx context.Context, base, method, path string, in, out any, want int) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.csrf != "" && method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	req.Header.Set("Origin", base)
	res, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if res.StatusCode != want {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		return &apiError{method: method, path: path, status: res.StatusCode, code: e.Error.Code}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// login opens a session on base.
func login(ctx context.Context, base, email, password string) (*session, error) {
	s := newSession()
	var out struct {
		User struct{ ID string } `json:"user"`
		CSRF string              `json:"csrf_token"`
	}
	if err := s.call(ctx, base, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password}, &out, 200); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	s.csrf, s.userID = out.CSRF, out.User.ID
	return s, nil
}

// coordinatedCPTS returns the id of the CPTS the session coordinates,
// preferring one whose name contains want (case-insensitive).
func (s *session) coordinatedCPTS(ctx context.Context, base, want string) (string, error) {
	var me struct {
		Memberships []struct {
			CPTSID   string `json:"cpts_id"`
			CPTSName string `json:"cpts_name"`
			Role     string `json:"role"`
			Status   string `json:"status"`
		} `json:"memberships"`
	}
	if err := s.call(ctx, base, "GET", "/api/v1/me", nil, &me, 200); err != nil {
		return "", err
	}
	first := ""
	for _, m := range me.Memberships {
		if m.Role != "coordinateur" || m.Status != "active" {
			continue
		}
		if want != "" && strings.Contains(strings.ToLower(m.CPTSName), strings.ToLower(want)) {
			return m.CPTSID, nil
		}
		if first == "" {
			first = m.CPTSID
		}
	}
	if first == "" {
		return "", fmt.Errorf("the account coordinates no CPTS: the load tool needs a coordinator (to create its channels)")
	}
	return first, nil
}

// createChannel creates a public channel in cpts and returns its id; the
// creator is a member.
func (s *session) createChannel(ctx context.Context, base, cpts, name string) (string, error) {
	var out struct {
		Channel struct{ ID string } `json:"channel"`
	}
	in := map[string]string{"name": name, "cpts_id": cpts, "visibility": "public", "kind": "standard",
		"topic": "Canal créé par ecpts-load pour une mesure de charge"}
	if err := s.call(ctx, base, "POST", "/api/v1/channels", in, &out, 201); err != nil {
		return "", err
	}
	return out.Channel.ID, nil
}

func (s *session) joinChannel(ctx context.Context, base, channel string) error {
	return s.call(ctx, base, "POST", "/api/v1/channels/"+channel+"/join", nil, nil, 200)
}

// archiveChannel archives a run's channel, so the CPTS's channel list does
// not grow with every run.
func (s *session) archiveChannel(ctx context.Context, base, channel string) error {
	return s.call(ctx, base, "PATCH", "/api/v1/channels/"+channel, map[string]bool{"archived": true}, nil, 200)
}

// storedMessage is what the send audit needs of a stored message.
type storedMessage struct {
	Seq      uint64 `json:"seq"`
	ClientID string `json:"client_id"`
	ID       string `json:"id"`
}

// history reads every message of channel through REST, 100 at a time, in
// seq order, and the channel's last seq.
func (s *session) history(ctx context.Context, base, channel string) ([]storedMessage, uint64, error) {
	var all []storedMessage
	var after, last uint64
	for {
		var page struct {
			Messages []storedMessage `json:"messages"`
			LastSeq  uint64          `json:"last_seq"`
		}
		path := "/api/v1/channels/" + channel + "/messages?limit=100&after_seq=" + strconv.FormatUint(after, 10)
		if err := s.call(ctx, base, "GET", path, nil, &page, 200); err != nil {
			return nil, 0, err
		}
		last = page.LastSeq
		all = append(all, page.Messages...)
		if len(page.Messages) == 0 {
			return all, last, nil
		}
		after = page.Messages[len(page.Messages)-1].Seq
		if after >= last {
			return all, last, nil
		}
	}
}

// lastSeq is the channel's last seq, as REST reports it.
func (s *session) lastSeq(ctx context.Context, base, channel string) (uint64, error) {
	var page struct {
		LastSeq uint64 `json:"last_seq"`
	}
	err := s.call(ctx, base, "GET", "/api/v1/channels/"+channel+"/messages?limit=1", nil, &page, 200)
	return page.LastSeq, err
}

// metrics scrapes base's /metrics and returns the samples without labels
// (and the "quantile"-less ones), by name.
func scrapeMetrics(ctx context.Context, base string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("GET /metrics: HTTP %d", res.StatusCode)
	}
	out := make(map[string]float64)
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || strings.ContainsRune(line, '{') {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			out[name] = f
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	return out, nil
}
