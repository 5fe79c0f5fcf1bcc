package core

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/ecpts/ecpts/internal/model"
)

// GroupView is a group with what the caller may do with it.
type GroupView struct {
	model.Group
	CPTS      []CPTSRef  `json:"cpts"`
	InterCPTS bool       `json:"inter_cpts"`
	MyRole    model.Role `json:"my_role,omitempty"`
	CanManage bool       `json:"can_manage"`
}

func (c *Core) groupViews(ctx context.Context, a *Actor, gs []model.Group) ([]GroupView, error) {
	var ids []model.CPTSID
	for _, g := range gs {
		ids = append(ids, g.CPTSIDs...)
	}
	slices.Sort(ids)
	cs, err := c.st.CPTS.ByIDs(ctx, slices.Compact(ids))
	if err != nil {
		return nil, fmt.Errorf("core: group cpts: %w", err)
	}
	names := make(map[model.CPTSID]CPTSRef, len(cs))
	for _, x := range cs {
		names[x.ID] = CPTSRef{ID: x.ID, Name: x.Name, Department: x.Department}
	}
	out := make([]GroupView, 0, len(gs))
	for _, g := range gs {
		v := GroupView{Group: g, InterCPTS: g.InterCPTS(), CanManage: a.CanManageGroup(g), CPTS: []CPTSRef{}}
		for _, id := range g.CPTSIDs {
			if r, ok := names[id]; ok {
				v.CPTS = append(v.CPTS, r)
			}
		}
		if gm, ok := a.groups[g.ID]; ok {
			v.MyRole = gm.Role
		}
		out = append(out, v)
	}
	return out, nil
}

// groupView is groupViews of one group.
func (c *Core) groupView(ctx context.Context, a *Actor, g model.Group) (GroupView, error) {
	vs, err := c.groupViews(ctx, a, []model.Group{g})
	if err != nil {
		return GroupView{}, err
	}
	return vs[0], nil
}

// ListGroups returns the groups the caller sees: theirs, and those of the
// CPTS they coordinate.
func (c *Core) ListGroups(ctx context.Context, s model.Session) ([]GroupView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, err
	}
	seen := map[model.GroupID]bool{}
	var gs []model.Group
	ids := slices.Collect(maps.Keys(a.groups))
	mine, err := c.st.Groups.ByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("core: list groups: %w", err)
	}
	add := func(list []model.Group) {
		for _, g := range list {
			if !seen[g.ID] && a.CanSeeGroup(g) {
				seen[g.ID] = true
				gs = append(gs, g)
			}
		}
	}
	add(mine)
	for id := range a.cpts {
		if !a.isCoordinator(id) {
			continue
		}
		more, err := c.st.Groups.ByCPTS(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("core: list groups of %s: %w", id, err)
		}
		add(more)
	}
	sortFolded(gs, func(g model.Group) string { return g.Name })
	return c.groupViews(ctx, a, gs)
}

// groupNameFree refuses a name that reads as the name of another group
// (self excepted) owned by the same CPTS, the scope of the store's unique
// index.
func (c *Core) groupNameFree(ctx context.Context, owner model.CPTSID, name string, self model.GroupID) error {
	gs, err := c.st.Groups.ByCPTS(ctx, owner)
	if err != nil {
		return fmt.Errorf("core: group names of %s: %w", owner, err)
	}
	// ByCPTS also lists the groups of other CPTS this one was invited into.
	gs = slices.DeleteFunc(gs, func(g model.Group) bool { return g.OwnerCPTS != owner })
	if nameTaken(gs, name, self, func(g model.Group) (model.GroupID, string) { return g.ID, g.Name }) {
		return errGroupNameTaken()
	}
	return nil
}

// actorGroup resolves the session's actor and a group it may see.
func (c *Core) actorGroup(ctx context.Context, s model.Session, id model.GroupID) (*Actor, model.Group, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, model.Group{}, err
	}
	g, err := c.group(ctx, a, id)
	return a, g, err
}

// group loads a group the actor may see.
func (c *Core) group(ctx context.Context, a *Actor, id model.GroupID) (model.Group, error) {
	g, err := c.st.Groups.ByID(ctx, id)
	if err := lookupErr(err, errGroupNotFound, "group %s", id); err != nil {
		return model.Group{}, err
	}
	if !a.CanSeeGroup(g) {
		return model.Group{}, errGroupNotFound
	}
	return g, nil
}

// GetGroup returns one group.
func (c *Core) GetGroup(ctx context.Context, s model.Session, id model.GroupID) (GroupView, error) {
	a, g, err := c.actorGroup(ctx, s, id)
	if err != nil {
		return GroupView{}, err
	}
	return c.groupView(ctx, a, g)
}

// GroupInput creates a group.
type GroupInput struct {
	Name        string
	Description string
	CPTSID      model.CPTSID
	InvitedCPTS []model.CPTSID
}

// CreateGroup creates a group owned by a CPTS the caller coordinates,
// possibly inviting other CPTS at once. The creator becomes its coordinator.
func (c *Core) CreateGroup(ctx context.Context, s model.Session, in GroupInput) (GroupView, error) {
	a, err := c.actorInCPTS(ctx, s, in.CPTSID)
	if err != nil {
		return GroupView{}, err
	}
	if !a.CanCreateGroup(in.CPTSID) {
		return GroupView{}, errForbidden
	}
	name, err := cleanName("name", "Le nom du groupe", in.Name, true, maxObjectName)
	if err != nil {
		return GroupView{}, err
	}
	if err := c.groupNameFree(ctx, in.CPTSID, name, ""); err != nil {
		return GroupView{}, err
	}
	desc, err := text("description", "La description", in.Description, false, maxDescription)
	if err != nil {
		return GroupView{}, err
	}
	ids := []model.CPTSID{in.CPTSID}
	for _, id := range in.InvitedCPTS {
		if slices.Contains(ids, id) {
			continue
		}
		if err := c.checkCPTS(ctx, id, "invited_cpts_ids", "Une des CPTS invitées est introuvable."); err != nil {
			return GroupView{}, err
		}
		ids = append(ids, id)
	}
	if len(ids) > 20 {
		return GroupView{}, model.Invalid("invited_cpts_ids", "too_many", "Un groupe réunit au plus 20 CPTS.")
	}
	now := c.now().UTC()
	g := model.Group{ID: model.GroupID(model.NewID()), Name: name, Description: desc, OwnerCPTS: in.CPTSID, CPTSIDs: ids, CreatedBy: a.ID(), CreatedAt: now}
	if err := c.st.Groups.Insert(ctx, g); err != nil {
		if errors.Is(err, model.ErrConflict) {
			return GroupView{}, errGroupNameTaken()
		}
		return GroupView{}, fmt.Errorf("core: create group: %w", err)
	}
	if err := c.st.GroupMembers.Insert(ctx, model.GroupMember{GroupID: g.ID, UserID: a.ID(), Role: model.RoleCoordinateur, AddedBy: a.ID(), CreatedAt: now}); err != nil && !errors.Is(err, model.ErrConflict) {
		return GroupView{}, fmt.Errorf("core: create group %s: %w", g.ID, err)
	}
	a.groups[g.ID] = model.GroupMember{GroupID: g.ID, UserID: a.ID(), Role: model.RoleCoordinateur}
	c.accessChanged(ctx, a.ID())
	c.log.Info("audit: group created", "actor_id", a.ID(), "group_id", g.ID, "cpts_id", in.CPTSID)
	return c.groupView(ctx, a, g)
}

// GroupPatch renames or describes a group.
type GroupPatch struct {
	Name        *string
	Description *string
}

// UpdateGroup changes the name or description of a group.
func (c *Core) UpdateGroup(ctx context.Context, s model.Session, id model.GroupID, p GroupPatch) (GroupView, error) {
	a, g, err := c.actorGroup(ctx, s, id)
	if err != nil {
		return GroupView{}, err
	}
	if !a.CanManageGroup(g) {
		return GroupView{}, errForbidden
	}
	if p.Name != nil {
		if g.Name, err = cleanName("name", "Le nom du groupe", *p.Name, true, maxObjectName); err != nil {
			return GroupView{}, err
		}
		if err := c.groupNameFree(ctx, g.OwnerCPTS, g.Name, g.ID); err != nil {
			return GroupView{}, err
		}
	}
	if p.Description != nil {
		if g.Description, err = text("description", "La description", *p.Description, false, maxDescription); err != nil {
			return GroupView{}, err
		}
	}
	if err := c.st.Groups.Update(ctx, g.ID, g.Name, g.Description); err != nil {
		if errors.Is(err, model.ErrConflict) {
			return GroupView{}, errGroupNameTaken()
		}
		return GroupView{}, fmt.Errorf("core: update group %s: %w", id, err)
	}
	return c.groupView(ctx, a, g)
}

// InviteCPTSToGroup makes a group inter-CPTS: the coordinators of the
// invited CPTS can then add their own members.
func (c *Core) InviteCPTSToGroup(ctx context.Context, s model.Session, id model.GroupID, cpts model.CPTSID) (GroupView, error) {
	a, g, err := c.actorGroup(ctx, s, id)
	if err != nil {
		return GroupView{}, err
	}
	if !a.CanInviteCPTSToGroup(g) {
		return GroupView{}, errForbidden
	}
	if err := c.checkCPTS(ctx, cpts, "cpts_id", "Cette CPTS est introuvable."); err != nil {
		return GroupView{}, err
	}
	if !g.HasCPTS(cpts) {
		if len(g.CPTSIDs) >= 20 {
			return GroupView{}, model.Invalid("cpts_id", "too_many", "Un groupe réunit au plus 20 CPTS.")
		}
		if err := c.st.Groups.AddCPTS(ctx, g.ID, cpts); err != nil {
			return GroupView{}, fmt.Errorf("core: invite cpts %s to %s: %w", cpts, g.ID, err)
		}
		g.CPTSIDs = append(g.CPTSIDs, cpts)
		c.log.Info("audit: cpts invited to group", "actor_id", a.ID(), "group_id", g.ID, "cpts_id", cpts)
	}
	return c.groupView(ctx, a, g)
}

// checkCPTS is nil when the CPTS id exists; else the invalid_cpts error of
// field (msg), or the store's error.
func (c *Core) checkCPTS(ctx context.Context, id model.CPTSID, field, msg string) error {
	if model.ValidID(string(id)) {
		_, err := c.st.CPTS.ByID(ctx, id)
		if err == nil {
			return nil
		}
		if !isNotFound(err) {
			return fmt.Errorf("core: cpts %s: %w", id, err)
		}
	}
	return model.Invalid(field, "invalid_cpts", msg)
}

// GroupMembers lists the members of a group.
func (c *Core) GroupMembers(ctx context.Context, s model.Session, id model.GroupID) ([]MemberView, error) {
	_, g, err := c.actorGroup(ctx, s, id)
	if err != nil {
		return nil, err
	}
	gms, err := c.st.GroupMembers.ByGroup(ctx, g.ID)
	user := func(gm model.GroupMember) model.UserID { return gm.UserID }
	return memberViews(ctx, c, "members of group "+string(id), gms, err, user, groupMemberView)
}

// groupMemberView is u, member of a group by gm, as its member list shows
// them.
func groupMemberView(u model.User, gm model.GroupMember) MemberView {
	return MemberView{User: userView(u, false), Role: gm.Role, RoleLabel: gm.Role.LabelFor(u.TitleForm), CreatedAt: gm.CreatedAt.UTC().Format(timeLayout)}
}

// AddGroupMember adds an active member of a participating CPTS.
func (c *Core) AddGroupMember(ctx context.Context, s model.Session, id model.GroupID, user model.UserID, role model.Role) (MemberView, error) {
	a, g, err := c.actorGroup(ctx, s, id)
	if err != nil {
		return MemberView{}, err
	}
	if role == "" {
		role = model.RoleMembre
	}
	if role != model.RoleMembre && role != model.RoleCoordinateur {
		return MemberView{}, model.Invalid("role", "invalid_role", "Dans un groupe, le rôle est coordinateur ou membre.")
	}
	if !model.ValidID(string(user)) {
		return MemberView{}, model.Invalid("user_id", "invalid_user", "Ce professionnel est introuvable.")
	}
	u, err := c.st.Users.ByID(ctx, user)
	if err := lookupErr(err, model.Invalid("user_id", "invalid_user", "Ce professionnel est introuvable."), "add to group"); err != nil {
		return MemberView{}, err
	}
	tms, err := c.st.Memberships.ByUser(ctx, user)
	if err != nil {
		return MemberView{}, fmt.Errorf("core: add to group: %w", err)
	}
	if !a.CanAddToGroup(g, tms) {
		if !a.CanManageGroup(g) && !a.CanSeeGroup(g) {
			return MemberView{}, errGroupNotFound
		}
		return MemberView{}, model.Coded(model.ErrForbidden, "not_eligible",
			"Seuls les membres actifs d’une CPTS participant au groupe peuvent y être ajoutés, par la coordination.")
	}
	if role == model.RoleCoordinateur && !a.CanAddGroupCoordinator(g) {
		return MemberView{}, errForbidden
	}
	gm := model.GroupMember{GroupID: g.ID, UserID: user, Role: role, AddedBy: a.ID(), CreatedAt: c.now().UTC()}
	if err := c.st.GroupMembers.Insert(ctx, gm); err != nil {
		if errors.Is(err, model.ErrConflict) {
			return MemberView{}, model.Coded(model.ErrConflict, "already_member", "Cette personne est déjà membre du groupe.")
		}
		return MemberView{}, fmt.Errorf("core: add %s to group %s: %w", user, g.ID, err)
	}
	c.accessChanged(ctx, user)
	c.log.Info("audit: group member added", "actor_id", a.ID(), "group_id", g.ID, "user_id", user)
	c.audit(ctx, model.AuditEntry{ActorID: a.ID(), Action: model.AuditGroupMemberAdded, CPTSID: g.OwnerCPTS, GroupID: g.ID, TargetID: user, Role: role})
	return groupMemberView(u, gm), nil
}

// RemoveGroupMember removes someone from a group (or lets them leave),
// with the group's channels, revoking live subscriptions.
func (c *Core) RemoveGroupMember(ctx context.Context, s model.Session, id model.GroupID, user model.UserID) error {
	a, g, err := c.actorGroup(ctx, s, id)
	if err != nil {
		return err
	}
	tms, err := c.st.Memberships.ByUser(ctx, user)
	if err != nil {
		return fmt.Errorf("core: remove from group: %w", err)
	}
	if !a.CanRemoveFromGroup(g, user, tms) {
		return errForbidden
	}
	if _, err := c.st.GroupMembers.Get(ctx, g.ID, user); err != nil {
		if isNotFound(err) {
			return errMemberNotFound
		}
		return fmt.Errorf("core: remove from group: %w", err)
	}
	gone, err := c.dropGroupMember(ctx, g, user)
	c.accessChanged(ctx, user)
	c.revoke(ctx, user, gone, "removed")
	c.revokeReadOnly(ctx, user)
	if err != nil {
		return err
	}
	c.log.Info("audit: group member removed", "actor_id", a.ID(), "group_id", g.ID, "user_id", user)
	c.audit(ctx, model.AuditEntry{ActorID: a.ID(), Action: model.AuditGroupMemberRemoved, CPTSID: g.OwnerCPTS, GroupID: g.ID, TargetID: user})
	return nil
}

// dropGroupMember deletes the group membership and the memberships of the
// group's channels; it returns the channels whose access went.
func (c *Core) dropGroupMember(ctx context.Context, g model.Group, user model.UserID) ([]model.ChannelID, error) {
	chans, err := c.st.Channels.ByGroup(ctx, g.ID)
	if err != nil {
		return nil, fmt.Errorf("core: channels of group %s: %w", g.ID, err)
	}
	ids := make([]model.ChannelID, 0, len(chans))
	for _, ch := range chans {
		ids = append(ids, ch.ID)
	}
	if err := c.st.GroupMembers.Delete(ctx, g.ID, user); err != nil && !isNotFound(err) {
		return nil, fmt.Errorf("core: leave group %s: %w", g.ID, err)
	}
	if _, err := c.st.ChannelMembers.DeleteUserFrom(ctx, user, ids); err != nil {
		return ids, fmt.Errorf("core: leave channels of group %s: %w", g.ID, err)
	}
	return ids, nil
}
