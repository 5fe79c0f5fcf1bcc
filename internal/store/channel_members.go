package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// ChannelMembers is the channel_members collection: _id =
// channelID+":"+userID; indexes on user_id and channel_id.
type ChannelMembers struct {
	pairs[channelMemberDoc, model.ChannelMember, model.ChannelID]
}

var channelMemberPairs = pairs[channelMemberDoc, model.ChannelMember, model.ChannelID]{
	parent: "channel_id", since: "joined_at", plural: "channels", noun: "member %s of channel %s"}

type channelMemberDoc struct {
	ID        string          `bson:"_id"`
	ChannelID model.ChannelID `bson:"channel_id"`
	UserID    model.UserID    `bson:"user_id"`
	JoinedAt  time.Time       `bson:"joined_at"`
}

func (d channelMemberDoc) model() model.ChannelMember {
	return model.ChannelMember{ChannelID: d.ChannelID, UserID: d.UserID, JoinedAt: d.JoinedAt.UTC()}
}

// Insert adds a user to a channel; ErrConflict when already a member.
func (c *ChannelMembers) Insert(ctx context.Context, x model.ChannelMember) error {
	return c.insert(ctx, channelMemberDoc{
		ID:        pairID(x.ChannelID, x.UserID),
		ChannelID: x.ChannelID,
		UserID:    x.UserID,
		JoinedAt:  msUTC(x.JoinedAt),
	}, x.ChannelID, x.UserID)
}

// ByChannel returns the members of ch, oldest first.
func (c *ChannelMembers) ByChannel(ctx context.Context, ch model.ChannelID) ([]model.ChannelMember, error) {
	return c.byParent(ctx, ch, fmt.Sprintf("members of channel %s", ch))
}

// DeleteUserFrom removes user from every channel of chans in one command
// (a member leaving a CPTS or group loses its channels at once) and
// returns how many memberships were removed. Channels the user was not in
// are ignored.
func (c *ChannelMembers) DeleteUserFrom(ctx context.Context, user model.UserID, chans []model.ChannelID) (int64, error) {
	if len(chans) == 0 {
		return 0, nil
	}
	ids := make([]string, 0, len(chans))
	for _, ch := range chans {
		ids = append(ids, pairID(ch, user))
	}
	res, err := c.coll.DeleteMany(ctx, eq("_id", in(ids)))
	if err != nil {
		return 0, dbErr(err, fmt.Sprintf("delete user %s from %d channels", user, len(chans)))
	}
	return res.DeletedCount, nil
}
