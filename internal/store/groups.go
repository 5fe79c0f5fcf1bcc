package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/ecpts/ecpts/internal/model"
)

// Groups is the groups collection: _id = group id; unique index on
// (owner_cpts_id, name_key); multikey index on cpts_ids.
type Groups struct {
	coll   *mongo.Collection
	ferret bool // FerretDB: see findByIDs
}

type groupDoc struct {
	ID          model.GroupID  `bson:"_id"`
	Name        string         `bson:"name"`
	NameKey     string         `bson:"name_key"`
	Description string         `bson:"description"`
	OwnerCPTS   model.CPTSID   `bson:"owner_cpts_id"`
	CPTSIDs     []model.CPTSID `bson:"cpts_ids"`
	CreatedBy   model.UserID   `bson:"created_by"`
	CreatedAt   time.Time      `bson:"created_at"`
}

func (d groupDoc) model() model.Group {
	return model.Group{
		ID:          d.ID,
		Name:        d.Name,
		Description: d.Description,
		OwnerCPTS:   d.OwnerCPTS,
		CPTSIDs:     d.CPTSIDs,
		CreatedBy:   d.CreatedBy,
		CreatedAt:   d.CreatedAt.UTC(),
	}
}

// EnsureIndexes creates the unique name-per-owner index and the cpts_ids
// index; idempotent.
func (g *Groups) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, g.coll,
		uniqueIndex("owner_name_unique", "owner_cpts_id", "name_key"),
		index("cpts_ids", "cpts_ids"),
	)
}

// Insert stores a group. CPTSIDs should hold the owner first; when it is
// empty the owner alone is stored, so ByCPTS always finds the group from
// its owner. ErrConflict on a duplicate name (case-insensitive) within the
// owner CPTS.
func (g *Groups) Insert(ctx context.Context, x model.Group) error {
	ids := x.CPTSIDs
	if len(ids) == 0 && x.OwnerCPTS != "" {
		ids = []model.CPTSID{x.OwnerCPTS}
	}
	_, err := g.coll.InsertOne(ctx, groupDoc{
		ID:          x.ID,
		Name:        x.Name,
		NameKey:     nameKey(x.Name),
		Description: x.Description,
		OwnerCPTS:   x.OwnerCPTS,
		CPTSIDs:     ids,
		CreatedBy:   x.CreatedBy,
		CreatedAt:   msUTC(x.CreatedAt),
	})
	return dbErr(err, fmt.Sprintf("insert group %s", x.ID))
}

// ByID returns the group or ErrNotFound.
func (g *Groups) ByID(ctx context.Context, id model.GroupID) (model.Group, error) {
	return getByID[groupDoc](ctx, g.coll, id, fmt.Sprintf("group %s", id))
}

// ByIDs returns the groups among ids that exist, ordered by name.
func (g *Groups) ByIDs(ctx context.Context, ids []model.GroupID) ([]model.Group, error) {
	out, err := listByIDs[groupDoc](ctx, g.coll, g.ferret, ids, fmt.Sprintf("groups by %d ids", len(ids)))
	return groupByName(out), err
}

// ByCPTS returns the groups cpts participates in (owned or invited),
// ordered by name.
func (g *Groups) ByCPTS(ctx context.Context, cpts model.CPTSID) ([]model.Group, error) {
	return g.find(ctx, eq("cpts_ids", cpts), fmt.Sprintf("groups of cpts %s", cpts))
}

func (g *Groups) find(ctx context.Context, filter bson.D, what string) ([]model.Group, error) {
	out, err := findModels[groupDoc](ctx, g.coll, filter, nil, what)
	return groupByName(out), err
}

// groupByName sorts xs by name and returns it.
func groupByName(xs []model.Group) []model.Group {
	sortByName(xs, func(x model.Group) string { return x.Name }, func(x model.Group) string { return string(x.ID) })
	return xs
}

// Update renames the group and replaces its description; ErrConflict on a
// duplicate name within the owner CPTS, ErrNotFound when absent.
func (g *Groups) Update(ctx context.Context, id model.GroupID, name, description string) error {
	what := fmt.Sprintf("update group %s", id)
	return updateOne(ctx, g.coll, byID(id), bson.D{{Key: "$set", Value: bson.D{
		{Key: "name", Value: name},
		{Key: "name_key", Value: nameKey(name)},
		{Key: "description", Value: description},
	}}}, what)
}

// AddCPTS invites cpts into the group ($addToSet: adding it twice is a
// no-op); ErrNotFound when the group is absent. On FerretDB, two
// concurrent updates of one group (AddCPTS, Update) may lose one of them:
// see the package doc.
func (g *Groups) AddCPTS(ctx context.Context, id model.GroupID, cpts model.CPTSID) error {
	what := fmt.Sprintf("add cpts %s to group %s", cpts, id)
	return updateOne(ctx, g.coll, byID(id), bson.D{{Key: "$addToSet", Value: eq("cpts_ids", cpts)}}, what)
}
