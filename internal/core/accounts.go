package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ecpts/ecpts/internal/auth"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/ratelimit"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/cache"
)

// LoginResult is what a successful login (or invitation acceptance) gives
// the HTTP layer: the cookie token (never stored as is), the CSRF token and
// the user.
type LoginResult struct {
	Token     string
	CSRFToken string
	ExpiresAt time.Time
	User      UserView
}

var errBadCredentials = model.Coded(model.ErrUnauthenticated, "invalid_credentials",
	"Adresse e-mail ou mot de passe incorrect.")

// Login checks a password, slowed down by the login limits (see
// loginWait), and opens a session. ip is the client address as the HTTP
// layer sees it.
func (c *Core) Login(ctx context.Context, email, password, ip string) (LoginResult, error) {
	e, err := normEmail("email", email)
	if err != nil {
		return LoginResult{}, err
	}
	if password == "" {
		return LoginResult{}, model.Invalid("password", "required", "Le mot de passe est obligatoire.")
	}
	if len(password) > 1024 {
		return LoginResult{}, errBadCredentials
	}
	k := loginKeysFor(e, ip)
	if err := c.loginWait(ctx, k, "Trop de tentatives de connexion."); err != nil {
		return LoginResult{}, err
	}
	u, err := c.st.Users.ByEmail(ctx, e)
	if err != nil && !isNotFound(err) {
		return LoginResult{}, fmt.Errorf("core: login: %w", err)
	}
	hash := u.PasswordHash
	if err != nil || hash == "" {
		hash = auth.DummyHash // same work whether or not the account exists
	}
	ok, _, verr := auth.VerifyPassword(password, hash)
	if verr != nil || !ok || u.ID == "" || u.PasswordHash == "" {
		if verr != nil && u.ID != "" {
			c.log.Error("stored password hash unreadable", "user_id", u.ID, "err", verr)
		}
		if err := c.loginFailed(ctx, k); err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, errBadCredentials
	}
	c.loginSucceeded(ctx, k, u.ID)
	if auth.NeedsRehash(u.PasswordHash, c.params) {
		if h, err := auth.HashPassword(password, c.params); err == nil {
			if err := c.st.Users.SetPasswordHash(ctx, u.ID, h, c.now()); err != nil {
				c.log.Warn("rehash password", "user_id", u.ID, "err", err)
			}
		}
	}
	return c.openSession(ctx, u)
}

// Login limits: every check of a password (a login, the current password
// of a change) counts its failure for the (account, address) pair, the
// address and the account, and waits as loginWait says. None locks: they
// delay, growing with the failures and forgotten with time (see package
// ratelimit and README "Login protection").
var (
	// LoginPairRule: a guesser on one account from one address gets 5
	// tries, then waits 1 s, 2 s, 4 s… up to 15 minutes; one failure is
	// forgotten an hour after the previous one. A success resets it.
	LoginPairRule = ratelimit.Rule{Free: 5, Base: time.Second, Max: 15 * time.Minute, Leak: time.Hour}
	// LoginIPRule: one address gets 30 failures over all accounts before
	// its delays start, and one more every 2 minutes (the typos of a
	// practice or hospital behind one address never add up).
	LoginIPRule = ratelimit.Rule{Free: 30, Base: time.Second, Max: 15 * time.Minute, Leak: 2 * time.Minute}
	// LoginAccountRule: past 100 failures on one account from all
	// addresses together (one forgotten every 10 minutes), an address that
	// already failed on it waits 1 s, 2 s… up to 5 minutes after its own
	// last failure. An address that has not failed on it is never slowed
	// by it, so the owner is not locked out by a distributed attack.
	LoginAccountRule = ratelimit.Rule{Free: 100, Base: time.Second, Max: 5 * time.Minute, Leak: 10 * time.Minute}
)

// loginKeys are the limiter keys of one password check. The account is
// its e-mail's hash, never the address in clear.
type loginKeys struct{ pair, ip, acct string }

func loginKeysFor(email, ip string) loginKeys {
	a, addr := shortHash(email), clientNet(ip)
	return loginKeys{pair: "login:pair:" + a + ":" + addr, ip: "login:ip:" + addr, acct: "login:acct:" + a}
}

// clientNet is the address the limits count by: an IPv4 address, or the
// /64 of an IPv6 one (a subscriber gets a whole /64 and could pick a new
// address for each try).
func clientNet(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64) // cannot fail for an IPv6 address and 64
	return p.String()
}

// loginWait refuses a password check that must wait, with
// too_many_attempts, Retry-After and the French message what (e.g.
// "Trop de tentatives de connexion.") followed by when to come back. It
// waits for whichever is longer: the pair's delay, the address's delay,
// and, when the pair already failed, the account's delay counted from the
// pair's own last failure.
func (c *Core) loginWait(ctx context.Context, k loginKeys, what string) error {
	var pair, ip, acct ratelimit.Status
	for _, l := range []struct {
		lim ratelimit.Limiter
		key string
		st  *ratelimit.Status
	}{{c.limits.pair, k.pair, &pair}, {c.limits.ip, k.ip, &ip}, {c.limits.account, k.acct, &acct}} {
		if l.lim == nil {
			continue
		}
		st, err := l.lim.Check(ctx, l.key)
		if err != nil {
			return fmt.Errorf("core: login rate limit: %w", err)
		}
		*l.st = st
	}
	wait := max(pair.RetryAfter, ip.RetryAfter)
	if pair.Failures > 0 {
		wait = max(wait, acct.Wait-pair.Since)
	}
	if wait > 0 {
		return tooManyAttempts(what, wait)
	}
	return nil
}

// loginFailed counts a wrong password for all three keys.
func (c *Core) loginFailed(ctx context.Context, k loginKeys) error {
	for _, l := range []struct {
		lim ratelimit.Limiter
		key string
	}{{c.limits.pair, k.pair}, {c.limits.ip, k.ip}, {c.limits.account, k.acct}} {
		if l.lim == nil {
			continue
		}
		if err := l.lim.Fail(ctx, l.key); err != nil {
			return fmt.Errorf("core: login rate limit: %w", err)
		}
	}
	return nil
}

// loginSucceeded forgets the pair's failures. Not the address's nor the
// account's: one's own password must not clear the count of a spray from
// a shared address, nor of an attack on one's account.
func (c *Core) loginSucceeded(ctx context.Context, k loginKeys, id model.UserID) {
	if c.limits.pair == nil {
		return
	}
	if err := c.limits.pair.Reset(ctx, k.pair); err != nil {
		c.log.Warn("reset login rate limit", "user_id", id, "err", err)
	}
}

// tooManyAttempts says when to come back, in seconds under a minute, else
// in minutes (rounded up, like Retry-After).
func tooManyAttempts(what string, retry time.Duration) error {
	var when string
	if s := int(math.Ceil(retry.Seconds())); s < 60 {
		when = strconv.Itoa(s) + " seconde"
		if s > 1 {
			when += "s"
		}
	} else {
		m := int(math.Ceil(retry.Minutes()))
		when = strconv.Itoa(m) + " minute"
		if m > 1 {
			when += "s"
		}
	}
	e := model.Coded(model.ErrTooMany, "too_many_attempts", what+" Réessayez dans "+when+".")
	e.RetryAfter = retry
	return e
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}

func (c *Core) openSession(ctx context.Context, u model.User) (LoginResult, error) {
	token := auth.NewToken()
	now := c.now().UTC()
	s := model.Session{
		ID:        auth.HashToken(token),
		UserID:    u.ID,
		CSRFToken: auth.NewToken(),
		CreatedAt: now,
		ExpiresAt: now.Add(SessionIdle),
	}
	if err := c.st.Sessions.Insert(ctx, s); err != nil {
		return LoginResult{}, fmt.Errorf("core: open session for %s: %w", u.ID, err)
	}
	return LoginResult{Token: token, CSRFToken: s.CSRFToken, ExpiresAt: s.ExpiresAt, User: userView(u, true)}, nil
}

// Authenticate turns a cookie token into a live session, renewing its
// expiry at most once an hour.
func (c *Core) Authenticate(ctx context.Context, token string) (model.Session, error) {
	if token == "" || len(token) > 128 {
		return model.Session{}, model.ErrUnauthenticated
	}
	s, err := c.st.Sessions.ByID(ctx, auth.HashToken(token))
	if err := lookupErr(err, model.ErrUnauthenticated, "authenticate"); err != nil {
		return model.Session{}, err
	}
	now := c.now().UTC()
	if s.ExpiresAt.Sub(now) < SessionIdle-sessionRenewEvery {
		s.ExpiresAt = now.Add(SessionIdle)
		if err := c.st.Sessions.Touch(ctx, s.ID, s.ExpiresAt); err != nil {
			c.log.Warn("renew session", "user_id", s.UserID, "err", err)
		}
	}
	return s, nil
}

// Logout ends the session.
func (c *Core) Logout(ctx context.Context, s model.Session) error {
	if err := c.st.Sessions.Delete(ctx, s.ID); err != nil {
		return fmt.Errorf("core: logout: %w", err)
	}
	if c.pub != nil {
		if err := c.pub.CloseSession(ctx, s.ID); err != nil {
			c.log.Warn("close connections of session", "user_id", s.UserID, "err", err)
		}
	}
	return nil
}

// UserView is a user as shown to others (email only where allowed): named
// as a message's author is, with the rest of their profile.
type UserView struct {
	AuthorView
	Email     string          `json:"email,omitempty"`
	TitleForm model.TitleForm `json:"title_form,omitempty"`
	RPPS      string          `json:"rpps,omitempty"`
	ADELI     string          `json:"adeli,omitempty"`
	Admin     bool            `json:"admin,omitempty"`
	CreatedAt *time.Time      `json:"created_at,omitempty"`
}

// userView: private=true for the user themself (e-mail, numbers, dates).
func userView(u model.User, private bool) UserView {
	v := UserView{AuthorView: authorView(u), TitleForm: u.TitleForm, Admin: u.Admin, RPPS: u.RPPS, ADELI: u.ADELI}
	if private {
		v.Email = u.Email
		t := u.CreatedAt
		v.CreatedAt = &t
	}
	return v
}

// deletedUser stands for an account that no longer exists (the author of
// a protocol or of one of its versions).
func deletedUser(id model.UserID) UserView {
	return UserView{AuthorView: AuthorView{ID: id, Name: "Compte supprimé"}}
}

// MeView is GET /me.
type MeView struct {
	User        UserView         `json:"user"`
	CSRFToken   string           `json:"csrf_token"`
	Memberships []MembershipView `json:"memberships"`
}

// MembershipView is one of the caller's CPTS memberships. RoleLabel names
// the caller's role in the form they chose; PendingCount, for those who
// manage the CPTS, counts the members waiting for validation (0 for others).
type MembershipView struct {
	CPTSID       model.CPTSID           `json:"cpts_id"`
	CPTSName     string                 `json:"cpts_name"`
	Role         model.Role             `json:"role"`
	RoleLabel    string                 `json:"role_label"`
	Status       model.MembershipStatus `json:"status"`
	PendingCount int                    `json:"pending_count"`
}

// Me describes the caller.
func (c *Core) Me(ctx context.Context, s model.Session) (MeView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return MeView{}, err
	}
	ids := make([]model.CPTSID, 0, len(a.cpts))
	for id := range a.cpts {
		ids = append(ids, id)
	}
	cs, err := c.st.CPTS.ByIDs(ctx, ids)
	if err != nil {
		return MeView{}, fmt.Errorf("core: me: %w", err)
	}
	pending, err := c.pendingCounts(ctx, a, ids)
	if err != nil {
		return MeView{}, err
	}
	out := MeView{User: userView(a.User, true), CSRFToken: s.CSRFToken, Memberships: []MembershipView{}}
	for _, x := range cs {
		m := a.cpts[x.ID]
		out.Memberships = append(out.Memberships, MembershipView{
			CPTSID: x.ID, CPTSName: x.Name, Role: m.Role, RoleLabel: m.Role.LabelFor(a.User.TitleForm),
			Status: m.Status, PendingCount: pending[x.ID],
		})
	}
	return out, nil
}

// ProfilePatch changes some fields of the caller's profile (nil = keep).
type ProfilePatch struct {
	Name       *string
	Profession *model.Profession
	RPPS       *string
	ADELI      *string
	Commune    *string
	TitleForm  *model.TitleForm
}

// UpdateProfile changes the caller's own profile.
func (c *Core) UpdateProfile(ctx context.Context, s model.Session, p ProfilePatch) (UserView, error) {
	u, err := c.st.Users.ByID(ctx, s.UserID)
	if err != nil {
		return UserView{}, fmt.Errorf("core: profile %s: %w", s.UserID, err)
	}
	in := ProfileInput{Name: u.Name, Profession: u.Profession, RPPS: u.RPPS, ADELI: u.ADELI, Commune: u.Commune}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&in.Name, p.Name)
	set(&in.RPPS, p.RPPS)
	set(&in.ADELI, p.ADELI)
	set(&in.Commune, p.Commune)
	if p.Profession != nil {
		in.Profession = *p.Profession
	}
	in, err = validateProfile(in)
	if err != nil {
		return UserView{}, err
	}
	form := u.TitleForm
	if p.TitleForm != nil {
		if !p.TitleForm.Valid() {
			return UserView{}, model.Invalid("title_form", "invalid_title_form",
				"Choisissez la forme de vos titres : féminin, masculin ou inclusif.")
		}
		form = *p.TitleForm
	}
	if nameKey(in.Name) != nameKey(u.Name) {
		if err := c.colleagueNameFree(ctx, u.ID, in.Name); err != nil {
			return UserView{}, err
		}
	}
	if err := c.st.Users.UpdateProfile(ctx, u.ID, in.Name, in.Profession, in.RPPS, in.ADELI, in.Commune, c.now()); err != nil {
		return UserView{}, fmt.Errorf("core: profile %s: %w", u.ID, err)
	}
	if form != u.TitleForm {
		if err := c.st.Users.SetTitleForm(ctx, u.ID, form, c.now()); err != nil {
			return UserView{}, fmt.Errorf("core: profile %s: %w", u.ID, err)
		}
	}
	c.invalidate(ctx, cache.Invalidation{Users: []model.UserID{u.ID}})
	c.touch(ctx, store.OutboxUser, string(u.ID))
	u.Name, u.Profession, u.RPPS, u.ADELI, u.Commune, u.TitleForm = in.Name, in.Profession, in.RPPS, in.ADELI, in.Commune, form
	return userView(u, true), nil
}

// colleagueNameFree refuses a display name that reads as the name of an
// active member, other than self, of one of the CPTS given or of those self
// belongs to. Homonyms are real, so names are not unique platform-wide; but
// within a CPTS the same name would let one member pass for a colleague.
func (c *Core) colleagueNameFree(ctx context.Context, self model.UserID, name string, cpts ...model.CPTSID) error {
	if self != "" {
		ms, err := c.st.Memberships.ByUser(ctx, self)
		if err != nil {
			return fmt.Errorf("core: memberships of %s: %w", self, err)
		}
		for _, m := range ms {
			cpts = append(cpts, m.CPTSID)
		}
	}
	seen := make(map[model.CPTSID]bool, len(cpts))
	var ids []model.UserID
	for _, id := range cpts {
		if seen[id] {
			continue
		}
		seen[id] = true
		ms, err := c.st.Memberships.ByCPTS(ctx, id)
		if err != nil {
			return fmt.Errorf("core: members of %s: %w", id, err)
		}
		for _, m := range ms {
			if m.Status == model.StatusActive && m.UserID != self {
				ids = append(ids, m.UserID)
			}
		}
	}
	us, err := c.st.Users.ByIDs(ctx, ids)
	if err != nil {
		return fmt.Errorf("core: colleague names: %w", err)
	}
	if nameTaken(us, name, self, func(u model.User) (model.UserID, string) { return u.ID, u.Name }) {
		return errColleagueName()
	}
	return nil
}

// ChangePassword checks the current password (under the login limits, ip
// being the client address), applies the policy to the new one and closes
// every other session of the user.
func (c *Core) ChangePassword(ctx context.Context, s model.Session, current, next, ip string) error {
	u, err := c.st.Users.ByID(ctx, s.UserID)
	if err != nil {
		return fmt.Errorf("core: password %s: %w", s.UserID, err)
	}
	// The current password is guessed like a login's: the same limits,
	// the same counts, so a stolen session cannot try more passwords here
	// than at the login form.
	k := loginKeysFor(strings.ToLower(strings.TrimSpace(u.Email)), ip)
	if err := c.loginWait(ctx, k, "Trop de tentatives avec un mot de passe incorrect."); err != nil {
		return err
	}
	ok, _, err := auth.VerifyPassword(current, u.PasswordHash)
	if err != nil || !ok {
		if err := c.loginFailed(ctx, k); err != nil {
			return err
		}
		return model.Invalid("current_password", "wrong_password", "Le mot de passe actuel est incorrect.")
	}
	c.loginSucceeded(ctx, k, u.ID)
	if err := auth.CheckPasswordPolicy(next, u.Email, u.Name); err != nil {
		var inv *model.InvalidError
		if errors.As(err, &inv) {
			inv.Field = "new_password"
		}
		return err
	}
	h, err := auth.HashPassword(next, c.params)
	if err != nil {
		return fmt.Errorf("core: hash password: %w", err)
	}
	if err := c.st.Users.SetPasswordHash(ctx, u.ID, h, c.now()); err != nil {
		return fmt.Errorf("core: password %s: %w", u.ID, err)
	}
	if _, err := c.st.Sessions.DeleteByUser(ctx, u.ID, s.ID); err != nil {
		return fmt.Errorf("core: close other sessions of %s: %w", u.ID, err)
	}
	// The closed sessions' sockets go too; this tab's reconnects at once
	// with its still valid cookie.
	c.closeUser(ctx, u.ID)
	return nil
}
