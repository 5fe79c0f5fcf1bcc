// Package searchtest is the contract suite every search.Index backend
// passes: bleve always, Meilisearch when ECPTS_MEILI_URL is set.
package searchtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecpts/ecpts/search"
)

// Run runs the suite. open must return a fresh, empty index and arrange
// its cleanup; it is called once per subtest.
func Run(t *testing.T, open func(t *testing.T) search.Index) {
	tests := []struct {
		name string
		run  func(t *testing.T, idx search.Index)
	}{
		{"UpsertGetCount", testUpsertGetCount},
		{"Versions", testVersions},
		{"Delete", testDelete},
		{"InvalidDocuments", testInvalid},
		{"Walk", testWalk},
		{"Access", testAccess},
		{"AccessEveryQuery", testAccessEveryQuery},
		{"Typos", testTypos},
		{"Accents", testAccents},
		{"Elisions", testElisions},
		{"Plurals", testPlurals},
		{"Prefix", testPrefix},
		{"Synonyms", testSynonyms},
		{"Phrase", testPhrase},
		{"Exclusion", testExclusion},
		{"Filters", testFilters},
		{"Operators", testOperators},
		{"DateRange", testDateRange},
		{"Facets", testFacets},
		{"Paging", testPaging},
		{"Highlights", testHighlights},
		{"EdgeQueries", testEdgeQueries},
		{"Concurrent", testConcurrent},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// Scopes and ids of the fixture.
const (
	cptsA   = "cpts:a0000000000000000000000a"
	cptsB   = "cpts:b0000000000000000000000b"
	chanX   = "chan:c0000000000000000000000x"
	groupG  = "group:d000000000000000000000g"
	everyon = "platform"

	idCystite    = "protocol:p1"
	idAVK        = "protocol:p2"
	idHTA        = "message:m1"
	idKine       = "message:m2"
	idPrivate    = "message:m3"
	idInfirmiere = "message:m4"
	idHTAShort   = "message:m5"
	idTabac      = "material:t1"
	idMedecin    = "post:n1"
	idChannel    = "channel:c1"
)

var (
	allScopes = []string{cptsA, cptsB, chanX, groupG, everyon}
	day       = func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, time.UTC) }
)

// Fixture returns the documents of the suite: fictional French content
// over two CPTS, a private channel, a group and the whole platform.
func Fixture() []search.Document {
	return []search.Document{
		{
			ID: idCystite, Type: search.TypeProtocol, Title: "Protocole cystite aiguë simple de la femme",
			Text:     "Prise en charge de la cystite par le pharmacien d'officine : bandelette urinaire puis délivrance encadrée d'un antibiotique. Orienter vers le médecin traitant si fièvre.",
			AuthorID: "u-pharma", AuthorName: "Claire Dubois", AuthorProfession: "pharmacien",
			CPTSIDs: []string{"a"}, Missions: []string{"parcours"}, Status: "Validé",
			CreatedAt: day(2026, 1, 10), UpdatedAt: day(2026, 1, 12), Scopes: []string{cptsA}, Version: 1,
		},
		{
			ID: idAVK, Type: search.TypeProtocol, Title: "Suivi des patients sous anticoagulants",
			Text:     "Contrôle de l'INR par l'infirmier à domicile, adaptation de la dose par le médecin.",
			AuthorID: "u-coord", AuthorName: "Paul Lefèvre", AuthorProfession: "medecin_generaliste",
			CPTSIDs: []string{"a"}, Missions: []string{"parcours", "qualite"}, Status: "Brouillon",
			CreatedAt: day(2025, 11, 20), UpdatedAt: day(2025, 11, 20), Scopes: []string{cptsA}, Version: 1,
		},
		{
			ID: idHTA, Type: search.TypeMessage,
			Text:     "Patient suivi pour hypertension artérielle : la tension reste élevée malgré le traitement.",
			AuthorID: "u-ide", AuthorName: "Julie Martin", AuthorProfession: "infirmier",
			CPTSIDs: []string{"a"}, ChannelID: "chan-cardio", ChannelName: "Parcours cardio", ThreadID: "root-1",
			CreatedAt: day(2026, 2, 3), UpdatedAt: day(2026, 2, 3), Scopes: []string{cptsA}, Version: 1,
		},
		{
			ID: idKine, Type: search.TypeMessage,
			Text:     "Le masseur-kinésithérapeute propose un atelier de prévention des chutes à domicile pour les plus de 75 ans.",
			AuthorID: "u-kine", AuthorName: "Marc Petit", AuthorProfession: "masseur_kinesitherapeute",
			CPTSIDs: []string{"a"}, ChannelID: "chan-prev", ChannelName: "Prévention", Missions: []string{"prevention"},
			CreatedAt: day(2026, 2, 10), UpdatedAt: day(2026, 2, 10), Scopes: []string{cptsA}, Version: 1,
		},
		{
			ID: idPrivate, Type: search.TypeMessage,
			Text:     "Réunion confidentielle sur la cystite récidivante d'une patiente.",
			AuthorID: "u-coord", AuthorName: "Paul Lefèvre", AuthorProfession: "medecin_generaliste",
			CPTSIDs: []string{"a"}, ChannelID: "chan-x", ChannelName: "Bureau",
			CreatedAt: day(2026, 2, 11), UpdatedAt: day(2026, 2, 11), Scopes: []string{chanX}, Version: 1,
		},
		{
			ID: idInfirmiere, Type: search.TypeMessage,
			Text:     "L'infirmière passe tous les matins pour le pansement de Mme R.",
			AuthorID: "u-kine", AuthorName: "Marc Petit", AuthorProfession: "masseur_kinesitherapeute",
			GroupID: "g", CreatedAt: day(2026, 3, 1), UpdatedAt: day(2026, 3, 1), Scopes: []string{groupG}, Version: 1,
		},
		{
			ID: idHTAShort, Type: search.TypeMessage, Text: "Bilan HTA à prévoir en juin, pensez à la MAPA.",
			AuthorID: "u-med-b", AuthorName: "Sophie Bernard", AuthorProfession: "medecin_generaliste",
			CPTSIDs: []string{"b"}, CreatedAt: day(2026, 3, 5), UpdatedAt: day(2026, 3, 5), Scopes: []string{cptsB}, Version: 1,
		},
		{
			ID: idTabac, Type: search.TypeMaterial, Title: "Affiche Mois sans tabac",
			Text:     "Affiche à imprimer pour la salle d'attente : arrêter de fumer, c'est possible, parlez-en à votre pharmacien.",
			Campaign: "Mois sans tabac", Theme: "tabac addictions", Missions: []string{"prevention"},
			CreatedAt: day(2025, 10, 1), UpdatedAt: day(2025, 10, 1), Scopes: []string{everyon}, Version: 1,
		},
		{
			ID: idMedecin, Type: search.TypePost, Title: "Nouveau médecin traitant à Blois",
			Text:     "Le docteur Lambert, médecin généraliste, accepte de nouveaux patients. Prévention et dépistage au programme.",
			AuthorID: "u-med-b", AuthorName: "Sophie Bernard", AuthorProfession: "medecin_generaliste",
			CPTSIDs: []string{"b"}, Missions: []string{"acces_aux_soins"},
			CreatedAt: day(2026, 1, 20), UpdatedAt: day(2026, 1, 20), Scopes: []string{cptsB}, Version: 1,
		},
		{
			ID: idChannel, Type: search.TypeChannel, Title: "Soins non programmés",
			Text: "Canal de coordination des demandes du jour.", CPTSIDs: []string{"a"},
			CreatedAt: day(2025, 9, 1), UpdatedAt: day(2025, 9, 1), Scopes: []string{cptsA}, Version: 1,
		},
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func load(t *testing.T, idx search.Index) {
	t.Helper()
	if err := idx.Upsert(ctxT(t), Fixture()...); err != nil {
		t.Fatalf("Upsert fixture: %v", err)
	}
}

func find(t *testing.T, idx search.Index, q search.Query) search.Result {
	t.Helper()
	res, err := idx.Search(ctxT(t), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return res
}

func hitIDs(r search.Result) []string {
	out := make([]string, len(r.Hits))
	for i, h := range r.Hits {
		out[i] = h.ID
	}
	return out
}

// wantHits checks that text, searched with allowed, finds every id of want
// and none of notWant.
func wantHits(t *testing.T, idx search.Index, text string, allowed []string, want []string, notWant ...string) {
	t.Helper()
	res := find(t, idx, search.Query{Text: text, Allowed: allowed, PerPage: search.MaxPerPage})
	got := hitIDs(res)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%q: want %s among %v", text, w, got)
		}
	}
	for _, n := range notWant {
		if slices.Contains(got, n) {
			t.Errorf("%q: %s must not be found, got %v", text, n, got)
		}
	}
	if res.Total < len(got) {
		t.Errorf("%q: total %d < %d hits", text, res.Total, len(got))
	}
}

// first checks that want is the first hit of text.
func first(t *testing.T, idx search.Index, text string, allowed []string, want string) {
	t.Helper()
	res := find(t, idx, search.Query{Text: text, Allowed: allowed})
	if len(res.Hits) == 0 || res.Hits[0].ID != want {
		t.Errorf("%q: want %s first, got %v", text, want, hitIDs(res))
	}
}

func testUpsertGetCount(t *testing.T, idx search.Index) {
	load(t, idx)
	ctx := ctxT(t)
	n, err := idx.Count(ctx)
	if err != nil || n != len(Fixture()) {
		t.Fatalf("Count = %d, %v; want %d", n, err, len(Fixture()))
	}
	for _, want := range Fixture() {
		got, err := idx.Get(ctx, want.ID)
		if err != nil {
			t.Fatalf("Get(%s): %v", want.ID, err)
		}
		if !equalDocs(got, want) {
			t.Errorf("Get(%s) = %+v, want %+v", want.ID, got, want)
		}
	}
	if _, err := idx.Get(ctx, "message:nope"); !errors.Is(err, search.ErrNotFound) {
		t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
	}
	if err := idx.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
	if err := idx.Upsert(ctx); err != nil {
		t.Errorf("Upsert(): %v", err)
	}
}

func equalDocs(a, b search.Document) bool {
	norm := func(d search.Document) string {
		d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
		return fmt.Sprintf("%+v", d)
	}
	return norm(a) == norm(b)
}

func testVersions(t *testing.T, idx search.Index) {
	ctx := ctxT(t)
	doc := Fixture()[2] // idHTA
	v2 := doc
	v2.Text, v2.Version = "Tension artérielle normalisée après adaptation du traitement.", 2
	v1 := doc
	v1.Text = "Ancienne version : orthophonie."
	must(t, idx.Upsert(ctx, v2), "upsert v2")
	must(t, idx.Upsert(ctx, v1), "upsert v1 after v2")
	got, err := idx.Get(ctx, doc.ID)
	must(t, err, "get")
	if got.Version != 2 || got.Text != v2.Text {
		t.Errorf("an older version replaced a newer one: %+v", got)
	}
	wantHits(t, idx, "orthophonie", allScopes, nil, doc.ID)
	wantHits(t, idx, "normalisée", allScopes, []string{doc.ID})

	// An equal version replaces (a replay is identical anyway).
	same := v2
	same.Text = "Tension artérielle stable."
	must(t, idx.Upsert(ctx, same), "upsert same version")
	if got, _ := idx.Get(ctx, doc.ID); got.Text != same.Text {
		t.Errorf("equal version not applied: %q", got.Text)
	}
	// In one batch, the highest version wins whatever the order.
	v5, v4 := doc, doc
	v5.Text, v5.Version = "Version cinq.", 5
	v4.Text, v4.Version = "Version quatre.", 4
	must(t, idx.Upsert(ctx, v5, v4), "upsert batch")
	if got, _ := idx.Get(ctx, doc.ID); got.Version != 5 {
		t.Errorf("batch: version %d kept, want 5", got.Version)
	}
	// A large version (nanoseconds since 1970) survives exactly.
	big := doc
	big.Version = time.Date(2026, 4, 1, 8, 0, 0, 123456789, time.UTC).UnixNano()
	must(t, idx.Upsert(ctx, big), "upsert big version")
	older := big
	older.Version--
	older.Text = "Une nanoseconde plus tôt."
	must(t, idx.Upsert(ctx, older), "upsert big-1")
	if got, _ := idx.Get(ctx, doc.ID); got.Version != big.Version {
		t.Errorf("version %d kept, want %d", got.Version, big.Version)
	}
}

func testDelete(t *testing.T, idx search.Index) {
	load(t, idx)
	ctx := ctxT(t)
	must(t, idx.Delete(ctx, idCystite, "protocol:unknown"), "delete")
	must(t, idx.Delete(ctx), "delete nothing")
	if _, err := idx.Get(ctx, idCystite); !errors.Is(err, search.ErrNotFound) {
		t.Errorf("Get after Delete = %v", err)
	}
	wantHits(t, idx, "cystite", allScopes, []string{idPrivate}, idCystite)
	if n, _ := idx.Count(ctx); n != len(Fixture())-1 {
		t.Errorf("Count after delete = %d", n)
	}
	// Deleted then upserted again (a restored object): back.
	must(t, idx.Upsert(ctx, Fixture()[0]), "upsert again")
	wantHits(t, idx, "cystite", allScopes, []string{idCystite})
}

func testInvalid(t *testing.T, idx search.Index) {
	ctx := ctxT(t)
	good := Fixture()[0]
	cases := map[string]func(d *search.Document){
		"no scope":       func(d *search.Document) { d.Scopes = nil },
		"empty scope":    func(d *search.Document) { d.Scopes = []string{""} },
		"no type prefix": func(d *search.Document) { d.ID = "p1" },
		"type mismatch":  func(d *search.Document) { d.Type = search.TypeMessage },
		"unknown type":   func(d *search.Document) { d.ID, d.Type = "thing:1", "thing" },
		"id too long":    func(d *search.Document) { d.ID = "protocol:" + strings.Repeat("x", 300) },
	}
	for name, mutate := range cases {
		bad := good
		bad.ID = "protocol:bad"
		mutate(&bad)
		other := Fixture()[1]
		err := idx.Upsert(ctx, other, bad)
		if !errors.Is(err, search.ErrInvalidDocument) {
			t.Errorf("%s: Upsert = %v, want ErrInvalidDocument", name, err)
		}
		if strings.Contains(fmt.Sprint(err), "pharmacien") {
			t.Errorf("%s: error leaks content: %v", name, err)
		}
	}
	if n, _ := idx.Count(ctx); n != 0 {
		t.Errorf("a batch with an invalid document wrote %d documents", n)
	}
}

func testWalk(t *testing.T, idx search.Index) {
	load(t, idx)
	seen := map[string]int64{}
	err := idx.Walk(ctxT(t), func(id string, v int64) error { seen[id] = v; return nil })
	must(t, err, "walk")
	if len(seen) != len(Fixture()) {
		t.Errorf("Walk saw %d ids, want %d", len(seen), len(Fixture()))
	}
	for _, d := range Fixture() {
		if v, ok := seen[d.ID]; !ok || v != d.Version {
			t.Errorf("Walk: %s → %d, %v", d.ID, v, ok)
		}
	}
	stop := errors.New("stop")
	if err := idx.Walk(ctxT(t), func(string, int64) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Walk returned %v, want fn's error", err)
	}
}

func testAccess(t *testing.T, idx search.Index) {
	load(t, idx)
	// The private channel's message is found by its members only.
	wantHits(t, idx, "cystite", []string{cptsA}, []string{idCystite}, idPrivate)
	wantHits(t, idx, "cystite", []string{chanX}, []string{idPrivate}, idCystite)
	wantHits(t, idx, "cystite", []string{cptsB}, nil, idCystite, idPrivate)
	wantHits(t, idx, "confidentielle", []string{cptsA, cptsB, groupG, everyon}, nil, idPrivate)
	// Scopes are opaque and exact.
	wantHits(t, idx, "cystite", []string{strings.ToUpper(cptsA), cptsA + " ", "cpts:", "chan"}, nil, idCystite, idPrivate)
	// No allowed scope: nothing, and no error.
	for _, allowed := range [][]string{nil, {}} {
		res := find(t, idx, search.Query{Text: "cystite", Allowed: allowed})
		if len(res.Hits) != 0 || res.Total != 0 {
			t.Errorf("Allowed %v: %v (total %d), want nothing", allowed, hitIDs(res), res.Total)
		}
		res = find(t, idx, search.Query{Types: []search.Type{search.TypeMessage}, Allowed: allowed})
		if len(res.Hits) != 0 || res.Total != 0 {
			t.Errorf("filter-only, Allowed %v: %v, want nothing", allowed, hitIDs(res))
		}
	}
	// Totals and facets count what the caller may see only.
	res := find(t, idx, search.Query{Types: []search.Type{search.TypeMessage}, Allowed: []string{cptsB}, WithFacets: true})
	if res.Total != 1 || len(res.Hits) != 1 || res.Hits[0].ID != idHTAShort {
		t.Errorf("messages of B: %v total %d", hitIDs(res), res.Total)
	}
	for _, f := range res.Facets.CPTS {
		if f.Value != "b" {
			t.Errorf("facet leaks CPTS %q", f.Value)
		}
	}
	// A filter naming another space's ids finds nothing.
	res = find(t, idx, search.Query{Channels: []string{"chan-x"}, Allowed: []string{cptsA}})
	if res.Total != 0 {
		t.Errorf("channel filter crossed access: %v", hitIDs(res))
	}
	// Losing a scope (membership removed, channel made private) takes
	// effect with the next upsert.
	doc := Fixture()[2]
	doc.Scopes, doc.Version = []string{chanX}, 2
	must(t, idx.Upsert(ctxT(t), doc), "re-scope")
	wantHits(t, idx, "hypertension", []string{cptsA}, nil, idHTA)
	wantHits(t, idx, "hypertension", []string{chanX}, []string{idHTA})
}

// testAccessEveryQuery runs many queries under many allowed sets: no hit
// ever lies outside them.
func testAccessEveryQuery(t *testing.T, idx search.Index) {
	load(t, idx)
	ctx := ctxT(t)
	scopesOf := map[string][]string{}
	for _, d := range Fixture() {
		scopesOf[d.ID] = d.Scopes
	}
	queries := []search.Query{
		{Text: "cystite"}, {Text: "cyst"}, {Text: "patient"}, {Text: "HTA"}, {Text: "hypertension artérielle"},
		{Text: "médecin"}, {Text: "prevention"}, {Text: "kiné"}, {Text: "infirmiere"}, {Text: "tabac"},
		{Text: "-cystite"}, {Text: `"cystite récidivante"`}, {Types: []search.Type{search.TypeMessage}},
		{Missions: []string{"prevention"}}, {From: day(2026, 1, 1)}, {Text: "x"}, {Text: "pa"},
		{Text: "confidentielle", Sort: search.SortNewest}, {Professions: []string{"medecin_generaliste"}},
	}
	sets := [][]string{{cptsA}, {cptsB}, {chanX}, {groupG}, {everyon}, {cptsA, chanX}, {cptsB, groupG}, {"cpts:zzz"}}
	for _, allowed := range sets {
		for _, q := range queries {
			q.Allowed, q.PerPage, q.WithFacets = allowed, search.MaxPerPage, true
			res, err := idx.Search(ctx, q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			for _, h := range res.Hits {
				if !slices.ContainsFunc(scopesOf[h.ID], func(s string) bool { return slices.Contains(allowed, s) }) {
					t.Errorf("LEAK: %+v returned %s (scopes %v)", q, h.ID, scopesOf[h.ID])
				}
			}
			if res.Total < len(res.Hits) {
				t.Errorf("%+v: total %d < hits %d", q, res.Total, len(res.Hits))
			}
			n := 0
			for _, f := range res.Facets.Types {
				n += f.Count
			}
			if n != res.Total {
				t.Errorf("%+v: type facets add to %d, total %d", q, n, res.Total)
			}
		}
	}
}

func testTypos(t *testing.T, idx search.Index) {
	load(t, idx)
	first(t, idx, "protocole cystyte ", allScopes, idCystite)
	wantHits(t, idx, "cystyte ", allScopes, []string{idCystite, idPrivate})
	wantHits(t, idx, "hypertention ", allScopes, []string{idHTA})
	wantHits(t, idx, "kinésitérapeute ", allScopes, []string{idKine}) // two typos from 9 letters
	// One typo from 5 letters ("bilam" → "bilan"), none below ("juim" ≠ "juin").
	wantHits(t, idx, "bilam ", allScopes, []string{idHTAShort})
	wantHits(t, idx, "juim ", allScopes, nil, idHTAShort)
}

func testAccents(t *testing.T, idx search.Index) {
	load(t, idx)
	wantHits(t, idx, "medecin ", allScopes, []string{idMedecin, idCystite})
	wantHits(t, idx, "prevention ", allScopes, []string{idMedecin, idKine})
	wantHits(t, idx, "MÉDECIN TRAITANT ", allScopes, []string{idMedecin, idCystite})
	wantHits(t, idx, "élevée ", allScopes, []string{idHTA})
	wantHits(t, idx, "elevee ", allScopes, []string{idHTA})
}

func testElisions(t *testing.T, idx search.Index) {
	load(t, idx)
	wantHits(t, idx, "l'infirmière ", allScopes, []string{idInfirmiere})
	wantHits(t, idx, "infirmiere ", allScopes, []string{idInfirmiere})
	wantHits(t, idx, "l’infirmiere ", allScopes, []string{idInfirmiere})
	wantHits(t, idx, "officine ", allScopes, []string{idCystite}) // "d'officine"
	wantHits(t, idx, "d'attente ", allScopes, []string{idTabac})
}

func testPlurals(t *testing.T, idx search.Index) {
	load(t, idx)
	wantHits(t, idx, "chute ", allScopes, []string{idKine}) // "chutes" in the text
	wantHits(t, idx, "protocoles ", allScopes, []string{idCystite})
	wantHits(t, idx, "affiches ", allScopes, []string{idTabac})
	wantHits(t, idx, "patient ", allScopes, []string{idHTA, idAVK}) // "Patient", "patients"
}

func testPrefix(t *testing.T, idx search.Index) {
	load(t, idx)
	wantHits(t, idx, "cyst", allScopes, []string{idCystite, idPrivate})
	wantHits(t, idx, "protocole cyst", allScopes, []string{idCystite})
	wantHits(t, idx, "kinésith", allScopes, []string{idKine})
	wantHits(t, idx, "dépist", allScopes, []string{idMedecin})
	wantHits(t, idx, "Blo", allScopes, []string{idMedecin})
	// A prefix longer than the stem of the word it starts ("pansement" is
	// stemmed shorter than "pansem").
	wantHits(t, idx, "pansem", allScopes, []string{idInfirmiere})
	wantHits(t, idx, "l'infirmière passe tous les matins pour le pansem", allScopes, []string{idInfirmiere})
	wantHits(t, idx, "délivrance encadr", allScopes, []string{idCystite})
	// A complete word is not a prefix.
	wantHits(t, idx, "pansem ", allScopes, nil, idInfirmiere)
}

func testSynonyms(t *testing.T, idx search.Index) {
	load(t, idx)
	wantHits(t, idx, "HTA ", allScopes, []string{idHTA, idHTAShort})
	wantHits(t, idx, "hypertension artérielle ", allScopes, []string{idHTAShort, idHTA})
	wantHits(t, idx, "kiné ", allScopes, []string{idKine})
	wantHits(t, idx, "kiné chute ", allScopes, []string{idKine})
	wantHits(t, idx, "IDEL ", allScopes, []string{idInfirmiere, idAVK})
	wantHits(t, idx, "SNP ", allScopes, []string{idChannel})
	wantHits(t, idx, "MT ", allScopes, []string{idMedecin})
	wantHits(t, idx, "BU ", allScopes, []string{idCystite})
	wantHits(t, idx, "MG ", allScopes, []string{idMedecin})
	// The groups are those of the data file.
	if groups := search.SynonymGroups(); len(groups) < 60 {
		t.Errorf("%d synonym groups, want at least 60", len(groups))
	}
}

func testPhrase(t *testing.T, idx search.Index) {
	load(t, idx)
	wantHits(t, idx, `"prévention des chutes"`, allScopes, []string{idKine})
	wantHits(t, idx, `"chutes prévention"`, allScopes, nil, idKine)
	wantHits(t, idx, `"médecin traitant" cystite`, allScopes, []string{idCystite}, idPrivate, idMedecin)
	wantHits(t, idx, `"medecin generaliste`, allScopes, []string{idMedecin}) // unbalanced quote
}

func testExclusion(t *testing.T, idx search.Index) {
	load(t, idx)
	wantHits(t, idx, "cystite -pharmacien", allScopes, []string{idPrivate}, idCystite)
	wantHits(t, idx, `cystite -"délivrance encadrée"`, allScopes, []string{idPrivate}, idCystite)
	wantHits(t, idx, `médecin -"délivrance inconnue"`, allScopes, []string{idCystite, idMedecin})
	// Exclusions alone: everything allowed but the excluded.
	res := find(t, idx, search.Query{Text: "-patient -patients", Allowed: []string{cptsA}, PerPage: 50})
	got := hitIDs(res)
	if slices.Contains(got, idHTA) || slices.Contains(got, idAVK) || !slices.Contains(got, idKine) {
		t.Errorf("-patient: %v", got)
	}
}

func testFilters(t *testing.T, idx search.Index) {
	load(t, idx)
	cases := []struct {
		name string
		q    search.Query
		want []string
	}{
		{"type", search.Query{Text: "cystite", Types: []search.Type{search.TypeProtocol}}, []string{idCystite}},
		{"types OR", search.Query{Types: []search.Type{search.TypePost, search.TypeMaterial}}, []string{idMedecin, idTabac}},
		{"cpts", search.Query{CPTS: []string{"b"}}, []string{idHTAShort, idMedecin}},
		{"group", search.Query{Groups: []string{"g"}}, []string{idInfirmiere}},
		{"channel", search.Query{Channels: []string{"chan-cardio", "chan-prev"}}, []string{idHTA, idKine}},
		{"author", search.Query{Authors: []string{"u-kine"}}, []string{idKine, idInfirmiere}},
		{"author and text", search.Query{Text: "pansement", Authors: []string{"u-kine"}}, []string{idInfirmiere}},
		{"profession", search.Query{Professions: []string{"pharmacien"}}, []string{idCystite}},
		{"mission", search.Query{Missions: []string{"prevention"}}, []string{idKine, idTabac}},
		{"missions AND type", search.Query{Missions: []string{"qualite"}, Types: []search.Type{search.TypeProtocol}}, []string{idAVK}},
		{"campaign by key", search.Query{Campaigns: []string{"mois-sans-tabac"}}, []string{idTabac}},
		{"campaign as written", search.Query{Campaigns: []string{"Mois sans Tabac"}}, []string{idTabac}},
		{"status", search.Query{Statuses: []string{"valide"}}, []string{idCystite}},
		{"status accented", search.Query{Statuses: []string{"Brouillon"}}, []string{idAVK}},
		{"nothing matches", search.Query{Text: "cystite", Types: []search.Type{search.TypePerson}}, nil},
		{"filters AND", search.Query{CPTS: []string{"a"}, Professions: []string{"pharmacien"}, Types: []search.Type{search.TypeMessage}}, nil},
		{"unknown type ignored as a filter value", search.Query{Text: "cystite", Types: []search.Type{"nope", search.TypeProtocol}}, []string{idCystite}},
	}
	for _, c := range cases {
		c.q.Allowed, c.q.PerPage = allScopes, 50
		res := find(t, idx, c.q)
		got := hitIDs(res)
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", c.name, got, want)
		}
		if res.Total != len(want) {
			t.Errorf("%s: total %d, want %d", c.name, res.Total, len(want))
		}
	}
}

func testOperators(t *testing.T, idx search.Index) {
	load(t, idx)
	cases := []struct {
		typed string
		want  []string
	}{
		{"type:protocole cystyte", []string{idCystite}},
		{"type:message cystite", []string{idPrivate}},
		{"profession:kiné", []string{idKine, idInfirmiere}},
		{"profession:IDEL", []string{idHTA}},
		{"mission:prévention type:document", []string{idTabac}},
		{`campagne:"mois sans tabac"`, []string{idTabac}},
		{"campagne:mois-sans-tabac affiche", []string{idTabac}},
		{"statut:validé", []string{idCystite}},
		{"après:2026-03-01", []string{idHTAShort}},
		{"avant:01/10/2025 type:canal", []string{idChannel}},
		{"le:2026-02-10", []string{idKine}},
		{"type:publication après:2026-01-01 avant:2026-02-01 médecin", []string{idMedecin}},
		{"protocole:cystite", []string{idCystite}}, // not an operator: its words stay text
	}
	for _, c := range cases {
		q := search.Parse(c.typed).Query()
		q.Allowed, q.PerPage = allScopes, 50
		got := hitIDs(find(t, idx, q))
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%q: got %v, want %v", c.typed, got, want)
		}
	}
}

func testDateRange(t *testing.T, idx search.Index) {
	load(t, idx)
	q := search.Query{From: day(2026, 2, 3), To: day(2026, 2, 11), Allowed: allScopes}
	got := hitIDs(find(t, idx, q))
	slices.Sort(got)
	if want := []string{idHTA, idKine}; !slices.Equal(got, want) { // From inclusive, To exclusive
		t.Errorf("range: %v, want %v", got, want)
	}
	q = search.Query{Text: "cystite", To: day(2026, 1, 10).Add(time.Nanosecond), Allowed: allScopes}
	if got := hitIDs(find(t, idx, q)); !slices.Equal(got, []string{idCystite}) {
		t.Errorf("to: %v", got)
	}
	q = search.Query{Text: "cystite", From: day(2026, 3, 1), To: day(2026, 1, 1), Allowed: allScopes}
	if res := find(t, idx, q); res.Total != 0 {
		t.Errorf("empty range: %v", hitIDs(res))
	}
	// Filter-only queries come newest first.
	res := find(t, idx, search.Query{Types: []search.Type{search.TypeMessage}, Allowed: allScopes})
	for i := 1; i < len(res.Hits); i++ {
		a, _ := idx.Get(ctxT(t), res.Hits[i-1].ID)
		b, _ := idx.Get(ctxT(t), res.Hits[i].ID)
		if a.CreatedAt.Before(b.CreatedAt) {
			t.Errorf("filter-only not newest first: %v", hitIDs(res))
		}
	}
}

func testFacets(t *testing.T, idx search.Index) {
	load(t, idx)
	res := find(t, idx, search.Query{Text: "-zzzz", Allowed: allScopes, WithFacets: true})
	count := func(fc []search.FacetCount, v string) int {
		for _, f := range fc {
			if f.Value == v {
				return f.Count
			}
		}
		return 0
	}
	checks := []struct {
		name string
		got  int
		want int
	}{
		{"types message", count(res.Facets.Types, "message"), 5},
		{"types protocol", count(res.Facets.Types, "protocol"), 2},
		{"cpts a", count(res.Facets.CPTS, "a"), 6},
		{"cpts b", count(res.Facets.CPTS, "b"), 2},
		{"profession medecin_generaliste", count(res.Facets.Professions, "medecin_generaliste"), 4},
		{"mission prevention", count(res.Facets.Missions, "prevention"), 2},
		{"mission parcours", count(res.Facets.Missions, "parcours"), 2},
		{"campaign", count(res.Facets.Campaigns, "Mois sans tabac"), 1},
		{"status", count(res.Facets.Statuses, "Validé"), 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("facet %s = %d, want %d (%+v)", c.name, c.got, c.want, res.Facets)
		}
	}
	if res.Total != len(Fixture()) {
		t.Errorf("total %d", res.Total)
	}
	if res.Facets.Types[0].Value != "message" {
		t.Errorf("facets not sorted by count: %+v", res.Facets.Types)
	}
	// Facets follow the filters; without WithFacets none is counted (each
	// reads a value of every match: the as-you-type dropdown does without).
	if len(res.Facets.CPTS) == 0 {
		t.Errorf("WithFacets: no CPTS facet")
	}
	res = find(t, idx, search.Query{Text: "cystite", Allowed: allScopes, WithFacets: true})
	if n := count(res.Facets.Types, "message") + count(res.Facets.Types, "protocol"); n != res.Total || res.Total != 2 {
		t.Errorf("cystite facets %+v, total %d", res.Facets.Types, res.Total)
	}
	res = find(t, idx, search.Query{Text: "cystite", Allowed: allScopes})
	if len(res.Facets.Types)+len(res.Facets.CPTS)+len(res.Facets.Professions)+len(res.Facets.Missions) != 0 {
		t.Errorf("facets counted without WithFacets: %+v", res.Facets)
	}
	if res.Total != 2 {
		t.Errorf("cystite without facets: total %d", res.Total)
	}
}

func testPaging(t *testing.T, idx search.Index) {
	load(t, idx)
	seen := map[string]bool{}
	total := -1
	for page := 1; page <= 4; page++ {
		res := find(t, idx, search.Query{Types: []search.Type{search.TypeMessage, search.TypeProtocol}, Allowed: allScopes, Page: page, PerPage: 2})
		if total == -1 {
			total = res.Total
		}
		if res.Total != total || res.Page != page || res.PerPage != 2 {
			t.Errorf("page %d: total %d page %d per %d", page, res.Total, res.Page, res.PerPage)
		}
		for _, h := range res.Hits {
			if seen[h.ID] {
				t.Errorf("page %d repeats %s", page, h.ID)
			}
			seen[h.ID] = true
		}
	}
	if len(seen) != 7 || total != 7 {
		t.Errorf("pages gave %d distinct hits, total %d; want 7", len(seen), total)
	}
	for _, page := range []int{5, 1000, 1 << 30, int(^uint(0) >> 1)} {
		res := find(t, idx, search.Query{Text: "cystite", Allowed: allScopes, Page: page, PerPage: 2})
		if len(res.Hits) != 0 || res.Total != 2 {
			t.Errorf("page %d: %v total %d, want no hits and total 2", page, hitIDs(res), res.Total)
		}
	}
	res := find(t, idx, search.Query{Text: "cystite", Allowed: allScopes, PerPage: 100000, Page: -3})
	if res.PerPage != search.MaxPerPage || res.Page != 1 || len(res.Hits) != 2 {
		t.Errorf("bounds: page %d per %d hits %d", res.Page, res.PerPage, len(res.Hits))
	}
	if res := find(t, idx, search.Query{Text: "cystite", Allowed: allScopes}); res.PerPage != search.DefaultPerPage {
		t.Errorf("default per page %d", res.PerPage)
	}
}

func testHighlights(t *testing.T, idx search.Index) {
	load(t, idx)
	res := find(t, idx, search.Query{Text: "medecin generaliste ", Allowed: allScopes})
	var h search.Hit
	for _, x := range res.Hits {
		if x.ID == idMedecin {
			h = x
		}
	}
	if h.ID == "" {
		t.Fatalf("post not found: %v", hitIDs(res))
	}
	words := marked(h.Snippet, h.Highlights)
	if !slices.Contains(words, "médecin") || !slices.Contains(words, "généraliste") {
		t.Errorf("snippet %q highlights %v (%v)", h.Snippet, words, h.Highlights)
	}
	if tw := marked(h.Title, h.TitleHighlights); !slices.Equal(tw, []string{"médecin"}) {
		t.Errorf("title %q highlights %v", h.Title, tw)
	}
	// Typos, plurals and synonyms highlight what is in the text.
	for text, want := range map[string]string{"cystyte ": "cystite", "chute ": "chutes", "HTA ": "hypertension"} {
		res := find(t, idx, search.Query{Text: text, Allowed: allScopes})
		found := false
		for _, x := range res.Hits {
			for _, w := range marked(x.Snippet, x.Highlights) {
				if strings.EqualFold(w, want) {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%q: no hit highlights %q", text, want)
		}
	}
	// A long text is cut around the match, on word boundaries, in French.
	long := Fixture()[1]
	long.ID, long.Version = "protocol:long", 1
	long.Text = strings.Repeat("Écoute, évaluation et suivi régulier du patient à domicile. ", 30) +
		"Le pharmacien vérifie l'ordonnance d'antivitamine K. " + strings.Repeat("Fin du protocole, révisé chaque année. ", 20)
	must(t, idx.Upsert(ctxT(t), long), "upsert long")
	res = find(t, idx, search.Query{Text: "ordonnance ", Allowed: allScopes})
	for _, x := range res.Hits {
		if x.ID != long.ID {
			continue
		}
		if w := marked(x.Snippet, x.Highlights); !slices.Contains(w, "ordonnance") {
			t.Errorf("long: highlights %v in %q", w, x.Snippet)
		}
		if n := len([]rune(x.Snippet)); n > search.SnippetRunes+40 || !strings.HasPrefix(x.Snippet, "…") || !strings.HasSuffix(x.Snippet, "…") {
			t.Errorf("long: snippet of %d runes %q", n, x.Snippet)
		}
		return
	}
	t.Errorf("long document not found: %v", hitIDs(res))
}

// marked returns the highlighted parts of s.
func marked(s string, rs []search.Range) []string {
	runes := []rune(s)
	var out []string
	for _, r := range rs {
		if r.Start < 0 || r.End > len(runes) || r.Start >= r.End {
			out = append(out, fmt.Sprintf("<bad range %v>", r))
			continue
		}
		out = append(out, string(runes[r.Start:r.End]))
	}
	return out
}

func testEdgeQueries(t *testing.T, idx search.Index) {
	load(t, idx)
	ctx := ctxT(t)
	for _, q := range []search.Query{{}, {Text: "   "}, {Text: "le la les de"}, {Text: `""`}, {Text: "- -- ---"}, {Text: "l' d' qu'"}} {
		q.Allowed = allScopes
		if _, err := idx.Search(ctx, q); !errors.Is(err, search.ErrEmptyQuery) {
			t.Errorf("Search(%q) = %v, want ErrEmptyQuery", q.Text, err)
		}
	}
	// Operators only: a filter-only search.
	q := search.Parse("type:protocole").Query()
	q.Allowed = allScopes
	if res := find(t, idx, q); res.Total != 2 {
		t.Errorf("type:protocole: %v", hitIDs(res))
	}
	// One character: answers, no error.
	for _, text := range []string{"c", "x", "é", "2", "-"} {
		if _, err := idx.Search(ctx, search.Query{Text: text, Allowed: allScopes}); err != nil && !errors.Is(err, search.ErrEmptyQuery) {
			t.Errorf("Search(%q): %v", text, err)
		}
	}
	// 10,000 characters, odd bytes and quotes: bounded, no error.
	huge := strings.Repeat("cystite hypertension ", 500)
	for _, text := range []string{huge, strings.Repeat("a", 10000), "cystite \x00\xff\"«»“", `\" \\ ' "` + "\u202e", strings.Repeat(`"`, 999), "\uE000cystite\uE001"} {
		if _, err := idx.Search(ctx, search.Query{Text: text, Allowed: allScopes}); err != nil && !errors.Is(err, search.ErrEmptyQuery) {
			t.Errorf("Search(%.40q…): %v", text, err)
		}
	}
	// Many allowed scopes.
	many := make([]string, 2000)
	for i := range many {
		many[i] = fmt.Sprintf("chan:%024d", i)
	}
	many = append(many, cptsB)
	wantHits(t, idx, "HTA", many, []string{idHTAShort}, idHTA)
}

// testConcurrent: writers and readers at once; every write is there at
// the end, every search answers.
func testConcurrent(t *testing.T, idx search.Index) {
	load(t, idx)
	ctx := ctxT(t)
	const writers, perWriter = 3, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter+50)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				d := Fixture()[2]
				d.ID = fmt.Sprintf("message:w%d-%d", w, i)
				d.Text = fmt.Sprintf("Message concurrent numéro %d de l'écrivain %d sur la cystite.", i, w)
				if err := idx.Upsert(ctx, d); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Go(func() {
		for range 25 {
			if _, err := idx.Search(ctx, search.Query{Text: "cystite concurrent", Allowed: allScopes, WithFacets: true}); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	res := find(t, idx, search.Query{Text: "concurrent", Allowed: []string{cptsA}, PerPage: 100})
	if res.Total != writers*perWriter {
		t.Errorf("found %d concurrent writes, want %d", res.Total, writers*perWriter)
	}
}

func testClosed(t *testing.T, idx search.Index) {
	load(t, idx)
	must(t, idx.Close(), "close")
	ctx := ctxT(t)
	if _, err := idx.Search(ctx, search.Query{Text: "cystite", Allowed: allScopes}); !errors.Is(err, search.ErrUnavailable) {
		t.Errorf("Search after Close = %v, want ErrUnavailable", err)
	}
	if err := idx.Check(ctx); !errors.Is(err, search.ErrUnavailable) {
		t.Errorf("Check after Close = %v, want ErrUnavailable", err)
	}
	if err := idx.Upsert(ctx, Fixture()[0]); !errors.Is(err, search.ErrUnavailable) {
		t.Errorf("Upsert after Close = %v, want ErrUnavailable", err)
	}
	if err := idx.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
