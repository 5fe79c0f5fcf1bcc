package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/ecpts/ecpts/internal/model"
)

// Bleve is the embedded index (github.com/blevesearch/bleve/v2, scorch):
// on disk in a directory of the data dir, or in memory only.
//
// Writes are serialised (an Upsert reads the stored versions, then writes
// the newer documents in one batch); searches run concurrently with them.
// An Upsert or Delete returns once its batch is persisted (scorch's safe
// batches), so an outbox entry may be dropped as soon as it returns.
type Bleve struct {
	idx    bleve.Index
	mu     sync.Mutex // serialises writes: version check, then batch
	closed atomic.Bool
}

// errClosed is what every call after Close returns.
var errClosed = fmt.Errorf("search: bleve: closed: %w", ErrUnavailable)

// bleveSchema is written into the index; an index of another schema (an
// older mapping or analysis) is refused with ErrStale at open.
//
// ecpts-search-3: one combined analysed field (title, text and the short
// texts about the document) instead of one per part, holding a term per
// synonym group found in them: the schema names the synonym list too, so
// an edit of the list, like a change of mapping, makes the index be
// rebuilt from the store at start.
var bleveSchema = "ecpts-search-3;synonyms=" + synonymsHash()

var schemaKey = []byte("ecpts_schema")

// ErrStale: the index on disk was built by another version of the
// mapping or analysis. It also wraps ErrUnavailable. The caller removes
// the directory and rebuilds (ecpts reindex).
var ErrStale = errors.New("search: index built with another schema")

// OpenBleve opens the index in dir, creating it when dir does not exist
// or is empty. dir "" keeps the index in memory only, nothing on disk (for
// direct conversations searched from decrypted history, and tests). A
// directory it cannot read as an index (corrupt, another schema) gives an
// error wrapping ErrUnavailable: the caller may move it aside and rebuild.
func OpenBleve(dir string) (*Bleve, error) {
	if dir == "" {
		idx, err := bleve.NewMemOnly(indexMapping())
		if err != nil {
			return nil, fmt.Errorf("search: bleve in memory: %w", err)
		}
		if err := idx.SetInternal(schemaKey, []byte(bleveSchema)); err != nil {
			_ = idx.Close()
			return nil, fmt.Errorf("search: bleve in memory: %w", err)
		}
		return &Bleve{idx: idx}, nil
	}
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			return nil, fmt.Errorf("search: bleve: %w", err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			return nil, fmt.Errorf("search: bleve: %s is not empty and holds no index: %w", dir, ErrUnavailable)
		}
		_ = os.Remove(dir) // empty: bleve wants to create it
		idx, err := bleve.New(dir, indexMapping())
		if err != nil {
			return nil, fmt.Errorf("search: bleve: create %s: %w: %w", dir, ErrUnavailable, err)
		}
		if err := idx.SetInternal(schemaKey, []byte(bleveSchema)); err != nil {
			_ = idx.Close()
			return nil, fmt.Errorf("search: bleve: %s: %w: %w", dir, ErrUnavailable, err)
		}
		return &Bleve{idx: idx}, nil
	}
	// Another process holding the index (a server while `ecpts reindex`
	// runs) makes the open fail after a moment instead of waiting forever.
	idx, err := bleve.OpenUsing(dir, map[string]any{"bolt_timeout": "3s"})
	if err != nil {
		return nil, fmt.Errorf("search: bleve: open %s: %w: %w", dir, ErrUnavailable, err)
	}
	schema, err := idx.GetInternal(schemaKey)
	if err != nil || string(schema) != bleveSchema {
		_ = idx.Close()
		return nil, fmt.Errorf("search: bleve: %s has schema %q, want %q: %w: %w", dir, schema, bleveSchema, ErrStale, ErrUnavailable)
	}
	return &Bleve{idx: idx}, nil
}

// createdSortLayout sorts as text in time order (fixed width, UTC).
const createdSortLayout = "20060102T150405.000000000"

// Fields of the bleve documents.
const (
	fType = "type"
	// fAll is every text a word is looked for in, analysed (French), with
	// term positions for phrases: the title (twice: an index-time boost, no
	// clause per word at query time), the text, and the short texts about
	// the document (campaign, theme, the author's name and profession
	// label, the channel's name). Each is an element of an array: a phrase
	// never spans two of them.
	fAll = "all"
	// fAllWords is the title and text again, words unstemmed: prefixes.
	fAllWords    = "all_w"
	fAuthor      = "author"
	fProfession  = "profession"
	fCPTS        = "cpts"
	fGroup       = "group"
	fChannel     = "channel"
	fMissions    = "missions"
	fCampaign    = "campaign"     // as written: facet
	fCampaignKey = "campaign_key" // Key: filter
	fStatus      = "status"
	fStatusKey   = "status_key"
	fScopes      = "scopes"
	fCreated     = "created"   // datetime: range filters (no doc values)
	fCreatedSort = "created_s" // fixed-width UTC text: sorting reads one small value per match
	fVersion     = "v"         // stored decimal: float64 would lose nanoseconds
	fSource      = "src"       // the Document as JSON, stored only
)

// titleRepeat is how many times the title is in fAll: a word of the title
// counts as that many occurrences (BM25 saturates them), which ranks a
// document titled with the words above one that only mentions them,
// without a second clause per word at query time.
const titleRepeat = 2

func indexMapping() *mapping.IndexMappingImpl {
	im := bleve.NewIndexMapping()
	im.ScoringModel = index.BM25Scoring
	im.DefaultAnalyzer = analyzerName
	doc := bleve.NewDocumentStaticMapping()
	text := func(name, analyzer string, vectors bool) {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Store = false
		f.IncludeTermVectors = vectors
		f.IncludeInAll = false
		f.DocValues = false
		doc.AddFieldMappingsAt(name, f)
	}
	kw := func(name string) {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = true
		doc.AddFieldMappingsAt(name, f)
	}
	stored := func(name string) {
		f := bleve.NewTextFieldMapping()
		f.Index = false
		f.Store = true
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		doc.AddFieldMappingsAt(name, f)
	}
	text(fAll, indexAnalyzerName, true)
	{
		f := bleve.NewTextFieldMapping()
		f.Analyzer = prefixAnalyzerName
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		f.SkipFreqNorm = true
		doc.AddFieldMappingsAt(fAllWords, f)
	}
	for _, f := range []string{fType, fAuthor, fProfession, fCPTS, fGroup, fChannel, fMissions,
		fCampaign, fCampaignKey, fStatus, fStatusKey, fScopes} {
		kw(f)
	}
	created := bleve.NewDateTimeFieldMapping()
	created.Store = false
	created.IncludeInAll = false
	created.DocValues = false
	doc.AddFieldMappingsAt(fCreated, created)
	kw(fCreatedSort)
	stored(fVersion)
	stored(fSource)
	im.DefaultMapping = doc
	return im
}

// bleveDoc is what bleve indexes for d.
func bleveDoc(d Document) (map[string]any, error) {
	src, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var all []string
	for range titleRepeat {
		all = append(all, d.Title)
	}
	all = append(all, d.Text)
	for _, v := range []string{d.Campaign, d.Theme, d.AuthorName, professionLabel(d.AuthorProfession), d.ChannelName} {
		if strings.TrimSpace(v) != "" {
			all = append(all, v)
		}
	}
	m := map[string]any{
		fType: string(d.Type), fAll: all, fAllWords: []string{d.Title, d.Text},
		fScopes: d.Scopes, fVersion: strconv.FormatInt(d.Version, 10), fSource: string(src),
		fCreated: d.CreatedAt, fCreatedSort: d.CreatedAt.UTC().Format(createdSortLayout),
	}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set(fAuthor, d.AuthorID)
	set(fProfession, d.AuthorProfession)
	set(fGroup, d.GroupID)
	set(fChannel, d.ChannelID)
	set(fCampaign, d.Campaign)
	set(fCampaignKey, Key(d.Campaign))
	set(fStatus, d.Status)
	set(fStatusKey, Key(d.Status))
	if len(d.CPTSIDs) > 0 {
		m[fCPTS] = d.CPTSIDs
	}
	if len(d.Missions) > 0 {
		m[fMissions] = d.Missions
	}
	return m, nil
}

// professionLabel is the French label of a profession code ("" for none).
func professionLabel(code string) string {
	if code == "" {
		return ""
	}
	return strings.ReplaceAll(model.Profession(code).Label(), "·", " ")
}

func (b *Bleve) unavailable(op string, err error) error {
	return fmt.Errorf("search: bleve %s: %w: %w", op, ErrUnavailable, err)
}

// Upsert implements Index.
func (b *Bleve) Upsert(ctx context.Context, docs ...Document) error {
	if b.closed.Load() {
		return errClosed
	}
	if err := validateBatch(docs); err != nil {
		return err
	}
	docs = latestByID(docs)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return errClosed
	}
	const chunk = 1000
	for len(docs) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(chunk, len(docs))
		if err := b.upsertChunk(ctx, docs[:n]); err != nil {
			return err
		}
		docs = docs[n:]
	}
	return nil
}

func (b *Bleve) upsertChunk(ctx context.Context, docs []Document) error {
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	stored, err := b.versions(ctx, ids)
	if err != nil {
		return err
	}
	batch := b.idx.NewBatch()
	for _, d := range docs {
		if v, ok := stored[d.ID]; ok && v > d.Version {
			continue // an older state: the index already has a newer one
		}
		m, err := bleveDoc(d.prepared())
		if err != nil {
			return fmt.Errorf("search: bleve upsert %s: %w", d.ID, err)
		}
		if err := batch.Index(d.ID, m); err != nil {
			return fmt.Errorf("search: bleve upsert %s: %w", d.ID, err)
		}
	}
	if batch.Size() == 0 {
		return nil
	}
	if err := b.idx.Batch(batch); err != nil {
		return b.unavailable("upsert", err)
	}
	return nil
}

// versions returns the stored Version of those of ids the index holds.
func (b *Bleve) versions(ctx context.Context, ids []string) (map[string]int64, error) {
	req := bleve.NewSearchRequestOptions(query.NewDocIDQuery(ids), len(ids), 0, false)
	req.Fields = []string{fVersion}
	req.Sort = nil
	res, err := b.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, b.unavailable("read versions", err)
	}
	out := make(map[string]int64, len(res.Hits))
	for _, h := range res.Hits {
		if s, ok := h.Fields[fVersion].(string); ok {
			if v, err := strconv.ParseInt(s, 10, 64); err == nil {
				out[h.ID] = v
			}
		}
	}
	return out, nil
}

// Delete implements Index.
func (b *Bleve) Delete(ctx context.Context, ids ...string) error {
	if b.closed.Load() {
		return errClosed
	}
	if len(ids) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return errClosed
	}
	batch := b.idx.NewBatch()
	for _, id := range ids {
		batch.Delete(id)
	}
	if err := b.idx.Batch(batch); err != nil {
		return b.unavailable("delete", err)
	}
	return nil
}

// Get implements Index.
func (b *Bleve) Get(ctx context.Context, id string) (Document, error) {
	if b.closed.Load() {
		return Document{}, errClosed
	}
	req := bleve.NewSearchRequestOptions(query.NewDocIDQuery([]string{id}), 1, 0, false)
	req.Fields = []string{fSource}
	res, err := b.idx.SearchInContext(ctx, req)
	if err != nil {
		return Document{}, b.unavailable("get", err)
	}
	if len(res.Hits) == 0 {
		return Document{}, fmt.Errorf("search: bleve get %q: %w", id, ErrNotFound)
	}
	return sourceOf(res.Hits[0])
}

func sourceOf(h *bsearch.DocumentMatch) (Document, error) {
	var d Document
	s, _ := h.Fields[fSource].(string)
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return Document{}, fmt.Errorf("search: bleve: stored document %s: %w: %w", h.ID, ErrUnavailable, err)
	}
	return d, nil
}

// Count implements Index.
func (b *Bleve) Count(ctx context.Context) (int, error) {
	if b.closed.Load() {
		return 0, errClosed
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n, err := b.idx.DocCount()
	if err != nil {
		return 0, b.unavailable("count", err)
	}
	return int(n), nil
}

// Walk implements Index: pages of 1,000 ids in id order.
func (b *Bleve) Walk(ctx context.Context, fn func(id string, version int64) error) error {
	if b.closed.Load() {
		return errClosed
	}
	var after []string
	for {
		req := bleve.NewSearchRequestOptions(query.NewMatchAllQuery(), 1000, 0, false)
		req.Fields = []string{fVersion}
		req.SortBy([]string{"_id"})
		if after != nil {
			req.SetSearchAfter(after)
		}
		res, err := b.idx.SearchInContext(ctx, req)
		if err != nil {
			return b.unavailable("walk", err)
		}
		for _, h := range res.Hits {
			s, _ := h.Fields[fVersion].(string)
			v, _ := strconv.ParseInt(s, 10, 64)
			if err := fn(h.ID, v); err != nil {
				return err
			}
		}
		if len(res.Hits) < 1000 {
			return nil
		}
		after = []string{res.Hits[len(res.Hits)-1].ID}
	}
}

// Check implements Index.
func (b *Bleve) Check(ctx context.Context) error {
	if b.closed.Load() {
		return errClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := b.idx.DocCount(); err != nil {
		return b.unavailable("check", err)
	}
	return nil
}

// Close implements Index.
func (b *Bleve) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Swap(true) {
		return nil
	}
	if err := b.idx.Close(); err != nil && !errors.Is(err, bleve.ErrorIndexClosed) {
		return fmt.Errorf("search: bleve close: %w", err)
	}
	return nil
}

// knownTerms returns whether a term is in the searchable texts of some
// document (a dictionary lookup), and a func to release the reader.
func (b *Bleve) knownTerms(ctx context.Context) (func(string) bool, func(), error) {
	ix, err := b.idx.Advanced()
	if err != nil {
		return nil, nil, b.unavailable("reader", err)
	}
	r, err := ix.Reader()
	if err != nil {
		return nil, nil, b.unavailable("reader", err)
	}
	cache := map[string]bool{}
	known := func(term string) bool {
		if k, ok := cache[term]; ok {
			return k
		}
		found := false
		if tfr, err := r.TermFieldReader(ctx, []byte(term), fAll, false, false, false); err == nil {
			found = tfr.Count() > 0
			_ = tfr.Close()
		}
		cache[term] = found
		return found
	}
	return known, func() { _ = r.Close() }, nil
}

// Search implements Index.
func (b *Bleve) Search(ctx context.Context, q Query) (Result, error) {
	if b.closed.Load() {
		return Result{}, errClosed
	}
	p, err := q.plan()
	if err != nil {
		return Result{}, err
	}
	if p.none {
		return emptyResult(p), nil
	}
	known, done, err := b.knownTerms(ctx)
	if err != nil {
		return Result{}, err
	}
	defer done()
	// Access and filters are a must clause that scores nothing: in the
	// conjunction, the engine skips straight to the documents the caller
	// may see (a filter clause would score every text match first, of
	// every CPTS, then drop the others).
	bq := query.NewBooleanQuery(nil, nil, nil)
	bq.AddMust(append(textClauses(p.text, known), unscored{filterQuery(p.q)})...)
	for _, e := range p.text.excluded {
		bq.AddMustNot(unscored{exclusion(e)})
	}

	req := bleve.NewSearchRequestOptions(bq, p.limit, p.offset, false)
	req.Fields = []string{fSource}
	// No IncludeLocations: term vectors of every match would be decoded;
	// the page's highlights are found again in its texts (highlighter).
	if p.q.Sort == SortNewest || !p.text.positive() {
		req.SortBy([]string{"-" + fCreatedSort, "_id"})
	} else {
		// Score only: a tie-break would read a value of every match.
		req.SortBy([]string{"-_score"})
	}
	if p.q.WithFacets {
		for name, field := range map[string]string{"types": fType, "cpts": fCPTS, "professions": fProfession,
			"missions": fMissions, "campaigns": fCampaign, "statuses": fStatus} {
			req.AddFacet(name, bleve.NewFacetRequest(field, MaxFacetValues))
		}
	}
	res, err := b.idx.SearchInContext(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		return Result{}, b.unavailable("search", err)
	}
	out := Result{Hits: make([]Hit, 0, len(res.Hits)), Total: int(res.Total), Page: p.q.Page, PerPage: p.q.PerPage}
	hl := newHighlighter(p.text, known)
	for _, h := range res.Hits {
		d, err := sourceOf(h)
		if err != nil {
			return Result{}, err
		}
		hit := Hit{ID: h.ID, Type: d.Type, Score: h.Score}
		hit.Title, hit.TitleHighlights = makeSnippet(d.Title, hl.ranges(d.Title), 2*SnippetRunes)
		hit.Snippet, hit.Highlights = makeSnippet(d.Text, hl.ranges(d.Text), SnippetRunes)
		out.Hits = append(out.Hits, hit)
	}
	facet := func(name string) []FacetCount {
		fr := res.Facets[name]
		if fr == nil || fr.Terms == nil {
			return nil
		}
		var fc []FacetCount
		for _, t := range fr.Terms.Terms() {
			fc = append(fc, FacetCount{Value: t.Term, Count: t.Count})
		}
		return fc
	}
	out.Facets = Facets{
		Types: facet("types"), CPTS: facet("cpts"), Professions: facet("professions"),
		Missions: facet("missions"), Campaigns: facet("campaigns"), Statuses: facet("statuses"),
	}.normalized()
	return out, nil
}

// unscored runs a query that only selects documents without scoring:
// its searchers read no term frequencies or norms, and bleve merges a
// disjunction of terms (the caller's scopes, a filter's values) into one
// iteration over the union of their postings bitmaps instead of advancing
// each term's postings for every candidate.
type unscored struct{ query.Query }

func (u unscored) Searcher(ctx context.Context, i index.IndexReader, m mapping.IndexMapping, options bsearch.SearcherOptions) (bsearch.Searcher, error) {
	options.Score = "none"
	options.IncludeTermVectors = false
	options.Explain = false
	return u.Query.Searcher(ctx, i, m, options)
}

// filterQuery is access and the filters; its clauses score nothing.
func filterQuery(q Query) query.Query {
	any := func(field string, values []string) query.Query {
		qs := make([]query.Query, len(values))
		for i, v := range values {
			t := query.NewTermQuery(v)
			t.SetField(field)
			t.SetBoost(0) // filters do not score
			qs[i] = t
		}
		return query.NewDisjunctionQuery(qs)
	}
	all := []query.Query{any(fScopes, q.Allowed)}
	for _, f := range []struct {
		field  string
		values []string
	}{
		{fCPTS, q.CPTS}, {fGroup, q.Groups}, {fChannel, q.Channels}, {fAuthor, q.Authors},
		{fProfession, q.Professions}, {fMissions, q.Missions}, {fCampaignKey, q.Campaigns}, {fStatusKey, q.Statuses},
	} {
		if len(f.values) > 0 {
			all = append(all, any(f.field, f.values))
		}
	}
	if len(q.Types) > 0 {
		ts := make([]string, len(q.Types))
		for i, t := range q.Types {
			ts[i] = string(t)
		}
		all = append(all, any(fType, ts))
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		inclusive, exclusive := true, false
		var from, to time.Time
		if !q.From.IsZero() {
			from = q.From.UTC()
		}
		if !q.To.IsZero() {
			to = q.To.UTC()
		}
		dr := query.NewDateRangeInclusiveQuery(from, to, &inclusive, &exclusive)
		dr.SetField(fCreated)
		dr.SetBoost(0)
		all = append(all, dr)
	}
	return query.NewConjunctionQuery(all)
}

// Boosts of the ways a word matches, relative to an exact term.
const (
	boostFuzzy   = 0.3
	boostPrefix  = 0.5
	boostSynonym = 0.9
)

// typos returns the edit distance allowed for a word of n runes: one
// from 5 letters, two from 9 (Meilisearch's defaults, set there too).
func typos(n int) int {
	switch {
	case n >= 9:
		return 2
	case n >= 5:
		return 1
	}
	return 0
}

// minPrefixRunes: a shorter last word is matched whole only; "c" as a
// prefix would expand to a large part of the dictionary.
const minPrefixRunes = 3

// textClauses turns the words and phrases into must clauses: every word
// (or its synonym) must match, in any searchable field.
func textClauses(t textQuery, known func(string) bool) []query.Query {
	var must []query.Query
	last := len(t.words) - 1
	for _, u := range wordUnits(t) {
		var own []query.Query
		for j := u.first; j <= u.last; j++ {
			own = append(own, wordClause(t.words[j], t.prefix && j == last, known))
		}
		if len(u.synonyms) == 0 {
			must = append(must, own...)
			continue
		}
		// The words themselves, or any other expression of their group:
		// one term, indexed wherever an expression of the group is.
		var mine query.Query = query.NewConjunctionQuery(own)
		if len(own) == 1 {
			mine = own[0]
		}
		must = append(must, query.NewDisjunctionQuery([]query.Query{mine, synonymClause(u.group)}))
	}
	for _, ph := range t.phrases {
		must = append(must, exactClause(ph, 1))
	}
	return must
}

// wordClause matches one word typed by the user: each of its terms, in
// the searchable texts, exactly, or — for the word being typed — as a
// prefix; with typos when the index does not have the term (a word found
// as typed is taken as meant: fuzzy expansions of frequent words cost
// more than they find). A term matched only exactly is one term query,
// not a disjunction: the conjunction of the words advances it directly.
func wordClause(word string, prefix bool, known func(string) bool) query.Query {
	terms := Terms(word)
	folded := Fold(stripElision(strings.ToLower(word)))
	n := runeLen(folded)
	var perTerm []query.Query
	for k, t := range terms {
		tq := query.NewTermQuery(t)
		tq.SetField(fAll)
		alts := []query.Query{tq}
		// Typos are counted on the word as typed (a one-term word) or on
		// the term (a word the tokenizer split).
		length := runeLen(t)
		if len(terms) == 1 {
			length = n
		}
		if d := typos(length); d > 0 && !known(t) {
			fq := query.NewFuzzyQuery(t)
			fq.SetField(fAll)
			fq.SetFuzziness(d)
			fq.SetPrefix(1)
			fq.SetBoost(boostFuzzy)
			alts = append(alts, fq)
		}
		if prefix && k == len(terms)-1 {
			for _, p := range prefixesOf(word) {
				pq := query.NewPrefixQuery(p)
				pq.SetField(fAllWords)
				pq.SetBoost(boostPrefix)
				alts = append(alts, pq)
			}
		}
		if len(alts) == 1 {
			perTerm = append(perTerm, tq)
		} else {
			perTerm = append(perTerm, query.NewDisjunctionQuery(alts))
		}
	}
	if len(perTerm) == 1 {
		return perTerm[0]
	}
	return query.NewConjunctionQuery(perTerm)
}

// prefixesOf returns what the word being typed is looked up by, as a
// prefix of the unstemmed words: its last word as written, folded, of at
// least minPrefixRunes runes ("sage-fem" → "fem").
func prefixesOf(word string) []string {
	ts := prefixAnalyzer().Analyze([]byte(word))
	if len(ts) == 0 {
		return nil
	}
	p := string(ts[len(ts)-1].Term)
	if runeLen(p) < minPrefixRunes {
		return nil
	}
	return []string{p}
}

// exactClause matches an expression exactly (modulo the analysis): its
// terms in order in one of the searchable texts, or its one term.
func exactClause(expr string, boost float64) query.Query {
	return matchExpr(expr, fAll, boost)
}

// matchExpr matches expr in field: its one term, or its terms as a phrase.
// A phrase of one term would read term positions for nothing.
func matchExpr(expr, field string, boost float64) query.Query {
	if len(Terms(expr)) == 1 {
		mq := query.NewMatchQuery(expr)
		mq.SetField(field)
		mq.Analyzer = analyzerName
		mq.SetBoost(boost)
		return mq
	}
	mq := query.NewMatchPhraseQuery(expr)
	mq.SetField(field)
	mq.Analyzer = analyzerName
	mq.SetBoost(boost)
	return mq
}

// synonymClause matches any expression of a synonym group, in the
// searchable texts (the short texts about the document too: "SF" finds a
// sage-femme's message, "SNP" one of the channel soins-non-programmés):
// the one term synonymFilter indexes for the group.
func synonymClause(group int) query.Query {
	tq := query.NewTermQuery(synonyms().synonymTerm(group))
	tq.SetField(fAll)
	tq.SetBoost(boostSynonym)
	return tq
}

// exclusion matches what -word or -"phrase" excludes, in any searchable
// field, exactly (no typos: excluding look-alikes would surprise).
func exclusion(e excl) query.Query {
	if e.phrase {
		return exactClause(e.text, 1)
	}
	var all []query.Query
	for _, w := range strings.Fields(e.text) {
		all = append(all, exactClause(w, 1))
	}
	return query.NewConjunctionQuery(all)
}
