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
//   - Two people may talk directly (CanMessage) when both are active
//     coordinateurs or membres of one CPTS, both are in one group (inGroup),
//     or both see a channel other than a direct conversation that one of
//     them was added to: a partenaire reaches whom its channels show it.
//     The same rule opens a conversation, lets a participant post, edit,
//     react and follow it live, and shows presence; when it stops holding,
//     the conversation stays readable but is read-only (CanPost).
//   - A pending member is listed to those who manage the CPTS (they
//     validate them), as are the members' e-mail addresses; to nobody
//     else, and in nobody's directory.
//   - Platform admins create and edit CPTS, name their coordinators (an
//     admin's invitation as coordinateur needs no validation) and see each
//     CPTS's counts, and manage membership (their list of CPTS holds every
//     one); they do not read channels they are not members of.
//     Their own membership of a CPTS is validated, and its role changed,
//     only by an active coordinator of that CPTS other than themself.
//   - A profile card is shown to whoever sees the person elsewhere (same
//     CPTS, group, channel, member list or directory); its RPPS only to
//     those active in a CPTS where the person is active.
//   - The feed of a CPTS is read by its active coordinateurs and membres,
//     the feed of a group by the group's members (inGroup); the comments
//     of a post (a channel of kind comments) by whoever reads its feed,
//     without channel membership. Coordinators of the CPTS, and those who
//     run the group, publish, edit, pin and delete posts and see the RSVP
//     list; a reader reacts, comments and answers an event.

// Actor is the caller as policy sees it.
type Actor struct {
	User     model.User
	cpts     map[model.CPTSID]model.Membership
	groups   map[model.GroupID]model.GroupMember
	channels map[model.ChannelID]bool

	// What CanMessage needs beyond the memberships, loaded by core only
	// when the CPTS rule alone does not answer (withScopes): the actor's
	// channels other than direct conversations (kind and scope, fixed at
	// creation, and visibility: a change of it drops its members' scopes)
	// and the documents of its groups.
	scoped    bool
	shared    []model.Channel
	groupDocs map[model.GroupID]model.Group
	// peers holds, per direct conversation, its other current participants
	// (withPeers): CanPost there needs them.
	peers map[model.ChannelID][]*Actor
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

// withScopes adds the documents of the actor's channels and groups, which
// the group and channel rules of CanMessage read. Direct conversations and
// channels or groups the actor does not belong to are ignored.
func (a *Actor) withScopes(chs []model.Channel, gs []model.Group) *Actor {
	a.scoped = true
	a.shared = a.shared[:0]
	for _, ch := range chs {
		if ch.Kind == model.KindDirect || !a.channels[ch.ID] {
			continue
		}
		a.shared = append(a.shared, model.Channel{ID: ch.ID, Kind: ch.Kind, Visibility: ch.Visibility, CPTSID: ch.CPTSID, GroupID: ch.GroupID})
	}
	a.groupDocs = make(map[model.GroupID]model.Group, len(gs))
	for _, g := range gs {
		if _, ok := a.groups[g.ID]; ok {
			a.groupDocs[g.ID] = g
		}
	}
	return a
}

// withPeers records the other current participants of the direct
// conversation ch (CanPost there reads them).
func (a *Actor) withPeers(ch model.ChannelID, others []*Actor) *Actor {
	if a.peers == nil {
		a.peers = make(map[model.ChannelID][]*Actor, 1)
	}
	a.peers[ch] = others
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

// ListedCPTS: the CPTS of the actor's list. Every CPTS (all) for a
// platform admin; otherwise those it has a membership of, pending ones
// included (CanSeeCPTS).
func (a *Actor) ListedCPTS() (all bool, ids []model.CPTSID) {
	if a.Admin() {
		return true, nil
	}
	ids = make([]model.CPTSID, 0, len(a.cpts))
	for id := range a.cpts {
		ids = append(ids, id)
	}
	return false, ids
}

// CanSeeMember: m shows in the member list of its CPTS when the actor sees
// that list, and, while m is pending, only when the actor manages the CPTS
// (it validates or refuses it).
func (a *Actor) CanSeeMember(m model.Membership) bool {
	if !a.CanSeeCPTSMembers(m.CPTSID) {
		return false
	}
	return m.Status == model.StatusActive || a.CanManageCPTS(m.CPTSID)
}

// CanSeeMemberEmails of CPTS c: those who manage it.
func (a *Actor) CanSeeMemberEmails(c model.CPTSID) bool { return a.CanManageCPTS(c) }

// CanSeeInDirectory: the directory shows a member under CPTS m.CPTSID when
// m is active (a pending member is in nobody's directory) and the actor
// knows that CPTS: it is an active coordinateur or membre of it, or it is
// in one of groups (the documents of the actor's groups) that the CPTS
// takes part in.
func (a *Actor) CanSeeInDirectory(m model.Membership, groups []model.Group) bool {
	if m.Status != model.StatusActive {
		return false
	}
	if a.fullMember(m.CPTSID) {
		return true
	}
	for _, g := range groups {
		if g.HasCPTS(m.CPTSID) && a.inGroup(g) {
			return true
		}
	}
	return false
}

// CanManageCPTS: invite, validate, remove members, change roles, create
// groups and channels of the CPTS.
func (a *Actor) CanManageCPTS(c model.CPTSID) bool {
	return a.isCoordinator(c) || a.Admin()
}

// CanCreateCPTS: platform admins only.
func (a *Actor) CanCreateCPTS() bool { return a.Admin() }

// CanEditCPTS (its name, department, communes, missions, status):
// platform admins only; coordinators run what happens inside.
func (a *Actor) CanEditCPTS() bool { return a.Admin() }

// CanSeePlatformOverview: every CPTS with its counts (members, pending,
// channels, groups), never their content: platform admins only.
func (a *Actor) CanSeePlatformOverview() bool { return a.Admin() }

// NamesCoordinator: an invitation the actor sent to c in role r makes an
// active coordinator on acceptance, without a validation, when the actor
// is a platform admin naming a CPTS's coordinator (admins create CPTS and
// name their first coordinators). Never for an admin's own account
// (acceptor.Admin): that is validated by a coordinator of c (see
// CanValidateMember).
func (a *Actor) NamesCoordinator(c model.CPTSID, r model.Role, acceptor model.User) bool {
	return a.Admin() && r == model.RoleCoordinateur && !acceptor.Admin && acceptor.ID != a.ID()
}

// CanInviteRole: only admins may invite straight into a coordinateur role
// of a CPTS they do not coordinate; coordinators may invite every role.
func (a *Actor) CanInviteRole(c model.CPTSID, r model.Role) bool {
	if !r.Valid() {
		return false
	}
	return a.CanManageCPTS(c)
}

// CanValidateMember: turn target's pending membership of c into an active
// one. A platform admin's own membership is validated only by an active
// coordinator of c other than themself, never by virtue of the admin flag:
// platform administration is no way into a CPTS's conversations.
func (a *Actor) CanValidateMember(c model.CPTSID, target model.User) bool {
	if target.Admin {
		return target.ID != a.ID() && a.isCoordinator(c)
	}
	return a.CanManageCPTS(c)
}

// CanChangeRole of target in c: as CanValidateMember.
func (a *Actor) CanChangeRole(c model.CPTSID, target model.User) bool {
	return a.CanValidateMember(c, target)
}

// CanRefuseMember: turn down target's pending membership of c: as
// CanValidateMember.
func (a *Actor) CanRefuseMember(c model.CPTSID, target model.User) bool {
	return a.CanValidateMember(c, target)
}

// CanSeeProfile: the profile card of target (name, profession, commune,
// CPTS): oneself, platform admins, whoever may message target
// (CanMessage: same CPTS, group or channel; give both actors their
// scopes), and whoever sees one of target's memberships in a CPTS's member
// list (a partenaire, or a pending member for those who validate it).
// Others are answered as if target did not exist.
func (a *Actor) CanSeeProfile(target *Actor) bool {
	if target == nil {
		return false
	}
	if target.ID() == a.ID() || a.Admin() || a.CanMessage(target) {
		return true
	}
	for _, m := range target.cpts {
		if a.CanSeeMember(m) {
			return true
		}
	}
	return false
}

// CanSeeProfileCPTS: the profile card of a person names their CPTS c
// (membership m) when the actor sees m in a member list or directory, or
// is a platform admin; a pending membership only for those who validate it.
func (a *Actor) CanSeeProfileCPTS(m model.Membership, groups []model.Group) bool {
	return a.Admin() || a.CanSeeMember(m) || a.CanSeeInDirectory(m, groups)
}

// CanSeeRPPS of target (RPPS and ADELI numbers on the profile card): the
// person themself, and those active in a CPTS where target is active.
func (a *Actor) CanSeeRPPS(target *Actor) bool {
	if target == nil {
		return false
	}
	if target.ID() == a.ID() {
		return true
	}
	for c := range a.cpts {
		if _, ok := a.activeRole(c); ok {
			if _, ok := target.activeRole(c); ok {
				return true
			}
		}
	}
	return false
}

// CanReadAudit of CPTS c: its coordinators and platform admins.
func (a *Actor) CanReadAudit(c model.CPTSID) bool { return a.CanManageCPTS(c) }

// CanReadAllAudit: the whole audit log, platform admins only.
func (a *Actor) CanReadAllAudit() bool { return a.Admin() }

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

// groupEligible: someone with memberships ms may belong to g, being an
// active member (any role) of one of its CPTS. Removal from a CPTS drops
// the group memberships this no longer allows.
func groupEligible(g model.Group, ms []model.Membership) bool {
	for _, m := range ms {
		if m.Status == model.StatusActive && g.HasCPTS(m.CPTSID) {
			return true
		}
	}
	return false
}

// CanAddToGroup: a manager adds any active member of a participating CPTS;
// the coordinator of a participating CPTS adds its own members.
// target lists the target user's memberships.
func (a *Actor) CanAddToGroup(g model.Group, target []model.Membership) bool {
	if !groupEligible(g, target) {
		return false
	}
	if a.CanManageGroup(g) {
		return true
	}
	for _, m := range target {
		if m.Status == model.StatusActive && g.HasCPTS(m.CPTSID) && a.isCoordinator(m.CPTSID) {
			return true
		}
	}
	return false
}

// CanAddGroupCoordinator: adding someone to g as a coordinateur of the
// group is for its managers; a CPTS coordinator adds its members as
// membres only.
func (a *Actor) CanAddGroupCoordinator(g model.Group) bool { return a.CanManageGroup(g) }

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
	case ch.Kind == model.KindComments:
		return a.CanSeeFeed(model.FeedScope{CPTSID: ch.CPTSID, GroupID: ch.GroupID}, g)
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
		ch.Kind != model.KindDirect && ch.Kind != model.KindComments && !a.channels[ch.ID] && a.CanSeeChannel(ch, g)
}

// IsChannelMember reports an explicit membership.
func (a *Actor) IsChannelMember(ch model.ChannelID) bool { return a.channels[ch] }

// PostRefusal says why the actor may not post in a channel (PostAllowed
// when it may); views carry it so that clients explain, and errors name it.
type PostRefusal string

const (
	PostAllowed PostRefusal = ""
	// RefusedArchived: the channel is archived.
	RefusedArchived PostRefusal = "archived"
	// RefusedNotMember: the actor must join the channel first.
	RefusedNotMember PostRefusal = "not_member"
	// RefusedReadOnly: a direct conversation whose other participants the
	// actor no longer reaches (CanMessage).
	RefusedReadOnly PostRefusal = "read_only"
	// RefusedAnnouncementOnly: an announcement channel, for its
	// coordinators only.
	RefusedAnnouncementOnly PostRefusal = "announcement_only"
	// RefusedForbidden: any other reason (a channel the actor does not see).
	RefusedForbidden PostRefusal = "forbidden"
)

// PostRefusal: a member of a visible, live channel posts; announcement
// channels take posts from coordinators only. In a direct conversation, a
// participant who may still message every other participant (see
// withPeers; unknown participants refuse): otherwise it is read-only for
// them. The first reason that holds, in that order, is the answer.
func (a *Actor) PostRefusal(ch model.Channel, g *model.Group) PostRefusal {
	switch {
	case ch.Archived:
		return RefusedArchived
	case ch.Kind == model.KindComments:
		// Whoever sees the post comments it: no channel membership.
		if !a.CanSeeChannel(ch, g) {
			return RefusedForbidden
		}
		return PostAllowed
	case !a.channels[ch.ID]:
		return RefusedNotMember
	case !a.CanSeeChannel(ch, g):
		return RefusedForbidden
	case ch.Kind == model.KindDirect && !a.reachesPeers(ch.ID):
		return RefusedReadOnly
	case ch.Kind == model.KindAnnouncement && !a.canManageScope(ch, g):
		return RefusedAnnouncementOnly
	}
	return PostAllowed
}

// CanPost: PostRefusal finds no reason.
func (a *Actor) CanPost(ch model.Channel, g *model.Group) bool {
	return a.PostRefusal(ch, g) == PostAllowed
}

// CanManageChannel: rename, topic, archive, add or remove members.
func (a *Actor) CanManageChannel(ch model.Channel, g *model.Group) bool {
	if ch.Kind == model.KindDirect || ch.Kind == model.KindComments {
		return false
	}
	return a.canManageScope(ch, g)
}

// CanChangeChannelVisibility: make a live channel private, or public again
// (Slack's and Mattermost's "convert to private channel"): whoever may
// rename it (CanManageChannel: the coordinators of its CPTS; for a group's
// channel, those who run the group), its creator only while they still
// do; never a partenaire, nor a platform admin as such. A direct
// conversation and the comments of a post have no visibility of their own
// (core answers them with a code of its own), and an archived channel
// keeps the one it had. Made private, a channel keeps its members and is
// seen by them alone at once (CanSeeChannel).
func (a *Actor) CanChangeChannelVisibility(ch model.Channel, g *model.Group) bool {
	return !ch.Archived && a.CanManageChannel(ch, g)
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

// fullCPTS lists the CPTS the actor fully belongs to (fullMember): those
// whose directory, public channels and feed it sees.
func (a *Actor) fullCPTS() []model.CPTSID {
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
	return m.AuthorID == a.ID() || a.CanManageChannel(ch, g) ||
		ch.Kind == model.KindComments && a.canManageScope(ch, g)
}

// CanReact: members of a live channel react, announcement channels
// included (reacting is not posting). In a direct conversation reacting is
// posting.
func (a *Actor) CanReact(ch model.Channel, g *model.Group) bool {
	if ch.Kind == model.KindDirect {
		return a.CanPost(ch, g)
	}
	if ch.Kind == model.KindComments {
		return !ch.Archived && a.CanSeeChannel(ch, g)
	}
	return !ch.Archived && a.channels[ch.ID] && a.CanSeeChannel(ch, g)
}

// CanSubscribe: following a channel live. A direct conversation is
// followed live only while the participant may post in it; its history
// stays readable (CanSeeChannel) when it is read-only.
func (a *Actor) CanSubscribe(ch model.Channel, g *model.Group) bool {
	if ch.Kind == model.KindDirect {
		return a.CanPost(ch, g)
	}
	return a.CanSeeChannel(ch, g)
}

// reachesPeers: the actor may message every other participant of the
// direct conversation ch, whose participants are known.
func (a *Actor) reachesPeers(ch model.ChannelID) bool {
	others, ok := a.peers[ch]
	if !ok {
		return false
	}
	for _, o := range others {
		if o.ID() != a.ID() && !a.CanMessage(o) {
			return false
		}
	}
	return true
}

// CanMessage: the two may talk directly: open a conversation, post, edit,
// react in it and follow it live, see each other's presence. One of
//   - both are active coordinateurs or membres of one CPTS (a partenaire is
//     not reached through its CPTS);
//   - both belong to one group and are active, in any role, in one of its
//     CPTS (inGroup): a partenaire counts once explicitly added to it;
//   - both see a channel other than a direct conversation that one of them
//     was added to: a partenaire reaches the people of the channels it was
//     invited into, and they reach it.
//
// The rule is symmetric. The last two rules read the actors' scopes
// (withScopes): without them CanMessage answers from the first alone,
// never more than with them.
func (a *Actor) CanMessage(other *Actor) bool {
	if other == nil || other.ID() == a.ID() {
		return false
	}
	for c := range a.cpts {
		if a.fullMember(c) && other.fullMember(c) {
			return true
		}
	}
	// Each side's own copy of the group: it was read after that side's
	// last membership change.
	for id := range a.groups {
		mine, ok1 := a.groupDocs[id]
		theirs, ok2 := other.groupDocs[id]
		if ok1 && ok2 && a.inGroup(mine) && other.inGroup(theirs) {
			return true
		}
	}
	return a.sharesChannel(other) || other.sharesChannel(a)
}

// sharesChannel: a channel of a's (not a direct conversation) both see.
func (a *Actor) sharesChannel(other *Actor) bool {
	for _, ch := range a.shared {
		var g *model.Group
		if ch.GroupID != "" {
			gd, ok := a.groupDocs[ch.GroupID]
			if !ok {
				continue
			}
			g = &gd
		}
		if a.CanSeeChannel(ch, g) && other.CanSeeChannel(ch, g) {
			return true
		}
	}
	return false
}

// CanOpenConversation: the actor and others may all message one another
// (every participant may then post in it).
func (a *Actor) CanOpenConversation(others []*Actor) bool {
	all := append([]*Actor{a}, others...)
	for i, x := range all {
		for _, y := range all[i+1:] {
			if x.ID() != y.ID() && !x.CanMessage(y) {
				return false
			}
		}
	}
	return true
}

// The protocol library (and prevention materials, shared the same way):
//   - A protocol belongs to a CPTS. Its active coordinateurs and membres
//     see it in every state, drafts and reviews included, and may write
//     protocols (CanSeeProtocolDrafts, CanCreateProtocol).
//   - Once validated, it is also seen, read-only and in its validated
//     version only, by its CPTS's partenaires and, as its sharing says, by
//     the active members of the listed CPTS or by every user of the
//     platform (platform admins included). A protocol never validated
//     stays within its CPTS's coordinateurs and membres.
//   - Its author (while still a coordinateur or membre of the CPTS) and
//     the CPTS's coordinators edit it and send it to review; the named
//     reviewers (coordinateurs or membres of the CPTS) approve or request
//     changes; only a coordinator of the CPTS validates or archives it.
//   - Whoever sees a validated protocol through an active membership
//     acknowledges its validated version; the coordinators of a CPTS that
//     sees it list who among their members did, and remind the others.

// seesLibraryItem: an active member (any role) of the owner, of a listed
// CPTS, or anyone for a platform-wide item.
func (a *Actor) seesLibraryItem(owner model.CPTSID, vis model.Sharing, shared []model.CPTSID) bool {
	if _, ok := a.activeRole(owner); ok {
		return true
	}
	switch vis {
	case model.SharingPlatform:
		return true
	case model.SharingListed:
		for _, c := range shared {
			if _, ok := a.activeRole(c); ok {
				return true
			}
		}
	}
	return false
}

// memberSeeing: a CPTS the actor is an active member of that sees the item
// (owner first), or "" when none.
func (a *Actor) memberSeeing(owner model.CPTSID, vis model.Sharing, shared []model.CPTSID) model.CPTSID {
	if _, ok := a.activeRole(owner); ok {
		return owner
	}
	switch vis {
	case model.SharingListed:
		for _, c := range shared {
			if _, ok := a.activeRole(c); ok {
				return c
			}
		}
	case model.SharingPlatform:
		for c, m := range a.cpts {
			if m.Status == model.StatusActive {
				return c
			}
		}
	}
	return ""
}

// CanSeeProtocolDrafts: every state and version of the protocol, its
// reviewers and their decisions.
func (a *Actor) CanSeeProtocolDrafts(p model.Protocol) bool { return a.fullMember(p.CPTSID) }

// CanSeeProtocol: the protocol at all (its validated version for those
// who do not see drafts).
func (a *Actor) CanSeeProtocol(p model.Protocol) bool {
	if a.CanSeeProtocolDrafts(p) {
		return true
	}
	return p.ValidatedVersion > 0 && a.seesLibraryItem(p.CPTSID, p.Visibility, p.SharedWith)
}

// CanCreateProtocol in CPTS c: its coordinateurs and membres.
func (a *Actor) CanCreateProtocol(c model.CPTSID) bool { return a.fullMember(c) }

// CanEditProtocol: content, tags, review date, sharing, reviewers, sending
// to review. Its author while a coordinateur or membre of the CPTS, and
// the CPTS's coordinators. (An archived protocol is edited by nobody:
// core says so with its own code.)
func (a *Actor) CanEditProtocol(p model.Protocol) bool {
	return a.isCoordinator(p.CPTSID) || p.AuthorID == a.ID() && a.fullMember(p.CPTSID)
}

// CanReviewProtocol: a named reviewer still a coordinateur or membre of
// the CPTS.
func (a *Actor) CanReviewProtocol(p model.Protocol) bool {
	return p.IsReviewer(a.ID()) && a.fullMember(p.CPTSID)
}

// CanBeProtocolReviewer: who may be named reviewer (m is their membership
// of the protocol's CPTS): an active coordinateur or membre, not the
// author.
func CanBeProtocolReviewer(p model.Protocol, u model.UserID, m model.Membership) bool {
	return u != p.AuthorID && m.CPTSID == p.CPTSID && m.Status == model.StatusActive &&
		(m.Role == model.RoleCoordinateur || m.Role == model.RoleMembre)
}

// CanValidateProtocol and CanArchiveProtocol: the CPTS's coordinators
// only (not platform admins).
func (a *Actor) CanValidateProtocol(p model.Protocol) bool { return a.isCoordinator(p.CPTSID) }

// CanArchiveProtocol: see CanValidateProtocol.
func (a *Actor) CanArchiveProtocol(p model.Protocol) bool { return a.isCoordinator(p.CPTSID) }

// CanAckProtocol: whoever sees it through an active membership, once it
// has a validated version (core checks which version).
func (a *Actor) CanAckProtocol(p model.Protocol) bool {
	return p.ValidatedVersion > 0 && a.memberSeeing(p.CPTSID, p.Visibility, p.SharedWith) != "" && a.CanSeeProtocol(p)
}

// CanSeeProtocolAcks of the members of CPTS c, and remind them: the
// coordinators of c, when c owns the protocol or it is shared with c.
func (a *Actor) CanSeeProtocolAcks(p model.Protocol, c model.CPTSID) bool {
	if !a.isCoordinator(c) {
		return false
	}
	switch {
	case c == p.CPTSID:
		return true
	case p.ValidatedVersion == 0:
		return false
	case p.Visibility == model.SharingPlatform:
		return true
	case p.Visibility == model.SharingListed:
		for _, x := range p.SharedWith {
			if x == c {
				return true
			}
		}
	}
	return false
}

// AckCPTS: the CPTS whose acknowledgements the actor follows by default:
// the owner when it coordinates it, else the first it coordinates that
// sees the protocol ("" none).
func (a *Actor) AckCPTS(p model.Protocol) model.CPTSID {
	if a.CanSeeProtocolAcks(p, p.CPTSID) {
		return p.CPTSID
	}
	var best model.CPTSID
	for c := range a.cpts {
		if a.CanSeeProtocolAcks(p, c) && (best == "" || c < best) {
			best = c
		}
	}
	return best
}

// LibraryViewer: the CPTS whose library items the actor may list (its
// active memberships, any role), and those whose drafts it sees.
func (a *Actor) LibraryViewer() (viewer, drafts []model.CPTSID) {
	for c, m := range a.cpts {
		if m.Status != model.StatusActive {
			continue
		}
		viewer = append(viewer, c)
		if a.fullMember(c) {
			drafts = append(drafts, c)
		}
	}
	return viewer, drafts
}

// CanSeeMaterial: a prevention material is seen like a validated
// protocol: by the active members of its CPTS, of the listed CPTS, or by
// everyone when platform-wide.
func (a *Actor) CanSeeMaterial(m model.Material) bool {
	return !m.Deleted() && a.seesLibraryItem(m.CPTSID, m.Visibility, m.SharedWith)
}

// CanCreateMaterial in CPTS c: its coordinateurs and membres.
func (a *Actor) CanCreateMaterial(c model.CPTSID) bool { return a.fullMember(c) }

// CanEditMaterial: its author while a coordinateur or membre, and the
// CPTS's coordinators.
func (a *Actor) CanEditMaterial(m model.Material) bool {
	return !m.Deleted() && (a.isCoordinator(m.CPTSID) || m.AuthorID == a.ID() && a.fullMember(m.CPTSID))
}

// Files. An upload is made somewhere — a CPTS (its feed, library,
// materials), a group (its feed) or a channel (a message) — and whoever
// may post there may upload there. Until it is attached, a file is its
// uploader's alone: only they read it and only they attach it, once.
// Once attached, a file is read by whoever reads what it is attached to
// (core.canReadAttachment asks the rule of each kind).

// CanUploadToCPTS: the active coordinateurs and membres of c (partenaires
// post only in the channels they were added to).
func (a *Actor) CanUploadToCPTS(c model.CPTSID) bool { return a.fullMember(c) }

// CanUploadToGroup: the group's members (inGroup).
func (a *Actor) CanUploadToGroup(g model.Group) bool { return a.inGroup(g) }

// CanUploadToChannel: whoever may post in it (CanPost).
func (a *Actor) CanUploadToChannel(ch model.Channel, g *model.Group) bool { return a.CanPost(ch, g) }

// CanReadUnattachedFile: an upload attached to nothing is its uploader's
// alone.
func (a *Actor) CanReadUnattachedFile(f model.File) bool {
	return f.AttachedTo == nil && f.UploaderID == a.ID()
}

// CanAttachFile: the uploader attaches their own file, once.
func (a *Actor) CanAttachFile(f model.File) bool {
	return f.AttachedTo == nil && f.UploaderID == a.ID()
}

// feedGroup: g is the group of the feed scope (a group feed needs it).
func feedGroup(scope model.FeedScope, g *model.Group) bool {
	return g != nil && g.ID == scope.GroupID
}

// CanSeeFeed: the posts of a CPTS feed, for its active coordinateurs and
// membres; of a group feed, for the group's members. g is the group of a
// group feed (nil for a CPTS feed). Platform admins read no feed.
func (a *Actor) CanSeeFeed(scope model.FeedScope, g *model.Group) bool {
	return feedRule(scope, g, a.inGroup, a.fullMember)
}

// CanPublishIn the feed: coordinators of the CPTS; for a group, those who
// run it (its coordinateurs and the coordinators of the owner CPTS).
func (a *Actor) CanPublishIn(scope model.FeedScope, g *model.Group) bool {
	return feedRule(scope, g, a.runsGroup, a.isCoordinator)
}

// feedRule applies to a feed the rule of its kind: ofGroup to the group
// of a group feed (g, which must be it), ofCPTS to the CPTS of a CPTS
// feed; a feed of neither kind is no one's.
func feedRule(scope model.FeedScope, g *model.Group, ofGroup func(model.Group) bool, ofCPTS func(model.CPTSID) bool) bool {
	switch {
	case scope.GroupID != "":
		return feedGroup(scope, g) && ofGroup(*g)
	case scope.CPTSID != "":
		return ofCPTS(scope.CPTSID)
	}
	return false
}

// CanManagePost: edit, delete, pin and unpin: whoever may publish in its
// feed (the author included while they still may).
func (a *Actor) CanManagePost(p model.Post, g *model.Group) bool {
	return !p.Deleted() && a.CanPublishIn(p.Scope(), g)
}

// CanReactToPost: readers of the feed, on a live post.
func (a *Actor) CanReactToPost(p model.Post, g *model.Group) bool {
	return !p.Deleted() && a.CanSeeFeed(p.Scope(), g)
}

// CanRSVP: readers of the feed answer a live event (the dates and the
// capacity are core's rules, not permissions).
func (a *Actor) CanRSVP(p model.Post, g *model.Group) bool {
	return !p.Deleted() && p.Kind == model.PostEvent && a.CanSeeFeed(p.Scope(), g)
}

// CanSeeRSVPList: the organiser's list (names by profession, CSV export):
// the author while they still read the feed, and whoever may publish in
// it.
func (a *Actor) CanSeeRSVPList(p model.Post, g *model.Group) bool {
	if p.Deleted() || p.Kind != model.PostEvent {
		return false
	}
	return a.CanPublishIn(p.Scope(), g) || p.AuthorID == a.ID() && a.CanSeeFeed(p.Scope(), g)
}

// FeedScopes lists the feeds the actor reads among its CPTS and groups
// (gs: the documents of its groups).
func (a *Actor) FeedScopes(gs []model.Group) []model.FeedScope {
	var out []model.FeedScope
	for _, c := range a.fullCPTS() {
		out = append(out, model.CPTSFeed(c))
	}
	for _, g := range gs {
		if a.CanSeeFeed(model.GroupFeed(g.ID), &g) {
			out = append(out, model.GroupFeed(g.ID))
		}
	}
	return out
}

// Search scopes. Every indexed document carries the scopes that let a
// reader find it (DocumentScopes, PersonScopes), and every query carries
// the caller's (SearchScopes): the index returns a document only when the
// two meet. The scopes mirror CanSeeChannel and CanSeeInDirectory, and
// every hit is checked again against those rules before it is shown, so
// a change of membership or visibility applies at once, before the
// indexer has caught up.
//
//   - "cpts:<id>": the active coordinateurs and membres of the CPTS (a
//     public channel of the CPTS, and its messages);
//   - "group:<id>": the members of the group who are still in one of its
//     CPTS (a public channel of the group);
//   - "chan:<id>": those who see the channel as members (every channel
//     carries it: partenaires, private channels);
//   - "dir:<id>": the active coordinateurs and membres of the CPTS, whose
//     directory lists its active members (a person);
//   - "gm:<id>": the members of the group (still in one of its CPTS),
//     whose directory lists the group's members (a person);
//   - "lib:<id>": every active member of the CPTS, partenaires included,
//     who read its library's validated protocols and its materials, and
//     those shared with it (seesLibraryItem);
//   - "platform": every signed-in user (a protocol or material shared
//     with the whole platform).
//
// Direct conversations are never in the shared index (see searchDirect).

// ChannelScopes are the search scopes of a channel and of its messages;
// nil for a direct conversation, which the shared index never holds, and
// for the comments of a post (the post itself is indexed; its comments
// are not searched yet).
func ChannelScopes(ch model.Channel) []string {
	if ch.Kind == model.KindDirect || ch.Kind == model.KindComments {
		return nil
	}
	scopes := []string{"chan:" + string(ch.ID)}
	if ch.Visibility == model.VisibilityPublic {
		switch {
		case ch.GroupID != "":
			scopes = append(scopes, "group:"+string(ch.GroupID))
		case ch.CPTSID != "":
			scopes = append(scopes, "cpts:"+string(ch.CPTSID))
		}
	}
	return scopes
}

// PersonScopes are the search scopes of a person with memberships ms and
// group memberships gms: the directories that list them (Directory). Nil
// when no CPTS membership is active: nobody's directory lists them.
func PersonScopes(ms []model.Membership, gms []model.GroupMember) []string {
	var scopes []string
	for _, m := range ms {
		if m.Status == model.StatusActive {
			scopes = append(scopes, "dir:"+string(m.CPTSID))
		}
	}
	if len(scopes) == 0 {
		return nil
	}
	for _, g := range gms {
		scopes = append(scopes, "gm:"+string(g.GroupID))
	}
	return scopes
}

// CanFindPerson: a person (memberships ms, group memberships gms) is
// found by those whose directory lists them: the active coordinateurs and
// membres of one of their CPTS, and the members of a group they share,
// under a CPTS the actor may know (CanSeeInDirectory). groups are the
// documents of the actor's groups.
func (a *Actor) CanFindPerson(ms []model.Membership, gms []model.GroupMember, groups []model.Group) bool {
	for _, m := range ms {
		if m.Status == model.StatusActive && a.fullMember(m.CPTSID) {
			return true
		}
	}
	for _, gm := range gms {
		for _, g := range groups {
			if g.ID != gm.GroupID || !a.inGroup(g) {
				continue
			}
			for _, m := range ms {
				if g.HasCPTS(m.CPTSID) && a.CanSeeInDirectory(m, groups) {
					return true
				}
			}
		}
	}
	return false
}

// SearchScopes are the actor's search scopes. chs are the documents of
// the channels the actor belongs to, groups those of its groups (others
// are ignored).
func (a *Actor) SearchScopes(chs []model.Channel, groups []model.Group) []string {
	scopes := []string{"platform"}
	for id := range a.cpts {
		if a.fullMember(id) {
			scopes = append(scopes, "cpts:"+string(id), "dir:"+string(id))
		}
		if _, ok := a.activeRole(id); ok {
			scopes = append(scopes, "lib:"+string(id))
		}
	}
	byID := make(map[model.GroupID]*model.Group, len(groups))
	for i := range groups {
		g := &groups[i]
		byID[g.ID] = g
		if !a.inGroup(*g) {
			continue
		}
		scopes = append(scopes, "group:"+string(g.ID), "gm:"+string(g.ID))
	}
	for _, ch := range chs {
		if ch.Kind == model.KindDirect || !a.channels[ch.ID] {
			continue
		}
		if a.CanSeeChannel(ch, byID[ch.GroupID]) {
			scopes = append(scopes, "chan:"+string(ch.ID))
		}
	}
	return scopes
}

// LibraryScopes are the search scopes of a library item (a validated
// protocol, a material) of CPTS owner shared as vis with shared: those
// seesLibraryItem lets read it.
func LibraryScopes(owner model.CPTSID, vis model.Sharing, shared []model.CPTSID) []string {
	scopes := []string{"lib:" + string(owner)}
	switch vis {
	case model.SharingPlatform:
		scopes = append(scopes, "platform")
	case model.SharingListed:
		for _, c := range shared {
			if c != owner {
				scopes = append(scopes, "lib:"+string(c))
			}
		}
	}
	return scopes
}

// ProtocolScopes are the search scopes of a protocol (CanSeeProtocol): a
// validated one is read where its library is; one never validated only by
// the owner's coordinateurs and membres (CanSeeProtocolDrafts), whose
// "cpts:" scope it carries.
func ProtocolScopes(p model.Protocol) []string {
	if p.ValidatedVersion == 0 {
		return []string{"cpts:" + string(p.CPTSID)}
	}
	return append(LibraryScopes(p.CPTSID, p.Visibility, p.SharedWith), "cpts:"+string(p.CPTSID))
}

// MaterialScopes are the search scopes of a material (CanSeeMaterial); nil
// once deleted.
func MaterialScopes(m model.Material) []string {
	if m.Deleted() {
		return nil
	}
	return LibraryScopes(m.CPTSID, m.Visibility, m.SharedWith)
}

// CanSeeSearchHit re-checks a channel or message hit: the channel is seen
// (CanSeeChannel). A person hit is checked by CanSeeInDirectory over each
// of their memberships.
func (a *Actor) CanSeeSearchHit(ch model.Channel, g *model.Group) bool {
	return a.CanSeeChannel(ch, g)
}
