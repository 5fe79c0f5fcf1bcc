package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeMeili is an httptest Meilisearch: it records every request and
// answers like Meilisearch 1.x does (tasks, settings, documents), with a
// canned search response. It checks the request shapes of the backend;
// the behaviour of a real server is the contract suite's (TestMeili).
type fakeMeili struct {
	t  *testing.T
	mu sync.Mutex

	requests []recorded
	index    bool
	settings json.RawMessage
	docs     map[string]map[string]any
	tasks    map[int64]string // status
	taskErr  map[int64]string // failed task → error code
	nextTask int64

	failNext     string // the next task of this type fails with code "fail_code"
	failCode     string
	stuck        bool // tasks stay "processing"
	searchStatus int
	searchBody   string
}

type recorded struct {
	Method, Path, Body string
}

func newFakeMeili(t *testing.T) (*fakeMeili, *httptest.Server) {
	f := &fakeMeili{t: t, docs: map[string]map[string]any{}, tasks: map[int64]string{}, taskErr: map[int64]string{},
		settings: json.RawMessage(`{"rankingRules":["words","typo","proximity","attribute","sort","exactness"],` +
			`"searchableAttributes":["*"],"displayedAttributes":["*"],"filterableAttributes":[],"sortableAttributes":[],` +
			`"stopWords":[],"synonyms":{},"typoTolerance":{"enabled":true,"minWordSizeForTypos":{"oneTypo":5,"twoTypos":9},` +
			`"disableOnWords":[],"disableOnAttributes":[]},"pagination":{"maxTotalHits":1000},"faceting":{"maxValuesPerFacet":100}}`),
		searchStatus: http.StatusOK}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeMeili) paths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.requests {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

func (f *fakeMeili) last(methodPath string) (recorded, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.requests) - 1; i >= 0; i-- {
		if r := f.requests[i]; r.Method+" "+r.Path == methodPath {
			return r, true
		}
	}
	return recorded{}, false
}

func (f *fakeMeili) enqueue(w http.ResponseWriter, kind string) {
	f.nextTask++
	id := f.nextTask
	f.tasks[id] = "succeeded"
	if f.stuck {
		f.tasks[id] = "processing"
	}
	if f.failNext == kind {
		f.tasks[id] = "failed"
		f.taskErr[id] = f.failCode
		f.failNext = ""
	}
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, `{"taskUid":%d,"indexUid":"ecpts","status":"enqueued","type":%q,"enqueuedAt":"2026-03-14T09:26:53Z"}`, id, kind)
}

func apiError(w http.ResponseWriter, status int, code string) {
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":"something about the request","code":%q,"type":"invalid_request","link":"https://docs.meilisearch.com/errors#%s"}`, code, code)
}

func (f *fakeMeili) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, recorded{r.Method, r.URL.Path, string(body)})
	if got := r.Header.Get("Authorization"); got != "Bearer master-key" {
		apiError(w, http.StatusUnauthorized, "missing_authorization_header")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	path := r.URL.Path
	switch {
	case r.Method == http.MethodGet && path == "/health":
		fmt.Fprint(w, `{"status":"available"}`)
	case r.Method == http.MethodGet && path == "/indexes/ecpts":
		if !f.index {
			apiError(w, http.StatusNotFound, "index_not_found")
			return
		}
		fmt.Fprint(w, `{"uid":"ecpts","primaryKey":"id","createdAt":"2026-03-14T09:26:53Z","updatedAt":"2026-03-14T09:26:53Z"}`)
	case r.Method == http.MethodPost && path == "/indexes":
		f.index = true
		f.enqueue(w, "indexCreation")
	case r.Method == http.MethodGet && path == "/indexes/ecpts/settings":
		_, _ = w.Write(f.settings)
	case r.Method == http.MethodPatch && path == "/indexes/ecpts/settings":
		f.settings = body
		f.enqueue(w, "settingsUpdate")
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/tasks/"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(path, "/tasks/"), 10, 64)
		status, ok := f.tasks[id]
		if !ok {
			apiError(w, http.StatusNotFound, "task_not_found")
			return
		}
		errJSON := "null"
		if code := f.taskErr[id]; code != "" {
			errJSON = fmt.Sprintf(`{"message":"the document text is secret","code":%q,"type":"invalid_request","link":""}`, code)
		}
		fmt.Fprintf(w, `{"uid":%d,"indexUid":"ecpts","status":%q,"type":"settingsUpdate","error":%s,"enqueuedAt":"2026-03-14T09:26:53Z"}`, id, status, errJSON)
	case r.Method == http.MethodPost && path == "/indexes/ecpts/documents/fetch":
		var q struct {
			Filter string   `json:"filter"`
			Fields []string `json:"fields"`
		}
		_ = json.Unmarshal(body, &q)
		var results []map[string]any
		for id, d := range f.docs {
			if strings.Contains(q.Filter, strconv.Quote(id)) || q.Filter == "" {
				row := map[string]any{}
				for _, k := range q.Fields {
					row[k] = d[k]
				}
				results = append(results, row)
			}
		}
		out, _ := json.Marshal(map[string]any{"results": results, "offset": 0, "limit": 1000, "total": len(results)})
		_, _ = w.Write(out)
	case r.Method == http.MethodPost && path == "/indexes/ecpts/documents":
		var docs []map[string]any
		if err := json.Unmarshal(body, &docs); err != nil {
			apiError(w, http.StatusBadRequest, "malformed_payload")
			return
		}
		for _, d := range docs {
			f.docs[d["id"].(string)] = d
		}
		f.enqueue(w, "documentAdditionOrUpdate")
	case r.Method == http.MethodPost && path == "/indexes/ecpts/documents/delete-batch":
		var ids []string
		_ = json.Unmarshal(body, &ids)
		for _, id := range ids {
			delete(f.docs, id)
		}
		f.enqueue(w, "documentDeletion")
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/indexes/ecpts/documents/"):
		d, ok := f.docs[strings.TrimPrefix(path, "/indexes/ecpts/documents/")]
		if !ok {
			apiError(w, http.StatusNotFound, "document_not_found")
			return
		}
		out, _ := json.Marshal(map[string]any{"src": d["src"]})
		_, _ = w.Write(out)
	case r.Method == http.MethodGet && path == "/indexes/ecpts/stats":
		fmt.Fprintf(w, `{"numberOfDocuments":%d,"isIndexing":false,"fieldDistribution":{}}`, len(f.docs))
	case r.Method == http.MethodPost && path == "/indexes/ecpts/search":
		if f.searchStatus != http.StatusOK {
			apiError(w, f.searchStatus, "internal")
			return
		}
		fmt.Fprint(w, f.searchBody)
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, path)
		apiError(w, http.StatusNotFound, "not_found")
	}
}

func openFake(t *testing.T, srv *httptest.Server, timeout time.Duration) (*Meili, error) {
	return OpenMeili(context.Background(), MeiliOptions{URL: srv.URL, Key: "master-key", TaskTimeout: timeout, PollInterval: 5 * time.Millisecond})
}

func TestMeiliOpenAppliesSettingsOnce(t *testing.T) {
	f, srv := newFakeMeili(t)
	m, err := openFake(t, srv, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	want := []string{"GET /indexes/ecpts", "POST /indexes", "GET /tasks/1", "GET /indexes/ecpts/settings", "PATCH /indexes/ecpts/settings", "GET /tasks/2"}
	if got := f.paths(); !slices.Equal(got, want) {
		t.Fatalf("requests %v, want %v", got, want)
	}
	create, _ := f.last("POST /indexes")
	if create.Body != `{"uid":"ecpts","primaryKey":"id"}` {
		t.Errorf("create index body %s", create.Body)
	}
	patch, _ := f.last("PATCH /indexes/ecpts/settings")
	var s struct {
		SearchableAttributes []string            `json:"searchableAttributes"`
		FilterableAttributes []string            `json:"filterableAttributes"`
		SortableAttributes   []string            `json:"sortableAttributes"`
		RankingRules         []string            `json:"rankingRules"`
		StopWords            []string            `json:"stopWords"`
		Synonyms             map[string][]string `json:"synonyms"`
		TypoTolerance        struct {
			Enabled bool `json:"enabled"`
			Min     struct {
				OneTypo  int `json:"oneTypo"`
				TwoTypos int `json:"twoTypos"`
			} `json:"minWordSizeForTypos"`
		} `json:"typoTolerance"`
		Pagination struct {
			MaxTotalHits int `json:"maxTotalHits"`
		} `json:"pagination"`
	}
	if err := json.Unmarshal([]byte(patch.Body), &s); err != nil {
		t.Fatalf("settings body: %v", err)
	}
	if s.SearchableAttributes[0] != "title" || s.SearchableAttributes[1] != "text" {
		t.Errorf("searchable %v", s.SearchableAttributes)
	}
	for _, a := range []string{"scopes", "type", "cpts_ids", "author_id", "channel_id", "group_id", "author_profession", "missions", "campaign_key", "status_key", "created_at", "id"} {
		if !slices.Contains(s.FilterableAttributes, a) {
			t.Errorf("filterable lacks %s: %v", a, s.FilterableAttributes)
		}
	}
	if !slices.Equal(s.SortableAttributes, []string{"created_at"}) {
		t.Errorf("sortable %v", s.SortableAttributes)
	}
	if !slices.Equal(s.RankingRules, []string{"words", "typo", "proximity", "attribute", "sort", "exactness", "created_at:desc"}) {
		t.Errorf("ranking rules %v", s.RankingRules)
	}
	if !s.TypoTolerance.Enabled || s.TypoTolerance.Min.OneTypo != 5 || s.TypoTolerance.Min.TwoTypos != 9 {
		t.Errorf("typo tolerance %+v", s.TypoTolerance)
	}
	if s.Pagination.MaxTotalHits != meiliMaxTotalHits {
		t.Errorf("pagination %+v", s.Pagination)
	}
	for _, w := range []string{"l", "qu", "jusqu", "de", "le"} {
		if !slices.Contains(s.StopWords, w) {
			t.Errorf("stop words lack %q", w)
		}
	}
	if slices.Contains(s.StopWords, "ta") {
		t.Errorf(`"ta" (TA) must stay searchable`)
	}
	// Synonyms both ways, multi-word, accented and folded keys.
	for key, want := range map[string]string{
		"hta":                      "hypertension artérielle",
		"hypertension artérielle":  "hta",
		"hypertension arterielle":  "hta",
		"kiné":                     "masseur-kinésithérapeute",
		"masseur-kinésithérapeute": "kiné",
		"idel":                     "infirmière",
		"soins non programmés":     "snp",
	} {
		if !slices.Contains(s.Synonyms[key], want) {
			t.Errorf("synonyms[%q] = %v, want %q in it", key, s.Synonyms[key], want)
		}
	}
	if len(s.Synonyms) < 2*60 {
		t.Errorf("%d synonym keys", len(s.Synonyms))
	}

	// A second start with the settings in place changes nothing.
	before := len(f.paths())
	m2, err := openFake(t, srv, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if got := f.paths()[before:]; !slices.Equal(got, []string{"GET /indexes/ecpts", "GET /indexes/ecpts/settings"}) {
		t.Errorf("second start sent %v, want only reads", got)
	}
}

func TestMeiliTaskFailureSurfaces(t *testing.T) {
	f, srv := newFakeMeili(t)
	f.failNext, f.failCode = "settingsUpdate", "invalid_settings_typo_tolerance"
	_, err := openFake(t, srv, time.Second)
	var te *TaskError
	if !errors.As(err, &te) || te.Code != "invalid_settings_typo_tolerance" || te.Status != "failed" {
		t.Fatalf("OpenMeili = %v, want a TaskError with the code", err)
	}
	if !strings.Contains(err.Error(), "invalid_settings_typo_tolerance") || strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q: want the code, never the message", err)
	}
}

func TestMeiliTaskTimeout(t *testing.T) {
	f, srv := newFakeMeili(t)
	f.index = true
	f.stuck = true
	start := time.Now()
	_, err := openFake(t, srv, 100*time.Millisecond)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "not done") {
		t.Fatalf("OpenMeili = %v, want a timeout wrapping ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("waited %s", d)
	}
}

func TestMeiliDown(t *testing.T) {
	_, srv := newFakeMeili(t)
	srv.Close()
	_, err := OpenMeili(context.Background(), MeiliOptions{URL: srv.URL, Key: "master-key"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("OpenMeili on a closed port = %v, want ErrUnavailable", err)
	}
}

const cannedSearch = `{
  "hits": [
    {"ref": "message:m4", "type": "message", "title": "", "text": "L'infirmière passe tous les matins pour prévenir les chutes.",
     "_rankingScore": 0.93,
     "_formatted": {"ref": "message:m4", "type": "message", "title": "",
       "text": "L'\ue000infirmière\ue001 passe tous les matins pour prévenir les \ue000chutes\ue001."}},
    {"ref": "protocol:p9", "type": "protocol", "title": "Prévention des chutes à domicile", "text": "Repérer le risque.",
     "_rankingScore": 0.71,
     "_formatted": {"ref": "protocol:p9", "type": "protocol", "title": "\ue000Prévention\ue001 des \ue000chutes\ue001 à domicile",
       "text": "Repérer le risque."}}
  ],
  "query": "x", "processingTimeMs": 1, "hitsPerPage": 2, "page": 1, "totalPages": 2, "totalHits": 3,
  "facetDistribution": {"type": {"message": 2, "protocol": 1}, "cpts_ids": {"a": 1, "b": 2},
    "missions": {"prevention": 3}, "campaign": {"Mois sans tabac": 1, "": 2}, "status": {}, "author_profession": {"infirmier": 2}}
}`

func TestMeiliSearchRequestAndResponse(t *testing.T) {
	f, srv := newFakeMeili(t)
	m, err := openFake(t, srv, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f.searchBody = cannedSearch
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, Location)
	to := time.Date(2026, 2, 1, 0, 0, 0, 500, Location) // rounds up to the next millisecond
	res, err := m.Search(context.Background(), Query{
		Text:      `l'infirmière "prévention des chutes" -tabac -"salle d'attente" CYST`,
		Types:     []Type{TypeMessage, TypeProtocol},
		Campaigns: []string{"Mois sans tabac"},
		Authors:   []string{`u"1`},
		From:      from, To: to,
		Allowed: []string{`cpts:a"b\c`, "chan:x"},
		Page:    2, PerPage: 2,
		WithFacets: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	req, ok := f.last("POST /indexes/ecpts/search")
	if !ok {
		t.Fatal("no search request")
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(req.Body), &body); err != nil {
		t.Fatal(err)
	}
	wantFilter := `scopes IN ["cpts:a\"b\\c", "chan:x"] AND type IN ["message", "protocol"] AND author_id IN ["u\"1"]` +
		` AND campaign_key IN ["mois-sans-tabac"] AND created_at >= 1767222000000 AND created_at < 1769900400001`
	checks := map[string]any{
		"q":                `-tabac -"salle d'attente" "prévention des chutes" infirmière cyst`,
		"filter":           wantFilter,
		"matchingStrategy": "all",
		"page":             2.0,
		"hitsPerPage":      2.0,
		"highlightPreTag":  "\uE000",
		"highlightPostTag": "\uE001",
		"cropMarker":       "…",
		"cropLength":       float64(snippetWords),
		"showRankingScore": true,
	}
	for k, want := range checks {
		if got := body[k]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %#v, want %#v", k, got, want)
		}
	}
	if _, ok := body["sort"]; ok {
		t.Errorf("a text query is sorted by relevance, got sort %v", body["sort"])
	}
	if fmt.Sprint(body["facets"]) != fmt.Sprint([]string{"type", "cpts_ids", "author_profession", "missions", "campaign", "status"}) {
		t.Errorf("facets %v", body["facets"])
	}

	if res.Total != 3 || res.Page != 2 || res.PerPage != 2 || len(res.Hits) != 2 {
		t.Fatalf("result %+v", res)
	}
	h := res.Hits[0]
	if h.ID != "message:m4" || h.Type != TypeMessage || h.Score != 0.93 {
		t.Errorf("hit %+v", h)
	}
	if got := markedParts(h.Snippet, h.Highlights); !slices.Equal(got, []string{"infirmière", "chutes"}) {
		t.Errorf("snippet %q highlights %v", h.Snippet, got)
	}
	if got := markedParts(res.Hits[1].Title, res.Hits[1].TitleHighlights); !slices.Equal(got, []string{"Prévention", "chutes"}) {
		t.Errorf("title %q highlights %v", res.Hits[1].Title, got)
	}
	if strings.ContainsAny(h.Snippet+res.Hits[1].Title, "\uE000\uE001") {
		t.Error("markers left in the text")
	}
	wantTypes := []FacetCount{{"message", 2}, {"protocol", 1}}
	if !slices.Equal(res.Facets.Types, wantTypes) || !slices.Equal(res.Facets.CPTS, []FacetCount{{"b", 2}, {"a", 1}}) ||
		!slices.Equal(res.Facets.Campaigns, []FacetCount{{"Mois sans tabac", 1}}) || len(res.Facets.Statuses) != 0 {
		t.Errorf("facets %+v", res.Facets)
	}

	// A filter-only query is sorted newest first; its q is empty.
	if _, err := m.Search(context.Background(), Query{Types: []Type{TypePost}, Allowed: []string{"platform"}}); err != nil {
		t.Fatal(err)
	}
	req, _ = f.last("POST /indexes/ecpts/search")
	_ = json.Unmarshal([]byte(req.Body), &body)
	if fmt.Sprint(body["sort"]) != "[created_at:desc]" || body["q"] != " " {
		t.Errorf("filter-only: sort %v q %q", body["sort"], body["q"])
	}
	// The word being typed is sent without a trailing space (prefix).
	if _, err := m.Search(context.Background(), Query{Text: "protocole cyst", Allowed: []string{"platform"}}); err != nil {
		t.Fatal(err)
	}
	req, _ = f.last("POST /indexes/ecpts/search")
	_ = json.Unmarshal([]byte(req.Body), &body)
	if body["q"] != "protocole cyst" {
		t.Errorf("prefix: q %q", body["q"])
	}
	var plain map[string]any // a fresh map: body keeps the keys of earlier requests
	_ = json.Unmarshal([]byte(req.Body), &plain)
	if f, ok := plain["facets"]; ok && f != nil {
		t.Errorf("facets asked for without WithFacets: %v", f)
	}
	// A page past MaxOffset asks for totals and facets only.
	if _, err := m.Search(context.Background(), Query{Text: "cystite", Allowed: []string{"platform"}, Page: 1 << 40}); err != nil {
		t.Fatal(err)
	}
	req, _ = f.last("POST /indexes/ecpts/search")
	_ = json.Unmarshal([]byte(req.Body), &body)
	if body["hitsPerPage"] != 0.0 || body["page"] != 1.0 {
		t.Errorf("far page: page %v hitsPerPage %v", body["page"], body["hitsPerPage"])
	}
}

func TestMeiliNoAllowedNoRequest(t *testing.T) {
	f, srv := newFakeMeili(t)
	m, err := openFake(t, srv, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	res, err := m.Search(context.Background(), Query{Text: "cystite"})
	if err != nil || len(res.Hits) != 0 || res.Total != 0 {
		t.Fatalf("Search without Allowed = %+v, %v", res, err)
	}
	if _, ok := f.last("POST /indexes/ecpts/search"); ok {
		t.Error("a search without allowed scopes reached Meilisearch")
	}
	if _, err := m.Search(context.Background(), Query{Allowed: []string{"platform"}}); !errors.Is(err, ErrEmptyQuery) {
		t.Errorf("empty query: %v", err)
	}
}

func TestMeiliSearchErrorHidesQuery(t *testing.T) {
	f, srv := newFakeMeili(t)
	m, err := openFake(t, srv, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f.searchStatus = http.StatusInternalServerError
	_, err = m.Search(context.Background(), Query{Text: "confidentialissime", Allowed: []string{"cpts:secret-scope"}})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Search on a 500 = %v, want ErrUnavailable", err)
	}
	for _, leak := range []string{"confidentialissime", "secret-scope", "something about"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q leaks %q", err, leak)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Search(context.Background(), Query{Text: "x", Allowed: []string{"p"}}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("after Close: %v", err)
	}
}

func TestMeiliUpsertKeepsNewerVersions(t *testing.T) {
	f, srv := newFakeMeili(t)
	m, err := openFake(t, srv, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	d1 := Document{ID: "message:m1", Type: TypeMessage, Text: "Version cinq", Scopes: []string{"cpts:a"}, Version: 1_700_000_000_000_000_005,
		CreatedAt: time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)}
	if err := m.Upsert(ctx, d1); err != nil {
		t.Fatal(err)
	}
	add, _ := f.last("POST /indexes/ecpts/documents")
	var sent []map[string]any
	_ = json.Unmarshal([]byte(add.Body), &sent)
	if len(sent) != 1 || sent[0]["id"] != meiliID("message:m1") || sent[0]["ref"] != "message:m1" ||
		sent[0]["version"] != "1700000000000000005" || sent[0]["created_at"] != 1773480413589.0 ||
		fmt.Sprint(sent[0]["scopes"]) != "[cpts:a]" {
		t.Errorf("document sent: %v", sent)
	}
	if strings.ContainsAny(meiliID("message:m1"), ":/+=") {
		t.Errorf("Meilisearch id %q has characters Meilisearch refuses", meiliID("message:m1"))
	}

	older, d2 := d1, Document{ID: "message:m2", Type: TypeMessage, Text: "Autre", Scopes: []string{"cpts:a"}, Version: 1}
	older.Version--
	older.Text = "Version quatre"
	if err := m.Upsert(ctx, older, d2); err != nil {
		t.Fatal(err)
	}
	fetch, _ := f.last("POST /indexes/ecpts/documents/fetch")
	var fq struct {
		Filter string   `json:"filter"`
		Fields []string `json:"fields"`
		Limit  int      `json:"limit"`
	}
	_ = json.Unmarshal([]byte(fetch.Body), &fq)
	if fq.Filter != fmt.Sprintf(`id IN [%q, %q]`, meiliID("message:m1"), meiliID("message:m2")) || fq.Limit != 2 ||
		!slices.Equal(fq.Fields, []string{"id", "version"}) {
		t.Errorf("versions fetched with %+v", fq)
	}
	add, _ = f.last("POST /indexes/ecpts/documents")
	sent = nil
	_ = json.Unmarshal([]byte(add.Body), &sent)
	if len(sent) != 1 || sent[0]["ref"] != "message:m2" {
		t.Errorf("an older version was sent: %v", sent)
	}
	got, err := m.Get(ctx, "message:m1")
	if err != nil || got.Text != "Version cinq" || got.Version != d1.Version {
		t.Errorf("Get = %+v, %v", got, err)
	}
	if _, err := m.Get(ctx, "message:nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get unknown = %v", err)
	}
	if n, err := m.Count(ctx); err != nil || n != 2 {
		t.Errorf("Count = %d, %v", n, err)
	}
	if err := m.Delete(ctx, "message:m2"); err != nil {
		t.Fatal(err)
	}
	del, _ := f.last("POST /indexes/ecpts/documents/delete-batch")
	if del.Body != fmt.Sprintf(`[%q]`, meiliID("message:m2")) {
		t.Errorf("delete body %s", del.Body)
	}
	if err := m.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
	// A failed document task is an error with its code.
	f.mu.Lock()
	f.failNext, f.failCode = "documentAdditionOrUpdate", "invalid_document_id"
	f.mu.Unlock()
	var te *TaskError
	if err := m.Upsert(ctx, d2); !errors.As(err, &te) || te.Code != "invalid_document_id" {
		t.Errorf("failed task: %v", err)
	}
}

func TestMeiliFilterQuoting(t *testing.T) {
	for _, v := range []string{``, `"`, `\`, `\"`, `a"b`, `" OR scopes EXISTS OR "`, `x\`, "ligne\nnouvelle", `'`, `[]`, `é"\\"`} {
		q := quote(v)
		got, rest, ok := unquoteFilter(q)
		if !ok || rest != "" || got != v {
			t.Errorf("quote(%q) = %s, reads back %q rest %q ok %v", v, q, got, rest, ok)
		}
	}
	// The whole filter reads back as the values given, whatever they hold.
	vals := []string{`" OR type = "x`, `\`, `chan:1`}
	f := meiliFilter(Query{Allowed: vals})
	rest := strings.TrimPrefix(f, "scopes IN [")
	for i, want := range vals {
		got, r, ok := unquoteFilter(rest)
		if !ok || got != want {
			t.Fatalf("value %d of %s: %q", i, f, got)
		}
		rest = strings.TrimPrefix(strings.TrimPrefix(r, ", "), "]")
	}
	if rest != "" {
		t.Errorf("filter %s: trailing %q", f, rest)
	}
}

// unquoteFilter reads one Meilisearch filter string at the start of s.
func unquoteFilter(s string) (string, string, bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", s, false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) {
				return "", "", false
			}
			i++
			b.WriteByte(s[i])
		case '"':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", false
}

func TestMeiliQueryText(t *testing.T) {
	cases := map[string]string{
		"cyst":                   "cyst",
		"cyst ":                  "cyst ",
		"l'IDE d’attente":        "ide attente",
		`"mois sans tabac" kiné`: `"mois sans tabac" kiné`,
		`kiné "mois sans tabac"`: `"mois sans tabac" kiné `,
		"-l'hôpital chute":       "-hôpital chute",
		`-"a b" x`:               `-"a b" x`,
	}
	for in, want := range cases {
		if got := meiliQuery(parseText(in)); got != want {
			t.Errorf("meiliQuery(%q) = %q, want %q", in, got, want)
		}
	}
}
