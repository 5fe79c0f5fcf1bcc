package cache

import (
	"context"
	"slices"
	"sync"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

// Markers caches, on a node alone, the read markers it last read or wrote,
// so moving one (the author's, on every send) is one write instead of a
// read and a write. Every marker write goes through it (Put, Keep), and
// core serialises those of one marker, so the copy stays exact. With
// several nodes another one may write a marker: no cache there
// (Options.Markers).
type Markers struct {
	st *store.ReadMarkers
	mu sync.Mutex
	m  map[markerKey]store.ReadMarker
}

type markerKey struct {
	user model.UserID
	ch   model.ChannelID
}

func newMarkers(st *store.ReadMarkers) *Markers {
	return &Markers{st: st, m: make(map[markerKey]store.ReadMarker)}
}

// Get returns the user's marker of ch, or a zero marker (Seq 0) when there
// is none. The caller serialises the writes of this marker.
func (c *Markers) Get(ctx context.Context, user model.UserID, ch model.ChannelID) (store.ReadMarker, error) {
	c.mu.Lock()
	mk, ok := c.m[markerKey{user, ch}]
	c.mu.Unlock()
	if ok {
		mk.MentionSeqs = slices.Clone(mk.MentionSeqs)
		return mk, nil
	}
	mk, err := c.st.Get(ctx, user, ch)
	if err == nil {
		c.Keep(mk)
	}
	return mk, err
}

// Many returns the user's markers of chans, in that order (absent ones as
// zero markers): those in the cache from there (it may be ahead of the
// store, see Keep), the others in one store batch. Callers need not
// serialise it with writes: what the batch reads goes into the cache only
// where the cache has nothing, so it never replaces a newer marker written
// meanwhile.
func (c *Markers) Many(ctx context.Context, user model.UserID, chans []model.ChannelID) ([]store.ReadMarker, error) {
	out := make([]store.ReadMarker, len(chans))
	var miss []model.ChannelID
	var at []int
	c.mu.Lock()
	for i, ch := range chans {
		if mk, ok := c.m[markerKey{user, ch}]; ok {
			mk.MentionSeqs = slices.Clone(mk.MentionSeqs)
			out[i] = mk
			continue
		}
		miss = append(miss, ch)
		at = append(at, i)
	}
	c.mu.Unlock()
	if len(miss) == 0 {
		return out, nil
	}
	got, err := c.st.Many(ctx, user, miss)
	if err != nil {
		return nil, err
	}
	for j, mk := range got {
		out[at[j]] = mk // absent: a zero marker, as Get caches it too
		c.keep(mk, false)
	}
	return out, nil
}

// Put writes a marker through the cache. The caller serialises the writes
// of this marker.
func (c *Markers) Put(ctx context.Context, mk store.ReadMarker) error {
	if err := c.st.Put(ctx, mk); err != nil {
		c.mu.Lock()
		delete(c.m, markerKey{mk.UserID, mk.ChannelID}) // the store may or may not hold it
		c.mu.Unlock()
		return err
	}
	c.Keep(mk)
	return nil
}

// Keep records mk in the cache only, ahead of the store: for a write the
// caller makes later (core's authors' read markers, flushed in batches).
func (c *Markers) Keep(mk store.ReadMarker) { c.keep(mk, true) }

// Len is the number of markers cached.
func (c *Markers) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

func (c *Markers) keep(mk store.ReadMarker, replace bool) {
	mk.MentionSeqs = slices.Clone(mk.MentionSeqs)
	k := markerKey{mk.UserID, mk.ChannelID}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, held := c.m[k]
	if held && !replace {
		return
	}
	if !held && len(c.m) >= maxMarkers {
		for k := range c.m { // drop one at random
			delete(c.m, k)
			break
		}
	}
	c.m[k] = mk
}
