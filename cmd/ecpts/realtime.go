package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store/cache"
	"github.com/ecpts/ecpts/realtime"
	"github.com/redis/go-redis/v9"
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
	frames := make([]realtime.Frame, 0, len(vs))
	for _, v := range vs {
		f, err := realtime.MessageFrame(ch, v.Seq, v)
		if err != nil {
			return nil, 0, err
		}
		frames = append(frames, f)
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

// publisher adapts the realtime publisher to core.Publisher.
type publisher struct {
	p *realtime.Publisher
}

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

type updateFrame struct {
	Type    string           `json:"type"`
	Channel model.ChannelID  `json:"channel"`
	Message core.MessageView `json:"message"`
}

func (p publisher) PublishUpdate(ctx context.Context, ch model.ChannelID, v core.MessageView) error {
	b, err := json.Marshal(updateFrame{Type: "message_updated", Channel: ch, Message: v})
	if err != nil {
		return err
	}
	return p.p.PublishFrame(ctx, ch, realtime.Frame{Data: b})
}

// AccessChanged tells the users' connections, on every node, to re-read
// their lists.
func (p publisher) AccessChanged(ctx context.Context, users []model.UserID) error {
	if len(users) == 0 {
		return nil
	}
	return p.p.AccessChanged(ctx, users)
}

// redisBus carries the cache layer's invalidations to the other nodes on a
// Redis channel of their own (cache.Bus).
type redisBus struct {
	rdb *redis.Client
	key string
}

func (b redisBus) Announce(ctx context.Context, inv cache.Invalidation) error {
	msg, err := inv.MarshalBinary()
	if err != nil {
		return err
	}
	return b.rdb.Publish(ctx, b.key, msg).Err()
}

// subscribeAccess subscribes to other nodes' invalidations and waits for
// Redis to confirm, so none published once the node serves is missed.
func subscribeAccess(ctx context.Context, rdb *redis.Client, key string) (*redis.PubSub, error) {
	sub := rdb.Subscribe(ctx, key)
	if _, err := sub.Receive(ctx); err != nil {
		_ = sub.Close()
		return nil, fmt.Errorf("ECPTS_REDIS_URL: subscribe: %w", err)
	}
	return sub, nil
}

// listenAccess applies other nodes' invalidations until ctx ends.
func listenAccess(ctx context.Context, sub *redis.PubSub, layer *cache.Layer, log *slog.Logger) {
	defer sub.Close()
	ch := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			var inv cache.Invalidation
			if err := inv.UnmarshalBinary([]byte(m.Payload)); err != nil {
				log.Warn("cache invalidation ignored", "err", err)
				continue
			}
			layer.Apply(inv)
		}
	}
}
