package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ecpts/ecpts/internal/model"
)

// Users is the users collection: _id = user id, unique index on the
// lowercased e-mail.
type Users struct {
	named[userDoc, model.User, model.UserID]
}

var userNamed = named[userDoc, model.User, model.UserID]{noun: "user", plural: "users",
	name: func(x model.User) string { return x.Name }, id: func(x model.User) model.UserID { return x.ID }}

type userDoc struct {
	ID           model.UserID     `bson:"_id"`
	Email        string           `bson:"email"`
	Name         string           `bson:"name"`
	Profession   model.Profession `bson:"profession"`
	RPPS         string           `bson:"rpps"`
	ADELI        string           `bson:"adeli"`
	Commune      string           `bson:"commune"`
	TitleForm    model.TitleForm  `bson:"title_form,omitempty"`
	Admin        bool             `bson:"admin"`
	PasswordHash string           `bson:"password_hash"`
	SetupHash    string           `bson:"setup_hash,omitempty"`
	SetupExpires time.Time        `bson:"setup_expires_at,omitempty"`
	CreatedAt    time.Time        `bson:"created_at"`
	UpdatedAt    time.Time        `bson:"updated_at"`
}

func userToDoc(u model.User) userDoc {
	return userDoc{
		ID:           u.ID,
		Email:        normEmail(u.Email),
		Name:         u.Name,
		Profession:   u.Profession,
		RPPS:         u.RPPS,
		ADELI:        u.ADELI,
		Commune:      u.Commune,
		TitleForm:    u.TitleForm,
		Admin:        u.Admin,
		PasswordHash: u.PasswordHash,
		SetupHash:    u.SetupHash,
		SetupExpires: msUTC(u.SetupExpiresAt),
		CreatedAt:    msUTC(u.CreatedAt),
		UpdatedAt:    msUTC(u.UpdatedAt),
	}
}

func (d userDoc) model() model.User {
	return model.User{
		ID:             d.ID,
		Email:          d.Email,
		Name:           d.Name,
		Profession:     d.Profession,
		RPPS:           d.RPPS,
		ADELI:          d.ADELI,
		Commune:        d.Commune,
		TitleForm:      d.TitleForm,
		Admin:          d.Admin,
		PasswordHash:   d.PasswordHash,
		SetupHash:      d.SetupHash,
		SetupExpiresAt: d.SetupExpires.UTC(),
		CreatedAt:      d.CreatedAt.UTC(),
		UpdatedAt:      d.UpdatedAt.UTC(),
	}
}

// EnsureIndexes creates the unique e-mail index; it is idempotent.
func (u *Users) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, u.coll, uniqueIndex("email_unique", "email"))
}

// Insert stores a new user. The e-mail is normalised (trimmed, lowercased);
// a second account with the same e-mail, whatever its case, is ErrConflict.
func (u *Users) Insert(ctx context.Context, user model.User) error {
	_, err := u.coll.InsertOne(ctx, userToDoc(user))
	return dbErr(err, fmt.Sprintf("insert user %s", user.ID))
}

// ByEmail returns the user whose e-mail matches, case-insensitively, or
// ErrNotFound.
func (u *Users) ByEmail(ctx context.Context, email string) (model.User, error) {
	var d userDoc
	err := u.coll.FindOne(ctx, eq("email", normEmail(email))).Decode(&d)
	if err != nil {
		// The e-mail is personal data: the error names the lookup, not the value.
		return model.User{}, dbErr(err, "user by email")
	}
	return d.model(), nil
}

// UpdateProfile replaces the profile fields and UpdatedAt; ErrNotFound when
// the user does not exist.
func (u *Users) UpdateProfile(ctx context.Context, id model.UserID, name string, profession model.Profession, rpps, adeli, commune string, at time.Time) error {
	return u.set(ctx, id, "update profile of user", bson.D{
		{Key: "name", Value: name},
		{Key: "profession", Value: profession},
		{Key: "rpps", Value: rpps},
		{Key: "adeli", Value: adeli},
		{Key: "commune", Value: commune},
		{Key: "updated_at", Value: msUTC(at)},
	})
}

// SetTitleForm replaces the form of the user's titles and UpdatedAt;
// ErrNotFound when the user does not exist.
func (u *Users) SetTitleForm(ctx context.Context, id model.UserID, f model.TitleForm, at time.Time) error {
	return u.set(ctx, id, "set title form of user", bson.D{
		{Key: "title_form", Value: f},
		{Key: "updated_at", Value: msUTC(at)},
	})
}

// BySetupHash returns the user whose set-password link has this token
// hash, or ErrNotFound.
func (u *Users) BySetupHash(ctx context.Context, hash string) (model.User, error) {
	if hash == "" {
		return model.User{}, notFound("user by setup link")
	}
	var d userDoc
	if err := u.coll.FindOne(ctx, bson.D{{Key: "setup_hash", Value: hash}}).Decode(&d); err != nil {
		return model.User{}, dbErr(err, "user by setup link")
	}
	return d.model(), nil
}

// CompleteSetup sets the password of the user whose set-password link is
// hash and forgets the link, so it works once; ErrNotFound when no user
// has that link any more.
func (u *Users) CompleteSetup(ctx context.Context, id model.UserID, hash, passwordHash string, at time.Time) error {
	what := fmt.Sprintf("complete setup of user %s", id)
	res, err := u.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "setup_hash", Value: hash}}, bson.D{
		{Key: "$set", Value: bson.D{{Key: "password_hash", Value: passwordHash}, {Key: "updated_at", Value: msUTC(at)}}},
		{Key: "$unset", Value: bson.D{{Key: "setup_hash", Value: ""}, {Key: "setup_expires_at", Value: ""}}},
	})
	if err != nil {
		return dbErr(err, what)
	}
	if res.MatchedCount == 0 {
		return notFound(what)
	}
	return nil
}

// SetPasswordHash replaces the password hash and UpdatedAt; ErrNotFound
// when the user does not exist.
func (u *Users) SetPasswordHash(ctx context.Context, id model.UserID, hash string, at time.Time) error {
	return u.set(ctx, id, "set password of user", bson.D{
		{Key: "password_hash", Value: hash},
		{Key: "updated_at", Value: msUTC(at)},
	})
}

func (u *Users) set(ctx context.Context, id model.UserID, what string, fields bson.D) error {
	return updateOne(ctx, u.coll, byID(id), setOp(fields), fmt.Sprintf("%s %s", what, id))
}

// Count returns the number of accounts (start-up decides on demo data
// and on the first administrator with it).
func (u *Users) Count(ctx context.Context) (int64, error) {
	n, err := u.coll.CountDocuments(ctx, bson.D{})
	if err != nil {
		return 0, dbErr(err, "count users")
	}
	return n, nil
}

// Delete removes an account. Core uses it only to undo a creation whose
// follow-up write failed (invitation acceptance); ErrNotFound if absent.
func (u *Users) Delete(ctx context.Context, id model.UserID) error {
	return deleteOne(ctx, u.coll, string(id), "user "+string(id))
}
