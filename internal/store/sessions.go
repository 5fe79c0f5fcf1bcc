package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/ecpts/ecpts/internal/model"
)

// Sessions is the sessions collection: _id = SHA-256 (hex) of the cookie
// token; index on user_id. FerretDB has no TTL index: expired sessions are
// invisible to ByID at once and removed by DeleteExpired, which the
// application runs periodically.
type Sessions struct {
	coll *mongo.Collection
	now  func() time.Time
}

type sessionDoc struct {
	ID        string       `bson:"_id"`
	UserID    model.UserID `bson:"user_id"`
	CSRFToken string       `bson:"csrf_token"`
	CreatedAt time.Time    `bson:"created_at"`
	ExpiresAt time.Time    `bson:"expires_at"`
}

func (d sessionDoc) model() model.Session {
	return model.Session{
		ID:        d.ID,
		UserID:    d.UserID,
		CSRFToken: d.CSRFToken,
		CreatedAt: d.CreatedAt.UTC(),
		ExpiresAt: d.ExpiresAt.UTC(),
	}
}

// EnsureIndexes creates the user_id index; idempotent.
func (s *Sessions) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, s.coll, index("user_id", "user_id"))
}

// sessionWhat names a session in errors by the user only: the id is a
// hash of the cookie, but it is still the lookup key of a live session.
const sessionWhat = "session"

// Insert stores a session; ErrConflict when the id exists (a token
// collision, which a 256-bit random token makes impossible in practice).
func (s *Sessions) Insert(ctx context.Context, x model.Session) error {
	_, err := s.coll.InsertOne(ctx, sessionDoc{
		ID:        x.ID,
		UserID:    x.UserID,
		CSRFToken: x.CSRFToken,
		CreatedAt: msUTC(x.CreatedAt),
		ExpiresAt: msUTC(x.ExpiresAt),
	})
	return dbErr(err, fmt.Sprintf("insert %s of user %s", sessionWhat, x.UserID))
}

// ByID returns the session, or ErrNotFound when it is absent or expired
// (ExpiresAt at or before now).
func (s *Sessions) ByID(ctx context.Context, id string) (model.Session, error) {
	var d sessionDoc
	if err := s.coll.FindOne(ctx, byID(id)).Decode(&d); err != nil {
		return model.Session{}, dbErr(err, sessionWhat)
	}
	if !d.ExpiresAt.After(s.now()) {
		return model.Session{}, fmt.Errorf("store: %s of user %s expired: %w", sessionWhat, d.UserID, model.ErrNotFound)
	}
	return d.model(), nil
}

// Touch moves the expiry of a session (sliding expiry); ErrNotFound when
// absent. It does not revive an expired session that was swept already.
func (s *Sessions) Touch(ctx context.Context, id string, expiresAt time.Time) error {
	return updateOne(ctx, s.coll, byID(id), setOp(eq("expires_at", msUTC(expiresAt))), "touch "+sessionWhat)
}

// Delete removes a session (logout). Deleting an absent session is not an
// error, so a double logout is harmless.
func (s *Sessions) Delete(ctx context.Context, id string) error {
	if _, err := s.coll.DeleteOne(ctx, byID(id)); err != nil {
		return dbErr(err, "delete "+sessionWhat)
	}
	return nil
}

// DeleteByUser removes every session of user except the one whose id is
// except (empty: all of them), e.g. after a password change, and returns
// how many were removed.
func (s *Sessions) DeleteByUser(ctx context.Context, user model.UserID, except string) (int64, error) {
	filter := eq("user_id", user)
	if except != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$ne", Value: except}}})
	}
	res, err := s.coll.DeleteMany(ctx, filter)
	if err != nil {
		return 0, dbErr(err, fmt.Sprintf("delete sessions of user %s", user))
	}
	return res.DeletedCount, nil
}

// DeleteExpired removes the sessions expired at now (ExpiresAt at or
// before now) and returns how many were removed.
func (s *Sessions) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.coll.DeleteMany(ctx, bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lte", Value: msUTC(now)}}}})
	if err != nil {
		return 0, dbErr(err, "delete expired sessions")
	}
	return res.DeletedCount, nil
}
