package core

import (
	"context"
	"sync"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// userCache keeps users by id for the author names of messages: a page of
// 50 messages would otherwise cost up to 50 reads. Concurrent misses for a
// user share one read (fills). A profile change on this node drops the
// entry and the read of it in flight (forget); on other nodes a name may
// show its old value for at most ttl.
type userCache struct {
	ttl   time.Duration
	max   int
	now   func() time.Time
	mu    sync.Mutex
	m     map[model.UserID]cachedUser
	fills fills[model.UserID, model.User] // guarded by mu
}

type cachedUser struct {
	u  model.User
	at time.Time
}

func newUserCache(ttl time.Duration, max int, now func() time.Time) *userCache {
	c := &userCache{ttl: ttl, max: max, now: now, m: make(map[model.UserID]cachedUser)}
	c.fills.init(&c.mu)
	return c
}

// forget drops a user, after a write to it.
func (c *userCache) forget(id model.UserID) {
	c.mu.Lock()
	delete(c.m, id)
	c.fills.forget(id)
	c.mu.Unlock()
}

// usersByID returns the users with these ids (absent ones skipped). It
// reads in one batch the ids neither cached nor being read, and waits for
// the reads of the others.
func (c *Core) usersByID(ctx context.Context, ids []model.UserID) (map[model.UserID]model.User, error) {
	uc := c.users
	out := make(map[model.UserID]model.User, len(ids))
	var (
		pending map[model.UserID]*fill[model.User]
		lead    []model.UserID
		leadFs  []*fill[model.User]
	)
	uc.mu.Lock()
	now := uc.now()
	for _, id := range ids {
		if _, dup := out[id]; dup {
			continue
		}
		if _, dup := pending[id]; dup {
			continue
		}
		if e, ok := uc.m[id]; ok && now.Sub(e.at) < uc.ttl {
			out[id] = e.u
			continue
		}
		if pending == nil {
			pending = make(map[model.UserID]*fill[model.User])
		}
		f, isLead := uc.fills.claim(id)
		pending[id] = f
		if isLead {
			lead = append(lead, id)
			leadFs = append(leadFs, f)
		}
	}
	uc.mu.Unlock()
	if len(pending) == 0 {
		return out, nil
	}
	if len(lead) > 0 {
		uc.fills.start(ctx, lead, leadFs,
			func(ctx context.Context, ids []model.UserID) (map[model.UserID]model.User, error) {
				us, err := c.st.Users.ByIDs(ctx, ids)
				if err != nil {
					return nil, err
				}
				got := make(map[model.UserID]model.User, len(us))
				for _, u := range us {
					got[u.ID] = u
				}
				return got, nil
			},
			func(id model.UserID, u model.User) { // uc.mu held
				if len(uc.m) >= uc.max {
					uc.m = make(map[model.UserID]cachedUser)
				}
				uc.m[id] = cachedUser{u: u, at: now}
			})
	}
	for id, f := range pending {
		u, found, err := f.wait(ctx)
		if err != nil {
			return nil, err
		}
		if found {
			out[id] = u
		}
	}
	return out, nil
}
