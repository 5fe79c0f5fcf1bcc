package core

import "github.com/ecpts/ecpts/internal/model"

// This file alone decides who may see or do what. Every rule reads the
// Actor (the caller and all their memberships, loaded once per request) and
// the object; none does I/O. The permission table in policy_test.go covers
// role × action × object across two CPTS and an inter-CPTS group.
//
// The rules in words:
//   - A pending member (accepted invitation, not yet validated) sees the
//     name of the CPTS and nothing else of it.
//   - Active coordinateurs and membres see their CPTS, its directory and its
//     public channels; partenaires see only the channels and groups they
//     were explicitly added to.
//   - A group is seen by its members and by the active coordinateurs of the
//     CPTS taking part in it; it is managed by its own coordinateurs and by
//     the coordinateurs of the owner CPTS.
//   - A private channel is seen by its members only. A direct conversation
//     is seen by its participants only.
//   - Platform admins manage CPTS and their membership; they do not read
//     channels they are not members of.

// Actor is the caller as policy sees it.
type Actor struct {
	User     model.User
	cpts     map[model.CPTSID]model.Membership
	groups   map[model.GroupID]model.GroupMember
	channels map[model.ChannelID]bool
}

// NewActor builds an actor from its memberships. Used by core when loading
// a session and by tests.
func NewActor(u model.User, ms []model.Membership, gms []model.GroupMember, cms []model.ChannelMember) *Actor {
	a := &Actor{
		User:     u,
		cpts:     make(map[model.CPTSID]model.Membership, len(ms)),
		groups:   make(map[model.GroupID]model.GroupMember, len(gms)),
		channels: make(map[model.ChannelID]bool, len(cms)),
	}
	for _, m := range ms {
		a.cpts[m.CPTSID] = m
	}
	for _, g := range gms {
		a.groups[g.GroupID] = g
	}
	for _, c := range cms {
		a.channels[c.ChannelID] = true
	}
	return a
}

// ID of the actor's user.
func (a *Actor) ID() model.UserID { return a.User.ID }

// Admin reports a platform administrator.
func (a *Actor) Admin() bool { return a.User.Admin }

// activeRole returns the actor's role in cpts when the membership is active.
func (a *Actor) activeRole(c model.CPTSID) (model.Role, bool) {
	m, ok := a.cpts[c]
	if !ok || m.Status != model.StatusActive {
		return "", false
	}
	return m.Role, true
}

// Membership returns the actor's membership of c, whatever its status.
func (a *Actor) Membership(c model.CPTSID) (model.Membership, bool) {
	m, ok := a.cpts[c]
	return m, ok
}

func (a *Actor) isCoordinator(c model.CPTSID) bool {
	r, ok := a.activeRole(c)
	return ok && r == model.RoleCoordinateur
}

// fullMember: an active coordinateur or membre (not a partenaire).
func (a *Actor) fullMember(c model.CPTSID) bool {
	r, ok := a.activeRole(c)
	return ok && (r == model.RoleCoordinateur || r == model.RoleMembre)
}

// CanSeeCPTS: its name and description. Pending members too.
func (a *Actor) CanSeeCPTS(c model.CPTSID) bool {
	_, ok := a.cpts[c]
	return ok || a.Admin()
}

// CanSeeCPTSMembers: the member list and directory of the CPTS.
func (a *Actor) CanSeeCPTSMembers(c model.CPTSID) bool {
	return a.fullMember(c) || a.Admin()
}

// CanManageCPTS: invite, validate, remove members, change roles, create
// groups and channels of the CPTS.
func (a *Actor) CanManageCPTS(c model.CPTSID) bool {
	return a.isCoordinator(c) || a.Admin()
}

// CanCreateCPTS: platform admins only.
func (a *Actor) CanCreateCPTS() bool { return a.Admin() }

// CanInviteRole: only admins may invite straight into a coordinateur role
// of a CPTS they do not coordinate; coordinators may invite every role.
func (a *Actor) CanInviteRole(c model.CPTSID, r model.Role) bool {
	if !r.Valid() {
		return false
	}
	return a.CanManageCPTS(c)
}

// inGroup: a group member who is still an active member of one of the
// group's CPTS (removal from a CPTS also removes group rights at once).
func (a *Actor) inGroup(g model.Group) bool {
	if _, ok := a.groups[g.ID]; !ok {
		return false
	}
	for _, c := range g.CPTSIDs {
		if _, ok := a.activeRole(c); ok {
			return true
		}
	}
	return false
}

// CanSeeGroup: its members, and the coordinators of every CPTS in it.
func (a *Actor) CanSeeGroup(g model.Group) bool {
	if a.inGroup(g) || a.Admin() {
		return true
	}
	for _, c := range g.CPTSIDs {
		if a.isCoordinator(c) {
			return true
		}
	}
	return false
}

// CanManageGroup: rename, invite another CPTS, add or remove anyone,
// create channels in the group.
func (a *Actor) CanManageGroup(g model.Group) bool {
	return a.Admin() || a.runsGroup(g)
}

// runsGroup: the coordinators of the owner CPTS and the group's own
// coordinateurs. Unlike CanManageGroup it leaves platform admins out: they
// manage membership, not conversations.
func (a *Actor) runsGroup(g model.Group) bool {
	if a.isCoordinator(g.OwnerCPTS) {
		return true
	}
	gm, ok := a.groups[g.ID]
	return ok && gm.Role == model.RoleCoordinateur && a.inGroup(g)
}

// CanAddToGroup: a manager adds any active member of a participating CPTS;
// the coordinator of a participating CPTS adds its own members.
// target lists the target user's memberships.
func (a *Actor) CanAddToGroup(g model.Group, target []model.Membership) bool {
	eligible := false
	ownCoord := false
	for _, m := range target {
		if m.Status != model.StatusActive || !g.HasCPTS(m.CPTSID) {
			continue
		}
		eligible = true
		if a.isCoordinator(m.CPTSID) {
			ownCoord = true
		}
	}
	if !eligible {
		return false
	}
	return a.CanManageGroup(g) || ownCoord
}

// CanRemoveFromGroup: managers, the coordinator of the target's CPTS, or
// the member themself (leaving).
func (a *Actor) CanRemoveFromGroup(g model.Group, target model.UserID, targetMemberships []model.Membership) bool {
	if target == a.ID() {
		_, ok := a.groups[g.ID]
		return ok
	}
	if a.CanManageGroup(g) {
		return true
	}
	for _, m := range targetMemberships {
		if g.HasCPTS(m.CPTSID) && a.isCoordinator(m.CPTSID) {
			return true
		}
	}
	return false
}

// CanInviteCPTSToGroup: only managers of the group.
func (a *Actor) CanInviteCPTSToGroup(g model.Group) bool { return a.CanManageGroup(g) }

// CanCreateGroup in CPTS c: its coordinators.
func (a *Actor) CanCreateGroup(c model.CPTSID) bool { return a.CanManageCPTS(c) }

// CanSeeChannel decides who reads a channel. g is the channel's group when
// it lives in one (nil otherwise).
func (a *Actor) CanSeeChannel(ch model.Channel, g *model.Group) bool {
	member := a.channels[ch.ID]
	switch {
	case ch.Kind == model.KindDirect:
		return member
	case ch.GroupID != "":
		if g == nil || g.ID != ch.GroupID || !a.inGroup(*g) {
			return false
		}
		return member || ch.Visibility == model.VisibilityPublic
	case ch.CPTSID != "":
		r, ok := a.activeRole(ch.CPTSID)
		if !ok {
			return false
		}
		if member {
			return true
		}
		return ch.Visibility == model.VisibilityPublic && r != model.RolePartenaire
	}
	return false
}

// CanJoinChannel: public, not archived, visible, not yet a member.
func (a *Actor) CanJoinChannel(ch model.Channel, g *model.Group) bool {
	return ch.Visibility == model.VisibilityPublic && !ch.Archived &&
		ch.Kind != model.KindDirect && !a.channels[ch.ID] && a.CanSeeChannel(ch, g)
}

// IsChannelMember reports an explicit membership.
func (a *Actor) IsChannelMember(ch model.ChannelID) bool { return a.channels[ch] }

// CanPost: a member of a visible, live channel; announcement channels take
// posts from coordinators only.
func (a *Actor) CanPost(ch model.Channel, g *model.Group) bool {
	if ch.Archived || !a.channels[ch.ID] || !a.CanSeeChannel(ch, g) {
		return false
	}
	if ch.Kind == model.KindAnnouncement {
		return a.canManageScope(ch, g)
	}
	return true
}

// CanManageChannel: rename, topic, archive, add or remove members.
func (a *Actor) CanManageChannel(ch model.Channel, g *model.Group) bool {
	if ch.Kind == model.KindDirect {
		return false
	}
	return a.canManageScope(ch, g)
}

func (a *Actor) canManageScope(ch model.Channel, g *model.Group) bool {
	switch {
	case ch.GroupID != "":
		return g != nil && g.ID == ch.GroupID && a.runsGroup(*g)
	case ch.CPTSID != "":
		return a.isCoordinator(ch.CPTSID)
	}
	return false
}

// CanCreateChannelInCPTS / InGroup.
func (a *Actor) CanCreateChannelInCPTS(c model.CPTSID) bool { return a.isCoordinator(c) }

// CanCreateChannelInGroup: managers of the group.
func (a *Actor) CanCreateChannelInGroup(g model.Group) bool { return a.runsGroup(g) }

// CanAddToChannel: a manager adds someone who may see the channel's scope.
// target is the target user's actor.
func (a *Actor) CanAddToChannel(ch model.Channel, g *model.Group, target *Actor) bool {
	if !a.CanManageChannel(ch, g) || ch.Archived {
		return false
	}
	switch {
	case ch.GroupID != "":
		return g != nil && target.inGroup(*g)
	case ch.CPTSID != "":
		_, ok := target.activeRole(ch.CPTSID)
		return ok
	}
	return false
}

// CanSeeDirectoryOf reports the CPTS whose directory the actor sees.
func (a *Actor) directoryCPTS() []model.CPTSID {
	var out []model.CPTSID
	for c := range a.cpts {
		if a.fullMember(c) {
			out = append(out, c)
		}
	}
	return out
}

// CanEditMessage: authors edit their own live messages where they may post.
func (a *Actor) CanEditMessage(ch model.Channel, g *model.Group, m model.Message) bool {
	return m.AuthorID == a.ID() && !m.Deleted() && a.CanPost(ch, g)
}

// CanDeleteMessage: the author, or whoever manages the channel (moderation).
func (a *Actor) CanDeleteMessage(ch model.Channel, g *model.Group, m model.Message) bool {
	if m.Deleted() || ch.Archived || !a.CanSeeChannel(ch, g) {
		return false
	}
	return m.AuthorID == a.ID() || a.CanManageChannel(ch, g)
}

// CanReact: members of a live channel react, announcement channels
// included (reacting is not posting).
func (a *Actor) CanReact(ch model.Channel, g *model.Group) bool {
	return !ch.Archived && a.channels[ch.ID] && a.CanSeeChannel(ch, g)
}

// CanMessage: a direct conversation needs a CPTS where both are active, or
// a group both belong to.
func (a *Actor) CanMessage(other *Actor) bool {
	if other.ID() == a.ID() {
		return false
	}
	for c := range a.cpts {
		_, mine := a.activeRole(c)
		_, theirs := other.activeRole(c)
		if mine && theirs {
			return true
		}
	}
	for g := range a.groups {
		if _, ok := other.groups[g]; ok {
			return true
		}
	}
	return false
}
