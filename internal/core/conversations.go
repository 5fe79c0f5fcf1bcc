package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// maxParticipants of a direct conversation, the caller included.
const maxParticipants = 8

// ConversationView is a direct conversation as its participants see it.
type ConversationView struct {
	ID           model.ChannelID `json:"id"`
	Kind         string          `json:"kind" openapi:"enum=direct"`
	Name         string          `json:"name"`
	Participants []UserView      `json:"participants"`
	LastSeq      uint64          `json:"last_seq"`
	CreatedAt    string          `json:"created_at"`
	// CanPost is false once the caller no longer reaches every other
	// participant: the conversation is then read-only for them, and
	// PostRefusal says so ("read_only").
	CanPost     bool        `json:"can_post"`
	PostRefusal PostRefusal `json:"post_refusal,omitempty"`
}

func (c *Core) conversationView(ctx context.Context, a *Actor, ch model.Channel) (ConversationView, error) {
	cms, err := c.st.ChannelMembers.ByChannel(ctx, ch.ID)
	if err != nil {
		return ConversationView{}, fmt.Errorf("core: conversation %s: %w", ch.ID, err)
	}
	ids := make([]model.UserID, 0, len(cms))
	others := make([]*Actor, 0, len(cms))
	for _, m := range cms {
		ids = append(ids, m.UserID)
		if m.UserID == a.ID() {
			continue
		}
		t, err := c.actorOf(ctx, m.UserID)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return ConversationView{}, err
		}
		others = append(others, t)
	}
	if err := c.setPeers(ctx, a, ch.ID, others); err != nil {
		return ConversationView{}, err
	}
	users, err := c.usersByID(ctx, ids)
	if err != nil {
		return ConversationView{}, err
	}
	last, err := c.msgs.Last(ctx, ch.ID)
	if err != nil {
		return ConversationView{}, fmt.Errorf("core: conversation %s: %w", ch.ID, err)
	}
	v := ConversationView{ID: ch.ID, Kind: string(model.KindDirect), LastSeq: last, CreatedAt: ch.CreatedAt.UTC().Format(timeLayout),
		Participants: []UserView{}, PostRefusal: a.PostRefusal(ch, nil)}
	v.CanPost = v.PostRefusal == PostAllowed
	var names []string
	for _, id := range ids {
		u, ok := users[id]
		if !ok {
			continue
		}
		v.Participants = append(v.Participants, userView(u, false))
		if id != a.ID() {
			names = append(names, u.Name)
		}
	}
	slices.Sort(names)
	v.Name = strings.Join(names, ", ")
	if v.Name == "" {
		v.Name = "Conversation"
	}
	return v, nil
}

// conversationKey names a participant set.
func conversationKey(ids []model.UserID) string {
	s := slices.Clone(ids)
	slices.Sort(s)
	parts := make([]string, len(s))
	for i, id := range s {
		parts[i] = string(id)
	}
	h := sha256.Sum256([]byte(strings.Join(parts, ",")))
	return hex.EncodeToString(h[:])
}

// OpenConversation opens the direct conversation between the caller and
// others (1 to 7 people who may all message one another: CanMessage).
// The same set of people gets the same conversation, and whoever had left
// it is brought back by another participant; but someone who left does not
// bring themselves back (that would undo the leave and show them what was
// said without them): they get a new conversation with the same people,
// and the old one stays with those still in it. created is false for an
// existing one.
func (c *Core) OpenConversation(ctx context.Context, s model.Session, others []model.UserID) (ConversationView, bool, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return ConversationView{}, false, err
	}
	if c.content.sealer == nil {
		return ConversationView{}, false, fmt.Errorf("core: conversations need a key ring")
	}
	set := []model.UserID{a.ID()}
	for _, id := range others {
		if !model.ValidID(string(id)) {
			return ConversationView{}, false, model.Invalid("user_ids", "invalid_user", "Un des destinataires est introuvable.")
		}
		if !slices.Contains(set, id) {
			set = append(set, id)
		}
		if len(set) > maxParticipants {
			break // too many already: a long list must not cost a quadratic scan
		}
	}
	if len(set) < 2 {
		return ConversationView{}, false, model.Invalid("user_ids", "no_recipient", "Choisissez au moins une personne.")
	}
	if len(set) > maxParticipants {
		return ConversationView{}, false, model.Invalid("user_ids", "too_many", "Une conversation réunit au plus 8 personnes.")
	}
	peers := make([]*Actor, 0, len(set)-1)
	for _, id := range set[1:] {
		t, err := c.actorOf(ctx, id)
		ok := false
		if err == nil {
			ok, err = c.canMessage(ctx, a, t)
		}
		if isNotFound(err) || (err == nil && !ok) {
			return ConversationView{}, false, model.Invalid("user_ids", "not_reachable",
				"Vous ne pouvez écrire qu’aux professionnels qui partagent une CPTS ou un groupe avec vous.")
		}
		if err != nil {
			return ConversationView{}, false, err
		}
		peers = append(peers, t)
	}
	if !a.CanOpenConversation(peers) {
		if err := c.loadScopes(ctx, peers...); err != nil {
			return ConversationView{}, false, err
		}
		if !a.CanOpenConversation(peers) {
			return ConversationView{}, false, model.Invalid("user_ids", "not_reachable",
				"Ces personnes ne partagent pas toutes une CPTS ou un groupe : elles ne pourraient pas s’écrire dans cette conversation.")
		}
	}
	now := c.now().UTC()
	ch, created, err := c.claimConversation(ctx, a.ID(), set, now)
	if err != nil {
		return ConversationView{}, false, err
	}
	for _, id := range set {
		if err := c.st.ChannelMembers.Insert(ctx, model.ChannelMember{ChannelID: ch.ID, UserID: id, JoinedAt: now}); err != nil && !errors.Is(err, model.ErrConflict) {
			return ConversationView{}, false, fmt.Errorf("core: conversation members: %w", err)
		}
	}
	c.accessChanged(ctx, set...)
	a.channels[ch.ID] = true
	v, err := c.conversationView(ctx, a, ch)
	return v, created, err
}

// claimConversation returns the conversation of set, creating it when set
// has none or when the caller left the one it has (the set's key then moves
// to the new one).
func (c *Core) claimConversation(ctx context.Context, caller model.UserID, set []model.UserID, now time.Time) (model.Channel, bool, error) {
	key := conversationKey(set)
	for attempt := 0; ; attempt++ {
		ch := model.Channel{ID: model.ChannelID(model.NewID()), Kind: model.KindDirect, Visibility: model.VisibilityPrivate, CreatedBy: caller, CreatedAt: now}
		existing, err := c.st.ConversationKeys.Claim(ctx, key, ch.ID)
		switch {
		case err == nil:
			if ch.Key, err = c.content.sealer.NewConversationKey(string(ch.ID)); err != nil {
				_ = c.st.ConversationKeys.Release(ctx, key)
				return model.Channel{}, false, fmt.Errorf("core: conversation key: %w", err)
			}
			if err := c.st.Channels.Insert(ctx, ch); err != nil {
				_ = c.st.ConversationKeys.Release(ctx, key)
				return model.Channel{}, false, fmt.Errorf("core: create conversation: %w", err)
			}
			return ch, true, nil
		case isNotFound(err) && attempt < 3:
			continue // retired between the insert and the read: claim again
		case !errors.Is(err, model.ErrConflict):
			return model.Channel{}, false, fmt.Errorf("core: open conversation: %w", err)
		}
		_, err = c.st.ChannelMembers.Get(ctx, existing, caller)
		switch {
		case isNotFound(err) && attempt < 3:
			if err := c.st.ConversationKeys.Retire(ctx, key, existing); err != nil {
				return model.Channel{}, false, fmt.Errorf("core: open conversation: %w", err)
			}
			continue
		case isNotFound(err):
			return model.Channel{}, false, fmt.Errorf("core: open conversation: caller left %s, key still taken: %w", existing, model.ErrConflict)
		case err != nil:
			return model.Channel{}, false, fmt.Errorf("core: conversation %s: %w", existing, err)
		}
		if ch, err = c.st.Channels.ByID(ctx, existing); err != nil {
			return model.Channel{}, false, fmt.Errorf("core: conversation %s: %w", existing, err)
		}
		return ch, false, nil
	}
}

// Conversations lists the caller's direct conversations.
func (c *Core) Conversations(ctx context.Context, s model.Session) ([]ConversationView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, err
	}
	ids := slices.Collect(maps.Keys(a.channels))
	chs, err := c.cached.channels.ByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("core: conversations: %w", err)
	}
	out := []ConversationView{}
	for _, ch := range chs {
		if ch.Kind != model.KindDirect || !a.CanSeeChannel(ch, nil) {
			continue
		}
		v, err := c.conversationView(ctx, a, ch)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	sortFolded(out, func(v ConversationView) string { return v.Name })
	return out, nil
}

// LeaveConversation removes the caller from a conversation at once: no
// more reading, subscribing or searching it.
func (c *Core) LeaveConversation(ctx context.Context, s model.Session, id model.ChannelID) error {
	a, err := c.actor(ctx, s)
	if err != nil {
		return err
	}
	ch, _, err := c.channel(ctx, a, id)
	if err != nil || ch.Kind != model.KindDirect {
		return errChannelNotFound
	}
	if err := c.st.ChannelMembers.Delete(ctx, ch.ID, a.ID()); err != nil && !isNotFound(err) {
		return fmt.Errorf("core: leave conversation %s: %w", ch.ID, err)
	}
	c.accessChanged(ctx, a.ID())
	c.revoke(ctx, a.ID(), []model.ChannelID{ch.ID}, "removed")
	return nil
}

// Online reports which of users the caller may see are online; presence
// comes from the realtime layer through this function.
func (c *Core) VisibleUsers(ctx context.Context, s model.Session, users []model.UserID) ([]model.UserID, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, err
	}
	if len(users) > 200 {
		return nil, model.Invalid("user_ids", "too_many", "Au plus 200 personnes à la fois.")
	}
	var out []model.UserID
	for _, id := range users {
		if !model.ValidID(string(id)) {
			continue
		}
		if id == a.ID() {
			out = append(out, id)
			continue
		}
		t, err := c.actorOf(ctx, id)
		if err != nil {
			continue
		}
		ok, err := c.canMessage(ctx, a, t)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, id)
		}
	}
	return out, nil
}
