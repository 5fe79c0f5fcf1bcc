package cache

import (
	"context"
	"sync"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

// Access caches each recent user's memberships (store.Access: CPTS,
// groups, channels) and, read only when policy's reach rules need them,
// their scopes (store.Scopes). Every request starts by loading the caller
// as an Actor, and on embedded FerretDB these are full collection scans
// (only _id lookups are indexed there), so they are worth keeping.
//
// Concurrent misses for one user share one store read (fills): after a
// restart thousands of reconnecting clients ask for the same users at
// once, and one read each would exhaust the driver's connection pool.
//
// Correctness rests on invalidation: every write to a user's memberships
// is followed by an Invalidation naming them (Access). That drops the
// entry and marks a read of that user then in flight as stale: its result
// is not kept, and later callers start a new read instead of joining it,
// so a cached entry never outlives the write that changed it on this
// node. Other nodes hear of it through the Bus; ttl bounds what a lost
// announcement could leave behind.
type Access struct {
	perUser
	st       *store.Store
	channels *Channels // the scopes' channels are read through their cache

	m     map[model.UserID]entry[store.Access]
	fills fills[model.UserID, store.Access] // guarded by mu
	// scopes are dropped with the user's memberships.
	scopes     map[model.UserID]entry[store.Scopes]
	scopeFills fills[model.UserID, store.Scopes] // guarded by mu
}

func newAccess(st *store.Store, channels *Channels, now func() time.Time) *Access {
	a := &Access{perUser: perUser{ttl: accessTTL, max: maxUsers, now: now}, st: st, channels: channels}
	table(&a.perUser, &a.m, &a.fills)
	table(&a.perUser, &a.scopes, &a.scopeFills)
	return a
}

// Access returns the user's memberships, from the cache when fresh, else
// from the read of this user in flight or a new one.
func (a *Access) Access(ctx context.Context, id model.UserID) (store.Access, error) {
	return userEntry(ctx, &a.perUser, &a.fills, a.m, id, func(ctx context.Context) (store.Access, error) {
		return a.st.Access(ctx, id)
	})
}

// Scopes returns the documents of the user's channels and groups, from
// the cache when fresh. The memberships they complete are read through
// Access; an invalidation of the user drops both.
func (a *Access) Scopes(ctx context.Context, id model.UserID) (store.Scopes, error) {
	return userEntry(ctx, &a.perUser, &a.scopeFills, a.scopes, id, func(ctx context.Context) (store.Scopes, error) {
		x, err := a.Access(ctx, id)
		if err != nil {
			return store.Scopes{}, err
		}
		return store.ReadScopes(ctx, x, a.channels, a.st.Groups)
	})
}

// userEntry returns the fresh entry of id in m, else the result of the
// fill of id in t in flight or of a new one running read.
func userEntry[V any](ctx context.Context, a *perUser, t *fills[model.UserID, V], m map[model.UserID]entry[V], id model.UserID, read func(context.Context) (V, error)) (V, error) {
	var at time.Time
	v, _, err := t.get(ctx, id,
		func() (V, bool) {
			at = a.now()
			e, ok := m[id]
			return e.v, ok && at.Sub(e.at) <= a.ttl
		},
		func(ctx context.Context) (V, bool, error) {
			v, err := read(ctx)
			return v, err == nil, err
		},
		func(v V) {
			if len(m) >= a.max {
				// Full: drop about a quarter, oldest first is not worth
				// the bookkeeping at this size; map order is random enough.
				n := 0
				for k := range m {
					delete(m, k)
					if n++; n >= a.max/4 {
						break
					}
				}
			}
			m[id] = entry[V]{v: v, at: at}
		})
	return v, err
}

// perUser is what the caches of values by user share: their bounds, the
// mutex that guards their tables (table) and the fills of those, and the
// invalidation of users, which drops them from every table.
type perUser struct {
	ttl   time.Duration
	max   int
	now   func() time.Time
	mu    sync.Mutex
	drops []func([]model.UserID) // one per table; mu held
}

// table sets up a table of p: the map m, the fills t guarded by p.mu, both
// dropped by invalidate.
func table[V any](p *perUser, m *map[model.UserID]entry[V], t *fills[model.UserID, V]) {
	*m = make(map[model.UserID]entry[V])
	t.init(&p.mu)
	p.drops = append(p.drops, func(ids []model.UserID) { drop(t, *m, ids) })
}

// invalidate drops users from every table, with the reads of them in
// flight.
func (p *perUser) invalidate(ids []model.UserID) {
	if len(ids) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range p.drops {
		d(ids)
	}
}
