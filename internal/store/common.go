package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/errgroup"
	"golang.org/x/text/unicode/norm"

	"github.com/ecpts/ecpts/internal/model"
)

// msUTC returns t in UTC truncated to the millisecond, the precision of a
// BSON date, so a document read back equals the one written.
func msUTC(t time.Time) time.Time {
	return t.UTC().Truncate(time.Millisecond)
}

// msUTCPtr is msUTC for optional times; nil stays nil.
func msUTCPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := msUTC(*t)
	return &v
}

// utcPtr returns t in UTC; nil stays nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// nameKey is the value unique indexes compare: trimmed and lowercased, so
// "SNP" and "snp " collide.
func nameKey(name string) string {
	return strings.ToLower(strings.TrimSpace(name))
}

// normEmail is how e-mails are stored and looked up.
func normEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// sortFold is the key names are ordered by: lowercased, accents removed,
// so "Équipe" sorts between "Dépistage" and "Fragilité", not after "z".
func sortFold(s string) string {
	d := norm.NFD.String(strings.ToLower(strings.TrimSpace(s)))
	var b strings.Builder
	b.Grow(len(d))
	for _, r := range d {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// sortByName orders xs by folded name, then exact name, then id, so the
// order is total and stable across backends.
func sortByName[T any](xs []T, name func(T) string, id func(T) string) {
	keys := make(map[string]string, len(xs))
	key := func(x T) string {
		n := name(x)
		k, ok := keys[n]
		if !ok {
			k = sortFold(n)
			keys[n] = k
		}
		return k
	}
	sort.SliceStable(xs, func(i, j int) bool {
		ki, kj := key(xs[i]), key(xs[j])
		if ki != kj {
			return ki < kj
		}
		ni, nj := name(xs[i]), name(xs[j])
		if ni != nj {
			return ni < nj
		}
		return id(xs[i]) < id(xs[j])
	})
}

// pairID is the _id of a link document (membership, group or channel
// member): both halves are 24-hex ids, so ":" cannot be ambiguous.
func pairID[A, B ~string](a A, b B) string {
	return string(a) + ":" + string(b)
}

// dbErr translates a driver error into the model's vocabulary, wrapped with
// what (ids only). A duplicate-key error is replaced, not wrapped: MongoDB
// puts the duplicated value (an e-mail, a name) in its message.
func dbErr(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return fmt.Errorf("store: %s: %w", what, model.ErrNotFound)
	case isDuplicateKey(err):
		return fmt.Errorf("store: %s: %w", what, model.ErrConflict)
	default:
		return fmt.Errorf("store: %s: %w", what, err)
	}
}

// isDuplicateKey reports a unique-index violation. MongoDB, and FerretDB
// on inserts, answer code 11000. FerretDB v1 reports a violation by an
// update as an InternalError carrying the backend's message: SQLite's
// "UNIQUE constraint failed" or PostgreSQL's SQLSTATE 23505.
func isDuplicateKey(err error) bool {
	if mongo.IsDuplicateKeyError(err) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "(SQLSTATE 23505)")
}

// notFound builds the error of a lookup or update that matched nothing.
func notFound(what string) error {
	return fmt.Errorf("store: %s: %w", what, model.ErrNotFound)
}

// findAll runs a find and decodes every document into out (a pointer to a
// slice). sort may be nil.
func findAll(ctx context.Context, coll collection, filter any, sort bson.D, out any) error {
	opts := options.Find()
	if sort != nil {
		opts.SetSort(sort)
	}
	cur, err := coll.Find(ctx, filter, opts)
	if err != nil {
		return err
	}
	return cur.All(ctx, out)
}

// idDoc is a document read for its _id alone.
type idDoc[I ~string] struct {
	ID I `bson:"_id"`
}

// allIDs returns the _id of every document of coll (reindexing).
func allIDs[I ~string](ctx context.Context, coll collection, what string) ([]I, error) {
	var docs []idDoc[I]
	if err := findAll(ctx, coll, bson.D{}, nil, &docs); err != nil {
		return nil, dbErr(err, what)
	}
	return mapSlice(docs, func(d idDoc[I]) I { return d.ID }), nil
}

// modeler is a document type that converts to its model.
type modeler[M any] interface{ model() M }

// models converts documents to the model.
func models[D modeler[M], M any](docs []D) []M {
	out := make([]M, len(docs))
	for i, d := range docs {
		out[i] = d.model()
	}
	return out
}

// getByID reads the document with this _id as its model; ErrNotFound
// (wrapped with what) when absent.
func getByID[D modeler[M], M any](ctx context.Context, coll collection, id any, what string) (M, error) {
	return findOne[D](ctx, coll, byID(id), what)
}

// findOne reads the document filter matches as its model; ErrNotFound
// (wrapped with what) when there is none.
func findOne[D modeler[M], M any](ctx context.Context, coll collection, filter any, what string) (M, error) {
	var d D
	if err := coll.FindOne(ctx, filter).Decode(&d); err != nil {
		var zero M
		return zero, dbErr(err, what)
	}
	return d.model(), nil
}

// findModels runs findAll (sort may be nil) and converts the documents.
func findModels[D modeler[M], M any](ctx context.Context, coll collection, filter any, sort bson.D, what string) ([]M, error) {
	var docs []D
	if err := findAll(ctx, coll, filter, sort, &docs); err != nil {
		return nil, dbErr(err, what)
	}
	return models(docs), nil
}

// findLimit runs a find ordered by sort, of at most limit documents (no
// limit when 0), and converts them.
func findLimit[D modeler[M], M any](ctx context.Context, coll collection, filter any, sort bson.D, limit int, what string) ([]M, error) {
	var docs []D
	cur, err := coll.Find(ctx, filter, options.Find().SetSort(sort).SetLimit(int64(limit)))
	if err == nil {
		err = cur.All(ctx, &docs)
	}
	if err != nil {
		return nil, dbErr(err, what)
	}
	return models(docs), nil
}

// listByIDs reads the documents among ids that exist (see findByIDs) as
// their models, in no particular order; an empty list for no ids.
func listByIDs[D modeler[M], M any, I ~string](ctx context.Context, coll collection, ferret bool, ids []I, what string) ([]M, error) {
	if len(ids) == 0 {
		return []M{}, nil
	}
	docs, err := findByIDs[D](ctx, coll, ferret, ids)
	if err != nil {
		return nil, dbErr(err, what)
	}
	return models(docs), nil
}

// findOldestFirst runs findAll and converts the documents, ordered in Go
// by the time and id key returns (see oldestFirst).
func findOldestFirst[D modeler[M], M any](ctx context.Context, coll collection, filter any, key func(D) (time.Time, string), what string) ([]M, error) {
	var docs []D
	if err := findAll(ctx, coll, filter, nil, &docs); err != nil {
		return nil, dbErr(err, what)
	}
	slices.SortFunc(docs, oldestFirst(key))
	return models(docs), nil
}

// modelsByKey reads the documents among ids that exist (see findByIDs)
// as their models, by key.
func modelsByKey[D modeler[M], M any, K comparable](ctx context.Context, coll collection, ferret bool, ids []string, key func(D) K, what string) (map[K]M, error) {
	docs, err := findByIDs[D](ctx, coll, ferret, ids)
	if err != nil {
		return nil, dbErr(err, what)
	}
	out := make(map[K]M, len(docs))
	for _, d := range docs {
		out[key(d)] = d.model()
	}
	return out, nil
}

// updateOne applies update to the document filter matches; ErrNotFound
// when it matches none.
func updateOne(ctx context.Context, coll collection, filter any, update bson.D, what string) error {
	res, err := coll.UpdateOne(ctx, filter, update)
	if err != nil {
		return dbErr(err, what)
	}
	if res.MatchedCount == 0 {
		return notFound(what)
	}
	return nil
}

// eq is the filter field = value.
func eq(field string, value any) bson.D {
	return bson.D{{Key: field, Value: value}}
}

// setOp is the {$set: fields} update.
func setOp(fields bson.D) bson.D {
	return bson.D{{Key: "$set", Value: fields}}
}

// order is the sort on fields, in that order: ascending, or descending
// for a field written "-name".
func order(fields ...string) bson.D {
	d := make(bson.D, len(fields))
	for i, f := range fields {
		d[i] = bson.E{Key: f, Value: 1}
		if rest, ok := strings.CutPrefix(f, "-"); ok {
			d[i] = bson.E{Key: rest, Value: -1}
		}
	}
	return d
}

// mapSlice applies f to each of xs.
func mapSlice[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// oldestFirst orders by the time key returns, then by its id.
func oldestFirst[T any, I cmp.Ordered](key func(T) (time.Time, I)) func(a, b T) int {
	return func(a, b T) int {
		at, aid := key(a)
		bt, bid := key(b)
		if c := at.Compare(bt); c != 0 {
			return c
		}
		return cmp.Compare(aid, bid)
	}
}

// byID is the filter of a primary-key lookup.
func byID(id any) bson.D {
	return bson.D{{Key: "_id", Value: id}}
}

// in is the {$in: values} operator.
func in(values any) bson.D {
	return bson.D{{Key: "$in", Value: values}}
}

// deleteOne deletes the document with the given _id; ErrNotFound when
// there was none.
func deleteOne(ctx context.Context, coll collection, id string, what string) error {
	res, err := coll.DeleteOne(ctx, byID(id))
	if err != nil {
		return dbErr(err, what)
	}
	if res.DeletedCount == 0 {
		return notFound(what)
	}
	return nil
}

// put writes doc as the document with this _id, replacing it or
// inserting it.
func put(ctx context.Context, coll collection, id string, doc any, what string) error {
	_, err := coll.ReplaceOne(ctx, byID(id), doc, options.Replace().SetUpsert(true))
	return dbErr(err, what)
}

// deleteMany deletes the documents filter matches and returns how many
// it deleted.
func deleteMany(ctx context.Context, coll collection, filter any, what string) (int64, error) {
	res, err := coll.DeleteMany(ctx, filter)
	if err != nil {
		return 0, dbErr(err, what)
	}
	return res.DeletedCount, nil
}

// count returns the number of documents filter matches.
func count(ctx context.Context, coll collection, filter any, what string) (int64, error) {
	n, err := coll.CountDocuments(ctx, filter)
	if err != nil {
		return 0, dbErr(err, what)
	}
	return n, nil
}

// ensureIndexes creates the indexes one command each. Creating them in one
// createIndexes command panics FerretDB v1.24 (a slice bound bug in its
// handler) when two or more of them exist already, i.e. at every restart.
// Creating an existing identical index is a no-op on both servers.
func ensureIndexes(ctx context.Context, coll collection, models ...mongo.IndexModel) error {
	for _, m := range models {
		if _, err := coll.Indexes().CreateOne(ctx, m); err != nil {
			return dbErr(err, coll.Name()+": create indexes")
		}
	}
	return nil
}

// index is an index named name on fields, ascending; a field written
// "-name" is descending. The name is explicit: it is what ensureIndexes
// finds again at every restart.
func index(name string, fields ...string) mongo.IndexModel {
	return mongo.IndexModel{Keys: order(fields...), Options: options.Index().SetName(name)}
}

// uniqueIndex is index with a unique constraint.
func uniqueIndex(name string, fields ...string) mongo.IndexModel {
	m := index(name, fields...)
	m.Options.SetUnique(true)
	return m
}

// lookupParallelism bounds the concurrent _id lookups of findByIDs: enough
// to overlap FerretDB's per-command latency, few enough not to hog its
// connection pool.
const lookupParallelism = 8

// findByIDs decodes the documents whose _id is in ids into out, in no
// particular order; missing ids are skipped. On MongoDB that is one $in
// query on the _id index. FerretDB v1 pushes no $in down to SQL and scans
// the whole collection for it, while an {_id: x} filter is a primary-key
// read: there, one lookup per distinct id, lookupParallelism at a time
// (measured, 50 ids among 1,050 channels: 14 ms instead of 51 ms on
// SQLite, 31 ms instead of 91 ms on PostgreSQL).
func findByIDs[D any, I ~string](ctx context.Context, coll collection, ferret bool, ids []I) ([]D, error) {
	seen := make(map[I]bool, len(ids))
	uniq := make([]I, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	if len(uniq) == 0 {
		return nil, nil
	}
	if !ferret {
		var docs []D
		err := findAll(ctx, coll, bson.D{{Key: "_id", Value: in(uniq)}}, nil, &docs)
		return docs, err
	}
	found := make([]*D, len(uniq))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(lookupParallelism)
	for i, id := range uniq {
		g.Go(func() error {
			var d D
			err := coll.FindOne(gctx, byID(id)).Decode(&d)
			if errors.Is(err, mongo.ErrNoDocuments) {
				return nil
			}
			if err != nil {
				return err
			}
			found[i] = &d
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	docs := make([]D, 0, len(uniq))
	for _, d := range found {
		if d != nil {
			docs = append(docs, *d)
		}
	}
	return docs, nil
}
