package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ecpts/ecpts/internal/model"
)

// Outbox kinds of the library's objects.
const (
	// OutboxProtocol: a protocol created, edited, sent to review,
	// validated, archived, or its sharing changed.
	OutboxProtocol OutboxKind = "protocol"
	// OutboxMaterial: a prevention material created, edited or deleted.
	OutboxMaterial OutboxKind = "material"
)

// IDs returns the ids of every protocol (reindexing).
func (s *Protocols) IDs(ctx context.Context) ([]model.ProtocolID, error) {
	var docs []struct {
		ID model.ProtocolID `bson:"_id"`
	}
	if err := findAll(ctx, s.coll, bson.D{}, nil, &docs); err != nil {
		return nil, dbErr(err, "all protocols")
	}
	out := make([]model.ProtocolID, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out, nil
}

// IDs returns the ids of every material, deleted ones included
// (reindexing).
func (s *Materials) IDs(ctx context.Context) ([]model.MaterialID, error) {
	var docs []struct {
		ID model.MaterialID `bson:"_id"`
	}
	if err := findAll(ctx, s.coll, bson.D{}, nil, &docs); err != nil {
		return nil, dbErr(err, "all materials")
	}
	out := make([]model.MaterialID, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out, nil
}
