package core

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/search"
)

// Direct conversations are encrypted at rest, so their text never goes to
// the shared index (on disk, or Meilisearch). A participant's search over
// them runs on a bleve index held in memory only (search.OpenBleve("")),
// built on demand from the history core decrypts for them, and:
//
//   - per user, holding only the conversations that user takes part in,
//     with the one scope "dm:<user id>";
//   - bounded: at most directMaxMessages messages per user (the newest),
//     at most directMaxUsers indexes on a node (the least recently used is
//     dropped), each dropped directTTL after it was built;
//   - dropped at once when a message of one of its conversations is sent,
//     edited or deleted (touchMessage), and rebuilt at the next search;
//   - never written anywhere: nothing of it survives the process.
//
// Every hit is re-checked like the others (the caller must still be a
// participant: CanSeeChannel).

const (
	directMaxUsers    = 64
	directMaxMessages = 5000
	directTTL         = 2 * time.Minute
	directPage        = 200
)

func directScope(u model.UserID) string { return "dm:" + string(u) }

type directIndexes struct {
	mu      sync.Mutex
	entries map[model.UserID]*directEntry
	now     func() time.Time
}

type directEntry struct {
	once  sync.Once
	idx   *search.Bleve
	err   error
	built time.Time
	used  time.Time
	chans []model.ChannelID
}

func newDirectIndexes(now func() time.Time) *directIndexes {
	return &directIndexes{entries: map[model.UserID]*directEntry{}, now: now}
}

// entry returns the user's entry, a fresh one when it expired; the
// oldest entries go beyond directMaxUsers.
func (d *directIndexes) entry(u model.UserID) *directEntry {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	e := d.entries[u]
	if e != nil && !e.built.IsZero() && now.Sub(e.built) > directTTL {
		d.closeLocked(u)
		e = nil
	}
	if e == nil {
		for len(d.entries) >= directMaxUsers {
			var oldest model.UserID
			var at time.Time
			for id, x := range d.entries {
				if oldest == "" || x.used.Before(at) {
					oldest, at = id, x.used
				}
			}
			d.closeLocked(oldest)
		}
		e = &directEntry{}
		d.entries[u] = e
	}
	e.used = now
	return e
}

func (d *directIndexes) closeLocked(u model.UserID) {
	if e := d.entries[u]; e != nil {
		delete(d.entries, u)
		// A search may still be running on it: close after a while.
		if idx := e.idx; idx != nil {
			time.AfterFunc(10*time.Second, func() { _ = idx.Close() })
		}
	}
}

// dropChannel drops the indexes holding conversation ch.
func (d *directIndexes) dropChannel(ch model.ChannelID) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for u, e := range d.entries {
		if slices.Contains(e.chans, ch) {
			d.closeLocked(u)
		}
	}
}

// dropUser drops a user's index (their memberships changed).
func (d *directIndexes) dropUser(u model.UserID) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closeLocked(u)
}

// Size returns how many users' indexes are held (tests, metrics).
func (d *directIndexes) Size() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.entries)
}

// search runs q on the actor's conversations.
func (d *directIndexes) search(ctx context.Context, c *Core, a *Actor, q search.Query) (search.Result, error) {
	e := d.entry(a.ID())
	e.once.Do(func() {
		e.idx, e.chans, e.err = c.buildDirectIndex(context.WithoutCancel(ctx), a)
		d.mu.Lock()
		e.built = d.now()
		d.mu.Unlock()
	})
	if e.err != nil {
		d.dropUser(a.ID())
		return search.Result{}, e.err
	}
	return e.idx.Search(ctx, q)
}

// buildDirectIndex reads the actor's conversations (decrypted by the
// message log) into a new in-memory index.
func (c *Core) buildDirectIndex(ctx context.Context, a *Actor) (*search.Bleve, []model.ChannelID, error) {
	ids := make([]model.ChannelID, 0, len(a.channels))
	for id := range a.channels {
		ids = append(ids, id)
	}
	chs, err := c.cached.channels.ByIDs(ctx, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("core: direct search channels: %w", err)
	}
	idx, err := search.OpenBleve("")
	if err != nil {
		return nil, nil, err
	}
	scope := []string{directScope(a.ID())}
	var chans []model.ChannelID
	budget := directMaxMessages
	names := map[model.UserID]model.User{}
	for _, ch := range chs {
		if ch.Kind != model.KindDirect || !a.CanSeeChannel(ch, nil) || budget <= 0 {
			continue
		}
		chans = append(chans, ch.ID)
		before := uint64(0)
		for budget > 0 {
			ms, _, err := c.msgs.Page(ctx, ch, 0, false, before, min(directPage, budget))
			if err != nil {
				_ = idx.Close()
				return nil, nil, fmt.Errorf("core: direct search history of %s: %w", ch.ID, err)
			}
			if len(ms) == 0 {
				break
			}
			var authors []model.UserID
			for _, m := range ms {
				if _, ok := names[m.AuthorID]; !ok {
					authors = append(authors, m.AuthorID)
				}
			}
			if len(authors) > 0 {
				us, err := c.usersByID(ctx, authors)
				if err == nil {
					for id, u := range us {
						names[id] = u
					}
				}
			}
			docs := make([]search.Document, 0, len(ms))
			for _, m := range ms {
				if m.Deleted() || m.Text == "" {
					continue
				}
				doc := messageDocument(ch, nil, m, scope)
				if u, ok := names[m.AuthorID]; ok {
					doc.AuthorName, doc.AuthorProfession = u.Name, string(u.Profession)
				}
				doc.Version = 1
				docs = append(docs, doc)
			}
			if len(docs) > 0 {
				if err := idx.Upsert(ctx, docs...); err != nil {
					_ = idx.Close()
					return nil, nil, err
				}
			}
			budget -= len(ms)
			if ms[0].Seq <= 1 {
				break
			}
			before = ms[0].Seq
		}
	}
	return idx, chans, nil
}
