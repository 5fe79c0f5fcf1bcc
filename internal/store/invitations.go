package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/ecpts/ecpts/internal/model"
)

// Invitations is the invitations collection: _id = invitation id; unique
// index on token_hash; index on cpts_id.
//
// Claim and Revoke must have exactly one winner, and FerretDB v1 runs
// FindOneAndUpdate as read-then-write (measured: 5 to 8 "winners" out of
// 20 concurrent calls). So both first take the invitation's lock: a
// document with _id = invitation id in invitation_locks, whose insertion
// only one caller can win on every backend. The lock of an accepted or
// revoked invitation stays forever (both states are final); Unclaim
// releases it. A crash between taking the lock and updating the
// invitation leaves the invitation locked and unusable, never usable
// twice: the coordinator invites again.
type Invitations struct {
	coll  *mongo.Collection
	locks *mongo.Collection
}

type invitationDoc struct {
	ID         string       `bson:"_id"`
	TokenHash  string       `bson:"token_hash"`
	Email      string       `bson:"email"`
	CPTSID     model.CPTSID `bson:"cpts_id"`
	Role       model.Role   `bson:"role"`
	InvitedBy  model.UserID `bson:"invited_by"`
	CreatedAt  time.Time    `bson:"created_at"`
	ExpiresAt  time.Time    `bson:"expires_at"`
	AcceptedAt *time.Time   `bson:"accepted_at"` // null until claimed: filters match it with null
	AcceptedBy model.UserID `bson:"accepted_by"`
	RevokedAt  *time.Time   `bson:"revoked_at"`
}

func (d invitationDoc) model() model.Invitation {
	x := model.Invitation{
		ID:         d.ID,
		TokenHash:  d.TokenHash,
		Email:      d.Email,
		CPTSID:     d.CPTSID,
		Role:       d.Role,
		InvitedBy:  d.InvitedBy,
		CreatedAt:  d.CreatedAt.UTC(),
		ExpiresAt:  d.ExpiresAt.UTC(),
		AcceptedBy: d.AcceptedBy,
	}
	if d.AcceptedAt != nil {
		t := d.AcceptedAt.UTC()
		x.AcceptedAt = &t
	}
	if d.RevokedAt != nil {
		t := d.RevokedAt.UTC()
		x.RevokedAt = &t
	}
	return x
}

// lockDoc is an invitation's lock: Op is "claim" or "revoke".
type lockDoc struct {
	ID string    `bson:"_id"`
	Op string    `bson:"op"`
	At time.Time `bson:"at"`
}

// EnsureIndexes creates the unique token_hash and the cpts_id indexes;
// idempotent.
func (i *Invitations) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, i.coll,
		uniqueIndex("token_hash_unique", "token_hash"),
		index("cpts_id", "cpts_id"),
	)
}

// Insert stores an invitation (e-mail normalised); ErrConflict when the id
// or the token hash exists.
func (i *Invitations) Insert(ctx context.Context, x model.Invitation) error {
	_, err := i.coll.InsertOne(ctx, invitationDoc{
		ID:         x.ID,
		TokenHash:  x.TokenHash,
		Email:      normEmail(x.Email),
		CPTSID:     x.CPTSID,
		Role:       x.Role,
		InvitedBy:  x.InvitedBy,
		CreatedAt:  msUTC(x.CreatedAt),
		ExpiresAt:  msUTC(x.ExpiresAt),
		AcceptedAt: msUTCPtr(x.AcceptedAt),
		AcceptedBy: x.AcceptedBy,
		RevokedAt:  msUTCPtr(x.RevokedAt),
	})
	return dbErr(err, fmt.Sprintf("insert invitation %s", x.ID))
}

// ByID returns the invitation, whatever its state, or ErrNotFound.
func (i *Invitations) ByID(ctx context.Context, id string) (model.Invitation, error) {
	return getByID[invitationDoc](ctx, i.coll, id, fmt.Sprintf("invitation %s", id))
}

// ByTokenHash returns the invitation, whatever its state, or ErrNotFound.
func (i *Invitations) ByTokenHash(ctx context.Context, hash string) (model.Invitation, error) {
	var d invitationDoc
	if err := i.coll.FindOne(ctx, eq("token_hash", hash)).Decode(&d); err != nil {
		return model.Invitation{}, dbErr(err, "invitation by token")
	}
	return d.model(), nil
}

// PendingByCPTS returns the invitations of cpts neither accepted, revoked
// nor expired at now, newest first.
func (i *Invitations) PendingByCPTS(ctx context.Context, cpts model.CPTSID, now time.Time) ([]model.Invitation, error) {
	var docs []invitationDoc
	err := findAll(ctx, i.coll, bson.D{
		{Key: "cpts_id", Value: cpts},
		{Key: "accepted_at", Value: nil},
		{Key: "revoked_at", Value: nil},
		{Key: "expires_at", Value: bson.D{{Key: "$gt", Value: msUTC(now)}}},
	}, bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}, &docs)
	if err != nil {
		return nil, dbErr(err, fmt.Sprintf("pending invitations of cpts %s", cpts))
	}
	out := make([]model.Invitation, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.model())
	}
	return out, nil
}

// lock takes the invitation's lock for op; it reports false, without
// error, when somebody holds it already.
func (i *Invitations) lock(ctx context.Context, id, op string, at time.Time) (bool, error) {
	_, err := i.locks.InsertOne(ctx, lockDoc{ID: id, Op: op, At: msUTC(at)})
	if err != nil && isDuplicateKey(err) {
		return false, nil
	}
	if err != nil {
		return false, dbErr(err, fmt.Sprintf("%s invitation %s: lock", op, id))
	}
	return true, nil
}

// unlock releases the invitation's lock. It runs even when ctx is done
// (bounded by connectTimeout): a lock left behind makes the invitation
// unusable.
func (i *Invitations) unlock(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), connectTimeout)
	defer cancel()
	if _, err := i.locks.DeleteOne(ctx, byID(id)); err != nil {
		return dbErr(err, fmt.Sprintf("invitation %s: unlock", id))
	}
	return nil
}

// Claim marks the invitation accepted by user at at. Under any
// concurrency exactly one caller succeeds; the others, and any claim of
// an invitation already accepted, revoked or expired at at, get
// ErrConflict. An absent invitation is ErrNotFound.
func (i *Invitations) Claim(ctx context.Context, id string, by model.UserID, at time.Time) error {
	what := fmt.Sprintf("claim invitation %s", id)
	ok, err := i.lock(ctx, id, "claim", at)
	if err != nil {
		return err
	}
	if !ok {
		if _, err := i.ByID(ctx, id); err != nil {
			return err // absent (a stale lock without its invitation) or unreadable
		}
		return fmt.Errorf("store: %s: already accepted or revoked: %w", what, model.ErrConflict)
	}
	// The lock makes this read-then-write safe on FerretDB: no other Claim
	// or Revoke of this invitation runs until it is released.
	res, err := i.coll.UpdateOne(ctx,
		bson.D{
			{Key: "_id", Value: id},
			{Key: "accepted_at", Value: nil},
			{Key: "revoked_at", Value: nil},
			{Key: "expires_at", Value: bson.D{{Key: "$gt", Value: msUTC(at)}}},
		},
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "accepted_at", Value: msUTC(at)},
			{Key: "accepted_by", Value: by},
		}}},
	)
	if err == nil && res.MatchedCount == 1 {
		return nil
	}
	// Not claimed: release the lock we hold, then say why.
	if uerr := i.unlock(ctx, id); uerr != nil {
		return errors.Join(dbErr(err, what), uerr)
	}
	if err != nil {
		return dbErr(err, what)
	}
	if _, gerr := i.ByID(ctx, id); gerr != nil {
		return gerr
	}
	return fmt.Errorf("store: %s: accepted, revoked or expired: %w", what, model.ErrConflict)
}

// Unclaim undoes a successful Claim when the rest of the acceptance
// failed: the invitation becomes pending again and claimable.
// ErrNotFound when the invitation is absent.
func (i *Invitations) Unclaim(ctx context.Context, id string) error {
	what := fmt.Sprintf("unclaim invitation %s", id)
	res, err := i.coll.UpdateOne(ctx, byID(id), bson.D{{Key: "$set", Value: bson.D{
		{Key: "accepted_at", Value: nil},
		{Key: "accepted_by", Value: model.UserID("")},
	}}})
	if err != nil {
		return dbErr(err, what)
	}
	if res.MatchedCount == 0 {
		return notFound(what)
	}
	// Only once the invitation is pending again may another claim start.
	return i.unlock(ctx, id)
}

// Revoke marks a pending invitation revoked at at. ErrNotFound when the
// invitation is absent or already accepted; revoking a revoked invitation
// is a no-op; ErrConflict while a claim of it is in flight.
func (i *Invitations) Revoke(ctx context.Context, id string, at time.Time) error {
	what := fmt.Sprintf("revoke invitation %s", id)
	ok, err := i.lock(ctx, id, "revoke", at)
	if err != nil {
		return err
	}
	if !ok {
		cur, err := i.ByID(ctx, id)
		switch {
		case err != nil:
			return err
		case cur.RevokedAt != nil:
			return nil
		case cur.AcceptedAt != nil:
			return fmt.Errorf("store: %s: already accepted: %w", what, model.ErrNotFound)
		default:
			return fmt.Errorf("store: %s: being accepted: %w", what, model.ErrConflict)
		}
	}
	res, err := i.coll.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "accepted_at", Value: nil}},
		setOp(eq("revoked_at", msUTC(at))),
	)
	if err == nil && res.MatchedCount == 1 {
		return nil // the lock stays: revoked is final
	}
	if uerr := i.unlock(ctx, id); uerr != nil {
		return errors.Join(dbErr(err, what), uerr)
	}
	if err != nil {
		return dbErr(err, what)
	}
	return notFound(what)
}
