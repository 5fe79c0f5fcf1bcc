package model

import "time"

// Sharing says who sees a protocol or a prevention material besides the
// CPTS that owns it.
type Sharing string

const (
	SharingCPTS     Sharing = "cpts"     // the owner CPTS only
	SharingListed   Sharing = "listed"   // the owner and the CPTS of SharedWith
	SharingPlatform Sharing = "platform" // every professional of the platform
)

// Valid reports whether s is one of the three.
func (s Sharing) Valid() bool {
	return s == SharingCPTS || s == SharingListed || s == SharingPlatform
}

// Valid reports whether m is a known mission (same as ValidMission).
func (m Mission) Valid() bool { return ValidMission(m) }

// Valid reports whether p is a known profession.
func (p Profession) Valid() bool { _, ok := LookupProfession(p); return ok }

// ProtocolID identifies a protocol (24 hex characters, like every id).
type ProtocolID string

// ProtocolStatus is the lifecycle of a protocol:
// brouillon → relecture → valide → archive (values without accents).
type ProtocolStatus string

const (
	ProtocolDraft     ProtocolStatus = "brouillon"
	ProtocolInReview  ProtocolStatus = "relecture"
	ProtocolValidated ProtocolStatus = "valide"
	ProtocolArchived  ProtocolStatus = "archive"
)

// ProtocolStatuses lists every status with its French label, in lifecycle
// order.
var ProtocolStatuses = []struct {
	Code  ProtocolStatus
	Label string
}{
	{ProtocolDraft, "Brouillon"},
	{ProtocolInReview, "En relecture"},
	{ProtocolValidated, "Validé"},
	{ProtocolArchived, "Archivé"},
}

// Valid reports whether s is one of the four statuses.
func (s ProtocolStatus) Valid() bool {
	for _, x := range ProtocolStatuses {
		if x.Code == s {
			return true
		}
	}
	return false
}

// Label returns the French label of s, or s when unknown.
func (s ProtocolStatus) Label() string {
	for _, x := range ProtocolStatuses {
		if x.Code == s {
			return x.Label
		}
	}
	return string(s)
}

// Protocol is a pluriprofessional protocol of a CPTS: its metadata and
// lifecycle state. Its content lives in its versions (ProtocolVersion
// 1…CurrentVersion, each created once, never changed).
//
// Every change of a protocol is a transition that claims the next
// revision (Rev): see store.Protocols.
type Protocol struct {
	ID     ProtocolID     `json:"id"`
	CPTSID CPTSID         `json:"cpts_id"` // owner
	Title  string         `json:"title"`
	Status ProtocolStatus `json:"status"`
	// Missions and Professions tag the protocol (target professions).
	Missions    []Mission    `json:"missions"`
	Professions []Profession `json:"professions"`
	// ReviewDate is when the protocol should be revised ("" none).
	ReviewDate Date    `json:"review_date,omitempty"`
	Visibility Sharing `json:"visibility"`
	// SharedWith are the CPTS that see it when Visibility is listed.
	SharedWith []CPTSID `json:"shared_with,omitempty"`
	AuthorID   UserID   `json:"author_id"`
	// Reviewers are named for the current review round: each reviews
	// CurrentVersion.
	Reviewers []UserID `json:"reviewer_ids,omitempty"`
	// CurrentVersion is the latest version (the one edited and reviewed);
	// ValidatedVersion the one members read and acknowledge (0: never
	// validated). They differ while a new version of a validated protocol
	// is drafted or reviewed.
	CurrentVersion   int        `json:"current_version"`
	ValidatedVersion int        `json:"validated_version"`
	ValidatedAt      *time.Time `json:"validated_at,omitempty"`
	ValidatedBy      UserID     `json:"validated_by,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	// Rev is the revision of this state: 1 at creation, +1 per transition.
	Rev int `json:"rev"`
}

// ReviewDue reports whether the review date is set and before limit: pass
// today + 30 days for "to be revised within 30 days or overdue".
func (p Protocol) ReviewDue(limit Date) bool {
	return p.ReviewDate != "" && p.ReviewDate.Before(limit)
}

// IsReviewer reports whether u is named among the reviewers.
func (p Protocol) IsReviewer(u UserID) bool {
	for _, r := range p.Reviewers {
		if r == u {
			return true
		}
	}
	return false
}

// ProtocolVersion is the content of one version of a protocol. Versions
// are numbered 1, 2… per protocol and never change once written.
type ProtocolVersion struct {
	ProtocolID ProtocolID `json:"protocol_id"`
	N          int        `json:"n"`
	Body       string     `json:"body"` // Markdown source
	HTML       string     `json:"html"` // rendered and sanitised by core
	Text       string     `json:"text"` // plain text, for search
	// PDF is an attached PDF file ("" none).
	PDF       FileID    `json:"pdf_file_id,omitempty"`
	AuthorID  UserID    `json:"author_id"`
	CreatedAt time.Time `json:"created_at"`
	// Note is the author's summary of the change ("" none).
	Note string `json:"note,omitempty"`
}

// ReviewDecision is a reviewer's verdict on a version.
type ReviewDecision string

const (
	ReviewApprove          ReviewDecision = "approve"
	ReviewChangesRequested ReviewDecision = "changes_requested"
)

// Valid reports whether d is one of the two decisions.
func (d ReviewDecision) Valid() bool {
	return d == ReviewApprove || d == ReviewChangesRequested
}

// ProtocolReview is one reviewer's decision on one version; a reviewer
// decides once per version.
type ProtocolReview struct {
	ProtocolID ProtocolID     `json:"protocol_id"`
	Version    int            `json:"version"`
	ReviewerID UserID         `json:"reviewer_id"`
	Decision   ReviewDecision `json:"decision"`
	Comment    string         `json:"comment,omitempty"`
	At         time.Time      `json:"at"`
}

// ProtocolAck is a member's acknowledgement of a validated version ("j'ai
// lu et j'applique"); once per version.
type ProtocolAck struct {
	ProtocolID ProtocolID `json:"protocol_id"`
	Version    int        `json:"version"`
	UserID     UserID     `json:"user_id"`
	At         time.Time  `json:"at"`
}

// ProtocolVersionRef names one version of one protocol.
type ProtocolVersionRef struct {
	ProtocolID ProtocolID `json:"protocol_id"`
	Version    int        `json:"version"`
}

// ProtocolEventKind says what a transition of a protocol did. The store
// records it; core decides which kinds are allowed from which state.
type ProtocolEventKind string

const (
	ProtocolEventCreated          ProtocolEventKind = "created"   // first revision, with version 1
	ProtocolEventEdited           ProtocolEventKind = "edited"    // a new version of the content
	ProtocolEventUpdated          ProtocolEventKind = "updated"   // metadata only: title, tags, review date, sharing
	ProtocolEventSubmitted        ProtocolEventKind = "submitted" // sent to review, reviewers named
	ProtocolEventReviewersChanged ProtocolEventKind = "reviewers_changed"
	ProtocolEventReturned         ProtocolEventKind = "returned"  // back to brouillon
	ProtocolEventValidated        ProtocolEventKind = "validated" // CurrentVersion becomes ValidatedVersion
	ProtocolEventArchived         ProtocolEventKind = "archived"
	ProtocolEventRestored         ProtocolEventKind = "restored" // out of the archive
)

// Valid reports whether k is a known kind.
func (k ProtocolEventKind) Valid() bool {
	switch k {
	case ProtocolEventCreated, ProtocolEventEdited, ProtocolEventUpdated, ProtocolEventSubmitted,
		ProtocolEventReviewersChanged, ProtocolEventReturned, ProtocolEventValidated, ProtocolEventArchived,
		ProtocolEventRestored:
		return true
	}
	return false
}

// ProtocolEvent is one transition of a protocol: who did what, when, and
// the state it left (State.Rev == Rev).
type ProtocolEvent struct {
	ProtocolID ProtocolID        `json:"protocol_id"`
	Rev        int               `json:"rev"`
	Kind       ProtocolEventKind `json:"kind"`
	ActorID    UserID            `json:"actor_id"`
	At         time.Time         `json:"at"`
	Note       string            `json:"note,omitempty"`
	// Version is the version this transition created (0: none).
	Version int      `json:"version,omitempty"`
	State   Protocol `json:"state"`
}
