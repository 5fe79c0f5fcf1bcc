package main

import (
	"context"
	"errors"
	"strings"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/realtime"
)

// hubApp adapts core to realtime.App: the hub declares what it needs, core
// knows nothing of frames.
type hubApp struct{ c *core.Core }

func coreSession(s realtime.Session) model.Session {
	return model.Session{ID: s.SessionID, UserID: s.UserID}
}

func (h hubApp) Subscribe(ctx context.Context, s realtime.Session, ch model.ChannelID, since uint64) ([]realtime.Frame, uint64, error) {
	vs, last, err := h.c.Backlog(ctx, coreSession(s), ch, since)
	if errors.Is(err, core.ErrTooFarBehind) {
		return nil, last, realtime.ErrTooFarBehind
	}
	if err != nil {
		return nil, 0, err
	}
	frames, err := realtime.MessageFrames(ch, vs, func(v core.MessageView) uint64 { return v.Seq })
	if err != nil {
		return nil, 0, err
	}
	return frames, last, nil
}

func (h hubApp) Send(ctx context.Context, s realtime.Session, in realtime.SendInput) (realtime.Ack, error) {
	v, _, err := h.c.SendMessage(ctx, coreSession(s), core.SendInput{
		Channel: in.Channel, ClientID: in.ClientID, Body: in.Body, ThreadID: model.MessageID(in.ThreadID),
	})
	if err != nil {
		return realtime.Ack{}, err
	}
	return realtime.Ack{Seq: v.Seq, ID: string(v.ID)}, nil
}

func (h hubApp) Read(ctx context.Context, s realtime.Session, ch model.ChannelID, seq uint64) error {
	return h.c.MarkRead(ctx, coreSession(s), ch, seq)
}

func (h hubApp) Typing(ctx context.Context, s realtime.Session, ch model.ChannelID) error {
	return h.c.Typing(ctx, coreSession(s), ch)
}

// publisher adapts the realtime publisher to core.Publisher: every
// node-to-node event goes through the broker, cache invalidations
// included (realtime.Publisher.Announce, applied on every node by
// applyInvalidation).
type publisher struct{ p *realtime.Publisher }

func (p publisher) RevokeChannels(ctx context.Context, user model.UserID, chans []model.ChannelID, reason string) error {
	var errs []error
	for _, ch := range chans {
		errs = append(errs, p.p.RevokeChannel(ctx, user, ch, reason))
	}
	return errors.Join(errs...)
}

func (p publisher) CloseUser(ctx context.Context, user model.UserID) error {
	return p.p.CloseUser(ctx, user)
}

func (p publisher) CloseSession(ctx context.Context, id string) error {
	return p.p.CloseSession(ctx, id)
}

func (p publisher) PublishMessage(ctx context.Context, ch model.ChannelID, seq uint64, v core.MessageView) error {
	return p.p.PublishMessage(ctx, ch, seq, v)
}

func (p publisher) PublishUpdate(ctx context.Context, ch model.ChannelID, v core.MessageView) error {
	return p.p.PublishUpdate(ctx, ch, v)
}

// Kinds of the invalidations core's caches announce; the payload is a
// comma-separated list of user ids, or one channel id.
const (
	invalidateAccess  = "access"
	invalidateChannel = "channel"
)

// AccessChanged tells every node to drop cached memberships of users (core
// has dropped its own already), then tells the users' connections to
// re-read their lists: in that order on the broker's control key, so a
// node drops its cache before its clients hear of the change.
func (p publisher) AccessChanged(ctx context.Context, users []model.UserID) error {
	if len(users) == 0 {
		return nil
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = string(u)
	}
	if err := p.p.Announce(ctx, invalidateAccess, []byte(strings.Join(ids, ","))); err != nil {
		return err
	}
	return p.p.AccessChanged(ctx, users)
}

// ChannelChanged tells every node to drop a cached channel.
func (p publisher) ChannelChanged(ctx context.Context, ch model.ChannelID) error {
	return p.p.Announce(ctx, invalidateChannel, []byte(ch))
}

// applyInvalidation applies an invalidation announced by any node, this
// one included (it dropped its own cache before announcing: dropping again
// is harmless). Ids that are not valid are ignored.
func applyInvalidation(c *core.Core) func(kind string, payload []byte) {
	return func(kind string, payload []byte) {
		switch kind {
		case invalidateAccess:
			var users []model.UserID
			for id := range strings.SplitSeq(string(payload), ",") {
				if model.ValidID(id) {
					users = append(users, model.UserID(id))
				}
			}
			c.InvalidateAccess(users...)
		case invalidateChannel:
			if id := string(payload); model.ValidID(id) {
				c.InvalidateChannel(model.ChannelID(id))
			}
		}
	}
}
