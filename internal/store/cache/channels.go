package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

// Channels caches channel documents and the channel lists of each CPTS
// and group: every message operation reads its channel, and listing
// channels reads many, each a round trip to the store (embedded FerretDB
// indexes only _id lookups). Concurrent misses for one channel or list
// share one read (fills). Channels change rarely; every write to one is
// followed by an Invalidation naming it and its scope's list
// (ChannelChanged), which drops them (and the reads of them in flight)
// here and on the other nodes. ttl bounds a lost announcement.
//
// The recorded LastSeq of a cached channel may be old: what needs it fresh
// reads the store or the node's sequence state.
type Channels struct {
	st        *store.Channels
	ttl       time.Duration
	now       func() time.Time
	mu        sync.Mutex
	byID      map[model.ChannelID]entry[model.Channel]
	lists     map[string]entry[[]model.Channel]     // by scope: "cpts:<id>", "group:<id>"
	idFills   fills[model.ChannelID, model.Channel] // guarded by mu
	listFills fills[string, []model.Channel]        // guarded by mu
}

func newChannels(st *store.Channels, now func() time.Time) *Channels {
	c := &Channels{st: st, ttl: accessTTL, now: now, byID: map[model.ChannelID]entry[model.Channel]{}, lists: map[string]entry[[]model.Channel]{}}
	c.idFills.init(&c.mu)
	c.listFills.init(&c.mu)
	return c
}

func cptsList(id model.CPTSID) string   { return "cpts:" + string(id) }
func groupList(id model.GroupID) string { return "group:" + string(id) }

// invalidate drops channels and lists, with the reads of them in flight.
func (c *Channels) invalidate(ids []model.ChannelID, cpts []model.CPTSID, groups []model.GroupID) {
	if len(ids)+len(cpts)+len(groups) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	drop(&c.idFills, c.byID, ids)
	lists := make([]string, 0, len(cpts)+len(groups))
	for _, id := range cpts {
		lists = append(lists, cptsList(id))
	}
	for _, id := range groups {
		lists = append(lists, groupList(id))
	}
	drop(&c.listFills, c.lists, lists)
}

// keep stores a channel read at at; c.mu must be held.
func (c *Channels) keep(ch model.Channel, at time.Time) {
	if len(c.byID) > maxChannels {
		c.byID = map[model.ChannelID]entry[model.Channel]{}
	}
	c.byID[ch.ID] = entry[model.Channel]{v: ch, at: at}
}

// hit returns the channel when cached and fresh at now; c.mu must be held.
func (c *Channels) hit(id model.ChannelID, now time.Time) (model.Channel, bool) {
	e, ok := c.byID[id]
	return e.v, ok && now.Sub(e.at) < c.ttl
}

// ByID returns the channel or ErrNotFound.
func (c *Channels) ByID(ctx context.Context, id model.ChannelID) (model.Channel, error) {
	now := c.now()
	ch, found, err := c.idFills.get(ctx, id,
		func() (model.Channel, bool) { return c.hit(id, now) },
		func(ctx context.Context) (model.Channel, bool, error) {
			ch, err := c.st.ByID(ctx, id)
			if errors.Is(err, model.ErrNotFound) {
				return ch, false, nil
			}
			return ch, err == nil, err
		},
		func(ch model.Channel) { c.keep(ch, now) })
	if err != nil {
		return model.Channel{}, err
	}
	if !found {
		return model.Channel{}, fmt.Errorf("cache: channel %s: %w", id, model.ErrNotFound)
	}
	return ch, nil
}

// ByIDs returns the channels among ids that exist, each once, in no
// particular order: in one batch those neither cached nor being read,
// waiting for the reads of the others.
func (c *Channels) ByIDs(ctx context.Context, ids []model.ChannelID) ([]model.Channel, error) {
	now := c.now()
	return c.idFills.getMany(ctx, ids,
		func(id model.ChannelID) (model.Channel, bool) { return c.hit(id, now) },
		func(ctx context.Context, ids []model.ChannelID) (map[model.ChannelID]model.Channel, error) {
			chs, err := c.st.ByIDs(ctx, ids)
			return index(chs, func(ch model.Channel) model.ChannelID { return ch.ID }), err
		},
		func(_ model.ChannelID, ch model.Channel) { c.keep(ch, now) })
}

// ByCPTS returns the channels of cpts (not those of its groups), archived
// ones included.
func (c *Channels) ByCPTS(ctx context.Context, cpts model.CPTSID) ([]model.Channel, error) {
	return c.list(ctx, cptsList(cpts), func(ctx context.Context) ([]model.Channel, error) { return c.st.ByCPTS(ctx, cpts) })
}

// ByGroup returns the channels of group, archived ones included.
func (c *Channels) ByGroup(ctx context.Context, group model.GroupID) ([]model.Channel, error) {
	return c.list(ctx, groupList(group), func(ctx context.Context) ([]model.Channel, error) { return c.st.ByGroup(ctx, group) })
}

// list returns the channel list of scope through the cache.
func (c *Channels) list(ctx context.Context, scope string, load func(context.Context) ([]model.Channel, error)) ([]model.Channel, error) {
	now := c.now()
	chs, _, err := c.listFills.get(ctx, scope,
		func() ([]model.Channel, bool) {
			e, ok := c.lists[scope]
			return e.v, ok && now.Sub(e.at) < c.ttl
		},
		func(ctx context.Context) ([]model.Channel, bool, error) {
			chs, err := load(ctx)
			return chs, err == nil, err
		},
		func(chs []model.Channel) { c.lists[scope] = entry[[]model.Channel]{v: chs, at: now} })
	return chs, err
}
