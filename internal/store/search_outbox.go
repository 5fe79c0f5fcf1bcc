package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ecpts/ecpts/internal/model"
)

// SearchOutbox is the search_outbox collection: one small record per write
// that changes what the search index must hold ("re-derive this object
// from the store"), appended right after the domain write (no
// transaction). The indexer (internal/core) reads them in _id order,
// re-derives the documents from the store and removes the records it
// applied: applying a record twice is harmless, and a record whose write
// failed is repaired by `ecpts reindex`.
//
// search_leases holds the indexer's lease: one node at a time applies the
// outbox (Lease), the others stand by.
type SearchOutbox struct {
	coll   collection
	leases collection
	now    func() time.Time
	// ferret: FerretDB v1 pushes down neither a sort on _id nor $in, so
	// Batch and Remove avoid them there (see each).
	ferret bool
}

// OutboxKind is what an outbox record names.
type OutboxKind string

const (
	OutboxMessage OutboxKind = "message" // a message: created, edited, deleted
	OutboxChannel OutboxKind = "channel" // a channel and every message in it: created, renamed, topic, archived
	OutboxUser    OutboxKind = "user"    // a person: profile or memberships changed
	// OutboxMessages: messages of one channel stored by one group commit
	// (Ref is the channel, Seqs their seqs): one record per channel and
	// batch rather than per message.
	OutboxMessages OutboxKind = "messages"
)

// OutboxRecord is one pending change.
type OutboxRecord struct {
	ID   string     `bson:"_id"`
	Kind OutboxKind `bson:"kind"`
	Ref  string     `bson:"ref"` // the object's id
	At   time.Time  `bson:"at"`
	Seqs []uint64   `bson:"seqs,omitempty"` // OutboxMessages only
}

// outboxID orders records by time, then at random: "<unix ns, 20
// digits>-<8 random hex>". Several nodes may append at once; the order
// only decides which record is applied first, and applying re-reads the
// store.
func outboxID(at time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%020d-%s", at.UnixNano(), hex.EncodeToString(b[:]))
}

// EnsureIndexes: the outbox is read by _id only; nothing to create.
func (o *SearchOutbox) EnsureIndexes(context.Context) error { return nil }

// Append records that kind/ref must be re-derived.
func (o *SearchOutbox) Append(ctx context.Context, kind OutboxKind, ref string) error {
	at := o.now().UTC()
	r := OutboxRecord{ID: outboxID(at), Kind: kind, Ref: ref, At: msUTC(at)}
	if _, err := o.coll.InsertOne(ctx, r); err != nil {
		return dbErr(err, fmt.Sprintf("search outbox %s %s", kind, ref))
	}
	return nil
}

// AppendMessages records that these messages must be derived: one record
// per channel, all in one write (the group commit stores a batch of
// messages at once; one insert per message was one database transaction
// per send).
func (o *SearchOutbox) AppendMessages(ctx context.Context, seqs map[model.ChannelID][]uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	at := o.now().UTC()
	docs := make([]any, 0, len(seqs))
	for ch, qs := range seqs {
		docs = append(docs, OutboxRecord{ID: outboxID(at), Kind: OutboxMessages, Ref: string(ch), At: msUTC(at), Seqs: qs})
	}
	if _, err := o.coll.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false)); err != nil {
		return dbErr(err, fmt.Sprintf("search outbox: messages of %d channels", len(seqs)))
	}
	return nil
}

// Batch returns up to n records, oldest first on MongoDB. On FerretDB v1
// a sort on _id reads and sorts the whole collection for every batch
// (only a plain limit reaches the database), so there it returns n
// records in the database's order: roughly the oldest, and the order
// never matters to the result (applying a record re-reads the store).
func (o *SearchOutbox) Batch(ctx context.Context, n int) ([]OutboxRecord, error) {
	var out []OutboxRecord
	opts := options.Find().SetLimit(int64(n))
	if !o.ferret {
		opts.SetSort(bson.D{{Key: "_id", Value: 1}})
	}
	cur, err := o.coll.Find(ctx, bson.D{}, opts)
	if err != nil {
		return nil, dbErr(err, "search outbox batch")
	}
	if err := cur.All(ctx, &out); err != nil {
		return nil, dbErr(err, "search outbox batch")
	}
	return out, nil
}

// Remove deletes applied records.
func (o *SearchOutbox) Remove(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	what := fmt.Sprintf("remove %d search outbox records", len(ids))
	if !o.ferret {
		if _, err := o.coll.DeleteMany(ctx, bson.D{{Key: "_id", Value: in(ids)}}); err != nil {
			return dbErr(err, what)
		}
		return nil
	}
	// FerretDB v1 reads the whole collection for an $in; one delete by
	// _id each reaches the database's key, one at a time (background
	// work: the sends need FerretDB's few PostgreSQL connections).
	for _, id := range ids {
		if _, err := o.coll.DeleteOne(ctx, byID(id)); err != nil {
			return dbErr(err, what)
		}
	}
	return nil
}

// Lag returns the number of pending records and the time of the oldest
// (zero when none).
func (o *SearchOutbox) Lag(ctx context.Context) (int64, time.Time, error) {
	n, err := o.coll.CountDocuments(ctx, bson.D{})
	if err != nil {
		return 0, time.Time{}, dbErr(err, "count search outbox")
	}
	if n == 0 {
		return 0, time.Time{}, nil
	}
	var first OutboxRecord
	err = o.coll.FindOne(ctx, bson.D{}, options.FindOne().SetSort(bson.D{{Key: "_id", Value: 1}})).Decode(&first)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, dbErr(err, "oldest search outbox record")
	}
	return n, first.At.UTC(), nil
}

type leaseDoc struct {
	ID     string    `bson:"_id"`
	Holder string    `bson:"holder"`
	Until  time.Time `bson:"until"`
}

// Lease takes or renews the lease name for holder until now+ttl. It
// returns false when another holder has it and it has not expired. Two
// nodes asking at once: the conditional update and the insert (unique
// _id) let only one win.
func (o *SearchOutbox) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := o.now().UTC()
	until := msUTC(now.Add(ttl))
	filter := bson.D{{Key: "_id", Value: name}, {Key: "$or", Value: bson.A{
		bson.D{{Key: "holder", Value: holder}},
		bson.D{{Key: "until", Value: bson.D{{Key: "$lt", Value: msUTC(now)}}}},
	}}}
	res, err := o.leases.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "holder", Value: holder}, {Key: "until", Value: until}}}})
	if err != nil {
		return false, dbErr(err, "search lease "+name)
	}
	if res.MatchedCount == 1 {
		return true, nil
	}
	_, err = o.leases.InsertOne(ctx, leaseDoc{ID: name, Holder: holder, Until: until})
	if err != nil && isDuplicateKey(err) {
		return false, nil
	}
	if err != nil {
		return false, dbErr(err, "search lease "+name)
	}
	return true, nil
}

// Release gives the lease up if holder has it (a clean shutdown lets
// another node take over at once).
func (o *SearchOutbox) Release(ctx context.Context, name, holder string) error {
	_, err := o.leases.DeleteOne(ctx, bson.D{{Key: "_id", Value: name}, {Key: "holder", Value: holder}})
	return dbErr(err, "release search lease "+name)
}

// All returns every channel, archived ones and direct conversations
// included, in no particular order (reindexing).
func (c *Channels) All(ctx context.Context) ([]model.Channel, error) {
	var docs []channelDoc
	if err := findAll(ctx, c.coll, bson.D{}, nil, &docs); err != nil {
		return nil, dbErr(err, "all channels")
	}
	out := make([]model.Channel, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.model())
	}
	return out, nil
}

// All returns every user, in no particular order (reindexing).
func (u *Users) All(ctx context.Context) ([]model.User, error) {
	var docs []userDoc
	if err := findAll(ctx, u.coll, bson.D{}, nil, &docs); err != nil {
		return nil, dbErr(err, "all users")
	}
	out := make([]model.User, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.model())
	}
	return out, nil
}

// OutboxPost: a post of a feed, created, edited or deleted.
const OutboxPost OutboxKind = "post"

// IDs returns the ids of every post, deleted ones included (reindexing).
func (s *Posts) IDs(ctx context.Context) ([]model.PostID, error) {
	return allIDs[model.PostID](ctx, s.coll, "all posts")
}
