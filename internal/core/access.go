package core

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// accessCache keeps each recent caller's memberships (CPTS, groups,
// channels) in memory. Every request starts by loading the caller as an
// Actor, and on embedded FerretDB these are full collection scans (only
// _id lookups are indexed there), so they are worth keeping.
//
// Correctness rests on invalidation: every core method that changes a
// user's memberships calls invalidate(user) after its write, and entries
// loaded while any invalidation ran are not kept (the generation check),
// so a cached actor never outlives the write that changed it on this node.
// Other nodes hear of it through Publisher.AccessChanged; ttl bounds what
// a lost notification could leave behind.
type accessCache struct {
	ttl time.Duration
	max int
	now func() time.Time
	gen atomic.Uint64

	mu sync.Mutex
	m  map[model.UserID]accessEntry
}

type accessEntry struct {
	ms  []model.Membership
	gms []model.GroupMember
	cms []model.ChannelMember
	at  time.Time
}

func newAccessCache(ttl time.Duration, max int, now func() time.Time) *accessCache {
	return &accessCache{ttl: ttl, max: max, now: now, m: make(map[model.UserID]accessEntry)}
}

func (a *accessCache) get(id model.UserID) (accessEntry, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.m[id]
	if !ok || a.now().Sub(e.at) > a.ttl {
		return accessEntry{}, false
	}
	return e, true
}

// put keeps e unless an invalidation happened since gen was read.
func (a *accessCache) put(id model.UserID, e accessEntry, gen uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen.Load() != gen {
		return
	}
	if len(a.m) >= a.max {
		// Full: drop about a quarter, oldest first is not worth the
		// bookkeeping at this size; map order is random enough.
		n := 0
		for k := range a.m {
			delete(a.m, k)
			if n++; n >= a.max/4 {
				break
			}
		}
	}
	a.m[id] = e
}

func (a *accessCache) invalidate(ids ...model.UserID) {
	a.gen.Add(1)
	a.mu.Lock()
	for _, id := range ids {
		delete(a.m, id)
	}
	a.mu.Unlock()
}

// InvalidateAccess forgets cached memberships of users; the realtime layer
// calls it when another node reports a change.
func (c *Core) InvalidateAccess(users ...model.UserID) { c.access.invalidate(users...) }

// accessChanged is called after every write to a user's memberships.
func (c *Core) accessChanged(ctx context.Context, users ...model.UserID) {
	c.access.invalidate(users...)
	if c.pub == nil {
		return
	}
	if err := c.pub.AccessChanged(ctx, users); err != nil {
		c.log.Warn("notify access change", "users", len(users), "err", err)
	}
}

// memberships returns the user's memberships, from the cache when fresh.
func (c *Core) memberships(ctx context.Context, id model.UserID) (accessEntry, error) {
	if e, ok := c.access.get(id); ok {
		return e, nil
	}
	gen := c.access.gen.Load()
	ms, err := c.st.Memberships.ByUser(ctx, id)
	if err != nil {
		return accessEntry{}, err
	}
	gms, err := c.st.GroupMembers.ByUser(ctx, id)
	if err != nil {
		return accessEntry{}, err
	}
	cms, err := c.st.ChannelMembers.ByUser(ctx, id)
	if err != nil {
		return accessEntry{}, err
	}
	e := accessEntry{ms: ms, gms: gms, cms: cms, at: c.now()}
	c.access.put(id, e, gen)
	return e, nil
}
