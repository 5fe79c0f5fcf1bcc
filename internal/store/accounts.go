package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ecpts/ecpts/internal/model"
)

// The accounts: users, their sessions, and the invitations that create
// them.

// Users is the users collection: _id = user id, unique index on the
// lowercased e-mail.
type Users struct {
	named[userDoc, model.User, model.UserID]
}

var userNamed = named[userDoc, model.User, model.UserID]{noun: "user", plural: "users",
	name: func(x model.User) string { return x.Name }, id: func(x model.User) model.UserID { return x.ID }}

type userDoc struct {
	ID             model.UserID     `bson:"_id"`
	Email          string           `bson:"email"`
	Name           string           `bson:"name"`
	Profession     model.Profession `bson:"profession"`
	RPPS           string           `bson:"rpps"`
	ADELI          string           `bson:"adeli"`
	Commune        string           `bson:"commune"`
	TitleForm      model.TitleForm  `bson:"title_form,omitempty"`
	Admin          bool             `bson:"admin"`
	PasswordHash   string           `bson:"password_hash"`
	SetupHash      string           `bson:"setup_hash,omitempty"`
	SetupExpiresAt time.Time        `bson:"setup_expires_at,omitempty"`
	CreatedAt      time.Time        `bson:"created_at"`
	UpdatedAt      time.Time        `bson:"updated_at"`
}

var userMirror = mirrorOf[userDoc, model.User]()

func (d userDoc) model() model.User { return userMirror.model(d) }

// EnsureIndexes creates the unique e-mail index; it is idempotent.
func (u *Users) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, u.coll, uniqueIndex("email_unique", "email"))
}

// Insert stores a new user. The e-mail is normalised (trimmed, lowercased);
// a second account with the same e-mail, whatever its case, is ErrConflict.
func (u *Users) Insert(ctx context.Context, user model.User) error {
	d := userMirror.doc(user)
	d.Email = normEmail(user.Email)
	return u.insert(ctx, d, user.ID)
}

// ByEmail returns the user whose e-mail matches, case-insensitively, or
// ErrNotFound.
func (u *Users) ByEmail(ctx context.Context, email string) (model.User, error) {
	// The e-mail is personal data: the error names the lookup, not the value.
	return findOne[userDoc](ctx, u.coll, eq("email", normEmail(email)), "user by email")
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
	return findOne[userDoc](ctx, u.coll, eq("setup_hash", hash), "user by setup link")
}

// CompleteSetup sets the password of the user whose set-password link is
// hash and forgets the link, so it works once; ErrNotFound when no user
// has that link any more.
func (u *Users) CompleteSetup(ctx context.Context, id model.UserID, hash, passwordHash string, at time.Time) error {
	return updateOne(ctx, u.coll, bson.D{{Key: "_id", Value: id}, {Key: "setup_hash", Value: hash}}, bson.D{
		{Key: "$set", Value: bson.D{{Key: "password_hash", Value: passwordHash}, {Key: "updated_at", Value: msUTC(at)}}},
		{Key: "$unset", Value: bson.D{{Key: "setup_hash", Value: ""}, {Key: "setup_expires_at", Value: ""}}},
	}, fmt.Sprintf("complete setup of user %s", id))
}

// SetPasswordHash replaces the password hash and UpdatedAt; ErrNotFound
// when the user does not exist.
func (u *Users) SetPasswordHash(ctx context.Context, id model.UserID, hash string, at time.Time) error {
	return u.set(ctx, id, "set password of user", bson.D{
		{Key: "password_hash", Value: hash},
		{Key: "updated_at", Value: msUTC(at)},
	})
}

// Count returns the number of accounts (start-up decides on demo data
// and on the first administrator with it).
func (u *Users) Count(ctx context.Context) (int64, error) {
	return count(ctx, u.coll, bson.D{}, "count users")
}

// Delete removes an account. Core uses it only to undo a creation whose
// follow-up write failed (invitation acceptance); ErrNotFound if absent.
func (u *Users) Delete(ctx context.Context, id model.UserID) error {
	return deleteOne(ctx, u.coll, string(id), "user "+string(id))
}

// Sessions is the sessions collection: _id = SHA-256 (hex) of the cookie
// token; index on user_id. FerretDB has no TTL index: expired sessions are
// invisible to ByID at once and removed by DeleteExpired, which the
// application runs periodically.
type Sessions struct {
	coll collection
	now  func() time.Time
}

type sessionDoc struct {
	ID        string       `bson:"_id"`
	UserID    model.UserID `bson:"user_id"`
	CSRFToken string       `bson:"csrf_token"`
	CreatedAt time.Time    `bson:"created_at"`
	ExpiresAt time.Time    `bson:"expires_at"`
}

var sessionMirror = mirrorOf[sessionDoc, model.Session]()

func (d sessionDoc) model() model.Session { return sessionMirror.model(d) }

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
	_, err := s.coll.InsertOne(ctx, sessionMirror.doc(x))
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
	return deleteMany(ctx, s.coll, filter, fmt.Sprintf("delete sessions of user %s", user))
}

// DeleteExpired removes the sessions expired at now (ExpiresAt at or
// before now) and returns how many were removed.
func (s *Sessions) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	return deleteMany(ctx, s.coll, eq("expires_at", bson.D{{Key: "$lte", Value: msUTC(now)}}), "delete expired sessions")
}

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
	coll  collection
	locks collection
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

var invitationMirror = mirrorOf[invitationDoc, model.Invitation]()

func (d invitationDoc) model() model.Invitation { return invitationMirror.model(d) }

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
	d := invitationMirror.doc(x)
	d.Email = normEmail(x.Email)
	_, err := i.coll.InsertOne(ctx, d)
	return dbErr(err, fmt.Sprintf("insert invitation %s", x.ID))
}

// ByID returns the invitation, whatever its state, or ErrNotFound.
func (i *Invitations) ByID(ctx context.Context, id string) (model.Invitation, error) {
	return getByID[invitationDoc](ctx, i.coll, id, fmt.Sprintf("invitation %s", id))
}

// ByTokenHash returns the invitation, whatever its state, or ErrNotFound.
func (i *Invitations) ByTokenHash(ctx context.Context, hash string) (model.Invitation, error) {
	return findOne[invitationDoc](ctx, i.coll, eq("token_hash", hash), "invitation by token")
}

// PendingByCPTS returns the invitations of cpts neither accepted, revoked
// nor expired at now, newest first.
func (i *Invitations) PendingByCPTS(ctx context.Context, cpts model.CPTSID, now time.Time) ([]model.Invitation, error) {
	return findModels[invitationDoc](ctx, i.coll, bson.D{
		{Key: "cpts_id", Value: cpts},
		{Key: "accepted_at", Value: nil},
		{Key: "revoked_at", Value: nil},
		{Key: "expires_at", Value: bson.D{{Key: "$gt", Value: msUTC(now)}}},
	}, order("-created_at", "-_id"), fmt.Sprintf("pending invitations of cpts %s", cpts))
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
	err := updateOne(ctx, i.coll, byID(id), setOp(bson.D{
		{Key: "accepted_at", Value: nil},
		{Key: "accepted_by", Value: model.UserID("")},
	}), fmt.Sprintf("unclaim invitation %s", id))
	if err != nil {
		return err
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
