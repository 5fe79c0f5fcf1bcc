package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Index is a full-text index of the documents of e-CPTS. Both backends
// (bleve, Meilisearch) pass the same contract suite, search/searchtest.
//
// Every method may be called from several goroutines at once. Writes are
// applied in the order their calls return; a call that returned nil is
// visible to every Search that starts after it (the Meilisearch backend
// waits for its tasks). Errors carry document ids, never content.
type Index interface {
	// Upsert adds or replaces documents by ID. A document whose Version is
	// lower than the stored one is skipped (replays of an outbox are
	// harmless); an equal version replaces it. It fails with
	// ErrInvalidDocument, naming the id, when a document is malformed, and
	// then writes none of the batch.
	Upsert(ctx context.Context, docs ...Document) error
	// Delete removes documents by ID; unknown ids are not an error.
	Delete(ctx context.Context, ids ...string) error
	// Search runs a query. It returns only documents one of whose Scopes is
	// in q.Allowed, applied inside the engine's query (never after it, so
	// totals, pages and facets count only those). An empty Allowed returns
	// an empty Result; a query with no text and no filter returns
	// ErrEmptyQuery.
	Search(ctx context.Context, q Query) (Result, error)
	// Get returns one stored document, or ErrNotFound.
	Get(ctx context.Context, id string) (Document, error)
	// Count returns the number of documents.
	Count(ctx context.Context) (int, error)
	// Walk calls fn with the id and version of every document, in no
	// particular order, until fn returns an error (returned as is). A
	// rebuild upserts everything from the store, then walks the index to
	// delete what the store no longer has: interrupted, it loses nothing.
	Walk(ctx context.Context, fn func(id string, version int64) error) error
	// Check reports whether the index answers (for /readyz): nil, or an
	// error wrapping ErrUnavailable.
	Check(ctx context.Context) error
	// Close releases the index. Calls after it return ErrUnavailable.
	Close() error
}

// Errors of the package. Callers test them with errors.Is; each maps to a
// French message in the one error table of the server.
var (
	// ErrEmptyQuery: no words and no filter (only operators that were not
	// understood, or nothing at all). A filter-only query is valid.
	ErrEmptyQuery = errors.New("search: empty query")
	// ErrUnavailable: the engine cannot be reached, is closed or its files
	// are unreadable. Writes keep going to the outbox and are indexed later.
	ErrUnavailable = errors.New("search: index unavailable")
	// ErrNotFound: Get of an id the index does not hold.
	ErrNotFound = errors.New("search: document not found")
	// ErrInvalidDocument: Upsert of a document that cannot be indexed (see
	// Document.Validate).
	ErrInvalidDocument = errors.New("search: invalid document")
)

// Type is the kind of object a document stands for.
type Type string

const (
	TypeMessage  Type = "message"  // a message of a channel or of a thread
	TypePost     Type = "post"     // a publication of the feed (announcement, event)
	TypeProtocol Type = "protocol" // a pluriprofessional protocol, at its current validated version
	TypeMaterial Type = "material" // a prevention material (affiche, dépliant…)
	TypePerson   Type = "person"   // a member of the directory
	TypeChannel  Type = "channel"  // a channel, by its name and purpose
)

// Types lists every type, in the order the UI groups results.
var Types = []Type{TypeMessage, TypePost, TypeProtocol, TypeMaterial, TypePerson, TypeChannel}

// Valid reports whether t is one of Types.
func (t Type) Valid() bool { return slices.Contains(Types, t) }

// DocID returns the document id of object id of type t: "message:65f…".
func DocID(t Type, id string) string { return string(t) + ":" + id }

// SplitDocID is the inverse of DocID; ok is false when docID has no valid
// type prefix.
func SplitDocID(docID string) (t Type, id string, ok bool) {
	prefix, rest, found := strings.Cut(docID, ":")
	if !found || rest == "" || !Type(prefix).Valid() {
		return "", "", false
	}
	return Type(prefix), rest, true
}

// Document is what the index holds for one object. Core builds it from the
// store; the index never reads the store. Text fields are plain text (no
// Markdown, no HTML).
type Document struct {
	// ID is DocID(Type, object id), e.g. "message:<message id>",
	// "protocol:<protocol id>". At most MaxIDBytes bytes.
	ID   string `json:"id"`
	Type Type   `json:"type"`
	// Title: a post's, protocol's or material's title, a person's name, a
	// channel's name; empty for a message.
	Title string `json:"title,omitempty"`
	// Text: the body as plain text. For a protocol, the current validated
	// version's text (core puts the title in Title). Cut at MaxTextBytes.
	Text string `json:"text,omitempty"`

	AuthorID   string `json:"author_id,omitempty"`
	AuthorName string `json:"author_name,omitempty"`
	// AuthorProfession is a model.Profession code ("infirmier"); its French
	// label is searchable too, so "kiné chute" finds a kiné's message on falls.
	AuthorProfession string `json:"author_profession,omitempty"`

	CPTSIDs     []string `json:"cpts_ids,omitempty"`
	GroupID     string   `json:"group_id,omitempty"`
	ChannelID   string   `json:"channel_id,omitempty"`
	ChannelName string   `json:"channel_name,omitempty"`
	ThreadID    string   `json:"thread_id,omitempty"` // root message of the thread, for messages in one

	Missions []string `json:"missions,omitempty"` // model.Mission codes
	Campaign string   `json:"campaign,omitempty"` // "Mois sans tabac"; filtered by Key
	Theme    string   `json:"theme,omitempty"`    // free words, searchable
	Status   string   `json:"status,omitempty"`   // protocol status; filtered by Key

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// Scopes are the access tokens of the document, decided by core's
	// policy: a query returns the document only if one of them is in
	// Query.Allowed. Opaque here; core uses "cpts:<id>" (every active member
	// of a CPTS), "group:<id>", "chan:<id>" (a private channel's members),
	// "platform". At least one, each at most MaxScopeBytes.
	Scopes []string `json:"scopes"`

	// Version orders the states of one document (core uses the object's
	// update time in nanoseconds or a revision counter): an Upsert never
	// replaces a stored document with a lower Version.
	Version int64 `json:"version"`
}

// Limits on documents and queries.
const (
	MaxIDBytes    = 256
	MaxScopeBytes = 256
	MaxScopes     = 64
	// MaxTextBytes: longer texts are cut (at a rune boundary) before
	// indexing; a protocol is far shorter.
	MaxTextBytes = 256 << 10
	// MaxQueryRunes: a longer query text is cut (Parsed.Truncated).
	MaxQueryRunes = 512
	// MaxQueryWords: words beyond it (counting those of phrases and
	// exclusions) are dropped (Parsed.Truncated).
	MaxQueryWords = 24
	// MaxWordRunes: a longer word is cut to its first MaxWordRunes runes.
	MaxWordRunes = 48
	// MaxFilterValues: values of one filter beyond it are dropped.
	MaxFilterValues = 50
	// MaxAllowed: scopes in Query.Allowed beyond it fail the query: core
	// must not silently lose access, so it is an error, not a cut.
	MaxAllowed = 10000
	// DefaultPerPage and MaxPerPage bound Query.PerPage.
	DefaultPerPage = 20
	MaxPerPage     = 100
	// MaxOffset: (Page-1)*PerPage beyond it returns no hits (but Total and
	// Facets), like a page past the end.
	MaxOffset = 5000
	// SnippetRunes is the target length of a snippet, in runes.
	SnippetRunes = 180
)

// Validate reports why d cannot be indexed, as an error wrapping
// ErrInvalidDocument that names its id (never its content).
func (d *Document) Validate() error {
	bad := func(why string) error {
		id := d.ID
		if len(id) > MaxIDBytes || !utf8.ValidString(id) {
			id = "(id too long or not UTF-8)"
		}
		return fmt.Errorf("%w: %q: %s", ErrInvalidDocument, id, why)
	}
	t, _, ok := SplitDocID(d.ID)
	switch {
	case len(d.ID) > MaxIDBytes || !utf8.ValidString(d.ID):
		return bad("id too long or not UTF-8")
	case !ok:
		return bad(`id is not "<type>:<id>"`)
	case t != d.Type:
		return bad("id prefix and type differ")
	case len(d.Scopes) == 0:
		return bad("no scope: nobody could ever find it")
	case len(d.Scopes) > MaxScopes:
		return bad("too many scopes")
	}
	for _, s := range d.Scopes {
		if s == "" || len(s) > MaxScopeBytes || !utf8.ValidString(s) {
			return bad("empty, too long or non-UTF-8 scope")
		}
	}
	return nil
}

// prepared returns a copy of d ready to index: text cut to MaxTextBytes,
// invalid UTF-8 and the private-use highlight markers removed, times in UTC.
func (d Document) prepared() Document {
	d.Title = cleanText(d.Title, MaxTextBytes)
	d.Text = cleanText(d.Text, MaxTextBytes)
	d.AuthorName = cleanText(d.AuthorName, 1024)
	d.ChannelName = cleanText(d.ChannelName, 1024)
	d.Campaign = cleanText(d.Campaign, 1024)
	d.Theme = cleanText(d.Theme, 4096)
	d.Status = cleanText(d.Status, 256)
	d.CreatedAt = d.CreatedAt.UTC()
	d.UpdatedAt = d.UpdatedAt.UTC()
	d.CPTSIDs = slices.Clone(d.CPTSIDs)
	d.Missions = slices.Clone(d.Missions)
	d.Scopes = slices.Clone(d.Scopes)
	return d
}

// Highlight markers: private-use code points, removed from every indexed
// text so they can only come from the engine.
const (
	markOpen  = '\uE000'
	markClose = '\uE001'
)

func cleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	if strings.ContainsRune(s, markOpen) || strings.ContainsRune(s, markClose) {
		s = strings.Map(func(r rune) rune {
			if r == markOpen || r == markClose {
				return -1
			}
			return r
		}, s)
	}
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// Sort orders the hits.
type Sort string

const (
	// SortRelevance (the default): best match first (ties: newer first on
	// Meilisearch, in index order on bleve). A query without words is
	// sorted by SortNewest.
	SortRelevance Sort = ""
	// SortNewest: newest CreatedAt first.
	SortNewest Sort = "newest"
)

// Query is a search. Text is the free text — words, "exact phrases" and
// -exclusions — as Parsed.Text gives it; operators (de:, type:…) are read
// by Parse only, and come here as the filter fields. Filters of one field
// are OR'ed, different fields AND'ed; an empty field does not filter.
type Query struct {
	Text  string `json:"text,omitempty"`
	Types []Type `json:"types,omitempty"`

	CPTS     []string `json:"cpts,omitempty"`     // CPTS ids: documents with one of them in CPTSIDs
	Groups   []string `json:"groups,omitempty"`   // group ids
	Channels []string `json:"channels,omitempty"` // channel ids
	Authors  []string `json:"authors,omitempty"`  // user ids

	Professions []string `json:"professions,omitempty"` // model.Profession codes of the author
	Missions    []string `json:"missions,omitempty"`    // model.Mission codes
	Campaigns   []string `json:"campaigns,omitempty"`   // compared by Key
	Statuses    []string `json:"statuses,omitempty"`    // compared by Key

	// From (inclusive) and To (exclusive) bound CreatedAt; zero: unbounded.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`

	// Allowed are the caller's scopes (see Document.Scopes). Required: an
	// empty Allowed matches nothing.
	Allowed []string `json:"-"`

	// WithFacets asks for the facets; without it none is counted (each
	// costs a read of every match's value: the as-you-type dropdown does
	// without them, and a broad query matches thousands of documents).
	WithFacets bool `json:"with_facets,omitempty"`

	Sort    Sort `json:"sort,omitempty"`
	Page    int  `json:"page,omitempty"`     // 1-based; < 1 means 1
	PerPage int  `json:"per_page,omitempty"` // < 1 means DefaultPerPage; at most MaxPerPage
}

// hasFilter reports whether q filters on anything but access.
func (q *Query) hasFilter() bool {
	return len(q.Types) > 0 || len(q.CPTS) > 0 || len(q.Groups) > 0 || len(q.Channels) > 0 ||
		len(q.Authors) > 0 || len(q.Professions) > 0 || len(q.Missions) > 0 ||
		len(q.Campaigns) > 0 || len(q.Statuses) > 0 || !q.From.IsZero() || !q.To.IsZero()
}

// plan is a query checked and bounded, what backends build from.
type plan struct {
	q      Query
	text   textQuery
	offset int
	limit  int
	// none: nothing can match (empty Allowed, an empty date range): the
	// backend answers an empty Result without asking the engine.
	none bool
}

// plan validates q. It is the one place both backends read the bounds from.
func (q Query) plan() (plan, error) {
	p := plan{q: q, text: parseText(q.Text)}
	if p.text.empty() && !q.hasFilter() {
		return p, ErrEmptyQuery
	}
	if len(q.Allowed) > MaxAllowed {
		return p, fmt.Errorf("search: %d allowed scopes, at most %d", len(q.Allowed), MaxAllowed)
	}
	if q.Page < 1 {
		p.q.Page = 1
	}
	if q.PerPage < 1 {
		p.q.PerPage = DefaultPerPage
	}
	p.q.PerPage = min(p.q.PerPage, MaxPerPage)
	// Page is bounded before multiplying: no overflow on a huge page.
	page := min(p.q.Page, MaxOffset+1)
	p.offset = (page - 1) * p.q.PerPage
	p.limit = p.q.PerPage
	if p.offset > MaxOffset {
		p.limit = 0
	}
	for _, f := range []*[]string{&p.q.CPTS, &p.q.Groups, &p.q.Channels, &p.q.Authors, &p.q.Professions, &p.q.Missions} {
		*f = boundValues(*f, func(s string) string { return s })
	}
	p.q.Campaigns = boundValues(p.q.Campaigns, Key)
	p.q.Statuses = boundValues(p.q.Statuses, Key)
	p.q.Types = boundTypes(p.q.Types)
	p.q.Allowed = dedupe(p.q.Allowed) // never cut: access is all or an error
	p.none = len(p.q.Allowed) == 0 || (!q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To))
	return p, nil
}

// boundValues normalises values with norm, drops empty ones and duplicates
// and keeps at most MaxFilterValues.
func boundValues(vs []string, norm func(string) string) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		v = norm(v)
		if v == "" || slices.Contains(out, v) {
			continue
		}
		out = append(out, v)
	}
	if len(out) > MaxFilterValues {
		out = out[:MaxFilterValues]
	}
	return out
}

func dedupe(vs []string) []string {
	seen := make(map[string]bool, len(vs))
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func boundTypes(ts []Type) []Type {
	var out []Type
	for _, t := range ts {
		if t.Valid() && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// Result is one page of hits.
type Result struct {
	Hits []Hit `json:"hits"`
	// Total is the number of matching documents (all pages), exact.
	Total   int    `json:"total"`
	Page    int    `json:"page"`
	PerPage int    `json:"per_page"`
	Facets  Facets `json:"facets"`
}

// Hit is one matching document. Core re-reads the object from the store
// through its policy before showing it.
type Hit struct {
	ID   string `json:"id"`
	Type Type   `json:"type"`
	// Score orders hits within one Result; it means nothing across results
	// or across backends.
	Score float64 `json:"score"`
	// Title and its matched words.
	Title           string  `json:"title,omitempty"`
	TitleHighlights []Range `json:"title_highlights,omitempty"`
	// Snippet: a passage of the text around the best match (the start of
	// the text when the words matched elsewhere), at most about
	// SnippetRunes runes, "…" where it was cut; Highlights are the matched
	// words in it.
	Snippet    string  `json:"snippet,omitempty"`
	Highlights []Range `json:"highlights,omitempty"`
}

// Range is a highlighted span of a snippet or title, in Unicode code
// points (runes), Start inclusive, End exclusive: in JavaScript,
// Array.from(snippet).slice(start, end). Ranges are sorted and disjoint.
type Range struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Facets count the matching documents (all pages, every filter applied)
// by value. Each list is sorted by count, then value, and holds at most
// MaxFacetValues values. They are counted only when Query.WithFacets is
// set (empty lists otherwise).
type Facets struct {
	Types       []FacetCount `json:"types"`
	CPTS        []FacetCount `json:"cpts"`
	Professions []FacetCount `json:"professions"`
	Missions    []FacetCount `json:"missions"`
	Campaigns   []FacetCount `json:"campaigns"` // by Campaign as written in the documents
	Statuses    []FacetCount `json:"statuses"`  // by Status as written in the documents
}

// MaxFacetValues bounds each facet list.
const MaxFacetValues = 20

// FacetCount is one value of a facet and its number of documents.
type FacetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// sortFacet orders counts by count (descending), then value, and bounds them.
func sortFacet(fc []FacetCount) []FacetCount {
	slices.SortFunc(fc, func(a, b FacetCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Value, b.Value)
	})
	if len(fc) > MaxFacetValues {
		fc = fc[:MaxFacetValues]
	}
	if fc == nil {
		fc = []FacetCount{}
	}
	return fc
}

// emptyResult is the answer to a query nothing can match.
func emptyResult(p plan) Result {
	return Result{Hits: []Hit{}, Page: p.q.Page, PerPage: p.q.PerPage, Facets: Facets{}.normalized()}
}

func (f Facets) normalized() Facets {
	for _, l := range []*[]FacetCount{&f.Types, &f.CPTS, &f.Professions, &f.Missions, &f.Campaigns, &f.Statuses} {
		*l = sortFacet(*l)
	}
	return f
}

// validateBatch checks every document before anything is written.
func validateBatch(docs []Document) error {
	for i := range docs {
		if err := docs[i].Validate(); err != nil {
			return err
		}
	}
	return nil
}

// latestByID keeps, for each id, the document of highest Version (the
// last one on a tie), in first-seen order.
func latestByID(docs []Document) []Document {
	pos := make(map[string]int, len(docs))
	out := make([]Document, 0, len(docs))
	for _, d := range docs {
		if i, ok := pos[d.ID]; ok {
			if d.Version >= out[i].Version {
				out[i] = d
			}
			continue
		}
		pos[d.ID] = len(out)
		out = append(out, d)
	}
	return out
}
