package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ecpts/ecpts/internal/model"
)

// GroupMembers is the group_members collection: _id = groupID+":"+userID;
// indexes on user_id and group_id.
type GroupMembers struct {
	coll *mongo.Collection
}

type groupMemberDoc struct {
	ID        string        `bson:"_id"`
	GroupID   model.GroupID `bson:"group_id"`
	UserID    model.UserID  `bson:"user_id"`
	Role      model.Role    `bson:"role"`
	AddedBy   model.UserID  `bson:"added_by"`
	CreatedAt time.Time     `bson:"created_at"`
}

func (d groupMemberDoc) model() model.GroupMember {
	return model.GroupMember{
		GroupID:   d.GroupID,
		UserID:    d.UserID,
		Role:      d.Role,
		AddedBy:   d.AddedBy,
		CreatedAt: d.CreatedAt.UTC(),
	}
}

// EnsureIndexes creates the user_id and group_id indexes; idempotent.
func (g *GroupMembers) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, g.coll,
		mongo.IndexModel{Keys: bson.D{{Key: "user_id", Value: 1}}, Options: options.Index().SetName("user_id")},
		mongo.IndexModel{Keys: bson.D{{Key: "group_id", Value: 1}}, Options: options.Index().SetName("group_id")},
	)
}

func groupMemberWhat(group model.GroupID, user model.UserID) string {
	return fmt.Sprintf("member %s of group %s", user, group)
}

// Insert adds a user to a group; ErrConflict when already a member.
func (g *GroupMembers) Insert(ctx context.Context, x model.GroupMember) error {
	_, err := g.coll.InsertOne(ctx, groupMemberDoc{
		ID:        pairID(x.GroupID, x.UserID),
		GroupID:   x.GroupID,
		UserID:    x.UserID,
		Role:      x.Role,
		AddedBy:   x.AddedBy,
		CreatedAt: msUTC(x.CreatedAt),
	})
	return dbErr(err, "insert "+groupMemberWhat(x.GroupID, x.UserID))
}

// Get returns the membership of user in group or ErrNotFound.
func (g *GroupMembers) Get(ctx context.Context, group model.GroupID, user model.UserID) (model.GroupMember, error) {
	var d groupMemberDoc
	if err := g.coll.FindOne(ctx, byID(pairID(group, user))).Decode(&d); err != nil {
		return model.GroupMember{}, dbErr(err, groupMemberWhat(group, user))
	}
	return d.model(), nil
}

// ByUser returns the group memberships of user, oldest first.
func (g *GroupMembers) ByUser(ctx context.Context, user model.UserID) ([]model.GroupMember, error) {
	return g.find(ctx, bson.D{{Key: "user_id", Value: user}}, fmt.Sprintf("groups of user %s", user))
}

// ByGroup returns the members of group, oldest first.
func (g *GroupMembers) ByGroup(ctx context.Context, group model.GroupID) ([]model.GroupMember, error) {
	return g.find(ctx, bson.D{{Key: "group_id", Value: group}}, fmt.Sprintf("members of group %s", group))
}

func (g *GroupMembers) find(ctx context.Context, filter bson.D, what string) ([]model.GroupMember, error) {
	var docs []groupMemberDoc
	if err := findAll(ctx, g.coll, filter, bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}, &docs); err != nil {
		return nil, dbErr(err, what)
	}
	out := make([]model.GroupMember, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.model())
	}
	return out, nil
}

// Delete removes user from group; ErrNotFound when not a member.
func (g *GroupMembers) Delete(ctx context.Context, group model.GroupID, user model.UserID) error {
	return deleteOne(ctx, g.coll, pairID(group, user), "delete "+groupMemberWhat(group, user))
}
