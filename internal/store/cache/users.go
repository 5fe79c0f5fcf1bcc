package cache

import (
	"context"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

// Users caches users by id for the author names of messages: a page of 50
// messages would otherwise cost up to 50 reads. Concurrent misses for a
// user share one read (fills). An Invalidation naming the user (Users)
// drops the entry and the read of it in flight, here and on the other
// nodes; ttl bounds a lost announcement.
type Users struct {
	perUser
	st    *store.Users
	m     map[model.UserID]entry[model.User]
	fills fills[model.UserID, model.User] // guarded by mu
}

func newUsers(st *store.Users, now func() time.Time) *Users {
	c := &Users{perUser: perUser{ttl: userTTL, max: maxUsers, now: now}, st: st}
	table(&c.perUser, &c.m, &c.fills)
	return c
}

// ByIDs returns the users among ids that exist, each once, in no
// particular order. It reads in one batch the ids neither cached nor being
// read, and waits for the reads of the others.
func (c *Users) ByIDs(ctx context.Context, ids []model.UserID) ([]model.User, error) {
	now := c.now()
	return c.fills.getMany(ctx, ids,
		func(id model.UserID) (model.User, bool) {
			e, ok := c.m[id]
			return e.v, ok && now.Sub(e.at) < c.ttl
		},
		func(ctx context.Context, ids []model.UserID) (map[model.UserID]model.User, error) {
			us, err := c.st.ByIDs(ctx, ids)
			return index(us, func(u model.User) model.UserID { return u.ID }), err
		},
		func(id model.UserID, u model.User) {
			if len(c.m) >= c.max {
				c.m = make(map[model.UserID]entry[model.User])
			}
			c.m[id] = entry[model.User]{v: u, at: now}
		})
}
