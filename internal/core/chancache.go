package core

import (
	"context"
	"sync"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// chanCache keeps channel documents and the channel lists of each CPTS and
// group: every message operation reads its channel, and listing channels
// reads many, each a round trip to the store (embedded FerretDB indexes
// only _id lookups). Channels change rarely; every core write to one calls
// channelChanged, which drops it here and on the other nodes
// (Publisher.ChannelChanged). ttl bounds a lost notice. The recorded
// LastSeq of a cached channel may be old: what needs it fresh reads the
// store (Unread) or the node's sequence state.
type chanCache struct {
	ttl     time.Duration
	now     func() time.Time
	mu      sync.Mutex
	gen     uint64
	byID    map[model.ChannelID]cachedChannel
	byScope map[string]cachedList
}

type cachedChannel struct {
	ch model.Channel
	at time.Time
}

type cachedList struct {
	chs []model.Channel
	at  time.Time
}

func newChanCache(ttl time.Duration, now func() time.Time) *chanCache {
	return &chanCache{ttl: ttl, now: now, byID: map[model.ChannelID]cachedChannel{}, byScope: map[string]cachedList{}}
}

func scopeOf(ch model.Channel) string {
	if ch.GroupID != "" {
		return "group:" + string(ch.GroupID)
	}
	return "cpts:" + string(ch.CPTSID)
}

// invalidate drops a channel and its scope's list.
func (c *chanCache) invalidate(id model.ChannelID, scope string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.byID, id)
	if scope != "" {
		delete(c.byScope, scope)
	} else {
		c.byScope = map[string]cachedList{}
	}
}

// channelByID reads a channel through the cache.
func (c *Core) channelByID(ctx context.Context, id model.ChannelID) (model.Channel, error) {
	cc := c.chans
	cc.mu.Lock()
	e, ok := cc.byID[id]
	gen := cc.gen
	cc.mu.Unlock()
	if ok && cc.now().Sub(e.at) < cc.ttl {
		return e.ch, nil
	}
	ch, err := c.st.Channels.ByID(ctx, id)
	if err != nil {
		return model.Channel{}, err
	}
	cc.mu.Lock()
	if cc.gen == gen {
		if len(cc.byID) > 50000 {
			cc.byID = map[model.ChannelID]cachedChannel{}
		}
		cc.byID[id] = cachedChannel{ch: ch, at: cc.now()}
	}
	cc.mu.Unlock()
	return ch, nil
}

// channelsByIDs reads channels through the cache (absent ones skipped).
func (c *Core) channelsByIDs(ctx context.Context, ids []model.ChannelID) ([]model.Channel, error) {
	cc := c.chans
	out := make([]model.Channel, 0, len(ids))
	var missing []model.ChannelID
	cc.mu.Lock()
	gen := cc.gen
	now := cc.now()
	for _, id := range ids {
		if e, ok := cc.byID[id]; ok && now.Sub(e.at) < cc.ttl {
			out = append(out, e.ch)
		} else {
			missing = append(missing, id)
		}
	}
	cc.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	chs, err := c.st.Channels.ByIDs(ctx, missing)
	if err != nil {
		return nil, err
	}
	cc.mu.Lock()
	if cc.gen == gen {
		for _, ch := range chs {
			cc.byID[ch.ID] = cachedChannel{ch: ch, at: now}
		}
	}
	cc.mu.Unlock()
	return append(out, chs...), nil
}

// scopeChannels lists the channels of a CPTS ("cpts:<id>") or group
// ("group:<id>") through the cache.
func (c *Core) scopeChannels(ctx context.Context, scope string, load func(context.Context) ([]model.Channel, error)) ([]model.Channel, error) {
	cc := c.chans
	cc.mu.Lock()
	e, ok := cc.byScope[scope]
	gen := cc.gen
	cc.mu.Unlock()
	if ok && cc.now().Sub(e.at) < cc.ttl {
		return e.chs, nil
	}
	chs, err := load(ctx)
	if err != nil {
		return nil, err
	}
	cc.mu.Lock()
	if cc.gen == gen {
		cc.byScope[scope] = cachedList{chs: chs, at: cc.now()}
	}
	cc.mu.Unlock()
	return chs, nil
}

// channelChanged is called after every write to a channel document.
func (c *Core) channelChanged(ctx context.Context, ch model.Channel) {
	c.chans.invalidate(ch.ID, scopeOf(ch))
	if c.pub == nil {
		return
	}
	if err := c.pub.ChannelChanged(ctx, ch.ID); err != nil {
		c.log.Warn("notify channel change", "channel_id", ch.ID, "err", err)
	}
}

// InvalidateChannel drops a channel another node changed (and, not knowing
// its scope, every cached channel list).
func (c *Core) InvalidateChannel(id model.ChannelID) { c.chans.invalidate(id, "") }
