package realtime

import (
	"encoding/binary"
	"time"
)

// Socket is the part of a WebSocket connection the hub uses. The server
// hands in github.com/gofiber/contrib/websocket's *Conn (it wraps
// fasthttp/websocket's Conn, whose method set this is); tests use fakes.
//
// As with gorilla-style connections: one goroutine reads (Serve's), one
// writes data (the connection's writer); WriteControl and Close may be
// called from any goroutine.
type Socket interface {
	ReadMessage() (messageType int, data []byte, err error)
	WriteMessage(messageType int, data []byte) error
	WriteControl(messageType int, data []byte, deadline time.Time) error
	SetReadLimit(limit int64)
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
	SetPongHandler(h func(appData string) error)
	Close() error
}

// WebSocket message types (RFC 6455), the values fasthttp/websocket uses.
const (
	TextMessage   = 1
	BinaryMessage = 2
	CloseMessage  = 8
	PingMessage   = 9
	PongMessage   = 10
)

// Close codes the hub sends. 4xxx codes are ours (RFC 6455 leaves 4000–4999
// to applications); docs/protocol.md says what a client does with each.
const (
	CloseNormal          = 1000 // the peer went away or closed first
	CloseGoingAway       = 1001 // server shutting down: reconnect with backoff
	CloseUnsupportedData = 1003 // a binary frame: text frames only
	CloseMessageTooBig   = 1009 // a frame over MaxFrameSize
	CloseTryAgainLater   = 1013 // the hub is not running (starting or stopping)
	CloseUnauthenticated = 4001 // session closed or revoked: log in again
	CloseSlowConsumer    = 4008 // the send queue overflowed: reconnect, resume by seq
	CloseRateLimited     = 4029 // gross abuse of the inbound rate limit
)

// closePayload formats a close frame's payload: the code, then a reason of
// at most 123 bytes (the control frame limit).
func closePayload(code int, reason string) []byte {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	b := make([]byte, 2+len(reason))
	binary.BigEndian.PutUint16(b, uint16(code))
	copy(b[2:], reason)
	return b
}
