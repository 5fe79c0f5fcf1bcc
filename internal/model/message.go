package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MessageID is "<channel id>-<seq, 10 digits>": a message's identity is its
// place in its channel, and on embedded FerretDB (where only _id lookups
// are indexed) any message is one primary-key read away.
type MessageID string

// MessageIDOf builds the id of the seq-th message of ch.
func MessageIDOf(ch ChannelID, seq uint64) MessageID {
	return MessageID(fmt.Sprintf("%s-%010d", ch, seq))
}

// Parse splits a message id; ok is false when it is not one.
func (id MessageID) Parse() (ch ChannelID, seq uint64, ok bool) {
	parent, seq, ok := parseSeqID(string(id))
	return ChannelID(parent), seq, ok
}

// parseSeqID splits "<24-hex id>-<10-digit seq ≥ 1>", the shape of
// message and post ids.
func parseSeqID(s string) (parent string, seq uint64, ok bool) {
	i := strings.LastIndexByte(s, '-')
	if i != 24 || !ValidID(s[:i]) || len(s)-i-1 != 10 {
		return "", 0, false
	}
	n, err := strconv.ParseUint(s[i+1:], 10, 64)
	if err != nil || n == 0 {
		return "", 0, false
	}
	return s[:i], n, true
}

// Reaction is one emoji on a message and who put it there.
type Reaction struct {
	Emoji string   `json:"emoji"`
	Users []UserID `json:"user_ids"`
}

// Edit is a previous version of a message body.
type Edit struct {
	Body     string    `json:"body"`
	EditedAt time.Time `json:"edited_at"`
}

// Message is one message of a channel or direct conversation. Thread
// replies are messages too, in the same per-channel sequence, with
// ThreadID naming their root.
type Message struct {
	ID             MessageID
	ChannelID      ChannelID
	Seq            uint64
	AuthorID       UserID
	ClientID       string
	Body           string // Markdown source
	HTML           string // rendered and sanitised
	Text           string // plain text, for search and notifications
	ThreadID       MessageID
	Mentions       []UserID
	MentionChannel bool
	ReplyCount     int
	ReplySeqs      []uint64 // seqs of the replies, on a thread root
	LastReplyAt    *time.Time
	Reactions      []Reaction
	// Files are the files attached when the message was sent (at most
	// 10); a deletion detaches them.
	Files     []FileID
	Edits     []Edit
	CreatedAt time.Time
	EditedAt  *time.Time
	DeletedAt *time.Time
	// Sealed holds Body, HTML, Text and Edits encrypted (direct
	// conversations); the store keeps it opaque and those fields empty.
	Sealed []byte
}

// Deleted reports a soft-deleted message.
func (m Message) Deleted() bool { return m.DeletedAt != nil }

// Erase soft-deletes m at at: what stays is its place in the channel (id,
// seq, author, thread, dates); its text goes, with the history of its
// edits, its mentions and its reactions.
func (m *Message) Erase(at time.Time) {
	m.DeletedAt = &at
	m.Body, m.HTML, m.Text, m.Edits, m.Mentions, m.Reactions, m.Files = "", "", "", nil, nil, nil, nil
}
