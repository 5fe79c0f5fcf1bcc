package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/ecpts/ecpts/internal/model"
)

// CPTSs is the cpts collection: _id = CPTS id, unique index on name_key
// (there is at most one CPTS per territory, and names must not collide
// case-insensitively).
type CPTSs struct {
	coll   *mongo.Collection
	ferret bool // FerretDB: see findByIDs
}

type cptsDoc struct {
	ID         model.CPTSID    `bson:"_id"`
	Name       string          `bson:"name"`
	NameKey    string          `bson:"name_key"`
	Department string          `bson:"department"`
	Communes   []string        `bson:"communes"`
	Status     string          `bson:"status"`
	Missions   []model.Mission `bson:"missions"`
	CreatedAt  time.Time       `bson:"created_at"`
}

func (d cptsDoc) model() model.CPTS {
	return model.CPTS{
		ID:         d.ID,
		Name:       d.Name,
		Department: d.Department,
		Communes:   d.Communes,
		Status:     d.Status,
		Missions:   d.Missions,
		CreatedAt:  d.CreatedAt.UTC(),
	}
}

// EnsureIndexes creates the unique name index; it is idempotent.
func (c *CPTSs) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, c.coll, uniqueIndex("name_key_unique", "name_key"))
}

// Insert stores a new CPTS; ErrConflict when the id or the name
// (case-insensitive) is taken.
func (c *CPTSs) Insert(ctx context.Context, x model.CPTS) error {
	_, err := c.coll.InsertOne(ctx, cptsDoc{
		ID:         x.ID,
		Name:       x.Name,
		NameKey:    nameKey(x.Name),
		Department: x.Department,
		Communes:   x.Communes,
		Status:     x.Status,
		Missions:   x.Missions,
		CreatedAt:  msUTC(x.CreatedAt),
	})
	return dbErr(err, fmt.Sprintf("insert cpts %s", x.ID))
}

// ByID returns the CPTS or ErrNotFound.
func (c *CPTSs) ByID(ctx context.Context, id model.CPTSID) (model.CPTS, error) {
	return getByID[cptsDoc](ctx, c.coll, id, fmt.Sprintf("cpts %s", id))
}

// ByIDs returns the CPTS among ids that exist, ordered by name.
func (c *CPTSs) ByIDs(ctx context.Context, ids []model.CPTSID) ([]model.CPTS, error) {
	out, err := listByIDs[cptsDoc](ctx, c.coll, c.ferret, ids, fmt.Sprintf("cpts by %d ids", len(ids)))
	return cptsByName(out), err
}

// List returns every CPTS, ordered by name.
func (c *CPTSs) List(ctx context.Context) ([]model.CPTS, error) {
	return c.find(ctx, bson.D{}, "list cpts")
}

func (c *CPTSs) find(ctx context.Context, filter bson.D, what string) ([]model.CPTS, error) {
	out, err := findModels[cptsDoc](ctx, c.coll, filter, nil, what)
	return cptsByName(out), err
}

// cptsByName sorts xs by name and returns it.
func cptsByName(xs []model.CPTS) []model.CPTS {
	sortByName(xs, func(x model.CPTS) string { return x.Name }, func(x model.CPTS) string { return string(x.ID) })
	return xs
}

// Update replaces the editable fields of a CPTS (name, department,
// communes, status, missions; not its id nor creation date); ErrConflict
// when the name (case-insensitive) is another CPTS's, ErrNotFound when
// absent.
func (c *CPTSs) Update(ctx context.Context, x model.CPTS) error {
	what := fmt.Sprintf("update cpts %s", x.ID)
	res, err := c.coll.UpdateOne(ctx, byID(x.ID), bson.D{{Key: "$set", Value: bson.D{
		{Key: "name", Value: x.Name},
		{Key: "name_key", Value: nameKey(x.Name)},
		{Key: "department", Value: x.Department},
		{Key: "communes", Value: x.Communes},
		{Key: "status", Value: x.Status},
		{Key: "missions", Value: x.Missions},
	}}})
	if err != nil {
		return dbErr(err, what)
	}
	if res.MatchedCount == 0 {
		return notFound(what)
	}
	return nil
}
