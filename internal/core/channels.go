package core

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store/cache"
)

// ChannelView is a channel with what the caller may do in it.
type ChannelView struct {
	model.Channel
	Member  bool `json:"member"`
	CanPost bool `json:"can_post"`
	// PostRefusal says why CanPost is false (absent when it is true).
	PostRefusal PostRefusal `json:"post_refusal,omitempty"`
	CanManage   bool        `json:"can_manage"`
}

func channelView(a *Actor, ch model.Channel, g *model.Group) ChannelView {
	r := a.PostRefusal(ch, g)
	return ChannelView{Channel: ch, Member: a.IsChannelMember(ch.ID), CanPost: r == PostAllowed, PostRefusal: r, CanManage: a.CanManageChannel(ch, g)}
}

// ListChannels returns the channels the caller joined and the public ones
// they may join, in their CPTS and groups. Archived channels only when
// asked.
func (c *Core) ListChannels(ctx context.Context, s model.Session, withArchived bool) ([]ChannelView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, err
	}
	candidates := map[model.ChannelID]model.Channel{}
	joined := slices.Collect(maps.Keys(a.channels))
	chs, err := c.cached.channels.ByIDs(ctx, joined)
	if err != nil {
		return nil, fmt.Errorf("core: list channels: %w", err)
	}
	for _, ch := range chs {
		candidates[ch.ID] = ch
	}
	for _, id := range a.fullCPTS() {
		chs, err := c.cached.channels.ByCPTS(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("core: list channels of %s: %w", id, err)
		}
		for _, ch := range chs {
			candidates[ch.ID] = ch
		}
	}
	groups := map[model.GroupID]*model.Group{}
	gs, err := c.st.Groups.ByIDs(ctx, slices.Collect(maps.Keys(a.groups)))
	if err != nil {
		return nil, fmt.Errorf("core: list channels: %w", err)
	}
	for i := range gs {
		g := &gs[i]
		groups[g.ID] = g
		if !a.inGroup(*g) {
			continue
		}
		chs, err := c.cached.channels.ByGroup(ctx, g.ID)
		if err != nil {
			return nil, fmt.Errorf("core: list channels of group %s: %w", g.ID, err)
		}
		for _, ch := range chs {
			candidates[ch.ID] = ch
		}
	}
	out := make([]ChannelView, 0, len(candidates))
	for _, ch := range candidates {
		if ch.Archived && !withArchived || ch.Kind == model.KindDirect {
			continue
		}
		g := groups[ch.GroupID]
		if !a.CanSeeChannel(ch, g) {
			continue
		}
		out = append(out, channelView(a, ch, g))
	}
	keys := make(map[model.ChannelID]string, len(out))
	for _, v := range out {
		keys[v.ID] = string(v.CPTSID) + string(v.GroupID) + "\x00" + fold(v.Name)
	}
	slices.SortFunc(out, func(x, y ChannelView) int { return strings.Compare(keys[x.ID], keys[y.ID]) })
	return out, nil
}

// actorChannel resolves the session's actor and a channel it may see,
// with its group.
func (c *Core) actorChannel(ctx context.Context, s model.Session, id model.ChannelID) (*Actor, model.Channel, *model.Group, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, model.Channel{}, nil, err
	}
	ch, g, err := c.channel(ctx, a, id)
	return a, ch, g, err
}

// channel loads a channel the actor may see, with its group.
func (c *Core) channel(ctx context.Context, a *Actor, id model.ChannelID) (model.Channel, *model.Group, error) {
	ch, err := c.cached.channels.ByID(ctx, id)
	if isNotFound(err) {
		return model.Channel{}, nil, errChannelNotFound
	}
	if err != nil {
		return model.Channel{}, nil, fmt.Errorf("core: channel %s: %w", id, err)
	}
	var g *model.Group
	if ch.GroupID != "" {
		gg, err := c.st.Groups.ByID(ctx, ch.GroupID)
		if err != nil && !isNotFound(err) {
			return model.Channel{}, nil, fmt.Errorf("core: channel %s group: %w", id, err)
		}
		if err == nil {
			g = &gg
		}
	}
	if !a.CanSeeChannel(ch, g) {
		return model.Channel{}, nil, errChannelNotFound
	}
	return ch, g, nil
}

// GetChannel returns one channel.
func (c *Core) GetChannel(ctx context.Context, s model.Session, id model.ChannelID) (ChannelView, error) {
	a, ch, g, err := c.actorChannel(ctx, s, id)
	if err != nil {
		return ChannelView{}, err
	}
	if err := c.loadPeers(ctx, a, ch); err != nil {
		return ChannelView{}, err
	}
	return channelView(a, ch, g), nil
}

// ChannelInput creates a channel in a CPTS or a group.
type ChannelInput struct {
	Name       string
	Topic      string
	CPTSID     model.CPTSID
	GroupID    model.GroupID
	Visibility model.Visibility
	Kind       model.ChannelKind
}

// channelName checks a channel name: a short line, like Slack's.
func channelName(raw string) (string, error) {
	return cleanName("name", "Le nom du canal", raw, true, maxObjectName)
}

// channelNameFree refuses a name that reads as the name of another channel
// (self excepted) of the same group, or of the same CPTS for a CPTS
// channel: archived ones count, as in the store's unique index, which
// only compares lowercased names.
func (c *Core) channelNameFree(ctx context.Context, cpts model.CPTSID, group model.GroupID, name string, self model.ChannelID) error {
	var chs []model.Channel
	var err error
	if group != "" {
		chs, err = c.st.Channels.ByGroup(ctx, group)
	} else {
		chs, err = c.st.Channels.ByCPTS(ctx, cpts)
	}
	if err != nil {
		return fmt.Errorf("core: channel names: %w", err)
	}
	if nameTaken(chs, name, self, func(ch model.Channel) (model.ChannelID, string) { return ch.ID, ch.Name }) {
		return errChannelNameTaken()
	}
	return nil
}

// CreateChannel creates a channel; its creator joins it.
func (c *Core) CreateChannel(ctx context.Context, s model.Session, in ChannelInput) (ChannelView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return ChannelView{}, err
	}
	var g *model.Group
	switch {
	case in.CPTSID != "" && in.GroupID != "":
		return ChannelView{}, model.Invalid("group_id", "invalid_scope", "Un canal appartient à une CPTS ou à un groupe, pas aux deux.")
	case in.CPTSID != "":
		if !a.CanSeeCPTS(in.CPTSID) {
			return ChannelView{}, errCPTSNotFound
		}
		if !a.CanCreateChannelInCPTS(in.CPTSID) {
			return ChannelView{}, errForbidden
		}
	case in.GroupID != "":
		gg, err := c.group(ctx, a, in.GroupID)
		if err != nil {
			return ChannelView{}, err
		}
		if !a.CanCreateChannelInGroup(gg) {
			return ChannelView{}, errForbidden
		}
		g = &gg
	default:
		return ChannelView{}, model.Invalid("cpts_id", "invalid_scope", "Choisissez la CPTS ou le groupe du canal.")
	}
	name, err := channelName(in.Name)
	if err != nil {
		return ChannelView{}, err
	}
	topic, err := oneLine("topic", "Le sujet", in.Topic, false, maxTopic)
	if err != nil {
		return ChannelView{}, err
	}
	if in.Visibility == "" {
		in.Visibility = model.VisibilityPublic
	}
	if in.Visibility != model.VisibilityPublic && in.Visibility != model.VisibilityPrivate {
		return ChannelView{}, model.Invalid("visibility", "invalid_visibility", "La visibilité doit être public ou private.")
	}
	if in.Kind == "" {
		in.Kind = model.KindStandard
	}
	if in.Kind != model.KindStandard && in.Kind != model.KindAnnouncement {
		return ChannelView{}, model.Invalid("kind", "invalid_kind", "Le type doit être standard ou announcement.")
	}
	if err := c.channelNameFree(ctx, in.CPTSID, in.GroupID, name, ""); err != nil {
		return ChannelView{}, err
	}
	now := c.now().UTC()
	ch := model.Channel{
		ID: model.ChannelID(model.NewID()), Name: name, Topic: topic, Kind: in.Kind, Visibility: in.Visibility,
		CPTSID: in.CPTSID, GroupID: in.GroupID, CreatedBy: a.ID(), CreatedAt: now,
	}
	if err := c.st.Channels.Insert(ctx, ch); err != nil {
		if errors.Is(err, model.ErrConflict) {
			return ChannelView{}, errChannelNameTaken()
		}
		return ChannelView{}, fmt.Errorf("core: create channel: %w", err)
	}
	if err := c.st.ChannelMembers.Insert(ctx, model.ChannelMember{ChannelID: ch.ID, UserID: a.ID(), JoinedAt: now}); err != nil && !errors.Is(err, model.ErrConflict) {
		return ChannelView{}, fmt.Errorf("core: join new channel %s: %w", ch.ID, err)
	}
	a.channels[ch.ID] = true
	c.accessChanged(ctx, a.ID())
	c.channelChanged(ctx, ch)
	c.log.Info("audit: channel created", "actor_id", a.ID(), "channel_id", ch.ID)
	return channelView(a, ch, g), nil
}

// ChannelPatch renames, re-topics, (un)archives a channel or changes its
// visibility.
type ChannelPatch struct {
	Name       *string
	Topic      *string
	Archived   *bool
	Visibility *model.Visibility
}

// errVisibilityFixed answers a change of visibility of a direct
// conversation or of a post's comments, which have none of their own.
var errVisibilityFixed = model.Invalid("visibility", "visibility_fixed",
	"Seuls les canaux changent de visibilité : une conversation directe reste réservée à ses participants, et les commentaires d’une publication suivent son fil.")

// UpdateChannel applies a patch. Archiving revokes every live subscription
// to the channel; making it private revokes those of everyone but its
// members (see visibilityChanged), the caller becoming one if they were
// not.
func (c *Core) UpdateChannel(ctx context.Context, s model.Session, id model.ChannelID, p ChannelPatch) (ChannelView, error) {
	a, ch, g, err := c.actorChannel(ctx, s, id)
	if err != nil {
		return ChannelView{}, err
	}
	if p.Visibility != nil && (ch.Kind == model.KindDirect || ch.Kind == model.KindComments) {
		return ChannelView{}, errVisibilityFixed
	}
	if !a.CanManageChannel(ch, g) {
		return ChannelView{}, errForbidden
	}
	var name, topic string
	if p.Name != nil {
		if name, err = channelName(*p.Name); err != nil {
			return ChannelView{}, err
		}
	}
	if p.Topic != nil {
		if topic, err = oneLine("topic", "Le sujet", *p.Topic, false, maxTopic); err != nil {
			return ChannelView{}, err
		}
	}
	if p.Visibility != nil {
		if *p.Visibility != model.VisibilityPublic && *p.Visibility != model.VisibilityPrivate {
			return ChannelView{}, model.Invalid("visibility", "invalid_visibility", "La visibilité doit être public ou private.")
		}
		// Judged on the channel as the patch leaves it: restoring a
		// channel and changing its visibility may go together.
		after := ch
		if p.Archived != nil {
			after.Archived = *p.Archived
		}
		if *p.Visibility != ch.Visibility && !a.CanChangeChannelVisibility(after, g) {
			if after.Archived {
				return ChannelView{}, model.Coded(model.ErrConflict, "channel_archived", "Ce canal est archivé : restaurez-le avant de changer sa visibilité.")
			}
			return ChannelView{}, errForbidden
		}
	}
	if p.Name != nil && name != ch.Name {
		if err := c.channelNameFree(ctx, ch.CPTSID, ch.GroupID, name, ch.ID); err != nil {
			return ChannelView{}, err
		}
		if err := c.st.Channels.Rename(ctx, ch.ID, name); err != nil {
			if errors.Is(err, model.ErrConflict) {
				return ChannelView{}, errChannelNameTaken()
			}
			return ChannelView{}, fmt.Errorf("core: rename channel %s: %w", ch.ID, err)
		}
		ch.Name = name
		c.channelChanged(ctx, ch)
	}
	if p.Topic != nil {
		if err := c.st.Channels.SetTopic(ctx, ch.ID, topic); err != nil {
			return ChannelView{}, fmt.Errorf("core: topic of channel %s: %w", ch.ID, err)
		}
		ch.Topic = topic
		c.channelChanged(ctx, ch)
	}
	if p.Archived != nil && *p.Archived != ch.Archived && !*p.Archived {
		if err := c.setArchived(ctx, a, &ch, false); err != nil {
			return ChannelView{}, err
		}
	}
	if p.Visibility != nil && *p.Visibility != ch.Visibility {
		if *p.Visibility == model.VisibilityPrivate && !a.IsChannelMember(ch.ID) {
			// Whoever makes it private keeps it: they would not see it
			// any more, nor could they undo the change.
			if err := c.st.ChannelMembers.Insert(ctx, model.ChannelMember{ChannelID: ch.ID, UserID: a.ID(), JoinedAt: c.now().UTC()}); err != nil && !errors.Is(err, model.ErrConflict) {
				return ChannelView{}, fmt.Errorf("core: join channel %s made private: %w", ch.ID, err)
			}
			a.channels[ch.ID] = true
			c.accessChanged(ctx, a.ID())
		}
		if err := c.st.Channels.SetVisibility(ctx, ch.ID, *p.Visibility); err != nil {
			return ChannelView{}, fmt.Errorf("core: visibility of channel %s: %w", ch.ID, err)
		}
		ch.Visibility = *p.Visibility
		c.channelChanged(ctx, ch)
		c.visibilityChanged(ctx, ch)
		c.log.Info("audit: channel visibility changed", "actor_id", a.ID(), "channel_id", ch.ID, "visibility", ch.Visibility)
	}
	if p.Archived != nil && *p.Archived != ch.Archived {
		if err := c.setArchived(ctx, a, &ch, *p.Archived); err != nil {
			return ChannelView{}, err
		}
	}
	return channelView(a, ch, g), nil
}

// setArchived archives or restores ch. Archiving ends everyone's live
// subscription; the history stays readable.
func (c *Core) setArchived(ctx context.Context, a *Actor, ch *model.Channel, archived bool) error {
	if err := c.st.Channels.SetArchived(ctx, ch.ID, archived); err != nil {
		return fmt.Errorf("core: archive channel %s: %w", ch.ID, err)
	}
	ch.Archived = archived
	c.channelChanged(ctx, *ch)
	if ch.Archived {
		c.revoke(ctx, "", []model.ChannelID{ch.ID}, "archived")
	}
	c.log.Info("audit: channel archive changed", "actor_id", a.ID(), "channel_id", ch.ID, "archived", ch.Archived)
	return nil
}

// reasonPrivate is the reason of the live subscriptions a channel made
// private ends (realtime.ReasonPrivate).
const reasonPrivate = "private"

// visibilityChanged follows a change of ch's visibility, once stored and
// the channel's caches dropped (channelChanged, which also tells the
// search indexer: until it has caught up, every hit is checked again
// against CanSeeChannel, so the channel's messages stop matching for
// non-members at once).
//   - Its members' scopes hold its visibility (CanMessage reads it): their
//     cached access is dropped.
//   - Made private: the live subscriptions of everyone but its members
//     end, and a direct conversation between a member and someone who only
//     met them there becomes read-only (revokeReadOnly).
//   - Its members and everyone who reads its CPTS's or group's public
//     channels are told (access_changed): their lists show it with its new
//     icon, add it, or drop it.
func (c *Core) visibilityChanged(ctx context.Context, ch model.Channel) {
	cms, err := c.st.ChannelMembers.ByChannel(ctx, ch.ID)
	if err != nil {
		// Stored already: live clients catch up on their next reads, the
		// caches within their TTL; a member kept off the list below would
		// be revoked wrongly, so nobody is.
		c.log.Error("members of a channel whose visibility changed", "channel_id", ch.ID, "err", err)
		return
	}
	members := make([]model.UserID, len(cms))
	for i, m := range cms {
		members[i] = m.UserID
	}
	c.invalidate(ctx, cache.Invalidation{Access: members})
	if ch.Visibility == model.VisibilityPrivate && c.pub != nil {
		if err := c.pub.RevokeChannelExcept(ctx, ch.ID, members, reasonPrivate); err != nil {
			c.log.Error("revoke live subscriptions of non-members", "channel_id", ch.ID, "err", err)
		}
		for _, u := range members {
			c.revokeReadOnly(ctx, u)
		}
	}
	if c.pub == nil {
		return
	}
	audience, err := c.readers(ctx, ch.CPTSID, ch.GroupID)
	if err != nil {
		c.log.Warn("readers to notify of a visibility change", "channel_id", ch.ID, "err", err)
	}
	seen := make(map[model.UserID]bool, len(members)+len(audience))
	var notify []model.UserID
	for _, u := range slices.Concat(members, audience) {
		if !seen[u] {
			seen[u] = true
			notify = append(notify, u)
		}
	}
	if err := c.pub.AccessChanged(ctx, notify); err != nil {
		c.log.Warn("notify a visibility change", "channel_id", ch.ID, "users", len(notify), "err", err)
	}
}

// readers are those who read the public channels and the feed of a group
// (its members) or else of a CPTS (its active coordinateurs and membres);
// nobody for neither (a direct conversation).
func (c *Core) readers(ctx context.Context, cpts model.CPTSID, group model.GroupID) ([]model.UserID, error) {
	switch {
	case group != "":
		gms, err := c.st.GroupMembers.ByGroup(ctx, group)
		if err != nil {
			return nil, err
		}
		var out []model.UserID
		for _, m := range gms {
			out = append(out, m.UserID)
		}
		return out, nil
	case cpts != "":
		return c.activeMembers(ctx, cpts, model.RoleCoordinateur, model.RoleMembre)
	}
	return nil, nil
}

// activeMembers lists the users whose membership of cpts is active, in one
// of roles when roles are given.
func (c *Core) activeMembers(ctx context.Context, cpts model.CPTSID, roles ...model.Role) ([]model.UserID, error) {
	ms, err := c.st.Memberships.ByCPTS(ctx, cpts)
	if err != nil {
		return nil, err
	}
	var out []model.UserID
	for _, m := range ms {
		if m.Status == model.StatusActive && (len(roles) == 0 || slices.Contains(roles, m.Role)) {
			out = append(out, m.UserID)
		}
	}
	return out, nil
}

// JoinChannel joins a public channel.
func (c *Core) JoinChannel(ctx context.Context, s model.Session, id model.ChannelID) (ChannelView, error) {
	a, ch, g, err := c.actorChannel(ctx, s, id)
	if err != nil {
		return ChannelView{}, err
	}
	if a.IsChannelMember(ch.ID) {
		if err := c.loadPeers(ctx, a, ch); err != nil {
			return ChannelView{}, err
		}
		return channelView(a, ch, g), nil
	}
	if !a.CanJoinChannel(ch, g) {
		if ch.Archived {
			return ChannelView{}, model.Coded(model.ErrConflict, "channel_archived", "Ce canal est archivé.")
		}
		return ChannelView{}, errForbidden
	}
	if err := c.st.ChannelMembers.Insert(ctx, model.ChannelMember{ChannelID: ch.ID, UserID: a.ID(), JoinedAt: c.now().UTC()}); err != nil && !errors.Is(err, model.ErrConflict) {
		return ChannelView{}, fmt.Errorf("core: join channel %s: %w", ch.ID, err)
	}
	a.channels[ch.ID] = true
	c.accessChanged(ctx, a.ID())
	return channelView(a, ch, g), nil
}

// LeaveChannel leaves a channel.
func (c *Core) LeaveChannel(ctx context.Context, s model.Session, id model.ChannelID) error {
	a, ch, _, err := c.actorChannel(ctx, s, id)
	if err != nil {
		return err
	}
	if err := c.st.ChannelMembers.Delete(ctx, ch.ID, a.ID()); err != nil {
		if isNotFound(err) {
			return model.Coded(model.ErrConflict, "not_member", "Vous n’êtes pas membre de ce canal.")
		}
		return fmt.Errorf("core: leave channel %s: %w", ch.ID, err)
	}
	c.accessChanged(ctx, a.ID())
	if ch.Visibility == model.VisibilityPrivate {
		c.revoke(ctx, a.ID(), []model.ChannelID{ch.ID}, "removed")
	}
	// The channel may have been how a partenaire and the caller reached
	// each other.
	c.revokeReadOnly(ctx, a.ID())
	return nil
}

// ChannelMembers lists a channel's explicit members.
func (c *Core) ChannelMembers(ctx context.Context, s model.Session, id model.ChannelID) ([]MemberView, error) {
	_, ch, _, err := c.actorChannel(ctx, s, id)
	if err != nil {
		return nil, err
	}
	cms, err := c.st.ChannelMembers.ByChannel(ctx, ch.ID)
	return memberViews(ctx, c, "members of channel "+string(id), cms, err, func(m model.ChannelMember) model.UserID { return m.UserID }, nil)
}

// memberViews reads the users of the memberships ms (user gives each
// one's user) as member views, in the order Users.ByIDs gives (by name):
// view's, or the user alone when view is nil. err is that of loading ms:
// memberViews returns it, as any of its own, wrapped with what the list is.
func memberViews[M any](ctx context.Context, c *Core, what string, ms []M, err error, user func(M) model.UserID, view func(model.User, M) MemberView) ([]MemberView, error) {
	if err != nil {
		return nil, fmt.Errorf("core: %s: %w", what, err)
	}
	ids := make([]model.UserID, len(ms))
	byUser := make(map[model.UserID]M, len(ms))
	for i, m := range ms {
		ids[i] = user(m)
		byUser[ids[i]] = m
	}
	us, err := c.st.Users.ByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("core: %s: %w", what, err)
	}
	out := make([]MemberView, 0, len(us))
	for _, u := range us {
		v := MemberView{User: userView(u, false)}
		if view != nil {
			v = view(u, byUser[u.ID])
		}
		out = append(out, v)
	}
	return out, nil
}

// AddChannelMember adds someone to a channel (the way into a private one).
func (c *Core) AddChannelMember(ctx context.Context, s model.Session, id model.ChannelID, user model.UserID) (MemberView, error) {
	a, ch, g, err := c.actorChannel(ctx, s, id)
	if err != nil {
		return MemberView{}, err
	}
	if !a.CanManageChannel(ch, g) {
		return MemberView{}, errForbidden
	}
	if !model.ValidID(string(user)) {
		return MemberView{}, model.Invalid("user_id", "invalid_user", "Ce professionnel est introuvable.")
	}
	t, err := c.actorOf(ctx, user)
	if isNotFound(err) {
		return MemberView{}, model.Invalid("user_id", "invalid_user", "Ce professionnel est introuvable.")
	}
	if err != nil {
		return MemberView{}, err
	}
	if !a.CanAddToChannel(ch, g, t) {
		if ch.Archived {
			return MemberView{}, model.Coded(model.ErrConflict, "channel_archived", "Ce canal est archivé.")
		}
		return MemberView{}, model.Coded(model.ErrForbidden, "not_eligible", "Cette personne n’appartient pas à la CPTS ou au groupe de ce canal.")
	}
	if err := c.st.ChannelMembers.Insert(ctx, model.ChannelMember{ChannelID: ch.ID, UserID: user, JoinedAt: c.now().UTC()}); err != nil {
		if errors.Is(err, model.ErrConflict) {
			return MemberView{}, model.Coded(model.ErrConflict, "already_member", "Cette personne est déjà membre du canal.")
		}
		return MemberView{}, fmt.Errorf("core: add %s to channel %s: %w", user, ch.ID, err)
	}
	c.accessChanged(ctx, user)
	c.log.Info("audit: channel member added", "actor_id", a.ID(), "channel_id", ch.ID, "user_id", user)
	return MemberView{User: userView(t.User, false)}, nil
}

// RemoveChannelMember removes someone from a channel and revokes their
// live subscription.
func (c *Core) RemoveChannelMember(ctx context.Context, s model.Session, id model.ChannelID, user model.UserID) error {
	a, ch, g, err := c.actorChannel(ctx, s, id)
	if err != nil {
		return err
	}
	if user == a.ID() {
		return c.LeaveChannel(ctx, s, id)
	}
	if !a.CanManageChannel(ch, g) {
		return errForbidden
	}
	if err := c.st.ChannelMembers.Delete(ctx, ch.ID, user); err != nil {
		if isNotFound(err) {
			return errMemberNotFound
		}
		return fmt.Errorf("core: remove %s from channel %s: %w", user, ch.ID, err)
	}
	c.accessChanged(ctx, user)
	c.revoke(ctx, user, []model.ChannelID{ch.ID}, "removed")
	c.revokeReadOnly(ctx, user)
	c.log.Info("audit: channel member removed", "actor_id", a.ID(), "channel_id", ch.ID, "user_id", user)
	return nil
}
