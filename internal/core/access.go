package core

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// accessCache keeps each recent caller's memberships (CPTS, groups,
// channels) in memory. Every request starts by loading the caller as an
// Actor, and on embedded FerretDB these are full collection scans (only
// _id lookups are indexed there), so they are worth keeping.
//
// Concurrent misses for one user share one store read (fills): after a
// restart thousands of reconnecting clients ask for the same users at
// once, and one read each would exhaust the driver's connection pool.
//
// Correctness rests on invalidation: every core method that changes a
// user's memberships calls invalidate(user) after its write. That drops
// the entry and marks a read of that user then in flight as stale: its
// result is not kept, and later callers start a new read instead of
// joining it, so a cached actor never outlives the write that changed it
// on this node. Other nodes hear of it through Publisher.AccessChanged;
// ttl bounds what a lost notification could leave behind.
type accessCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu    sync.Mutex
	m     map[model.UserID]accessEntry
	fills fills[model.UserID, accessEntry] // guarded by mu
	// scopes are the documents of each user's channels and groups, read
	// only when policy's reach rules need them (Core.scopes) and dropped
	// with the user's memberships.
	scopes     map[model.UserID]scopeEntry
	scopeFills fills[model.UserID, scopeEntry] // guarded by mu
}

// scopeEntry: the user's channels other than direct conversations (their
// kind, visibility and scope, fixed at creation) and groups.
type scopeEntry struct {
	chans  []model.Channel
	groups []model.Group
	at     time.Time
}

type accessEntry struct {
	ms  []model.Membership
	gms []model.GroupMember
	cms []model.ChannelMember
	at  time.Time
}

func newAccessCache(ttl time.Duration, max int, now func() time.Time) *accessCache {
	a := &accessCache{ttl: ttl, max: max, now: now, m: make(map[model.UserID]accessEntry), scopes: make(map[model.UserID]scopeEntry)}
	a.fills.init(&a.mu)
	a.scopeFills.init(&a.mu)
	return a
}

// get returns a fresh entry; a.mu must be held.
func (a *accessCache) get(id model.UserID) (accessEntry, bool) {
	e, ok := a.m[id]
	if !ok || a.now().Sub(e.at) > a.ttl {
		return accessEntry{}, false
	}
	return e, true
}

// put keeps e; a.mu must be held (the fill calls it only for a read no
// invalidation overtook).
func (a *accessCache) put(id model.UserID, e accessEntry) {
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
	a.mu.Lock()
	for _, id := range ids {
		delete(a.m, id)
		a.fills.forget(id)
		delete(a.scopes, id)
		a.scopeFills.forget(id)
	}
	a.mu.Unlock()
}

// putScopes keeps e; a.mu must be held.
func (a *accessCache) putScopes(id model.UserID, e scopeEntry) {
	if len(a.scopes) >= a.max {
		n := 0
		for k := range a.scopes {
			delete(a.scopes, k)
			if n++; n >= a.max/4 {
				break
			}
		}
	}
	a.scopes[id] = e
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

// memberships returns the user's memberships, from the cache when fresh,
// else from the read of this user in flight or a new one.
func (c *Core) memberships(ctx context.Context, id model.UserID) (accessEntry, error) {
	a := c.access
	a.mu.Lock()
	if e, ok := a.get(id); ok {
		a.mu.Unlock()
		return e, nil
	}
	f, lead := a.fills.claim(id)
	at := a.now()
	a.mu.Unlock()
	if lead {
		a.fills.start(ctx, []model.UserID{id}, []*fill[accessEntry]{f},
			func(ctx context.Context, _ []model.UserID) (map[model.UserID]accessEntry, error) {
				ms, err := c.st.Memberships.ByUser(ctx, id)
				if err != nil {
					return nil, err
				}
				gms, err := c.st.GroupMembers.ByUser(ctx, id)
				if err != nil {
					return nil, err
				}
				cms, err := c.st.ChannelMembers.ByUser(ctx, id)
				if err != nil {
					return nil, err
				}
				return map[model.UserID]accessEntry{id: {ms: ms, gms: gms, cms: cms, at: at}}, nil
			}, a.put)
	}
	e, _, err := f.wait(ctx)
	return e, err
}

// scopes returns the documents of the user's channels and groups, from the
// cache when fresh. The memberships they complete are read through
// memberships; an invalidation of the user drops both.
func (c *Core) scopes(ctx context.Context, id model.UserID) (scopeEntry, error) {
	a := c.access
	a.mu.Lock()
	if e, ok := a.scopes[id]; ok && a.now().Sub(e.at) <= a.ttl {
		a.mu.Unlock()
		return e, nil
	}
	f, lead := a.scopeFills.claim(id)
	at := a.now()
	a.mu.Unlock()
	if lead {
		a.scopeFills.start(ctx, []model.UserID{id}, []*fill[scopeEntry]{f},
			func(ctx context.Context, _ []model.UserID) (map[model.UserID]scopeEntry, error) {
				e, err := c.memberships(ctx, id)
				if err != nil {
					return nil, err
				}
				ids := make([]model.ChannelID, 0, len(e.cms))
				for _, cm := range e.cms {
					ids = append(ids, cm.ChannelID)
				}
				chs, err := c.channelsByIDs(ctx, ids)
				if err != nil {
					return nil, err
				}
				se := scopeEntry{at: at}
				for _, ch := range chs {
					if ch.Kind != model.KindDirect {
						se.chans = append(se.chans, model.Channel{ID: ch.ID, Kind: ch.Kind, Visibility: ch.Visibility, CPTSID: ch.CPTSID, GroupID: ch.GroupID})
					}
				}
				gids := make([]model.GroupID, 0, len(e.gms))
				for _, gm := range e.gms {
					gids = append(gids, gm.GroupID)
				}
				if se.groups, err = c.st.Groups.ByIDs(ctx, gids); err != nil {
					return nil, err
				}
				return map[model.UserID]scopeEntry{id: se}, nil
			}, a.putScopes)
	}
	e, _, err := f.wait(ctx)
	return e, err
}

// fillTimeout bounds a shared cache fill. The fill runs detached from the
// cancellation of the caller that started it (its values are kept), so
// that caller going away does not fail the others waiting on it.
const fillTimeout = 10 * time.Second

// fills makes the reads that fill one cache single-flight per key: a
// caller that misses claims the key's fill, joining the one in flight or
// leading a new one, which runs in a goroutine of its own (start) while
// every caller waits for it under its own context (wait). A batch caller
// leads one read for all the keys nobody was reading and joins the others.
// Errors and absent keys are never kept.
//
// The table is guarded by the mutex of the cache it fills, so keeping a
// result and invalidating its key are atomic with respect to each other.
// forget (called by the cache's invalidation, after the write) marks the
// key's fill stale and removes it: its result is not kept and callers that
// come later start a new read. Callers that joined before the invalidation
// still get the stale fill's result: their request began before the
// invalidation, so it reads as if it had come before the write — as it
// did before fills were shared.
//
// golang.org/x/sync/singleflight does not fit: its lock is its own, so the
// stale check could not be atomic with keeping, and it cannot lead a batch.
type fills[K comparable, V any] struct {
	mu *sync.Mutex
	m  map[K]*fill[V]
	// around, when set (tests only), runs each read: it can count, hold or
	// fail it.
	around func(ctx context.Context, keys []K, read func(context.Context) error) error
}

// fill is one key's read in flight.
type fill[V any] struct {
	done  chan struct{} // closed once val, found and err are set
	val   V
	found bool // the store had the key
	err   error
	stale bool // invalidated while in flight: not kept, not joined
	dups  int  // callers that joined the leader
}

func (t *fills[K, V]) init(mu *sync.Mutex) {
	t.mu = mu
	t.m = make(map[K]*fill[V])
}

// claim returns the fill of k and whether the caller leads it (must start
// it); t.mu must be held.
func (t *fills[K, V]) claim(k K) (f *fill[V], lead bool) {
	if f := t.m[k]; f != nil {
		f.dups++
		return f, false
	}
	f = &fill[V]{done: make(chan struct{})}
	t.m[k] = f
	return f, true
}

// forget marks the fill of k stale; t.mu must be held.
func (t *fills[K, V]) forget(k K) {
	if f := t.m[k]; f != nil {
		f.stale = true
		delete(t.m, k)
	}
}

// forgetAll marks every fill stale; t.mu must be held.
func (t *fills[K, V]) forgetAll() {
	for k, f := range t.m {
		f.stale = true
		delete(t.m, k)
	}
}

// start runs read for keys, whose fills fs the caller leads, in a
// goroutine of its own with ctx's values but not its cancellation, bounded
// by fillTimeout. read returns the keys it found; keep, called with t.mu
// held, stores each found key whose fill was not invalidated meanwhile.
func (t *fills[K, V]) start(ctx context.Context, keys []K, fs []*fill[V], read func(context.Context, []K) (map[K]V, error), keep func(K, V)) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fillTimeout)
	go func() {
		defer cancel()
		var got map[K]V
		err := func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("core: cache fill panicked: %v", p)
				}
			}()
			rd := func(ctx context.Context) (err error) {
				got, err = read(ctx, keys)
				return err
			}
			if t.around != nil {
				return t.around(rctx, keys, rd)
			}
			return rd(rctx)
		}()
		t.mu.Lock()
		defer t.mu.Unlock()
		for i, k := range keys {
			f := fs[i]
			if t.m[k] == f {
				delete(t.m, k)
			}
			if f.err = err; err == nil {
				f.val, f.found = got[k]
				if f.found && !f.stale {
					keep(k, f.val)
				}
			}
			close(f.done)
		}
	}()
}

// wait returns the fill's result, or ctx's error if ctx ends first (the
// fill goes on for the others).
func (f *fill[V]) wait(ctx context.Context) (V, bool, error) {
	select {
	case <-f.done:
		return f.val, f.found, f.err
	default:
	}
	select {
	case <-f.done:
		return f.val, f.found, f.err
	case <-ctx.Done():
		var zero V
		return zero, false, ctx.Err()
	}
}
