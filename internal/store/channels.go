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
	coll   *mongo.Collection
	ferret bool // FerretDB: see findByIDs
}

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
	return ensureIndexes(ctx, c.coll,
		mongo.IndexModel{
			Keys:    bson.D{{Key: "scope", Value: 1}, {Key: "name_key", Value: 1}},
			Options: options.Index().SetName("scope_name_unique").SetUnique(true),
		},
	)
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

// ByID returns the channel or ErrNotFound.
func (c *Channels) ByID(ctx context.Context, id model.ChannelID) (model.Channel, error) {
	var d channelDoc
	if err := c.coll.FindOne(ctx, byID(id)).Decode(&d); err != nil {
		return model.Channel{}, dbErr(err, fmt.Sprintf("channel %s", id))
	}
	return d.model(), nil
}

// ByIDs returns the channels among ids that exist, ordered by name.
func (c *Channels) ByIDs(ctx context.Context, ids []model.ChannelID) ([]model.Channel, error) {
	if len(ids) == 0 {
		return []model.Channel{}, nil
	}
	docs, err := findByIDs[channelDoc](ctx, c.coll, c.ferret, ids)
	if err != nil {
		return nil, dbErr(err, fmt.Sprintf("channels by %d ids", len(ids)))
	}
	return channelModels(docs), nil
}

// ByCPTS returns the channels of cpts (not those of its groups), archived
// ones included, ordered by name.
func (c *Channels) ByCPTS(ctx context.Context, cpts model.CPTSID) ([]model.Channel, error) {
	return c.find(ctx, bson.D{{Key: "scope", Value: cptsScope(cpts)}}, fmt.Sprintf("channels of cpts %s", cpts))
}

// ByGroup returns the channels of group, archived ones included, ordered
// by name.
func (c *Channels) ByGroup(ctx context.Context, group model.GroupID) ([]model.Channel, error) {
	return c.find(ctx, bson.D{{Key: "scope", Value: groupScope(group)}}, fmt.Sprintf("channels of group %s", group))
}

func (c *Channels) find(ctx context.Context, filter bson.D, what string) ([]model.Channel, error) {
	var docs []channelDoc
	if err := findAll(ctx, c.coll, filter, nil, &docs); err != nil {
		return nil, dbErr(err, what)
	}
	return channelModels(docs), nil
}

// channelModels converts docs, ordered by name.
func channelModels(docs []channelDoc) []model.Channel {
	out := make([]model.Channel, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.model())
	}
	sortByName(out, func(x model.Channel) string { return x.Name }, func(x model.Channel) string { return string(x.ID) })
	return out
}

// Rename renames a channel; ErrConflict when the name is taken in its CPTS
// or group, ErrNotFound when absent.
func (c *Channels) Rename(ctx context.Context, id model.ChannelID, name string) error {
	return c.set(ctx, id, "rename channel", bson.D{{Key: "name", Value: name}, {Key: "name_key", Value: nameKey(name)}})
}

// SetTopic replaces the topic; ErrNotFound when absent.
func (c *Channels) SetTopic(ctx context.Context, id model.ChannelID, topic string) error {
	return c.set(ctx, id, "set topic of channel", bson.D{{Key: "topic", Value: topic}})
}

// SetArchived archives or restores a channel; ErrNotFound when absent.
func (c *Channels) SetArchived(ctx context.Context, id model.ChannelID, archived bool) error {
	return c.set(ctx, id, "set archived of channel", bson.D{{Key: "archived", Value: archived}})
}

func (c *Channels) set(ctx context.Context, id model.ChannelID, what string, fields bson.D) error {
	what = fmt.Sprintf("%s %s", what, id)
	res, err := c.coll.UpdateOne(ctx, byID(id), bson.D{{Key: "$set", Value: fields}})
	if err != nil {
		return dbErr(err, what)
	}
	if res.MatchedCount == 0 {
		return notFound(what)
	}
	return nil
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
	_, err := c.coll.UpdateOne(ctx, byID(string(id)), bson.D{{Key: "$max", Value: bson.D{{Key: "last_seq", Value: int64(seq)}}}}, options.UpdateOne().SetUpsert(true))
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
