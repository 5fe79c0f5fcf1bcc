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

// The memberships of CPTS, groups and channels: three collections of
// (parent, user) pairs sharing their code (pairs).

// pairs is what the collections of (parent, user) pairs share: the
// memberships of a CPTS, a group or a channel. _id = parent + ":" + user
// (pairID), so "is this user in it" is a primary-key read; secondary
// indexes on user_id and on the parent's field; lists are oldest first
// (the since field, then _id). Memberships, GroupMembers and
// ChannelMembers embed one, set up by on.
type pairs[D modeler[M], M any, P ~string] struct {
	coll   collection
	parent string // the parent's field: "cpts_id", "group_id", "channel_id"
	since  string // the time field lists are ordered by
	noun   string // a pair in errors, from the user and the parent: "member %s of group %s"
	plural string // the pairs of a user in errors: "groups"
}

// on is p on the collection coll.
func (p pairs[D, M, P]) on(coll collection) pairs[D, M, P] {
	p.coll = coll
	return p
}

// EnsureIndexes creates the user_id index and the parent's; idempotent.
func (p pairs[D, M, P]) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, p.coll, index("user_id", "user_id"), index(p.parent, p.parent))
}

// what names the pair of user in parent, for errors (ids only).
func (p pairs[D, M, P]) what(parent P, user model.UserID) string {
	return fmt.Sprintf(p.noun, user, parent)
}

// insert stores d, the pair of user in parent; ErrConflict when it exists.
func (p pairs[D, M, P]) insert(ctx context.Context, d D, parent P, user model.UserID) error {
	_, err := p.coll.InsertOne(ctx, d)
	return dbErr(err, "insert "+p.what(parent, user))
}

// Get returns the pair of user in parent (a membership whatever its
// status) or ErrNotFound.
func (p pairs[D, M, P]) Get(ctx context.Context, parent P, user model.UserID) (M, error) {
	return getByID[D](ctx, p.coll, pairID(parent, user), p.what(parent, user))
}

// ByUser returns the pairs of user (pending memberships included), oldest
// first.
func (p pairs[D, M, P]) ByUser(ctx context.Context, user model.UserID) ([]M, error) {
	return p.find(ctx, eq("user_id", user), fmt.Sprintf("%s of user %s", p.plural, user))
}

func (p pairs[D, M, P]) byParent(ctx context.Context, parent P, what string) ([]M, error) {
	return p.find(ctx, eq(p.parent, parent), what)
}

func (p pairs[D, M, P]) find(ctx context.Context, filter bson.D, what string) ([]M, error) {
	return findModels[D](ctx, p.coll, filter, order(p.since, "_id"), what)
}

// Delete removes the pair of user in parent; ErrNotFound when absent.
func (p pairs[D, M, P]) Delete(ctx context.Context, parent P, user model.UserID) error {
	return deleteOne(ctx, p.coll, pairID(parent, user), "delete "+p.what(parent, user))
}

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

var membershipMirror = mirrorOf[membershipDoc, model.Membership]("ID")

func (d membershipDoc) model() model.Membership { return membershipMirror.model(d) }

// Insert stores a membership; ErrConflict when the user already belongs
// (in any status) to the CPTS.
func (m *Memberships) Insert(ctx context.Context, x model.Membership) error {
	d := membershipMirror.doc(x)
	d.ID = pairID(x.CPTSID, x.UserID)
	return m.insert(ctx, d, x.CPTSID, x.UserID)
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
	return count(ctx, m.coll, bson.D{
		{Key: "cpts_id", Value: cpts},
		{Key: "role", Value: model.RoleCoordinateur},
		{Key: "status", Value: model.StatusActive},
	}, fmt.Sprintf("count coordinators of cpts %s", cpts))
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
	return m.find(ctx, filter, fmt.Sprintf("pending memberships of %d cpts", len(cpts)))
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

// GroupMembers is the group_members collection: _id = groupID+":"+userID;
// indexes on user_id and group_id.
type GroupMembers struct {
	pairs[groupMemberDoc, model.GroupMember, model.GroupID]
}

var groupMemberPairs = pairs[groupMemberDoc, model.GroupMember, model.GroupID]{
	parent: "group_id", since: "created_at", plural: "groups", noun: "member %s of group %s"}

type groupMemberDoc struct {
	ID        string        `bson:"_id"`
	GroupID   model.GroupID `bson:"group_id"`
	UserID    model.UserID  `bson:"user_id"`
	Role      model.Role    `bson:"role"`
	AddedBy   model.UserID  `bson:"added_by"`
	CreatedAt time.Time     `bson:"created_at"`
}

var groupMemberMirror = mirrorOf[groupMemberDoc, model.GroupMember]("ID")

func (d groupMemberDoc) model() model.GroupMember { return groupMemberMirror.model(d) }

// Insert adds a user to a group; ErrConflict when already a member.
func (g *GroupMembers) Insert(ctx context.Context, x model.GroupMember) error {
	d := groupMemberMirror.doc(x)
	d.ID = pairID(x.GroupID, x.UserID)
	return g.insert(ctx, d, x.GroupID, x.UserID)
}

// ByGroup returns the members of group, oldest first.
func (g *GroupMembers) ByGroup(ctx context.Context, group model.GroupID) ([]model.GroupMember, error) {
	return g.byParent(ctx, group, fmt.Sprintf("members of group %s", group))
}

// ChannelMembers is the channel_members collection: _id =
// channelID+":"+userID; indexes on user_id and channel_id.
type ChannelMembers struct {
	pairs[channelMemberDoc, model.ChannelMember, model.ChannelID]
}

var channelMemberPairs = pairs[channelMemberDoc, model.ChannelMember, model.ChannelID]{
	parent: "channel_id", since: "joined_at", plural: "channels", noun: "member %s of channel %s"}

type channelMemberDoc struct {
	ID        string          `bson:"_id"`
	ChannelID model.ChannelID `bson:"channel_id"`
	UserID    model.UserID    `bson:"user_id"`
	JoinedAt  time.Time       `bson:"joined_at"`
}

var channelMemberMirror = mirrorOf[channelMemberDoc, model.ChannelMember]("ID")

func (d channelMemberDoc) model() model.ChannelMember { return channelMemberMirror.model(d) }

// Insert adds a user to a channel; ErrConflict when already a member.
func (c *ChannelMembers) Insert(ctx context.Context, x model.ChannelMember) error {
	d := channelMemberMirror.doc(x)
	d.ID = pairID(x.ChannelID, x.UserID)
	return c.insert(ctx, d, x.ChannelID, x.UserID)
}

// ByChannel returns the members of ch, oldest first.
func (c *ChannelMembers) ByChannel(ctx context.Context, ch model.ChannelID) ([]model.ChannelMember, error) {
	return c.byParent(ctx, ch, fmt.Sprintf("members of channel %s", ch))
}

// DeleteUserFrom removes user from every channel of chans in one command
// (a member leaving a CPTS or group loses its channels at once) and
// returns how many memberships were removed. Channels the user was not in
// are ignored.
func (c *ChannelMembers) DeleteUserFrom(ctx context.Context, user model.UserID, chans []model.ChannelID) (int64, error) {
	if len(chans) == 0 {
		return 0, nil
	}
	ids := make([]string, 0, len(chans))
	for _, ch := range chans {
		ids = append(ids, pairID(ch, user))
	}
	return deleteMany(ctx, c.coll, eq("_id", in(ids)), fmt.Sprintf("delete user %s from %d channels", user, len(chans)))
}
