package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// GroupMembers is the group_members collection: _id = groupID+":"+userID;
// indexes on user_id and group_id.
type GroupMembers struct {
	pairs[groupMemberDoc, model.GroupMember, model.GroupID]
}

var groupMemberPairs = pairs[groupMemberDoc, model.GroupMember, model.GroupID]{
	parent: "group_id", since: "created_at", plural: "groups", noun: "member %s of group %s"}

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

// Insert adds a user to a group; ErrConflict when already a member.
func (g *GroupMembers) Insert(ctx context.Context, x model.GroupMember) error {
	return g.insert(ctx, groupMemberDoc{
		ID:        pairID(x.GroupID, x.UserID),
		GroupID:   x.GroupID,
		UserID:    x.UserID,
		Role:      x.Role,
		AddedBy:   x.AddedBy,
		CreatedAt: msUTC(x.CreatedAt),
	}, x.GroupID, x.UserID)
}

// ByGroup returns the members of group, oldest first.
func (g *GroupMembers) ByGroup(ctx context.Context, group model.GroupID) ([]model.GroupMember, error) {
	return g.byParent(ctx, group, fmt.Sprintf("members of group %s", group))
}
