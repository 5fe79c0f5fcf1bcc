package realtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ecpts/ecpts/internal/model"
)

// MaxFrameSize is the largest client frame the hub accepts (64 KiB): a
// message body is far smaller, and the limit bounds what one reader holds.
const MaxFrameSize = 64 << 10

// Client frame types (client → server).
const (
	TypeSubscribe   = "subscribe"
	TypeUnsubscribe = "unsubscribe"
	TypeSend        = "send"
	TypeRead        = "read"
	TypeTyping      = "typing"
	TypePing        = "ping"
)

// Server frame types (server → client) that are not also client types.
const (
	TypeSubscribed   = "subscribed"
	TypeMessage      = "message"
	TypeUpdated      = "message_updated"
	TypeAck          = "ack"
	TypeError        = "error"
	TypePresence     = "presence"
	TypeUnsubscribed = "unsubscribed"
	TypeResume       = "resume"
	TypeAccess       = "access_changed"
	TypePong         = "pong"
	// TypePost and TypeRSVPCounts are the feed's frames, sent to the
	// connections of the feed's readers (Publisher.PublishToUsers).
	TypePost       = "post"
	TypeRSVPCounts = "rsvp_counts"
	// TypeProtocol and TypeMaterial say a library item changed; they go
	// to the connections of those who may see it (PublishToUsers).
	TypeProtocol = "protocol"
	TypeMaterial = "material"
)

// Error codes of error frames. They are stable: clients switch on them.
const (
	CodeInvalidJSON          = "invalid_json"
	CodeUnknownType          = "unknown_type"
	CodeInvalidFrame         = "invalid_frame"
	CodePayloadTooLarge      = "payload_too_large"
	CodeRateLimited          = "rate_limited"
	CodeNotFound             = "not_found"
	CodeForbidden            = "forbidden"
	CodeConflict             = "conflict"
	CodeGone                 = "gone"
	CodeTooFarBehind         = "too_far_behind"
	CodeTooManySubscriptions = "too_many_subscriptions"
	CodeUnavailable          = "unavailable"
	CodeInternal             = "internal"
)

// Unsubscribe reasons carried by "unsubscribed" frames.
const (
	ReasonRemoved  = "removed"
	ReasonArchived = "archived"
	// ReasonReadOnly: a direct conversation became read-only for the user
	// (they no longer reach every other participant); its history stays
	// readable through REST.
	ReasonReadOnly = "read_only"
	// ReasonPrivate: the channel was made private and the user is not one
	// of its members.
	ReasonPrivate = "private"
)

// ClientFrame is one decoded client frame: Subscribe, Unsubscribe, Send,
// Read, Typing or Ping. Values are plain copies: nothing points into the
// socket's read buffer.
type ClientFrame interface{ frameType() string }

// Subscribe asks for a channel's live events, after every message with
// seq > SinceSeq.
type Subscribe struct {
	Channel  model.ChannelID
	SinceSeq uint64
}

// Unsubscribe stops a channel's events.
type Unsubscribe struct{ Channel model.ChannelID }

// Send posts a message. ClientID (a UUID) makes the send idempotent.
type Send struct {
	Channel  model.ChannelID
	ClientID string
	Body     string
	ThreadID string         // empty when not in a thread
	FileIDs  []model.FileID // uploads to attach (POST /api/v1/files), at most 10
}

// maxFrameFiles bounds the files of a send frame (core's MaxFilesPerItem).
const maxFrameFiles = 10

// Read marks the channel read up to Seq.
type Read struct {
	Channel model.ChannelID
	Seq     uint64
}

// Typing says the user is typing in Channel.
type Typing struct{ Channel model.ChannelID }

// Ping asks for a pong (an application-level keep-alive for clients that
// cannot see WebSocket pings).
type Ping struct{}

func (Subscribe) frameType() string   { return TypeSubscribe }
func (Unsubscribe) frameType() string { return TypeUnsubscribe }
func (Send) frameType() string        { return TypeSend }
func (Read) frameType() string        { return TypeRead }
func (Typing) frameType() string      { return TypeTyping }
func (Ping) frameType() string        { return TypePing }

// FrameError is a request the hub answers with an error frame. Code is
// stable, Message French, Ref names what the error refers to (the client_id
// of a send, else the channel of the request, else empty). RetryAfter, for
// rate_limited, is how long to wait before sending the request again.
type FrameError struct {
	Code       string
	Message    string
	Ref        string
	RetryAfter time.Duration
}

func (e *FrameError) Error() string { return "realtime: frame: " + e.Code }

// wireFrame is the union of every client frame's fields. Pointers tell a
// missing field from a zero one.
type wireFrame struct {
	Type     string   `json:"type"`
	Channel  string   `json:"channel"`
	SinceSeq *uint64  `json:"since_seq"`
	ClientID string   `json:"client_id"`
	Body     *string  `json:"body"`
	ThreadID string   `json:"thread_id"`
	Seq      *uint64  `json:"seq"`
	FileIDs  []string `json:"file_ids"`
}

// DecodeFrame parses one client frame. It never panics; every failure is a
// *FrameError ready to be sent back. Unknown fields are ignored so that
// newer clients can talk to older servers.
func DecodeFrame(data []byte) (ClientFrame, error) {
	if len(data) > MaxFrameSize {
		return nil, &FrameError{Code: CodePayloadTooLarge, Message: msgPayloadTooLarge}
	}
	var w wireFrame
	if err := json.Unmarshal(data, &w); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			// Valid JSON with a field of the wrong type: say which request
			// it was when the channel could be read.
			return nil, &FrameError{Code: CodeInvalidFrame, Message: msgInvalidFrame, Ref: refOf(data)}
		}
		return nil, &FrameError{Code: CodeInvalidJSON, Message: msgInvalidJSON}
	}
	ref := w.Channel
	if !model.ValidID(ref) {
		ref = ""
	}
	switch w.Type {
	case TypePing:
		return Ping{}, nil
	case TypeSend:
		// A send's errors name its client_id when it has a valid one.
		if validClientID(w.ClientID) {
			ref = w.ClientID
		}
	case TypeSubscribe, TypeUnsubscribe, TypeRead, TypeTyping:
	default:
		return nil, &FrameError{Code: CodeUnknownType, Message: msgUnknownType, Ref: ref}
	}
	invalid := func(msg string) error { return &FrameError{Code: CodeInvalidFrame, Message: msg, Ref: ref} }
	// Every frame but ping is about one channel.
	if !model.ValidID(w.Channel) {
		return nil, invalid(msgInvalidChannel)
	}
	ch := model.ChannelID(w.Channel)
	switch w.Type {
	case TypeSubscribe:
		f := Subscribe{Channel: ch}
		if w.SinceSeq != nil {
			f.SinceSeq = *w.SinceSeq
		}
		return f, nil
	case TypeUnsubscribe:
		return Unsubscribe{Channel: ch}, nil
	case TypeSend:
		if !validClientID(w.ClientID) {
			return nil, invalid(msgInvalidClientID)
		}
		if w.Body == nil {
			return nil, invalid(msgMissingBody)
		}
		if _, _, ok := model.MessageID(w.ThreadID).Parse(); w.ThreadID != "" && !ok {
			return nil, invalid(msgInvalidThread)
		}
		if len(w.FileIDs) > maxFrameFiles {
			return nil, invalid(msgTooManyFiles)
		}
		var files []model.FileID
		for _, id := range w.FileIDs {
			if !model.ValidID(id) {
				return nil, invalid(msgInvalidFileID)
			}
			files = append(files, model.FileID(id))
		}
		return Send{Channel: ch, ClientID: strings.ToLower(w.ClientID), Body: *w.Body, ThreadID: w.ThreadID, FileIDs: files}, nil
	case TypeRead:
		if w.Seq == nil {
			return nil, invalid(msgMissingSeq)
		}
		return Read{Channel: ch, Seq: *w.Seq}, nil
	}
	return Typing{Channel: ch}, nil
}

// validClientID accepts the canonical 36-character UUID form only, so one
// send has one spelling of its idempotency key (case aside).
func validClientID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// refOf digs the channel out of a frame whose other fields did not decode.
func refOf(data []byte) string {
	var probe struct {
		Type     json.RawMessage `json:"type"`
		Channel  json.RawMessage `json:"channel"`
		ClientID json.RawMessage `json:"client_id"`
	}
	if json.Unmarshal(data, &probe) != nil {
		return ""
	}
	var typ, id, ch string
	_ = json.Unmarshal(probe.Type, &typ)
	_ = json.Unmarshal(probe.ClientID, &id)
	_ = json.Unmarshal(probe.Channel, &ch)
	if typ == TypeSend && validClientID(id) {
		return strings.ToLower(id)
	}
	if model.ValidID(ch) {
		return ch
	}
	return ""
}

// French messages of the error frames the hub builds itself.
const (
	msgInvalidJSON          = "Trame JSON invalide."
	msgUnknownType          = "Type de trame inconnu."
	msgInvalidFrame         = "Trame mal formée."
	msgInvalidChannel       = "Identifiant de canal invalide."
	msgInvalidClientID      = "Identifiant client (client_id) invalide : un UUID est attendu."
	msgMissingBody          = "Le message est vide."
	msgInvalidThread        = "Identifiant de fil de discussion invalide."
	msgTooManyFiles         = "Au plus 10 fichiers par message."
	msgInvalidFileID        = "Identifiant de fichier (file_ids) invalide."
	msgMissingSeq           = "Numéro de séquence manquant."
	msgPayloadTooLarge      = "Trame trop volumineuse (64 Kio au maximum)."
	msgRateLimited          = "Trop de requêtes : ralentissez."
	msgNotFound             = "Ce canal est introuvable."
	msgTooFarBehind         = "Trop de messages manqués : rechargez l’historique du canal."
	msgTooManySubscriptions = "Trop d’abonnements sur cette connexion."
	msgUnavailable          = "Service temporairement indisponible, réessayez."
)

// Frame is an encoded server frame and, for "message" frames, the
// channel sequence it carries (0 for unsequenced frames). Data is shared by
// every connection it is queued on: nobody may modify it.
type Frame struct {
	Seq  uint64
	Data []byte
}

// head starts every frame about one channel: its type, then the channel.
type head struct {
	Type    string          `json:"type"`
	Channel model.ChannelID `json:"channel"`
}

type messageFrame struct {
	head
	Seq     uint64 `json:"seq"`
	Message any    `json:"message"`
}

// MessageFrame encodes a "message" frame once; the same bytes then go to
// every subscriber, in the backlog as in the live stream. message is
// marshalled with encoding/json (a json.RawMessage goes through as is).
func MessageFrame(channel model.ChannelID, seq uint64, message any) (Frame, error) {
	data, err := json.Marshal(messageFrame{head: head{TypeMessage, channel}, Seq: seq, Message: message})
	if err != nil {
		return Frame{}, fmt.Errorf("realtime: encode message frame for channel %s: %w", channel, err)
	}
	return Frame{Seq: seq, Data: data}, nil
}

// MessageFrames encodes the "message" frames of msgs, a backlog in
// ascending order (App.Subscribe); seq gives each message's sequence.
func MessageFrames[M any](channel model.ChannelID, msgs []M, seq func(M) uint64) ([]Frame, error) {
	frames := make([]Frame, 0, len(msgs))
	for _, m := range msgs {
		f, err := MessageFrame(channel, seq(m), m)
		if err != nil {
			return nil, err
		}
		frames = append(frames, f)
	}
	return frames, nil
}

type updatedFrame struct {
	head
	Message any `json:"message"`
}

// updatedFrameOf encodes a "message_updated" frame: a message already sent
// changed (edit, deletion, reactions, reply count). It has no seq of its
// own and is not replayed on resume.
func updatedFrameOf(channel model.ChannelID, message any) (Frame, error) {
	data, err := json.Marshal(updatedFrame{head: head{TypeUpdated, channel}, Message: message})
	if err != nil {
		return Frame{}, fmt.Errorf("realtime: encode message_updated frame for channel %s: %w", channel, err)
	}
	return Frame{Data: data}, nil
}

type subscribedFrame struct {
	head
	LastSeq uint64 `json:"last_seq"`
}

type ackFrame struct {
	head
	ClientID string `json:"client_id"`
	Seq      uint64 `json:"seq"`
	ID       string `json:"id"`
}

type errorFrame struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Ref     string `json:"ref,omitempty"`
	// RetryAfter is in seconds, like REST's Retry-After, but to the
	// millisecond (0.05): a send dropped by the connection's limit may
	// come back a twentieth of a second later.
	RetryAfter float64 `json:"retry_after,omitempty"`
}

type typingFrame struct {
	head
	UserID model.UserID `json:"user_id"`
}

type presenceFrame struct {
	Type    string          `json:"type"`
	Channel model.ChannelID `json:"channel,omitempty"`
	UserID  model.UserID    `json:"user_id"`
	Status  string          `json:"status"`
}

type unsubscribedFrame struct {
	head
	Reason string `json:"reason"`
}

type resumeFrame struct {
	Type    string          `json:"type"`
	Channel model.ChannelID `json:"channel,omitempty"`
}

// Frames without variable parts are encoded once for the process.
var (
	pongBytes   = []byte(`{"type":"pong"}`)
	resumeBytes = []byte(`{"type":"resume"}`)
	accessBytes = []byte(`{"type":"access_changed"}`)
)

// encode marshals one of the frame structs above. They hold only strings
// and integers, so Marshal cannot fail; a failure would be a programming
// error and panics loudly in tests rather than sending a broken frame.
func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("realtime: encode frame: " + err.Error())
	}
	return b
}

// encodeAs marshals a frame that may carry a value of another package (a
// post, answer counts), whose encoding can fail: the error names the
// frame type.
func encodeAs(frameType string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("realtime: encode %s frame: %w", frameType, err)
	}
	return b, nil
}

func encodeError(fe *FrameError) []byte {
	return encode(errorFrame{Type: TypeError, Code: fe.Code, Message: fe.Message, Ref: fe.Ref, RetryAfter: retrySeconds(fe.RetryAfter)})
}

// retrySeconds is d in seconds, rounded up to the millisecond: a client
// waiting that long is never early. Zero stays zero (no retry_after).
func retrySeconds(d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	return float64(ms) / 1000
}

// sendRef returns the client_id (lowercased) of a send frame that carries a
// valid one, else "". It reads only type and client_id: the body is
// skipped, not copied, so naming a dropped send stays cheap.
func sendRef(data []byte) string {
	var probe struct {
		Type     string `json:"type"`
		ClientID string `json:"client_id"`
	}
	if json.Unmarshal(data, &probe) != nil || probe.Type != TypeSend || !validClientID(probe.ClientID) {
		return ""
	}
	return strings.ToLower(probe.ClientID)
}

// appendBatch joins frames as newline-separated JSON, the batch format of
// server text frames. Encoded JSON never holds a raw newline, so a client
// splits on '\n'.
func appendBatch(dst []byte, frame []byte) []byte {
	if len(dst) > 0 {
		dst = append(dst, '\n')
	}
	return append(dst, frame...)
}

type postFrame struct {
	Type    string `json:"type"`
	Feed    string `json:"feed"`
	Created bool   `json:"created"`
	Post    any    `json:"post"`
}

// PostFrame encodes a "post" frame: a post of feed (its key, "cpts:<id>"
// or "group:<id>") was published (created) or changed (edit, pin,
// reactions, deletion). post is marshalled with encoding/json.
func PostFrame(feed string, created bool, post any) ([]byte, error) {
	return encodeAs("post", postFrame{Type: TypePost, Feed: feed, Created: created, Post: post})
}

type rsvpCountsFrame struct {
	Type   string       `json:"type"`
	PostID model.PostID `json:"post_id"`
	Counts any          `json:"counts"`
}

// RSVPCountsFrame encodes an "rsvp_counts" frame: the answer counts of an
// event changed.
func RSVPCountsFrame(post model.PostID, counts any) ([]byte, error) {
	return encodeAs("rsvp_counts", rsvpCountsFrame{Type: TypeRSVPCounts, PostID: post, Counts: counts})
}

type protocolFrame struct {
	Type   string           `json:"type"`
	ID     model.ProtocolID `json:"id"`
	CPTSID model.CPTSID     `json:"cpts_id"`
}

// ProtocolFrame encodes a "protocol" frame: protocol id of CPTS cpts
// changed (created, edited, new version, sent to review, reviewed,
// validated, archived, acknowledged, shared otherwise). It carries no
// content: clients re-read the protocol or their list.
func ProtocolFrame(id model.ProtocolID, cpts model.CPTSID) ([]byte, error) {
	return encodeAs("protocol", protocolFrame{Type: TypeProtocol, ID: id, CPTSID: cpts})
}

type materialFrame struct {
	Type    string           `json:"type"`
	ID      model.MaterialID `json:"id"`
	CPTSID  model.CPTSID     `json:"cpts_id"`
	Deleted bool             `json:"deleted"`
}

// MaterialFrame encodes a "material" frame: material id of CPTS cpts was
// added, changed or (deleted) removed. Clients re-read their list.
func MaterialFrame(id model.MaterialID, cpts model.CPTSID, deleted bool) ([]byte, error) {
	return encodeAs("material", materialFrame{Type: TypeMaterial, ID: id, CPTSID: cpts, Deleted: deleted})
}
