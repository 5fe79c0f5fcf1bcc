package core

import (
	"context"
	"log/slog"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/cache"
)

// The reads core makes most go through the store's cache layer
// (internal/store/cache, Deps.Cache). Each interface below is implemented
// by a cached collection there and, uncached, by the plain store's.
type (
	userReader interface {
		// ByIDs returns the users among ids that exist, in no particular order.
		ByIDs(ctx context.Context, ids []model.UserID) ([]model.User, error)
	}
	channelReader interface {
		// ByID returns the channel or ErrNotFound.
		ByID(ctx context.Context, id model.ChannelID) (model.Channel, error)
		// ByIDs returns the channels among ids that exist, in no particular order.
		ByIDs(ctx context.Context, ids []model.ChannelID) ([]model.Channel, error)
		// ByCPTS and ByGroup list the channels of a CPTS (not those of its
		// groups) and of a group, archived ones included.
		ByCPTS(ctx context.Context, cpts model.CPTSID) ([]model.Channel, error)
		ByGroup(ctx context.Context, group model.GroupID) ([]model.Channel, error)
	}
	accessReader interface {
		// Access returns the user's memberships (CPTS, groups, channels).
		Access(ctx context.Context, user model.UserID) (store.Access, error)
		// Scopes returns what policy's reach rules read of the user's
		// channels and groups.
		Scopes(ctx context.Context, user model.UserID) (store.Scopes, error)
	}
	// markerStore holds the read markers. Core serialises the writes of
	// one marker (its "rm:" lock) around Get and Put.
	markerStore interface {
		Get(ctx context.Context, user model.UserID, ch model.ChannelID) (store.ReadMarker, error)
		Many(ctx context.Context, user model.UserID, chans []model.ChannelID) ([]store.ReadMarker, error)
		Put(ctx context.Context, mk store.ReadMarker) error
	}
	// markerKeeper is a markerStore that can hold a marker ahead of the
	// store (cache.Markers, on a node alone): see authorRead.
	markerKeeper interface {
		Keep(mk store.ReadMarker)
	}
	// invalidator drops what a write made stale, here and on the other
	// nodes (cache.Layer.Invalidate).
	invalidator interface {
		Invalidate(ctx context.Context, inv cache.Invalidation)
	}
)

// cached are the readers core goes through, and where its writes say what
// they made stale.
type cached struct {
	users    userReader
	channels channelReader
	access   accessReader
	markers  markerStore
	inv      invalidator // nil when uncached
	// locks serialise the read-modify-write of a read marker or a
	// thread state (keys "rm:user:channel", "ts:user:root").
	locks *keyLocks
}

func newCached(d Deps, now func() time.Time, log *slog.Logger) cached {
	st := d.Store
	if d.Uncached {
		return cached{users: st.Users, channels: st.Channels, access: st, markers: st.ReadMarkers, locks: new(keyLocks)}
	}
	l := d.Cache
	if l == nil {
		l = cache.New(st, cache.Options{Markers: !d.MultiNode, Now: now, Logger: log})
	}
	c := cached{users: l.Users, channels: l.Channels, access: l.Access, markers: st.ReadMarkers, inv: l, locks: new(keyLocks)}
	if l.Markers != nil {
		c.markers = l.Markers
	}
	return c
}

// invalidate is called after a write: see cache.Layer.Invalidate.
func (c *Core) invalidate(ctx context.Context, inv cache.Invalidation) {
	if c.cached.inv != nil {
		c.cached.inv.Invalidate(ctx, inv)
	}
}

// accessChanged is called after every write to users' memberships: the
// caches drop them, here and on the other nodes, then the users'
// connections are told to re-read their lists.
func (c *Core) accessChanged(ctx context.Context, users ...model.UserID) {
	c.invalidate(ctx, cache.Invalidation{Access: users})
	for _, u := range users {
		c.search.direct.dropUser(u)
		c.touch(ctx, store.OutboxUser, string(u))
	}
	if c.pub == nil {
		return
	}
	if err := c.pub.AccessChanged(ctx, users); err != nil {
		c.log.Warn("notify access change", "users", len(users), "err", err)
	}
}

// channelChanged is called after every write to a channel document.
func (c *Core) channelChanged(ctx context.Context, ch model.Channel) {
	c.invalidate(ctx, cache.ChannelChanged(ch))
	if ch.Kind != model.KindDirect {
		c.touch(ctx, store.OutboxChannel, string(ch.ID))
	}
}

// usersByID returns the users with these ids (absent ones skipped).
func (c *Core) usersByID(ctx context.Context, ids []model.UserID) (map[model.UserID]model.User, error) {
	us, err := c.cached.users.ByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[model.UserID]model.User, len(us))
	for _, u := range us {
		out[u.ID] = u
	}
	return out, nil
}
