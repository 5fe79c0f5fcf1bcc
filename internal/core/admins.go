package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ecpts/ecpts/internal/auth"
	"github.com/ecpts/ecpts/internal/mailer"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store/cache"
)

// A production install starts with no account: the operator creates the
// first platform administrator on the command line (ecpts admin create),
// either with a password read from standard input or with a set-password
// link sent by e-mail.

// AdminInput creates a platform administrator. An empty Password sends a
// set-password link (which needs the public URL and the mailer).
type AdminInput struct {
	Email    string
	Name     string
	Password string
}

// AdminCreated says what CreatePlatformAdmin did.
type AdminCreated struct {
	User UserView
	// LinkSent: a set-password link was e-mailed (no password given).
	LinkSent bool
}

// setupTTL is how long a set-password link works.
const setupTTL = 72 * time.Hour

var errAdminExists = model.InvalidAs(model.ErrConflict, "email", "email_taken",
	"Un compte existe déjà pour cette adresse : la commande ne crée pas deux fois le même compte (pour un nouveau lien, utilisez une autre adresse ou connectez-vous).")

// CreatePlatformAdmin creates a platform administrator. It refuses an
// address that already has an account (whatever it is) and records the
// creation in the audit log. It is no use case of the API: only the
// operator's command calls it.
func (c *Core) CreatePlatformAdmin(ctx context.Context, in AdminInput) (AdminCreated, error) {
	e, err := normEmail("email", in.Email)
	if err != nil {
		return AdminCreated{}, err
	}
	name := in.Name
	if strings.TrimSpace(name) == "" {
		name = "Administration e-CPTS"
	}
	if name, err = cleanName("name", "Le nom", name, true, maxName); err != nil {
		return AdminCreated{}, err
	}
	if _, err := c.st.Users.ByEmail(ctx, e); err == nil {
		return AdminCreated{}, errAdminExists
	} else if !isNotFound(err) {
		return AdminCreated{}, fmt.Errorf("core: create admin: %w", err)
	}
	now := c.now().UTC()
	u := model.User{
		ID: model.UserID(model.NewID()), Email: e, Name: name, Profession: "coordination", Admin: true,
		CreatedAt: now, UpdatedAt: now,
	}
	var token string
	if in.Password != "" {
		if err := auth.CheckPasswordPolicy(in.Password, e, name); err != nil {
			return AdminCreated{}, err
		}
		if u.PasswordHash, err = auth.HashPassword(in.Password, c.params); err != nil {
			return AdminCreated{}, fmt.Errorf("core: hash password: %w", err)
		}
	} else {
		if c.mail.public == "" {
			return AdminCreated{}, model.Coded(ErrNotConfigured, "public_url_missing",
				"Le lien pour choisir un mot de passe est construit sur ECPTS_PUBLIC_URL, qui n'est pas configurée : configurez-la, ou donnez le mot de passe sur l'entrée standard (--password-stdin).")
		}
		token = auth.NewToken()
		u.SetupHash, u.SetupExpiresAt = auth.HashToken(token), now.Add(setupTTL)
	}
	if err := c.st.Users.Insert(ctx, u); err != nil {
		if errors.Is(err, model.ErrConflict) {
			return AdminCreated{}, errAdminExists
		}
		return AdminCreated{}, fmt.Errorf("core: create admin: %w", err)
	}
	if token != "" {
		link := strings.TrimRight(c.mail.public, "/") + "/mot-de-passe/" + token
		m := mailer.Mail{
			To:      e,
			Subject: "Votre compte d'administration e-CPTS",
			Text: "Bonjour,\n\nUn compte d'administration de la plateforme e-CPTS a été créé pour cette adresse.\n\n" +
				"Pour choisir votre mot de passe, ouvrez ce lien :\n" + link + "\n\n" +
				"Ce lien est personnel et valable 3 jours. Si vous n'attendiez pas ce message, ignorez-le.\n\n— e-CPTS\n",
		}
		if err := c.mail.send.Send(ctx, m); err != nil {
			// Nobody got the link: the account must not stay, unusable.
			if derr := c.st.Users.Delete(ctx, u.ID); derr != nil {
				c.log.Error("undo admin creation", "user_id", u.ID, "err", derr)
			}
			return AdminCreated{}, model.Coded(ErrUpstream, "mail_failed",
				"L'e-mail avec le lien n'a pas pu être envoyé (vérifiez ECPTS_SMTP_URL) ; aucun compte n'a été créé.")
		}
	}
	c.log.Info("audit: platform admin created", "user_id", u.ID)
	c.audit(ctx, model.AuditEntry{ActorID: u.ID, Action: model.AuditAdminCreated, TargetID: u.ID})
	return AdminCreated{User: userView(u, true), LinkSent: token != ""}, nil
}

// PasswordSetupInfo is what the set-password page shows.
type PasswordSetupInfo struct {
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	ExpiresAt time.Time `json:"expires_at"`
}

var errSetupNotFound = model.Coded(model.ErrNotFound, "setup_link_not_found",
	"Ce lien n'est pas (ou plus) valable : il a peut-être déjà servi.")

func (c *Core) setupUser(ctx context.Context, token string) (model.User, error) {
	if token == "" || len(token) > 128 {
		return model.User{}, errSetupNotFound
	}
	u, err := c.st.Users.BySetupHash(ctx, auth.HashToken(token))
	if isNotFound(err) {
		return model.User{}, errSetupNotFound
	}
	if err != nil {
		return model.User{}, fmt.Errorf("core: setup link: %w", err)
	}
	if !c.now().Before(u.SetupExpiresAt) {
		return model.User{}, model.Coded(model.ErrGone, "setup_link_expired",
			"Ce lien a expiré : relancez « ecpts admin create » avec une autre adresse, ou demandez à un administrateur.")
	}
	return u, nil
}

// PasswordSetupInfo describes a usable set-password link (the token is
// the credential).
func (c *Core) PasswordSetupInfo(ctx context.Context, token string) (PasswordSetupInfo, error) {
	u, err := c.setupUser(ctx, token)
	if err != nil {
		return PasswordSetupInfo{}, err
	}
	return PasswordSetupInfo{Email: u.Email, Name: u.Name, ExpiresAt: u.SetupExpiresAt}, nil
}

// CompletePasswordSetup sets the password of a set-password link (once)
// and opens a session.
func (c *Core) CompletePasswordSetup(ctx context.Context, token, password string) (LoginResult, error) {
	u, err := c.setupUser(ctx, token)
	if err != nil {
		return LoginResult{}, err
	}
	if err := auth.CheckPasswordPolicy(password, u.Email, u.Name); err != nil {
		return LoginResult{}, err
	}
	h, err := auth.HashPassword(password, c.params)
	if err != nil {
		return LoginResult{}, fmt.Errorf("core: hash password: %w", err)
	}
	if err := c.st.Users.CompleteSetup(ctx, u.ID, u.SetupHash, h, c.now()); err != nil {
		if isNotFound(err) {
			return LoginResult{}, errSetupNotFound
		}
		return LoginResult{}, fmt.Errorf("core: setup password: %w", err)
	}
	c.invalidate(ctx, cache.Invalidation{Users: []model.UserID{u.ID}})
	u.PasswordHash, u.SetupHash = h, ""
	return c.openSession(ctx, u)
}
