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
)

// InvitationView is an invitation as coordinators see it.
type InvitationView struct {
	ID        string       `json:"id"`
	Email     string       `json:"email"`
	CPTSID    model.CPTSID `json:"cpts_id"`
	Role      model.Role   `json:"role"`
	CreatedAt time.Time    `json:"created_at"`
	ExpiresAt time.Time    `json:"expires_at"`
}

func invitationView(i model.Invitation) InvitationView {
	return InvitationView{ID: i.ID, Email: i.Email, CPTSID: i.CPTSID, Role: i.Role, CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt}
}

var roleLabels = map[model.Role]string{
	model.RoleCoordinateur: "coordinateur·rice",
	model.RoleMembre:       "membre",
	model.RolePartenaire:   "partenaire",
}

// Invite sends an invitation e-mail to join a CPTS. Its link is built on
// the configured public URL alone, never on a request header (anyone may
// write Host or X-Forwarded-Host); without one nobody is invited. An
// earlier pending invitation of the same address to the same CPTS is
// revoked: the newest link is the only valid one.
func (c *Core) Invite(ctx context.Context, s model.Session, cpts model.CPTSID, email string, role model.Role) (InvitationView, error) {
	a, err := c.managerOfCPTS(ctx, s, cpts)
	if err != nil {
		return InvitationView{}, err
	}
	e, err := normEmail("email", email)
	if err != nil {
		return InvitationView{}, err
	}
	if !role.Valid() {
		return InvitationView{}, model.Invalid("role", "invalid_role", "Le rôle doit être coordinateur, membre ou partenaire.")
	}
	if !a.CanInviteRole(cpts, role) {
		return InvitationView{}, errForbidden
	}
	if c.mail.public == "" {
		return InvitationView{}, errPublicURLMissing
	}
	x, err := c.st.CPTS.ByID(ctx, cpts)
	if err := lookupErr(err, errCPTSNotFound, "invite to %s", cpts); err != nil {
		return InvitationView{}, err
	}
	if u, err := c.st.Users.ByEmail(ctx, e); err == nil {
		if _, err := c.st.Memberships.Get(ctx, cpts, u.ID); err == nil {
			return InvitationView{}, model.InvalidAs(model.ErrConflict, "email", "already_member", "Cette personne est déjà membre de la CPTS.")
		} else if !isNotFound(err) {
			return InvitationView{}, fmt.Errorf("core: invite to %s: %w", cpts, err)
		}
	} else if !isNotFound(err) {
		return InvitationView{}, fmt.Errorf("core: invite to %s: %w", cpts, err)
	}
	now := c.now().UTC()
	pending, err := c.st.Invitations.PendingByCPTS(ctx, cpts, now)
	if err != nil {
		return InvitationView{}, fmt.Errorf("core: invite to %s: %w", cpts, err)
	}
	token := auth.NewToken()
	inv := model.Invitation{
		ID: model.NewID(), TokenHash: auth.HashToken(token), Email: e, CPTSID: cpts, Role: role,
		InvitedBy: a.ID(), CreatedAt: now, ExpiresAt: now.Add(invitationTTL),
	}
	if err := c.st.Invitations.Insert(ctx, inv); err != nil {
		return InvitationView{}, fmt.Errorf("core: invite to %s: %w", cpts, err)
	}
	link := strings.TrimRight(c.mail.public, "/") + "/invitation/" + token
	m := mailer.Mail{
		To:      e,
		Subject: "Invitation à rejoindre " + model.CPTSWithArticle(x.Name) + " sur e-CPTS",
		Text: "Bonjour,\n\n" + a.User.Name + " vous invite à rejoindre " + model.CPTSWithArticle(x.Name) +
			" sur e-CPTS, en tant que " + roleLabels[role] + ".\n\n" +
			"Pour accepter l’invitation et créer votre compte, ouvrez ce lien :\n" + link + "\n\n" +
			"Ce lien est personnel et valable 7 jours. Si vous n’attendiez pas cette invitation, ignorez ce message.\n\n" +
			"— e-CPTS\n",
	}
	if err := c.mail.send.Send(ctx, m); err != nil {
		// Nobody received the link: the invitation must not stay usable.
		if rerr := c.st.Invitations.Revoke(ctx, inv.ID, now); rerr != nil {
			c.log.Error("revoke unsent invitation", "invitation_id", inv.ID, "err", rerr)
		}
		c.log.Error("send invitation", "invitation_id", inv.ID, "err", err)
		return InvitationView{}, model.Coded(ErrUpstream, "mail_failed",
			"L’e-mail d’invitation n’a pas pu être envoyé. Réessayez dans quelques minutes.")
	}
	for _, old := range pending {
		if old.Email == e {
			if err := c.st.Invitations.Revoke(ctx, old.ID, now); err != nil && !isNotFound(err) {
				c.log.Warn("revoke superseded invitation", "invitation_id", old.ID, "err", err)
			}
		}
	}
	c.log.Info("audit: invitation sent", "actor_id", a.ID(), "cpts_id", cpts, "invitation_id", inv.ID, "role", role)
	c.audit(ctx, model.AuditEntry{ActorID: a.ID(), Action: model.AuditInvitationCreated, CPTSID: cpts, InvitationID: inv.ID, Role: role})
	return invitationView(inv), nil
}

// ErrUpstream marks a failure of a service core depends on (the mailer):
// 502 (internal/apierr's table).
var ErrUpstream = model.ErrUpstream

// ErrNotConfigured marks a feature the operator has not configured: 503
// (internal/apierr's table).
var ErrNotConfigured = model.ErrNotConfigured

var errPublicURLMissing = model.Coded(ErrNotConfigured, "public_url_missing",
	"Les invitations sont désactivées : l’adresse publique d’e-CPTS (ECPTS_PUBLIC_URL) n’est pas configurée. Prévenez l’administrateur de la plateforme.")

// Invitations lists the pending invitations of a CPTS.
func (c *Core) Invitations(ctx context.Context, s model.Session, cpts model.CPTSID) ([]InvitationView, error) {
	if _, err := c.managerOfCPTS(ctx, s, cpts); err != nil {
		return nil, err
	}
	is, err := c.st.Invitations.PendingByCPTS(ctx, cpts, c.now().UTC())
	if err != nil {
		return nil, fmt.Errorf("core: invitations of %s: %w", cpts, err)
	}
	out := make([]InvitationView, 0, len(is))
	for _, i := range is {
		out = append(out, invitationView(i))
	}
	return out, nil
}

// RevokeInvitation cancels a pending invitation.
func (c *Core) RevokeInvitation(ctx context.Context, s model.Session, cpts model.CPTSID, id string) error {
	a, err := c.managerOfCPTS(ctx, s, cpts)
	if err != nil {
		return err
	}
	inv, err := c.st.Invitations.ByID(ctx, id)
	if isNotFound(err) || (err == nil && inv.CPTSID != cpts) {
		return errInvitationNotFound
	}
	if err != nil {
		return fmt.Errorf("core: revoke invitation %s: %w", id, err)
	}
	if err := c.st.Invitations.Revoke(ctx, id, c.now().UTC()); err != nil {
		if isNotFound(err) {
			return model.Coded(model.ErrGone, "invitation_used", "Cette invitation a déjà été utilisée.")
		}
		return fmt.Errorf("core: revoke invitation %s: %w", id, err)
	}
	c.log.Info("audit: invitation revoked", "actor_id", a.ID(), "cpts_id", cpts, "invitation_id", id)
	c.audit(ctx, model.AuditEntry{ActorID: a.ID(), Action: model.AuditInvitationRevoked, CPTSID: cpts, InvitationID: id})
	return nil
}

// InvitationInfo is what the invitation page shows before acceptance.
type InvitationInfo struct {
	Email           string     `json:"email"`
	CPTSName        string     `json:"cpts_name"`
	Role            model.Role `json:"role"`
	InvitedByName   string     `json:"invited_by_name"`
	ExpiresAt       time.Time  `json:"expires_at"`
	ExistingAccount bool       `json:"existing_account"`
}

// usableInvitation finds an invitation by token and says why it cannot be
// used when it cannot.
func (c *Core) usableInvitation(ctx context.Context, token string) (model.Invitation, error) {
	if token == "" || len(token) > 128 {
		return model.Invitation{}, errInvitationNotFound
	}
	inv, err := c.st.Invitations.ByTokenHash(ctx, auth.HashToken(token))
	if err := lookupErr(err, errInvitationNotFound, "invitation"); err != nil {
		return model.Invitation{}, err
	}
	switch {
	case inv.AcceptedAt != nil:
		return inv, model.Coded(model.ErrGone, "invitation_used", "Cette invitation a déjà été utilisée.")
	case inv.RevokedAt != nil:
		return inv, model.Coded(model.ErrGone, "invitation_revoked", "Cette invitation a été annulée par la coordination.")
	case !c.now().Before(inv.ExpiresAt):
		return inv, model.Coded(model.ErrGone, "invitation_expired", "Cette invitation a expiré : demandez-en une nouvelle à la coordination de la CPTS.")
	}
	return inv, nil
}

// InvitationInfo describes a usable invitation (no session needed: the
// token is the credential).
func (c *Core) InvitationInfo(ctx context.Context, token string) (InvitationInfo, error) {
	inv, err := c.usableInvitation(ctx, token)
	if err != nil {
		return InvitationInfo{}, err
	}
	x, err := c.st.CPTS.ByID(ctx, inv.CPTSID)
	if err != nil {
		return InvitationInfo{}, fmt.Errorf("core: invitation cpts %s: %w", inv.CPTSID, err)
	}
	info := InvitationInfo{Email: inv.Email, CPTSName: x.Name, Role: inv.Role, ExpiresAt: inv.ExpiresAt}
	if by, err := c.st.Users.ByID(ctx, inv.InvitedBy); err == nil {
		info.InvitedByName = by.Name
	}
	if _, err := c.st.Users.ByEmail(ctx, inv.Email); err == nil {
		info.ExistingAccount = true
	} else if !isNotFound(err) {
		return InvitationInfo{}, fmt.Errorf("core: invitation: %w", err)
	}
	return info, nil
}

// AcceptInput creates the account of a new member.
type AcceptInput struct {
	Profile  ProfileInput
	Password string
}

// AcceptResult: the membership, and a new session when an account was
// created (Login.Token empty otherwise).
type AcceptResult struct {
	Login      LoginResult
	Membership MembershipView
}

// AcceptInvitation accepts an invitation. A new address gets an account
// (every field checked before anything is written); an existing account
// must be the logged-in caller (s). The invitation is claimed atomically,
// so a link works once, and released again if what follows fails.
func (c *Core) AcceptInvitation(ctx context.Context, token string, s model.Session, in AcceptInput) (AcceptResult, error) {
	inv, err := c.usableInvitation(ctx, token)
	if err != nil {
		return AcceptResult{}, err
	}
	existing, err := c.st.Users.ByEmail(ctx, inv.Email)
	switch {
	case err == nil:
		if s.UserID != existing.ID {
			return AcceptResult{}, model.Coded(model.ErrUnauthenticated, "login_required",
				"Un compte existe déjà pour cette adresse : connectez-vous avec ce compte pour accepter l’invitation.")
		}
	case isNotFound(err):
		if s.UserID != "" {
			// Logged in as someone else: this invitation is for another address.
			return AcceptResult{}, model.Coded(model.ErrForbidden, "wrong_account",
				"Cette invitation est destinée à une autre adresse e-mail : déconnectez-vous pour l’accepter.")
		}
	default:
		return AcceptResult{}, fmt.Errorf("core: accept invitation: %w", err)
	}
	now := c.now().UTC()
	var newUser *model.User
	if existing.ID == "" {
		p, err := validateProfile(in.Profile)
		if err != nil {
			return AcceptResult{}, err
		}
		if err := c.colleagueNameFree(ctx, "", p.Name, inv.CPTSID); err != nil {
			return AcceptResult{}, err
		}
		if err := auth.CheckPasswordPolicy(in.Password, inv.Email, p.Name); err != nil {
			return AcceptResult{}, err
		}
		h, err := auth.HashPassword(in.Password, c.params)
		if err != nil {
			return AcceptResult{}, fmt.Errorf("core: hash password: %w", err)
		}
		newUser = &model.User{
			ID: model.UserID(model.NewID()), Email: inv.Email, Name: p.Name, Profession: p.Profession,
			RPPS: p.RPPS, ADELI: p.ADELI, Commune: p.Commune, PasswordHash: h, CreatedAt: now, UpdatedAt: now,
		}
		existing = *newUser
	}
	if err := c.st.Invitations.Claim(ctx, inv.ID, existing.ID, now); err != nil {
		if errors.Is(err, model.ErrConflict) {
			return AcceptResult{}, model.Coded(model.ErrGone, "invitation_used", "Cette invitation a déjà été utilisée.")
		}
		return AcceptResult{}, fmt.Errorf("core: claim invitation %s: %w", inv.ID, err)
	}
	release := func(cause error) error {
		if err := c.st.Invitations.Unclaim(ctx, inv.ID); err != nil {
			c.log.Error("release invitation", "invitation_id", inv.ID, "err", err)
		}
		return cause
	}
	if newUser != nil {
		if err := c.st.Users.Insert(ctx, *newUser); err != nil {
			if errors.Is(err, model.ErrConflict) {
				return AcceptResult{}, release(model.InvalidAs(model.ErrConflict, "email", "email_taken",
					"Un compte existe déjà pour cette adresse e-mail : connectez-vous pour accepter l’invitation."))
			}
			return AcceptResult{}, release(fmt.Errorf("core: create user: %w", err))
		}
	}
	m := model.Membership{CPTSID: inv.CPTSID, UserID: existing.ID, Role: inv.Role, Status: model.StatusPending, CreatedAt: now}
	// A coordinator named by a platform admin starts active.
	named := false
	if inviter, err := c.actorOf(ctx, inv.InvitedBy); err == nil && inviter.NamesCoordinator(inv.CPTSID, inv.Role, existing) {
		named = true
		m.Status, m.ValidatedAt, m.ValidatedBy = model.StatusActive, &now, inv.InvitedBy
	} else if err != nil && !isNotFound(err) {
		return AcceptResult{}, release(fmt.Errorf("core: inviter of %s: %w", inv.ID, err))
	}
	if err := c.st.Memberships.Insert(ctx, m); err != nil {
		if !errors.Is(err, model.ErrConflict) {
			if newUser != nil {
				if derr := c.st.Users.Delete(ctx, newUser.ID); derr != nil {
					c.log.Error("undo user creation", "user_id", newUser.ID, "err", derr)
				}
			}
			return AcceptResult{}, release(fmt.Errorf("core: membership: %w", err))
		}
		// Already a member (invited twice): keep the existing membership.
		named = false
		if m, err = c.st.Memberships.Get(ctx, inv.CPTSID, existing.ID); err != nil {
			return AcceptResult{}, fmt.Errorf("core: membership: %w", err)
		}
	}
	c.accessChanged(ctx, existing.ID)
	if m.Status == model.StatusPending {
		c.pendingChanged(ctx, inv.CPTSID)
	}
	x, err := c.st.CPTS.ByID(ctx, inv.CPTSID)
	if err != nil {
		return AcceptResult{}, fmt.Errorf("core: accept: %w", err)
	}
	res := AcceptResult{Membership: MembershipView{CPTSID: x.ID, CPTSName: x.Name, Role: m.Role, Status: m.Status}}
	c.log.Info("audit: invitation accepted", "user_id", existing.ID, "cpts_id", inv.CPTSID, "invitation_id", inv.ID)
	c.audit(ctx, model.AuditEntry{ActorID: existing.ID, Action: model.AuditInvitationAccepted, CPTSID: inv.CPTSID, TargetID: existing.ID, InvitationID: inv.ID, Role: m.Role})
	if named && m.Status == model.StatusActive {
		c.audit(ctx, model.AuditEntry{ActorID: inv.InvitedBy, Action: model.AuditMemberValidated, CPTSID: inv.CPTSID, TargetID: existing.ID, InvitationID: inv.ID, Role: m.Role})
	}
	if newUser != nil {
		if res.Login, err = c.openSession(ctx, *newUser); err != nil {
			return AcceptResult{}, err
		}
	} else {
		res.Login = LoginResult{CSRFToken: s.CSRFToken, User: userView(existing, true)}
	}
	return res, nil
}
