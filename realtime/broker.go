package realtime

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ecpts/ecpts/internal/model"
)

// Broker carries publications between the nodes of a deployment. Keys are
// node-level subscriptions: a hub subscribes a key when its first local
// subscriber appears and unsubscribes when the last one leaves. Every
// method is safe for concurrent use.
//
// Payloads are opaque bytes: the broker neither parses nor keeps them, and
// a payload handed to Publish must not be modified afterwards (a memory
// broker passes the same slice to the handlers).
type Broker interface {
	// Run delivers the publications of subscribed keys to h until ctx ends,
	// then returns nil. Exactly one Run per broker; Subscribe may wait for
	// it (a Redis broker confirms subscriptions on Run's connection).
	Run(ctx context.Context, h BrokerHandler) error
	// Publish sends payload to every node subscribed to key, this one
	// included. It returns once the broker has accepted the publication.
	Publish(ctx context.Context, key string, payload []byte) error
	// Subscribe makes this node receive key's publications. When it
	// returns nil, any publication that Publish accepts afterwards, on any
	// node, is delivered to this node.
	Subscribe(ctx context.Context, key string) error
	// Unsubscribe stops key's publications for this node.
	Unsubscribe(ctx context.Context, key string) error
	// Ping reports whether the broker's backend is reachable (readiness).
	Ping(ctx context.Context) error
	Presence
}

// Presence records which users have at least one connection, across nodes.
// A node calls Join when it gets its first connection of a user and Leave
// when its last one closes; Heartbeat refreshes every user it holds, so a
// node that dies without leaving is forgotten after a TTL.
type Presence interface {
	// Join records userID on this node. first reports that no other node
	// held the user: the user just came online.
	Join(ctx context.Context, userID string) (first bool, err error)
	// Leave forgets userID on this node. last reports that no node holds
	// the user any more: the user just went offline.
	Leave(ctx context.Context, userID string) (last bool, err error)
	// Heartbeat keeps this node's users alive.
	Heartbeat(ctx context.Context, userIDs []string) error
	// Online reports, for each user, whether some node holds them.
	Online(ctx context.Context, userIDs []string) (map[string]bool, error)
}

// BrokerHandler receives what a Broker delivers. Its methods must not block
// for long (the hub's only push to queues without waiting) and may be called
// concurrently.
type BrokerHandler interface {
	// HandlePublication delivers a payload published on key. The handler
	// may keep payload; the broker never reuses it.
	HandlePublication(key string, payload []byte)
	// HandleResume says the broker may have missed publications (its
	// connection to the backend was lost and is back): subscribers must
	// resume from their last sequence.
	HandleResume()
}

// ControlKey is the broker key every hub subscribes to for control events.
const ControlKey = "ctl"

// ChannelKey is the broker and shard key of a channel (direct conversations
// included: they are channels of kind "direct").
type ChannelKey string

// KeyOf returns the key of channel.
func KeyOf(channel model.ChannelID) ChannelKey { return ChannelKey("chan:" + string(channel)) }

// Envelope kinds: the first byte of every payload the hub publishes.
const (
	envSequenced byte = 'M' // 8-byte big-endian seq, then an encoded frame
	envFrame     byte = 'F' // an encoded frame without sequence
	envUserFrame byte = 'U' // a user id's length (1 byte), the id, then a frame not for that user's connections (typing, presence)
	envControl   byte = 'C' // a JSON control event
)

func sequencedPayload(seq uint64, frame []byte) []byte {
	p := make([]byte, 9+len(frame))
	p[0] = envSequenced
	binary.BigEndian.PutUint64(p[1:9], seq)
	copy(p[9:], frame)
	return p
}

func framePayload(frame []byte) []byte {
	p := make([]byte, 1+len(frame))
	p[0] = envFrame
	copy(p[1:], frame)
	return p
}

// userFramePayload wraps a frame about user (typing, presence) that the
// user's own connections do not need.
func userFramePayload(user model.UserID, frame []byte) []byte {
	u := string(user)
	if len(u) > 255 {
		return framePayload(frame)
	}
	p := make([]byte, 0, 2+len(u)+len(frame))
	p = append(p, envUserFrame, byte(len(u)))
	p = append(p, u...)
	return append(p, frame...)
}

var errBadEnvelope = errors.New("realtime: malformed broker payload")

// envelope is an opened payload; body points into the payload.
type envelope struct {
	kind   byte
	seq    uint64
	except model.UserID
	body   []byte
}

func openPayload(payload []byte) (envelope, error) {
	if len(payload) < 2 {
		return envelope{}, errBadEnvelope
	}
	switch kind := payload[0]; kind {
	case envSequenced:
		if len(payload) < 10 {
			return envelope{}, errBadEnvelope
		}
		return envelope{kind: kind, seq: binary.BigEndian.Uint64(payload[1:9]), body: payload[9:]}, nil
	case envUserFrame:
		n := int(payload[1])
		if len(payload) < 3+n {
			return envelope{}, errBadEnvelope
		}
		return envelope{kind: kind, except: model.UserID(payload[2 : 2+n]), body: payload[2+n:]}, nil
	case envFrame, envControl:
		return envelope{kind: kind, body: payload[1:]}, nil
	}
	return envelope{}, errBadEnvelope
}

// Control operations.
const (
	opRevoke       = "revoke"
	opCloseUser    = "close_user"
	opCloseSession = "close_session"
	opResume       = "resume"
	opAccess       = "access"
	opInvalidate   = "invalidate"
	opUserFrame    = "user_frame"
)

// control is a control event. Empty UserID with opRevoke means every user
// (an archived channel) but those in Keep (a channel made private keeps its
// members); empty Channel with opResume means every channel.
// An opInvalidate event carries Kind and Payload (base64 in the JSON) for
// Options.OnInvalidate.
type control struct {
	Op        string          `json:"op"`
	UserID    model.UserID    `json:"user_id,omitempty"`
	SessionID string          `json:"session_id,omitempty"`
	Channel   model.ChannelID `json:"channel,omitempty"`
	Reason    string          `json:"reason,omitempty"`
	Users     []model.UserID  `json:"user_ids,omitempty"` // opAccess
	Keep      []model.UserID  `json:"keep,omitempty"`     // opRevoke of every user
	Kind      string          `json:"kind,omitempty"`     // opInvalidate
	Payload   []byte          `json:"payload,omitempty"`  // opInvalidate
	Frame     json.RawMessage `json:"frame,omitempty"`    // opUserFrame
}

// MaxInvalidationPayload bounds the payload of one announced invalidation
// (Publisher.Announce): a list of some ten thousand ids.
const MaxInvalidationPayload = 256 << 10

// validKind: 1 to 32 of [a-z0-9_.:-], starting with a letter. Kinds are
// names the application chooses ("access", "channel"…), never data.
func validKind(kind string) bool {
	if kind == "" || len(kind) > 32 || kind[0] < 'a' || kind[0] > 'z' {
		return false
	}
	for i := 0; i < len(kind); i++ {
		switch c := kind[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '.', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// ErrInvalidAnnouncement is returned by Publisher.Announce for a kind that
// is not a short lowercase name or a payload over MaxInvalidationPayload.
var ErrInvalidAnnouncement = errors.New("realtime: invalid announcement")

func checkAnnouncement(kind string, payload []byte) error {
	if !validKind(kind) {
		if len(kind) > 40 {
			kind = kind[:40] + "…"
		}
		return fmt.Errorf("%w: kind %q", ErrInvalidAnnouncement, kind)
	}
	if len(payload) > MaxInvalidationPayload {
		return fmt.Errorf("%w: %s payload of %d bytes", ErrInvalidAnnouncement, kind, len(payload))
	}
	return nil
}

// Publisher is how the application (core) reaches subscribers on every
// node: it publishes through the broker and never touches a hub. It is
// cheap, stateless and safe for concurrent use.
type Publisher struct{ b Broker }

// NewPublisher wraps a broker.
func NewPublisher(b Broker) *Publisher { return &Publisher{b: b} }

// PublishMessage encodes a "message" frame once and publishes it to the
// channel's subscribers. Call it only once the message is durably stored:
// a subscriber may read it back from the store at once.
func (p *Publisher) PublishMessage(ctx context.Context, channel model.ChannelID, seq uint64, message any) error {
	f, err := MessageFrame(channel, seq, message)
	if err != nil {
		return err
	}
	return p.PublishFrame(ctx, channel, f)
}

// PublishFrame publishes an already encoded frame (MessageFrame) on
// channel. f.Seq must be the sequence carried inside f.Data.
func (p *Publisher) PublishFrame(ctx context.Context, channel model.ChannelID, f Frame) error {
	var payload []byte
	if f.Seq > 0 {
		payload = sequencedPayload(f.Seq, f.Data)
	} else {
		payload = framePayload(f.Data)
	}
	if err := p.b.Publish(ctx, string(KeyOf(channel)), payload); err != nil {
		return fmt.Errorf("realtime: publish on channel %s: %w", channel, err)
	}
	return nil
}

// PublishUpdate encodes a "message_updated" frame once and publishes it to
// the channel's subscribers: message (marshalled with encoding/json), sent
// before, changed (edit, deletion, reactions, reply count). Call it once
// the change is stored.
func (p *Publisher) PublishUpdate(ctx context.Context, channel model.ChannelID, message any) error {
	f, err := updatedFrameOf(channel, message)
	if err != nil {
		return err
	}
	return p.PublishFrame(ctx, channel, f)
}

// RevokeChannel removes user's subscriptions to channel on every node; each
// affected connection gets an "unsubscribed" frame with reason (ReasonRemoved,
// ReasonArchived, ReasonReadOnly or ReasonPrivate). An empty user revokes every subscriber (archiving).
// Publish it after the change is stored, so a racing subscribe is refused.
func (p *Publisher) RevokeChannel(ctx context.Context, user model.UserID, channel model.ChannelID, reason string) error {
	return p.control(ctx, control{Op: opRevoke, UserID: user, Channel: channel, Reason: reason})
}

// RevokeChannelExcept removes every subscription to channel on every node
// but those of the users in keep (a channel made private keeps its
// members' subscriptions); each affected connection gets an "unsubscribed"
// frame with reason (ReasonPrivate). A node that does not know keep
// revokes everyone, which errs on the safe side. Publish it after the
// change is stored.
func (p *Publisher) RevokeChannelExcept(ctx context.Context, channel model.ChannelID, keep []model.UserID, reason string) error {
	return p.control(ctx, control{Op: opRevoke, Channel: channel, Keep: keep, Reason: reason})
}

// CloseUser closes every connection of user on every node (code 4001).
func (p *Publisher) CloseUser(ctx context.Context, user model.UserID) error {
	return p.control(ctx, control{Op: opCloseUser, UserID: user})
}

// CloseSession closes every connection opened with session sessionID
// (model.Session.ID), on every node (code 4001): logout, password change.
func (p *Publisher) CloseSession(ctx context.Context, sessionID string) error {
	return p.control(ctx, control{Op: opCloseSession, SessionID: sessionID})
}

// RequestResume asks the subscribers of channel (every connection when
// channel is empty), on every node, to resubscribe from their last seq.
func (p *Publisher) RequestResume(ctx context.Context, channel model.ChannelID) error {
	return p.control(ctx, control{Op: opResume, Channel: channel})
}

// AccessChanged sends "access_changed" to every connection of users, on
// every node: what they may see changed (a conversation opened with them,
// a channel or group joined or left), so their clients re-read their
// lists. Publish it after the change is stored.
func (p *Publisher) AccessChanged(ctx context.Context, users []model.UserID) error {
	if len(users) == 0 {
		return nil
	}
	return p.control(ctx, control{Op: opAccess, Users: users})
}

// Announce tells every node, this one included, of a change to what they
// may have cached: each node's hub hands kind and payload to its
// Options.OnInvalidate, in the order the events were published, after
// every control event published before it on this node (an AccessChanged
// published after it reaches clients once their node dropped its cache).
//
// The payload is opaque to realtime: the application encodes it and must
// validate it on receipt (another node, or a newer version, wrote it).
// Delivery is at most once: a node that was disconnected from the broker
// misses it (HandleResume tells its clients, not its caches), so caches
// keep a bound on how stale they may be. The node that announces gets its
// own announcement back, later than the call returns on Redis, at once on
// a memory broker, in the caller's goroutine: it must apply the change
// locally itself before announcing, and OnInvalidate must be idempotent and
// take no lock the announcer holds.
func (p *Publisher) Announce(ctx context.Context, kind string, payload []byte) error {
	if err := checkAnnouncement(kind, payload); err != nil {
		return err
	}
	return p.control(ctx, control{Op: opInvalidate, Kind: kind, Payload: payload})
}

// MaxUserFrame bounds a frame sent with PublishToUsers.
const MaxUserFrame = 256 << 10

// PublishToUsers sends frame (one of the frames this package builds, a
// JSON object: PostFrame, RSVPCountsFrame, ProtocolFrame, MaterialFrame)
// to every connection of users, on every node, whatever they subscribed
// to: the feed's frames go to its readers, the library's to those who may
// see the item, this way. Publish it after the change is stored.
func (p *Publisher) PublishToUsers(ctx context.Context, users []model.UserID, frame []byte) error {
	if len(users) == 0 {
		return nil
	}
	if len(frame) > MaxUserFrame || !json.Valid(frame) {
		return fmt.Errorf("realtime: user frame of %d bytes refused", len(frame))
	}
	return p.control(ctx, control{Op: opUserFrame, Users: users, Frame: frame})
}

func (p *Publisher) control(ctx context.Context, c control) error {
	body, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("realtime: encode control %s: %w", c.Op, err)
	}
	payload := append([]byte{envControl}, body...)
	if err := p.b.Publish(ctx, ControlKey, payload); err != nil {
		return fmt.Errorf("realtime: publish control %s: %w", c.Op, err)
	}
	return nil
}
