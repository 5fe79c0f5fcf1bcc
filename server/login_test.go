package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/demo"
)

// Login protection (README "Login protection"): every test picks its
// client addresses with X-Forwarded-For, and the limiters' clock moves only
// with h.advance.

const wrongPassword = "mauvais-mot-de-passe"

// loginFrom posts a login from the client address ip.
func (h *harness) loginFrom(ip, email, password string) (*http.Response, string) {
	h.t.Helper()
	return h.doWith(session{}, "POST", "/api/v1/auth/login", `{"email":"`+email+`","password":"`+password+`"}`,
		map[string]string{"X-Forwarded-For": ip})
}

// sessionFrom logs email in from ip with the demo password.
func (h *harness) sessionFrom(ip, email string) session {
	h.t.Helper()
	res, body := h.loginFrom(ip, email, demo.Password)
	mustStatus(h.t, "login "+email+" from "+ip, res.StatusCode, body, 200, "")
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		h.t.Fatal(err)
	}
	s := session{csrf: out.CSRF, email: email}
	for _, c := range res.Cookies() {
		if c.Name == SessionCookie {
			s.cookie = c.Value
		}
	}
	return s
}

// changePasswordFrom posts /me/password for s from ip.
func (h *harness) changePasswordFrom(s session, ip, current, next string) (*http.Response, string) {
	h.t.Helper()
	return h.doWith(s, "POST", "/api/v1/me/password", `{"current_password":"`+current+`","new_password":"`+next+`"}`,
		map[string]string{"X-Forwarded-For": ip})
}

// mustWait checks a 429 too_many_attempts answer saying, in Retry-After and
// in French, to come back in exactly want.
func mustWait(t *testing.T, what string, res *http.Response, body string, want time.Duration) {
	t.Helper()
	mustStatus(t, what, res.StatusCode, body, 429, "too_many_attempts")
	if got := res.Header.Get("Retry-After"); got != strconv.Itoa(int(want.Seconds())) {
		t.Fatalf("%s: Retry-After %q, want %d: %s", what, got, int(want.Seconds()), body)
	}
	if !strings.Contains(body, "Réessayez dans "+frenchDelay(want)) {
		t.Fatalf("%s: the message does not say to come back in %s: %s", what, frenchDelay(want), body)
	}
}

func frenchDelay(d time.Duration) string {
	switch s := int(d.Seconds()); {
	case s == 1:
		return "1 seconde."
	case s < 60:
		return fmt.Sprintf("%d secondes.", s)
	case s == 60:
		return "1 minute."
	default:
		return fmt.Sprintf("%d minutes.", (s+59)/60) // rounded up
	}
}

func retryAfter(t *testing.T, res *http.Response, body string) time.Duration {
	t.Helper()
	n, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || n < 1 {
		t.Fatalf("429 without a valid Retry-After (%q): %s", res.Header.Get("Retry-After"), body)
	}
	return time.Duration(n) * time.Second
}

// TestLoginGuesserSlowed: a guesser on one account from one address gets
// five tries, then waits 1 s, 2 s, 4 s… up to 15 minutes, even with the
// right password; once the wait is over, the right password logs in and
// starts the count again.
func TestLoginGuesserSlowed(t *testing.T) {
	h := newHarness(t)
	const ip, victim = "203.0.113.7", "kine@loire-nord.demo"
	for i := range 5 {
		res, body := h.loginFrom(ip, victim, wrongPassword)
		mustStatus(t, fmt.Sprintf("wrong password %d", i+1), res.StatusCode, body, 401, "invalid_credentials")
	}
	want := time.Second
	for step := range 12 { // 1 s, 2 s … 512 s, then 15 minutes
		res, body := h.loginFrom(ip, victim, demo.Password)
		mustWait(t, fmt.Sprintf("step %d, the right password", step), res, body, want)
		h.advance(want - time.Second)
		res, body = h.loginFrom(ip, victim, wrongPassword)
		mustWait(t, fmt.Sprintf("step %d, one second early", step), res, body, time.Second)
		h.advance(time.Second)
		res, body = h.loginFrom(ip, victim, wrongPassword)
		mustStatus(t, fmt.Sprintf("step %d, after the wait", step), res.StatusCode, body, 401, "invalid_credentials")
		want = min(2*want, 15*time.Minute)
	}
	res, body := h.loginFrom(ip, victim, wrongPassword)
	mustWait(t, "at the cap", res, body, 15*time.Minute)
	h.advance(15 * time.Minute)
	res, body = h.loginFrom(ip, victim, demo.Password)
	mustStatus(t, "the right password after the wait", res.StatusCode, body, 200, "")
	// A success forgets the pair's failures: five free tries again.
	for i := range 5 {
		res, body := h.loginFrom(ip, victim, wrongPassword)
		mustStatus(t, fmt.Sprintf("wrong password %d after a success", i+1), res.StatusCode, body, 401, "invalid_credentials")
	}
}

// TestLoginNotRefusedForOtherAddressesFailures: 50 failures on an account
// from one address never refuse its owner's right password from another.
func TestLoginNotRefusedForOtherAddressesFailures(t *testing.T) {
	h := newHarness(t)
	const attacker, owner, victim = "203.0.113.50", "198.51.100.20", "kine@loire-nord.demo"
	failures, slowed := 0, 0
	for failures < 50 {
		res, body := h.loginFrom(attacker, victim, wrongPassword)
		switch res.StatusCode {
		case 401:
			failures++
		case 429:
			slowed++
			h.advance(retryAfter(t, res, body))
		default:
			t.Fatalf("attempt: status %d: %s", res.StatusCode, body)
		}
	}
	if slowed == 0 {
		t.Fatal("50 failures from one address and never a 429")
	}
	res, body := h.loginFrom(owner, victim, demo.Password)
	mustStatus(t, "the owner from their own address", res.StatusCode, body, 200, "")
}

// TestLoginSprayFromOneAddress: 30 failures from one address over six
// accounts lock none of them; that address is slowed over all accounts,
// with growing delays.
func TestLoginSprayFromOneAddress(t *testing.T) {
	h := newHarness(t)
	const sprayer, other = "203.0.113.9", "198.51.100.30"
	sprayed := []string{"kine@loire-nord.demo", "infirmiere@loire-nord.demo", "pharmacien@val-de-cher.demo",
		"orthophoniste@loire-nord.demo", "sage-femme@loire-nord.demo", "assistante-sociale@loire-nord.demo"}
	for _, a := range sprayed {
		for i := range 5 {
			res, body := h.loginFrom(sprayer, a, wrongPassword)
			mustStatus(t, fmt.Sprintf("spray %s %d", a, i+1), res.StatusCode, body, 401, "invalid_credentials")
		}
	}
	for _, a := range append(sprayed, "medecin@val-de-cher.demo") {
		res, body := h.loginFrom(other, a, demo.Password)
		mustStatus(t, a+" from another address", res.StatusCode, body, 200, "")
	}
	// The sprayer's 31st try, on an account it never tried: 1 s, then 2 s.
	res, body := h.loginFrom(sprayer, "medecin@val-de-cher.demo", wrongPassword)
	mustWait(t, "the sprayer's 31st try", res, body, time.Second)
	h.advance(time.Second)
	res, body = h.loginFrom(sprayer, "medecin@val-de-cher.demo", wrongPassword)
	mustStatus(t, "the sprayer after 1 s", res.StatusCode, body, 401, "invalid_credentials")
	res, body = h.loginFrom(sprayer, "medecin@val-de-cher.demo", wrongPassword)
	mustWait(t, "the sprayer's 32nd try", res, body, 2*time.Second)
}

// TestLoginAccountBudget: past 100 failures on one account from all
// addresses together, an address that already failed on it waits, but an
// address that did not (its owner's) logs in at once.
func TestLoginAccountBudget(t *testing.T) {
	h := newHarness(t)
	const victim = "pharmacien@val-de-cher.demo"
	addr := func(i int) string { return fmt.Sprintf("203.0.113.%d", i) }
	for i := 1; i <= 33; i++ { // 99 failures, 3 per address: none at its own limit
		for range 3 {
			res, body := h.loginFrom(addr(i), victim, wrongPassword)
			mustStatus(t, "distributed failure from "+addr(i), res.StatusCode, body, 401, "invalid_credentials")
		}
	}
	res, body := h.loginFrom(addr(34), victim, wrongPassword)
	mustStatus(t, "the 100th failure", res.StatusCode, body, 401, "invalid_credentials")
	res, body = h.loginFrom(addr(34), victim, wrongPassword)
	mustWait(t, "an address with one failure, account over budget", res, body, time.Second)
	res, body = h.loginFrom(addr(1), victim, demo.Password)
	mustWait(t, "an address with three failures, account over budget", res, body, time.Second)
	res, body = h.loginFrom("198.51.100.40", victim, demo.Password)
	mustStatus(t, "the owner from an address that never failed", res.StatusCode, body, 200, "")
	// A new address gets one try, then waits longer: the budget's delays grow.
	res, body = h.loginFrom(addr(35), victim, wrongPassword)
	mustStatus(t, "a new address", res.StatusCode, body, 401, "invalid_credentials")
	res, body = h.loginFrom(addr(35), victim, wrongPassword)
	mustWait(t, "a new address's second try", res, body, 2*time.Second)
	h.advance(2 * time.Second)
	res, body = h.loginFrom(addr(34), victim, wrongPassword)
	mustStatus(t, "after the wait", res.StatusCode, body, 401, "invalid_credentials")
}

// TestLoginIPv6Prefix: the addresses of one IPv6 /64 (one subscriber)
// count as one address.
func TestLoginIPv6Prefix(t *testing.T) {
	h := newHarness(t)
	const victim = "infirmiere@loire-nord.demo"
	for i := 1; i <= 5; i++ {
		res, body := h.loginFrom(fmt.Sprintf("2001:db8::%x", i), victim, wrongPassword)
		mustStatus(t, "failure from the /64", res.StatusCode, body, 401, "invalid_credentials")
	}
	res, body := h.loginFrom("2001:db8::ffff:1", victim, demo.Password)
	mustWait(t, "another address of the same /64", res, body, time.Second)
	res, body = h.loginFrom("2001:db8:0:1::1", victim, demo.Password)
	mustStatus(t, "an address of another /64", res.StatusCode, body, 200, "")
}

// TestChangePasswordCountsAsLogin: wrong current passwords on /me/password
// count with the login's failures of the same (account, address) pair.
func TestChangePasswordCountsAsLogin(t *testing.T) {
	h := newHarness(t)
	const ip, other, email = "198.51.100.4", "198.51.100.5", "infirmiere@loire-nord.demo"
	s := h.sessionFrom(ip, email)
	for i := range 2 {
		res, body := h.loginFrom(ip, email, wrongPassword)
		mustStatus(t, fmt.Sprintf("wrong login %d", i+1), res.StatusCode, body, 401, "invalid_credentials")
	}
	for i := range 3 {
		res, body := h.changePasswordFrom(s, ip, wrongPassword, "nouveau-secret-42")
		mustStatus(t, fmt.Sprintf("wrong current password %d", i+1), res.StatusCode, body, 400, "wrong_password")
	}
	res, body := h.changePasswordFrom(s, ip, demo.Password, "nouveau-secret-42")
	mustWait(t, "a session holder past the limit", res, body, time.Second)
	res, body = h.loginFrom(ip, email, demo.Password)
	mustWait(t, "a login from the same pair", res, body, time.Second)
	res, body = h.loginFrom(other, email, demo.Password)
	mustStatus(t, "a login from another address", res.StatusCode, body, 200, "")
	h.advance(time.Second)
	res, body = h.changePasswordFrom(s, ip, wrongPassword, "nouveau-secret-42")
	mustStatus(t, "after the wait", res.StatusCode, body, 400, "wrong_password")
	res, body = h.changePasswordFrom(s, ip, demo.Password, "nouveau-secret-42")
	mustWait(t, "the next wait doubles", res, body, 2*time.Second)
	h.advance(2 * time.Second)
	res, body = h.changePasswordFrom(s, ip, demo.Password, "nouveau-secret-42")
	mustStatus(t, "change after the wait", res.StatusCode, body, 204, "")
}

// TestLoginSpoofedForwardedFor: behind a proxy that appends to
// X-Forwarded-For, what the client wrote stands on the left; a guesser who
// changes it on every try is still one address, the one the proxy saw.
func TestLoginSpoofedForwardedFor(t *testing.T) {
	h := newHarness(t)
	const attacker, victim = "203.0.113.9", "kine@loire-nord.demo"
	for i := range 5 {
		spoofed := fmt.Sprintf("198.51.100.%d, %s", i+1, attacker)
		res, body := h.loginFrom(spoofed, victim, wrongPassword)
		mustStatus(t, fmt.Sprintf("wrong password %d", i+1), res.StatusCode, body, 401, "invalid_credentials")
	}
	res, body := h.loginFrom("192.0.2.77, "+attacker, victim, wrongPassword)
	mustWait(t, "a sixth try under yet another spoofed address", res, body, time.Second)
	// Garbage on the right is not an address: the last one vouched for
	// (the trusted peer itself) counts, not a free new one.
	res, body = h.loginFrom("not-an-ip", victim, demo.Password)
	mustStatus(t, "the owner behind the proxy itself", res.StatusCode, body, 200, "")
}
