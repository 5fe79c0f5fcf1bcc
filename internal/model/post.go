package model

import (
	"fmt"
	"time"
)

// FeedScope names the feed a post belongs to: exactly one of a CPTS or a
// group.
type FeedScope struct {
	CPTSID  CPTSID  `json:"cpts_id,omitempty"`
	GroupID GroupID `json:"group_id,omitempty"`
}

// CPTSFeed is the feed of a CPTS; GroupFeed the feed of a group.
func CPTSFeed(c CPTSID) FeedScope   { return FeedScope{CPTSID: c} }
func GroupFeed(g GroupID) FeedScope { return FeedScope{GroupID: g} }

// Valid reports whether exactly one of CPTSID and GroupID is set, and is
// an id.
func (s FeedScope) Valid() bool {
	switch {
	case s.CPTSID != "" && s.GroupID == "":
		return ValidID(string(s.CPTSID))
	case s.GroupID != "" && s.CPTSID == "":
		return ValidID(string(s.GroupID))
	}
	return false
}

// ID is the id of the CPTS or group.
func (s FeedScope) ID() string {
	if s.GroupID != "" {
		return string(s.GroupID)
	}
	return string(s.CPTSID)
}

// Key is "cpts:<id>" or "group:<id>", how the store and the realtime layer
// name a feed.
func (s FeedScope) Key() string {
	if s.GroupID != "" {
		return "group:" + string(s.GroupID)
	}
	return "cpts:" + string(s.CPTSID)
}

func (s FeedScope) String() string { return s.Key() }

// PostID is "<CPTS or group id>-<seq, 10 digits>": a post's identity is
// its place in its feed (like MessageID), so a page of a feed is read by
// _id on embedded FerretDB.
type PostID string

// PostIDOf builds the id of the seq-th post of the feed s.
func PostIDOf(s FeedScope, seq uint64) PostID {
	return PostID(fmt.Sprintf("%s-%010d", s.ID(), seq))
}

// Parse splits a post id into the id of its CPTS or group and its seq; ok
// is false when id is not one.
func (id PostID) Parse() (scopeID string, seq uint64, ok bool) {
	return parseSeqID(string(id))
}

// Valid reports whether id has the shape of a post id.
func (id PostID) Valid() bool { _, _, ok := id.Parse(); return ok }

// PostKind: an announcement, or an event with a date, a place and RSVPs.
type PostKind string

const (
	PostAnnouncement PostKind = "announcement"
	PostEvent        PostKind = "event"
)

// Valid reports whether k is one of the two kinds.
func (k PostKind) Valid() bool { return k == PostAnnouncement || k == PostEvent }

// EventInfo is what an event post adds to an announcement. Times are UTC
// instants; the UI shows them in Europe/Paris.
type EventInfo struct {
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	Place    string    `json:"place,omitempty"`
	VisioURL string    `json:"visio_url,omitempty"`
	// Capacity is the number of "oui" answers the event takes; 0 is
	// unlimited.
	Capacity       int        `json:"capacity"`
	SignupDeadline *time.Time `json:"signup_deadline,omitempty"`
}

// Post is an item of the feed of a CPTS or a group. Its comments are the
// messages of its own channel (CommentsChannel, of kind KindComments), so
// they have the threads, mentions, reactions and live updates of chat.
type Post struct {
	ID     PostID `json:"id"`
	Seq    uint64 `json:"seq"`
	CPTSID CPTSID `json:"cpts_id,omitempty"`
	// GroupID is set for a group's post (then CPTSID is empty).
	GroupID  GroupID  `json:"group_id,omitempty"`
	Kind     PostKind `json:"kind"`
	Title    string   `json:"title"`
	Body     string   `json:"body"` // Markdown source
	HTML     string   `json:"html"` // rendered and sanitised by core
	Text     string   `json:"text"` // plain text, for search and notifications
	AuthorID UserID   `json:"author_id"`
	// Event is set exactly when Kind is PostEvent.
	Event           *EventInfo `json:"event,omitempty"`
	CommentsChannel ChannelID  `json:"comments_channel_id"`
	// Files are attached files, in display order.
	Files     []FileID   `json:"file_ids,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	EditedAt  *time.Time `json:"edited_at,omitempty"`
	// Pinned, PinnedAt and PinnedBy come from the post's pin (a document of
	// its own, so pinning never races an edit).
	Pinned    bool       `json:"pinned"`
	PinnedAt  *time.Time `json:"pinned_at,omitempty"`
	PinnedBy  UserID     `json:"pinned_by,omitempty"`
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
}

// Scope returns the feed of p.
func (p Post) Scope() FeedScope { return FeedScope{CPTSID: p.CPTSID, GroupID: p.GroupID} }

// Deleted reports a soft-deleted post.
func (p Post) Deleted() bool { return p.DeletedAt != nil }

// RSVPAnswer is a member's answer to an event.
type RSVPAnswer string

const (
	RSVPYes   RSVPAnswer = "oui"
	RSVPNo    RSVPAnswer = "non"
	RSVPMaybe RSVPAnswer = "peut_etre"
)

// Valid reports whether a is one of the three answers.
func (a RSVPAnswer) Valid() bool { return a == RSVPYes || a == RSVPNo || a == RSVPMaybe }

// Label returns the French label of a.
func (a RSVPAnswer) Label() string {
	switch a {
	case RSVPYes:
		return "Oui"
	case RSVPNo:
		return "Non"
	case RSVPMaybe:
		return "Peut-être"
	}
	return string(a)
}

// RSVP is one member's answer to one event, the last one they gave.
type RSVP struct {
	PostID PostID     `json:"post_id"`
	UserID UserID     `json:"user_id"`
	Answer RSVPAnswer `json:"answer"`
	At     time.Time  `json:"at"`
}

// RSVPCounts counts the answers to one event.
type RSVPCounts struct {
	Yes   int `json:"oui"`
	No    int `json:"non"`
	Maybe int `json:"peut_etre"`
}
