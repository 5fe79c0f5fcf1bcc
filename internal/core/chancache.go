package core

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// chanCache keeps channel documents and the channel lists of each CPTS and
// group: every message operation reads its channel, and listing channels
// reads many, each a round trip to the store (embedded FerretDB indexes
// only _id lookups). Concurrent misses for one channel or list share one
// read (fills). Channels change rarely; every core write to one calls
// channelChanged, which drops it (and the read of it in flight) here and
// on the other nodes (Publisher.ChannelChanged). ttl bounds a lost notice.
// The recorded LastSeq of a cached channel may be old: what needs it fresh
// reads the store (Unread) or the node's sequence state.
type chanCache struct {
	ttl        time.Duration
	now        func() time.Time
	mu         sync.Mutex
	byID       map[model.ChannelID]cachedChannel
	byScope    map[string]cachedList
	idFills    fills[model.ChannelID, model.Channel] // guarded by mu
	scopeFills fills[string, []model.Channel]        // guarded by mu
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
	c := &chanCache{ttl: ttl, now: now, byID: map[model.ChannelID]cachedChannel{}, byScope: map[string]cachedList{}}
	c.idFills.init(&c.mu)
	c.scopeFills.init(&c.mu)
	return c
}

func scopeOf(ch model.Channel) string {
	if ch.GroupID != "" {
		return "group:" + string(ch.GroupID)
	}
	return "cpts:" + string(ch.CPTSID)
}

// invalidate drops a channel and its scope's list (every list when scope
// is empty), with the reads of them in flight.
func (c *chanCache) invalidate(id model.ChannelID, scope string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.byID, id)
	c.idFills.forget(id)
	if scope != "" {
		delete(c.byScope, scope)
		c.scopeFills.forget(scope)
	} else {
		c.byScope = map[string]cachedList{}
		c.scopeFills.forgetAll()
	}
}

// keepChannel stores a channel read at at; c.mu must be held.
func (c *chanCache) keepChannel(ch model.Channel, at time.Time) {
	if len(c.byID) > 50000 {
		c.byID = map[model.ChannelID]cachedChannel{}
	}
	c.byID[ch.ID] = cachedChannel{ch: ch, at: at}
}

// channelByID reads a channel through the cache.
func (c *Core) channelByID(ctx context.Context, id model.ChannelID) (model.Channel, error) {
	cc := c.chans
	cc.mu.Lock()
	now := cc.now()
	if e, ok := cc.byID[id]; ok && now.Sub(e.at) < cc.ttl {
		cc.mu.Unlock()
		return e.ch, nil
	}
	f, lead := cc.idFills.claim(id)
	cc.mu.Unlock()
	if lead {
		cc.idFills.start(ctx, []model.ChannelID{id}, []*fill[model.Channel]{f},
			func(ctx context.Context, _ []model.ChannelID) (map[model.ChannelID]model.Channel, error) {
				ch, err := c.st.Channels.ByID(ctx, id)
				if isNotFound(err) {
					return nil, nil
				}
				if err != nil {
					return nil, err
				}
				return map[model.ChannelID]model.Channel{id: ch}, nil
			},
			func(_ model.ChannelID, ch model.Channel) { cc.keepChannel(ch, now) })
	}
	ch, found, err := f.wait(ctx)
	if err != nil {
		return model.Channel{}, err
	}
	if !found {
		return model.Channel{}, fmt.Errorf("core: channel %s: %w", id, model.ErrNotFound)
	}
	return ch, nil
}

// channelsByIDs reads channels through the cache (absent ones skipped):
// in one batch those neither cached nor being read, waiting for the
// reads of the others.
func (c *Core) channelsByIDs(ctx context.Context, ids []model.ChannelID) ([]model.Channel, error) {
	cc := c.chans
	out := make([]model.Channel, 0, len(ids))
	var (
		pending []*fill[model.Channel]
		seen    map[model.ChannelID]bool
		lead    []model.ChannelID
		leadFs  []*fill[model.Channel]
	)
	cc.mu.Lock()
	now := cc.now()
	for _, id := range ids {
		if e, ok := cc.byID[id]; ok && now.Sub(e.at) < cc.ttl {
			out = append(out, e.ch)
			continue
		}
		if seen[id] {
			continue
		}
		if seen == nil {
			seen = make(map[model.ChannelID]bool)
		}
		seen[id] = true
		f, isLead := cc.idFills.claim(id)
		pending = append(pending, f)
		if isLead {
			lead = append(lead, id)
			leadFs = append(leadFs, f)
		}
	}
	cc.mu.Unlock()
	if len(pending) == 0 {
		return out, nil
	}
	if len(lead) > 0 {
		cc.idFills.start(ctx, lead, leadFs,
			func(ctx context.Context, ids []model.ChannelID) (map[model.ChannelID]model.Channel, error) {
				chs, err := c.st.Channels.ByIDs(ctx, ids)
				if err != nil {
					return nil, err
				}
				got := make(map[model.ChannelID]model.Channel, len(chs))
				for _, ch := range chs {
					got[ch.ID] = ch
				}
				return got, nil
			},
			func(_ model.ChannelID, ch model.Channel) { cc.keepChannel(ch, now) })
	}
	for _, f := range pending {
		ch, found, err := f.wait(ctx)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, ch)
		}
	}
	return out, nil
}

// scopeChannels lists the channels of a CPTS ("cpts:<id>") or group
// ("group:<id>") through the cache. Callers that miss together share the
// first one's load: every load of a scope must read the same list.
func (c *Core) scopeChannels(ctx context.Context, scope string, load func(context.Context) ([]model.Channel, error)) ([]model.Channel, error) {
	cc := c.chans
	cc.mu.Lock()
	now := cc.now()
	if e, ok := cc.byScope[scope]; ok && now.Sub(e.at) < cc.ttl {
		cc.mu.Unlock()
		return e.chs, nil
	}
	f, lead := cc.scopeFills.claim(scope)
	cc.mu.Unlock()
	if lead {
		cc.scopeFills.start(ctx, []string{scope}, []*fill[[]model.Channel]{f},
			func(ctx context.Context, _ []string) (map[string][]model.Channel, error) {
				chs, err := load(ctx)
				if err != nil {
					return nil, err
				}
				return map[string][]model.Channel{scope: chs}, nil
			},
			func(_ string, chs []model.Channel) { cc.byScope[scope] = cachedList{chs: chs, at: now} })
	}
	chs, _, err := f.wait(ctx)
	return chs, err
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
