package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// brokenConnErr is FerretDB's answer, as CI logged it, when the
// PostgreSQL connection under an update failed with a queued timeout.
var brokenConnErr = mongo.CommandError{Code: 1, Name: "InternalError", Message: "[msg_update.go:133 handler.(*Handler).updateDocument] " +
	"[collection.go:227 postgresql.(*collection).UpdateAll] timeout: read tcp 127.0.0.1:52470->127.0.0.1:5432: i/o timeout"}

func TestBrokenBackendConn(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{brokenConnErr, true},
		{fmt.Errorf("store: update material: %w", brokenConnErr), true},
		{mongo.CommandError{Code: 1, Message: "timeout: write tcp 127.0.0.1:1->127.0.0.1:5432: i/o timeout"}, true},
		{mongo.CommandError{Code: 1, Message: "UNIQUE constraint failed: x"}, false},
		{mongo.CommandError{Code: 50, Name: "MaxTimeMSExpired", Message: "timeout: read tcp"}, false},
		{context.DeadlineExceeded, false},
		{mongo.ErrNoDocuments, false},
		{nil, false},
	} {
		if got := brokenBackendConn(c.err); got != c.want {
			t.Errorf("brokenBackendConn(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// TestTryOnceMoreOnFerret: on FerretDB an operation that met a broken
// backend connection runs once more (and only once), with the caller's
// deadline hidden; on MongoDB it runs once with the context as given.
func TestTryOnceMoreOnFerret(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run := func(c collection, ctx context.Context, fails int, err error) (calls int, deadlines []bool, got error) {
		_, got = try(ctx, c, func(ctx context.Context) (int, error) {
			calls++
			_, has := ctx.Deadline()
			deadlines = append(deadlines, has)
			if calls <= fails {
				return 0, err
			}
			return 1, nil
		})
		return
	}
	ferret, mongoDB := collection{ferret: true}, collection{}

	calls, deadlines, err := run(ferret, ctx, 1, brokenConnErr)
	if err != nil || calls != 2 || !slices.Equal(deadlines, []bool{false, false}) {
		t.Errorf("ferret, one broken connection: calls %d, deadlines %v, err %v; want 2 calls, no deadline, no error", calls, deadlines, err)
	}
	calls, _, err = run(ferret, ctx, 5, brokenConnErr)
	if !same(err, brokenConnErr) || calls != 2 {
		t.Errorf("ferret, broken every time: calls %d, err %v; want 2 calls and the error", calls, err)
	}
	other := mongo.CommandError{Code: 11000, Message: "duplicate key"}
	if calls, _, err = run(ferret, ctx, 5, other); calls != 1 || !same(err, other) {
		t.Errorf("ferret, another error: calls %d, err %v; want 1 call and the error", calls, err)
	}
	done, stop := context.WithCancel(ctx)
	stop()
	if calls, _, _ = run(ferret, done, 5, brokenConnErr); calls != 1 {
		t.Errorf("ferret, caller gone: %d calls, want 1", calls)
	}
	calls, deadlines, err = run(mongoDB, ctx, 1, brokenConnErr)
	if calls != 1 || !same(err, brokenConnErr) || !slices.Equal(deadlines, []bool{true}) {
		t.Errorf("mongodb: calls %d, deadlines %v, err %v; want 1 call with the deadline and the error", calls, deadlines, err)
	}
}

// TestNoMaxTimeMSToFerret: with a deadline on the context, the commands the
// store sends to the embedded FerretDB carry no maxTimeMS (which makes
// FerretDB cancel behind itself, see collection), while the same calls on
// the driver's own collection do — so the check can fail.
func TestNoMaxTimeMSToFerret(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := embeddedSQLite(t)
	var mu sync.Mutex
	withMax := map[string]int{} // command name → commands sent with maxTimeMS
	mon := &event.CommandMonitor{Started: func(_ context.Context, ev *event.CommandStartedEvent) {
		if _, err := ev.Command.LookupErr("maxTimeMS"); err == nil {
			mu.Lock()
			withMax[ev.CommandName]++
			mu.Unlock()
		}
	}}
	client, err := mongo.Connect(options.Client().ApplyURI(e.URI()).SetMonitor(mon))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	raw := client.Database("maxtime").Collection("docs")
	use := func(c collection) map[string]int {
		t.Helper()
		mu.Lock()
		clear(withMax)
		mu.Unlock()
		if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: 1}}, options.InsertOne()); err != nil && !isDuplicateKey(err) {
			t.Fatal(err)
		}
		var d bson.M
		if err := c.FindOne(ctx, byID("a")).Decode(&d); err != nil {
			t.Fatal(err)
		}
		if err := c.FindOneAndUpdate(ctx, byID("a"), bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}).Err(); err != nil {
			t.Fatal(err)
		}
		cur, err := c.Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		if err := cur.All(ctx, &[]bson.M{}); err != nil {
			t.Fatal(err)
		}
		cur, err = c.Aggregate(ctx, mongo.Pipeline{{{Key: "$match", Value: bson.D{}}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := cur.All(ctx, &[]bson.M{}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(withMax)
	}
	if got := use(collection{Collection: raw}); got["find"] == 0 || got["findAndModify"] == 0 || got["insert"] == 0 {
		t.Fatalf("the driver's collection sent maxTimeMS with %v; the check below would prove nothing", got)
	}
	if got := use(collection{Collection: raw, ferret: true}); len(got) != 0 {
		t.Errorf("commands sent to FerretDB with maxTimeMS: %v", got)
	}
}

// same reports whether err is want (a mongo.CommandError, which == cannot
// compare).
func same(err, want error) bool { return err != nil && err.Error() == want.Error() }
