package storetest

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

// Run runs the contract suite. open must return a store on a fresh, empty
// database and arrange its cleanup; it is called once per subtest.
func Run(t *testing.T, open func(t *testing.T) *store.Store) {
	suites := []struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) *store.Store)
	}{
		{"Store", testStore},
		{"Users", testUsers},
		{"CPTS", testCPTS},
		{"Memberships", testMemberships},
		{"Groups", testGroups},
		{"GroupMembers", testGroupMembers},
		{"Channels", testChannels},
		{"ChannelMembers", testChannelMembers},
		{"Sessions", testSessions},
		{"Invitations", testInvitations},
		{"Messages", testMessages},
		{"ReadState", testReadState},
		{"Audit", testAudit},
		{"Posts", testPosts},
		{"PostReactions", testPostReactions},
		{"RSVPs", testRSVPs},
		{"CalendarTokens", testCalendarTokens},
		{"Protocols", testProtocols},
		{"ProtocolReviewsAndAcks", testProtocolReviewsAndAcks},
		{"Materials", testMaterials},
		{"Files", testFiles},
		{"Issue13", testIssue13},
	}
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) { s.run(t, open) })
	}
}

// base has nanoseconds and a non-UTC zone on purpose: the store must
// return it in UTC, truncated to the millisecond.
var base = time.Date(2026, 3, 14, 9, 26, 53, 589_793_238, time.FixedZone("CET", 3600))

// at returns base shifted by d.
func at(d time.Duration) time.Time { return base.Add(d) }

// ms is what the store gives back for t.
func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func msPtr(t time.Time) *time.Time { v := ms(t); return &v }

// stored is what the store gives back for x, a model struct: its times
// (time.Time and non-nil *time.Time fields) in UTC to the millisecond.
func stored[T any](x T) T {
	v := reflect.ValueOf(&x).Elem()
	for i := range v.NumField() {
		switch f := v.Field(i).Addr().Interface().(type) {
		case *time.Time:
			*f = ms(*f)
		case **time.Time:
			if *f != nil {
				*f = msPtr(**f)
			}
		}
	}
	return x
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func id() string { return model.NewID() }

// must fails the test on err.
func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantErr checks errors.Is(err, target) and that the message leaks none
// of secrets (e-mails, names, tokens: the store's errors carry ids only).
// insertAll inserts xs in that order with insert, failing the test at
// the first error.
func insertAll[T any](t *testing.T, ctx context.Context, insert func(context.Context, T) error, xs ...T) {
	t.Helper()
	for _, x := range xs {
		must(t, insert(ctx, x), "insert")
	}
}

func wantErr(t *testing.T, err, target error, what string, secrets ...string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
	msg := strings.ToLower(err.Error())
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, strings.ToLower(s)) {
			t.Errorf("%s: error %q leaks %q", what, err, s)
		}
	}
}

func equal[T any](t *testing.T, got, want T, what string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// wantRead checks a store read: it succeeds (what names the call in the
// failure) and returns want (desc names the check), as in
// wantRead(t, "by user", "ByUser", want)(s.Things.ByUser(ctx, u)).
func wantRead[T any](t *testing.T, what, desc string, want T) func(got T, err error) {
	return func(got T, err error) {
		t.Helper()
		must(t, err, what)
		equal(t, got, want, desc)
	}
}

// wantEmpty checks a store read of a list: it succeeds (what names the
// call in the failure) and returns an empty list, not nil (desc names the
// call), as in
// wantEmpty[model.Thing](t, "by unknown user", "ByUser(unknown)")(s.Things.ByUser(ctx, u)).
func wantEmpty[T any](t *testing.T, what, desc string) func(got []T, err error) {
	return func(got []T, err error) {
		t.Helper()
		must(t, err, what)
		if got == nil || len(got) != 0 {
			t.Fatalf("%s = %#v, want an empty slice", desc, got)
		}
	}
}

// ids extracts the ids of xs, for order checks.
func ids[T any, I ~string](xs []T, f func(T) I) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, string(f(x)))
	}
	return out
}

func testStore(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("PingAndBackend", func(t *testing.T) {
		s := open(t)
		must(t, s.Ping(ctxT(t)), "ping")
		switch s.Backend() {
		case store.BackendMongoDB, store.BackendFerretDBPostgreSQL, store.BackendFerretDBSQLite:
		default:
			t.Fatalf("Backend() = %q", s.Backend())
		}
	})
	t.Run("MigrationsAppliedOnce", func(t *testing.T) {
		s := open(t)
		ctx := ctxT(t)
		v, err := s.SchemaVersion(ctx)
		must(t, err, "schema version")
		if v != store.LatestSchemaVersion() || v < 1 {
			t.Fatalf("schema version after Open = %d, want %d", v, store.LatestSchemaVersion())
		}
		must(t, s.Migrate(ctx), "second migrate")
		must(t, s.Migrate(ctx), "third migrate")
		v2, err := s.SchemaVersion(ctx)
		must(t, err, "schema version")
		if v2 != v {
			t.Fatalf("schema version moved from %d to %d on a no-op migrate", v, v2)
		}
	})
}

// atOnce runs f(0) … f(n-1) in goroutines released together, and waits
// for them all.
func atOnce(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

// editsRaceDeletion runs four edits (edit(i), which may find the document
// deleted: ErrNotFound) and one deletion of the same document at once.
func editsRaceDeletion(t *testing.T, edit func(i int) error, del func() error) {
	t.Helper()
	atOnce(5, func(i int) {
		if i == 4 {
			if err := del(); err != nil {
				t.Errorf("delete: %v", err)
			}
			return
		}
		if err := edit(i); err != nil && !errors.Is(err, model.ErrNotFound) {
			t.Errorf("update: %v", err)
		}
	})
}

// allPages follows a list's cursors from the first page, checking each
// page's total, and returns the ids of every page in order.
func allPages(t *testing.T, total int, list func(after string) (ids []string, total int, next string, err error)) []string {
	t.Helper()
	var paged []string
	after := ""
	for i := 0; ; i++ {
		ids, n, next, err := list(after)
		must(t, err, "page")
		equal(t, n, total, "total")
		paged = append(paged, ids...)
		if next == "" {
			return paged
		}
		if i > 5 {
			t.Fatal("paging does not end")
		}
		after = next
	}
}
