package cache

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/storetest"
)

// The cache fills (access.go, users.go, channels.go) run against the
// embedded FerretDB (SQLite). Each fills table's around hook is a gate that
// counts the reads and holds the first one while the test lines callers
// up; the store's own command counter (ecpts_store_commands_total) checks
// that what the gate counts is what reached the database.

// cacheStore opens a store whose commands are counted; finds returns the
// number of find commands sent so far.
func cacheStore(t *testing.T) (st *store.Store, finds func() int) {
	t.Helper()
	reg := prometheus.NewRegistry()
	st = storetest.OpenWith(t, store.Options{
		Database: storetest.DatabaseName(), Logger: storetest.Logger(),
		DataDir: t.TempDir(), Registerer: reg,
	})
	return st, func() int {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatalf("gather metrics: %v", err)
		}
		n := 0.0
		for _, mf := range mfs {
			if mf.GetName() != "ecpts_store_commands_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "command" && l.GetValue() == "find" {
						n += m.GetCounter().GetValue()
					}
				}
			}
		}
		return int(n)
	}
}

func newLayer(st *store.Store) *Layer {
	return New(st, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// cacheFixture is a CPTS with one member and one channel the member joined.
type cacheFixture struct {
	cpts model.CPTS
	user model.User
	ch   model.Channel
}

func newCacheFixture(t *testing.T, st *store.Store) cacheFixture {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	f := cacheFixture{
		cpts: model.CPTS{ID: model.CPTSID(model.NewID()), Name: "CPTS " + model.NewID(), Department: "41", Status: "active", CreatedAt: now},
		user: model.User{ID: model.UserID(model.NewID()), Email: model.NewID() + "@exemple.fr", Name: "Alice Avant", Profession: "infirmier", CreatedAt: now},
	}
	f.ch = model.Channel{ID: model.ChannelID(model.NewID()), Name: "general", Kind: model.KindStandard, Visibility: model.VisibilityPublic, CPTSID: f.cpts.ID, CreatedAt: now}
	for _, err := range []error{
		st.CPTS.Insert(ctx, f.cpts), st.Users.Insert(ctx, f.user),
		st.Memberships.Insert(ctx, model.Membership{CPTSID: f.cpts.ID, UserID: f.user.ID, Role: model.RoleMembre, Status: model.StatusActive, CreatedAt: now}),
		st.Channels.Insert(ctx, f.ch),
		st.ChannelMembers.Insert(ctx, model.ChannelMember{ChannelID: f.ch.ID, UserID: f.user.ID, JoinedAt: now}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// gate stands in a fills table's around hook. It counts reads and holds
// the first one — before its store read when before is set, else after
// it — until open; when fail is set, the first read fails with it instead
// of reaching the store.
type gate struct {
	before  bool
	fail    error
	reached chan struct{} // closed once the first read is held
	release chan struct{}
	once    sync.Once

	mu      sync.Mutex
	n       int
	ctxErrs []error // the read contexts' errors, as the reads began
}

func newGate(t *testing.T) *gate {
	g := &gate{reached: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(g.open) // a failed test must not leave the fill goroutine held
	return g
}

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

func (g *gate) around(ctx context.Context, read func(context.Context) error) error {
	g.mu.Lock()
	g.n++
	first := g.n == 1
	g.mu.Unlock()
	if !first {
		return read(ctx)
	}
	if g.before {
		close(g.reached)
		<-g.release
	}
	g.mu.Lock()
	if _, ok := ctx.Deadline(); !ok {
		g.ctxErrs = append(g.ctxErrs, errors.New("read context without deadline"))
	} else {
		g.ctxErrs = append(g.ctxErrs, ctx.Err())
	}
	g.mu.Unlock()
	var err error
	if g.fail != nil {
		err = g.fail
	} else {
		err = read(ctx)
	}
	if !g.before {
		close(g.reached)
		<-g.release
	}
	return err
}

func (g *gate) reads() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}

// cacheCase is one cached read of a layer, seen through a summary of its
// result.
type cacheCase struct {
	l       *Layer
	get     func(ctx context.Context) (string, error)
	install func(g *gate) // plugs g into the fills table
	joined  func() int    // callers that joined the key's fill in flight
	// write writes to the store and returns what core invalidates after
	// it; remote: as another node does (the layer applies its announcement).
	write  func(t *testing.T) Invalidation
	remote bool
	before string // get's summary before change
	after  string // and after
	finds  int    // find commands one read sends
}

// change writes to the store, then invalidates.
func (k cacheCase) change(t *testing.T) {
	inv := k.write(t)
	if k.remote {
		k.l.Apply(inv)
	} else {
		k.l.Invalidate(context.Background(), inv)
	}
}

// dups returns the joiners of the fill of k in flight (-1: none).
func dups[K comparable, V any](t *fills[K, V], k K) func() int {
	return func() int {
		t.mu.Lock()
		defer t.mu.Unlock()
		if f := t.m[k]; f != nil {
			return f.dups
		}
		return -1
	}
}

func aroundOf[K any](g *gate) func(context.Context, []K, func(context.Context) error) error {
	return func(ctx context.Context, _ []K, read func(context.Context) error) error { return g.around(ctx, read) }
}

var cacheCaseNames = []string{"memberships", "scopes", "user", "channel", "channels", "scope"}

func newCacheCase(t *testing.T, name string, l *Layer, st *store.Store, f cacheFixture) cacheCase {
	k := cacheCase{l: l}
	switch name {
	case "memberships":
		k.get = func(ctx context.Context) (string, error) {
			e, err := l.Access.Access(ctx, f.user.ID)
			return strconv.Itoa(len(e.Memberships)) + " adhésions, " + strconv.Itoa(len(e.ChannelMembers)) + " canaux", err
		}
		k.install = func(g *gate) { l.Access.fills.around = aroundOf[model.UserID](g) }
		k.joined = dups(&l.Access.fills, f.user.ID)
	case "scopes":
		k.get = func(ctx context.Context) (string, error) {
			e, err := l.Access.Scopes(ctx, f.user.ID)
			return channelIDs(e.Channels, f), err
		}
		k.install = func(g *gate) { l.Access.scopeFills.around = aroundOf[model.UserID](g) }
		k.joined = dups(&l.Access.scopeFills, f.user.ID)
	case "user":
		k.get = func(ctx context.Context) (string, error) {
			us, err := l.Users.ByIDs(ctx, []model.UserID{f.user.ID})
			return userNames(us), err
		}
		k.install = func(g *gate) { l.Users.fills.around = aroundOf[model.UserID](g) }
		k.joined = dups(&l.Users.fills, f.user.ID)
	case "channel":
		k.get = func(ctx context.Context) (string, error) {
			ch, err := l.Channels.ByID(ctx, f.ch.ID)
			return ch.Name, err
		}
	case "channels":
		k.get = func(ctx context.Context) (string, error) {
			chs, err := l.Channels.ByIDs(ctx, []model.ChannelID{f.ch.ID})
			return channelNames(chs), err
		}
	case "scope":
		k.get = func(ctx context.Context) (string, error) {
			chs, err := l.Channels.ByCPTS(ctx, f.cpts.ID)
			return channelNames(chs), err
		}
		k.install = func(g *gate) { l.Channels.listFills.around = aroundOf[string](g) }
		k.joined = dups(&l.Channels.listFills, cptsList(f.cpts.ID))
	default:
		t.Fatalf("unknown cache case %q", name)
	}
	if name == "channel" || name == "channels" {
		k.install = func(g *gate) { l.Channels.idFills.around = aroundOf[model.ChannelID](g) }
		k.joined = dups(&l.Channels.idFills, f.ch.ID)
	}
	w := writeCase(t, name, st, f)
	k.write, k.remote, k.before, k.after, k.finds = w.write, w.remote, w.before, w.after, w.finds
	return k
}

// writeCase is the store side of a cacheCase: a write that changes what
// its get reads.
func writeCase(t *testing.T, name string, st *store.Store, f cacheFixture) cacheCase {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	switch name {
	case "memberships":
		return cacheCase{
			write: func(t *testing.T) Invalidation {
				x := model.CPTS{ID: model.CPTSID(model.NewID()), Name: "CPTS " + model.NewID(), Department: "18", Status: "active", CreatedAt: time.Now()}
				must(st.CPTS.Insert(ctx, x))
				must(st.Memberships.Insert(ctx, model.Membership{CPTSID: x.ID, UserID: f.user.ID, Role: model.RoleMembre, Status: model.StatusActive, CreatedAt: time.Now()}))
				return Invalidation{Access: []model.UserID{f.user.ID}}
			},
			before: "1 adhésions, 1 canaux", after: "2 adhésions, 1 canaux",
			finds: 3, // memberships, group members, channel members
		}
	case "scopes":
		return cacheCase{
			write: func(t *testing.T) Invalidation { // the user joins another channel
				ch := model.Channel{ID: model.ChannelID(model.NewID()), Name: "autre", Kind: model.KindStandard, Visibility: model.VisibilityPrivate, CPTSID: f.cpts.ID, CreatedAt: time.Now()}
				must(st.Channels.Insert(ctx, ch))
				must(st.ChannelMembers.Insert(ctx, model.ChannelMember{ChannelID: ch.ID, UserID: f.user.ID, JoinedAt: time.Now()}))
				return Invalidation{Access: []model.UserID{f.user.ID}}
			},
			before: "general", after: "general,other",
			finds: 4, // the memberships (3), then the channel (no group)
		}
	case "user":
		return cacheCase{
			write: func(t *testing.T) Invalidation { // as UpdateProfile does
				must(st.Users.UpdateProfile(ctx, f.user.ID, "Alice Après", f.user.Profession, "", "", "", time.Now()))
				return Invalidation{Users: []model.UserID{f.user.ID}}
			},
			before: "Alice Avant", after: "Alice Après", finds: 1,
		}
	case "channel", "channels":
		return cacheCase{
			write: func(t *testing.T) Invalidation {
				must(st.Channels.Rename(ctx, f.ch.ID, "renomme"))
				return ChannelChanged(f.ch)
			},
			before: "general", after: "renomme", finds: 1,
		}
	case "scope":
		return cacheCase{
			write: func(t *testing.T) Invalidation {
				ch := model.Channel{ID: model.ChannelID(model.NewID()), Name: "nouveau", Kind: model.KindStandard, Visibility: model.VisibilityPublic, CPTSID: f.cpts.ID, CreatedAt: time.Now()}
				must(st.Channels.Insert(ctx, ch))
				return ChannelChanged(ch)
			},
			remote: true, // a channel created on another node
			before: "general", after: "general,nouveau", finds: 1,
		}
	}
	t.Fatalf("unknown cache case %q", name)
	return cacheCase{}
}

func userNames(us []model.User) string {
	names := make([]string, 0, len(us))
	for _, u := range us {
		names = append(names, u.Name)
	}
	return strings.Join(names, ",")
}

func channelNames(chs []model.Channel) string {
	names := make([]string, 0, len(chs))
	for _, ch := range chs {
		names = append(names, ch.Name)
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

// guarded returns a context that ends after 30 s, so a broken fill fails
// the test instead of hanging it (a guard, not a timing assertion).
func guarded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// within fails the test unless ch is closed in time (a guard against a
// hang, not a timing assertion).
func within(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("still waiting for %s after 30 s", what)
	}
}

// waitJoined waits until n callers joined the fill in flight.
func waitJoined(t *testing.T, k cacheCase, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for k.joined() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d callers joined the fill, want %d", k.joined(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

type cacheResult struct {
	s   string
	err error
}

// getMany runs n gets at once; the results arrive on the returned channel.
func getMany(ctx context.Context, k cacheCase, n int) <-chan cacheResult {
	out := make(chan cacheResult, n)
	for range n {
		go func() {
			s, err := k.get(ctx)
			out <- cacheResult{s, err}
		}()
	}
	return out
}

// TestCacheSingleFlight: 200 concurrent misses on one key send one read to
// the store, and all get its result; the next get is a hit.
func TestCacheSingleFlight(t *testing.T) {
	const n = 200
	st, finds := cacheStore(t)
	for _, name := range cacheCaseNames {
		t.Run(name, func(t *testing.T) {
			l := newLayer(st)
			k := newCacheCase(t, name, l, st, newCacheFixture(t, st))
			g := newGate(t)
			k.install(g)
			ctx := guarded(t)
			f0 := finds()
			res := getMany(ctx, k, n)
			within(t, g.reached, "the first read")
			waitJoined(t, k, n-1) // every other caller waits on the one read
			g.open()
			for range n {
				if r := <-res; r.err != nil || r.s != k.before {
					t.Fatalf("get = %q, %v; want %q", r.s, r.err, k.before)
				}
			}
			if got := g.reads(); got != 1 {
				t.Errorf("%d concurrent misses made %d reads, want 1", n, got)
			}
			if got := finds() - f0; got != k.finds {
				t.Errorf("%d concurrent misses sent %d find commands, want %d", n, got, k.finds)
			}
			if s, err := k.get(ctx); err != nil || s != k.before || g.reads() != 1 {
				t.Errorf("get after the fill = %q, %v with %d reads; want %q from the cache", s, err, g.reads(), k.before)
			}
		})
	}
}

// TestCacheInvalidationDuringFill: a read that returned before an
// invalidation is not kept, so the next get reads the new data.
func TestCacheInvalidationDuringFill(t *testing.T) {
	st, _ := cacheStore(t)
	for _, name := range cacheCaseNames {
		t.Run(name, func(t *testing.T) {
			l := newLayer(st)
			k := newCacheCase(t, name, l, st, newCacheFixture(t, st))
			g := newGate(t) // held once the old data is read
			k.install(g)
			ctx := guarded(t)
			res := getMany(ctx, k, 1)
			within(t, g.reached, "the first read")
			k.change(t)
			g.open()
			// It asked before the invalidation: the old data is its answer.
			if r := <-res; r.err != nil || r.s != k.before {
				t.Fatalf("get in flight = %q, %v; want %q", r.s, r.err, k.before)
			}
			if s, err := k.get(ctx); err != nil || s != k.after {
				t.Errorf("get after the invalidation = %q, %v; want %q", s, err, k.after)
			}
			if got := g.reads(); got != 2 {
				t.Errorf("%d reads, want 2 (the stale result must not be kept)", got)
			}
		})
	}
}

// TestCacheInvalidationSplitsFill: a caller that comes after an
// invalidation does not join the read in flight, and that read, ending
// last, does not overwrite the fresh result.
func TestCacheInvalidationSplitsFill(t *testing.T) {
	st, _ := cacheStore(t)
	for _, name := range cacheCaseNames {
		t.Run(name, func(t *testing.T) {
			l := newLayer(st)
			k := newCacheCase(t, name, l, st, newCacheFixture(t, st))
			g := newGate(t)
			k.install(g)
			ctx := guarded(t)
			early := getMany(ctx, k, 2)
			within(t, g.reached, "the first read")
			waitJoined(t, k, 1)
			k.change(t)
			if s, err := k.get(ctx); err != nil || s != k.after {
				t.Fatalf("get after the invalidation = %q, %v; want %q", s, err, k.after)
			}
			g.open()
			for range 2 {
				if r := <-early; r.err != nil || r.s != k.before {
					t.Fatalf("get joined before the invalidation = %q, %v; want %q", r.s, r.err, k.before)
				}
			}
			if s, err := k.get(ctx); err != nil || s != k.after || g.reads() != 2 {
				t.Errorf("get = %q, %v with %d reads; want %q from the cache after 2 reads", s, err, g.reads(), k.after)
			}
		})
	}
}

// TestCacheErrorNotCached: a failed read fails every caller that shared
// it, and the next get reads again.
func TestCacheErrorNotCached(t *testing.T) {
	const n = 50
	st, _ := cacheStore(t)
	for _, name := range cacheCaseNames {
		t.Run(name, func(t *testing.T) {
			l := newLayer(st)
			k := newCacheCase(t, name, l, st, newCacheFixture(t, st))
			errDown := errors.New("base indisponible")
			g := newGate(t)
			g.fail = errDown
			k.install(g)
			ctx := guarded(t)
			res := getMany(ctx, k, n)
			within(t, g.reached, "the first read")
			waitJoined(t, k, n-1)
			g.open()
			for range n {
				if r := <-res; !errors.Is(r.err, errDown) {
					t.Fatalf("get = %q, %v; want %v", r.s, r.err, errDown)
				}
			}
			if s, err := k.get(ctx); err != nil || s != k.before {
				t.Errorf("get after the failure = %q, %v; want %q", s, err, k.before)
			}
			if got := g.reads(); got != 2 {
				t.Errorf("%d reads, want 2 (the error must not be kept)", got)
			}
		})
	}
}

// TestCacheLeaderCancelled: the caller that started the read going away
// fails only that caller; the read goes on, under a deadline of its own,
// for the others and is kept.
func TestCacheLeaderCancelled(t *testing.T) {
	const n = 20
	st, _ := cacheStore(t)
	for _, name := range cacheCaseNames {
		t.Run(name, func(t *testing.T) {
			l := newLayer(st)
			k := newCacheCase(t, name, l, st, newCacheFixture(t, st))
			g := newGate(t)
			g.before = true // held before it reads
			k.install(g)
			lctx, cancel := context.WithCancel(guarded(t))
			leader := getMany(lctx, k, 1)
			within(t, g.reached, "the first read")
			others := getMany(guarded(t), k, n)
			waitJoined(t, k, n)
			cancel()
			if r := <-leader; !errors.Is(r.err, context.Canceled) {
				t.Fatalf("cancelled leader: get = %q, %v; want %v", r.s, r.err, context.Canceled)
			}
			g.open()
			for range n {
				if r := <-others; r.err != nil || r.s != k.before {
					t.Fatalf("get = %q, %v; want %q", r.s, r.err, k.before)
				}
			}
			g.mu.Lock()
			ctxErrs := slices.Clone(g.ctxErrs)
			g.mu.Unlock()
			if len(ctxErrs) != 1 || ctxErrs[0] != nil {
				t.Errorf("read context errors %v, want one nil (detached, with a deadline)", ctxErrs)
			}
			if s, err := k.get(guarded(t)); err != nil || s != k.before || g.reads() != 1 {
				t.Errorf("get = %q, %v with %d reads; want %q from the cache", s, err, g.reads(), k.before)
			}
		})
	}
}

// TestCacheUsersBatchJoins: a batch read leads the ids nobody is reading
// and joins the others' reads.
func TestCacheUsersBatchJoins(t *testing.T) {
	st, finds := cacheStore(t)
	l := newLayer(st)
	ctx := guarded(t)
	var us []model.User
	for i := range 3 {
		u := model.User{ID: model.UserID(model.NewID()), Email: model.NewID() + "@exemple.fr", Name: "Soignant " + strconv.Itoa(i), Profession: "infirmier", CreatedAt: time.Now().UTC()}
		if err := st.Users.Insert(ctx, u); err != nil {
			t.Fatal(err)
		}
		us = append(us, u)
	}
	g := newGate(t)
	var mu sync.Mutex
	var batches [][]model.UserID
	l.Users.fills.around = func(ctx context.Context, keys []model.UserID, read func(context.Context) error) error {
		mu.Lock()
		batches = append(batches, slices.Clone(keys))
		mu.Unlock()
		return g.around(ctx, read)
	}
	type result struct {
		m   map[model.UserID]model.User
		err error
	}
	get := func(ids ...model.UserID) <-chan result {
		out := make(chan result, 1)
		go func() {
			us, err := l.Users.ByIDs(ctx, ids)
			m := make(map[model.UserID]model.User, len(us))
			for _, u := range us {
				if _, dup := m[u.ID]; dup {
					err = errors.Join(err, errors.New("user "+string(u.ID)+" returned twice"))
				}
				m[u.ID] = u
			}
			out <- result{m, err}
		}()
		return out
	}
	f0 := finds()
	a := get(us[0].ID, us[1].ID)
	within(t, g.reached, "the first read")
	b := get(us[1].ID, us[2].ID, us[2].ID)
	waitJoined(t, cacheCase{joined: dups(&l.Users.fills, us[1].ID)}, 1)
	g.open()
	for _, x := range []struct {
		r    result
		want []model.User
	}{{<-a, us[:2]}, {<-b, us[1:]}} {
		if x.r.err != nil || len(x.r.m) != len(x.want) {
			t.Fatalf("Users.ByIDs = %v, %v; want %d users", x.r.m, x.r.err, len(x.want))
		}
		for _, u := range x.want {
			if x.r.m[u.ID].Name != u.Name {
				t.Errorf("user %s = %q, want %q", u.ID, x.r.m[u.ID].Name, u.Name)
			}
		}
	}
	want := [][]model.UserID{{us[0].ID, us[1].ID}, {us[2].ID}}
	if !slices.EqualFunc(batches, want, slices.Equal) {
		t.Errorf("reads %v, want %v", batches, want)
	}
	if got := finds() - f0; got != 3 { // FerretDB: one _id lookup per user
		t.Errorf("%d find commands, want 3", got)
	}
}

// memBus joins the layers of one process as Redis joins nodes: what one
// announces, every layer (itself included) applies, through the wire
// encoding.
type memBus struct {
	mu     sync.Mutex
	layers []*Layer
	sent   [][]byte
}

func (b *memBus) Announce(_ context.Context, inv Invalidation) error {
	msg, err := inv.MarshalBinary()
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.sent = append(b.sent, msg)
	layers := b.layers
	b.mu.Unlock()
	for _, l := range layers {
		var got Invalidation
		if err := got.UnmarshalBinary(msg); err != nil {
			return err
		}
		l.Apply(got)
	}
	return nil
}

// TestTwoLayers: two nodes' layers over one store. A write on one node,
// followed by its invalidation, drops the entry on the other at once;
// without the invalidation the other keeps serving what it cached.
func TestTwoLayers(t *testing.T) {
	st, _ := cacheStore(t)
	ctx := guarded(t)
	for _, name := range cacheCaseNames {
		t.Run(name, func(t *testing.T) {
			bus := &memBus{}
			a := New(st, Options{Bus: bus})
			b := New(st, Options{Bus: bus})
			bus.layers = []*Layer{a, b}
			f := newCacheFixture(t, st)
			ka, kb := newCacheCase(t, name, a, st, f), newCacheCase(t, name, b, st, f)
			get := func(k cacheCase, step string, want string) {
				t.Helper()
				if got, err := k.get(ctx); err != nil || got != want {
					t.Fatalf("%s: got %q, %v; want %q", step, got, err, want)
				}
			}
			get(ka, "node a, before", ka.before)
			get(kb, "node b, before", kb.before)
			inv := ka.write(t)
			get(kb, "node b, after the write, before its invalidation (cached)", kb.before)
			a.Invalidate(ctx, inv)
			get(kb, "node b, after node a's invalidation", kb.after)
			get(ka, "node a, after its invalidation", ka.after)
			if len(bus.sent) != 1 {
				t.Errorf("%d announcements, want 1", len(bus.sent))
			}
		})
	}
}

// channelIDs names f's channel "general" and any other "other", sorted.
func channelIDs(chs []model.Channel, f cacheFixture) string {
	var names []string
	for _, ch := range chs {
		if ch.ID == f.ch.ID {
			names = append(names, "general")
		} else {
			names = append(names, "other")
		}
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

// TestInvalidateAnnounceFails: a bus that fails leaves this node's
// invalidation done (the other nodes' TTLs bound theirs).
func TestInvalidateAnnounceFails(t *testing.T) {
	st, _ := cacheStore(t)
	ctx := guarded(t)
	l := New(st, Options{Bus: failingBus{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	f := newCacheFixture(t, st)
	if ch, err := l.Channels.ByID(ctx, f.ch.ID); err != nil || ch.Name != "general" {
		t.Fatalf("channel = %q, %v", ch.Name, err)
	}
	if err := st.Channels.Rename(ctx, f.ch.ID, "renomme"); err != nil {
		t.Fatal(err)
	}
	l.Invalidate(ctx, ChannelChanged(f.ch))
	if ch, err := l.Channels.ByID(ctx, f.ch.ID); err != nil || ch.Name != "renomme" {
		t.Fatalf("channel after the invalidation = %q, %v; want renomme", ch.Name, err)
	}
}

type failingBus struct{}

func (failingBus) Announce(context.Context, Invalidation) error {
	return errors.New("redis: connection refused")
}
