package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ecpts/ecpts/internal/blob"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/demo"
	"github.com/ecpts/ecpts/internal/mailer"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store/storetest"
	"github.com/ecpts/ecpts/search"
	"github.com/google/uuid"
)

// flakyIndex is the real index with a switch that makes it answer
// search.ErrUnavailable, as a Meilisearch down or a bleve directory
// unreadable would.
type flakyIndex struct {
	search.Index
	down atomic.Bool
}

func (f *flakyIndex) err() error {
	if f.down.Load() {
		return fmt.Errorf("%w: switched off by the test", search.ErrUnavailable)
	}
	return nil
}

func (f *flakyIndex) Upsert(ctx context.Context, docs ...search.Document) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.Index.Upsert(ctx, docs...)
}

func (f *flakyIndex) Delete(ctx context.Context, ids ...string) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.Index.Delete(ctx, ids...)
}

func (f *flakyIndex) Search(ctx context.Context, q search.Query) (search.Result, error) {
	if err := f.err(); err != nil {
		return search.Result{}, err
	}
	return f.Index.Search(ctx, q)
}

// searchHarness is the in-process stack over the demo data (with its
// messages, posted through core) and a bleve index on disk, filled the
// way the server fills it: reindex, then the outbox.
func newSearchHarness(t *testing.T) (*harness, *flakyIndex, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "search")
	b, err := search.OpenBleve(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	idx := &flakyIndex{Index: b}
	st := storetest.OpenTest(t, "sqlite")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	if _, err := demo.Load(ctx, st, log, time.Now(), fastParams); err != nil {
		t.Fatal(err)
	}
	mdir := t.TempDir()
	m, err := mailer.NewFile(mdir, "e-CPTS <no-reply@ecpts.invalid>", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, st: st, mailDir: mdir, publicURL: "http://ecpts.test", ids: map[string]string{}, mailer: m, start: time.Now(), index: idx, blobs: blobs}
	h.restart()
	if err := demo.LoadMessages(ctx, st, h.core); err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadPosts(ctx, st, h.core, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadLibrary(ctx, st, h.core); err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadMaterials(ctx, st, h.core); err != nil {
		t.Fatal(err)
	}
	if _, err := h.core.Reindex(ctx, nil); err != nil {
		t.Fatal(err)
	}
	h.drainOutbox()
	h.collectIDs()
	return h, idx, dir
}

// drainOutbox applies the whole search outbox.
func (h *harness) drainOutbox() {
	h.t.Helper()
	for {
		n, err := h.core.IndexOutbox(context.Background(), 500)
		if err != nil {
			h.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

type searchHit struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Title    string `json:"title"`
	Excerpt  string `json:"excerpt"`
	Location *struct {
		ChannelID string `json:"channel_id"`
		Seq       int    `json:"seq"`
		ThreadID  string `json:"thread_id"`
		Direct    bool   `json:"direct"`
	} `json:"location"`
}

type searchResponse struct {
	Hits  []searchHit `json:"hits"`
	Total int         `json:"total"`
	Page  int         `json:"page"`
}

func (h *harness) search(s session, q string, extra ...string) (int, searchResponse, string) {
	h.t.Helper()
	v := url.Values{"q": {q}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	res, body := h.do(s, "GET", "/api/v1/search?"+v.Encode(), "")
	var out searchResponse
	if res.StatusCode == 200 {
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			h.t.Fatalf("search %q: %v", q, err)
		}
	}
	return res.StatusCode, out, body
}

// fullText is the whole text of a hit's document (the excerpt of a direct
// conversation, which the shared index does not hold).
func fullText(t *testing.T, idx search.Index, hit searchHit) string {
	if hit.Location != nil && hit.Location.Direct {
		return hit.Title + " " + hit.Excerpt
	}
	d, err := idx.Get(context.Background(), search.DocID(search.Type(hit.Type), hit.ID))
	if err != nil {
		t.Fatalf("hit %s:%s not in the index: %v", hit.Type, hit.ID, err)
	}
	return d.Title + " " + d.Text
}

type relevanceCase struct {
	Q      string `json:"q"`
	As     string `json:"as"`
	Expect string `json:"expect"`
	Kind   string `json:"kind"`
}

func loadRelevanceSet(t *testing.T) []relevanceCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "search", "testdata", "relevance_fr.json"))
	if err != nil {
		t.Fatal(err)
	}
	var set []relevanceCase
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	if len(set) < 60 {
		t.Fatalf("the relevance set has %d queries, at least 60 wanted", len(set))
	}
	return set
}

// TestSearch runs, on one stack: the relevance set (precision@3 and MRR
// over the demo data, bleve), the leak test (every demo account × every
// query), bad input, an index outage and the direct conversations.
func TestSearch(t *testing.T) {
	h, idx, dir := newSearchHarness(t)
	set := loadRelevanceSet(t)
	sessions := map[string]session{}
	as := func(email string) session {
		s, ok := sessions[email]
		if !ok {
			s = h.login(email)
			sessions[email] = s
		}
		return s
	}

	t.Run("relevance", func(t *testing.T) {
		var top3, rr float64
		kinds := map[string][2]int{}
		for _, c := range set {
			status, res, body := h.search(as(c.As), c.Q)
			if status != 200 {
				t.Errorf("%q as %s: %d %s", c.Q, c.As, status, body)
				continue
			}
			rank := 0
			for i, hit := range res.Hits {
				if strings.Contains(strings.ToLower(fullText(t, idx, hit)), strings.ToLower(c.Expect)) {
					rank = i + 1
					break
				}
			}
			k := kinds[c.Kind]
			k[1]++
			if rank >= 1 && rank <= 3 {
				top3++
				k[0]++
			} else {
				var got []string
				for _, hit := range res.Hits[:min(3, len(res.Hits))] {
					got = append(got, hit.Excerpt+hit.Title)
				}
				t.Logf("miss: %q (%s) as %s: %q at rank %d; top: %q", c.Q, c.Kind, c.As, c.Expect, rank, got)
			}
			kinds[c.Kind] = k
			if rank > 0 {
				rr += 1 / float64(rank)
			}
		}
		n := float64(len(set))
		p3, mrr := top3/n, rr/n
		var byKind []string
		for k, v := range kinds {
			byKind = append(byKind, fmt.Sprintf("%s %d/%d", k, v[0], v[1]))
		}
		slices.Sort(byKind)
		t.Logf("RELEVANCE queries=%d precision@3=%.3f MRR=%.3f (%s)", len(set), p3, mrr, strings.Join(byKind, ", "))
		if p3 < 0.9 {
			t.Errorf("precision@3 = %.3f, target ≥ 0.9", p3)
		}
	})

	// What each account may read, through the API's own lists.
	accounts := []string{"coordination@loire-nord.demo", "infirmiere@loire-nord.demo", "kine@loire-nord.demo",
		"pharmacie@loire-nord.demo", "sage-femme@loire-nord.demo", "orthophoniste@loire-nord.demo",
		"assistante-sociale@loire-nord.demo", "pharmacien@val-de-cher.demo", "coordination@val-de-cher.demo",
		"medecin@val-de-cher.demo", "admin@ecpts.demo"}
	readable := func(email string) (chans, people map[string]bool) {
		chans, people = map[string]bool{}, map[string]bool{}
		var cs struct{ Channels []struct{ ID string } }
		h.getJSON(as(email), "/api/v1/channels", &cs)
		for _, c := range cs.Channels {
			chans[c.ID] = true
		}
		var conv struct{ Conversations []struct{ ID string } }
		h.getJSON(as(email), "/api/v1/conversations", &conv)
		for _, c := range conv.Conversations {
			chans[c.ID] = true
		}
		var dirl struct{ Members []struct{ ID string } }
		h.getJSON(as(email), "/api/v1/directory", &dirl)
		for _, m := range dirl.Members {
			people[m.ID] = true
		}
		return chans, people
	}
	checkNoLeak := func(t *testing.T, email string, queries []string) int {
		t.Helper()
		chans, people := readable(email)
		hits := 0
		for _, q := range queries {
			status, res, body := h.search(as(email), q, "per_page", "100")
			if status != 200 {
				t.Errorf("%q as %s: %d %s", q, email, status, body)
				continue
			}
			for _, hit := range res.Hits {
				hits++
				switch hit.Type {
				case "message", "channel":
					if hit.Location == nil || !chans[hit.Location.ChannelID] {
						t.Errorf("LEAK: %q as %s found %s %s in a channel it cannot read", q, email, hit.Type, hit.ID)
					}
				case "person":
					if !people[hit.ID] {
						t.Errorf("LEAK: %q as %s found person %s outside its directory", q, email, hit.ID)
					}
				case "post":
					if res, _ := h.do(as(email), "GET", "/api/v1/posts/"+hit.ID, ""); res.StatusCode != 200 {
						t.Errorf("LEAK: %q as %s found post %s it cannot open (%d)", q, email, hit.ID, res.StatusCode)
					}
				case "protocol":
					if res, _ := h.do(as(email), "GET", "/api/v1/protocols/"+hit.ID, ""); res.StatusCode != 200 {
						t.Errorf("LEAK: %q as %s found protocol %s it cannot open (%d)", q, email, hit.ID, res.StatusCode)
					}
				case "material":
					if res, _ := h.do(as(email), "GET", "/api/v1/materials/"+hit.ID, ""); res.StatusCode != 200 {
						t.Errorf("LEAK: %q as %s found material %s it cannot open (%d)", q, email, hit.ID, res.StatusCode)
					}
				default:
					t.Errorf("%q as %s: unexpected hit type %s", q, email, hit.Type)
				}
			}
		}
		return hits
	}
	queries := []string{"cpts", "patients", "bienvenue", "réunion", "officine", "atelier", "soirée", "visio"}
	for _, c := range set {
		queries = append(queries, c.Q)
	}

	t.Run("leaks", func(t *testing.T) {
		total := 0
		for _, email := range accounts {
			total += checkNoLeak(t, email, queries)
		}
		if total == 0 {
			t.Fatal("no hit at all: the leak test would prove nothing")
		}
	})

	t.Run("posts", func(t *testing.T) {
		for email, want := range map[string]int{"coordination@loire-nord.demo": 1, "infirmiere@loire-nord.demo": 1,
			"pharmacien@val-de-cher.demo": 0, "coordination@val-de-cher.demo": 0, "admin@ecpts.demo": 0} {
			status, res, body := h.search(as(email), "soirée pluriprofessionnelle", "type", "post")
			if status != 200 || len(res.Hits) != want {
				t.Errorf("soirée pluriprofessionnelle as %s: %d, %d hits, want %d: %s", email, status, len(res.Hits), want, body)
			}
		}
		// The group's event: its members only (the Val de Cher pharmacist is one).
		for email, want := range map[string]int{"pharmacien@val-de-cher.demo": 1, "infirmiere@loire-nord.demo": 0} {
			if _, res, _ := h.search(as(email), "visio réhabilitation", "type", "post"); len(res.Hits) != want {
				t.Errorf("visio réhabilitation as %s: %d hits, want %d", email, len(res.Hits), want)
			}
		}
	})

	t.Run("direct conversations", func(t *testing.T) {
		for email, want := range map[string]int{"kine@loire-nord.demo": 1, "pharmacien@val-de-cher.demo": 1,
			"coordination@loire-nord.demo": 0, "infirmiere@loire-nord.demo": 0, "admin@ecpts.demo": 0} {
			status, res, body := h.search(as(email), "Capucine")
			if status != 200 || len(res.Hits) != want {
				t.Errorf("Capucine as %s: %d, %d hits, want %d: %s", email, status, len(res.Hits), want, body)
			}
			for _, hit := range res.Hits {
				if hit.Location == nil || !hit.Location.Direct {
					t.Errorf("Capucine as %s: hit %+v is not in a direct conversation", email, hit)
				}
			}
		}
		// No word of a conversation in any file of the index.
		var files int
		err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return err
			}
			files++
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if bytes.Contains(bytes.ToLower(b), []byte("capucin")) {
				return fmt.Errorf("%s holds a word of a direct conversation", p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if files == 0 {
			t.Fatal("the index directory is empty")
		}
		// The shared index holds shared messages, though: the check can fail.
		status, res, _ := h.search(as("kine@loire-nord.demo"), "réhabilitation respiratoire")
		if status != 200 || len(res.Hits) == 0 {
			t.Fatalf("a shared message is not found (%d)", status)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		s := as("coordination@loire-nord.demo")
		for _, c := range []struct {
			q     string
			extra []string
			code  string
		}{
			{"", nil, "query_too_short"},
			{"a", nil, "query_too_short"},
			// The longest request line the server reads is 4 KiB: a longer
			// query is refused before it (the box stops at 2,000).
			{strings.Repeat("a", 2500), nil, "query_too_long"},
			{"hta", []string{"type", "foo"}, "invalid_type"},
			{"hta", []string{"page", "abc"}, "invalid_page"},
			{"hta", []string{"page", "0"}, "invalid_page"},
			{"hta", []string{"per_page", "1000"}, "invalid_per_page"},
			{"hta", []string{"from", "hier"}, "invalid_date"},
			{"hta", []string{"cpts", "not-an-id"}, "invalid_id"},
			{"hta", []string{"profession", "astronaute"}, "invalid_profession"},
		} {
			status, _, body := h.search(s, c.q, c.extra...)
			if status != 400 || !strings.Contains(body, `"code":"`+c.code+`"`) {
				t.Errorf("%.40q %v: %d %s, want 400 %s", c.q, c.extra, status, body, c.code)
			}
		}
		// Never a 500, whatever is typed.
		for _, q := range []string{`"hypertension artérielle`, `"""`, "de: dans: avant:", "-", "-hta", "foo:bar hypertension",
			"avant:2099-13-45 hta", "type:personne garnier", "de:@personne hta", "dans:~inconnu hta", "((hta", "hta*", "\u0000hta",
			strings.Repeat("é", 500), "l' d' qu'"} {
			status, _, body := h.search(s, q)
			if status >= 500 {
				_, err := h.core.Search(context.Background(), h.sessionOf(s), core.SearchInput{Q: q})
				t.Errorf("%.40q: %d %s (%v)", q, status, body, err)
			}
		}
		// An unbalanced quote still finds; an unknown author finds nothing.
		if _, res, _ := h.search(s, `"hypertension artérielle`); len(res.Hits) == 0 {
			t.Error(`"hypertension artérielle (unbalanced): no hit`)
		}
		if _, res, _ := h.search(s, "de:@personne hypertension"); len(res.Hits) != 0 {
			t.Errorf("de:@personne: %d hits, want none", len(res.Hits))
		}
		if _, res, _ := h.search(s, "de:@claire hypertension"); len(res.Hits) != 1 {
			t.Errorf("de:@claire hypertension: %d hits, want 1", len(res.Hits))
		}
		if _, res, _ := h.search(s, "dans:~général hypertension"); len(res.Hits) != 1 {
			t.Errorf("dans:~général hypertension: %d hits, want 1", len(res.Hits))
		}
		// A page far past the end: no hits, the total.
		status, res, body := h.search(s, "patients", "page", "999")
		if status != 200 || len(res.Hits) != 0 || res.Total == 0 {
			t.Errorf("page 999: %d %s", status, body)
		}
	})

	t.Run("index down", func(t *testing.T) {
		s := as("coordination@loire-nord.demo")
		idx.down.Store(true)
		status, _, body := h.search(s, "hypertension")
		if status != 503 || !strings.Contains(body, `"code":"search_unavailable"`) {
			t.Errorf("index down: %d %s, want 503 search_unavailable", status, body)
		}
		// Posting still works; the indexer fails and keeps the record.
		ch := h.id("chan:LN:général")
		res, body := h.do(s, "POST", "/api/v1/channels/"+ch+"/messages", `{"client_id":"`+uuid.NewString()+`","body":"Réunion sur la iatrogénie médicamenteuse jeudi."}`)
		if res.StatusCode != 201 {
			t.Fatalf("post while the index is down: %d %s", res.StatusCode, body)
		}
		if _, err := h.core.IndexOutbox(context.Background(), 100); !errors.Is(err, search.ErrUnavailable) {
			t.Fatalf("indexer while the index is down: %v", err)
		}
		idx.down.Store(false)
		h.drainOutbox()
		if _, res, _ := h.search(s, "iatrogénie"); len(res.Hits) != 1 {
			t.Errorf("after the outage: %d hits for the message posted meanwhile, want 1", len(res.Hits))
		}
		// An edit and a deletion follow through the outbox.
		var out struct{ Message struct{ ID string } }
		_ = json.Unmarshal([]byte(body), &out)
		posted := out.Message
		if res, b := h.do(s, "PATCH", "/api/v1/messages/"+posted.ID, `{"body":"Réunion sur la polymédication jeudi."}`); res.StatusCode != 200 {
			t.Fatalf("edit: %d %s", res.StatusCode, b)
		}
		h.drainOutbox()
		if _, res, _ := h.search(s, "iatrogénie"); len(res.Hits) != 0 {
			t.Errorf("after the edit, the old word still finds %d hits", len(res.Hits))
		}
		if _, res, _ := h.search(s, "polymédication"); len(res.Hits) != 1 {
			t.Errorf("after the edit, the new word finds %d hits, want 1", len(res.Hits))
		}
		if res, b := h.do(s, "DELETE", "/api/v1/messages/"+posted.ID, ""); res.StatusCode != 204 {
			t.Fatalf("delete: %d %s", res.StatusCode, b)
		}
		// Gone at once (the hit is re-checked), and from the index after.
		if _, res, _ := h.search(s, "polymédication"); len(res.Hits) != 0 {
			t.Errorf("a deleted message is still found")
		}
		h.drainOutbox()
		if _, err := idx.Get(context.Background(), search.DocID(search.TypeMessage, posted.ID)); !errors.Is(err, search.ErrNotFound) {
			t.Errorf("a deleted message is still in the index: %v", err)
		}
	})

	t.Run("channel made private", func(t *testing.T) {
		// soins-non-programmés is public in Loire Nord; the midwife is not
		// one of its members but reads it as a member of the CPTS. The
		// coordinator makes it private through the API and it is searched
		// at once: the indexer has not run, the index still holds the
		// channel's documents under the CPTS's scope, and only the re-check
		// of each hit against the store keeps them from her.
		chID := h.id("chan:LN:soins-non-programmés")
		sf := as("sage-femme@loire-nord.demo")
		ide := as("infirmiere@loire-nord.demo")
		queries := []string{"créneaux", "Mably", "SNP samedi", "soins non programmés", "INR"}
		inChannel := func(s session, q string) int {
			t.Helper()
			status, res, body := h.search(s, q, "per_page", "100")
			if status != 200 {
				t.Fatalf("%q: %d %s", q, status, body)
			}
			n := 0
			for _, hit := range res.Hits {
				if hit.Location != nil && hit.Location.ChannelID == chID {
					n++
				}
			}
			return n
		}
		before := 0
		for _, q := range queries {
			before += inChannel(sf, q)
		}
		if before == 0 {
			t.Fatal("the midwife finds nothing of the public channel: the test would prove nothing")
		}
		coord := as("coordination@loire-nord.demo")
		if res, b := h.do(coord, "PATCH", "/api/v1/channels/"+chID, `{"visibility":"private"}`); res.StatusCode != 200 || !strings.Contains(b, `"visibility":"private"`) {
			t.Fatalf("make the channel private: %d %s", res.StatusCode, b)
		}
		if got, err := h.st.Channels.ByID(context.Background(), model.ChannelID(chID)); err != nil || got.Visibility != model.VisibilityPrivate {
			t.Fatalf("the channel is not private in the store: %v %+v", err, got)
		}
		// No indexer run in between: the index still offers the channel to
		// the whole CPTS.
		doc, err := idx.Get(context.Background(), search.DocID(search.TypeChannel, chID))
		if err != nil || !slices.Contains(doc.Scopes, "cpts:"+h.id("cpts:CPTS Loire Nord")) {
			t.Fatalf("the index already knows (%v, scopes %v): the test would prove nothing", err, doc.Scopes)
		}
		sfID := h.sessionOf(sf).UserID
		if _, err := h.st.ChannelMembers.Get(context.Background(), model.ChannelID(chID), sfID); err == nil {
			t.Fatalf("the midwife is a member of the channel: the test is wrong")
		}
		if chans, _ := readable("sage-femme@loire-nord.demo"); chans[chID] {
			t.Errorf("the channel made private is still in the midwife's channel list")
		}
		for _, q := range queries {
			if n := inChannel(sf, q); n != 0 {
				t.Errorf("LEAK: the channel made private, the midwife (not a member) still finds %d hits of it for %q", n, q)
			}
		}
		member := 0
		for _, q := range queries {
			member += inChannel(ide, q)
		}
		if member == 0 {
			t.Error("the nurse, a member of the channel made private, no longer finds it")
		}
		h.drainOutbox()
		checkNoLeak(t, "sage-femme@loire-nord.demo", queries)
		checkNoLeak(t, "kine@loire-nord.demo", queries)
	})

	t.Run("removed members stop finding at once", func(t *testing.T) {
		coord := as("coordination@loire-nord.demo")
		ide := as("infirmiere@loire-nord.demo")
		if _, res, _ := h.search(ide, "EHPAD Villerest"); len(res.Hits) == 0 {
			t.Fatal("the nurse does not find the private channel's message before her removal")
		}
		uid := h.id("user:Sophie Garnier")
		ch := h.id("chan:LN:sortie-hospitalisation")
		if res, b := h.do(coord, "DELETE", "/api/v1/channels/"+ch+"/members/"+uid, ""); res.StatusCode != 204 {
			t.Fatalf("remove from channel: %d %s", res.StatusCode, b)
		}
		// No indexer run in between.
		for _, q := range []string{"EHPAD Villerest", "hospitalisation à domicile", "SSIAD"} {
			_, res, _ := h.search(ide, q)
			for _, hit := range res.Hits {
				if hit.Location != nil && hit.Location.ChannelID == ch {
					t.Errorf("LEAK: %q still finds %s in the channel she was removed from", q, hit.ID)
				}
			}
		}
		if _, res, _ := h.search(ide, "hypertension"); len(res.Hits) == 0 {
			t.Fatal("the nurse does not find a message of général before her removal from the CPTS")
		}
		if res, b := h.do(coord, "DELETE", "/api/v1/cpts/"+h.id("cpts:CPTS Loire Nord")+"/members/"+uid, ""); res.StatusCode != 204 {
			t.Fatalf("remove from the CPTS: %d %s", res.StatusCode, b)
		}
		// What is shared with the whole platform (a protocol, a material)
		// any signed-in user still reads; nothing else.
		for _, q := range queries {
			_, res, _ := h.search(ide, q)
			for _, hit := range res.Hits {
				if hit.Type == "protocol" || hit.Type == "material" {
					if r, _ := h.do(ide, "GET", "/api/v1/"+string(hit.Type)+"s/"+hit.ID, ""); r.StatusCode == 200 {
						continue
					}
				}
				t.Errorf("LEAK: removed from her CPTS, the nurse still finds %s %s for %q", hit.Type, hit.ID, q)
			}
		}
		// And every other account still reads only what it may.
		h.drainOutbox()
		for _, email := range []string{"coordination@loire-nord.demo", "kine@loire-nord.demo", "pharmacien@val-de-cher.demo"} {
			checkNoLeak(t, email, queries[:20])
		}
	})
}

// sessionOf is the core session of a logged-in test client.
func (h *harness) sessionOf(s session) model.Session {
	h.t.Helper()
	var me struct {
		User struct{ ID string } `json:"user"`
	}
	h.getJSON(s, "/api/v1/me", &me)
	return model.Session{UserID: model.UserID(me.User.ID)}
}
