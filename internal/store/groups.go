package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ecpts/ecpts/internal/model"
)

// Groups is the groups collection: _id = group id; unique index on
// (owner_cpts_id, name_key); multikey index on cpts_ids.
type Groups struct {
	named[groupDoc, model.Group, model.GroupID]
}

var groupNamed = named[groupDoc, model.Group, model.GroupID]{noun: "group", plural: "groups",
	name: func(x model.Group) string { return x.Name }, id: func(x model.Group) model.GroupID { return x.ID }}

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

var groupMirror = mirrorOf[groupDoc, model.Group]("NameKey")

func (d groupDoc) model() model.Group { return groupMirror.model(d) }

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
	d := groupMirror.doc(x)
	d.NameKey = nameKey(x.Name)
	if len(d.CPTSIDs) == 0 && x.OwnerCPTS != "" {
		d.CPTSIDs = []model.CPTSID{x.OwnerCPTS}
	}
	return g.insert(ctx, d, x.ID)
}

// ByCPTS returns the groups cpts participates in (owned or invited),
// ordered by name.
func (g *Groups) ByCPTS(ctx context.Context, cpts model.CPTSID) ([]model.Group, error) {
	return g.find(ctx, eq("cpts_ids", cpts), fmt.Sprintf("groups of cpts %s", cpts))
}

// Update renames the group and replaces its description; ErrConflict on a
// duplicate name within the owner CPTS, ErrNotFound when absent.
func (g *Groups) Update(ctx context.Context, id model.GroupID, name, description string) error {
	return updateOne(ctx, g.coll, byID(id), setOp(append(nameSet(name), bson.E{Key: "description", Value: description})),
		fmt.Sprintf("update group %s", id))
}

// AddCPTS invites cpts into the group ($addToSet: adding it twice is a
// no-op); ErrNotFound when the group is absent. On FerretDB, two
// concurrent updates of one group (AddCPTS, Update) may lose one of them:
// see the package doc.
func (g *Groups) AddCPTS(ctx context.Context, id model.GroupID, cpts model.CPTSID) error {
	what := fmt.Sprintf("add cpts %s to group %s", cpts, id)
	return updateOne(ctx, g.coll, byID(id), bson.D{{Key: "$addToSet", Value: eq("cpts_ids", cpts)}}, what)
}
