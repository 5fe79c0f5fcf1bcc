package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/ecpts/ecpts/internal/model"
)

// CalendarTokens is the calendar_tokens collection: the secret of each
// user's private calendar feed URL (the events of their CPTS and groups,
// which Outlook, Google or Apple Calendar poll). _id = SHA-256 (hex) of
// the token, so a poll is one _id lookup and a database dump yields no
// usable URL; a unique index on user_id keeps one feed per user.
type CalendarTokens struct {
	coll collection
}

type calendarTokenDoc struct {
	ID        string       `bson:"_id"`
	UserID    model.UserID `bson:"user_id"`
	CreatedAt time.Time    `bson:"created_at"`
}

// EnsureIndexes creates the unique user_id index; idempotent.
func (c *CalendarTokens) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, c.coll, uniqueIndex("user_id_unique", "user_id"))
}

// Rotate gives the user a new feed token (its hash), revoking the
// previous one; ErrConflict when another rotation of the same user won
// the race (the caller retries or shows the winner's URL, which it cannot
// know: it asks the user to rotate again).
func (c *CalendarTokens) Rotate(ctx context.Context, user model.UserID, hash string, at time.Time) error {
	if err := c.Revoke(ctx, user); err != nil {
		return err
	}
	_, err := c.coll.InsertOne(ctx, calendarTokenDoc{ID: hash, UserID: user, CreatedAt: msUTC(at)})
	return dbErr(err, "calendar token of "+string(user))
}

// Revoke removes the user's feed token; no-op when there is none.
func (c *CalendarTokens) Revoke(ctx context.Context, user model.UserID) error {
	_, err := c.coll.DeleteMany(ctx, eq("user_id", user))
	return dbErr(err, "revoke calendar token of "+string(user))
}

// UserOf returns the user whose feed token hashes to hash; ErrNotFound
// when none (revoked, or never issued).
func (c *CalendarTokens) UserOf(ctx context.Context, hash string) (model.UserID, error) {
	var d calendarTokenDoc
	if err := c.coll.FindOne(ctx, byID(hash)).Decode(&d); err != nil {
		return "", dbErr(err, "calendar token")
	}
	return d.UserID, nil
}

// Since returns when the user's current feed token was issued; ok is
// false when they have none.
func (c *CalendarTokens) Since(ctx context.Context, user model.UserID) (at time.Time, ok bool, err error) {
	var d calendarTokenDoc
	err = c.coll.FindOne(ctx, eq("user_id", user)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: calendar token of %s: %w", user, err)
	}
	return d.CreatedAt.UTC(), true, nil
}
