package realtime

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// Session identifies who is on a connection. The server fills it from the
// authenticated session cookie at upgrade time, never from a frame.
type Session struct {
	UserID    model.UserID
	SessionID string // model.Session.ID (the hash of the cookie token)
}

// SendInput is a "send" frame, copied into plain values.
type SendInput struct {
	Channel  model.ChannelID
	ClientID string // canonical lowercase UUID
	Body     string
	ThreadID string // empty outside a thread
}

// Ack is what a durable send returns.
type Ack struct {
	Seq uint64 // the message's sequence in its channel
	ID  string // the message id
}

// ErrTooFarBehind is returned by App.Subscribe when since is older than what
// it can replay: the client must page through REST, then subscribe again.
var ErrTooFarBehind = errors.New("realtime: too far behind to replay")

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

// defaultRetryAfter is the retry_after of an App rate limit that does not
// say (model.ErrTooMany without a RetryAfter).
const defaultRetryAfter = time.Second

// errorFrameFor maps an App error to the error frame the client sees. The
// second result is false for errors that must not reach the client (their
// cause is logged, the frame says "internal"). ref names the request. A
// rate limit (model.ErrTooMany) carries its RetryAfter, or a second.
func errorFrameFor(err error, ref string) (*FrameError, bool) {
	var coded *model.CodedError
	if errors.As(err, &coded) {
		msg := coded.Message
		if msg == "" {
			msg = msgInternal
		}
		fe := &FrameError{Code: coded.Code, Message: msg, Ref: ref}
		if errors.Is(coded, model.ErrTooMany) {
			fe.RetryAfter = cmp.Or(coded.RetryAfter, defaultRetryAfter)
		}
		return fe, true
	}
	var invalid *model.InvalidError
	if errors.As(err, &invalid) {
		msg := invalid.Message
		if msg == "" {
			msg = msgInvalidFrame
		}
		return &FrameError{Code: invalid.ErrorCode(), Message: msg, Ref: ref}, true
	}
	switch {
	case errors.Is(err, ErrTooFarBehind):
		return &FrameError{Code: CodeTooFarBehind, Message: msgTooFarBehind, Ref: ref}, true
	case errors.Is(err, model.ErrNotFound):
		return &FrameError{Code: CodeNotFound, Message: msgNotFound, Ref: ref}, true
	case errors.Is(err, model.ErrForbidden):
		return &FrameError{Code: CodeForbidden, Message: msgForbidden, Ref: ref}, true
	case errors.Is(err, model.ErrConflict):
		return &FrameError{Code: CodeConflict, Message: msgConflict, Ref: ref}, true
	case errors.Is(err, model.ErrGone):
		return &FrameError{Code: CodeGone, Message: msgGone, Ref: ref}, true
	case errors.Is(err, model.ErrTooMany):
		return &FrameError{Code: CodeRateLimited, Message: msgRateLimited, Ref: ref, RetryAfter: defaultRetryAfter}, true
	}
	return &FrameError{Code: CodeInternal, Message: msgInternal, Ref: ref}, false
}
