package search

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/meilisearch/meilisearch-go"
)

// Meili is the Meilisearch backend (github.com/meilisearch/meilisearch-go),
// for several nodes sharing one index. It needs Meilisearch 1.10 or later
// (negative words, exhaustive totals, filters on documents/fetch).
//
// OpenMeili applies the index settings idempotently; every write waits
// for its task (at most MeiliOptions.TaskTimeout) and reports a failed
// task as an error naming its code. Errors never carry request or
// response bodies (the library's errors hold them: they are not wrapped).
//
// The version check of Upsert reads the stored versions, then writes the
// newer documents: two nodes upserting one document at the same moment
// may, rarely, leave the older one (Meilisearch has no conditional write).
// The outbox is applied by one indexer at a time, which makes it moot.
type Meili struct {
	client  meilisearch.ServiceManager
	index   meilisearch.IndexManager
	uid     string
	timeout time.Duration
	poll    time.Duration
	closed  atomic.Bool
}

// MeiliOptions configure OpenMeili.
type MeiliOptions struct {
	URL string // ECPTS_MEILI_URL, e.g. http://meilisearch:7700
	Key string // ECPTS_MEILI_KEY (secret)
	// Index is the index uid; default "ecpts".
	Index string
	// TaskTimeout bounds the wait for one task (settings, a batch of
	// documents); default 30 s.
	TaskTimeout time.Duration
	// PollInterval between task status requests; default 50 ms.
	PollInterval time.Duration
	// HTTPClient, if set, sends the requests (tests, proxies).
	HTTPClient *http.Client
}

// OpenMeili connects to Meilisearch, creates the index if it does not
// exist and applies its settings when they differ from the wanted ones
// (searchable, filterable and sortable attributes, synonyms from
// synonyms_fr.txt in both directions, stop words, typo tolerance, ranking
// rules, pagination and faceting limits). An unreachable server gives an
// error wrapping ErrUnavailable.
func OpenMeili(ctx context.Context, o MeiliOptions) (*Meili, error) {
	if o.URL == "" {
		return nil, errors.New("search: meilisearch: no URL")
	}
	if o.Index == "" {
		o.Index = "ecpts"
	}
	if o.TaskTimeout <= 0 {
		o.TaskTimeout = 30 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 50 * time.Millisecond
	}
	opts := []meilisearch.Option{meilisearch.WithAPIKey(o.Key)}
	if o.HTTPClient != nil {
		opts = append(opts, meilisearch.WithCustomClient(o.HTTPClient))
	}
	client := meilisearch.New(o.URL, opts...)
	m := &Meili{client: client, index: client.Index(o.Index), uid: o.Index, timeout: o.TaskTimeout, poll: o.PollInterval}
	if err := m.ensureIndex(ctx); err != nil {
		client.Close()
		return nil, err
	}
	if err := m.ensureSettings(ctx); err != nil {
		client.Close()
		return nil, err
	}
	return m, nil
}

// Attributes of the Meilisearch documents.
const (
	mID          = "id"  // base64url of the document id: Meilisearch ids allow [A-Za-z0-9_-] only
	mRef         = "ref" // the document id
	mType        = "type"
	mTitle       = "title"
	mText        = "text"
	mCampaign    = "campaign"
	mCampaignKey = "campaign_key"
	mTheme       = "theme"
	mProfLabel   = "profession_label"
	mChannelName = "channel_name"
	mAuthorName  = "author_name"
	mAuthor      = "author_id"
	mProfession  = "author_profession"
	mCPTS        = "cpts_ids"
	mGroup       = "group_id"
	mChannel     = "channel_id"
	mMissions    = "missions"
	mStatus      = "status"
	mStatusKey   = "status_key"
	mScopes      = "scopes"
	mCreated     = "created_at" // Unix milliseconds
	mVersion     = "version"    // decimal string: JSON numbers are not exact to the nanosecond
	mSource      = "src"        // the Document as JSON
)

// meiliSettings are the settings OpenMeili applies.
func meiliSettings() *meilisearch.Settings {
	return &meilisearch.Settings{
		// In order of importance (the "attribute" ranking rule).
		SearchableAttributes: []string{mTitle, mText, mCampaign, mTheme, mProfLabel, mChannelName, mAuthorName},
		FilterableAttributes: []string{mID, mType, mAuthor, mProfession, mCPTS, mGroup, mChannel, mMissions,
			mCampaign, mCampaignKey, mStatus, mStatusKey, mScopes, mCreated},
		SortableAttributes:  []string{mCreated},
		DisplayedAttributes: []string{mID, mRef, mType, mTitle, mText, mVersion, mSource},
		RankingRules:        []string{"words", "typo", "proximity", "attribute", "sort", "exactness", mCreated + ":desc"},
		StopWords:           meiliStopWords(),
		Synonyms:            meiliSynonyms(),
		TypoTolerance: &meilisearch.TypoTolerance{
			Enabled:             true,
			MinWordSizeForTypos: meilisearch.MinWordSizeForTypos{OneTypo: 5, TwoTypos: 9},
			DisableOnWords:      []string{},
			DisableOnAttributes: []string{},
		},
		Pagination: &meilisearch.Pagination{MaxTotalHits: meiliMaxTotalHits},
		Faceting:   &meilisearch.Faceting{MaxValuesPerFacet: MaxFacetValues},
	}
}

// meiliMaxTotalHits bounds totals (and the deepest page) on Meilisearch.
const meiliMaxTotalHits = 10000

// meiliStopWords: the stop words of the French analysis and the elided
// articles, which Meilisearch's tokenizer keeps as words ("l" of "l'IDE").
func meiliStopWords() []string {
	out := slices.Clone(stopWords)
	for _, e := range elisions {
		out = appendUnique(out, e)
	}
	slices.Sort(out)
	return out
}

func (m *Meili) ensureIndex(ctx context.Context) error {
	_, err := m.client.GetIndex(ctx, m.uid)
	if err == nil {
		return nil
	}
	if !hasCode(err, meilisearch.APIErrCodeIndexNotFound) {
		return meiliErr("get index "+m.uid, err)
	}
	task, err := m.client.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: m.uid, PrimaryKey: mID})
	if err != nil {
		return meiliErr("create index "+m.uid, err)
	}
	err = m.wait(ctx, "create index "+m.uid, task)
	var te *TaskError
	if errors.As(err, &te) && te.Code == string(meilisearch.APIErrCodeIndexAlreadyExists) {
		return nil // another node created it meanwhile
	}
	return err
}

func (m *Meili) ensureSettings(ctx context.Context) error {
	want := meiliSettings()
	have, err := m.index.GetSettings(ctx)
	if err != nil {
		return meiliErr("get settings", err)
	}
	if settingsEqual(have, want) {
		return nil
	}
	task, err := m.index.UpdateSettings(ctx, want)
	if err != nil {
		return meiliErr("update settings", err)
	}
	return m.wait(ctx, "update settings", task)
}

// settingsEqual compares what meiliSettings sets.
func settingsEqual(have, want *meilisearch.Settings) bool {
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	if !slices.Equal(have.SearchableAttributes, want.SearchableAttributes) ||
		!slices.Equal(sorted(have.FilterableAttributes), sorted(want.FilterableAttributes)) ||
		!slices.Equal(sorted(have.SortableAttributes), sorted(want.SortableAttributes)) ||
		!slices.Equal(sorted(have.DisplayedAttributes), sorted(want.DisplayedAttributes)) ||
		!slices.Equal(have.RankingRules, want.RankingRules) ||
		!slices.Equal(sorted(have.StopWords), sorted(want.StopWords)) {
		return false
	}
	if len(have.Synonyms) != len(want.Synonyms) {
		return false
	}
	for k, v := range want.Synonyms {
		if !slices.Equal(sorted(have.Synonyms[k]), sorted(v)) {
			return false
		}
	}
	ht, wt := have.TypoTolerance, want.TypoTolerance
	if ht == nil || ht.Enabled != wt.Enabled || ht.MinWordSizeForTypos != wt.MinWordSizeForTypos {
		return false
	}
	return have.Pagination != nil && have.Pagination.MaxTotalHits == want.Pagination.MaxTotalHits &&
		have.Faceting != nil && have.Faceting.MaxValuesPerFacet == want.Faceting.MaxValuesPerFacet
}

// TaskError is a Meilisearch task that ended in failure (or was
// canceled): Code is Meilisearch's error code ("invalid_document_id"…).
type TaskError struct {
	Op     string
	TaskID int64
	Status string
	Code   string
	Type   string
}

func (e *TaskError) Error() string {
	return fmt.Sprintf("search: meilisearch %s: task %d %s: %s (%s)", e.Op, e.TaskID, e.Status, e.Code, e.Type)
}

// wait waits for task, at most m.timeout.
func (m *Meili) wait(ctx context.Context, op string, task *meilisearch.TaskInfo) error {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	t, err := m.client.WaitForTask(ctx, task.TaskUID, m.poll)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("search: meilisearch %s: task %d not done after %s: %w", op, task.TaskUID, m.timeout, ErrUnavailable)
		}
		return meiliErr(op, err)
	}
	if t.Status != meilisearch.TaskStatusSucceeded {
		return &TaskError{Op: op, TaskID: task.TaskUID, Status: string(t.Status), Code: string(t.Error.Code), Type: t.Error.Type}
	}
	return nil
}

func hasCode(err error, code meilisearch.APIErrCode) bool {
	var me *meilisearch.Error
	return errors.As(err, &me) && me.APIError.Code == code
}

// meiliErr turns a library error into ours: the status and Meilisearch
// code only (the library's message quotes the request body: documents,
// the user's query), wrapping ErrUnavailable.
func meiliErr(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("search: meilisearch %s: %w", op, err)
	}
	var me *meilisearch.Error
	if errors.As(err, &me) {
		if me.APIError.Code != "" {
			return fmt.Errorf("search: meilisearch %s: status %d, %s: %w", op, me.StatusCode, me.APIError.Code, ErrUnavailable)
		}
		if me.StatusCode != 0 {
			return fmt.Errorf("search: meilisearch %s: status %d: %w", op, me.StatusCode, ErrUnavailable)
		}
		return fmt.Errorf("search: meilisearch %s: cannot reach the server: %w", op, ErrUnavailable)
	}
	return fmt.Errorf("search: meilisearch %s: %w", op, ErrUnavailable)
}

var errMeiliClosed = fmt.Errorf("search: meilisearch: closed: %w", ErrUnavailable)

// meiliID is the Meilisearch id of a document id.
func meiliID(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// meiliDoc is the Meilisearch document of d.
func meiliDoc(d Document) (map[string]any, error) {
	src, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	doc := map[string]any{
		mID: meiliID(d.ID), mRef: d.ID, mType: string(d.Type), mTitle: d.Title, mText: d.Text,
		mCampaign: d.Campaign, mCampaignKey: Key(d.Campaign), mTheme: d.Theme,
		mProfLabel: professionLabel(d.AuthorProfession), mChannelName: d.ChannelName, mAuthorName: d.AuthorName,
		mAuthor: d.AuthorID, mProfession: d.AuthorProfession, mCPTS: nonNil(d.CPTSIDs), mGroup: d.GroupID,
		mChannel: d.ChannelID, mMissions: nonNil(d.Missions), mStatus: d.Status, mStatusKey: Key(d.Status),
		mScopes: d.Scopes, mCreated: d.CreatedAt.UnixMilli(), mVersion: strconv.FormatInt(d.Version, 10),
		mSource: string(src),
	}
	return doc, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Upsert implements Index.
func (m *Meili) Upsert(ctx context.Context, docs ...Document) error {
	if m.closed.Load() {
		return errMeiliClosed
	}
	if err := validateBatch(docs); err != nil {
		return err
	}
	docs = latestByID(docs)
	const chunk = 1000
	for len(docs) > 0 {
		n := min(chunk, len(docs))
		if err := m.upsertChunk(ctx, docs[:n]); err != nil {
			return err
		}
		docs = docs[n:]
	}
	return nil
}

func (m *Meili) upsertChunk(ctx context.Context, docs []Document) error {
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = meiliID(d.ID)
	}
	var stored meilisearch.DocumentsResult
	err := m.index.GetDocuments(ctx, &meilisearch.DocumentsQuery{
		Filter: mID + " IN " + filterList(ids), Fields: []string{mID, mVersion}, Limit: int64(len(ids)),
	}, &stored)
	if err != nil {
		return meiliErr("read versions", err)
	}
	have := map[string]int64{}
	for _, h := range stored.Results {
		var row struct {
			ID      string `json:"id"`
			Version string `json:"version"`
		}
		if err := h.DecodeInto(&row); err == nil {
			if v, err := strconv.ParseInt(row.Version, 10, 64); err == nil {
				have[row.ID] = v
			}
		}
	}
	var out []map[string]any
	for _, d := range docs {
		if v, ok := have[meiliID(d.ID)]; ok && v > d.Version {
			continue
		}
		md, err := meiliDoc(d.prepared())
		if err != nil {
			return fmt.Errorf("search: meilisearch upsert %s: %w", d.ID, err)
		}
		out = append(out, md)
	}
	if len(out) == 0 {
		return nil
	}
	pk := mID
	task, err := m.index.AddDocuments(ctx, out, &meilisearch.DocumentOptions{PrimaryKey: &pk})
	if err != nil {
		return meiliErr("add documents", err)
	}
	return m.wait(ctx, "add documents", task)
}

// Delete implements Index.
func (m *Meili) Delete(ctx context.Context, ids ...string) error {
	if m.closed.Load() {
		return errMeiliClosed
	}
	if len(ids) == 0 {
		return nil
	}
	enc := make([]string, len(ids))
	for i, id := range ids {
		enc[i] = meiliID(id)
	}
	task, err := m.index.DeleteDocuments(ctx, enc, nil)
	if err != nil {
		return meiliErr("delete documents", err)
	}
	return m.wait(ctx, "delete documents", task)
}

// Get implements Index.
func (m *Meili) Get(ctx context.Context, id string) (Document, error) {
	if m.closed.Load() {
		return Document{}, errMeiliClosed
	}
	var row struct {
		Src string `json:"src"`
	}
	err := m.index.GetDocument(ctx, meiliID(id), &meilisearch.DocumentQuery{Fields: []string{mSource}}, &row)
	if hasCode(err, meilisearch.APIErrCodeDocumentNotFound) {
		return Document{}, fmt.Errorf("search: meilisearch get %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Document{}, meiliErr("get document", err)
	}
	var d Document
	if err := json.Unmarshal([]byte(row.Src), &d); err != nil {
		return Document{}, fmt.Errorf("search: meilisearch: stored document %s: %w: %w", id, ErrUnavailable, err)
	}
	return d, nil
}

// Count implements Index.
func (m *Meili) Count(ctx context.Context) (int, error) {
	if m.closed.Load() {
		return 0, errMeiliClosed
	}
	st, err := m.index.GetStats(ctx, nil)
	if err != nil {
		return 0, meiliErr("stats", err)
	}
	return int(st.NumberOfDocuments), nil
}

// Walk implements Index.
func (m *Meili) Walk(ctx context.Context, fn func(id string, version int64) error) error {
	if m.closed.Load() {
		return errMeiliClosed
	}
	const page = 1000
	for offset := int64(0); ; offset += page {
		var res meilisearch.DocumentsResult
		err := m.index.GetDocuments(ctx, &meilisearch.DocumentsQuery{Offset: offset, Limit: page, Fields: []string{mRef, mVersion}}, &res)
		if err != nil {
			return meiliErr("walk", err)
		}
		for _, h := range res.Results {
			var row struct {
				Ref     string `json:"ref"`
				Version string `json:"version"`
			}
			if err := h.DecodeInto(&row); err != nil {
				return fmt.Errorf("search: meilisearch walk: %w: %w", ErrUnavailable, err)
			}
			v, _ := strconv.ParseInt(row.Version, 10, 64)
			if err := fn(row.Ref, v); err != nil {
				return err
			}
		}
		if len(res.Results) < page {
			return nil
		}
	}
}

// Check implements Index: the server is healthy and the index exists.
func (m *Meili) Check(ctx context.Context) error {
	if m.closed.Load() {
		return errMeiliClosed
	}
	if _, err := m.client.Health(ctx); err != nil {
		return meiliErr("health", err)
	}
	if _, err := m.index.FetchInfo(ctx); err != nil {
		return meiliErr("index "+m.uid, err)
	}
	return nil
}

// Close implements Index.
func (m *Meili) Close() error {
	if !m.closed.Swap(true) {
		m.client.Close()
	}
	return nil
}

// quote writes s as a Meilisearch filter string: double quotes, with
// backslash and double quote escaped (Meilisearch 1.4+). Nothing the user
// typed ever reaches a filter unquoted.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// filterList is ["a", "b"] with each value quoted.
func filterList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = quote(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// meiliFilter is access and the filters of q as one expression.
func meiliFilter(q Query) string {
	parts := []string{mScopes + " IN " + filterList(q.Allowed)}
	for _, f := range []struct {
		attr   string
		values []string
	}{
		{mType, typeStrings(q.Types)}, {mCPTS, q.CPTS}, {mGroup, q.Groups}, {mChannel, q.Channels},
		{mAuthor, q.Authors}, {mProfession, q.Professions}, {mMissions, q.Missions},
		{mCampaignKey, q.Campaigns}, {mStatusKey, q.Statuses},
	} {
		if len(f.values) > 0 {
			parts = append(parts, f.attr+" IN "+filterList(f.values))
		}
	}
	if !q.From.IsZero() {
		parts = append(parts, fmt.Sprintf("%s >= %d", mCreated, ceilMilli(q.From)))
	}
	if !q.To.IsZero() {
		parts = append(parts, fmt.Sprintf("%s < %d", mCreated, ceilMilli(q.To)))
	}
	return strings.Join(parts, " AND ")
}

// ceilMilli rounds t up to the millisecond: documents keep milliseconds.
func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Sub(time.UnixMilli(ms)) > 0 {
		ms++
	}
	return ms
}

func typeStrings(ts []Type) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

// meiliQuery is the q parameter of t: -exclusions, "phrases", then the
// words without their elision, so the last word typed ends q; a trailing
// space when that word is complete (Meilisearch matches the last word of
// q as a prefix otherwise).
func meiliQuery(t textQuery) string {
	var parts []string
	for _, e := range t.excluded {
		if e.phrase {
			parts = append(parts, `-"`+e.text+`"`)
			continue
		}
		for _, w := range strings.Fields(e.text) {
			parts = append(parts, "-"+stripElision(strings.ToLower(w)))
		}
	}
	for _, p := range t.phrases {
		parts = append(parts, `"`+p+`"`)
	}
	for _, w := range t.words {
		parts = append(parts, stripElision(strings.ToLower(w)))
	}
	q := strings.Join(parts, " ")
	if !t.prefix {
		q += " "
	}
	return q
}

// meiliFacets maps facet attributes to the Facets lists, asked for with
// Query.WithFacets only.
var meiliFacets = []string{mType, mCPTS, mProfession, mMissions, mCampaign, mStatus}

// Search implements Index.
func (m *Meili) Search(ctx context.Context, q Query) (Result, error) {
	if m.closed.Load() {
		return Result{}, errMeiliClosed
	}
	p, err := q.plan()
	if err != nil {
		return Result{}, err
	}
	if p.none {
		return emptyResult(p), nil
	}
	perPage := int64(p.limit)
	page := int64(p.offset/max(1, p.q.PerPage)) + 1
	if p.limit == 0 {
		page = 1 // past MaxOffset: totals and facets only
	}
	req := &meilisearch.SearchRequest{
		Query:                 meiliQuery(p.text),
		Filter:                meiliFilter(p.q),
		Page:                  page,
		HitsPerPage:           &perPage,
		MatchingStrategy:      meilisearch.All,
		AttributesToRetrieve:  []string{mRef, mType, mTitle, mText},
		AttributesToHighlight: []string{mTitle, mText},
		AttributesToCrop:      []string{mText},
		CropLength:            snippetWords,
		CropMarker:            "…",
		HighlightPreTag:       string(markOpen),
		HighlightPostTag:      string(markClose),
		ShowRankingScore:      true,
	}
	if p.q.WithFacets {
		req.Facets = meiliFacets
	}
	if p.q.Sort == SortNewest || !p.text.positive() {
		req.Sort = []string{mCreated + ":desc"}
	}
	res, err := m.index.Search(ctx, "", req)
	if err != nil {
		return Result{}, meiliErr("search", err)
	}
	out := Result{Hits: make([]Hit, 0, len(res.Hits)), Total: int(res.TotalHits), Page: p.q.Page, PerPage: p.q.PerPage}
	for _, h := range res.Hits {
		var row struct {
			Ref       string  `json:"ref"`
			Type      Type    `json:"type"`
			Score     float64 `json:"_rankingScore"`
			Formatted struct {
				Title string `json:"title"`
				Text  string `json:"text"`
			} `json:"_formatted"`
		}
		if err := h.DecodeInto(&row); err != nil {
			return Result{}, fmt.Errorf("search: meilisearch: hit: %w: %w", ErrUnavailable, err)
		}
		hit := Hit{ID: row.Ref, Type: row.Type, Score: row.Score}
		title, tm := unmark(row.Formatted.Title)
		hit.Title, hit.TitleHighlights = makeSnippet(title, tm, 2*SnippetRunes)
		text, xm := unmark(row.Formatted.Text)
		hit.Snippet, hit.Highlights = makeSnippet(text, xm, SnippetRunes)
		out.Hits = append(out.Hits, hit)
	}
	var dist map[string]map[string]int
	if len(res.FacetDistribution) > 0 {
		if err := json.Unmarshal(res.FacetDistribution, &dist); err != nil {
			return Result{}, fmt.Errorf("search: meilisearch: facets: %w: %w", ErrUnavailable, err)
		}
	}
	facet := func(attr string) []FacetCount {
		var fc []FacetCount
		for v, n := range dist[attr] {
			if v != "" {
				fc = append(fc, FacetCount{Value: v, Count: n})
			}
		}
		return fc
	}
	out.Facets = Facets{
		Types: facet(mType), CPTS: facet(mCPTS), Professions: facet(mProfession),
		Missions: facet(mMissions), Campaigns: facet(mCampaign), Statuses: facet(mStatus),
	}.normalized()
	return out, nil
}

// snippetWords is Meilisearch's crop length (in words) for a snippet of
// about SnippetRunes runes.
const snippetWords = 30

// unmark removes the highlight markers from s and returns the byte ranges
// they enclosed in the result.
func unmark(s string) (string, []Range) {
	var b strings.Builder
	var out []Range
	start := -1
	for _, r := range s {
		switch r {
		case markOpen:
			start = b.Len()
		case markClose:
			if start >= 0 && b.Len() > start {
				out = append(out, Range{start, b.Len()})
			}
			start = -1
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), out
}

// DropMeiliIndex deletes the index o.Index and waits for it (tests and a
// full rebuild). An index that does not exist is not an error.
func DropMeiliIndex(ctx context.Context, o MeiliOptions) error {
	if o.Index == "" {
		return errors.New("search: meilisearch: no index to drop")
	}
	opts := []meilisearch.Option{meilisearch.WithAPIKey(o.Key)}
	if o.HTTPClient != nil {
		opts = append(opts, meilisearch.WithCustomClient(o.HTTPClient))
	}
	client := meilisearch.New(o.URL, opts...)
	defer client.Close()
	task, err := client.DeleteIndex(ctx, o.Index)
	if err != nil {
		return meiliErr("delete index "+o.Index, err)
	}
	m := &Meili{client: client, timeout: cmp.Or(o.TaskTimeout, 30*time.Second), poll: cmp.Or(o.PollInterval, 50*time.Millisecond)}
	err = m.wait(ctx, "delete index "+o.Index, task)
	var te *TaskError
	if errors.As(err, &te) && te.Code == string(meilisearch.APIErrCodeIndexNotFound) {
		return nil
	}
	return err
}
