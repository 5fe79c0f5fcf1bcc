package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/ecpts/ecpts/internal/model"
)

// RSVPs holds the answers to events: the rsvps collection, _id = postID +
// ":" + userID (one answer per member and event, the last given), and,
// for an event with a capacity, its seats.
//
// The capacity holds under concurrency without transactions: an "oui"
// must first claim a seat, a document of rsvp_seats with _id = postID +
// ":" + n for some 1 ≤ n ≤ capacity, by inserting it, which only one
// caller can win on every backend; a unique index on its holder (postID
// + ":" + userID) gives a member one seat at most. An answer other than
// "oui" releases the seat. So at most capacity members ever hold a seat
// at once, whatever the interleaving.
//
// On FerretDB's SQLite backend, which reads the whole collection for any
// filter but a lone _id (and rsvp_seats holds every seat of the
// platform), a member's seat is found by _id alone: rsvp_holds has, with
// _id = the holder, the number of the seat the member holds or is
// claiming. It is written before the seat is claimed and only points: the
// seat document decides (a pointer to a seat held by someone else, or by
// nobody, means no seat). A pointer lost to a race of two claims of the
// same member, or to a crash, is repaired by the claim that the holder
// index refuses (seatScan, the one lookup by holder left there). MongoDB
// and FerretDB's PostgreSQL backend look the holder up on its index
// (accelerate's on PostgreSQL) and need no pointer.
type RSVPs struct {
	coll    collection
	seats   collection
	holds   collection
	backend string
	lite    *sqliteReader // FerretDB-SQLite: post_id lookups on its index
}

// pointed: the seats are found through rsvp_holds (FerretDB-SQLite).
func (r *RSVPs) pointed() bool { return r.backend == BackendFerretDBSQLite }

// ErrFull is the error (wrapped, and itself a model.ErrConflict) of an
// "oui" to an event whose seats are all taken.
var ErrFull = fmt.Errorf("no seat left: %w", model.ErrConflict)

type rsvpDoc struct {
	ID     string           `bson:"_id"`
	PostID model.PostID     `bson:"post_id"`
	UserID model.UserID     `bson:"user_id"`
	Answer model.RSVPAnswer `bson:"answer"`
	At     time.Time        `bson:"at"`
}

func (d rsvpDoc) model() model.RSVP {
	return model.RSVP{PostID: d.PostID, UserID: d.UserID, Answer: d.Answer, At: d.At.UTC()}
}

type seatDoc struct {
	ID     string       `bson:"_id"`
	PostID model.PostID `bson:"post_id"`
	N      int          `bson:"n"`
	Holder string       `bson:"holder"`
	At     time.Time    `bson:"at"`
}

func seatID(post model.PostID, n int) string { return fmt.Sprintf("%s:%d", post, n) }

// holdDoc points to the seat a member holds or is claiming (_id: the
// holder, postID + ":" + userID).
type holdDoc struct {
	ID     string       `bson:"_id"`
	PostID model.PostID `bson:"post_id"`
	N      int          `bson:"n"`
}

// EnsureIndexes creates the post_id index of rsvps and rsvp_seats and the
// unique holder index of rsvp_seats; idempotent.
func (r *RSVPs) EnsureIndexes(ctx context.Context) error {
	if err := ensureIndexes(ctx, r.coll, index("post_id", "post_id")); err != nil {
		return err
	}
	return ensureIndexes(ctx, r.seats,
		index("post_id", "post_id"),
		uniqueIndex("holder_unique", "holder"),
	)
}

// Set records the member's answer to the event post. capacity is the
// event's (0: unlimited). An "oui" to a full event returns ErrFull and
// leaves the previous answer in place; answering "oui" again keeps the
// seat held. The caller has checked the rules (member, deadline, event
// not over).
//
// Two answers of the same member at the same moment end consistent: the
// seat follows the answer that was written last (reconcile).
func (r *RSVPs) Set(ctx context.Context, x model.RSVP, capacity int) (model.RSVP, error) {
	what := fmt.Sprintf("rsvp of %s to %s", x.UserID, x.PostID)
	if !x.Answer.Valid() {
		return model.RSVP{}, fmt.Errorf("store: %s: unknown answer %q", what, x.Answer)
	}
	if capacity > 0 && x.Answer == model.RSVPYes {
		if _, err := r.claimSeat(ctx, x.PostID, x.UserID, capacity, x.At); err != nil {
			return model.RSVP{}, err
		}
	}
	d := rsvpDoc{ID: pairID(x.PostID, x.UserID), PostID: x.PostID, UserID: x.UserID, Answer: x.Answer, At: msUTC(x.At)}
	if err := replaceUpsert(ctx, r.coll, d.ID, d); err != nil {
		return model.RSVP{}, dbErr(err, what)
	}
	if capacity > 0 {
		if err := r.reconcile(ctx, x.PostID, x.UserID, capacity, x.At); err != nil {
			return model.RSVP{}, err
		}
	}
	return d.model(), nil
}

// claimSeat gives the member a seat of the event, the one they hold if
// any, else the lowest free one; ErrFull when none is left.
func (r *RSVPs) claimSeat(ctx context.Context, post model.PostID, user model.UserID, capacity int, at time.Time) (int, error) {
	what := fmt.Sprintf("seat of %s at %s", user, post)
	holder := pairID(post, user)
	if n, err := r.seatOf(ctx, post, holder); err != nil || n > 0 {
		return n, err
	}
	var seats []seatDoc
	if err := findAll(ctx, r.seats, eq("post_id", post), nil, &seats); err != nil {
		return 0, dbErr(err, what)
	}
	taken := make(map[int]bool, len(seats))
	for _, s := range seats {
		taken[s.N] = true
	}
	// The pointer first, to the first free seat: uncontended, once the
	// seat is ours it points to it, whatever happens next. A claim that
	// loses that seat to another member moves it once it has won one.
	pointed := 0
	for n := 1; n <= capacity; n++ {
		if !taken[n] {
			if err := r.point(ctx, post, holder, n); err != nil {
				return 0, err
			}
			pointed = n
			break
		}
	}
	won := func(n int) (int, error) {
		if n == pointed {
			return n, nil
		}
		return n, r.point(ctx, post, holder, n)
	}
	retries := 0
	for n := 1; n <= capacity; n++ {
		if taken[n] {
			continue
		}
		_, err := r.seats.InsertOne(ctx, seatDoc{ID: seatID(post, n), PostID: post, N: n, Holder: holder, At: msUTC(at)})
		if err == nil {
			return won(n)
		}
		if !isDuplicateKey(err) {
			return 0, dbErr(err, what)
		}
		// Seat n was taken meanwhile, or this member got another one
		// (the holder index): look which.
		var s seatDoc
		err = r.seats.FindOne(ctx, byID(seatID(post, n))).Decode(&s)
		switch {
		case err == nil && s.Holder == holder:
			return won(n)
		case err == nil:
			continue
		case errors.Is(err, mongo.ErrNoDocuments):
			// The holder index refused it: a concurrent claim of this
			// member won a seat, and may have left the pointer on another.
			if m, err := r.seatScan(ctx, holder); err != nil || m > 0 {
				if err != nil {
					return 0, err
				}
				return m, r.point(ctx, post, holder, m)
			}
			// Freed between the two reads: try it again (a few times).
			if retries < 3 {
				retries++
				n--
			}
		default:
			return 0, dbErr(err, what)
		}
	}
	return 0, fmt.Errorf("store: %s: %w", what, ErrFull)
}

// point records that the holder holds, or is claiming, seat n: an insert,
// or a delete and an insert again (an upsert is a read then a write on
// FerretDB anyway). Seats held before pointers existed got theirs from a
// migration (backfillSeatPointers).
func (r *RSVPs) point(ctx context.Context, post model.PostID, holder string, n int) error {
	if !r.pointed() {
		return nil
	}
	what := "seat pointer of " + holder
	for try := 0; ; try++ {
		_, err := r.holds.InsertOne(ctx, holdDoc{ID: holder, PostID: post, N: n})
		if err == nil {
			return nil
		}
		if !isDuplicateKey(err) {
			return dbErr(err, what)
		}
		var h holdDoc
		err = r.holds.FindOne(ctx, byID(holder)).Decode(&h)
		switch {
		case err == nil && h.N == n:
			return nil
		case err == nil:
			if _, err := r.holds.DeleteOne(ctx, byID(holder)); err != nil {
				return dbErr(err, what)
			}
		case !errors.Is(err, mongo.ErrNoDocuments):
			return dbErr(err, what)
		}
		if try == 3 {
			// Another claim of the same member keeps rewriting it: that
			// claim leaves it right (a wrong one is repaired, seatScan).
			return nil
		}
	}
}

// seatOf returns the seat the holder has (0: none), by _id only: the
// holder's pointer, then the seat it points to, which must be theirs.
func (r *RSVPs) seatOf(ctx context.Context, post model.PostID, holder string) (int, error) {
	if !r.pointed() {
		return r.seatScan(ctx, holder)
	}
	var h holdDoc
	err := r.holds.FindOne(ctx, byID(holder)).Decode(&h)
	if errors.Is(err, mongo.ErrNoDocuments) || err == nil && h.N < 1 {
		return 0, nil
	}
	if err != nil {
		return 0, dbErr(err, "seat pointer of "+holder)
	}
	var s seatDoc
	err = r.seats.FindOne(ctx, byID(seatID(post, h.N))).Decode(&s)
	if errors.Is(err, mongo.ErrNoDocuments) || err == nil && s.Holder != holder {
		return 0, nil
	}
	if err != nil {
		return 0, dbErr(err, "seat of "+holder)
	}
	return h.N, nil
}

// seatScan finds the holder's seat by the holder field: on FerretDB-SQLite
// a read of the whole collection, so there only when a claim was refused
// by the holder index (the pointer was lost to a race or a crash).
func (r *RSVPs) seatScan(ctx context.Context, holder string) (int, error) {
	var seats []seatDoc
	if err := findAll(ctx, r.seats, eq("holder", holder), nil, &seats); err != nil {
		return 0, dbErr(err, "seat of "+holder)
	}
	if len(seats) == 0 {
		return 0, nil
	}
	return seats[0].N, nil
}

// release frees seat n if the holder still has it: a delete by holder.
// FerretDB-SQLite filters on anything but a lone _id by
// reading the whole collection, and runs every delete as a query then a
// delete by _id anyway, so there the seat is read by _id, checked, and
// deleted by _id: the same steps, without the scan.
func (r *RSVPs) release(ctx context.Context, post model.PostID, holder string, n int) error {
	what := "release seat of " + holder
	filter := byID(seatID(post, n))
	if !r.pointed() {
		filter = eq("holder", holder) // on its index
	} else {
		var s seatDoc
		err := r.seats.FindOne(ctx, filter).Decode(&s)
		if errors.Is(err, mongo.ErrNoDocuments) || err == nil && s.Holder != holder {
			return nil
		}
		if err != nil {
			return dbErr(err, what)
		}
	}
	if _, err := r.seats.DeleteOne(ctx, filter); err != nil {
		return dbErr(err, what)
	}
	return nil
}

// answer returns the stored answer ("" none).
func (r *RSVPs) answer(ctx context.Context, post model.PostID, user model.UserID) (model.RSVPAnswer, error) {
	x, err := r.Get(ctx, post, user)
	if errors.Is(err, model.ErrNotFound) {
		return "", nil
	}
	return x.Answer, err
}

// reconcile makes the seat follow the stored answer: a seat held without
// an "oui" is released, an "oui" without a seat claims one. It repeats
// until a pass changes nothing, so when two answers of one member race,
// the pass that runs after the last write sees it and settles the seat.
// An "oui" that finds no seat left in that race stays without one.
func (r *RSVPs) reconcile(ctx context.Context, post model.PostID, user model.UserID, capacity int, at time.Time) error {
	holder := pairID(post, user)
	for pass := 0; pass < 8; pass++ {
		a, err := r.answer(ctx, post, user)
		if err != nil {
			return err
		}
		n, err := r.seatOf(ctx, post, holder)
		if err != nil {
			return err
		}
		switch {
		case a == model.RSVPYes && n == 0:
			if _, err := r.claimSeat(ctx, post, user, capacity, at); errors.Is(err, ErrFull) {
				return nil
			} else if err != nil {
				return err
			}
		case a != model.RSVPYes && n > 0:
			if err := r.release(ctx, post, holder, n); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

// Get returns the member's answer to the event; ErrNotFound when none.
func (r *RSVPs) Get(ctx context.Context, post model.PostID, user model.UserID) (model.RSVP, error) {
	return getByID[rsvpDoc](ctx, r.coll, pairID(post, user), fmt.Sprintf("rsvp of %s to %s", user, post))
}

// Mine returns the member's answers to those of posts they answered.
func (r *RSVPs) Mine(ctx context.Context, user model.UserID, posts []model.PostID) (map[model.PostID]model.RSVP, error) {
	ids := mapSlice(posts, func(p model.PostID) string { return pairID(p, user) })
	return modelsByKey(ctx, r.coll, r.backend != BackendMongoDB, ids, func(d rsvpDoc) model.PostID { return d.PostID }, "rsvps of "+string(user))
}

// ByPost returns every answer to the event, oldest first: the organiser's
// list (core groups it by profession and exports it).
func (r *RSVPs) ByPost(ctx context.Context, post model.PostID) ([]model.RSVP, error) {
	return findOldestFirst(ctx, r.coll, eq("post_id", post), func(x rsvpDoc) (time.Time, string) { return x.At, x.ID }, "rsvps to "+string(post))
}

// Counts returns the answer counts of each post (posts without answers
// count zero).
func (r *RSVPs) Counts(ctx context.Context, posts []model.PostID) (map[model.PostID]model.RSVPCounts, error) {
	out := make(map[model.PostID]model.RSVPCounts, len(posts))
	for _, p := range posts {
		out[p] = model.RSVPCounts{}
	}
	ids := mapSlice(posts, func(p model.PostID) string { return string(p) })
	if r.lite != nil {
		if err := r.countsSQLite(ctx, uniqStrings(ids), out); err != nil {
			return nil, dbErr(err, fmt.Sprintf("rsvp counts of %d posts", len(posts)))
		}
		return out, nil
	}
	docs, err := findAny(ctx, r.coll, r.backend, "post_id", ids, nil, func(d rsvpDoc) string { return d.ID })
	if err != nil {
		return nil, dbErr(err, fmt.Sprintf("rsvp counts of %d posts", len(posts)))
	}
	for _, d := range docs {
		c := out[d.PostID]
		switch d.Answer {
		case model.RSVPYes:
			c.Yes++
		case model.RSVPNo:
			c.No++
		case model.RSVPMaybe:
			c.Maybe++
		}
		out[d.PostID] = c
	}
	return out, nil
}

// countsSQLite counts the answers to posts in the SQLite file, on the
// post_id index (FerretDB would read the whole collection), into out.
func (r *RSVPs) countsSQLite(ctx context.Context, posts []string, out map[model.PostID]model.RSVPCounts) error {
	if len(posts) == 0 {
		return nil
	}
	from, args, err := r.lite.whereIn(ctx, r.coll.Name(), "post_id", posts)
	if err != nil || from == "" {
		return err
	}
	rows, err := r.lite.db.QueryContext(ctx, `SELECT _ferretdb_sjson->>'$.post_id', _ferretdb_sjson->>'$.answer', count(*)`+from+` GROUP BY 1, 2`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var post model.PostID
		var answer model.RSVPAnswer
		var n int
		if err := rows.Scan(&post, &answer, &n); err != nil {
			return err
		}
		c := out[post]
		switch answer {
		case model.RSVPYes:
			c.Yes += n
		case model.RSVPNo:
			c.No += n
		case model.RSVPMaybe:
			c.Maybe += n
		}
		out[post] = c
	}
	return rows.Err()
}
