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

// ChannelMembers is the channel_members collection: _id =
// channelID+":"+userID; indexes on user_id and channel_id.
type ChannelMembers struct {
	coll *mongo.Collection
}

type channelMemberDoc struct {
	ID        string          `bson:"_id"`
	ChannelID model.ChannelID `bson:"channel_id"`
	UserID    model.UserID    `bson:"user_id"`
	JoinedAt  time.Time       `bson:"joined_at"`
}

func (d channelMemberDoc) model() model.ChannelMember {
	return model.ChannelMember{ChannelID: d.ChannelID, UserID: d.UserID, JoinedAt: d.JoinedAt.UTC()}
}

// EnsureIndexes creates the user_id and channel_id indexes; idempotent.
func (c *ChannelMembers) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, c.coll,
		mongo.IndexModel{Keys: bson.D{{Key: "user_id", Value: 1}}, Options: options.Index().SetName("user_id")},
		mongo.IndexModel{Keys: bson.D{{Key: "channel_id", Value: 1}}, Options: options.Index().SetName("channel_id")},
	)
}

func channelMemberWhat(ch model.ChannelID, user model.UserID) string {
	return fmt.Sprintf("member %s of channel %s", user, ch)
}

// Insert adds a user to a channel; ErrConflict when already a member.
func (c *ChannelMembers) Insert(ctx context.Context, x model.ChannelMember) error {
	_, err := c.coll.InsertOne(ctx, channelMemberDoc{
		ID:        pairID(x.ChannelID, x.UserID),
		ChannelID: x.ChannelID,
		UserID:    x.UserID,
		JoinedAt:  msUTC(x.JoinedAt),
	})
	return dbErr(err, "insert "+channelMemberWhat(x.ChannelID, x.UserID))
}

// Get returns the membership of user in ch or ErrNotFound.
func (c *ChannelMembers) Get(ctx context.Context, ch model.ChannelID, user model.UserID) (model.ChannelMember, error) {
	var d channelMemberDoc
	if err := c.coll.FindOne(ctx, byID(pairID(ch, user))).Decode(&d); err != nil {
		return model.ChannelMember{}, dbErr(err, channelMemberWhat(ch, user))
	}
	return d.model(), nil
}

// ByUser returns the channel memberships of user, oldest first.
func (c *ChannelMembers) ByUser(ctx context.Context, user model.UserID) ([]model.ChannelMember, error) {
	return c.find(ctx, bson.D{{Key: "user_id", Value: user}}, fmt.Sprintf("channels of user %s", user))
}

// ByChannel returns the members of ch, oldest first.
func (c *ChannelMembers) ByChannel(ctx context.Context, ch model.ChannelID) ([]model.ChannelMember, error) {
	return c.find(ctx, bson.D{{Key: "channel_id", Value: ch}}, fmt.Sprintf("members of channel %s", ch))
}

func (c *ChannelMembers) find(ctx context.Context, filter bson.D, what string) ([]model.ChannelMember, error) {
	var docs []channelMemberDoc
	if err := findAll(ctx, c.coll, filter, bson.D{{Key: "joined_at", Value: 1}, {Key: "_id", Value: 1}}, &docs); err != nil {
		return nil, dbErr(err, what)
	}
	out := make([]model.ChannelMember, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.model())
	}
	return out, nil
}

// Delete removes user from ch; ErrNotFound when not a member.
func (c *ChannelMembers) Delete(ctx context.Context, ch model.ChannelID, user model.UserID) error {
	return deleteOne(ctx, c.coll, pairID(ch, user), "delete "+channelMemberWhat(ch, user))
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
	res, err := c.coll.DeleteMany(ctx, bson.D{{Key: "_id", Value: in(ids)}})
	if err != nil {
		return 0, dbErr(err, fmt.Sprintf("delete user %s from %d channels", user, len(chans)))
	}
	return res.DeletedCount, nil
}
