package model

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
)

// Typed identifiers. They are 24 lowercase hex characters (the width of a
// MongoDB ObjectID), stored as strings so the same value travels through
// JSON, BSON, URLs and WebSocket frames unchanged.
type (
	UserID    string
	CPTSID    string
	GroupID   string
	ChannelID string
)

var idPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

// NewID returns a fresh random identifier.
func NewID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("model: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// ValidID reports whether s has the shape of an identifier. Handlers check
// it before any lookup so a malformed id answers 404 without a query.
func ValidID(s string) bool { return idPattern.MatchString(s) }
