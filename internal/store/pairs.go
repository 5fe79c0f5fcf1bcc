package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/ecpts/ecpts/internal/model"
)

// pairs is what the collections of (parent, user) pairs share: the
// memberships of a CPTS, a group or a channel. _id = parent + ":" + user
// (pairID), so "is this user in it" is a primary-key read; secondary
// indexes on user_id and on the parent's field; lists are oldest first
// (the since field, then _id).
type pairs[D modeler[M], M any] struct {
	coll   *mongo.Collection
	parent string // the parent's field: "cpts_id", "group_id", "channel_id"
	since  string // the time field lists are ordered by
}

func (p pairs[D, M]) ensureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, p.coll, index("user_id", "user_id"), index(p.parent, p.parent))
}

// insert stores d; ErrConflict when the pair exists.
func (p pairs[D, M]) insert(ctx context.Context, d D, what string) error {
	_, err := p.coll.InsertOne(ctx, d)
	return dbErr(err, "insert "+what)
}

func (p pairs[D, M]) get(ctx context.Context, id, what string) (M, error) {
	return getByID[D](ctx, p.coll, id, what)
}

func (p pairs[D, M]) byUser(ctx context.Context, user model.UserID, what string) ([]M, error) {
	return p.find(ctx, eq("user_id", user), what)
}

func (p pairs[D, M]) byParent(ctx context.Context, parent any, what string) ([]M, error) {
	return p.find(ctx, eq(p.parent, parent), what)
}

func (p pairs[D, M]) find(ctx context.Context, filter bson.D, what string) ([]M, error) {
	return findModels[D](ctx, p.coll, filter, asc(p.since, "_id"), what)
}

// delete removes the pair; ErrNotFound when absent.
func (p pairs[D, M]) delete(ctx context.Context, id, what string) error {
	return deleteOne(ctx, p.coll, id, "delete "+what)
}
