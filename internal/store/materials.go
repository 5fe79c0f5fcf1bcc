package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/ecpts/ecpts/internal/model"
)

// Materials is the materials collection (prevention materials): _id =
// material id. Visibility works as for protocols (the seen_by keys);
// deletion is soft and final, guarded by a tombstone against a concurrent
// edit (see tombstones).
//
// List reads material_index, one small entry per material that is not
// deleted (seen_by, theme, row), as Protocols.List reads protocol_index:
// FerretDB decodes the small entries several times faster. Each write
// of a material writes its entry from the document it left.
type Materials struct {
	coll    collection
	index   collection
	tombs   tombstones
	backend string
}

// materialIndexDoc is a material's entry in material_index: seen_by (for
// the equality FerretDB-PostgreSQL pushes down), theme (a second one),
// the rest packed in one string (see protocolIndexDoc).
type materialIndexDoc struct {
	ID     model.MaterialID `bson:"_id"`
	SeenBy []string         `bson:"seen_by"`
	Theme  model.Theme      `bson:"theme"`
	// Row is the sort key, the owner, ValidFrom, ValidTo, UpdatedAt (ms)
	// and the tags ("c:<campaign>", "a:<audience>", "k:<kind>",
	// "l:<language>", space-separated), separated by rowSep.
	Row string `bson:"row"`
}

type materialEntry struct {
	id                 model.MaterialID
	theme              model.Theme
	sortKey            string
	owner              model.CPTSID
	validFrom, validTo model.Date
	tags               []string
}

func materialIndexOf(d materialDoc) materialIndexDoc {
	tags := []string{"a:" + string(d.Audience), "k:" + string(d.Kind), "l:" + d.Language}
	if d.Campaign != "" {
		tags = append(tags, "c:"+string(d.Campaign))
	}
	row := strings.Join([]string{materialSortKey(d), string(d.CPTSID), string(d.ValidFrom), string(d.ValidTo),
		fmt.Sprint(d.UpdatedAt.UnixMilli()), strings.Join(tags, " ")}, rowSep)
	return materialIndexDoc{ID: d.ID, SeenBy: d.SeenBy, Theme: d.Theme, Row: row}
}

func (d materialIndexDoc) entry() materialEntry {
	parts := strings.SplitN(d.Row, rowSep, 6)
	for len(parts) < 6 {
		parts = append(parts, "")
	}
	return materialEntry{id: d.ID, theme: d.Theme, sortKey: parts[0], owner: model.CPTSID(parts[1]), validFrom: model.Date(parts[2]),
		validTo: model.Date(parts[3]), tags: strings.Fields(parts[5])}
}

// reindex writes the entry of the material as its document now stands
// (or removes it, for a deleted material).
func (s *Materials) reindex(ctx context.Context, id model.MaterialID) error {
	var d materialDoc
	err := s.coll.FindOne(ctx, byID(string(id))).Decode(&d)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments) || err == nil && d.DeletedAt != nil:
		_, err = s.index.DeleteOne(ctx, byID(string(id)))
	case err == nil:
		err = replaceUpsert(ctx, s.index, string(id), materialIndexOf(d))
	}
	return dbErr(err, "index material "+string(id))
}

type materialDoc struct {
	ID          model.MaterialID       `bson:"_id"`
	CPTSID      model.CPTSID           `bson:"cpts_id"`
	Title       string                 `bson:"title"`
	Description string                 `bson:"description"`
	Kind        model.MaterialKind     `bson:"kind"`
	FileID      model.FileID           `bson:"file_id,omitempty"`
	URL         string                 `bson:"url,omitempty"`
	Theme       model.Theme            `bson:"theme"`
	Campaign    model.Campaign         `bson:"campaign"`
	Audience    model.MaterialAudience `bson:"audience"`
	Language    string                 `bson:"language"`
	ValidFrom   model.Date             `bson:"valid_from"`
	ValidTo     model.Date             `bson:"valid_to"`
	Visibility  model.Sharing          `bson:"visibility"`
	SharedWith  []model.CPTSID         `bson:"shared_with"`
	SeenBy      []string               `bson:"seen_by"`
	AuthorID    model.UserID           `bson:"author_id"`
	CreatedAt   time.Time              `bson:"created_at"`
	UpdatedAt   time.Time              `bson:"updated_at"`
	DeletedAt   *time.Time             `bson:"deleted_at"` // null until deleted
}

func materialToDoc(m model.Material) materialDoc {
	return materialDoc{
		ID: m.ID, CPTSID: m.CPTSID, Title: m.Title, Description: m.Description, Kind: m.Kind, FileID: m.FileID, URL: m.URL,
		Theme: m.Theme, Campaign: m.Campaign, Audience: m.Audience, Language: m.Language, ValidFrom: m.ValidFrom, ValidTo: m.ValidTo,
		Visibility: m.Visibility, SharedWith: nonNil(m.SharedWith), SeenBy: seenByKeys(m.CPTSID, m.Visibility, m.SharedWith),
		AuthorID: m.AuthorID, CreatedAt: msUTC(m.CreatedAt), UpdatedAt: msUTC(m.UpdatedAt), DeletedAt: msUTCPtr(m.DeletedAt),
	}
}

func (d materialDoc) model() model.Material {
	return model.Material{
		ID: d.ID, CPTSID: d.CPTSID, Title: d.Title, Description: d.Description, Kind: d.Kind, FileID: d.FileID, URL: d.URL,
		Theme: d.Theme, Campaign: d.Campaign, Audience: d.Audience, Language: d.Language, ValidFrom: d.ValidFrom, ValidTo: d.ValidTo,
		Visibility: d.Visibility, SharedWith: nonNil(d.SharedWith), AuthorID: d.AuthorID, CreatedAt: d.CreatedAt.UTC(),
		UpdatedAt: d.UpdatedAt.UTC(), DeletedAt: utcPtr(d.DeletedAt),
	}
}

// EnsureIndexes creates the cpts_id index of materials and the (seen_by,
// theme) index of material_index; idempotent.
func (s *Materials) EnsureIndexes(ctx context.Context) error {
	if err := ensureIndexes(ctx, s.coll, index("cpts_id", "cpts_id")); err != nil {
		return err
	}
	return ensureIndexes(ctx, s.index, index("seen_by_theme", "seen_by", "theme"))
}

func materialTomb(id model.MaterialID) string { return "material:" + string(id) }

// checkMaterial checks what the store itself guarantees: known kind,
// theme, campaign, audience and sharing, a file or a link as the kind
// says, real dates in order.
func checkMaterial(m model.Material) error {
	switch {
	case !model.ValidID(string(m.ID)):
		return errors.New("invalid id")
	case m.CPTSID == "":
		return errors.New("no owner CPTS")
	case !m.Kind.Valid():
		return fmt.Errorf("unknown kind %q", m.Kind)
	case m.Kind == model.MaterialFile && (m.FileID == "" || m.URL != ""):
		return errors.New("a file material has a file and no URL")
	case m.Kind == model.MaterialLink && (m.URL == "" || m.FileID != ""):
		return errors.New("a link has a URL and no file")
	case !m.Theme.Valid():
		return fmt.Errorf("unknown theme %q", m.Theme)
	case m.Campaign != "" && !m.Campaign.Valid():
		return fmt.Errorf("unknown campaign %q", m.Campaign)
	case !m.Audience.Valid():
		return fmt.Errorf("unknown audience %q", m.Audience)
	case !m.Visibility.Valid():
		return fmt.Errorf("unknown visibility %q", m.Visibility)
	case m.ValidFrom != "" && !m.ValidFrom.Valid(), m.ValidTo != "" && !m.ValidTo.Valid():
		return errors.New("invalid validity dates")
	case m.ValidFrom != "" && m.ValidTo != "" && m.ValidTo.Before(m.ValidFrom):
		return errors.New("validity ends before it starts")
	}
	return nil
}

// Insert stores a new material (ID set when empty, UpdatedAt = CreatedAt,
// not deleted) and returns it as stored; ErrConflict when the id is
// taken. Should its index entry fail to be written, the material is
// stored all the same and the error says so (RepairIndex writes it).
func (s *Materials) Insert(ctx context.Context, m model.Material) (model.Material, error) {
	if m.ID == "" {
		m.ID = model.MaterialID(model.NewID())
	}
	m.UpdatedAt, m.DeletedAt = m.CreatedAt, nil
	what := "insert material " + string(m.ID)
	if err := checkMaterial(m); err != nil {
		return model.Material{}, fmt.Errorf("store: %s: %w", what, err)
	}
	d := materialToDoc(m)
	if _, err := s.coll.InsertOne(ctx, d); err != nil {
		return model.Material{}, dbErr(err, what)
	}
	if err := replaceUpsert(ctx, s.index, string(d.ID), materialIndexOf(d)); err != nil {
		return model.Material{}, fmt.Errorf("store: material %s stored, not indexed: %w", d.ID, err)
	}
	return d.model(), nil
}

// ByID returns the material, deleted or not; ErrNotFound when absent.
func (s *Materials) ByID(ctx context.Context, id model.MaterialID) (model.Material, error) {
	return getByID[materialDoc](ctx, s.coll, string(id), "material "+string(id))
}

// ByIDs returns the materials among ids that exist, deleted ones
// included, in the order of ids.
func (s *Materials) ByIDs(ctx context.Context, ids []model.MaterialID) ([]model.Material, error) {
	docs, err := findByIDs[materialDoc](ctx, s.coll, s.backend != BackendMongoDB, ids)
	if err != nil {
		return nil, dbErr(err, fmt.Sprintf("materials by %d ids", len(ids)))
	}
	return inOrder(ids, models[materialDoc](docs), func(m model.Material) model.MaterialID { return m.ID }), nil
}

// Update writes the editable fields of m (all but the owner, the author
// and the creation time) and returns the material as stored; ErrNotFound
// when absent or deleted, even by a deletion that ran concurrently.
func (s *Materials) Update(ctx context.Context, m model.Material) (model.Material, error) {
	what := "update material " + string(m.ID)
	cur, err := s.ByID(ctx, m.ID)
	if err != nil {
		return model.Material{}, err
	}
	if cur.Deleted() {
		return model.Material{}, notFound(what)
	}
	m.CPTSID, m.AuthorID, m.CreatedAt, m.DeletedAt = cur.CPTSID, cur.AuthorID, cur.CreatedAt, nil
	if err := checkMaterial(m); err != nil {
		return model.Material{}, fmt.Errorf("store: %s: %w", what, err)
	}
	d := materialToDoc(m)
	set := bson.D{
		{Key: "title", Value: d.Title}, {Key: "description", Value: d.Description}, {Key: "kind", Value: d.Kind},
		{Key: "file_id", Value: d.FileID}, {Key: "url", Value: d.URL}, {Key: "theme", Value: d.Theme},
		{Key: "campaign", Value: d.Campaign}, {Key: "audience", Value: d.Audience}, {Key: "language", Value: d.Language},
		{Key: "valid_from", Value: d.ValidFrom}, {Key: "valid_to", Value: d.ValidTo}, {Key: "visibility", Value: d.Visibility},
		{Key: "shared_with", Value: d.SharedWith}, {Key: "seen_by", Value: d.SeenBy}, {Key: "updated_at", Value: d.UpdatedAt},
	}
	res, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: string(m.ID)}, {Key: "deleted_at", Value: nil}}, setOp(set))
	if err != nil {
		return model.Material{}, dbErr(err, what)
	}
	if res.MatchedCount == 0 {
		return model.Material{}, notFound(what)
	}
	deletedAt, err := s.tombs.at(ctx, materialTomb(m.ID))
	if err != nil {
		return model.Material{}, err
	}
	if deletedAt != nil {
		if err := s.erase(ctx, m.ID, *deletedAt); err != nil {
			return model.Material{}, err
		}
		return model.Material{}, notFound(what)
	}
	if err := s.reindex(ctx, m.ID); err != nil {
		return model.Material{}, err
	}
	return s.ByID(ctx, m.ID)
}

// Delete soft-deletes the material at at (it leaves every list); deleting
// a deleted material is a no-op; ErrNotFound when absent. The file of a
// file material is the caller's to detach.
func (s *Materials) Delete(ctx context.Context, id model.MaterialID, at time.Time) error {
	if ok, err := exists(ctx, s.coll, string(id)); err != nil {
		return dbErr(err, "delete material "+string(id))
	} else if !ok {
		return notFound("delete material " + string(id))
	}
	if err := s.tombs.mark(ctx, materialTomb(id), at); err != nil {
		return err
	}
	return s.erase(ctx, id, at)
}

func (s *Materials) erase(ctx context.Context, id model.MaterialID, at time.Time) error {
	_, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: string(id)}, {Key: "deleted_at", Value: nil}},
		setOp(eq("deleted_at", msUTC(at))))
	if err != nil {
		return dbErr(err, "delete material "+string(id))
	}
	_, err = s.index.DeleteOne(ctx, byID(string(id)))
	return dbErr(err, "unindex material "+string(id))
}

// RepairIndex rewrites the index entries that do not match their
// material (a crash between the two writes, or two edits at once whose
// writes interleaved) and returns how many it fixed. The caller runs it
// at start-up, with Protocols.RepairAll.
func (s *Materials) RepairIndex(ctx context.Context) (int, error) {
	var docs []materialDoc
	if err := findAll(ctx, s.coll, bson.D{}, nil, &docs); err != nil {
		return 0, dbErr(err, "list materials to repair")
	}
	var entries []materialIndexDoc
	if err := findAll(ctx, s.index, bson.D{}, nil, &entries); err != nil {
		return 0, dbErr(err, "list material index to repair")
	}
	byID := make(map[model.MaterialID]materialIndexDoc, len(entries))
	for _, e := range entries {
		byID[e.ID] = e
	}
	fixed := 0
	for _, d := range docs {
		e, indexed := byID[d.ID]
		delete(byID, d.ID)
		want := materialIndexOf(d)
		upToDate := indexed && slices.Equal(e.SeenBy, want.SeenBy) && e.Theme == want.Theme && e.Row == want.Row
		if d.DeletedAt == nil && upToDate || d.DeletedAt != nil && !indexed {
			continue
		}
		if err := s.reindex(ctx, d.ID); err != nil {
			return fixed, err
		}
		fixed++
	}
	for id := range byID { // entries of materials that no longer exist
		if err := s.reindex(ctx, id); err != nil {
			return fixed, err
		}
		fixed++
	}
	return fixed, nil
}

// MaterialQuery selects prevention materials.
type MaterialQuery struct {
	// Viewer are the CPTS the user is an active member of (see
	// ProtocolQuery.Viewer).
	Viewer []model.CPTSID
	// Owners, when set, keeps the materials owned by one of them.
	Owners []model.CPTSID
	// Each filter below, when set, keeps the materials that match it.
	Theme    model.Theme
	Campaign model.Campaign
	Audience model.MaterialAudience
	Kind     model.MaterialKind
	Language string
	// ValidOn keeps the materials valid on that day (open bounds match).
	ValidOn model.Date
	// After is the Next of the previous page ("" first page).
	After string
	// Limit is the page size: default 50, at most 200.
	Limit int
}

// MaterialPage is one page of a materials query.
type MaterialPage struct {
	Items []model.Material
	Total int    // every material the query matches, all pages
	Next  string // After of the next page; "" when this one is the last
}

// materialSortKey orders materials newest first: the creation time in
// milliseconds, zero-padded so strings compare like numbers.
func materialSortKey(d materialDoc) string { return fmt.Sprintf("%016d", d.CreatedAt.UnixMilli()) }

// List returns the materials the query selects that are not deleted,
// newest first (ties by id, descending). It reads material_index by
// seen_by key as Protocols.List does, the theme pushed down with it when
// asked, then reads the page by _id and checks it again.
func (s *Materials) List(ctx context.Context, q MaterialQuery) (MaterialPage, error) {
	after, err := parseCursor(q.After)
	if err != nil {
		return MaterialPage{}, err
	}
	var extra bson.D
	if q.Theme != "" {
		extra = eq("theme", q.Theme)
	}
	entries, err := seenEntries(ctx, s.index, s.backend, q.Viewer, extra, func(d materialIndexDoc) string { return string(d.ID) }, q.matchesEntry)
	if err != nil {
		return MaterialPage{}, dbErr(err, "list materials")
	}
	// Newest first: descending sort key, then descending id.
	newestFirst := func(a materialEntry, bKey, bID string) int {
		if c := cmp.Compare(bKey, a.sortKey); c != 0 {
			return c
		}
		return cmp.Compare(bID, string(a.id))
	}
	keyOf := func(e materialEntry) (string, model.MaterialID) { return e.sortKey, e.id }
	items, next, err := entryPage(ctx, entries, after, pageLimit(q.Limit, 50, 200), keyOf, newestFirst, s.ByIDs, q.matches)
	if err != nil {
		return MaterialPage{}, err
	}
	return MaterialPage{Total: len(entries), Items: items, Next: next}, nil
}

func (q MaterialQuery) matchesEntry(e materialEntry) bool {
	has := func(tag string) bool { return slices.Contains(e.tags, tag) }
	if q.Theme != "" && e.theme != q.Theme {
		return false
	}
	for _, f := range []struct{ prefix, value string }{
		{"c:", string(q.Campaign)}, {"a:", string(q.Audience)}, {"k:", string(q.Kind)}, {"l:", q.Language},
	} {
		if f.value != "" && !has(f.prefix+f.value) {
			return false
		}
	}
	if len(q.Owners) > 0 && !slices.Contains(q.Owners, e.owner) {
		return false
	}
	return q.ValidOn == "" || model.Material{ValidFrom: e.validFrom, ValidTo: e.validTo}.ValidOn(q.ValidOn)
}

// matches checks a material read by _id against the query, visibility
// and deletion included.
func (q MaterialQuery) matches(m model.Material) bool {
	if m.Deleted() {
		return false
	}
	seen := false
	keys := viewerKeys(q.Viewer)
	for _, k := range seenByKeys(m.CPTSID, m.Visibility, m.SharedWith) {
		seen = seen || slices.Contains(keys, k)
	}
	return seen && q.matchesEntry(materialIndexOf(materialToDoc(m)).entry())
}
