package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ecpts/ecpts/internal/model"
)

// Memberships is the memberships collection: _id = cptsID+":"+userID, so
// the hot "is this user a member of this CPTS" lookup is a primary-key
// read; secondary indexes on user_id and cpts_id.
type Memberships struct {
	coll *mongo.Collection
}

type membershipDoc struct {
	ID          string                 `bson:"_id"`
	CPTSID      model.CPTSID           `bson:"cpts_id"`
	UserID      model.UserID           `bson:"user_id"`
	Role        model.Role             `bson:"role"`
	Status      model.MembershipStatus `bson:"status"`
	CreatedAt   time.Time              `bson:"created_at"`
	ValidatedAt *time.Time             `bson:"validated_at"`
	ValidatedBy model.UserID           `bson:"validated_by"`
}

func (d membershipDoc) model() model.Membership {
	m := model.Membership{
		CPTSID:      d.CPTSID,
		UserID:      d.UserID,
		Role:        d.Role,
		Status:      d.Status,
		CreatedAt:   d.CreatedAt.UTC(),
		ValidatedBy: d.ValidatedBy,
	}
	if d.ValidatedAt != nil {
		t := d.ValidatedAt.UTC()
		m.ValidatedAt = &t
	}
	return m
}

func (m *Memberships) pairs() pairs[membershipDoc, model.Membership] {
	return pairs[membershipDoc, model.Membership]{coll: m.coll, parent: "cpts_id", since: "created_at"}
}

// EnsureIndexes creates the user_id and cpts_id indexes; idempotent.
func (m *Memberships) EnsureIndexes(ctx context.Context) error {
	return m.pairs().ensureIndexes(ctx)
}

func membershipWhat(cpts model.CPTSID, user model.UserID) string {
	return fmt.Sprintf("membership of user %s in cpts %s", user, cpts)
}

// Insert stores a membership; ErrConflict when the user already belongs
// (in any status) to the CPTS.
func (m *Memberships) Insert(ctx context.Context, x model.Membership) error {
	return m.pairs().insert(ctx, membershipDoc{
		ID:          pairID(x.CPTSID, x.UserID),
		CPTSID:      x.CPTSID,
		UserID:      x.UserID,
		Role:        x.Role,
		Status:      x.Status,
		CreatedAt:   msUTC(x.CreatedAt),
		ValidatedAt: msUTCPtr(x.ValidatedAt),
		ValidatedBy: x.ValidatedBy,
	}, membershipWhat(x.CPTSID, x.UserID))
}

// Get returns the membership of user in cpts, whatever its status, or
// ErrNotFound.
func (m *Memberships) Get(ctx context.Context, cpts model.CPTSID, user model.UserID) (model.Membership, error) {
	return m.pairs().get(ctx, pairID(cpts, user), membershipWhat(cpts, user))
}

// ByUser returns every membership of user (pending ones included), oldest
// first.
func (m *Memberships) ByUser(ctx context.Context, user model.UserID) ([]model.Membership, error) {
	return m.pairs().byUser(ctx, user, fmt.Sprintf("memberships of user %s", user))
}

// ByCPTS returns every membership of cpts (pending ones included), oldest
// first.
func (m *Memberships) ByCPTS(ctx context.Context, cpts model.CPTSID) ([]model.Membership, error) {
	return m.pairs().byParent(ctx, cpts, fmt.Sprintf("memberships of cpts %s", cpts))
}

// Validate turns a pending membership active, recording who validated it
// and when, and returns the updated membership. An already active
// membership is returned unchanged, without error; an absent one is
// ErrNotFound.
func (m *Memberships) Validate(ctx context.Context, cpts model.CPTSID, user model.UserID, by model.UserID, at time.Time) (model.Membership, error) {
	what := "validate " + membershipWhat(cpts, user)
	var d membershipDoc
	err := m.coll.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: pairID(cpts, user)}, {Key: "status", Value: model.StatusPending}},
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "status", Value: model.StatusActive},
			{Key: "validated_at", Value: msUTC(at)},
			{Key: "validated_by", Value: by},
		}}},
		options.FindOneAndUpdate().SetReturnDocument(options.After),
	).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		// Not pending: either active already (returned as is) or absent.
		return m.Get(ctx, cpts, user)
	}
	if err != nil {
		return model.Membership{}, dbErr(err, what)
	}
	return d.model(), nil
}

// SetRole changes the role of a membership; ErrNotFound when absent.
func (m *Memberships) SetRole(ctx context.Context, cpts model.CPTSID, user model.UserID, role model.Role) error {
	return updateOne(ctx, m.coll, byID(pairID(cpts, user)), setOp(eq("role", role)), "set role of "+membershipWhat(cpts, user))
}

// Delete removes a membership; ErrNotFound when absent.
func (m *Memberships) Delete(ctx context.Context, cpts model.CPTSID, user model.UserID) error {
	return m.pairs().delete(ctx, pairID(cpts, user), membershipWhat(cpts, user))
}

// CountActiveCoordinators counts the active coordinators of cpts (core
// refuses to remove or demote the last one).
func (m *Memberships) CountActiveCoordinators(ctx context.Context, cpts model.CPTSID) (int64, error) {
	n, err := m.coll.CountDocuments(ctx, bson.D{
		{Key: "cpts_id", Value: cpts},
		{Key: "role", Value: model.RoleCoordinateur},
		{Key: "status", Value: model.StatusActive},
	})
	if err != nil {
		return 0, dbErr(err, fmt.Sprintf("count coordinators of cpts %s", cpts))
	}
	return n, nil
}
