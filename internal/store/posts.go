package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/errgroup"

	"github.com/ecpts/ecpts/internal/model"
)

// Posts is the feed of each CPTS and group: the posts collection, _id =
// model.PostIDOf(feed, seq), with its companions:
//
//   - post_seqs: _id = feed key, the feed's recorded last seq (a hint:
//     LastSeq verifies it and gallops up from it);
//   - post_pins: _id = post id, one document per pinned post. Pinning
//     lives apart from the post so that it never races an edit (FerretDB
//     writes an update back whole);
//   - post_events: _id = post id, the start and end of each event post,
//     small documents that Upcoming reads instead of the posts;
//   - tombstones, shared with materials (see tombstones).
//
// A feed's seqs are contiguous from 1 (Insert takes the next one under the
// unique _id, retrying on a conflict); a deleted post keeps its seq. So a
// feed page is read like a range of messages: by _id on FerretDB-SQLite,
// by the "page" field (32 seqs) on FerretDB-PostgreSQL, by a range query
// on MongoDB.
type Posts struct {
	coll    collection
	seqs    collection
	pins    collection
	events  collection
	tombs   tombstones
	backend string
	lite    *sqliteReader // FerretDB-SQLite: pins by feed on its index
}

// postsPerPage groups the posts of a feed for range reads on
// FerretDB-PostgreSQL, as messagesPerPage does for messages.
const postsPerPage = 32

func postPage(feed string, seq uint64) string {
	return fmt.Sprintf("%s:%d", feed, (seq-1)/postsPerPage)
}

type eventInfoDoc struct {
	StartsAt       time.Time  `bson:"starts_at"`
	EndsAt         time.Time  `bson:"ends_at"`
	Place          string     `bson:"place,omitempty"`
	VisioURL       string     `bson:"visio_url,omitempty"`
	Capacity       int        `bson:"capacity"`
	SignupDeadline *time.Time `bson:"signup_deadline,omitempty"`
}

type postDoc struct {
	ID              model.PostID    `bson:"_id"`
	Feed            string          `bson:"feed"`
	Seq             int64           `bson:"seq"`
	Page            string          `bson:"page"`
	CPTSID          model.CPTSID    `bson:"cpts_id,omitempty"`
	GroupID         model.GroupID   `bson:"group_id,omitempty"`
	Kind            model.PostKind  `bson:"kind"`
	Title           string          `bson:"title"`
	Body            string          `bson:"body"`
	HTML            string          `bson:"html"`
	Text            string          `bson:"text"`
	AuthorID        model.UserID    `bson:"author_id"`
	Event           *eventInfoDoc   `bson:"event,omitempty"`
	CommentsChannel model.ChannelID `bson:"comments_channel"`
	Files           []model.FileID  `bson:"files,omitempty"`
	CreatedAt       time.Time       `bson:"created_at"`
	EditedAt        *time.Time      `bson:"edited_at,omitempty"`
	DeletedAt       *time.Time      `bson:"deleted_at"` // null until deleted: filters match it with null
}

func eventToDoc(e *model.EventInfo) *eventInfoDoc {
	if e == nil {
		return nil
	}
	return &eventInfoDoc{
		StartsAt: msUTC(e.StartsAt), EndsAt: msUTC(e.EndsAt), Place: e.Place, VisioURL: e.VisioURL,
		Capacity: e.Capacity, SignupDeadline: msUTCPtr(e.SignupDeadline),
	}
}

func postToDoc(p model.Post) postDoc {
	feed := p.Scope().Key()
	return postDoc{
		ID: model.PostIDOf(p.Scope(), p.Seq), Feed: feed, Seq: int64(p.Seq), Page: postPage(feed, p.Seq),
		CPTSID: p.CPTSID, GroupID: p.GroupID, Kind: p.Kind, Title: p.Title, Body: p.Body, HTML: p.HTML, Text: p.Text,
		AuthorID: p.AuthorID, Event: eventToDoc(p.Event), CommentsChannel: p.CommentsChannel, Files: p.Files,
		CreatedAt: msUTC(p.CreatedAt), EditedAt: msUTCPtr(p.EditedAt), DeletedAt: msUTCPtr(p.DeletedAt),
	}
}

func (d postDoc) model() model.Post {
	p := model.Post{
		ID: d.ID, Seq: uint64(d.Seq), CPTSID: d.CPTSID, GroupID: d.GroupID, Kind: d.Kind, Title: d.Title,
		Body: d.Body, HTML: d.HTML, Text: d.Text, AuthorID: d.AuthorID, CommentsChannel: d.CommentsChannel,
		Files: d.Files, CreatedAt: d.CreatedAt.UTC(), EditedAt: utcPtr(d.EditedAt), DeletedAt: utcPtr(d.DeletedAt),
	}
	if e := d.Event; e != nil {
		p.Event = &model.EventInfo{
			StartsAt: e.StartsAt.UTC(), EndsAt: e.EndsAt.UTC(), Place: e.Place, VisioURL: e.VisioURL,
			Capacity: e.Capacity, SignupDeadline: utcPtr(e.SignupDeadline),
		}
	}
	return p
}

type postSeqDoc struct {
	ID      string `bson:"_id"`
	LastSeq int64  `bson:"last_seq"`
}

type pinDoc struct {
	ID       model.PostID `bson:"_id"`
	Feed     string       `bson:"feed"`
	PinnedAt time.Time    `bson:"pinned_at"`
	PinnedBy model.UserID `bson:"pinned_by"`
}

func (d pinDoc) apply(p *model.Post) {
	at := d.PinnedAt.UTC()
	p.Pinned, p.PinnedAt, p.PinnedBy = true, &at, d.PinnedBy
}

type postEventDoc struct {
	ID       model.PostID `bson:"_id"`
	Feed     string       `bson:"feed"`
	StartsAt time.Time    `bson:"starts_at"`
	EndsAt   time.Time    `bson:"ends_at"`
}

// EnsureIndexes creates the unique (feed, seq) index of posts, and the
// feed indexes of post_pins and post_events; idempotent.
func (s *Posts) EnsureIndexes(ctx context.Context) error {
	if err := ensureIndexes(ctx, s.coll,
		uniqueIndex("feed_seq_unique", "feed", "seq"),
	); err != nil {
		return err
	}
	if err := ensureIndexes(ctx, s.pins, index("feed", "feed")); err != nil {
		return err
	}
	return ensureIndexes(ctx, s.events, index("feed_ends_at", "feed", "ends_at"))
}

func postTomb(id model.PostID) string { return "post:" + string(id) }

func checkPost(p model.Post) error {
	switch {
	case !p.Scope().Valid():
		return errors.New("a post belongs to exactly one CPTS or group")
	case !p.Kind.Valid():
		return fmt.Errorf("unknown kind %q", p.Kind)
	case (p.Kind == model.PostEvent) != (p.Event != nil):
		return errors.New("an event post, and only it, has event details")
	case p.Event != nil && p.Event.EndsAt.Before(p.Event.StartsAt):
		return errors.New("an event ends before it starts")
	}
	return nil
}

// maxSeqAttempts bounds Insert's retries when concurrent inserts take the
// seq it tried.
const maxSeqAttempts = 50

// Insert stores a new post at the end of its feed and returns it as
// stored: Seq and ID assigned, times in UTC to the millisecond, not
// pinned, not deleted. Seq and ID given are ignored. A post without a
// valid scope (exactly one of CPTSID and GroupID), with an unknown kind,
// or whose Event does not match its kind (or ends before it starts) is
// refused. Events are indexed for Upcoming; should that write fail, the
// post is stored all the same and the error says so (Update indexes it
// again).
func (s *Posts) Insert(ctx context.Context, p model.Post) (model.Post, error) {
	if err := checkPost(p); err != nil {
		return model.Post{}, fmt.Errorf("store: insert post in %s: %w", p.Scope(), err)
	}
	scope := p.Scope()
	p.Pinned, p.PinnedAt, p.PinnedBy, p.DeletedAt = false, nil, "", nil
	last, err := s.LastSeq(ctx, scope)
	if err != nil {
		return model.Post{}, err
	}
	for attempt := 0; ; attempt++ {
		p.Seq = last + 1
		p.ID = model.PostIDOf(scope, p.Seq)
		d := postToDoc(p)
		_, err := s.coll.InsertOne(ctx, d)
		if err == nil {
			// The recorded last seq is a hint that LastSeq checks: failing
			// to raise it costs a few lookups later, nothing else.
			_ = s.recordSeq(ctx, d.Feed, p.Seq)
			if err := s.indexEvent(ctx, d); err != nil {
				return model.Post{}, fmt.Errorf("store: post %s stored, its event not indexed: %w", p.ID, err)
			}
			return d.model(), nil
		}
		if !isDuplicateKey(err) || attempt == maxSeqAttempts {
			return model.Post{}, dbErr(err, "insert post "+string(p.ID))
		}
		// Another post took this seq: find the new end of the feed.
		if last, err = s.lastSeq(ctx, scope, p.Seq); err != nil {
			return model.Post{}, err
		}
	}
}

// recordSeq raises the feed's recorded last seq ($max, upsert). On
// FerretDB two concurrent calls may leave the lower one: the record is
// only a hint, and it always names a stored post.
func (s *Posts) recordSeq(ctx context.Context, feed string, seq uint64) error {
	err := upsert(ctx, s.seqs, feed, bson.D{{Key: "$max", Value: eq("last_seq", int64(seq))}})
	return dbErr(err, "last seq of feed "+feed)
}

// indexEvent writes (or, for a deleted post or one that is no event,
// removes) the post_events entry of d.
func (s *Posts) indexEvent(ctx context.Context, d postDoc) error {
	if d.Event == nil || d.DeletedAt != nil {
		_, err := s.events.DeleteOne(ctx, byID(string(d.ID)))
		return dbErr(err, "unindex event "+string(d.ID))
	}
	e := postEventDoc{ID: d.ID, Feed: d.Feed, StartsAt: d.Event.StartsAt, EndsAt: d.Event.EndsAt}
	err := replaceUpsert(ctx, s.events, string(d.ID), e)
	return dbErr(err, "index event "+string(d.ID))
}

// LastSeq returns the seq of the newest post of the feed (0 when empty),
// deleted posts included: the feed's unread count is LastSeq minus the
// user's marker.
func (s *Posts) LastSeq(ctx context.Context, scope model.FeedScope) (uint64, error) {
	var d postSeqDoc
	err := s.seqs.FindOne(ctx, byID(scope.Key())).Decode(&d)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return 0, dbErr(err, "last seq of feed "+scope.Key())
	}
	return s.lastSeq(ctx, scope, uint64(max(d.LastSeq, 0)))
}

func (s *Posts) lastSeq(ctx context.Context, scope model.FeedScope, hint uint64) (uint64, error) {
	n, err := gallopLast(ctx, hint, func(ctx context.Context, seq uint64) (bool, error) {
		return exists(ctx, s.coll, string(model.PostIDOf(scope, seq)))
	})
	if err != nil {
		return 0, dbErr(err, "last seq of feed "+scope.Key())
	}
	return n, nil
}

// LastSeqs returns LastSeq of each feed.
func (s *Posts) LastSeqs(ctx context.Context, scopes []model.FeedScope) (map[model.FeedScope]uint64, error) {
	out := make([]uint64, len(scopes))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(lookupParallelism)
	for i, sc := range scopes {
		g.Go(func() error {
			n, err := s.LastSeq(gctx, sc)
			out[i] = n
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	m := make(map[model.FeedScope]uint64, len(scopes))
	for i, sc := range scopes {
		m[sc] = out[i]
	}
	return m, nil
}

// ByID returns one post, deleted or not, with its pin; ErrNotFound when
// absent.
func (s *Posts) ByID(ctx context.Context, id model.PostID) (model.Post, error) {
	var d postDoc
	if err := s.coll.FindOne(ctx, byID(string(id))).Decode(&d); err != nil {
		return model.Post{}, dbErr(err, "post "+string(id))
	}
	p := d.model()
	var pin pinDoc
	err := s.pins.FindOne(ctx, byID(string(id))).Decode(&pin)
	switch {
	case err == nil:
		pin.apply(&p)
	case !errors.Is(err, mongo.ErrNoDocuments):
		return model.Post{}, dbErr(err, "pin of post "+string(id))
	}
	return p, nil
}

// ByIDs returns the posts among ids that exist, deleted ones included, in
// the order of ids.
func (s *Posts) ByIDs(ctx context.Context, ids []model.PostID) ([]model.Post, error) {
	docs, err := findByIDs[postDoc](ctx, s.coll, s.backend != BackendMongoDB, ids)
	if err != nil {
		return nil, dbErr(err, fmt.Sprintf("posts by %d ids", len(ids)))
	}
	posts, err := s.withPins(ctx, docs)
	if err != nil {
		return nil, err
	}
	return inOrder(ids, posts, func(p model.Post) model.PostID { return p.ID }), nil
}

// withPins converts docs, their pins applied.
func (s *Posts) withPins(ctx context.Context, docs []postDoc) ([]model.Post, error) {
	ids := mapSlice(docs, func(d postDoc) model.PostID { return d.ID })
	pins, err := findByIDs[pinDoc](ctx, s.pins, s.backend != BackendMongoDB, ids)
	if err != nil {
		return nil, dbErr(err, "pins of posts")
	}
	byPost := make(map[model.PostID]pinDoc, len(pins))
	for _, p := range pins {
		byPost[p.ID] = p
	}
	out := make([]model.Post, len(docs))
	for i, d := range docs {
		out[i] = d.model()
		if pin, ok := byPost[d.ID]; ok {
			pin.apply(&out[i])
		}
	}
	return out, nil
}

// FeedPage is one page of a feed.
type FeedPage struct {
	// Pinned are the pinned posts, most recently pinned first, on the
	// first page only (before = 0).
	Pinned []model.Post
	// Posts are the other posts, newest first; deleted ones are left out.
	Posts []model.Post
	// Next is the before of the next page; 0 when this one is the last.
	Next uint64
}

// Feed returns a page of the feed: the pinned posts (first page), then at
// most limit (default 20, at most 100) other posts with seq < before
// (every post when before is 0), newest first, skipping deleted and pinned
// posts.
func (s *Posts) Feed(ctx context.Context, scope model.FeedScope, before uint64, limit int) (FeedPage, error) {
	limit = pageLimit(limit, 20, 100)
	var page FeedPage
	if !scope.Valid() {
		return page, fmt.Errorf("store: feed %s: invalid scope", scope)
	}
	pinned, err := s.Pinned(ctx, scope)
	if err != nil {
		return page, err
	}
	if before == 0 {
		page.Pinned = pinned
	}
	skip := make(map[model.PostID]bool, len(pinned))
	for _, p := range pinned {
		skip[p.ID] = true
	}
	what := fmt.Sprintf("feed %s before %d", scope, before)
	if s.backend == BackendMongoDB {
		filter := bson.D{{Key: "feed", Value: scope.Key()}, {Key: "deleted_at", Value: nil}}
		if before > 0 {
			filter = append(filter, bson.E{Key: "seq", Value: bson.D{{Key: "$lt", Value: int64(before)}}})
		}
		if len(skip) > 0 {
			ids := make([]model.PostID, 0, len(skip))
			for id := range skip {
				ids = append(ids, id)
			}
			filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$nin", Value: ids}}})
		}
		var docs []postDoc
		cur, err := s.coll.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "seq", Value: -1}}).SetLimit(int64(limit+1)))
		if err == nil {
			err = cur.All(ctx, &docs)
		}
		if err != nil {
			return page, dbErr(err, what)
		}
		if len(docs) > limit {
			docs = docs[:limit]
			page.Next = uint64(docs[limit-1].Seq)
		}
		page.Posts = make([]model.Post, len(docs))
		for i, d := range docs {
			page.Posts[i] = d.model()
		}
		return page, nil
	}
	// FerretDB: read ranges of seqs downwards until the page is full.
	hi := before - 1
	if before == 0 {
		if hi, err = s.LastSeq(ctx, scope); err != nil {
			return page, err
		}
	}
	chunk := uint64(limit + len(skip) + 1)
	for hi >= 1 && len(page.Posts) <= limit {
		lo := uint64(1)
		if hi > chunk {
			lo = hi - chunk + 1
		}
		docs, err := s.readRange(ctx, scope, lo, hi)
		if err != nil {
			return page, dbErr(err, what)
		}
		for _, d := range docs { // newest first
			if d.DeletedAt == nil && !skip[d.ID] {
				page.Posts = append(page.Posts, d.model())
			}
		}
		hi = lo - 1
		chunk *= 2
	}
	if len(page.Posts) > limit {
		page.Posts = page.Posts[:limit]
		page.Next = page.Posts[limit-1].Seq
	}
	return page, nil
}

// readRange reads the posts of the feed with lo ≤ seq ≤ hi on FerretDB,
// newest first: by page on PostgreSQL, by _id on SQLite.
func (s *Posts) readRange(ctx context.Context, scope model.FeedScope, lo, hi uint64) ([]postDoc, error) {
	var docs []postDoc
	if s.backend == BackendFerretDBPostgreSQL {
		feed := scope.Key()
		first, last := (lo-1)/postsPerPage, (hi-1)/postsPerPage
		pages := make([][]postDoc, last-first+1)
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(lookupParallelism)
		for i := range pages {
			g.Go(func() error {
				f := bson.D{{Key: "page", Value: postPage(feed, (first+uint64(i))*postsPerPage+1)},
					{Key: "seq", Value: bson.D{{Key: "$gte", Value: int64(lo)}, {Key: "$lte", Value: int64(hi)}}}}
				return findAll(gctx, s.coll, f, nil, &pages[i])
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		for _, p := range pages {
			docs = append(docs, p...)
		}
	} else {
		ids := make([]model.PostID, 0, hi-lo+1)
		for q := lo; q <= hi; q++ {
			ids = append(ids, model.PostIDOf(scope, q))
		}
		var err error
		if docs, err = findByIDs[postDoc](ctx, s.coll, true, ids); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(docs, func(a, b postDoc) int { return cmp.Compare(b.Seq, a.Seq) })
	return docs, nil
}

// Pinned returns the pinned posts of the feed that are not deleted, most
// recently pinned first.
func (s *Posts) Pinned(ctx context.Context, scope model.FeedScope) ([]model.Post, error) {
	var pins []pinDoc
	var err error
	if s.lite != nil {
		pins, err = s.pinsSQLite(ctx, scope.Key())
	} else {
		err = findAll(ctx, s.pins, eq("feed", scope.Key()), nil, &pins)
	}
	if err != nil {
		return nil, dbErr(err, "pins of feed "+scope.Key())
	}
	if len(pins) == 0 {
		return []model.Post{}, nil
	}
	slices.SortFunc(pins, func(a, b pinDoc) int {
		if c := b.PinnedAt.Compare(a.PinnedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	ids := mapSlice(pins, func(p pinDoc) model.PostID { return p.ID })
	docs, err := findByIDs[postDoc](ctx, s.coll, s.backend != BackendMongoDB, ids)
	if err != nil {
		return nil, dbErr(err, "pinned posts of feed "+scope.Key())
	}
	byID := make(map[model.PostID]postDoc, len(docs))
	for _, d := range docs {
		byID[d.ID] = d
	}
	out := make([]model.Post, 0, len(pins))
	for _, pin := range pins {
		if d, ok := byID[pin.ID]; ok && d.DeletedAt == nil {
			p := d.model()
			pin.apply(&p)
			out = append(out, p)
		}
	}
	return out, nil
}

// Pin pins the post (by, at); pinning a pinned post is a no-op. The caller
// has checked that the post exists and is not deleted.
func (s *Posts) Pin(ctx context.Context, id model.PostID, by model.UserID, at time.Time) error {
	var d postDoc
	if err := s.coll.FindOne(ctx, byID(string(id)), options.FindOne().SetProjection(bson.D{{Key: "feed", Value: 1}})).Decode(&d); err != nil {
		return dbErr(err, "pin post "+string(id))
	}
	_, err := s.pins.InsertOne(ctx, pinDoc{ID: id, Feed: d.Feed, PinnedAt: msUTC(at), PinnedBy: by})
	if err != nil && !isDuplicateKey(err) {
		return dbErr(err, "pin post "+string(id))
	}
	return nil
}

// Unpin unpins the post; unpinning a post that is not pinned is a no-op.
func (s *Posts) Unpin(ctx context.Context, id model.PostID) error {
	_, err := s.pins.DeleteOne(ctx, byID(string(id)))
	return dbErr(err, "unpin post "+string(id))
}

// Update writes the editable fields of p over the stored post: Title,
// Body, HTML, Text, Event (for an event; its kind and feed never change),
// Files and EditedAt. It returns the post as stored; ErrNotFound when the
// post is absent or deleted, even by a deletion that ran concurrently.
func (s *Posts) Update(ctx context.Context, p model.Post) (model.Post, error) {
	what := "update post " + string(p.ID)
	var cur postDoc
	if err := s.coll.FindOne(ctx, byID(string(p.ID))).Decode(&cur); err != nil {
		return model.Post{}, dbErr(err, what)
	}
	if cur.DeletedAt != nil {
		return model.Post{}, notFound(what)
	}
	p.Kind, p.CPTSID, p.GroupID = cur.Kind, cur.CPTSID, cur.GroupID
	if err := checkPost(p); err != nil {
		return model.Post{}, fmt.Errorf("store: %s: %w", what, err)
	}
	set := bson.D{
		{Key: "title", Value: p.Title}, {Key: "body", Value: p.Body}, {Key: "html", Value: p.HTML}, {Key: "text", Value: p.Text},
		{Key: "event", Value: eventToDoc(p.Event)}, {Key: "files", Value: p.Files}, {Key: "edited_at", Value: msUTCPtr(p.EditedAt)},
	}
	res, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: string(p.ID)}, {Key: "deleted_at", Value: nil}}, setOp(set))
	if err != nil {
		return model.Post{}, dbErr(err, what)
	}
	if res.MatchedCount == 0 {
		return model.Post{}, notFound(what)
	}
	deletedAt, err := s.tombs.at(ctx, postTomb(p.ID))
	if err != nil {
		return model.Post{}, err
	}
	if deletedAt != nil {
		// A deletion ran meanwhile, and this write may have undone it.
		if err := s.erase(ctx, p.ID, *deletedAt); err != nil {
			return model.Post{}, err
		}
		return model.Post{}, notFound(what)
	}
	var d postDoc
	if err := s.coll.FindOne(ctx, byID(string(p.ID))).Decode(&d); err != nil {
		return model.Post{}, dbErr(err, what)
	}
	if err := s.indexEvent(ctx, d); err != nil {
		return model.Post{}, err
	}
	posts, err := s.withPins(ctx, []postDoc{d})
	if err != nil {
		return model.Post{}, err
	}
	return posts[0], nil
}

// Delete soft-deletes the post at at: its title, text, event details and
// files go, its place in the feed stays (the feed skips it), its pin goes.
// Deleting a deleted post is a no-op; ErrNotFound when absent.
func (s *Posts) Delete(ctx context.Context, id model.PostID, at time.Time) error {
	if ok, err := exists(ctx, s.coll, string(id)); err != nil || !ok {
		if err != nil {
			return dbErr(err, "delete post "+string(id))
		}
		return notFound("delete post " + string(id))
	}
	if err := s.tombs.mark(ctx, postTomb(id), at); err != nil {
		return err
	}
	return s.erase(ctx, id, at)
}

// erase marks the post deleted (keeping the first deletion time) and
// removes its content, pin and event entry.
func (s *Posts) erase(ctx context.Context, id model.PostID, at time.Time) error {
	what := "delete post " + string(id)
	var d postDoc
	if err := s.coll.FindOne(ctx, byID(string(id))).Decode(&d); err != nil {
		return dbErr(err, what)
	}
	if d.DeletedAt == nil {
		d.DeletedAt = msUTCPtr(&at)
	}
	d.Title, d.Body, d.HTML, d.Text, d.Event, d.Files = "", "", "", "", nil, nil
	if _, err := s.coll.ReplaceOne(ctx, byID(string(id)), d); err != nil {
		return dbErr(err, what)
	}
	if _, err := s.pins.DeleteOne(ctx, byID(string(id))); err != nil {
		return dbErr(err, what)
	}
	return s.indexEvent(ctx, d)
}

// Upcoming returns the events of the feeds that have not ended at from
// (under way or to come), soonest first, at most limit (default 50, at
// most 500): the home page and the calendar feeds.
func (s *Posts) Upcoming(ctx context.Context, scopes []model.FeedScope, from time.Time, limit int) ([]model.Post, error) {
	limit = pageLimit(limit, 50, 500)
	keys := make([]string, len(scopes))
	for i, sc := range scopes {
		keys[i] = sc.Key()
	}
	entries, err := findAny(ctx, s.events, s.backend, "feed", keys,
		bson.D{{Key: "ends_at", Value: bson.D{{Key: "$gte", Value: msUTC(from)}}}},
		func(d postEventDoc) string { return string(d.ID) })
	if err != nil {
		return nil, dbErr(err, fmt.Sprintf("upcoming events of %d feeds", len(scopes)))
	}
	slices.SortFunc(entries, oldestFirst(func(x postEventDoc) (time.Time, model.PostID) { return x.StartsAt, x.ID }))
	// The entries may lag their posts (a concurrent edit): read a few more
	// and check the posts themselves.
	if len(entries) > 2*limit {
		entries = entries[:2*limit]
	}
	ids := mapSlice(entries, func(e postEventDoc) model.PostID { return e.ID })
	posts, err := s.ByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := posts[:0]
	for _, p := range posts {
		if !p.Deleted() && p.Event != nil && !p.Event.EndsAt.Before(msUTC(from)) {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b model.Post) int { return a.Event.StartsAt.Compare(b.Event.StartsAt) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// FeedMarkers is the feed_markers collection: _id = userID + ":" + feed
// key, how far a user has read a feed (the seq of the newest post seen).
// Only the user's own requests write it.
type FeedMarkers struct {
	coll    collection
	backend string
}

type feedMarkerDoc struct {
	ID        string    `bson:"_id"`
	Seq       int64     `bson:"seq"`
	UpdatedAt time.Time `bson:"updated_at"`
}

func feedMarkerID(u model.UserID, scope model.FeedScope) string { return string(u) + ":" + scope.Key() }

// Many returns the user's marker of each feed (0: nothing read).
func (m *FeedMarkers) Many(ctx context.Context, user model.UserID, scopes []model.FeedScope) (map[model.FeedScope]uint64, error) {
	ids := mapSlice(scopes, func(sc model.FeedScope) string { return feedMarkerID(user, sc) })
	docs, err := findByIDs[feedMarkerDoc](ctx, m.coll, m.backend != BackendMongoDB, ids)
	if err != nil {
		return nil, dbErr(err, "feed markers of "+string(user))
	}
	byID := make(map[string]uint64, len(docs))
	for _, d := range docs {
		byID[d.ID] = uint64(d.Seq)
	}
	out := make(map[model.FeedScope]uint64, len(scopes))
	for _, sc := range scopes {
		out[sc] = byID[feedMarkerID(user, sc)]
	}
	return out, nil
}

// Advance raises the user's marker of the feed to seq (never lowers it).
func (m *FeedMarkers) Advance(ctx context.Context, user model.UserID, scope model.FeedScope, seq uint64, at time.Time) error {
	id := feedMarkerID(user, scope)
	err := upsert(ctx, m.coll, id, bson.D{
		{Key: "$max", Value: eq("seq", int64(seq))},
		{Key: "$set", Value: eq("updated_at", msUTC(at))},
	})
	return dbErr(err, "feed marker "+id)
}

// pinsSQLite reads the pins of feed from the SQLite file, on the feed
// index (FerretDB would read every pin of the platform).
func (s *Posts) pinsSQLite(ctx context.Context, feed string) ([]pinDoc, error) {
	from, args, err := s.lite.whereIn(ctx, s.pins.Name(), "feed", []string{feed})
	if err != nil || from == "" {
		return nil, err
	}
	rows, err := s.lite.db.QueryContext(ctx, `SELECT _ferretdb_sjson->>'$._id', _ferretdb_sjson->>'$.feed', _ferretdb_sjson->>'$.pinned_at', _ferretdb_sjson->>'$.pinned_by'`+from, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var pins []pinDoc
	for rows.Next() {
		var d pinDoc
		var at int64 // sjson keeps a date as Unix milliseconds
		var by sql.NullString
		if err := rows.Scan(&d.ID, &d.Feed, &at, &by); err != nil {
			return nil, err
		}
		d.PinnedAt, d.PinnedBy = time.UnixMilli(at).UTC(), model.UserID(by.String)
		pins = append(pins, d)
	}
	return pins, rows.Err()
}
