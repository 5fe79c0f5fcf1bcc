package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// collection is the store's handle on a collection: a *mongo.Collection
// that, on the embedded FerretDB, works around how FerretDB v1 and the
// PostgreSQL driver under it (pgx 5.6) meet a cancelled context.
//
// What goes wrong, read off FerretDB v1.24 and pgx v5.6.0: the MongoDB
// driver sends maxTimeMS whenever the context has a deadline; FerretDB then
// runs find, aggregate and findAndModify under a context it cancels when
// the command ends, before it closes the PostgreSQL rows it still holds
// (FindOne reads one row and leaves the rest). Cancelling sets a past
// deadline on that PostgreSQL connection. If pgx's background reader was
// still waiting on the socket — pgx starts it when a write stalls for more
// than 15 ms, i.e. on a loaded machine — it takes that deadline as an
// "i/o timeout" and keeps the error queued after the deadline is cleared
// and the connection went back to the pool. The next statement on the
// connection, anyone's, fails at once with "timeout: read tcp …: i/o
// timeout", its own context untouched (seen in CI: an update in
// storetest's EditRacingDeletionStaysDeleted, once in a few full runs).
//
// So on FerretDB the store (1) never passes a deadline down: the driver
// still gives up when the context is done, but sends no maxTimeMS, and
// FerretDB no longer cancels behind its own back; and (2) tries an
// operation once more when FerretDB reports that error, as the driver
// itself retries a read or a write once after a network error. A second
// try is safe there: the failed statement either never reached PostgreSQL
// (the queued error is read before the answer) or ran inside FerretDB's
// transaction, which the dropped connection rolls back; a delete that did
// run is found gone by the second try (DeletedCount 0). On MongoDB the
// collection is the driver's, untouched.
type collection struct {
	*mongo.Collection
	ferret bool
}

// collection returns the named collection of the store's database.
func (s *Store) collection(name string) collection {
	return collection{s.db.Collection(name), s.backend != BackendMongoDB}
}

// noDeadline is a context whose Deadline is hidden: cancellation and
// values pass through, so the driver stops waiting when ctx is done but
// has no deadline to turn into maxTimeMS.
type noDeadline struct{ context.Context }

func (noDeadline) Deadline() (time.Time, bool) { return time.Time{}, false }

// brokenBackendConn reports FerretDB's answer when the PostgreSQL
// connection under a statement failed with a read or write timeout that
// the statement's own context did not cause (see collection).
func brokenBackendConn(err error) bool {
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 1 { // InternalError
		return false
	}
	return strings.Contains(ce.Message, "timeout: read tcp") || strings.Contains(ce.Message, "timeout: write tcp")
}

// try runs op once, or twice on FerretDB when the first try met a broken
// backend connection.
func try[R any](ctx context.Context, c collection, op func(context.Context) (R, error)) (R, error) {
	if !c.ferret {
		return op(ctx)
	}
	ctx = noDeadline{ctx}
	r, err := op(ctx)
	if brokenBackendConn(err) && ctx.Err() == nil {
		r, err = op(ctx)
	}
	return r, err
}

func (c collection) FindOne(ctx context.Context, filter any, opts ...options.Lister[options.FindOneOptions]) *mongo.SingleResult {
	r, _ := try(ctx, c, func(ctx context.Context) (*mongo.SingleResult, error) {
		r := c.Collection.FindOne(ctx, filter, opts...)
		return r, r.Err()
	})
	return r
}

func (c collection) FindOneAndUpdate(ctx context.Context, filter, update any, opts ...options.Lister[options.FindOneAndUpdateOptions]) *mongo.SingleResult {
	r, _ := try(ctx, c, func(ctx context.Context) (*mongo.SingleResult, error) {
		r := c.Collection.FindOneAndUpdate(ctx, filter, update, opts...)
		return r, r.Err()
	})
	return r
}

func (c collection) Find(ctx context.Context, filter any, opts ...options.Lister[options.FindOptions]) (*mongo.Cursor, error) {
	return try(ctx, c, func(ctx context.Context) (*mongo.Cursor, error) { return c.Collection.Find(ctx, filter, opts...) })
}

func (c collection) Aggregate(ctx context.Context, pipeline any, opts ...options.Lister[options.AggregateOptions]) (*mongo.Cursor, error) {
	return try(ctx, c, func(ctx context.Context) (*mongo.Cursor, error) {
		return c.Collection.Aggregate(ctx, pipeline, opts...)
	})
}

func (c collection) CountDocuments(ctx context.Context, filter any, opts ...options.Lister[options.CountOptions]) (int64, error) {
	return try(ctx, c, func(ctx context.Context) (int64, error) { return c.Collection.CountDocuments(ctx, filter, opts...) })
}

func (c collection) InsertOne(ctx context.Context, doc any, opts ...options.Lister[options.InsertOneOptions]) (*mongo.InsertOneResult, error) {
	return try(ctx, c, func(ctx context.Context) (*mongo.InsertOneResult, error) {
		return c.Collection.InsertOne(ctx, doc, opts...)
	})
}

func (c collection) InsertMany(ctx context.Context, docs any, opts ...options.Lister[options.InsertManyOptions]) (*mongo.InsertManyResult, error) {
	return try(ctx, c, func(ctx context.Context) (*mongo.InsertManyResult, error) {
		return c.Collection.InsertMany(ctx, docs, opts...)
	})
}

func (c collection) UpdateOne(ctx context.Context, filter, update any, opts ...options.Lister[options.UpdateOneOptions]) (*mongo.UpdateResult, error) {
	return try(ctx, c, func(ctx context.Context) (*mongo.UpdateResult, error) {
		return c.Collection.UpdateOne(ctx, filter, update, opts...)
	})
}

func (c collection) ReplaceOne(ctx context.Context, filter, doc any, opts ...options.Lister[options.ReplaceOptions]) (*mongo.UpdateResult, error) {
	return try(ctx, c, func(ctx context.Context) (*mongo.UpdateResult, error) {
		return c.Collection.ReplaceOne(ctx, filter, doc, opts...)
	})
}

func (c collection) DeleteOne(ctx context.Context, filter any, opts ...options.Lister[options.DeleteOneOptions]) (*mongo.DeleteResult, error) {
	return try(ctx, c, func(ctx context.Context) (*mongo.DeleteResult, error) {
		return c.Collection.DeleteOne(ctx, filter, opts...)
	})
}

func (c collection) DeleteMany(ctx context.Context, filter any, opts ...options.Lister[options.DeleteManyOptions]) (*mongo.DeleteResult, error) {
	return try(ctx, c, func(ctx context.Context) (*mongo.DeleteResult, error) {
		return c.Collection.DeleteMany(ctx, filter, opts...)
	})
}
