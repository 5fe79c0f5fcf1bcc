package msglog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

// SharedWindow is the per-channel recent-history window and write lock
// several nodes share (realtime/redisbroker.Window). Messages go in and
// come out in their stored form: a direct message stays sealed. It is a
// cache that may lag the store, never lead it.
type SharedWindow interface {
	// Append records a message just stored and raises the channel's last seq.
	Append(ctx context.Context, m model.Message) error
	// Replace updates a message the window holds.
	Replace(ctx context.Context, m model.Message) error
	// Observe raises the channel's last seq to seq (read from the store)
	// and returns the resulting one.
	Observe(ctx context.Context, ch model.ChannelID, seq uint64) (uint64, error)
	// Range returns the last seq the window knows (0: nothing) and the
	// messages it holds with from ≤ seq ≤ min(to, last), or the newest
	// ones when newest > 0; ok when it held every one of those seqs.
	Range(ctx context.Context, ch model.ChannelID, from, to uint64, newest int) (last uint64, ms []model.Message, ok bool, err error)
	// Lock takes the channel's cross-node write lock until the returned
	// function is called.
	Lock(ctx context.Context, ch model.ChannelID) (func(), error)
}

// Codec turns a message into the form the store and the shared window
// hold, and back: core seals a direct conversation's content (envelope),
// and leaves other channels' messages as they are. The log's own window
// holds plain messages.
type Codec interface {
	Seal(ch model.Channel, m model.Message) (model.Message, error)
	Open(ch model.Channel, m model.Message) (model.Message, error)
}

// plain is the Codec of a log without one: messages are stored as they are.
type plain struct{}

func (plain) Seal(_ model.Channel, m model.Message) (model.Message, error) { return m, nil }
func (plain) Open(_ model.Channel, m model.Message) (model.Message, error) { return m, nil }

// ErrNotFound: the message does not exist (or its ID names another
// channel).
var ErrNotFound = fmt.Errorf("msglog: no such message: %w", model.ErrNotFound)

// ErrTooFarBehind: a resume asks for more than MaxReplay messages; the
// client pages through history instead.
var ErrTooFarBehind = errors.New("msglog: too far behind to replay")

// Options are what a Log needs.
type Options struct {
	Messages *store.Messages
	Seqs     *store.ChannelSeqs
	// MultiNode: other nodes write to the same database, so a channel's
	// last seq is re-read before it is served, from Window when set, else
	// from the store.
	MultiNode bool
	// Window is the recent-history window the nodes share (Redis) in
	// multi-node mode; ignored on a single node, which keeps its own in
	// memory.
	Window SharedWindow
	// Codec seals what is stored; nil stores messages as they are.
	Codec Codec
	// Stored, when set, is told of the messages the group commits stored
	// (plain, with their channels: chans[i] is the channel of ms[i]), once
	// their senders are answered, in a goroutine of its own while Run
	// runs: what commits store while a call runs comes in the next call,
	// in one piece (notifier); those calls never overlap, and Run returns
	// after the last. Core records them for the search index in one write
	// per call instead of one per message. It must not call back into the
	// Log's appends.
	Stored func(ctx context.Context, chans []model.Channel, ms []model.Message)
	Logger *slog.Logger
}

// Log is the message log. Build it with New; Run its committer.
type Log struct {
	msgs      *store.Messages
	seqs      *store.ChannelSeqs
	multiNode bool
	win       SharedWindow // multi-node only
	codec     Codec
	notify    notifier // Options.Stored
	log       *slog.Logger
	states    chanStates
	commits   committer
}

// New returns a Log.
func New(o Options) *Log {
	l := &Log{msgs: o.Messages, seqs: o.Seqs, multiNode: o.MultiNode, codec: o.Codec, log: o.Logger}
	l.notify = notifier{fn: o.Stored, wake: make(chan struct{}, 1)}
	if o.MultiNode {
		l.win = o.Window
	}
	if l.codec == nil {
		l.codec = plain{}
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	l.states.m = make(map[model.ChannelID]*chanState)
	l.commits.wake = make(chan struct{}, 1)
	return l
}

func (l *Log) openAll(ch model.Channel, ms []model.Message) ([]model.Message, error) {
	for i := range ms {
		var err error
		if ms[i], err = l.codec.Open(ch, ms[i]); err != nil {
			return nil, err
		}
	}
	return ms, nil
}
