package core

import (
	"context"
	"fmt"

	"github.com/ecpts/ecpts/internal/model"
)

// Who may talk to whom is Actor.CanMessage; these load what it reads.

// reasonReadOnly is the reason of a revoked live subscription to a direct
// conversation that became read-only (its history stays readable).
const reasonReadOnly = "read_only"

var errReadOnly = model.Coded(model.ErrForbidden, "read_only",
	"Cette conversation est en lecture seule : vous ne partagez plus de CPTS ou de groupe avec ses participants.")

// loadScopes completes each actor with its scopes (Actor.withScopes),
// once.
func (c *Core) loadScopes(ctx context.Context, actors ...*Actor) error {
	for _, x := range actors {
		if x.scoped {
			continue
		}
		e, err := c.cached.access.Scopes(ctx, x.ID())
		if err != nil {
			return fmt.Errorf("core: scopes of %s: %w", x.ID(), err)
		}
		x.withScopes(e.Channels, e.Groups)
	}
	return nil
}

// canMessage is a.CanMessage(t), reading the scopes only when the CPTS
// rule alone does not answer.
func (c *Core) canMessage(ctx context.Context, a, t *Actor) (bool, error) {
	if a.CanMessage(t) {
		return true, nil
	}
	if err := c.loadScopes(ctx, a, t); err != nil {
		return false, err
	}
	return a.CanMessage(t), nil
}

// participants returns the actors of the current participants of the
// direct conversation ch but skip (accounts that no longer exist are left
// out: there is nobody to reach).
func (c *Core) participants(ctx context.Context, ch model.ChannelID, skip model.UserID) ([]*Actor, error) {
	cms, err := c.st.ChannelMembers.ByChannel(ctx, ch)
	if err != nil {
		return nil, fmt.Errorf("core: participants of %s: %w", ch, err)
	}
	out := make([]*Actor, 0, len(cms))
	for _, cm := range cms {
		if cm.UserID == skip {
			continue
		}
		t, err := c.actorOf(ctx, cm.UserID)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// loadPeers gives a, a participant of the direct conversation ch, its
// other participants (Actor.withPeers) with what CanMessage needs to judge
// a's reach to each. Nothing for other channels or non-participants.
func (c *Core) loadPeers(ctx context.Context, a *Actor, ch model.Channel) error {
	if ch.Kind != model.KindDirect || !a.IsChannelMember(ch.ID) {
		return nil
	}
	others, err := c.participants(ctx, ch.ID, a.ID())
	if err != nil {
		return err
	}
	return c.setPeers(ctx, a, ch.ID, others)
}

func (c *Core) setPeers(ctx context.Context, a *Actor, ch model.ChannelID, others []*Actor) error {
	for _, o := range others {
		if _, err := c.canMessage(ctx, a, o); err != nil {
			return err
		}
	}
	a.withPeers(ch, others)
	return nil
}

// revokeReadOnly runs after a change of user's memberships (removal from a
// CPTS, a group or a channel, a role turned partenaire): it ends, on every
// node, the live subscriptions to the direct conversations of user that
// are read-only now, for each participant they are read-only for. Later
// subscribes are refused by policy anyway; failures are logged.
func (c *Core) revokeReadOnly(ctx context.Context, user model.UserID) {
	if c.pub == nil {
		return
	}
	e, err := c.cached.access.Access(ctx, user)
	if err != nil {
		c.log.Error("conversations for revocation", "user_id", user, "err", err)
		return
	}
	ids := make([]model.ChannelID, 0, len(e.ChannelMembers))
	for _, cm := range e.ChannelMembers {
		ids = append(ids, cm.ChannelID)
	}
	chs, err := c.cached.channels.ByIDs(ctx, ids)
	if err != nil {
		c.log.Error("conversations for revocation", "user_id", user, "err", err)
		return
	}
	for _, ch := range chs {
		if ch.Kind != model.KindDirect {
			continue
		}
		all, err := c.participants(ctx, ch.ID, "")
		if err == nil {
			err = c.loadScopes(ctx, all...)
		}
		if err != nil {
			c.log.Error("participants for revocation", "channel_id", ch.ID, "err", err)
			continue
		}
		for i, x := range all {
			others := make([]*Actor, 0, len(all)-1)
			others = append(others, all[:i]...)
			others = append(others, all[i+1:]...)
			if !x.withPeers(ch.ID, others).CanSubscribe(ch, nil) {
				c.revoke(ctx, x.ID(), []model.ChannelID{ch.ID}, reasonReadOnly)
			}
		}
	}
}
