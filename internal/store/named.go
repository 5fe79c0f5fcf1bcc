package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// named is what the collections of named objects share (users, CPTS,
// groups, channels): _id = the object's id, read by id or by ids, lists
// ordered by name (sortByName). Users, CPTSs, Groups and Channels embed
// one, set up by on.
type named[D modeler[M], M any, I ~string] struct {
	coll   collection
	ferret bool   // FerretDB: see findByIDs
	noun   string // one object in errors: "group"
	plural string // several: "groups"
	name   func(M) string
	id     func(M) I
}

// on is n on the collection coll, served by FerretDB when ferret.
func (n named[D, M, I]) on(coll collection, ferret bool) named[D, M, I] {
	n.coll, n.ferret = coll, ferret
	return n
}

// ByID returns the object or ErrNotFound.
func (n named[D, M, I]) ByID(ctx context.Context, id I) (M, error) {
	return getByID[D](ctx, n.coll, id, fmt.Sprintf("%s %s", n.noun, id))
}

// ByIDs returns the objects among ids that exist, ordered by name; missing
// ids are simply absent.
func (n named[D, M, I]) ByIDs(ctx context.Context, ids []I) ([]M, error) {
	out, err := listByIDs[D](ctx, n.coll, n.ferret, ids, fmt.Sprintf("%s by %d ids", n.plural, len(ids)))
	return n.byName(out), err
}

// insert stores d, the document of the object whose id is id.
func (n named[D, M, I]) insert(ctx context.Context, d D, id I) error {
	_, err := n.coll.InsertOne(ctx, d)
	return dbErr(err, fmt.Sprintf("insert %s %s", n.noun, id))
}

// nameSet is the update of an object's name and of the name_key its
// unique index compares (nameKey).
func nameSet(name string) bson.D {
	return bson.D{{Key: "name", Value: name}, {Key: "name_key", Value: nameKey(name)}}
}

// set applies $set fields to the object id; ErrNotFound when absent.
func (n named[D, M, I]) set(ctx context.Context, id I, what string, fields bson.D) error {
	return updateOne(ctx, n.coll, byID(id), setOp(fields), fmt.Sprintf("%s %s", what, id))
}

// find returns the objects filter matches, ordered by name.
func (n named[D, M, I]) find(ctx context.Context, filter bson.D, what string) ([]M, error) {
	out, err := findModels[D](ctx, n.coll, filter, nil, what)
	return n.byName(out), err
}

// byName sorts xs by name and returns it.
func (n named[D, M, I]) byName(xs []M) []M {
	sortByName(xs, n.name, func(x M) string { return string(n.id(x)) })
	return xs
}
