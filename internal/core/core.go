package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ecpts/ecpts/internal/auth"
	"github.com/ecpts/ecpts/internal/blob"
	"github.com/ecpts/ecpts/internal/clamav"
	"github.com/ecpts/ecpts/internal/images"
	"github.com/ecpts/ecpts/internal/mailer"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/msglog"
	"github.com/ecpts/ecpts/internal/ratelimit"
	"github.com/ecpts/ecpts/internal/sanitize"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/cache"
	"github.com/ecpts/ecpts/search"
)

// Publisher reaches connected clients on every node. cmd/ecpts plugs the
// realtime hub in; core only calls it after its own writes succeeded.
type Publisher interface {
	// RevokeChannels drops the user's live subscriptions to these channels.
	RevokeChannels(ctx context.Context, user model.UserID, channels []model.ChannelID, reason string) error
	// RevokeChannelExcept drops every live subscription to the channel
	// but those of the users in keep (a channel made private keeps its
	// members).
	RevokeChannelExcept(ctx context.Context, channel model.ChannelID, keep []model.UserID, reason string) error
	// CloseUser closes every live connection of the user (logout, removal).
	CloseUser(ctx context.Context, user model.UserID) error
	// AccessChanged tells every connection of these users, on every node,
	// that their memberships changed (the caches have already dropped
	// them, through Deps.Cache).
	AccessChanged(ctx context.Context, users []model.UserID) error
	// CloseSession closes the live connections of one session (logout).
	CloseSession(ctx context.Context, sessionID string) error
	// PublishMessage sends a newly stored message (seq'd) to the
	// channel's subscribers on every node.
	PublishMessage(ctx context.Context, ch model.ChannelID, seq uint64, msg MessageView) error
	// PublishUpdate sends a changed message (edit, deletion, reaction,
	// reply count) to the channel's subscribers.
	PublishUpdate(ctx context.Context, ch model.ChannelID, msg MessageView) error
}

// Sealer encrypts direct conversations at rest (internal/envelope).
type Sealer interface {
	NewConversationKey(convID string) ([]byte, error)
	Seal(convID string, wrapped, plaintext []byte) ([]byte, error)
	Open(convID string, wrapped, envelope []byte) ([]byte, error)
}

// Deps are what core needs; cmd/ecpts fills them.
type Deps struct {
	Store *store.Store
	// Cache is the cache layer over Store (cache.New), the one with the
	// Bus to the other nodes; nil: one of this node's own, its read
	// markers cached unless MultiNode.
	Cache *cache.Layer
	// Uncached: core reads the store directly, caching nothing (tests).
	Uncached  bool
	Mailer    mailer.Mailer
	Publisher Publisher // optional until the realtime hub is wired
	// PairLimiter, IPLimiter and AccountLimiter count wrong passwords per
	// (account, client address) pair, per address and per account, with
	// LoginPairRule, LoginIPRule and LoginAccountRule (see loginWait).
	PairLimiter    ratelimit.Limiter
	IPLimiter      ratelimit.Limiter
	AccountLimiter ratelimit.Limiter
	Logger         *slog.Logger
	Now            func() time.Time
	PublicURL      string      // base of links in e-mails; empty: no invitation is sent (public_url_missing)
	PasswordParams auth.Params // zero: auth.DefaultParams
	// Sealer encrypts direct conversations; required to create or read one.
	Sealer Sealer
	// SendRate (messages/s) and SendBurst bound what one user sends
	// through this node; zero: 5/s with bursts of 20.
	SendRate  float64
	SendBurst float64
	// SendBucket, with several nodes, holds those limits in Redis for all
	// of them (ratelimit.NewRedisBucket with the same rate and burst).
	SendBucket ratelimit.Bucket
	// WriteRate bounds the state-changing API requests of one user
	// (requests/s, bursts of 5× that, at least 100; zero: 20/s), and
	// WriteBucket holds that limit in Redis for all nodes
	// (ratelimit.NewRedisBucket with WriteLimits). See AllowWrite.
	WriteRate   float64
	WriteBucket ratelimit.Bucket
	// MultiNode: other nodes write to the same database (Redis broker):
	// the message log re-reads a channel's last seq before serving it
	// (msglog.Options), and read markers are not cached.
	MultiNode bool
	// Window is the recent-history window the nodes share (Redis) in
	// multi-node mode; nil on a single node, which keeps its own in memory.
	Window msglog.SharedWindow
	// Search is the shared search index (bleve or Meilisearch); nil: no
	// search (Search answers search_not_configured), nothing indexed.
	Search search.Index

	// Blobs stores the bytes of uploaded files (internal/blob); nil: no
	// uploads (files_not_configured).
	Blobs blob.Store
	// Images re-encodes uploaded images and makes their thumbnails; nil:
	// images.New with the defaults.
	Images *images.Processor
	// Scanner scans every upload (ECPTS_CLAMD_ADDR); nil: not scanned.
	Scanner clamav.Scanner
	// MaxUpload is the largest upload in bytes (ECPTS_MAX_UPLOAD_MB);
	// zero: 25 MiB.
	MaxUpload int64
	// OrphanAge: an upload attached to nothing is removed after that long;
	// zero: DefaultOrphanAge.
	OrphanAge time.Duration
}

// Core is the application. Build it with New.
type Core struct {
	st      *store.Store
	cached  cached  // the reads core makes most, through the cache layer
	mail    mailing // invitations and their links
	pub     Publisher
	limits  limits
	log     *slog.Logger
	now     func() time.Time
	params  auth.Params
	content content // message bodies rendered and sealed, uploaded files
	msgs    *msglog.Log
	bg      background
	search  searcher
}

// mailing sends e-mails whose links start with public, the configured public
// address (never a request's Host).
type mailing struct {
	send   mailer.Mailer
	public string
}

// content is what members put in: a message body turned into safe HTML
// (render), the messages of direct conversations sealed (sealer: their
// keys, and the text at rest), and uploaded files (blob store, images,
// scanner, limits).
type content struct {
	render *sanitize.Renderer
	sealer Sealer
	files  files
}

// Session lifetimes: a session lives SessionIdle after its last renewal,
// renewed at most every sessionRenewEvery so reads do not write each time.
const (
	SessionIdle       = 14 * 24 * time.Hour
	sessionRenewEvery = time.Hour
	invitationTTL     = 7 * 24 * time.Hour
)

// New returns a Core.
func New(d Deps) *Core {
	c := &Core{
		st: d.Store, mail: mailing{send: d.Mailer, public: d.PublicURL}, pub: d.Publisher,
		log: d.Logger, now: d.Now, params: d.PasswordParams,
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.params == (auth.Params{}) {
		c.params = auth.DefaultParams
	}
	c.cached = newCached(d, c.now, c.log)
	c.limits = newLimits(d, c.now, c.log)
	c.content = content{render: sanitize.New(), sealer: d.Sealer, files: newFiles(d)}
	c.msgs = msglog.New(msglog.Options{
		Messages: d.Store.Messages, Seqs: d.Store.ChannelSeqs,
		MultiNode: d.MultiNode, Window: d.Window,
		Codec: sealCodec{d.Sealer}, Stored: c.messagesStored, Logger: c.log,
	})
	c.bg.queue = make(chan func(context.Context), backgroundQueue)
	c.search = searcher{idx: d.Search, direct: newDirectIndexes(c.now), kick: make(chan struct{}, 1)}
	return c
}

// SetPublisher plugs the realtime hub in once it exists (it needs core to
// be built first).
func (c *Core) SetPublisher(p Publisher) { c.pub = p }

// Ping checks the store (for /readyz).
func (c *Core) Ping(ctx context.Context) error { return c.st.Ping(ctx) }

// actor loads the caller and all their memberships.
func (c *Core) actor(ctx context.Context, s model.Session) (*Actor, error) {
	if s.UserID == "" {
		return nil, model.ErrUnauthenticated
	}
	return c.actorOf(ctx, s.UserID)
}

func (c *Core) actorOf(ctx context.Context, id model.UserID) (*Actor, error) {
	// The user comes from the user cache: a profile change drops it at
	// once (on the other nodes too), and no role lives on the user but the
	// platform admin flag, which no API changes.
	users, err := c.usersByID(ctx, []model.UserID{id})
	if err != nil {
		return nil, fmt.Errorf("core: actor %s: %w", id, err)
	}
	u, ok := users[id]
	if !ok {
		return nil, fmt.Errorf("core: actor %s: %w", id, model.ErrNotFound)
	}
	e, err := c.cached.access.Access(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("core: actor %s memberships: %w", id, err)
	}
	return NewActor(u, e.Memberships, e.GroupMembers, e.ChannelMembers), nil
}

// notFound wraps ErrNotFound with a French message for the object kind.
func notFound(what string) error {
	return model.Coded(model.ErrNotFound, "not_found", what)
}

var (
	errCPTSNotFound       = notFound("Cette CPTS est introuvable.")
	errGroupNotFound      = notFound("Ce groupe est introuvable.")
	errChannelNotFound    = notFound("Ce canal est introuvable.")
	errMemberNotFound     = notFound("Ce membre est introuvable.")
	errInvitationNotFound = notFound("Cette invitation est introuvable.")
	errForbidden          = model.Coded(model.ErrForbidden, "forbidden", "Vous n’avez pas les droits pour cette action.")
)

// isNotFound reports a store not-found.
func isNotFound(err error) bool { return errors.Is(err, model.ErrNotFound) }

// found sorts out the error of a store lookup whose absence is no error:
// ok when it found, false and nil when it found nothing, false and err
// wrapped as "core: <format>: err" otherwise.
func found(err error, format string, args ...any) (ok bool, _ error) {
	switch {
	case err == nil:
		return true, nil
	case isNotFound(err):
		return false, nil
	}
	return false, fmt.Errorf("core: "+format+": %w", append(args, err)...)
}

// lookupErr is the error of a store lookup: nil when it found, gone (a
// domain error) when it found nothing, any other wrapped as
// "core: <format>: err".
func lookupErr(err, gone error, format string, args ...any) error {
	switch {
	case err == nil:
		return nil
	case isNotFound(err):
		return gone
	}
	return fmt.Errorf("core: "+format+": %w", append(args, err)...)
}

// publish helpers: a failure to reach connected clients is logged, never
// undoes the write that already happened.
func (c *Core) revoke(ctx context.Context, user model.UserID, chans []model.ChannelID, reason string) {
	if c.pub == nil || len(chans) == 0 {
		return
	}
	if err := c.pub.RevokeChannels(ctx, user, chans, reason); err != nil {
		c.log.Error("revoke live subscriptions", "user_id", user, "err", err)
	}
}

func (c *Core) closeUser(ctx context.Context, user model.UserID) {
	if c.pub == nil {
		return
	}
	if err := c.pub.CloseUser(ctx, user); err != nil {
		c.log.Error("close live connections", "user_id", user, "err", err)
	}
}
