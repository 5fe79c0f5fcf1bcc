package core

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ecpts/ecpts/internal/model"
)

// CPTSView is a CPTS with the caller's role in it. PendingCount counts
// the members waiting for validation, for those who manage the CPTS (0
// for others).
type CPTSView struct {
	model.CPTS
	MyRole       model.Role             `json:"my_role,omitempty"`
	MyStatus     model.MembershipStatus `json:"my_status,omitempty"`
	CanManage    bool                   `json:"can_manage"`
	PendingCount int                    `json:"pending_count"`
}

// CPTSRef is the public identity of a CPTS.
type CPTSRef struct {
	ID         model.CPTSID `json:"id"`
	Name       string       `json:"name"`
	Department string       `json:"department,omitempty"`
}

func (c *Core) cptsView(a *Actor, x model.CPTS) CPTSView {
	v := CPTSView{CPTS: x, CanManage: a.CanManageCPTS(x.ID)}
	if m, ok := a.Membership(x.ID); ok {
		v.MyRole, v.MyStatus = m.Role, m.Status
	}
	if v.Communes == nil {
		v.Communes = []string{}
	}
	if v.Missions == nil {
		v.Missions = []model.Mission{}
	}
	return v
}

// ListCPTS returns the caller's CPTS (every CPTS for an admin).
func (c *Core) ListCPTS(ctx context.Context, s model.Session) ([]CPTSView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, err
	}
	var cs []model.CPTS
	if all, ids := a.ListedCPTS(); all {
		cs, err = c.st.CPTS.List(ctx)
	} else {
		cs, err = c.st.CPTS.ByIDs(ctx, ids)
	}
	if err != nil {
		return nil, fmt.Errorf("core: list cpts: %w", err)
	}
	ids := make([]model.CPTSID, 0, len(cs))
	for _, x := range cs {
		ids = append(ids, x.ID)
	}
	pending, err := c.pendingCounts(ctx, a, ids)
	if err != nil {
		return nil, err
	}
	out := make([]CPTSView, 0, len(cs))
	for _, x := range cs {
		v := c.cptsView(a, x)
		v.PendingCount = pending[x.ID]
		out = append(out, v)
	}
	return out, nil
}

// pendingCounts counts the pending members of those of ids the actor
// manages (CanManageCPTS); the others are absent (0).
func (c *Core) pendingCounts(ctx context.Context, a *Actor, ids []model.CPTSID) (map[model.CPTSID]int, error) {
	managed := make([]model.CPTSID, 0, len(ids))
	for _, id := range ids {
		if a.CanManageCPTS(id) {
			managed = append(managed, id)
		}
	}
	out := make(map[model.CPTSID]int, len(managed))
	if len(managed) == 0 {
		return out, nil
	}
	ms, err := c.st.Memberships.Pending(ctx, managed)
	if err != nil {
		return nil, fmt.Errorf("core: pending members: %w", err)
	}
	for _, m := range ms {
		if a.CanSeeMember(m) {
			out[m.CPTSID]++
		}
	}
	return out, nil
}

// CPTSCatalog lists the name of every CPTS: a coordinator picks one to
// invite into a group. Names and departments of CPTS are public facts.
func (c *Core) CPTSCatalog(ctx context.Context, s model.Session) ([]CPTSRef, error) {
	if _, err := c.actor(ctx, s); err != nil {
		return nil, err
	}
	cs, err := c.st.CPTS.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("core: cpts catalog: %w", err)
	}
	out := make([]CPTSRef, 0, len(cs))
	for _, x := range cs {
		out = append(out, CPTSRef{ID: x.ID, Name: x.Name, Department: x.Department})
	}
	return out, nil
}

// actorInCPTS resolves the session's actor, which must see cpts
// (errCPTSNotFound otherwise).
func (c *Core) actorInCPTS(ctx context.Context, s model.Session, cpts model.CPTSID) (*Actor, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, err
	}
	if !a.CanSeeCPTS(cpts) {
		return nil, errCPTSNotFound
	}
	return a, nil
}

// managerOfCPTS resolves the session's actor, which must see cpts
// (errCPTSNotFound otherwise) and manage it (errForbidden otherwise).
func (c *Core) managerOfCPTS(ctx context.Context, s model.Session, cpts model.CPTSID) (*Actor, error) {
	a, err := c.actorInCPTS(ctx, s, cpts)
	if err != nil {
		return nil, err
	}
	if !a.CanManageCPTS(cpts) {
		return nil, errForbidden
	}
	return a, nil
}

// GetCPTS returns one CPTS the caller may see.
func (c *Core) GetCPTS(ctx context.Context, s model.Session, id model.CPTSID) (CPTSView, error) {
	a, err := c.actorInCPTS(ctx, s, id)
	if err != nil {
		return CPTSView{}, err
	}
	x, err := c.st.CPTS.ByID(ctx, id)
	if err := lookupErr(err, errCPTSNotFound, "cpts %s", id); err != nil {
		return CPTSView{}, err
	}
	v := c.cptsView(a, x)
	pending, err := c.pendingCounts(ctx, a, []model.CPTSID{id})
	if err != nil {
		return CPTSView{}, err
	}
	v.PendingCount = pending[id]
	return v, nil
}

// CPTSInput creates a CPTS.
type CPTSInput struct {
	Name       string
	Department string
	Communes   []string
	Missions   []model.Mission
}

var departmentPattern = regexp.MustCompile(`^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])$`)

// CreateCPTS is for platform admins.
func (c *Core) CreateCPTS(ctx context.Context, s model.Session, in CPTSInput) (CPTSView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return CPTSView{}, err
	}
	if !a.CanCreateCPTS() {
		return CPTSView{}, errForbidden
	}
	all, err := c.st.CPTS.List(ctx)
	if err != nil {
		return CPTSView{}, fmt.Errorf("core: create cpts: %w", err)
	}
	name, dep, communes, missions, err := checkCPTS(in, all, "")
	if err != nil {
		return CPTSView{}, err
	}
	x := model.CPTS{
		ID: model.CPTSID(model.NewID()), Name: name, Department: dep, Communes: communes,
		Status: "active", Missions: missions, CreatedAt: c.now().UTC(),
	}
	if err := c.st.CPTS.Insert(ctx, x); err != nil {
		if errors.Is(err, model.ErrConflict) {
			return CPTSView{}, errCPTSNameTaken()
		}
		return CPTSView{}, fmt.Errorf("core: create cpts: %w", err)
	}
	c.log.Info("audit: cpts created", "actor_id", a.ID(), "cpts_id", x.ID)
	c.audit(ctx, model.AuditEntry{ActorID: a.ID(), Action: model.AuditCPTSCreated, CPTSID: x.ID})
	return c.cptsView(a, x), nil
}

// checkCPTS checks and cleans the fields of a CPTS being created or
// edited (self: its id when edited), all being the existing CPTS.
func checkCPTS(in CPTSInput, all []model.CPTS, self model.CPTSID) (name, dep string, communes []string, missions []model.Mission, err error) {
	name, err = cleanName("name", "Le nom", in.Name, true, maxObjectName)
	if err != nil {
		return
	}
	if nameTaken(all, name, self, func(x model.CPTS) (model.CPTSID, string) { return x.ID, x.Name }) {
		err = errCPTSNameTaken()
		return
	}
	dep = strings.ToUpper(strings.TrimSpace(in.Department))
	if !departmentPattern.MatchString(dep) {
		err = model.Invalid("department", "invalid_department", "Le département doit être un numéro de département français (ex. 41, 2A, 974).")
		return
	}
	if len(in.Communes) > 200 {
		err = model.Invalid("communes", "too_many", "Une CPTS compte au plus 200 communes ici.")
		return
	}
	communes = make([]string, 0, len(in.Communes))
	for _, raw := range in.Communes {
		var cm string
		if cm, err = cleanName("communes", "Le nom de commune", raw, true, maxCommune); err != nil {
			return
		}
		if !slices.Contains(communes, cm) {
			communes = append(communes, cm)
		}
	}
	missions = make([]model.Mission, 0, len(in.Missions))
	for _, m := range in.Missions {
		if !model.ValidMission(m) {
			err = model.Invalid("missions", "invalid_mission", "Mission inconnue.")
			return
		}
		if !slices.Contains(missions, m) {
			missions = append(missions, m)
		}
	}
	return
}

// CPTSPatch edits a CPTS (nil = keep).
type CPTSPatch struct {
	Name       *string
	Department *string
	Communes   *[]string
	Missions   *[]model.Mission
	Status     *string
}

// UpdateCPTS edits a CPTS: platform admins only (its coordinators run
// what happens inside it, not its identity).
func (c *Core) UpdateCPTS(ctx context.Context, s model.Session, id model.CPTSID, p CPTSPatch) (CPTSView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return CPTSView{}, err
	}
	if !a.CanSeeCPTS(id) {
		return CPTSView{}, errCPTSNotFound
	}
	if !a.CanEditCPTS() {
		return CPTSView{}, errForbidden
	}
	all, err := c.st.CPTS.List(ctx)
	if err != nil {
		return CPTSView{}, fmt.Errorf("core: update cpts %s: %w", id, err)
	}
	i := slices.IndexFunc(all, func(x model.CPTS) bool { return x.ID == id })
	if i < 0 {
		return CPTSView{}, errCPTSNotFound
	}
	x := all[i]
	in := CPTSInput{Name: x.Name, Department: x.Department, Communes: x.Communes, Missions: x.Missions}
	if p.Name != nil {
		in.Name = *p.Name
	}
	if p.Department != nil {
		in.Department = *p.Department
	}
	if p.Communes != nil {
		in.Communes = *p.Communes
	}
	if p.Missions != nil {
		in.Missions = *p.Missions
	}
	if p.Status != nil {
		if *p.Status != "active" && *p.Status != "projet" {
			return CPTSView{}, model.Invalid("status", "invalid_status", "Le statut d’une CPTS est « projet » ou « active ».")
		}
		x.Status = *p.Status
	}
	if x.Name, x.Department, x.Communes, x.Missions, err = checkCPTS(in, all, id); err != nil {
		return CPTSView{}, err
	}
	if err := c.st.CPTS.Update(ctx, x); err != nil {
		if errors.Is(err, model.ErrConflict) {
			return CPTSView{}, errCPTSNameTaken()
		}
		return CPTSView{}, fmt.Errorf("core: update cpts %s: %w", id, err)
	}
	c.log.Info("audit: cpts updated", "actor_id", a.ID(), "cpts_id", id)
	c.audit(ctx, model.AuditEntry{ActorID: a.ID(), Action: model.AuditCPTSUpdated, CPTSID: id})
	return c.GetCPTS(ctx, s, id)
}

// CPTSOverview is a CPTS as the platform administration sees it: its
// identity and counts, nothing of what is said inside.
type CPTSOverview struct {
	model.CPTS
	Members            int `json:"members"`
	Coordinators       int `json:"coordinators"`
	Pending            int `json:"pending"`
	PendingInvitations int `json:"pending_invitations"`
	Channels           int `json:"channels"`
	Groups             int `json:"groups"`
}

// AdminOverview lists every CPTS with its counts: platform admins only.
func (c *Core) AdminOverview(ctx context.Context, s model.Session) ([]CPTSOverview, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, err
	}
	if !a.CanSeePlatformOverview() {
		return nil, errForbidden
	}
	cs, err := c.st.CPTS.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("core: overview: %w", err)
	}
	counts, err := c.st.Memberships.CountByCPTS(ctx)
	if err != nil {
		return nil, fmt.Errorf("core: overview: %w", err)
	}
	now := c.now().UTC()
	out := make([]CPTSOverview, 0, len(cs))
	for _, x := range cs {
		if x.Communes == nil {
			x.Communes = []string{}
		}
		if x.Missions == nil {
			x.Missions = []model.Mission{}
		}
		n := counts[x.ID]
		v := CPTSOverview{CPTS: x, Members: n.Active, Coordinators: n.Coordinators, Pending: n.Pending}
		chs, err := c.st.Channels.ByCPTS(ctx, x.ID)
		if err != nil {
			return nil, fmt.Errorf("core: overview: %w", err)
		}
		v.Channels = len(chs)
		gs, err := c.st.Groups.ByCPTS(ctx, x.ID)
		if err != nil {
			return nil, fmt.Errorf("core: overview: %w", err)
		}
		v.Groups = len(gs)
		invs, err := c.st.Invitations.PendingByCPTS(ctx, x.ID, now)
		if err != nil {
			return nil, fmt.Errorf("core: overview: %w", err)
		}
		v.PendingInvitations = len(invs)
		out = append(out, v)
	}
	return out, nil
}

// MemberView is a member of a CPTS, group or channel.
type MemberView struct {
	User UserView   `json:"user"`
	Role model.Role `json:"role,omitempty"`
	// RoleLabel names the role in the form the member chose (Coordinatrice).
	RoleLabel string                 `json:"role_label,omitempty"`
	Status    model.MembershipStatus `json:"status,omitempty"`
	CreatedAt string                 `json:"created_at,omitempty"`
}

// CPTSMembers lists a CPTS's members. Coordinators also see pending ones
// and e-mail addresses.
func (c *Core) CPTSMembers(ctx context.Context, s model.Session, id model.CPTSID) ([]MemberView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, err
	}
	if !a.CanSeeCPTSMembers(id) {
		return nil, errCPTSNotFound
	}
	emails := a.CanSeeMemberEmails(id)
	ms, err := c.st.Memberships.ByCPTS(ctx, id)
	ms = slices.DeleteFunc(ms, func(m model.Membership) bool { return !a.CanSeeMember(m) })
	user := func(m model.Membership) model.UserID { return m.UserID }
	return memberViews(ctx, c, "members of "+string(id), ms, err, user, func(u model.User, m model.Membership) MemberView {
		return memberView(u, m, emails)
	})
}

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// memberView is u, member of a CPTS by m, as the CPTS's member lists show
// them; with their e-mail address for those who may see it.
func memberView(u model.User, m model.Membership, email bool) MemberView {
	v := MemberView{User: userView(u, false), Role: m.Role, RoleLabel: m.Role.LabelFor(u.TitleForm), Status: m.Status, CreatedAt: m.CreatedAt.UTC().Format(timeLayout)}
	if email {
		v.User.Email = u.Email
	}
	return v
}

// managerOfMember resolves the session's actor, which must manage cpts
// (managerOfCPTS), and the user it acts on (errMemberNotFound when there
// is none); what names the action in errors.
func (c *Core) managerOfMember(ctx context.Context, s model.Session, cpts model.CPTSID, user model.UserID, what string) (*Actor, model.User, error) {
	a, err := c.managerOfCPTS(ctx, s, cpts)
	if err != nil {
		return nil, model.User{}, err
	}
	u, err := c.st.Users.ByID(ctx, user)
	if err := lookupErr(err, errMemberNotFound, "%s %s", what, user); err != nil {
		return nil, model.User{}, err
	}
	return a, u, nil
}

// ValidateMember turns a pending membership into an active one.
func (c *Core) ValidateMember(ctx context.Context, s model.Session, cpts model.CPTSID, user model.UserID) (MemberView, error) {
	a, u, err := c.managerOfMember(ctx, s, cpts, user, "validate")
	if err != nil {
		return MemberView{}, err
	}
	if !a.CanValidateMember(cpts, u) {
		return MemberView{}, errForbidden
	}
	m, err := c.st.Memberships.Validate(ctx, cpts, user, a.ID(), c.now().UTC())
	if err := lookupErr(err, errMemberNotFound, "validate %s in %s", user, cpts); err != nil {
		return MemberView{}, err
	}
	c.accessChanged(ctx, user)
	c.pendingChanged(ctx, cpts)
	c.log.Info("audit: member validated", "actor_id", a.ID(), "cpts_id", cpts, "user_id", user)
	c.audit(ctx, model.AuditEntry{ActorID: a.ID(), Action: model.AuditMemberValidated, CPTSID: cpts, TargetID: user, Role: m.Role})
	return memberView(u, m, true), nil
}

// SetMemberRole changes a member's role. The last active coordinator of a
// CPTS cannot step down: someone must be able to run it.
func (c *Core) SetMemberRole(ctx context.Context, s model.Session, cpts model.CPTSID, user model.UserID, role model.Role) (MemberView, error) {
	a, err := c.managerOfCPTS(ctx, s, cpts)
	if err != nil {
		return MemberView{}, err
	}
	if !role.Valid() {
		return MemberView{}, model.Invalid("role", "invalid_role", "Le rôle doit être coordinateur, membre ou partenaire.")
	}
	m, err := c.st.Memberships.Get(ctx, cpts, user)
	if err := lookupErr(err, errMemberNotFound, "role of %s in %s", user, cpts); err != nil {
		return MemberView{}, err
	}
	u, err := c.st.Users.ByID(ctx, user)
	if err != nil {
		return MemberView{}, fmt.Errorf("core: role of %s: %w", user, err)
	}
	if !a.CanChangeRole(cpts, u) {
		return MemberView{}, errForbidden
	}
	if m.Role == model.RoleCoordinateur && role != model.RoleCoordinateur && m.Status == model.StatusActive {
		if err := c.keepOneCoordinator(ctx, cpts); err != nil {
			return MemberView{}, err
		}
	}
	if err := c.st.Memberships.SetRole(ctx, cpts, user, role); err != nil {
		return MemberView{}, fmt.Errorf("core: role of %s in %s: %w", user, cpts, err)
	}
	m.Role = role
	c.accessChanged(ctx, user)
	if role == model.RolePartenaire {
		// A partenaire keeps only the channels they were explicitly added to;
		// public channels they merely read are no longer theirs, nor the
		// people they reached through the CPTS alone.
		c.revokeCPTSPublicReads(ctx, cpts, user)
		c.revokeReadOnly(ctx, user)
	}
	c.log.Info("audit: member role changed", "actor_id", a.ID(), "cpts_id", cpts, "user_id", user, "role", role)
	c.audit(ctx, model.AuditEntry{ActorID: a.ID(), Action: model.AuditRoleChanged, CPTSID: cpts, TargetID: user, Role: role})
	return memberView(u, m, true), nil
}

func (c *Core) keepOneCoordinator(ctx context.Context, cpts model.CPTSID) error {
	n, err := c.st.Memberships.CountActiveCoordinators(ctx, cpts)
	if err != nil {
		return fmt.Errorf("core: count coordinators of %s: %w", cpts, err)
	}
	if n <= 1 {
		return model.Coded(model.ErrConflict, "last_coordinator",
			"La CPTS doit garder au moins un coordinateur : nommez-en un autre d’abord.")
	}
	return nil
}

// revokeCPTSPublicReads drops live subscriptions to the public channels of
// the CPTS the user did not join explicitly. Those they joined stay theirs:
// revoking them would stop their live messages there ("unsubscribed" tells
// the client not to subscribe again).
func (c *Core) revokeCPTSPublicReads(ctx context.Context, cpts model.CPTSID, user model.UserID) {
	chans, err := c.st.Channels.ByCPTS(ctx, cpts)
	if err != nil {
		c.log.Error("list channels for revocation", "cpts_id", cpts, "err", err)
		return
	}
	e, err := c.cached.access.Access(ctx, user)
	if err != nil {
		// Revoke them all rather than leave a read that is no longer allowed.
		c.log.Error("channel memberships for revocation", "user_id", user, "err", err)
	}
	joined := make(map[model.ChannelID]bool, len(e.ChannelMembers))
	for _, cm := range e.ChannelMembers {
		joined[cm.ChannelID] = true
	}
	ids := make([]model.ChannelID, 0, len(chans))
	for _, ch := range chans {
		if !joined[ch.ID] {
			ids = append(ids, ch.ID)
		}
	}
	c.revoke(ctx, user, ids, "removed")
}

// RemoveMember removes a member from a CPTS (or lets a member leave):
// their CPTS channels, and the groups they reached only through this CPTS,
// go with it, and their live subscriptions are revoked at once.
func (c *Core) RemoveMember(ctx context.Context, s model.Session, cpts model.CPTSID, user model.UserID) error {
	a, err := c.actorInCPTS(ctx, s, cpts)
	if err != nil {
		return err
	}
	self := user == a.ID()
	if !self && !a.CanManageCPTS(cpts) {
		return errForbidden
	}
	m, err := c.st.Memberships.Get(ctx, cpts, user)
	if err := lookupErr(err, errMemberNotFound, "remove %s from %s", user, cpts); err != nil {
		return err
	}
	if m.Role == model.RoleCoordinateur && m.Status == model.StatusActive {
		if err := c.keepOneCoordinator(ctx, cpts); err != nil {
			return err
		}
	}
	if err := c.st.Memberships.Delete(ctx, cpts, user); err != nil {
		return fmt.Errorf("core: remove %s from %s: %w", user, cpts, err)
	}
	revoked, err := c.cascadeRemoval(ctx, cpts, user)
	c.accessChanged(ctx, user)
	// Revoke what is already gone even if the cascade stopped half way:
	// policy checks memberships on every read, so nothing leaks meanwhile.
	c.revoke(ctx, user, revoked, "removed")
	c.revokeReadOnly(ctx, user)
	action := model.AuditMemberRemoved
	switch {
	case self:
		action = model.AuditMemberLeft
	case m.Status == model.StatusPending:
		action = model.AuditMemberRefused
	}
	c.audit(ctx, model.AuditEntry{ActorID: a.ID(), Action: action, CPTSID: cpts, TargetID: user})
	if err != nil {
		return err
	}
	c.log.Info("audit: member removed", "actor_id", a.ID(), "cpts_id", cpts, "user_id", user)
	return nil
}

// cascadeRemoval drops the user's channel memberships in the CPTS, and
// their group memberships (with the group's channels) where no other CPTS
// of theirs takes part. It returns every channel whose access went.
func (c *Core) cascadeRemoval(ctx context.Context, cpts model.CPTSID, user model.UserID) ([]model.ChannelID, error) {
	chans, err := c.st.Channels.ByCPTS(ctx, cpts)
	if err != nil {
		return nil, fmt.Errorf("core: cascade %s: %w", cpts, err)
	}
	revoked := make([]model.ChannelID, 0, len(chans))
	for _, ch := range chans {
		revoked = append(revoked, ch.ID)
	}
	if _, err := c.st.ChannelMembers.DeleteUserFrom(ctx, user, revoked); err != nil {
		return revoked, fmt.Errorf("core: cascade channels of %s: %w", cpts, err)
	}
	remaining, err := c.st.Memberships.ByUser(ctx, user)
	if err != nil {
		return revoked, fmt.Errorf("core: cascade %s: %w", user, err)
	}
	gms, err := c.st.GroupMembers.ByUser(ctx, user)
	if err != nil {
		return revoked, fmt.Errorf("core: cascade groups of %s: %w", user, err)
	}
	for _, gm := range gms {
		g, err := c.st.Groups.ByID(ctx, gm.GroupID)
		if err != nil {
			return revoked, fmt.Errorf("core: cascade group %s: %w", gm.GroupID, err)
		}
		if groupEligible(g, remaining) {
			continue
		}
		gone, err := c.dropGroupMember(ctx, g, user)
		revoked = append(revoked, gone...)
		if err != nil {
			return revoked, err
		}
	}
	return revoked, nil
}

// RefuseMember turns down a pending membership (an accepted invitation the
// CPTS does not want): the account stays, the membership goes. A member
// validated meanwhile is not removed (not_pending): removal is RemoveMember.
func (c *Core) RefuseMember(ctx context.Context, s model.Session, cpts model.CPTSID, user model.UserID) error {
	a, u, err := c.managerOfMember(ctx, s, cpts, user, "refuse")
	if err != nil {
		return err
	}
	if !a.CanRefuseMember(cpts, u) {
		return errForbidden
	}
	if err := c.st.Memberships.DeletePending(ctx, cpts, user); err != nil {
		switch {
		case isNotFound(err):
			return errMemberNotFound
		case errors.Is(err, model.ErrConflict):
			return model.Coded(model.ErrConflict, "not_pending", "Cette personne a déjà été validée : pour la retirer, utilisez « Retirer de la CPTS ».")
		}
		return fmt.Errorf("core: refuse %s in %s: %w", user, cpts, err)
	}
	c.accessChanged(ctx, user)
	c.pendingChanged(ctx, cpts)
	c.log.Info("audit: member refused", "actor_id", a.ID(), "cpts_id", cpts, "user_id", user)
	c.audit(ctx, model.AuditEntry{ActorID: a.ID(), Action: model.AuditMemberRefused, CPTSID: cpts, TargetID: user})
	return nil
}

// pendingChanged tells the active coordinators of a CPTS, live, that its
// pending members changed (someone accepted an invitation, was validated
// or refused): their clients re-read the counts (access_changed).
func (c *Core) pendingChanged(ctx context.Context, cpts model.CPTSID) {
	if c.pub == nil {
		return
	}
	ids, err := c.activeMembers(ctx, cpts, model.RoleCoordinateur)
	if err == nil && len(ids) > 0 {
		err = c.pub.AccessChanged(ctx, ids)
	}
	if err != nil {
		c.log.Warn("notify coordinators", "cpts_id", cpts, "err", err)
	}
}
