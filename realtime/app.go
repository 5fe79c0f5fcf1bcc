package realtime

import (
	"context"

	"github.com/ecpts/ecpts/internal/apierr"
	"github.com/ecpts/ecpts/internal/model"
)

// Session identifies who is on a connection. The server fills it from the
// authenticated session cookie at upgrade time, never from a frame.
type Session struct {
	UserID    model.UserID
	SessionID string // model.Session.ID (the hash of the cookie token)
}

// SendInput is what App.Send gets: the "send" frame as decoded (its
// ClientID a canonical lowercase UUID).
type SendInput = Send

// Ack is what a durable send returns.
type Ack struct {
	Seq uint64 // the message's sequence in its channel
	ID  string // the message id
}

// ErrTooFarBehind is returned by App.Subscribe when since is older than what
// it can replay: the client must page through REST, then subscribe again.
var ErrTooFarBehind = model.Coded(nil, CodeTooFarBehind, msgTooFarBehind)

// App is what the hub needs from the application (internal/core). The hub
// calls it on behalf of the connection's reader (from a goroutine the
// reader waits for), one call at a time per connection, with a context
// bounded by Options.AppTimeout and cancelled when the connection closes. Errors are mapped to error frames: see
// errorFrameFor.
type App interface {
	// Subscribe authorises sess on channel and returns the messages with
	// seq > since in ascending order, encoded with MessageFrame, plus the
	// channel's last seq. A channel the user may not read is
	// model.ErrNotFound. ErrTooFarBehind when since is older than what it
	// can replay. The hub has registered the subscription before calling,
	// so anything published after the call began arrives live as well; the
	// hub drops those duplicates.
	Subscribe(ctx context.Context, sess Session, channel model.ChannelID, since uint64) (backlog []Frame, lastSeq uint64, err error)
	// Send stores the message durably before returning, is idempotent by
	// client_id (a repeat returns the first Ack) and publishes the message
	// frame itself, through a Publisher, once stored.
	Send(ctx context.Context, sess Session, in SendInput) (Ack, error)
	// Read records that the user has read channel up to seq.
	Read(ctx context.Context, sess Session, channel model.ChannelID, seq uint64) error
	// Typing authorises a typing notice; the hub then publishes it.
	Typing(ctx context.Context, sess Session, channel model.ChannelID) error
}

// errorFrameFor maps an App error to the error frame the client sees,
// through the error table (internal/apierr), as REST does. The second
// result is false for errors whose cause must be logged (an unexpected one
// says "internal" and nothing more). ref names the request. A rate limit
// (model.ErrTooMany) carries its RetryAfter, or the table's default.
func errorFrameFor(err error, ref string) (*FrameError, bool) {
	a := apierr.Describe(err)
	return &FrameError{Code: a.Code, Message: a.FrameMessage, Ref: ref, RetryAfter: a.RetryAfter}, !a.Log
}
