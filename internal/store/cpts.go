package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ecpts/ecpts/internal/model"
)

// CPTSs is the cpts collection: _id = CPTS id, unique index on name_key
// (there is at most one CPTS per territory, and names must not collide
// case-insensitively).
type CPTSs struct {
	named[cptsDoc, model.CPTS, model.CPTSID]
}

var cptsNamed = named[cptsDoc, model.CPTS, model.CPTSID]{noun: "cpts", plural: "cpts",
	name: func(x model.CPTS) string { return x.Name }, id: func(x model.CPTS) model.CPTSID { return x.ID }}

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

var cptsMirror = mirrorOf[cptsDoc, model.CPTS]("NameKey")

func (d cptsDoc) model() model.CPTS { return cptsMirror.model(d) }

// EnsureIndexes creates the unique name index; it is idempotent.
func (c *CPTSs) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, c.coll, uniqueIndex("name_key_unique", "name_key"))
}

// Insert stores a new CPTS; ErrConflict when the id or the name
// (case-insensitive) is taken.
func (c *CPTSs) Insert(ctx context.Context, x model.CPTS) error {
	d := cptsMirror.doc(x)
	d.NameKey = nameKey(x.Name)
	return c.insert(ctx, d, x.ID)
}

// List returns every CPTS, ordered by name.
func (c *CPTSs) List(ctx context.Context) ([]model.CPTS, error) {
	return c.find(ctx, bson.D{}, "list cpts")
}

// Update replaces the editable fields of a CPTS (name, department,
// communes, status, missions; not its id nor creation date); ErrConflict
// when the name (case-insensitive) is another CPTS's, ErrNotFound when
// absent.
func (c *CPTSs) Update(ctx context.Context, x model.CPTS) error {
	return updateOne(ctx, c.coll, byID(x.ID), setOp(append(nameSet(x.Name),
		bson.E{Key: "department", Value: x.Department},
		bson.E{Key: "communes", Value: x.Communes},
		bson.E{Key: "status", Value: x.Status},
		bson.E{Key: "missions", Value: x.Missions},
	)), fmt.Sprintf("update cpts %s", x.ID))
}
