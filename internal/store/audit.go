package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ecpts/ecpts/internal/model"
)

// Audit is the audit collection: one document per administrative or
// sensitive step (model.AuditEntry), never updated. _id orders entries by
// time: 8 bytes of the entry's Unix time in nanoseconds, then 4 random
// bytes, in hex (24 characters, like every id). Index on cpts_id, _id.
type Audit struct {
	coll collection
}

type auditDoc struct {
	ID           string            `bson:"_id"`
	At           time.Time         `bson:"at"`
	ActorID      model.UserID      `bson:"actor_id"`
	Action       model.AuditAction `bson:"action"`
	CPTSID       model.CPTSID      `bson:"cpts_id,omitempty"`
	GroupID      model.GroupID     `bson:"group_id,omitempty"`
	TargetID     model.UserID      `bson:"target_id,omitempty"`
	InvitationID string            `bson:"invitation_id,omitempty"`
	Role         model.Role        `bson:"role,omitempty"`
}

var auditMirror = mirrorOf[auditDoc, model.AuditEntry]()

func (d auditDoc) model() model.AuditEntry { return auditMirror.model(d) }

// EnsureIndexes creates the (cpts_id, _id) index; idempotent.
func (a *Audit) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, a.coll, index("cpts_id_id", "cpts_id", "-_id"))
}

// auditID is the time-ordered _id of an entry made at t.
func auditID(t time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixNano()))
	if _, err := rand.Read(b[8:]); err != nil {
		panic("store: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// Insert appends an entry and returns it as stored (its ID set when
// empty, its time in UTC to the millisecond).
func (a *Audit) Insert(ctx context.Context, e model.AuditEntry) (model.AuditEntry, error) {
	if e.ID == "" {
		e.ID = auditID(e.At)
	}
	d := auditMirror.doc(e)
	if _, err := a.coll.InsertOne(ctx, d); err != nil {
		return model.AuditEntry{}, dbErr(err, fmt.Sprintf("insert audit entry %s", e.ID))
	}
	return d.model(), nil
}

// List returns at most limit entries, newest first: those of cpts (every
// CPTS when empty) made before the entry whose ID is before (from the
// newest when empty).
func (a *Audit) List(ctx context.Context, cpts model.CPTSID, before string, limit int) ([]model.AuditEntry, error) {
	filter := bson.D{}
	if cpts != "" {
		filter = append(filter, bson.E{Key: "cpts_id", Value: cpts})
	}
	if before != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$lt", Value: before}}})
	}
	return findLimit[auditDoc](ctx, a.coll, filter, order("-_id"), limit, "list audit entries")
}
