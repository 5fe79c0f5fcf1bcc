package store

import (
	"cmp"
	"context"
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

// Messages is the messages collection: _id = model.MessageIDOf(channel,
// seq). The unique (channel_id, seq) and (channel_id, author_id, client_id)
// indexes make a sequence number and a client's send each land once;
// reads go by _id, the only lookup embedded FerretDB indexes.
//
// Updates (edits, reactions, thread replies) replace the whole document:
// FerretDB applies update operators as read-modify-write anyway, so core
// serialises the writes of one channel on a node.
type Messages struct {
	coll   collection
	ferret bool
	// byPage: read ranges by their "page" field (FerretDB's PostgreSQL
	// backend, where that equality is pushed down to an indexed SQL
	// query, see accelerate), not by _id one at a time (SQLite).
	byPage bool
	// erased, when set, is told of each deletion (scrub.go).
	erased func()
}

// messagesPerPage groups the messages of a channel for range reads: page
// k of a channel holds seqs k*32+1 … k*32+32, so a history page of 50
// messages spans at most three.
const messagesPerPage = 32

// pageOf is the "page" field of the seq-th message of ch.
func pageOf(ch model.ChannelID, seq uint64) string {
	return fmt.Sprintf("%s:%d", ch, (seq-1)/messagesPerPage)
}

type reactionDoc struct {
	Emoji string         `bson:"emoji"`
	Users []model.UserID `bson:"users"`
}

type editDoc struct {
	Body     string    `bson:"body"`
	EditedAt time.Time `bson:"edited_at"`
}

type messageDoc struct {
	ID             model.MessageID `bson:"_id"`
	ChannelID      model.ChannelID `bson:"channel_id"`
	Seq            int64           `bson:"seq"`
	Page           string          `bson:"page"`
	AuthorID       model.UserID    `bson:"author_id"`
	ClientID       string          `bson:"client_id"`
	Body           string          `bson:"body,omitempty"`
	HTML           string          `bson:"html,omitempty"`
	Text           string          `bson:"text,omitempty"`
	ThreadID       model.MessageID `bson:"thread_id,omitempty"`
	Mentions       []model.UserID  `bson:"mentions,omitempty"`
	MentionChannel bool            `bson:"mention_channel,omitempty"`
	ReplyCount     int             `bson:"reply_count,omitempty"`
	ReplySeqs      []int64         `bson:"reply_seqs,omitempty"`
	LastReplyAt    *time.Time      `bson:"last_reply_at,omitempty"`
	Reactions      []reactionDoc   `bson:"reactions,omitempty"`
	Files          []model.FileID  `bson:"files,omitempty"`
	Edits          []editDoc       `bson:"edits,omitempty"`
	CreatedAt      time.Time       `bson:"created_at"`
	EditedAt       *time.Time      `bson:"edited_at,omitempty"`
	DeletedAt      *time.Time      `bson:"deleted_at,omitempty"`
	Sealed         []byte          `bson:"sealed,omitempty"`
}

func messageToDoc(m model.Message) messageDoc {
	d := messageDoc{
		ID: model.MessageIDOf(m.ChannelID, m.Seq), ChannelID: m.ChannelID, Seq: int64(m.Seq), Page: pageOf(m.ChannelID, m.Seq), AuthorID: m.AuthorID,
		ClientID: m.ClientID, Body: m.Body, HTML: m.HTML, Text: m.Text, ThreadID: m.ThreadID, Mentions: m.Mentions,
		MentionChannel: m.MentionChannel, ReplyCount: m.ReplyCount, LastReplyAt: msUTCPtr(m.LastReplyAt), Files: m.Files,
		CreatedAt: msUTC(m.CreatedAt), EditedAt: msUTCPtr(m.EditedAt), DeletedAt: msUTCPtr(m.DeletedAt), Sealed: m.Sealed,
	}
	for _, s := range m.ReplySeqs {
		d.ReplySeqs = append(d.ReplySeqs, int64(s))
	}
	for _, r := range m.Reactions {
		d.Reactions = append(d.Reactions, reactionDoc{Emoji: r.Emoji, Users: r.Users})
	}
	for _, e := range m.Edits {
		d.Edits = append(d.Edits, editDoc{Body: e.Body, EditedAt: msUTC(e.EditedAt)})
	}
	return d
}

func (d messageDoc) model() model.Message {
	m := model.Message{
		ID: d.ID, ChannelID: d.ChannelID, Seq: uint64(d.Seq), AuthorID: d.AuthorID, ClientID: d.ClientID,
		Body: d.Body, HTML: d.HTML, Text: d.Text, ThreadID: d.ThreadID, Mentions: d.Mentions,
		MentionChannel: d.MentionChannel, ReplyCount: d.ReplyCount, CreatedAt: d.CreatedAt.UTC(), Sealed: d.Sealed,
		Files: d.Files,
	}
	m.LastReplyAt, m.EditedAt, m.DeletedAt = utcPtr(d.LastReplyAt), utcPtr(d.EditedAt), utcPtr(d.DeletedAt)
	for _, s := range d.ReplySeqs {
		m.ReplySeqs = append(m.ReplySeqs, uint64(s))
	}
	for _, r := range d.Reactions {
		m.Reactions = append(m.Reactions, model.Reaction{Emoji: r.Emoji, Users: r.Users})
	}
	for _, e := range d.Edits {
		m.Edits = append(m.Edits, model.Edit{Body: e.Body, EditedAt: e.EditedAt.UTC()})
	}
	return m
}

// EnsureIndexes creates the unique sequence and client-id indexes.
func (s *Messages) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, s.coll,
		uniqueIndex("channel_seq_unique", "channel_id", "seq"),
		uniqueIndex("channel_author_client_unique", "channel_id", "author_id", "client_id"),
	)
}

// Insert stores a new message; ErrConflict when its seq or its
// (author, client_id) is already taken in the channel.
func (s *Messages) Insert(ctx context.Context, m model.Message) error {
	if m.Seq == 0 || m.ChannelID == "" || m.ClientID == "" {
		return fmt.Errorf("store: insert message: channel, seq and client id are required")
	}
	_, err := s.coll.InsertOne(ctx, messageToDoc(m))
	return dbErr(err, "insert message "+string(model.MessageIDOf(m.ChannelID, m.Seq)))
}

// ErrNotAttempted is InsertMany's error for a message after the first
// failure of an ordered insert: it was not stored and may be sent again
// as is.
var ErrNotAttempted = errors.New("store: insert message: not attempted after an earlier failure")

// MaxInsertBatch is the largest batch InsertMany takes: embedded FerretDB
// inserts in batches of 100 and keeps an ordered insert's promise (stop at
// the first failure) only within one batch.
const MaxInsertBatch = 100

// InsertMany stores several new messages in one ordered command (group
// commit): one error per message. Messages are stored in the order given
// and the first failure stops the command, so for a message of one
// channel to be stored every earlier message of that channel in the batch
// must be: errs holds nil for each stored message, the failure (ErrConflict
// when its seq or its client id is taken) for the first failed one, and
// ErrNotAttempted for those after it. An error of the command itself (the
// database unreachable, a timeout) is returned for every message: any
// prefix of the batch may then be stored.
func (s *Messages) InsertMany(ctx context.Context, ms []model.Message) []error {
	errs := make([]error, len(ms))
	if len(ms) > MaxInsertBatch {
		for i := range errs {
			errs[i] = fmt.Errorf("store: insert messages: %d in one batch, at most %d", len(ms), MaxInsertBatch)
		}
		return errs
	}
	docs := make([]any, 0, len(ms))
	for i, m := range ms {
		if m.Seq == 0 || m.ChannelID == "" || m.ClientID == "" {
			errs[i] = fmt.Errorf("store: insert message: channel, seq and client id are required")
			for j := i + 1; j < len(ms); j++ {
				errs[j] = ErrNotAttempted
			}
			ms = ms[:i]
			break
		}
		docs = append(docs, messageToDoc(m))
	}
	if len(docs) == 0 {
		return errs
	}
	_, err := s.coll.InsertMany(ctx, docs, options.InsertMany().SetOrdered(true))
	if err == nil {
		return errs
	}
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && bwe.WriteConcernError == nil && len(bwe.WriteErrors) > 0 {
		first := len(ms)
		var firstErr mongo.BulkWriteError
		for _, we := range bwe.WriteErrors {
			if we.Index >= 0 && we.Index < first {
				first, firstErr = we.Index, we
			}
		}
		if first < len(ms) {
			errs[first] = dbErr(firstErr, "insert message "+string(model.MessageIDOf(ms[first].ChannelID, ms[first].Seq)))
			for j := first + 1; j < len(ms); j++ {
				errs[j] = ErrNotAttempted
			}
			return errs
		}
	}
	for i := range ms {
		errs[i] = dbErr(err, "insert message "+string(model.MessageIDOf(ms[i].ChannelID, ms[i].Seq)))
	}
	return errs
}

// ByID returns one message.
func (s *Messages) ByID(ctx context.Context, id model.MessageID) (model.Message, error) {
	return getByID[messageDoc](ctx, s.coll, string(id), "message "+string(id))
}

// Exists reports whether the seq-th message of ch is stored.
func (s *Messages) Exists(ctx context.Context, ch model.ChannelID, seq uint64) (bool, error) {
	ok, err := exists(ctx, s.coll, string(model.MessageIDOf(ch, seq)))
	if err != nil {
		return false, dbErr(err, fmt.Sprintf("message %d of %s", seq, ch))
	}
	return ok, nil
}

// Range returns the messages of ch with from ≤ seq ≤ to, ascending. On
// MongoDB that is one indexed range query; on FerretDB-PostgreSQL one
// indexed query per page of 32, in parallel; on FerretDB-SQLite one _id lookup per
// message, a few at a time (the only filter it pushes down to SQL).
func (s *Messages) Range(ctx context.Context, ch model.ChannelID, from, to uint64) ([]model.Message, error) {
	if from == 0 {
		from = 1
	}
	if to < from {
		return nil, nil
	}
	what := fmt.Sprintf("messages %d..%d of %s", from, to, ch)
	if !s.ferret {
		f := bson.D{{Key: "channel_id", Value: ch}, {Key: "seq", Value: bson.D{{Key: "$gte", Value: int64(from)}, {Key: "$lte", Value: int64(to)}}}}
		return findModels[messageDoc](ctx, s.coll, f, order("seq"), what)
	}
	if s.byPage {
		first, last := (from-1)/messagesPerPage, (to-1)/messagesPerPage
		pages := make([][]messageDoc, last-first+1)
		g, gctx := errgroup.WithContext(ctx)
		for i := range pages {
			g.Go(func() error {
				// FerretDB pushes the page equality down to SQL and
				// applies the seq bounds itself, before encoding replies.
				f := bson.D{{Key: "page", Value: pageOf(ch, (first+uint64(i))*messagesPerPage+1)},
					{Key: "seq", Value: bson.D{{Key: "$gte", Value: int64(from)}, {Key: "$lte", Value: int64(to)}}}}
				return findAll(gctx, s.coll, f, nil, &pages[i])
			})
		}
		if err := g.Wait(); err != nil {
			return nil, dbErr(err, what)
		}
		out := make([]model.Message, 0, to-from+1)
		for _, docs := range pages {
			slices.SortFunc(docs, func(a, b messageDoc) int { return cmp.Compare(a.Seq, b.Seq) })
			for _, d := range docs {
				if uint64(d.Seq) >= from && uint64(d.Seq) <= to {
					out = append(out, d.model())
				}
			}
		}
		return out, nil
	}
	ids := make([]string, to-from+1)
	for i := range ids {
		ids[i] = string(model.MessageIDOf(ch, from+uint64(i)))
	}
	docs, err := findByIDs[messageDoc](ctx, s.coll, true, ids) // one _id lookup each, in the order of ids
	if err != nil {
		return nil, dbErr(err, what)
	}
	return models(docs), nil
}

// ReadSeqs returns the messages of ch with these seqs (ascending; missing
// ones are absent) one database command at a time: for background work
// (the search indexer). Range and BySeqs run their lookups in parallel
// for a reader who waits on them, which takes every connection of
// FerretDB's small PostgreSQL pool at once and makes the sends wait
// behind them. seqs must be sorted.
func (s *Messages) ReadSeqs(ctx context.Context, ch model.ChannelID, seqs []uint64) ([]model.Message, error) {
	if len(seqs) == 0 {
		return nil, nil
	}
	what := fmt.Sprintf("%d messages of %s", len(seqs), ch)
	if !s.ferret {
		return s.BySeqs(ctx, ch, seqs)
	}
	out := make([]model.Message, 0, len(seqs))
	if s.byPage {
		for i := 0; i < len(seqs); {
			page := (seqs[i] - 1) / messagesPerPage
			j := i
			for j < len(seqs) && (seqs[j]-1)/messagesPerPage == page {
				j++
			}
			var docs []messageDoc
			f := bson.D{{Key: "page", Value: pageOf(ch, seqs[i])},
				{Key: "seq", Value: bson.D{{Key: "$gte", Value: int64(seqs[i])}, {Key: "$lte", Value: int64(seqs[j-1])}}}}
			if err := findAll(ctx, s.coll, f, nil, &docs); err != nil {
				return nil, dbErr(err, what)
			}
			slices.SortFunc(docs, func(a, b messageDoc) int { return cmp.Compare(a.Seq, b.Seq) })
			for _, d := range docs {
				if _, ok := slices.BinarySearch(seqs[i:j], uint64(d.Seq)); ok {
					out = append(out, d.model())
				}
			}
			i = j
		}
		return out, nil
	}
	for _, q := range seqs {
		var d messageDoc
		err := s.coll.FindOne(ctx, byID(string(model.MessageIDOf(ch, q)))).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return nil, dbErr(err, what)
		}
		out = append(out, d.model())
	}
	return out, nil
}

// ByClientID finds the message a client sent with clientID. It is the slow
// path of an idempotent repeat (a full scan on embedded FerretDB): core
// looks in its recent window first.
func (s *Messages) ByClientID(ctx context.Context, ch model.ChannelID, author model.UserID, clientID string) (model.Message, error) {
	var d messageDoc
	f := bson.D{{Key: "channel_id", Value: ch}, {Key: "author_id", Value: author}, {Key: "client_id", Value: clientID}}
	if err := s.coll.FindOne(ctx, f).Decode(&d); err != nil {
		return model.Message{}, dbErr(err, fmt.Sprintf("message of %s by client id in %s", author, ch))
	}
	return d.model(), nil
}

// Replace writes the whole message back (edit, delete, reaction, reply).
// A deleted message's former text leaves the disk within seconds on the
// embedded SQLite backend (scrub.go).
func (s *Messages) Replace(ctx context.Context, m model.Message) error {
	d := messageToDoc(m)
	res, err := s.coll.ReplaceOne(ctx, byID(string(d.ID)), d)
	if err != nil {
		return dbErr(err, "replace message "+string(d.ID))
	}
	if res.MatchedCount == 0 {
		return notFound("message " + string(d.ID))
	}
	if m.Deleted() && s.erased != nil {
		s.erased()
	}
	return nil
}

// LastSeq returns the highest stored seq of ch, knowing that seqs are
// contiguous from 1 and that hint (the channel's recorded last seq, which
// may lag after a crash) is stored or 0. It gallops from hint then
// bisects: O(log n) _id lookups.
func (s *Messages) LastSeq(ctx context.Context, ch model.ChannelID, hint uint64) (uint64, error) {
	return gallopLast(ctx, hint, func(ctx context.Context, seq uint64) (bool, error) { return s.Exists(ctx, ch, seq) })
}

// BySeqs returns the messages of ch with these seqs (missing ones are
// absent), ascending.
func (s *Messages) BySeqs(ctx context.Context, ch model.ChannelID, seqs []uint64) ([]model.Message, error) {
	what := fmt.Sprintf("%d messages of %s", len(seqs), ch)
	ids := mapSlice(seqs, func(q uint64) string { return string(model.MessageIDOf(ch, q)) })
	docs, err := findByIDs[messageDoc](ctx, s.coll, s.ferret, ids)
	if err != nil {
		return nil, dbErr(err, what)
	}
	out := make([]model.Message, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.model())
	}
	slices.SortFunc(out, func(a, b model.Message) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

// ChannelSeqs is the channel_seqs collection: _id = channel id, the
// recorded last seq of each channel. It lives apart from the channel
// document because it changes with every message: FerretDB applies an
// update as a read-modify-write of the whole document, so recording a seq
// on the channel document could undo a concurrent rename or archive.
type ChannelSeqs struct {
	coll   collection
	ferret bool
}

type channelSeqDoc struct {
	ID      model.ChannelID `bson:"_id"`
	LastSeq int64           `bson:"last_seq"`
}

// Record raises the channel's recorded last seq to seq ($max, upsert: a
// late writer never lowers it).
func (c *ChannelSeqs) Record(ctx context.Context, id model.ChannelID, seq uint64) error {
	_, err := c.coll.UpdateOne(ctx, byID(string(id)), bson.D{{Key: "$max", Value: eq("last_seq", int64(seq))}}, options.UpdateOne().SetUpsert(true))
	return dbErr(err, "last seq of channel "+string(id))
}

// Many returns the recorded last seq of each channel (0 when none).
func (c *ChannelSeqs) Many(ctx context.Context, ids []model.ChannelID) (map[model.ChannelID]uint64, error) {
	docs, err := findByIDs[channelSeqDoc](ctx, c.coll, c.ferret, ids)
	if err != nil {
		return nil, dbErr(err, "last seqs of channels")
	}
	out := make(map[model.ChannelID]uint64, len(docs))
	for _, d := range docs {
		out[d.ID] = uint64(d.LastSeq)
	}
	return out, nil
}

// ReadMarkers is the read_markers collection: _id = userID:channelID. It
// holds how far a user has read a channel and the seqs of the unread
// messages that mention them. Writes replace the whole document; core
// serialises the writes of one marker on a node.
type ReadMarkers struct {
	coll   collection
	ferret bool
}

// ReadMarker is one user's position in one channel.
type ReadMarker struct {
	UserID      model.UserID
	ChannelID   model.ChannelID
	Seq         uint64   // last seq read
	MentionSeqs []uint64 // unread messages mentioning the user (seq > Seq)
	UpdatedAt   time.Time
}

type readMarkerDoc struct {
	ID          string          `bson:"_id"`
	UserID      model.UserID    `bson:"user_id"`
	ChannelID   model.ChannelID `bson:"channel_id"`
	Seq         int64           `bson:"seq"`
	MentionSeqs []int64         `bson:"mention_seqs,omitempty"`
	UpdatedAt   time.Time       `bson:"updated_at"`
}

func (d readMarkerDoc) model() ReadMarker {
	r := ReadMarker{UserID: d.UserID, ChannelID: d.ChannelID, Seq: uint64(d.Seq), UpdatedAt: d.UpdatedAt.UTC()}
	for _, s := range d.MentionSeqs {
		r.MentionSeqs = append(r.MentionSeqs, uint64(s))
	}
	return r
}

// EnsureIndexes creates the user_id index.
func (r *ReadMarkers) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, r.coll, index("user_id", "user_id"))
}

// Get returns the marker, or a zero marker (Seq 0) when there is none.
func (r *ReadMarkers) Get(ctx context.Context, user model.UserID, ch model.ChannelID) (ReadMarker, error) {
	var d readMarkerDoc
	err := r.coll.FindOne(ctx, byID(pairID(user, ch))).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ReadMarker{UserID: user, ChannelID: ch}, nil
	}
	if err != nil {
		return ReadMarker{}, dbErr(err, fmt.Sprintf("read marker of %s in %s", user, ch))
	}
	return d.model(), nil
}

// Many returns the user's markers of chans (absent ones as zero markers),
// in the order of chans.
func (r *ReadMarkers) Many(ctx context.Context, user model.UserID, chans []model.ChannelID) ([]ReadMarker, error) {
	ids := mapSlice(chans, func(c model.ChannelID) string { return pairID(user, c) })
	docs, err := findByIDs[readMarkerDoc](ctx, r.coll, r.ferret, ids)
	if err != nil {
		return nil, dbErr(err, fmt.Sprintf("read markers of %s", user))
	}
	byCh := make(map[model.ChannelID]readMarkerDoc, len(docs))
	for _, d := range docs {
		byCh[d.ChannelID] = d
	}
	out := make([]ReadMarker, len(chans))
	for i, c := range chans {
		if d, ok := byCh[c]; ok {
			out[i] = d.model()
		} else {
			out[i] = ReadMarker{UserID: user, ChannelID: c}
		}
	}
	return out, nil
}

// Put writes the marker (upsert).
func (r *ReadMarkers) Put(ctx context.Context, m ReadMarker) error {
	d := readMarkerDoc{ID: pairID(m.UserID, m.ChannelID), UserID: m.UserID, ChannelID: m.ChannelID, Seq: int64(m.Seq), UpdatedAt: msUTC(m.UpdatedAt)}
	for _, s := range m.MentionSeqs {
		d.MentionSeqs = append(d.MentionSeqs, int64(s))
	}
	return put(ctx, r.coll, d.ID, d, fmt.Sprintf("read marker of %s in %s", m.UserID, m.ChannelID))
}

// ThreadStates is the thread_states collection: _id = userID:rootID. It
// records whether a user follows a thread and how far they read it.
type ThreadStates struct {
	coll collection
}

// ThreadState is one user's relation to one thread.
type ThreadState struct {
	UserID    model.UserID
	RootID    model.MessageID
	ChannelID model.ChannelID
	Following bool
	ReadSeq   uint64 // seq of the last reply read
	// RepliedSeq is the seq of the user's first reply in the thread (0:
	// none): later replies by others answer them ("réponses à mes
	// messages").
	RepliedSeq uint64
	UpdatedAt  time.Time
}

type threadStateDoc struct {
	ID         string          `bson:"_id"`
	UserID     model.UserID    `bson:"user_id"`
	RootID     model.MessageID `bson:"root_id"`
	ChannelID  model.ChannelID `bson:"channel_id"`
	Following  bool            `bson:"following"`
	ReadSeq    int64           `bson:"read_seq"`
	RepliedSeq int64           `bson:"replied_seq,omitempty"`
	UpdatedAt  time.Time       `bson:"updated_at"`
}

func (d threadStateDoc) model() ThreadState {
	return ThreadState{UserID: d.UserID, RootID: d.RootID, ChannelID: d.ChannelID, Following: d.Following, ReadSeq: uint64(d.ReadSeq), RepliedSeq: uint64(d.RepliedSeq), UpdatedAt: d.UpdatedAt.UTC()}
}

// EnsureIndexes creates the user_id index (GET /threads lists by user).
func (t *ThreadStates) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, t.coll, index("user_id", "user_id"))
}

// Get returns the state, or ErrNotFound.
func (t *ThreadStates) Get(ctx context.Context, user model.UserID, root model.MessageID) (ThreadState, error) {
	return getByID[threadStateDoc](ctx, t.coll, pairID(user, root), fmt.Sprintf("thread %s of %s", root, user))
}

// Put writes the state (upsert).
func (t *ThreadStates) Put(ctx context.Context, s ThreadState) error {
	d := threadStateDoc{ID: pairID(s.UserID, s.RootID), UserID: s.UserID, RootID: s.RootID, ChannelID: s.ChannelID, Following: s.Following, ReadSeq: int64(s.ReadSeq), RepliedSeq: int64(s.RepliedSeq), UpdatedAt: msUTC(s.UpdatedAt)}
	return put(ctx, t.coll, d.ID, d, fmt.Sprintf("thread %s of %s", s.RootID, s.UserID))
}

// Following lists the threads the user follows, most recently touched
// first.
func (t *ThreadStates) Following(ctx context.Context, user model.UserID, limit int) ([]ThreadState, error) {
	return findLimit[threadStateDoc](ctx, t.coll, bson.D{{Key: "user_id", Value: user}, {Key: "following", Value: true}},
		order("-updated_at"), limit, fmt.Sprintf("threads of %s", user))
}
