package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

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

var channelMirror = mirrorOf[channelDoc, model.Channel]("Scope", "NameKey")

func (d channelDoc) model() model.Channel { return channelMirror.model(d) }

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
	d := channelMirror.doc(x)
	d.Scope, d.NameKey = scope, nameKey(x.Name)
	return c.insert(ctx, d, x.ID)
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
	return c.set(ctx, id, "rename channel", nameSet(name))
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

// ConversationKeys is the conversation_keys collection: _id = a key of the
// participant set, value = the direct conversation's channel id. Its
// unique _id makes "open a conversation with these people" return one
// conversation even when two of them ask at once.
type ConversationKeys struct {
	coll collection
}

type conversationKeyDoc struct {
	ID        string          `bson:"_id"`
	ChannelID model.ChannelID `bson:"channel_id"`
}

// Claim records key → ch; when the key exists it returns the recorded
// channel and ErrConflict.
func (k *ConversationKeys) Claim(ctx context.Context, key string, ch model.ChannelID) (model.ChannelID, error) {
	_, err := k.coll.InsertOne(ctx, conversationKeyDoc{ID: key, ChannelID: ch})
	if err == nil {
		return ch, nil
	}
	if !isDuplicateKey(err) {
		return "", dbErr(err, "conversation key")
	}
	var d conversationKeyDoc
	if err := k.coll.FindOne(ctx, byID(key)).Decode(&d); err != nil {
		return "", dbErr(err, "conversation key")
	}
	return d.ChannelID, fmt.Errorf("store: conversation key: %w", model.ErrConflict)
}

// Retire forgets key when it still names ch: the next Claim gives the
// participant set a new conversation (see core.OpenConversation).
func (k *ConversationKeys) Retire(ctx context.Context, key string, ch model.ChannelID) error {
	_, err := k.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "channel_id", Value: ch}})
	return dbErr(err, "retire conversation key")
}

// Release forgets a key (its conversation could not be created).
func (k *ConversationKeys) Release(ctx context.Context, key string) error {
	_, err := k.coll.DeleteOne(ctx, byID(key))
	return dbErr(err, "release conversation key")
}
