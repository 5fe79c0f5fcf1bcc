package cache

import (
	"context"
	"log/slog"
	"time"

	"github.com/ecpts/ecpts/internal/store"
)

// Bus carries invalidations to the other nodes, which apply them
// (Layer.Apply). The realtime broker provides it when there are several.
type Bus interface {
	Announce(ctx context.Context, inv Invalidation) error
}

// Options are a Layer's optional parts.
type Options struct {
	// Bus reaches the other nodes; nil: this node is alone.
	Bus Bus
	// Markers caches the read markers. Only for a node alone: the marker
	// cache is exact only if every marker write goes through it.
	Markers bool
	Now     func() time.Time // default time.Now
	Logger  *slog.Logger     // default slog.Default()
}

// TTLs and sizes of the caches. accessTTL bounds how long another node's
// missed invalidation could leave stale memberships or channels here; a
// user's profile (names under messages) may lag userTTL on other nodes.
const (
	accessTTL   = 30 * time.Second
	userTTL     = 5 * time.Minute
	maxUsers    = 20000 // users with their memberships, and profiles
	maxChannels = 50000
	maxMarkers  = 50000
)

// Layer is the cache layer over the store: the collections core reads
// most, each cached beside the collection it wraps, and the one place
// where writes say what they made stale (Invalidate). Its fields are set
// by New and never change; all are safe for concurrent use.
type Layer struct {
	Users    *Users
	Channels *Channels
	Access   *Access
	Markers  *Markers // nil unless Options.Markers

	bus Bus
	log *slog.Logger
}

// New returns a layer over st.
func New(st *store.Store, o Options) *Layer {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	l := &Layer{bus: o.Bus, log: o.Logger}
	if l.log == nil {
		l.log = slog.Default()
	}
	l.Users = newUsers(st.Users, now)
	l.Channels = newChannels(st.Channels, now)
	l.Access = newAccess(st, l.Channels, now)
	if o.Markers {
		l.Markers = newMarkers(st.ReadMarkers)
	}
	return l
}

// Invalidate drops what inv names, here at once and on the other nodes
// through the Bus; it is called after the write that made it stale. A
// failure to reach the other nodes is logged: their TTLs bound it.
func (l *Layer) Invalidate(ctx context.Context, inv Invalidation) {
	if inv.IsZero() {
		return
	}
	l.Apply(inv)
	if l.bus == nil {
		return
	}
	if err := l.bus.Announce(ctx, inv); err != nil {
		l.log.Warn("announce cache invalidation", "users", len(inv.Access)+len(inv.Users), "channels", len(inv.Channels), "err", err)
	}
}

// Apply drops what inv names here only: for an invalidation another node
// announced.
func (l *Layer) Apply(inv Invalidation) {
	l.Access.invalidate(inv.Access)
	l.Users.invalidate(inv.Users)
	l.Channels.invalidate(inv.Channels, inv.CPTSLists, inv.GroupLists)
}
