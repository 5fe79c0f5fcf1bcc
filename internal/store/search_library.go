package store

import (
	"context"

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
	return allIDs[model.ProtocolID](ctx, s.coll, "all protocols")
}

// IDs returns the ids of every material, deleted ones included
// (reindexing).
func (s *Materials) IDs(ctx context.Context) ([]model.MaterialID, error) {
	return allIDs[model.MaterialID](ctx, s.coll, "all materials")
}
