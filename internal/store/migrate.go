package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ecpts/ecpts/internal/model"
)

// Migration is one step of the schema history. Up must be safe to run
// again if the process dies before its version is recorded (there are no
// transactions on FerretDB to record it atomically).
type Migration struct {
	Version int
	Name    string
	Up      func(ctx context.Context, db *mongo.Database) error
}

// migrations is the schema history, in version order. Append only: never
// renumber or edit a released step.
var migrations = []Migration{
	{
		Version: 1,
		Name:    "initial indexes",
		// EnsureIndexes, which runs before migrations at every Open,
		// creates the first indexes; this step only records the version.
		Up: func(context.Context, *mongo.Database) error { return nil },
	},
	{
		Version: 2,
		Name:    "messages: page field for range reads",
		Up:      backfillMessagePages,
	},
	{
		Version: 3,
		Name:    "rsvp_holds: a pointer to every seat held",
		Up:      backfillSeatPointers,
	},
}

// backfillSeatPointers writes the pointer (rsvp_holds, see RSVPs) of every
// seat held before pointers existed: without it, a member who held a seat
// and answers "non" would keep it. Idempotent (replace by _id).
func backfillSeatPointers(ctx context.Context, db *mongo.Database) error {
	var seats []seatDoc
	if err := findAll(ctx, collection{Collection: db.Collection("rsvp_seats")}, bson.D{}, nil, &seats); err != nil {
		return fmt.Errorf("list seats: %w", err)
	}
	holds := collection{Collection: db.Collection("rsvp_holds")} // start-up, once: no retry
	for _, s := range seats {
		if err := replaceUpsert(ctx, holds, s.Holder, holdDoc{ID: s.Holder, PostID: s.PostID, N: s.N}); err != nil {
			return fmt.Errorf("pointer of seat %s: %w", s.ID, err)
		}
	}
	return nil
}

// backfillMessagePages sets the "page" field (see pageOf) of the messages
// stored before it existed. It reads the ids first, then sets each page
// by _id, so it is safe to run again.
func backfillMessagePages(ctx context.Context, db *mongo.Database) error {
	coll := db.Collection("messages")
	cur, err := coll.Find(ctx, bson.D{{Key: "page", Value: bson.D{{Key: "$exists", Value: false}}}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "channel_id", Value: 1}, {Key: "seq", Value: 1}}))
	if err != nil {
		return fmt.Errorf("list messages without a page: %w", err)
	}
	var docs []struct {
		ID        string          `bson:"_id"`
		ChannelID model.ChannelID `bson:"channel_id"`
		Seq       int64           `bson:"seq"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return fmt.Errorf("list messages without a page: %w", err)
	}
	for _, d := range docs {
		if d.Seq < 1 {
			continue
		}
		if _, err := coll.UpdateOne(ctx, byID(d.ID), setOp(eq("page", pageOf(d.ChannelID, uint64(d.Seq))))); err != nil {
			return fmt.Errorf("set the page of message %s: %w", d.ID, err)
		}
	}
	return nil
}

// LatestSchemaVersion is the version a freshly opened store is at.
func LatestSchemaVersion() int { return migrations[len(migrations)-1].Version }

const (
	metaCollection = "meta"
	schemaDocID    = "schema"
)

type schemaDoc struct {
	ID      string `bson:"_id"`
	Version int    `bson:"version"`
}

// schemaVersion returns the recorded version, 0 for a new database.
func schemaVersion(ctx context.Context, db *mongo.Database) (int, error) {
	var d schemaDoc
	err := db.Collection(metaCollection).FindOne(ctx, byID(schemaDocID)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return d.Version, nil
}

// migrate applies, in order, the steps of list above the recorded version
// and records the version after each one, so a failure leaves the
// database at the last step that succeeded. Two nodes starting at once on
// an old database may both run a step: hence the idempotence contract of
// Migration.Up.
func migrate(ctx context.Context, db *mongo.Database, list []Migration, logger *slog.Logger) error {
	current, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	last := 0
	for _, m := range list {
		if m.Version <= last {
			return fmt.Errorf("store: migration %d (%s) out of order", m.Version, m.Name)
		}
		last = m.Version
		if m.Version <= current {
			continue
		}
		if err := m.Up(ctx, db); err != nil {
			return fmt.Errorf("store: migration %d (%s): %w", m.Version, m.Name, err)
		}
		_, err := db.Collection(metaCollection).UpdateOne(ctx,
			byID(schemaDocID),
			setOp(eq("version", m.Version)),
			options.UpdateOne().SetUpsert(true),
		)
		if err != nil {
			return fmt.Errorf("store: record schema version %d: %w", m.Version, err)
		}
		logger.Info("schema migrated", "version", m.Version, "migration", m.Name)
	}
	if current > last {
		// A newer binary migrated this database: running older code on it
		// could corrupt it.
		return fmt.Errorf("store: database schema version %d is newer than this program's %d", current, last)
	}
	return nil
}
