package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/ecpts/ecpts/internal/model"
)

// pairs is what the collections of (parent, user) pairs share: the
// memberships of a CPTS, a group or a channel. _id = parent + ":" + user
// (pairID), so "is this user in it" is a primary-key read; secondary
// indexes on user_id and on the parent's field; lists are oldest first
// (the since field, then _id). Memberships, GroupMembers and
// ChannelMembers embed one, set up by on.
type pairs[D modeler[M], M any, P ~string] struct {
	coll   *mongo.Collection
	parent string // the parent's field: "cpts_id", "group_id", "channel_id"
	since  string // the time field lists are ordered by
	noun   string // a pair in errors, from the user and the parent: "member %s of group %s"
	plural string // the pairs of a user in errors: "groups"
}

// on is p on the collection coll.
func (p pairs[D, M, P]) on(coll *mongo.Collection) pairs[D, M, P] {
	p.coll = coll
	return p
}

// EnsureIndexes creates the user_id index and the parent's; idempotent.
func (p pairs[D, M, P]) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, p.coll, index("user_id", "user_id"), index(p.parent, p.parent))
}

// what names the pair of user in parent, for errors (ids only).
func (p pairs[D, M, P]) what(parent P, user model.UserID) string {
	return fmt.Sprintf(p.noun, user, parent)
}

// insert stores d, the pair of user in parent; ErrConflict when it exists.
func (p pairs[D, M, P]) insert(ctx context.Context, d D, parent P, user model.UserID) error {
	_, err := p.coll.InsertOne(ctx, d)
	return dbErr(err, "insert "+p.what(parent, user))
}

// Get returns the pair of user in parent (a membership whatever its
// status) or ErrNotFound.
func (p pairs[D, M, P]) Get(ctx context.Context, parent P, user model.UserID) (M, error) {
	return getByID[D](ctx, p.coll, pairID(parent, user), p.what(parent, user))
}

// ByUser returns the pairs of user (pending memberships included), oldest
// first.
func (p pairs[D, M, P]) ByUser(ctx context.Context, user model.UserID) ([]M, error) {
	return p.find(ctx, eq("user_id", user), fmt.Sprintf("%s of user %s", p.plural, user))
}

func (p pairs[D, M, P]) byParent(ctx context.Context, parent P, what string) ([]M, error) {
	return p.find(ctx, eq(p.parent, parent), what)
}

func (p pairs[D, M, P]) find(ctx context.Context, filter bson.D, what string) ([]M, error) {
	return findModels[D](ctx, p.coll, filter, asc(p.since, "_id"), what)
}

// Delete removes the pair of user in parent; ErrNotFound when absent.
func (p pairs[D, M, P]) Delete(ctx context.Context, parent P, user model.UserID) error {
	return deleteOne(ctx, p.coll, pairID(parent, user), "delete "+p.what(parent, user))
}
