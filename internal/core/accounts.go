package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/ecpts/ecpts/internal/auth"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/ratelimit"
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

// Login checks a password, with rate limiting per account and per client
// address, and opens a session. ip is the client address as the HTTP layer
// sees it.
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
	// Rate-limit keys never hold the address in clear.
	acctKey := "login:acct:" + shortHash(e)
	ipKey := "login:ip:" + ip
	for _, l := range []struct {
		lim ratelimit.Limiter
		key string
	}{{c.acctRL, acctKey}, {c.ipRL, ipKey}} {
		if l.lim == nil {
			continue
		}
		ok, retry, err := l.lim.Allow(ctx, l.key)
		if err != nil {
			return LoginResult{}, fmt.Errorf("core: login rate limit: %w", err)
		}
		if !ok {
			return LoginResult{}, tooManyAttempts(retry)
		}
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
		if c.acctRL != nil {
			if err := c.acctRL.Fail(ctx, acctKey); err != nil {
				return LoginResult{}, fmt.Errorf("core: login rate limit: %w", err)
			}
		}
		if c.ipRL != nil {
			if err := c.ipRL.Fail(ctx, ipKey); err != nil {
				return LoginResult{}, fmt.Errorf("core: login rate limit: %w", err)
			}
		}
		return LoginResult{}, errBadCredentials
	}
	if c.acctRL != nil {
		if err := c.acctRL.Reset(ctx, acctKey); err != nil {
			c.log.Warn("reset login rate limit", "user_id", u.ID, "err", err)
		}
	}
	if auth.NeedsRehash(u.PasswordHash, c.params) {
		if h, err := auth.HashPassword(password, c.params); err == nil {
			if err := c.st.Users.SetPasswordHash(ctx, u.ID, h, c.now()); err != nil {
				c.log.Warn("rehash password", "user_id", u.ID, "err", err)
			}
		}
	}
	return c.openSession(ctx, u)
}

func tooManyAttempts(retry time.Duration) error {
	minutes := int(math.Ceil(retry.Minutes()))
	if minutes < 1 {
		minutes = 1
	}
	unit := "minutes"
	if minutes == 1 {
		unit = "minute"
	}
	e := model.Coded(model.ErrTooMany, "too_many_attempts",
		"Trop de tentatives de connexion. Réessayez dans "+strconv.Itoa(minutes)+" "+unit+".")
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
	if isNotFound(err) {
		return model.Session{}, model.ErrUnauthenticated
	}
	if err != nil {
		return model.Session{}, fmt.Errorf("core: authenticate: %w", err)
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

// UserView is a user as shown to others (email only where allowed).
type UserView struct {
	ID              model.UserID     `json:"id"`
	Email           string           `json:"email,omitempty"`
	Name            string           `json:"name"`
	Profession      model.Profession `json:"profession"`
	ProfessionLabel string           `json:"profession_label"`
	RPPS            string           `json:"rpps,omitempty"`
	ADELI           string           `json:"adeli,omitempty"`
	Commune         string           `json:"commune,omitempty"`
	Admin           bool             `json:"admin,omitempty"`
	CreatedAt       *time.Time       `json:"created_at,omitempty"`
}

// userView: private=true for the user themself (e-mail, numbers, dates).
func userView(u model.User, private bool) UserView {
	v := UserView{
		ID: u.ID, Name: u.Name, Profession: u.Profession, ProfessionLabel: u.Profession.Label(),
		Commune: u.Commune, Admin: u.Admin, RPPS: u.RPPS, ADELI: u.ADELI,
	}
	if private {
		v.Email = u.Email
		t := u.CreatedAt
		v.CreatedAt = &t
	}
	return v
}

// MeView is GET /me.
type MeView struct {
	User        UserView         `json:"user"`
	CSRFToken   string           `json:"csrf_token"`
	Memberships []MembershipView `json:"memberships"`
}

// MembershipView is one of the caller's CPTS memberships.
type MembershipView struct {
	CPTSID   model.CPTSID           `json:"cpts_id"`
	CPTSName string                 `json:"cpts_name"`
	Role     model.Role             `json:"role"`
	Status   model.MembershipStatus `json:"status"`
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
	out := MeView{User: userView(a.User, true), CSRFToken: s.CSRFToken, Memberships: []MembershipView{}}
	for _, x := range cs {
		m := a.cpts[x.ID]
		out.Memberships = append(out.Memberships, MembershipView{CPTSID: x.ID, CPTSName: x.Name, Role: m.Role, Status: m.Status})
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
	if nameKey(in.Name) != nameKey(u.Name) {
		if err := c.colleagueNameFree(ctx, u.ID, in.Name); err != nil {
			return UserView{}, err
		}
	}
	if err := c.st.Users.UpdateProfile(ctx, u.ID, in.Name, in.Profession, in.RPPS, in.ADELI, in.Commune, c.now()); err != nil {
		return UserView{}, fmt.Errorf("core: profile %s: %w", u.ID, err)
	}
	c.users.forget(u.ID)
	u.Name, u.Profession, u.RPPS, u.ADELI, u.Commune = in.Name, in.Profession, in.RPPS, in.ADELI, in.Commune
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

// ChangePassword checks the current password, applies the policy to the
// new one and closes every other session of the user.
func (c *Core) ChangePassword(ctx context.Context, s model.Session, current, next string) error {
	u, err := c.st.Users.ByID(ctx, s.UserID)
	if err != nil {
		return fmt.Errorf("core: password %s: %w", s.UserID, err)
	}
	ok, _, err := auth.VerifyPassword(current, u.PasswordHash)
	if err != nil || !ok {
		return model.Invalid("current_password", "wrong_password", "Le mot de passe actuel est incorrect.")
	}
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
