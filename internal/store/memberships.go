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
	pairs[membershipDoc, model.Membership, model.CPTSID]
}

var membershipPairs = pairs[membershipDoc, model.Membership, model.CPTSID]{
	parent: "cpts_id", since: "created_at", plural: "memberships", noun: "membership of user %s in cpts %s"}

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

// Insert stores a membership; ErrConflict when the user already belongs
// (in any status) to the CPTS.
func (m *Memberships) Insert(ctx context.Context, x model.Membership) error {
	return m.insert(ctx, membershipDoc{
		ID:          pairID(x.CPTSID, x.UserID),
		CPTSID:      x.CPTSID,
		UserID:      x.UserID,
		Role:        x.Role,
		Status:      x.Status,
		CreatedAt:   msUTC(x.CreatedAt),
		ValidatedAt: msUTCPtr(x.ValidatedAt),
		ValidatedBy: x.ValidatedBy,
	}, x.CPTSID, x.UserID)
}

// ByCPTS returns every membership of cpts (pending ones included), oldest
// first.
func (m *Memberships) ByCPTS(ctx context.Context, cpts model.CPTSID) ([]model.Membership, error) {
	return m.byParent(ctx, cpts, fmt.Sprintf("memberships of cpts %s", cpts))
}

// Validate turns a pending membership active, recording who validated it
// and when, and returns the updated membership. An already active
// membership is returned unchanged, without error; an absent one is
// ErrNotFound.
func (m *Memberships) Validate(ctx context.Context, cpts model.CPTSID, user model.UserID, by model.UserID, at time.Time) (model.Membership, error) {
	what := "validate " + m.what(cpts, user)
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
	return updateOne(ctx, m.coll, byID(pairID(cpts, user)), setOp(eq("role", role)), "set role of "+m.what(cpts, user))
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

// Pending returns the pending memberships of the given CPTS (of every CPTS
// when cpts is nil), oldest first.
func (m *Memberships) Pending(ctx context.Context, cpts []model.CPTSID) ([]model.Membership, error) {
	filter := bson.D{{Key: "status", Value: model.StatusPending}}
	if cpts != nil {
		if len(cpts) == 0 {
			return []model.Membership{}, nil
		}
		filter = append(filter, bson.E{Key: "cpts_id", Value: in(cpts)})
	}
	return findModels[membershipDoc](ctx, m.coll, filter, bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}, fmt.Sprintf("pending memberships of %d cpts", len(cpts)))
}

// MembershipCounts are the memberships of one CPTS by status, and its
// active coordinators.
type MembershipCounts struct {
	Active       int
	Pending      int
	Coordinators int
}

// CountByCPTS counts the memberships of every CPTS (one $group over the
// collection, no document read out).
func (m *Memberships) CountByCPTS(ctx context.Context) (map[model.CPTSID]MembershipCounts, error) {
	cur, err := m.coll.Aggregate(ctx, mongo.Pipeline{
		{{Key: "$group", Value: bson.D{
			{Key: "_id", Value: bson.D{{Key: "c", Value: "$cpts_id"}, {Key: "s", Value: "$status"}, {Key: "r", Value: "$role"}}},
			{Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}},
		}}},
	})
	if err != nil {
		return nil, dbErr(err, "count memberships by cpts")
	}
	var rows []struct {
		ID struct {
			C model.CPTSID           `bson:"c"`
			S model.MembershipStatus `bson:"s"`
			R model.Role             `bson:"r"`
		} `bson:"_id"`
		N int `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, dbErr(err, "count memberships by cpts")
	}
	out := make(map[model.CPTSID]MembershipCounts)
	for _, r := range rows {
		x := out[r.ID.C]
		switch r.ID.S {
		case model.StatusActive:
			x.Active += r.N
			if r.ID.R == model.RoleCoordinateur {
				x.Coordinators += r.N
			}
		case model.StatusPending:
			x.Pending += r.N
		}
		out[r.ID.C] = x
	}
	return out, nil
}

// DeletePending removes a membership only while it is pending (a refusal
// must not remove a member validated meanwhile): ErrNotFound when there is
// no such membership, ErrConflict when it is active.
func (m *Memberships) DeletePending(ctx context.Context, cpts model.CPTSID, user model.UserID) error {
	what := "delete pending " + m.what(cpts, user)
	res, err := m.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: pairID(cpts, user)}, {Key: "status", Value: model.StatusPending}})
	if err != nil {
		return dbErr(err, what)
	}
	if res.DeletedCount == 1 {
		return nil
	}
	if _, err := m.Get(ctx, cpts, user); err != nil {
		return err
	}
	return fmt.Errorf("store: %s: %w", what, model.ErrConflict)
}
