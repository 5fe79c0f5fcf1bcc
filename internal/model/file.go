package model

import "time"

// FileID identifies an uploaded file (24 hex characters). The blob store
// keeps the bytes under the same id; the store keeps the metadata.
type FileID string

// AttachmentKind is what a file is attached to.
type AttachmentKind string

const (
	AttachMessage         AttachmentKind = "message"
	AttachPost            AttachmentKind = "post"
	AttachProtocolVersion AttachmentKind = "protocol_version"
	AttachMaterial        AttachmentKind = "material"
)

// Valid reports whether k is one of the four kinds.
func (k AttachmentKind) Valid() bool {
	switch k {
	case AttachMessage, AttachPost, AttachProtocolVersion, AttachMaterial:
		return true
	}
	return false
}

// Attachment says what a file is attached to: the id of the message, the
// post, the protocol version ("<protocol id>:<n>") or the material.
type Attachment struct {
	Kind AttachmentKind `json:"kind"`
	ID   string         `json:"id"`
	At   time.Time      `json:"at"`
}

// ScanStatus is the outcome of the virus scan of a file.
type ScanStatus string

const (
	ScanPending  ScanStatus = "pending"     // not scanned yet
	ScanClean    ScanStatus = "clean"       // scanned, nothing found
	ScanInfected ScanStatus = "infected"    // scanned, a signature matched
	ScanSkipped  ScanStatus = "not_scanned" // no scanner configured
)

// Valid reports whether s is one of the four.
func (s ScanStatus) Valid() bool {
	switch s {
	case ScanPending, ScanClean, ScanInfected, ScanSkipped:
		return true
	}
	return false
}

// File is the metadata of an uploaded file. CPTSID, GroupID and ChannelID
// record where it was uploaded (what authorises it before it is
// attached); AttachedTo what it is attached to (nil until then, and for
// an upload never attached, which the cleanup removes).
type File struct {
	ID         FileID `json:"id"`
	UploaderID UserID `json:"uploader_id"`
	// Name is the name given, cleaned by core (no path, no control
	// characters).
	Name string `json:"name"`
	// ContentType is sniffed from the bytes, never taken from the client.
	ContentType  string      `json:"content_type"`
	Size         int64       `json:"size"`
	SHA256       string      `json:"sha256"` // hex
	CreatedAt    time.Time   `json:"created_at"`
	CPTSID       CPTSID      `json:"cpts_id,omitempty"`
	GroupID      GroupID     `json:"group_id,omitempty"`
	ChannelID    ChannelID   `json:"channel_id,omitempty"`
	HasThumbnail bool        `json:"has_thumbnail"`
	Scan         ScanStatus  `json:"scan_status"`
	AttachedTo   *Attachment `json:"attached_to,omitempty"`
}
