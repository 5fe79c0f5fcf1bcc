package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store/cache"
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
		FileIDs: in.FileIDs,
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

func (p publisher) RevokeChannelExcept(ctx context.Context, ch model.ChannelID, keep []model.UserID, reason string) error {
	return p.p.RevokeChannelExcept(ctx, ch, keep, reason)
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

// AccessChanged tells the users' connections, on every node, to re-read
// their lists.
func (p publisher) AccessChanged(ctx context.Context, users []model.UserID) error {
	if len(users) == 0 {
		return nil
	}
	return p.p.AccessChanged(ctx, users)
}

// PublishPost sends a post of a feed to its readers' connections
// (core.FeedPublisher).
func (p publisher) PublishPost(ctx context.Context, users []model.UserID, created bool, v core.PostView) error {
	f, err := realtime.PostFrame(model.FeedScope{CPTSID: v.CPTSID, GroupID: v.GroupID}.Key(), created, v)
	if err != nil {
		return err
	}
	return p.p.PublishToUsers(ctx, users, f)
}

// PublishRSVPCounts sends an event's answer counts to its readers.
func (p publisher) PublishRSVPCounts(ctx context.Context, users []model.UserID, post model.PostID, counts model.RSVPCounts) error {
	f, err := realtime.RSVPCountsFrame(post, counts)
	if err != nil {
		return err
	}
	return p.p.PublishToUsers(ctx, users, f)
}

var _ core.FeedPublisher = publisher{}

// PublishProtocol tells those who may see a protocol that it changed
// (core.LibraryPublisher).
func (p publisher) PublishProtocol(ctx context.Context, users []model.UserID, id model.ProtocolID, cpts model.CPTSID) error {
	f, err := realtime.ProtocolFrame(id, cpts)
	if err != nil {
		return err
	}
	return p.p.PublishToUsers(ctx, users, f)
}

// PublishMaterial tells those who may see a material that it changed.
func (p publisher) PublishMaterial(ctx context.Context, users []model.UserID, id model.MaterialID, cpts model.CPTSID, deleted bool) error {
	f, err := realtime.MaterialFrame(id, cpts, deleted)
	if err != nil {
		return err
	}
	return p.p.PublishToUsers(ctx, users, f)
}

var _ core.LibraryPublisher = publisher{}

// cacheKind is the kind of the broker's invalidate events that carry the
// cache layer's invalidations.
const cacheKind = "cache"

// cacheBus carries the cache layer's invalidations to every node through
// the broker (cache.Bus).
type cacheBus struct{ p *realtime.Publisher }

func (b cacheBus) Announce(ctx context.Context, inv cache.Invalidation) error {
	msg, err := inv.MarshalBinary()
	if err != nil {
		return err
	}
	return b.p.Announce(ctx, cacheKind, msg)
}

// applyInvalidation applies what any node announced, this one included (it
// dropped its own entries before announcing: dropping again is harmless).
func applyInvalidation(layer *cache.Layer, log *slog.Logger) func(kind string, payload []byte) {
	return func(kind string, payload []byte) {
		if kind != cacheKind {
			return
		}
		var inv cache.Invalidation
		if err := inv.UnmarshalBinary(payload); err != nil {
			log.Warn("cache invalidation ignored", "err", err)
			return
		}
		layer.Apply(inv)
	}
}
