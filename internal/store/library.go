package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/errgroup"

	"github.com/ecpts/ecpts/internal/model"
)

// Helpers shared by the collections of issue 14 (posts, RSVPs, protocols,
// materials, files).

// platformKey is the seen_by key of what every professional sees.
const platformKey = "platform"

// seenByKeys are the keys a protocol or a material is listed under: its
// owner's "cpts:<id>", each CPTS it is shared with when the sharing is
// listed, and "platform" when it is platform-wide. A viewer sees it when
// one of viewerKeys is among them: the "seen_by" field is an array, so
// one equality on it (pushed down to an index on FerretDB-PostgreSQL)
// finds what one key sees.
func seenByKeys(owner model.CPTSID, vis model.Sharing, shared []model.CPTSID) []string {
	keys := []string{cptsScope(owner)}
	switch vis {
	case model.SharingListed:
		seen := map[model.CPTSID]bool{owner: true}
		for _, c := range shared {
			if !seen[c] {
				seen[c] = true
				keys = append(keys, cptsScope(c))
			}
		}
	case model.SharingPlatform:
		keys = append(keys, platformKey)
	}
	return keys
}

// viewerKeys are the seen_by keys a member of cpts sees: those CPTS and
// the platform.
func viewerKeys(cpts []model.CPTSID) []string {
	keys := make([]string, 0, len(cpts)+1)
	for _, c := range cpts {
		keys = append(keys, cptsScope(c))
	}
	return append(keys, platformKey)
}

func uniqStrings(xs []string) []string {
	seen := make(map[string]bool, len(xs))
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// findAny returns the documents matching extra whose field equals one of
// values (for an array field: contains one of them), each once (id names
// a document). FerretDB-PostgreSQL pushes an equality down to SQL, where
// accelerate indexes it, but not $in: there, one query per value, a few
// at a time. MongoDB serves $in from its index; FerretDB-SQLite scans the
// collection for any filter but _id, so one $in query (one scan) is the
// cheapest there.
func findAny[D any](ctx context.Context, coll collection, backend, field string, values []string, extra bson.D, id func(D) string) ([]D, error) {
	values = uniqStrings(values)
	if len(values) == 0 {
		return nil, nil
	}
	if backend != BackendFerretDBPostgreSQL || len(values) == 1 {
		var v any = values[0]
		if len(values) > 1 {
			v = in(values)
		}
		var docs []D
		err := findAll(ctx, coll, append(bson.D{{Key: field, Value: v}}, extra...), nil, &docs)
		return docs, err
	}
	parts := make([][]D, len(values))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(lookupParallelism)
	for i, v := range values {
		g.Go(func() error {
			return findAll(gctx, coll, append(bson.D{{Key: field, Value: v}}, extra...), nil, &parts[i])
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var docs []D
	for _, p := range parts {
		for _, d := range p {
			if k := id(d); !seen[k] {
				seen[k] = true
				docs = append(docs, d)
			}
		}
	}
	return docs, nil
}

// findIDOnly projects a FindOne on _id: FerretDB still reads the whole
// document, but only the _id travels back.
func findIDOnly() *options.FindOneOptionsBuilder {
	return options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})
}

// upsert runs UpdateOne with upsert. FerretDB upserts by inserting when
// its read found nothing, so two concurrent upserts of a new _id collide
// on it: the loser's document exists by then, and its update is applied
// to it.
func upsert(ctx context.Context, coll collection, id string, update bson.D) error {
	_, err := coll.UpdateOne(ctx, byID(id), update, options.UpdateOne().SetUpsert(true))
	if err != nil && isDuplicateKey(err) {
		_, err = coll.UpdateOne(ctx, byID(id), update)
	}
	return err
}

// replaceUpsert is ReplaceOne with upsert, safe against the same
// collision as upsert.
func replaceUpsert(ctx context.Context, coll collection, id string, doc any) error {
	_, err := coll.ReplaceOne(ctx, byID(id), doc, options.Replace().SetUpsert(true))
	if err != nil && isDuplicateKey(err) {
		_, err = coll.ReplaceOne(ctx, byID(id), doc)
	}
	return err
}

// exists reports whether coll holds a document with this _id.
func exists(ctx context.Context, coll collection, id string) (bool, error) {
	err := coll.FindOne(ctx, byID(id), findIDOnly()).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	return err == nil, err
}

// gallopLast returns the highest n ≥ 1 for which present(n) holds,
// knowing that present holds for 1…last and for nothing above, and that
// hint is present or 0: it gallops up from hint, then bisects (O(log n)
// lookups). 0 when present(1) is false.
func gallopLast(ctx context.Context, hint uint64, present func(context.Context, uint64) (bool, error)) (uint64, error) {
	lo := hint
	if lo > 0 {
		ok, err := present(ctx, lo)
		if err != nil {
			return 0, err
		}
		if !ok {
			lo = 0
		}
	}
	step := uint64(1)
	hi := lo + step
	for {
		ok, err := present(ctx, hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo = hi
		step *= 2
		hi = lo + step
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := present(ctx, mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// tombstones is the tombstones collection: _id = "<kind>:<id>" of a
// deleted post or material. A deletion inserts its tombstone before it
// marks the document deleted, and an edit looks for the tombstone after it
// wrote: FerretDB writes an update back whole, so an edit that read the
// document before a concurrent deletion may undo that deletion, and the
// edit then deletes again. Tombstones are never removed (deletion is
// final).
type tombstones struct {
	coll collection
}

type tombstoneDoc struct {
	ID string    `bson:"_id"`
	At time.Time `bson:"at"`
}

// mark records the deletion of key; marking twice is no error.
func (t tombstones) mark(ctx context.Context, key string, at time.Time) error {
	_, err := t.coll.InsertOne(ctx, tombstoneDoc{ID: key, At: msUTC(at)})
	if err != nil && !isDuplicateKey(err) {
		return dbErr(err, "tombstone "+key)
	}
	return nil
}

// at returns when key was deleted; nil when it was not.
func (t tombstones) at(ctx context.Context, key string) (*time.Time, error) {
	var d tombstoneDoc
	err := t.coll.FindOne(ctx, byID(key)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, dbErr(err, "tombstone "+key)
	}
	at := d.At.UTC()
	return &at, nil
}

// Page cursors are opaque to callers: the sort key and the id of the last
// item of the previous page, base64url-encoded.

func encodeCursor(key, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key + "\x00" + id))
}

// errBadCursor is the error of a cursor this store did not make.
var errBadCursor = model.Invalid("after", "invalid_cursor", "Le curseur de pagination est invalide.")

func decodeCursor(c string) (key, id string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", "", errBadCursor
	}
	key, id, ok := strings.Cut(string(b), "\x00")
	if !ok || !model.ValidID(id) {
		return "", "", errBadCursor
	}
	return key, id, nil
}

// seenEntries reads the entries of an index collection (protocol_index,
// material_index) that viewer sees, extra pushed down with the seen_by
// key (see findAny), decodes them and keeps those keep accepts.
func seenEntries[D interface{ entry() E }, E any](ctx context.Context, coll collection, backend string, viewer []model.CPTSID,
	extra bson.D, id func(D) string, keep func(E) bool,
) ([]E, error) {
	docs, err := findAny(ctx, coll, backend, "seen_by", viewerKeys(viewer), extra, id)
	if err != nil {
		return nil, err
	}
	entries := make([]E, 0, len(docs))
	for _, d := range docs {
		if e := d.entry(); keep(e) {
			entries = append(entries, e)
		}
	}
	return entries, nil
}

// cursor is a decoded page cursor; set is false on the first page.
type cursor struct {
	set     bool
	key, id string
}

// parseCursor decodes the After of a query ("" is the first page).
func parseCursor(after string) (cursor, error) {
	if after == "" {
		return cursor{}, nil
	}
	key, id, err := decodeCursor(after)
	return cursor{set: true, key: key, id: id}, err
}

// entryPage sorts index entries by order (which compares an entry with
// the sort key and id of another), cuts the page of at most limit entries
// after c, reads their documents by _id (byIDs answers in the order of
// ids) and keeps those keep accepts, should an entry lag its document.
// next is the cursor of the following page, "" after the last one.
func entryPage[E any, I ~string, M any](ctx context.Context, entries []E, c cursor, limit int,
	keyOf func(E) (string, I), order func(e E, key, id string) int,
	byIDs func(context.Context, []I) ([]M, error), keep func(M) bool,
) (items []M, next string, err error) {
	slices.SortFunc(entries, func(a, b E) int {
		k, id := keyOf(b)
		return order(a, k, string(id))
	})
	start := 0
	if c.set {
		start, _ = slices.BinarySearchFunc(entries, c, func(e E, c cursor) int { return order(e, c.key, c.id) })
		if start < len(entries) {
			if k, id := keyOf(entries[start]); k == c.key && string(id) == c.id {
				start++
			}
		}
	}
	end := min(start+limit, len(entries))
	ids := make([]I, 0, end-start)
	for _, e := range entries[start:end] {
		_, id := keyOf(e)
		ids = append(ids, id)
	}
	found, err := byIDs(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	items = make([]M, 0, len(found))
	for _, m := range found {
		if keep(m) {
			items = append(items, m)
		}
	}
	if end < len(entries) {
		k, id := keyOf(entries[end-1])
		next = encodeCursor(k, string(id))
	}
	return items, next, nil
}

// inOrder returns the items whose id is among ids, in the order of ids,
// each once.
func inOrder[I comparable, T any](ids []I, items []T, id func(T) I) []T {
	byID := make(map[I]T, len(items))
	for _, x := range items {
		byID[id(x)] = x
	}
	out := make([]T, 0, len(items))
	for _, i := range ids {
		if x, ok := byID[i]; ok {
			out = append(out, x)
			delete(byID, i)
		}
	}
	return out
}

// pageLimit clamps a page size: default when ≤ 0, at most max.
func pageLimit(limit, def, max int) int {
	switch {
	case limit <= 0:
		return def
	case limit > max:
		return max
	}
	return limit
}

// seqID formats a per-parent number for an _id: zero-padded, so the _ids
// of one parent sort like the numbers.
func seqID(parent string, n int) string {
	return fmt.Sprintf("%s:%010d", parent, n)
}
