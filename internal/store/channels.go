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

// Channels is the channels collection: _id = channel id. Each channel has
// a scope, "cpts:<id>", "group:<id>", "dm:<channel id>" or
// "comments:<channel id>", derived here from CPTSID, GroupID and Kind; the
// unique index on (scope, name_key) makes names unique per CPTS or group,
// case-insensitively, and never constrains direct conversations or the
// comments of posts (each is its own scope). ByCPTS and ByGroup query
// scope, which that index serves as its prefix.
type Channels struct {
	named[channelDoc, model.Channel, model.ChannelID]
}

var channelNamed = named[channelDoc, model.Channel, model.ChannelID]{noun: "channel", plural: "channels",
	name: func(x model.Channel) string { return x.Name }, id: func(x model.Channel) model.ChannelID { return x.ID }}

type channelDoc struct {
	ID         model.ChannelID   `bson:"_id"`
	Scope      string            `bson:"scope"`
	Name       string            `bson:"name"`
	NameKey    string            `bson:"name_key"`
	Topic      string            `bson:"topic"`
	Kind       model.ChannelKind `bson:"kind"`
	Visibility model.Visibility  `bson:"visibility"`
	CPTSID     model.CPTSID      `bson:"cpts_id"`
	GroupID    model.GroupID     `bson:"group_id"`
	Archived   bool              `bson:"archived"`
	CreatedBy  model.UserID      `bson:"created_by"`
	CreatedAt  time.Time         `bson:"created_at"`
	Key        []byte            `bson:"key,omitempty"`
}

func (d channelDoc) model() model.Channel {
	return model.Channel{
		ID:         d.ID,
		Name:       d.Name,
		Topic:      d.Topic,
		Kind:       d.Kind,
		Visibility: d.Visibility,
		CPTSID:     d.CPTSID,
		GroupID:    d.GroupID,
		Archived:   d.Archived,
		CreatedBy:  d.CreatedBy,
		CreatedAt:  d.CreatedAt.UTC(),
		Key:        d.Key,
	}
}

func cptsScope(id model.CPTSID) string   { return "cpts:" + string(id) }
func groupScope(id model.GroupID) string { return "group:" + string(id) }

// channelScope places a channel: a direct conversation, and the comments
// of a post, are their own scope (never listed by ByCPTS or ByGroup); a
// group channel belongs to its group even when CPTSID is also set (the
// owner CPTS); otherwise the channel belongs to its CPTS.
func channelScope(x model.Channel) (string, error) {
	switch {
	case x.Kind == model.KindDirect:
		return "dm:" + string(x.ID), nil
	case x.Kind == model.KindComments:
		return "comments:" + string(x.ID), nil
	case x.GroupID != "":
		return groupScope(x.GroupID), nil
	case x.CPTSID != "":
		return cptsScope(x.CPTSID), nil
	default:
		return "", model.Invalid("cpts_id", "channel_without_scope", "Le canal doit appartenir à une CPTS ou à un groupe.")
	}
}

// EnsureIndexes creates the unique (scope, name_key) index; idempotent.
func (c *Channels) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, c.coll, uniqueIndex("scope_name_unique", "scope", "name_key"))
}

// Insert stores a channel; ErrConflict on a duplicate name
// (case-insensitive) in the same CPTS or group. A non-direct channel with
// neither CPTSID nor GroupID is an *model.InvalidError.
func (c *Channels) Insert(ctx context.Context, x model.Channel) error {
	scope, err := channelScope(x)
	if err != nil {
		return fmt.Errorf("store: insert channel %s: %w", x.ID, err)
	}
	_, err = c.coll.InsertOne(ctx, channelDoc{
		ID:         x.ID,
		Scope:      scope,
		Name:       x.Name,
		NameKey:    nameKey(x.Name),
		Topic:      x.Topic,
		Kind:       x.Kind,
		Visibility: x.Visibility,
		CPTSID:     x.CPTSID,
		GroupID:    x.GroupID,
		Archived:   x.Archived,
		CreatedBy:  x.CreatedBy,
		CreatedAt:  msUTC(x.CreatedAt),
		Key:        x.Key,
	})
	return dbErr(err, fmt.Sprintf("insert channel %s", x.ID))
}

// ByCPTS returns the channels of cpts (not those of its groups), archived
// ones included, ordered by name.
func (c *Channels) ByCPTS(ctx context.Context, cpts model.CPTSID) ([]model.Channel, error) {
	return c.find(ctx, eq("scope", cptsScope(cpts)), fmt.Sprintf("channels of cpts %s", cpts))
}

// ByGroup returns the channels of group, archived ones included, ordered
// by name.
func (c *Channels) ByGroup(ctx context.Context, group model.GroupID) ([]model.Channel, error) {
	return c.find(ctx, eq("scope", groupScope(group)), fmt.Sprintf("channels of group %s", group))
}

// Rename renames a channel; ErrConflict when the name is taken in its CPTS
// or group, ErrNotFound when absent.
func (c *Channels) Rename(ctx context.Context, id model.ChannelID, name string) error {
	return c.set(ctx, id, "rename channel", bson.D{{Key: "name", Value: name}, {Key: "name_key", Value: nameKey(name)}})
}

// SetTopic replaces the topic; ErrNotFound when absent.
func (c *Channels) SetTopic(ctx context.Context, id model.ChannelID, topic string) error {
	return c.set(ctx, id, "set topic of channel", eq("topic", topic))
}

// SetArchived archives or restores a channel; ErrNotFound when absent.
func (c *Channels) SetArchived(ctx context.Context, id model.ChannelID, archived bool) error {
	return c.set(ctx, id, "set archived of channel", eq("archived", archived))
}

// SetVisibility makes a channel public or private; ErrNotFound when
// absent.
func (c *Channels) SetVisibility(ctx context.Context, id model.ChannelID, v model.Visibility) error {
	return c.set(ctx, id, "set visibility of channel", eq("visibility", string(v)))
}

func (c *Channels) set(ctx context.Context, id model.ChannelID, what string, fields bson.D) error {
	return updateOne(ctx, c.coll, byID(id), setOp(fields), fmt.Sprintf("%s %s", what, id))
}

// ChannelSeqs is the channel_seqs collection: _id = channel id, the
// recorded last seq of each channel. It lives apart from the channel
// document because it changes with every message: FerretDB applies an
// update as a read-modify-write of the whole document, so recording a seq
// on the channel document could undo a concurrent rename or archive.
type ChannelSeqs struct {
	coll   *mongo.Collection
	ferret bool
}

type channelSeqDoc struct {
	ID      model.ChannelID `bson:"_id"`
	LastSeq int64           `bson:"last_seq"`
}

// Record raises the channel's recorded last seq to seq ($max, upsert: a
// late writer never lowers it).
func (c *ChannelSeqs) Record(ctx context.Context, id model.ChannelID, seq uint64) error {
	_, err := c.coll.UpdateOne(ctx, byID(string(id)), bson.D{{Key: "$max", Value: eq("last_seq", int64(seq))}}, options.UpdateOne().SetUpsert(true))
	return dbErr(err, "last seq of channel "+string(id))
}

// Many returns the recorded last seq of each channel (0 when none).
func (c *ChannelSeqs) Many(ctx context.Context, ids []model.ChannelID) (map[model.ChannelID]uint64, error) {
	docs, err := findByIDs[channelSeqDoc](ctx, c.coll, c.ferret, ids)
	if err != nil {
		return nil, dbErr(err, "last seqs of channels")
	}
	out := make(map[model.ChannelID]uint64, len(docs))
	for _, d := range docs {
		out[d.ID] = uint64(d.LastSeq)
	}
	return out, nil
}
