package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ecpts/ecpts/internal/model"
)

// ReadMarkers is the read_markers collection: _id = userID:channelID. It
// holds how far a user has read a channel and the seqs of the unread
// messages that mention them. Writes replace the whole document; core
// serialises the writes of one marker on a node.
type ReadMarkers struct {
	coll   *mongo.Collection
	ferret bool
}

// ReadMarker is one user's position in one channel.
type ReadMarker struct {
	UserID      model.UserID
	ChannelID   model.ChannelID
	Seq         uint64   // last seq read
	MentionSeqs []uint64 // unread messages mentioning the user (seq > Seq)
	UpdatedAt   time.Time
}

type readMarkerDoc struct {
	ID          string          `bson:"_id"`
	UserID      model.UserID    `bson:"user_id"`
	ChannelID   model.ChannelID `bson:"channel_id"`
	Seq         int64           `bson:"seq"`
	MentionSeqs []int64         `bson:"mention_seqs,omitempty"`
	UpdatedAt   time.Time       `bson:"updated_at"`
}

func (d readMarkerDoc) model() ReadMarker {
	r := ReadMarker{UserID: d.UserID, ChannelID: d.ChannelID, Seq: uint64(d.Seq), UpdatedAt: d.UpdatedAt.UTC()}
	for _, s := range d.MentionSeqs {
		r.MentionSeqs = append(r.MentionSeqs, uint64(s))
	}
	return r
}

// EnsureIndexes creates the user_id index.
func (r *ReadMarkers) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, r.coll, index("user_id", "user_id"))
}

// Get returns the marker, or a zero marker (Seq 0) when there is none.
func (r *ReadMarkers) Get(ctx context.Context, user model.UserID, ch model.ChannelID) (ReadMarker, error) {
	var d readMarkerDoc
	err := r.coll.FindOne(ctx, byID(pairID(user, ch))).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ReadMarker{UserID: user, ChannelID: ch}, nil
	}
	if err != nil {
		return ReadMarker{}, dbErr(err, fmt.Sprintf("read marker of %s in %s", user, ch))
	}
	return d.model(), nil
}

// Many returns the user's markers of chans (absent ones as zero markers),
// in the order of chans.
func (r *ReadMarkers) Many(ctx context.Context, user model.UserID, chans []model.ChannelID) ([]ReadMarker, error) {
	ids := mapSlice(chans, func(c model.ChannelID) string { return pairID(user, c) })
	docs, err := findByIDs[readMarkerDoc](ctx, r.coll, r.ferret, ids)
	if err != nil {
		return nil, dbErr(err, fmt.Sprintf("read markers of %s", user))
	}
	byCh := make(map[model.ChannelID]readMarkerDoc, len(docs))
	for _, d := range docs {
		byCh[d.ChannelID] = d
	}
	out := make([]ReadMarker, len(chans))
	for i, c := range chans {
		if d, ok := byCh[c]; ok {
			out[i] = d.model()
		} else {
			out[i] = ReadMarker{UserID: user, ChannelID: c}
		}
	}
	return out, nil
}

// Put writes the marker (upsert).
func (r *ReadMarkers) Put(ctx context.Context, m ReadMarker) error {
	d := readMarkerDoc{ID: pairID(m.UserID, m.ChannelID), UserID: m.UserID, ChannelID: m.ChannelID, Seq: int64(m.Seq), UpdatedAt: msUTC(m.UpdatedAt)}
	for _, s := range m.MentionSeqs {
		d.MentionSeqs = append(d.MentionSeqs, int64(s))
	}
	_, err := r.coll.ReplaceOne(ctx, byID(d.ID), d, options.Replace().SetUpsert(true))
	return dbErr(err, fmt.Sprintf("read marker of %s in %s", m.UserID, m.ChannelID))
}

// ThreadStates is the thread_states collection: _id = userID:rootID. It
// records whether a user follows a thread and how far they read it.
type ThreadStates struct {
	coll *mongo.Collection
}

// ThreadState is one user's relation to one thread.
type ThreadState struct {
	UserID    model.UserID
	RootID    model.MessageID
	ChannelID model.ChannelID
	Following bool
	ReadSeq   uint64 // seq of the last reply read
	// RepliedSeq is the seq of the user's first reply in the thread (0:
	// none): later replies by others answer them ("réponses à mes
	// messages").
	RepliedSeq uint64
	UpdatedAt  time.Time
}

type threadStateDoc struct {
	ID         string          `bson:"_id"`
	UserID     model.UserID    `bson:"user_id"`
	RootID     model.MessageID `bson:"root_id"`
	ChannelID  model.ChannelID `bson:"channel_id"`
	Following  bool            `bson:"following"`
	ReadSeq    int64           `bson:"read_seq"`
	RepliedSeq int64           `bson:"replied_seq,omitempty"`
	UpdatedAt  time.Time       `bson:"updated_at"`
}

func (d threadStateDoc) model() ThreadState {
	return ThreadState{UserID: d.UserID, RootID: d.RootID, ChannelID: d.ChannelID, Following: d.Following, ReadSeq: uint64(d.ReadSeq), RepliedSeq: uint64(d.RepliedSeq), UpdatedAt: d.UpdatedAt.UTC()}
}

// EnsureIndexes creates the user_id index (GET /threads lists by user).
func (t *ThreadStates) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, t.coll, index("user_id", "user_id"))
}

// Get returns the state, or ErrNotFound.
func (t *ThreadStates) Get(ctx context.Context, user model.UserID, root model.MessageID) (ThreadState, error) {
	return getByID[threadStateDoc](ctx, t.coll, pairID(user, root), fmt.Sprintf("thread %s of %s", root, user))
}

// Put writes the state (upsert).
func (t *ThreadStates) Put(ctx context.Context, s ThreadState) error {
	d := threadStateDoc{ID: pairID(s.UserID, s.RootID), UserID: s.UserID, RootID: s.RootID, ChannelID: s.ChannelID, Following: s.Following, ReadSeq: int64(s.ReadSeq), RepliedSeq: int64(s.RepliedSeq), UpdatedAt: msUTC(s.UpdatedAt)}
	_, err := t.coll.ReplaceOne(ctx, byID(d.ID), d, options.Replace().SetUpsert(true))
	return dbErr(err, fmt.Sprintf("thread %s of %s", s.RootID, s.UserID))
}

// Following lists the threads the user follows, most recently touched
// first.
func (t *ThreadStates) Following(ctx context.Context, user model.UserID, limit int) ([]ThreadState, error) {
	return findLimit[threadStateDoc](ctx, t.coll, bson.D{{Key: "user_id", Value: user}, {Key: "following", Value: true}},
		bson.D{{Key: "updated_at", Value: -1}}, limit, fmt.Sprintf("threads of %s", user))
}

// ConversationKeys is the conversation_keys collection: _id = a key of the
// participant set, value = the direct conversation's channel id. Its
// unique _id makes "open a conversation with these people" return one
// conversation even when two of them ask at once.
type ConversationKeys struct {
	coll *mongo.Collection
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
