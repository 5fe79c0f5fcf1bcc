package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ecpts/ecpts/internal/model"
)

// Protocols is the protocol library: the protocol_events collection, the
// history of each protocol, and the protocols collection, the projection
// of that history that lists and lookups read. ProtocolVersions,
// ProtocolReviews and ProtocolAcks hold the versions, the reviewers'
// decisions and the members' acknowledgements.
//
// Every change of a protocol is a transition from a revision r to r+1.
// Two coordinators validating at once, an author editing while a
// coordinator validates, must not both succeed from the same state, and
// FerretDB v1 cannot say "update where rev = r" atomically: it reads,
// filters and writes back in separate steps (see
// TestFerretConditionalUpdateIsNotCompareAndSet: 2 to 8 of 8 concurrent
// such updates report a modification). So a transition first inserts its
// event, _id = protocol id + ":" + r+1 (zero-padded), carrying the whole
// state after it and the version it creates, if any: the unique _id lets
// exactly one transition from r through on every backend; the others get
// ErrConflict and must re-read (Apply does). Then the event is projected:
// its version written to protocol_versions, its state over the protocol
// document.
//
// The projection may lag its events: a crash between the two writes, or a
// slow transition r+1 writing its state after transition r+2 wrote its
// own. Each transition therefore looks for newer events after it wrote
// and projects the latest; Get does the same before it answers (one more
// _id lookup), and RepairAll brings every protocol up to date (to run at
// start-up). List and ByIDs read the projection as it is.
//
// List reads protocol_index, a second projection written with the first:
// per protocol, only what the library filters and sorts on, packed in
// three fields (seen_by, status, row). FerretDB decodes every document a
// query returns, or on SQLite every document of the collection, at a cost
// that grows with its number of fields: at 1,000 protocols, reading these
// small documents takes a quarter of the time the protocol documents
// would (measured on both backends). The page itself is then read by
// _id.
type Protocols struct {
	coll     collection
	events   collection
	versions collection
	index    collection
	backend  string
}

type protocolDoc struct {
	ID               model.ProtocolID     `bson:"_id"`
	Rev              int                  `bson:"rev"`
	CPTSID           model.CPTSID         `bson:"cpts_id"`
	Title            string               `bson:"title"`
	TitleKey         string               `bson:"title_key"`
	Status           model.ProtocolStatus `bson:"status"`
	Missions         []model.Mission      `bson:"missions"`
	Professions      []model.Profession   `bson:"professions"`
	ReviewDate       model.Date           `bson:"review_date"`
	Visibility       model.Sharing        `bson:"visibility"`
	SharedWith       []model.CPTSID       `bson:"shared_with"`
	SeenBy           []string             `bson:"seen_by"`
	AuthorID         model.UserID         `bson:"author_id"`
	Reviewers        []model.UserID       `bson:"reviewers"`
	CurrentVersion   int                  `bson:"current_version"`
	ValidatedVersion int                  `bson:"validated_version"`
	ValidatedAt      *time.Time           `bson:"validated_at,omitempty"`
	ValidatedBy      model.UserID         `bson:"validated_by,omitempty"`
	CreatedAt        time.Time            `bson:"created_at"`
	UpdatedAt        time.Time            `bson:"updated_at"`
}

// nonNil returns xs, or an empty slice for nil: lists read back as [].
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func protocolToDoc(p model.Protocol) protocolDoc {
	return protocolDoc{
		ID: p.ID, Rev: p.Rev, CPTSID: p.CPTSID, Title: p.Title, TitleKey: sortFold(p.Title), Status: p.Status,
		Missions: nonNil(p.Missions), Professions: nonNil(p.Professions), ReviewDate: p.ReviewDate,
		Visibility: p.Visibility, SharedWith: nonNil(p.SharedWith), SeenBy: seenByKeys(p.CPTSID, p.Visibility, p.SharedWith),
		AuthorID: p.AuthorID, Reviewers: nonNil(p.Reviewers), CurrentVersion: p.CurrentVersion,
		ValidatedVersion: p.ValidatedVersion, ValidatedAt: msUTCPtr(p.ValidatedAt), ValidatedBy: p.ValidatedBy,
		CreatedAt: msUTC(p.CreatedAt), UpdatedAt: msUTC(p.UpdatedAt),
	}
}

func (d protocolDoc) model() model.Protocol {
	return model.Protocol{
		ID: d.ID, Rev: d.Rev, CPTSID: d.CPTSID, Title: d.Title, Status: d.Status, Missions: nonNil(d.Missions),
		Professions: nonNil(d.Professions), ReviewDate: d.ReviewDate, Visibility: d.Visibility,
		SharedWith: nonNil(d.SharedWith), AuthorID: d.AuthorID, Reviewers: nonNil(d.Reviewers),
		CurrentVersion: d.CurrentVersion, ValidatedVersion: d.ValidatedVersion, ValidatedAt: utcPtr(d.ValidatedAt),
		ValidatedBy: d.ValidatedBy, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
	}
}

type protocolVersionDoc struct {
	ID         string           `bson:"_id"`
	ProtocolID model.ProtocolID `bson:"protocol_id"`
	N          int              `bson:"n"`
	Body       string           `bson:"body"`
	HTML       string           `bson:"html"`
	Text       string           `bson:"text"`
	PDF        model.FileID     `bson:"pdf,omitempty"`
	AuthorID   model.UserID     `bson:"author_id"`
	CreatedAt  time.Time        `bson:"created_at"`
	Note       string           `bson:"note,omitempty"`
}

func versionToDoc(v model.ProtocolVersion) protocolVersionDoc {
	return protocolVersionDoc{
		ID: seqID(string(v.ProtocolID), v.N), ProtocolID: v.ProtocolID, N: v.N, Body: v.Body, HTML: v.HTML, Text: v.Text,
		PDF: v.PDF, AuthorID: v.AuthorID, CreatedAt: msUTC(v.CreatedAt), Note: v.Note,
	}
}

func (d protocolVersionDoc) model() model.ProtocolVersion {
	return model.ProtocolVersion{
		ProtocolID: d.ProtocolID, N: d.N, Body: d.Body, HTML: d.HTML, Text: d.Text, PDF: d.PDF,
		AuthorID: d.AuthorID, CreatedAt: d.CreatedAt.UTC(), Note: d.Note,
	}
}

type protocolEventDoc struct {
	ID         string                  `bson:"_id"`
	ProtocolID model.ProtocolID        `bson:"protocol_id"`
	Rev        int                     `bson:"rev"`
	Kind       model.ProtocolEventKind `bson:"kind"`
	ActorID    model.UserID            `bson:"actor_id"`
	At         time.Time               `bson:"at"`
	Note       string                  `bson:"note,omitempty"`
	State      protocolDoc             `bson:"state"`
	Version    *protocolVersionDoc     `bson:"version,omitempty"`
}

func (d protocolEventDoc) model() model.ProtocolEvent {
	e := model.ProtocolEvent{
		ProtocolID: d.ProtocolID, Rev: d.Rev, Kind: d.Kind, ActorID: d.ActorID, At: d.At.UTC(), Note: d.Note, State: d.State.model(),
	}
	if d.Version != nil {
		e.Version = d.Version.N
	}
	return e
}

func eventID(id model.ProtocolID, rev int) string { return seqID(string(id), rev) }

// protocolIndexDoc is a protocol's entry in protocol_index: seen_by (an
// array, for the equality FerretDB-PostgreSQL pushes down), status (a
// second equality), and everything else packed in one string, which
// FerretDB decodes much faster than as fields of their own.
type protocolIndexDoc struct {
	ID     model.ProtocolID     `bson:"_id"`
	SeenBy []string             `bson:"seen_by"`
	Status model.ProtocolStatus `bson:"status"`
	// Row is the title key, the owner, the review date, the revision and
	// the tags ("m:<mission>" and "p:<profession>", space-separated),
	// separated by rowSep.
	Row string `bson:"row"`
}

const rowSep = "\x1f"

// publishedTag marks, in an index row, a protocol with a validated
// version (ValidatedVersion > 0).
const publishedTag = "v"

func indexOf(d protocolDoc) protocolIndexDoc {
	var tags []string
	for _, m := range d.Missions {
		tags = append(tags, "m:"+string(m))
	}
	for _, p := range d.Professions {
		tags = append(tags, "p:"+string(p))
	}
	if d.ValidatedVersion > 0 {
		tags = append(tags, publishedTag)
	}
	row := strings.Join([]string{d.TitleKey, string(d.CPTSID), string(d.ReviewDate), strconv.Itoa(d.Rev), strings.Join(tags, " ")}, rowSep)
	return protocolIndexDoc{ID: d.ID, SeenBy: d.SeenBy, Status: d.Status, Row: row}
}

// protocolEntry is a decoded protocolIndexDoc.
type protocolEntry struct {
	id         model.ProtocolID
	status     model.ProtocolStatus
	titleKey   string
	owner      model.CPTSID
	reviewDate model.Date
	rev        int
	tags       []string
}

func (d protocolIndexDoc) entry() protocolEntry {
	parts := strings.SplitN(d.Row, rowSep, 5)
	for len(parts) < 5 {
		parts = append(parts, "")
	}
	rev, _ := strconv.Atoi(parts[3])
	return protocolEntry{id: d.ID, status: d.Status, titleKey: parts[0], owner: model.CPTSID(parts[1]),
		reviewDate: model.Date(parts[2]), rev: rev, tags: strings.Fields(parts[4])}
}

// project writes a state over the protocol document, then its index
// entry.
func (s *Protocols) project(ctx context.Context, d protocolDoc) error {
	if err := replaceUpsert(ctx, s.coll, string(d.ID), d); err != nil {
		return dbErr(err, "project protocol "+string(d.ID))
	}
	if err := replaceUpsert(ctx, s.index, string(d.ID), indexOf(d)); err != nil {
		return dbErr(err, "index protocol "+string(d.ID))
	}
	return nil
}

// EnsureIndexes creates the cpts_id index of protocols, the (seen_by,
// status) index of protocol_index, and the unique (protocol_id, rev) of protocol_events and
// (protocol_id, n) of protocol_versions; idempotent.
func (s *Protocols) EnsureIndexes(ctx context.Context) error {
	if err := ensureIndexes(ctx, s.coll, index("cpts_id", "cpts_id")); err != nil {
		return err
	}
	if err := ensureIndexes(ctx, s.index, index("seen_by_status", "seen_by", "status")); err != nil {
		return err
	}
	if err := ensureIndexes(ctx, s.events,
		uniqueIndex("protocol_rev_unique", "protocol_id", "rev"),
	); err != nil {
		return err
	}
	return ensureIndexes(ctx, s.versions, uniqueIndex("protocol_n_unique", "protocol_id", "n"))
}

// checkProtocolState checks what the store itself guarantees of a state:
// known status and sharing, an owner, versions in range.
func checkProtocolState(p model.Protocol) error {
	switch {
	case !model.ValidID(string(p.ID)):
		return errors.New("invalid id")
	case p.CPTSID == "":
		return errors.New("no owner CPTS")
	case !p.Status.Valid():
		return fmt.Errorf("unknown status %q", p.Status)
	case !p.Visibility.Valid():
		return fmt.Errorf("unknown visibility %q", p.Visibility)
	case p.ReviewDate != "" && !p.ReviewDate.Valid():
		return fmt.Errorf("invalid review date %q", p.ReviewDate)
	case p.CurrentVersion < 1 || p.ValidatedVersion < 0 || p.ValidatedVersion > p.CurrentVersion:
		return fmt.Errorf("versions %d (validated %d) out of range", p.CurrentVersion, p.ValidatedVersion)
	}
	return nil
}

// Create stores a new protocol at revision 1 with its first version: p
// with Rev 1, CurrentVersion 1, UpdatedAt = CreatedAt, and v as version 1
// (its ProtocolID and N are set here). p.ID is set when empty. It returns
// the protocol as stored; ErrConflict when the id is taken.
func (s *Protocols) Create(ctx context.Context, p model.Protocol, v model.ProtocolVersion) (model.Protocol, error) {
	if p.ID == "" {
		p.ID = model.ProtocolID(model.NewID())
	}
	p.Rev, p.CurrentVersion, p.UpdatedAt = 1, 1, p.CreatedAt
	what := "create protocol " + string(p.ID)
	if err := checkProtocolState(p); err != nil {
		return model.Protocol{}, fmt.Errorf("store: %s: %w", what, err)
	}
	v.ProtocolID, v.N = p.ID, 1
	vd, pd := versionToDoc(v), protocolToDoc(p)
	// Version 1 first: a protocol document always has its version 1.
	if _, err := s.versions.InsertOne(ctx, vd); err != nil {
		return model.Protocol{}, dbErr(err, what)
	}
	if _, err := s.coll.InsertOne(ctx, pd); err != nil {
		return model.Protocol{}, dbErr(err, what)
	}
	if err := replaceUpsert(ctx, s.index, string(pd.ID), indexOf(pd)); err != nil {
		return model.Protocol{}, dbErr(err, what)
	}
	// Then the creation event. A crash before it leaves a protocol without
	// its first event: Transition accepts revision 1 on the document's
	// word, and RepairAll writes the event back.
	// The protocol exists from here on, so a failure of this last write
	// is not the caller's: it is left to RepairAll.
	ev := protocolEventDoc{ID: eventID(p.ID, 1), ProtocolID: p.ID, Rev: 1, Kind: model.ProtocolEventCreated,
		ActorID: p.AuthorID, At: pd.CreatedAt, State: pd, Version: &vd}
	_, _ = s.events.InsertOne(ctx, ev)
	return pd.model(), nil
}

// Get returns the protocol at its latest revision, bringing its document
// up to date first when it lags its events; ErrNotFound when absent.
func (s *Protocols) Get(ctx context.Context, id model.ProtocolID) (model.Protocol, error) {
	var d protocolDoc
	if err := s.coll.FindOne(ctx, byID(string(id))).Decode(&d); err != nil {
		return model.Protocol{}, dbErr(err, "protocol "+string(id))
	}
	d, err := s.advance(ctx, d, nil)
	if err != nil {
		return model.Protocol{}, err
	}
	return d.model(), nil
}

// ByIDs returns the protocols among ids that exist, in the order of ids,
// as their documents hold them (see Protocols on lag).
func (s *Protocols) ByIDs(ctx context.Context, ids []model.ProtocolID) ([]model.Protocol, error) {
	docs, err := findByIDs[protocolDoc](ctx, s.coll, s.backend != BackendMongoDB, ids)
	if err != nil {
		return nil, dbErr(err, fmt.Sprintf("protocols by %d ids", len(ids)))
	}
	return inOrder(ids, models[protocolDoc](docs), func(p model.Protocol) model.ProtocolID { return p.ID }), nil
}

// advance brings the document of a protocol up to its latest event.
// cur is the state in hand: the document as read (mine nil), or the
// state of the event the caller just inserted (mine), not written yet. It
// writes the versions of the events after cur and the latest state, then
// looks again: a newer transition may have written its state before this
// write landed.
func (s *Protocols) advance(ctx context.Context, cur protocolDoc, mine *protocolEventDoc) (protocolDoc, error) {
	id := cur.ID
	what := "project protocol " + string(id)
	written := mine == nil
	if mine != nil {
		if err := s.writeVersion(ctx, mine.Version); err != nil {
			return protocolDoc{}, err
		}
	}
	for attempt := 0; ; attempt++ {
		rev := cur.Rev
		last, err := gallopLast(ctx, uint64(rev), func(ctx context.Context, n uint64) (bool, error) {
			if n <= uint64(rev) {
				return true, nil
			}
			return exists(ctx, s.events, eventID(id, int(n)))
		})
		if err != nil {
			return protocolDoc{}, dbErr(err, what)
		}
		if int(last) > rev {
			ids := make([]string, 0, int(last)-rev)
			for n := rev + 1; n <= int(last); n++ {
				ids = append(ids, eventID(id, n))
			}
			evs, err := findByIDs[protocolEventDoc](ctx, s.events, s.backend != BackendMongoDB, ids)
			if err != nil {
				return protocolDoc{}, dbErr(err, what)
			}
			slices.SortFunc(evs, func(a, b protocolEventDoc) int { return cmp.Compare(a.Rev, b.Rev) })
			for _, ev := range evs {
				if err := s.writeVersion(ctx, ev.Version); err != nil {
					return protocolDoc{}, err
				}
			}
			if len(evs) == 0 || evs[len(evs)-1].Rev != int(last) {
				return protocolDoc{}, fmt.Errorf("store: %s: event %d vanished", what, last)
			}
			cur, written = evs[len(evs)-1].State, false
		}
		if written {
			return cur, nil
		}
		if attempt > 100 {
			return protocolDoc{}, fmt.Errorf("store: %s: no stable state after %d writes", what, attempt)
		}
		if err := s.project(ctx, cur); err != nil {
			return protocolDoc{}, err
		}
		written = true
	}
}

// writeVersion stores a version an event carries; it may exist already
// (projected before), with the same content.
func (s *Protocols) writeVersion(ctx context.Context, v *protocolVersionDoc) error {
	if v == nil {
		return nil
	}
	_, err := s.versions.InsertOne(ctx, v)
	if err != nil && !isDuplicateKey(err) {
		return dbErr(err, "write version "+v.ID)
	}
	return nil
}

// ProtocolTransition is one change of a protocol, as core decided it.
type ProtocolTransition struct {
	Kind    model.ProtocolEventKind
	ActorID model.UserID
	At      time.Time
	Note    string
	// State is the protocol after the transition. The store keeps its ID,
	// owner, author and creation time from the revision before, and sets
	// Rev and UpdatedAt (= At).
	State model.Protocol
	// Version is the new version this transition creates (edited), or
	// nil. Its number must be the previous CurrentVersion + 1 and equal
	// State.CurrentVersion; without a version, State.CurrentVersion must
	// not move.
	Version *model.ProtocolVersion
}

// Transition records tr as the change from revision fromRev to fromRev+1
// and returns the protocol after it. Exactly one transition from a given
// revision succeeds, whatever the concurrency; the others get
// ErrConflict (re-read with Get, check the rules again, retry: Apply).
// fromRev must be the protocol's latest revision: an older one is a
// conflict, a newer one an error. ErrNotFound when the protocol is
// absent.
func (s *Protocols) Transition(ctx context.Context, id model.ProtocolID, fromRev int, tr ProtocolTransition) (model.Protocol, error) {
	what := fmt.Sprintf("protocol %s: transition from revision %d", id, fromRev)
	if !tr.Kind.Valid() || tr.Kind == model.ProtocolEventCreated {
		return model.Protocol{}, fmt.Errorf("store: %s: kind %q", what, tr.Kind)
	}
	prev, err := s.stateAt(ctx, id, fromRev)
	if err != nil {
		return model.Protocol{}, err
	}
	next := tr.State
	next.ID, next.CPTSID, next.AuthorID, next.CreatedAt = prev.ID, prev.CPTSID, prev.AuthorID, prev.CreatedAt
	next.Rev, next.UpdatedAt = fromRev+1, tr.At
	var vd *protocolVersionDoc
	if tr.Version != nil {
		v := *tr.Version
		v.ProtocolID = id
		if v.N != prev.CurrentVersion+1 || next.CurrentVersion != v.N {
			return model.Protocol{}, fmt.Errorf("store: %s: version %d after version %d, state at %d", what, v.N, prev.CurrentVersion, next.CurrentVersion)
		}
		d := versionToDoc(v)
		vd = &d
	} else if next.CurrentVersion != prev.CurrentVersion {
		return model.Protocol{}, fmt.Errorf("store: %s: current version moved without a new version", what)
	}
	if err := checkProtocolState(next); err != nil {
		return model.Protocol{}, fmt.Errorf("store: %s: %w", what, err)
	}
	nd := protocolToDoc(next)
	ev := protocolEventDoc{ID: eventID(id, next.Rev), ProtocolID: id, Rev: next.Rev, Kind: tr.Kind, ActorID: tr.ActorID,
		At: msUTC(tr.At), Note: tr.Note, State: nd, Version: vd}
	if _, err := s.events.InsertOne(ctx, ev); err != nil {
		if isDuplicateKey(err) {
			return model.Protocol{}, fmt.Errorf("store: %s: revision %d taken: %w", what, next.Rev, model.ErrConflict)
		}
		return model.Protocol{}, dbErr(err, what)
	}
	// The transition is recorded: it happened. Should its projection fail
	// (the database gone meanwhile), the next Get or RepairAll completes
	// it, so that is no failure of the transition.
	_, _ = s.advance(ctx, nd, &ev)
	return nd.model(), nil
}

// stateAt returns the state of revision rev, which must exist:
// ErrConflict when a later revision exists is not its business (the
// insert tells), but a revision above the latest is refused, so that
// revisions stay contiguous.
func (s *Protocols) stateAt(ctx context.Context, id model.ProtocolID, rev int) (protocolDoc, error) {
	what := fmt.Sprintf("protocol %s: revision %d", id, rev)
	var ev protocolEventDoc
	err := s.events.FindOne(ctx, byID(eventID(id, rev)), options.FindOne().SetProjection(bson.D{{Key: "version", Value: 0}})).Decode(&ev)
	if err == nil {
		return ev.State, nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return protocolDoc{}, dbErr(err, what)
	}
	// Revision 1 may lack its event (see Create): the document tells.
	var d protocolDoc
	err = s.coll.FindOne(ctx, byID(string(id))).Decode(&d)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return protocolDoc{}, notFound("protocol " + string(id))
	case err != nil:
		return protocolDoc{}, dbErr(err, what)
	case rev == 1 && d.Rev == 1:
		return d, nil
	case rev < d.Rev:
		return protocolDoc{}, fmt.Errorf("store: %s: superseded: %w", what, model.ErrConflict)
	}
	return protocolDoc{}, fmt.Errorf("store: %s: no such revision (latest %d)", what, d.Rev)
}

// maxApplyAttempts bounds Apply's retries.
const maxApplyAttempts = 50

// Apply reads the protocol, asks decide for the transition to make from
// that state (decide checks the business rules and returns its own error
// to refuse), records it, and starts again from the new state when a
// concurrent transition won the revision. So two coordinators validating
// at once make one transition: the second decide sees the protocol
// validated and refuses. After a lost race it waits a few milliseconds at
// random; ErrConflict after maxApplyAttempts lost races.
func (s *Protocols) Apply(ctx context.Context, id model.ProtocolID, decide func(model.Protocol) (ProtocolTransition, error)) (model.Protocol, error) {
	for attempt := 0; attempt < maxApplyAttempts; attempt++ {
		cur, err := s.Get(ctx, id)
		if err != nil {
			return model.Protocol{}, err
		}
		tr, err := decide(cur)
		if err != nil {
			return model.Protocol{}, err
		}
		next, err := s.Transition(ctx, id, cur.Rev, tr)
		if !errors.Is(err, model.ErrConflict) {
			return next, err
		}
		// Lost to a concurrent transition: wait a little, at random, so
		// that several writers do not keep colliding.
		select {
		case <-ctx.Done():
			return model.Protocol{}, ctx.Err()
		case <-time.After(rand.N(time.Duration(min(attempt+1, 10)) * time.Millisecond)):
		}
	}
	return model.Protocol{}, fmt.Errorf("store: protocol %s: %d transitions lost to concurrent ones: %w", id, maxApplyAttempts, model.ErrConflict)
}

// Events returns the history of the protocol, oldest first.
func (s *Protocols) Events(ctx context.Context, id model.ProtocolID) ([]model.ProtocolEvent, error) {
	p, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	ids := make([]string, p.Rev)
	for i := range ids {
		ids[i] = eventID(id, i+1)
	}
	docs, err := findByIDs[protocolEventDoc](ctx, s.events, s.backend != BackendMongoDB, ids)
	if err != nil {
		return nil, dbErr(err, "history of protocol "+string(id))
	}
	slices.SortFunc(docs, func(a, b protocolEventDoc) int { return cmp.Compare(a.Rev, b.Rev) })
	return models(docs), nil
}

// RepairAll brings every protocol up to date with its events (a crash
// between a transition's event and its projection, or between the
// document and its index entry) and writes back the creation event of a
// protocol created just before a crash. It returns
// how many protocols it repaired. Open does not run it: the caller does,
// at start-up.
func (s *Protocols) RepairAll(ctx context.Context) (int, error) {
	var docs []protocolDoc
	if err := findAll(ctx, s.coll, bson.D{}, nil, &docs); err != nil {
		return 0, dbErr(err, "list protocols to repair")
	}
	next := make([]string, len(docs))
	for i, d := range docs {
		next[i] = eventID(d.ID, d.Rev+1)
	}
	found, err := findByIDs[protocolEventDoc](ctx, s.events, s.backend != BackendMongoDB, next)
	if err != nil {
		return 0, dbErr(err, "look for unprojected events")
	}
	lagging := make(map[model.ProtocolID]bool, len(found))
	for _, e := range found {
		lagging[e.ProtocolID] = true
	}
	var entries []protocolIndexDoc
	if err := findAll(ctx, s.index, bson.D{}, nil, &entries); err != nil {
		return 0, dbErr(err, "list protocol index to repair")
	}
	indexed := make(map[model.ProtocolID]protocolIndexDoc, len(entries))
	for _, e := range entries {
		indexed[e.ID] = e
	}
	repaired := 0
	for _, d := range docs {
		if lagging[d.ID] {
			if _, err := s.advance(ctx, d, nil); err != nil {
				return repaired, err
			}
			repaired++
			continue
		}
		if e, ok := indexed[d.ID]; !ok || e.Row != indexOf(d).Row || e.Status != d.Status || !slices.Equal(e.SeenBy, d.SeenBy) {
			// Stopped between the document and its index entry, or an
			// entry written by an older version of indexOf.
			if err := replaceUpsert(ctx, s.index, string(d.ID), indexOf(d)); err != nil {
				return repaired, dbErr(err, "index protocol "+string(d.ID))
			}
			repaired++
		}
		if d.Rev == 1 {
			ok, err := exists(ctx, s.events, eventID(d.ID, 1))
			if err != nil {
				return repaired, dbErr(err, "creation of protocol "+string(d.ID))
			}
			if !ok {
				var v protocolVersionDoc
				if err := s.versions.FindOne(ctx, byID(seqID(string(d.ID), 1))).Decode(&v); err != nil {
					return repaired, dbErr(err, "version 1 of protocol "+string(d.ID))
				}
				ev := protocolEventDoc{ID: eventID(d.ID, 1), ProtocolID: d.ID, Rev: 1, Kind: model.ProtocolEventCreated,
					ActorID: d.AuthorID, At: d.CreatedAt, State: d, Version: &v}
				if _, err := s.events.InsertOne(ctx, ev); err != nil && !isDuplicateKey(err) {
					return repaired, dbErr(err, "creation of protocol "+string(d.ID))
				}
				repaired++
			}
		}
	}
	return repaired, nil
}

// ProtocolQuery selects protocols of the library.
type ProtocolQuery struct {
	// Viewer are the CPTS the user is an active member of: the result is
	// what they see, i.e. the protocols owned by one of them, shared
	// (listed) with one of them, or platform-wide.
	Viewer []model.CPTSID
	// Owners, when set, keeps only the protocols owned by one of them.
	Owners []model.CPTSID
	// Mission and Profession, when set, keep the protocols tagged so.
	Mission    model.Mission
	Profession model.Profession
	// Statuses, when set, keeps the protocols in one of them.
	Statuses []model.ProtocolStatus
	// Published, when set, keeps only the protocols validated at least
	// once (ValidatedVersion > 0), except those owned by one of DraftsOf,
	// listed in every state: what a member of DraftsOf sees of the
	// library (drafts stay within their CPTS).
	Published bool
	DraftsOf  []model.CPTSID
	// ReviewDueBefore, when set, keeps the protocols with a review date
	// before it (today + 30 days: due within 30 days or overdue).
	ReviewDueBefore model.Date
	// After is the Next of the previous page ("" first page).
	After string
	// Limit is the page size: default 50, at most 200.
	Limit int
}

// ProtocolPage is one page of a library query.
type ProtocolPage struct {
	Items []model.Protocol
	// Total counts every protocol the query matches, all pages.
	Total int
	// Next is the After of the next page; "" when this one is the last.
	Next string
}

// List returns the protocols the query selects, ordered by title
// (accents and case folded), then id. It reads protocol_index: one query
// per seen_by key (the viewer's CPTS and the platform) on
// FerretDB-PostgreSQL, pushed down to SQL on an index of seen_by with
// the status when one is asked; one query elsewhere. The other filters, the
// order and the page are applied in Go, then the page's protocols are
// read by _id (and checked against the filters again, should an index
// entry lag its document).
func (s *Protocols) List(ctx context.Context, q ProtocolQuery) (ProtocolPage, error) {
	after, err := parseCursor(q.After)
	if err != nil {
		return ProtocolPage{}, err
	}
	var extra bson.D
	if len(q.Statuses) == 1 {
		extra = eq("status", q.Statuses[0])
	}
	entries, err := seenEntries(ctx, s.index, s.backend, q.Viewer, extra, func(d protocolIndexDoc) string { return string(d.ID) }, q.matchesEntry)
	if err != nil {
		return ProtocolPage{}, dbErr(err, "list protocols")
	}
	byTitle := func(a protocolEntry, bKey, bID string) int {
		if c := cmp.Compare(a.titleKey, bKey); c != 0 {
			return c
		}
		return cmp.Compare(string(a.id), bID)
	}
	keyOf := func(e protocolEntry) (string, model.ProtocolID) { return e.titleKey, e.id }
	items, next, err := entryPage(ctx, entries, after, pageLimit(q.Limit, 50, 200), keyOf, byTitle, s.ByIDs, q.matches)
	if err != nil {
		return ProtocolPage{}, err
	}
	return ProtocolPage{Total: len(entries), Items: items, Next: next}, nil
}

func (q ProtocolQuery) matchesEntry(e protocolEntry) bool {
	has := func(tag string) bool { return slices.Contains(e.tags, tag) }
	switch {
	case len(q.Owners) > 0 && !slices.Contains(q.Owners, e.owner):
		return false
	case len(q.Statuses) > 0 && !slices.Contains(q.Statuses, e.status):
		return false
	case q.Mission != "" && !has("m:"+string(q.Mission)):
		return false
	case q.Profession != "" && !has("p:"+string(q.Profession)):
		return false
	case q.ReviewDueBefore != "" && (e.reviewDate == "" || !e.reviewDate.Before(q.ReviewDueBefore)):
		return false
	case q.Published && !has(publishedTag) && !slices.Contains(q.DraftsOf, e.owner):
		return false
	}
	return true
}

// matches checks a protocol read by _id against the query, visibility
// included.
func (q ProtocolQuery) matches(p model.Protocol) bool {
	seen := false
	keys := viewerKeys(q.Viewer)
	for _, k := range seenByKeys(p.CPTSID, p.Visibility, p.SharedWith) {
		seen = seen || slices.Contains(keys, k)
	}
	return seen && q.matchesEntry(indexOf(protocolToDoc(p)).entry())
}

// ProtocolVersions is the protocol_versions collection: _id = protocol id
// + ":" + n (zero-padded), written only by Protocols (Create and the
// projection of transitions), never changed.
type ProtocolVersions struct {
	coll    collection
	backend string
}

// Get returns version n of the protocol; ErrNotFound when absent (read the
// protocol with Protocols.Get first: it writes a version whose projection
// a crash interrupted).
func (s *ProtocolVersions) Get(ctx context.Context, id model.ProtocolID, n int) (model.ProtocolVersion, error) {
	return getByID[protocolVersionDoc](ctx, s.coll, seqID(string(id), n), fmt.Sprintf("version %d of protocol %s", n, id))
}

// List returns versions 1…upTo of the protocol (its CurrentVersion),
// ascending, without their Body, HTML and Text.
func (s *ProtocolVersions) List(ctx context.Context, id model.ProtocolID, upTo int) ([]model.ProtocolVersion, error) {
	ids := make([]string, 0, max(upTo, 0))
	for n := 1; n <= upTo; n++ {
		ids = append(ids, seqID(string(id), n))
	}
	docs, err := findByIDs[protocolVersionDoc](ctx, s.coll, s.backend != BackendMongoDB, ids)
	if err != nil {
		return nil, dbErr(err, "versions of protocol "+string(id))
	}
	slices.SortFunc(docs, func(a, b protocolVersionDoc) int { return cmp.Compare(a.N, b.N) })
	out := make([]model.ProtocolVersion, len(docs))
	for i, d := range docs {
		d.Body, d.HTML, d.Text = "", "", ""
		out[i] = d.model()
	}
	return out, nil
}

// ProtocolReviews is the protocol_reviews collection: _id = protocol id +
// ":" + version + ":" + reviewer, so a reviewer decides once per version
// even when they submit twice at once. Index on pv (protocol:version) and
// protocol_id.
type ProtocolReviews struct {
	coll    collection
	backend string
}

type protocolReviewDoc struct {
	ID         string               `bson:"_id"`
	ProtocolID model.ProtocolID     `bson:"protocol_id"`
	Version    int                  `bson:"version"`
	PV         string               `bson:"pv"`
	ReviewerID model.UserID         `bson:"reviewer_id"`
	Decision   model.ReviewDecision `bson:"decision"`
	Comment    string               `bson:"comment,omitempty"`
	At         time.Time            `bson:"at"`
}

func (d protocolReviewDoc) model() model.ProtocolReview {
	return model.ProtocolReview{ProtocolID: d.ProtocolID, Version: d.Version, ReviewerID: d.ReviewerID, Decision: d.Decision, Comment: d.Comment, At: d.At.UTC()}
}

func pvKey(id model.ProtocolID, version int) string { return fmt.Sprintf("%s:%d", id, version) }

func versionUserID(id model.ProtocolID, version int, u model.UserID) string {
	return pvKey(id, version) + ":" + string(u)
}

// EnsureIndexes creates the pv and protocol_id indexes; idempotent.
func (s *ProtocolReviews) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, s.coll,
		index("pv", "pv"),
		index("protocol_id", "protocol_id"),
	)
}

// Insert records a reviewer's decision on a version; ErrConflict when
// they already decided on it. Whether they may (named reviewer, protocol
// in relecture, current version) is core's rule.
func (s *ProtocolReviews) Insert(ctx context.Context, r model.ProtocolReview) error {
	if !r.Decision.Valid() || r.Version < 1 {
		return fmt.Errorf("store: review of protocol %s: decision %q on version %d", r.ProtocolID, r.Decision, r.Version)
	}
	_, err := s.coll.InsertOne(ctx, protocolReviewDoc{
		ID: versionUserID(r.ProtocolID, r.Version, r.ReviewerID), ProtocolID: r.ProtocolID, Version: r.Version,
		PV: pvKey(r.ProtocolID, r.Version), ReviewerID: r.ReviewerID, Decision: r.Decision, Comment: r.Comment, At: msUTC(r.At),
	})
	return dbErr(err, fmt.Sprintf("review of %s on version %d of protocol %s", r.ReviewerID, r.Version, r.ProtocolID))
}

// ByVersion returns the decisions on a version, oldest first.
func (s *ProtocolReviews) ByVersion(ctx context.Context, id model.ProtocolID, version int) ([]model.ProtocolReview, error) {
	return s.find(ctx, eq("pv", pvKey(id, version)), fmt.Sprintf("reviews of version %d of protocol %s", version, id))
}

// ByProtocol returns the decisions on every version, oldest first.
func (s *ProtocolReviews) ByProtocol(ctx context.Context, id model.ProtocolID) ([]model.ProtocolReview, error) {
	return s.find(ctx, eq("protocol_id", id), "reviews of protocol "+string(id))
}

func (s *ProtocolReviews) find(ctx context.Context, filter bson.D, what string) ([]model.ProtocolReview, error) {
	return findOldestFirst(ctx, s.coll, filter, func(x protocolReviewDoc) (time.Time, string) { return x.At, x.ID }, what)
}

// Of returns the decisions of these reviewers on a version, by reviewer
// (absent: not decided), by _id lookups: what validation checks, fast on
// every backend.
func (s *ProtocolReviews) Of(ctx context.Context, id model.ProtocolID, version int, reviewers []model.UserID) (map[model.UserID]model.ProtocolReview, error) {
	ids := mapSlice(reviewers, func(u model.UserID) string { return versionUserID(id, version, u) })
	return modelsByKey(ctx, s.coll, s.backend != BackendMongoDB, ids, func(d protocolReviewDoc) model.UserID { return d.ReviewerID },
		fmt.Sprintf("reviews of version %d of protocol %s", version, id))
}

// ProtocolAcks is the protocol_acks collection: _id = protocol id + ":" +
// version + ":" + user, one acknowledgement per member and validated
// version. Index on pv.
type ProtocolAcks struct {
	coll    collection
	backend string
}

type protocolAckDoc struct {
	ID         string           `bson:"_id"`
	ProtocolID model.ProtocolID `bson:"protocol_id"`
	Version    int              `bson:"version"`
	PV         string           `bson:"pv"`
	UserID     model.UserID     `bson:"user_id"`
	At         time.Time        `bson:"at"`
}

func (d protocolAckDoc) model() model.ProtocolAck {
	return model.ProtocolAck{ProtocolID: d.ProtocolID, Version: d.Version, UserID: d.UserID, At: d.At.UTC()}
}

// EnsureIndexes creates the pv index; idempotent.
func (s *ProtocolAcks) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, s.coll, index("pv", "pv"))
}

// Insert records the acknowledgement; ErrConflict when the member already
// acknowledged this version. Whether they may (sees the protocol, version
// is the validated one) is core's rule.
func (s *ProtocolAcks) Insert(ctx context.Context, a model.ProtocolAck) error {
	if a.Version < 1 {
		return fmt.Errorf("store: acknowledgement of protocol %s: version %d", a.ProtocolID, a.Version)
	}
	_, err := s.coll.InsertOne(ctx, protocolAckDoc{
		ID: versionUserID(a.ProtocolID, a.Version, a.UserID), ProtocolID: a.ProtocolID, Version: a.Version,
		PV: pvKey(a.ProtocolID, a.Version), UserID: a.UserID, At: msUTC(a.At),
	})
	return dbErr(err, fmt.Sprintf("acknowledgement of %s of version %d of protocol %s", a.UserID, a.Version, a.ProtocolID))
}

// ByVersion returns who acknowledged the version, oldest first (members
// of any CPTS that sees it). On FerretDB-SQLite it reads the whole
// collection: for the members of one CPTS, Of is cheaper there.
func (s *ProtocolAcks) ByVersion(ctx context.Context, id model.ProtocolID, version int) ([]model.ProtocolAck, error) {
	return findOldestFirst(ctx, s.coll, eq("pv", pvKey(id, version)), func(x protocolAckDoc) (time.Time, string) { return x.At, x.ID },
		fmt.Sprintf("acknowledgements of version %d of protocol %s", version, id))
}

// Of returns the acknowledgements of these users of the version, by user
// (absent: not acknowledged), by _id lookups.
func (s *ProtocolAcks) Of(ctx context.Context, id model.ProtocolID, version int, users []model.UserID) (map[model.UserID]model.ProtocolAck, error) {
	ids := mapSlice(users, func(u model.UserID) string { return versionUserID(id, version, u) })
	return modelsByKey(ctx, s.coll, s.backend != BackendMongoDB, ids, func(d protocolAckDoc) model.UserID { return d.UserID },
		fmt.Sprintf("acknowledgements of version %d of protocol %s", version, id))
}

// ByUser returns which of these versions the user acknowledged, by
// protocol (pass each visible protocol's ValidatedVersion), by _id
// lookups.
func (s *ProtocolAcks) ByUser(ctx context.Context, user model.UserID, refs []model.ProtocolVersionRef) (map[model.ProtocolID]model.ProtocolAck, error) {
	ids := make([]string, 0, len(refs))
	for _, r := range refs {
		if r.Version > 0 {
			ids = append(ids, versionUserID(r.ProtocolID, r.Version, user))
		}
	}
	docs, err := findByIDs[protocolAckDoc](ctx, s.coll, s.backend != BackendMongoDB, ids)
	if err != nil {
		return nil, dbErr(err, "acknowledgements of "+string(user))
	}
	out := make(map[model.ProtocolID]model.ProtocolAck, len(docs))
	for _, d := range docs {
		out[d.ProtocolID] = d.model()
	}
	return out, nil
}
