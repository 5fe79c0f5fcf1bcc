package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ecpts/ecpts/internal/model"
)

// TestRSVPSeatLookupsByID: on FerretDB-SQLite, whose filters other than a
// lone _id read the whole collection, answering, answering again and
// changing one's answer to an event with a capacity look up the member's
// seat by _id only (the seats of a post are listed by post_id only to
// claim a new one). Every find and delete the driver sends to the seat
// collections is recorded and its filter checked.
func TestRSVPSeatLookupsByID(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := embeddedSQLite(t)
	s, err := Open(ctx, Options{Embedded: e, Database: "seats", Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close(context.Background()) }()

	var mu sync.Mutex
	var filters []string // "command collection: keys of the filter"
	record := func(cmd bson.Raw, name string) {
		coll, _ := cmd.Lookup(name).StringValueOK()
		if coll != "rsvp_seats" && coll != "rsvp_holds" {
			return
		}
		var docs []bson.Raw
		switch name {
		case "find":
			if f, ok := cmd.Lookup("filter").DocumentOK(); ok {
				docs = append(docs, f)
			}
		case "delete":
			arr, _ := cmd.Lookup("deletes").ArrayOK()
			vals, _ := arr.Values()
			for _, v := range vals {
				if q, ok := v.Document().Lookup("q").DocumentOK(); ok {
					docs = append(docs, q)
				}
			}
		case "update":
			arr, _ := cmd.Lookup("updates").ArrayOK()
			vals, _ := arr.Values()
			for _, v := range vals {
				if q, ok := v.Document().Lookup("q").DocumentOK(); ok {
					docs = append(docs, q)
				}
			}
		default:
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, d := range docs {
			elems, _ := d.Elements()
			keys := ""
			for _, el := range elems {
				keys += el.Key() + ","
			}
			filters = append(filters, fmt.Sprintf("%s %s: %s", name, coll, keys))
		}
	}
	mon := &event.CommandMonitor{Started: func(_ context.Context, ev *event.CommandStartedEvent) { record(ev.Command, ev.CommandName) }}
	client, err := mongo.Connect(options.Client().ApplyURI(e.URI()).SetMonitor(mon))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	db := client.Database("seats")
	c := func(name string) collection { return collection{db.Collection(name), true} }
	r := &RSVPs{coll: c("rsvps"), seats: c("rsvp_seats"), holds: c("rsvp_holds"), backend: s.backend}

	post := model.PostID(model.NewID())
	u1, u2, u3 := model.UserID(model.NewID()), model.UserID(model.NewID()), model.UserID(model.NewID())
	now := time.Now()
	set := func(u model.UserID, a model.RSVPAnswer) error {
		_, err := r.Set(ctx, model.RSVP{PostID: post, UserID: u, Answer: a, At: now}, 2)
		return err
	}
	for i, step := range []struct {
		u    model.UserID
		a    model.RSVPAnswer
		full bool
	}{
		{u: u1, a: model.RSVPYes}, {u: u2, a: model.RSVPYes}, {u: u1, a: model.RSVPYes}, {u: u3, a: model.RSVPYes, full: true},
		{u: u1, a: model.RSVPNo}, {u: u3, a: model.RSVPYes}, {u: u2, a: model.RSVPMaybe}, {u: u1, a: model.RSVPYes},
	} {
		err := set(step.u, step.a)
		if step.full != (err != nil) {
			t.Fatalf("step %d: %v (full: %v)", i, err, step.full)
		}
	}
	counts, err := s.RSVPs.Counts(ctx, []model.PostID{post})
	if err != nil || counts[post].Yes != 2 {
		t.Fatalf("counts %+v %v", counts, err)
	}
	mu.Lock()
	defer mu.Unlock()
	var byID, byPost int
	for _, f := range filters {
		switch f {
		case "find rsvp_seats: _id,", "find rsvp_holds: _id,", "delete rsvp_seats: _id,", "delete rsvp_holds: _id,":
			byID++
		case "find rsvp_seats: post_id,":
			byPost++
		default:
			t.Errorf("a seat lookup that is not by _id: %s", f)
		}
	}
	if byID == 0 || byPost == 0 {
		t.Fatalf("no seat lookup recorded: %v", filters)
	}
}

// TestSeatPointersBackfill: a seat held before pointers existed gets one
// from migration 3, so the member's "non" frees it.
func TestSeatPointersBackfill(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, Options{Embedded: embeddedSQLite(t), Database: "backfill", Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close(context.Background()) }()
	post, u, other := model.PostID(model.NewID()), model.UserID(model.NewID()), model.UserID(model.NewID())
	now := time.Now()
	// As stored before: an answer and its seat, no pointer.
	if _, err := s.RSVPs.coll.InsertOne(ctx, rsvpDoc{ID: pairID(post, u), PostID: post, UserID: u, Answer: model.RSVPYes, At: msUTC(now)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RSVPs.seats.InsertOne(ctx, seatDoc{ID: seatID(post, 1), PostID: post, N: 1, Holder: pairID(post, u), At: msUTC(now)}); err != nil {
		t.Fatal(err)
	}
	if err := backfillSeatPointers(ctx, s.db); err != nil {
		t.Fatal(err)
	}
	if err := backfillSeatPointers(ctx, s.db); err != nil {
		t.Fatalf("run again: %v", err)
	}
	if _, err := s.RSVPs.Set(ctx, model.RSVP{PostID: post, UserID: u, Answer: model.RSVPNo, At: now}, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RSVPs.Set(ctx, model.RSVP{PostID: post, UserID: other, Answer: model.RSVPYes, At: now}, 1); err != nil {
		t.Fatalf("the seat freed by the non: %v", err)
	}
}
