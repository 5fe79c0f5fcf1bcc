package core

import (
	"context"
	"sync"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// userCache keeps users by id for the author names of messages: a page of
// 50 messages would otherwise cost up to 50 reads. A profile change on this
// node drops the entry; on other nodes a name may show its old value for at
// most ttl.
type userCache struct {
	ttl time.Duration
	max int
	now func() time.Time
	mu  sync.Mutex
	m   map[model.UserID]cachedUser
}

type cachedUser struct {
	u  model.User
	at time.Time
}

func newUserCache(ttl time.Duration, max int, now func() time.Time) *userCache {
	return &userCache{ttl: ttl, max: max, now: now, m: make(map[model.UserID]cachedUser)}
}

func (c *userCache) forget(id model.UserID) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// usersByID returns the users with these ids (absent ones skipped).
func (c *Core) usersByID(ctx context.Context, ids []model.UserID) (map[model.UserID]model.User, error) {
	out := make(map[model.UserID]model.User, len(ids))
	var missing []model.UserID
	c.users.mu.Lock()
	now := c.now()
	for _, id := range ids {
		if e, ok := c.users.m[id]; ok && now.Sub(e.at) < c.users.ttl {
			out[id] = e.u
		} else if _, dup := out[id]; !dup {
			missing = append(missing, id)
		}
	}
	c.users.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	us, err := c.st.Users.ByIDs(ctx, missing)
	if err != nil {
		return nil, err
	}
	c.users.mu.Lock()
	if len(c.users.m)+len(us) > c.users.max {
		c.users.m = make(map[model.UserID]cachedUser)
	}
	for _, u := range us {
		c.users.m[u.ID] = cachedUser{u: u, at: now}
		out[u.ID] = u
	}
	c.users.mu.Unlock()
	return out, nil
}
