package search

import (
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/registry"
)

// TestTerms pins the French analysis: forms a user may type and forms a
// text may hold meet on one term.
func TestTerms(t *testing.T) {
	same := [][]string{
		{"infirmière", "infirmiere", "infirmières", "infirmier", "infirmiers", "l'infirmière", "L’INFIRMIÈRE"},
		{"médecin", "medecin", "médecins", "MÉDECINS"},
		{"prévention", "prevention"},
		{"chute", "chutes"},
		{"protocole", "protocoles", "Protocole"},
		{"cystite", "cystites"},
		{"artérielle", "arterielle", "artérielles"},
		{"kinésithérapeute", "kinesitherapeute", "kinésithérapeutes"},
		{"médical", "médicaux"},
		{"cœur", "coeur"},
		{"diabète", "diabete"},
		{"pharmacien", "pharmaciens", "d'pharmacien"},
	}
	for _, forms := range same {
		want := Terms(forms[0])
		if len(want) != 1 {
			t.Errorf("%q → %v, want one term", forms[0], want)
			continue
		}
		for _, f := range forms[1:] {
			if got := Terms(f); !slices.Equal(got, want) {
				t.Errorf("%q → %v, %q → %v: want the same", forms[0], want, f, got)
			}
		}
	}
	for text, want := range map[string][]string{
		"sage-femme":                   {"sage", "feme"},
		"jusqu'à ce que":               nil,
		"TA 12/8, FC 80":               {"ta", "12", "8", "fc", "80"},
		"HbA1c SpO2 DT2":               {"hba1c", "spo2", "dt2"},
		"AIT":                          {"ait"},
		"l'IDE":                        {"ide"},
		"canicule été":                 {"canicul", "ete"},
		"qu’il vienne":                 {"vien"},
		"aujourd'hui":                  {"aujourd'hui"},
		"Mois sans tabac, à la maison": {"moi", "tabac", "maison"},
	} {
		if got := Terms(text); !slices.Equal(got, want) {
			t.Errorf("Terms(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestKeyAndFold(t *testing.T) {
	for in, want := range map[string]string{
		"Mois sans tabac": "mois-sans-tabac", "mois-sans-tabac": "mois-sans-tabac", "  Validé ": "valide",
		"Octobre Rose (2026)": "octobre-rose-2026", "": "", "--": "", "À_domicile": "a-domicile",
	} {
		if got := Key(in); got != want {
			t.Errorf("Key(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Fold(" Prévention Œdème "); got != "prevention oedeme" {
		t.Errorf("Fold = %q", got)
	}
}

// TestSynonymFile checks the data file: it parses (every expression has a
// searchable term, no key in two groups), it has the entries the issue
// names, and at least 60 groups.
func TestSynonymFile(t *testing.T) {
	s, err := parseSynonyms(synonymFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.groups) < 60 {
		t.Errorf("%d groups, want at least 60", len(s.groups))
	}
	pairs := [][2]string{
		{"HTA", "hypertension artérielle"}, {"BPCO", "bronchopneumopathie chronique obstructive"},
		{"IC", "insuffisance cardiaque"}, {"AVK", "antivitamine K"}, {"kiné", "masseur-kinésithérapeute"},
		{"kiné", "kinésithérapeute"}, {"IDEL", "infirmière"}, {"IDE", "infirmier"}, {"SF", "sage-femme"},
		{"SNP", "soins non programmés"}, {"MT", "médecin traitant"}, {"HAD", "hospitalisation à domicile"},
		{"ETP", "éducation thérapeutique"}, {"TROD", "test rapide d'orientation diagnostique"},
		{"DT2", "diabète de type 2"}, {"MG", "médecin généraliste"}, {"PA", "personne âgée"},
		{"CMU", "C2S"}, {"BU", "bandelette urinaire"}, {"HbA1c", "hémoglobine glyquée"},
		{"VAT", "vaccin antitétanique"}, {"EHPAD", "maison de retraite"}, {"SSIAD", "service de soins infirmiers à domicile"},
	}
	for _, p := range pairs {
		g, ok := s.groupOf(p[0])
		if !ok || !slices.ContainsFunc(g, func(e string) bool { return strings.EqualFold(Fold(e), Fold(p[1])) }) {
			t.Errorf("%q ↔ %q missing (group %v)", p[0], p[1], g)
		}
	}
	for _, bad := range []string{"a | b\nb | c", "le | la", "seul", "HTA | x\nhta | y"} {
		if _, err := parseSynonyms(bad); err == nil {
			t.Errorf("parseSynonyms(%q) accepted", bad)
		}
	}
	// Meilisearch gets every expression as a key, both ways.
	ms := meiliSynonyms()
	if !slices.Contains(ms["hta"], "hypertension artérielle") || !slices.Contains(ms["hypertension artérielle"], "hta") ||
		!slices.Contains(ms["hypertension arterielle"], "hta") {
		t.Errorf("meilisearch synonyms: %v / %v", ms["hta"], ms["hypertension artérielle"])
	}
}

func TestSynonymMatch(t *testing.T) {
	s := synonyms()
	terms := Terms("suivi hypertension artérielle sévère")
	if n, g, ok := s.match(terms, 1); !ok || n != 2 || !slices.Contains(s.groups[g], "HTA") {
		t.Errorf("match = %d %d %v", n, g, ok)
	}
	if _, _, ok := s.match(terms, 0); ok {
		t.Error(`"suivi" matched a synonym`)
	}
	// The longest expression wins: IPA, not IDE.
	terms = Terms("infirmière en pratique avancée")
	if n, g, ok := s.match(terms, 0); !ok || n != len(terms) || !slices.Contains(s.groups[g], "IPA") {
		t.Errorf("longest match: %d %v %v", n, ok, s.groups[g])
	}
}

func TestMakeSnippet(t *testing.T) {
	text := "L'infirmière passe à domicile.\n\nElle vérifie la tension   artérielle."
	idx := func(sub string) Range { i := strings.Index(text, sub); return Range{i, i + len(sub)} }
	snip, rs := makeSnippet(text, []Range{idx("artérielle"), idx("L'infirmière"), {-1, 3}, {5, 400}}, 200)
	if snip != "L'infirmière passe à domicile. Elle vérifie la tension artérielle." {
		t.Errorf("snippet %q", snip)
	}
	if got := markedParts(snip, rs); !slices.Equal(got, []string{"infirmière", "artérielle"}) {
		t.Errorf("ranges %v → %v", rs, got)
	}
	// Cut around the densest group, on word boundaries, with "…".
	long := strings.Repeat("début sans rien de notable ", 20) + "la cystite récidivante de la patiente " + strings.Repeat("suite du texte ", 30)
	i := strings.Index(long, "cystite")
	j := strings.Index(long, "récidivante")
	snip, rs = makeSnippet(long, []Range{{i, i + len("cystite")}, {j, j + len("récidivante")}}, 80)
	if !strings.HasPrefix(snip, "…") || !strings.HasSuffix(snip, "…") || len([]rune(snip)) > 82 {
		t.Errorf("long snippet %q", snip)
	}
	if got := markedParts(snip, rs); !slices.Equal(got, []string{"cystite", "récidivante"}) {
		t.Errorf("long ranges → %v in %q", got, snip)
	}
	for _, w := range strings.Fields(strings.Trim(snip, "…")) {
		if !strings.Contains(long, " "+w+" ") && !strings.HasPrefix(long, w+" ") {
			t.Errorf("snippet cuts a word: %q", w)
		}
	}
	// No match: the start of the text.
	snip, rs = makeSnippet(long, nil, 40)
	if !strings.HasPrefix(snip, "début") || rs != nil || !strings.HasSuffix(snip, "…") {
		t.Errorf("no match: %q %v", snip, rs)
	}
	if s, r := makeSnippet("", []Range{{0, 1}}, 10); s != "" || r != nil {
		t.Errorf("empty: %q %v", s, r)
	}
}

func markedParts(s string, rs []Range) []string {
	runes := []rune(s)
	var out []string
	for _, r := range rs {
		out = append(out, string(runes[r.Start:r.End]))
	}
	return out
}

func TestWithinDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
		want bool
	}{
		{"cystit", "cystyt", 1, true}, {"cystit", "cystit", 0, true}, {"hypertension", "hypertention", 1, true},
		{"kinesitherapeut", "kinesiterapeut", 1, true}, {"chut", "chat", 0, false}, {"abc", "abcde", 1, false},
		{"abcde", "abc", 2, true}, {"medecin", "medcine", 1, false}, {"medecin", "medcine", 2, true}, {"", "ab", 2, true},
	} {
		if got := withinDistance([]rune(c.a), []rune(c.b), c.d); got != c.want {
			t.Errorf("withinDistance(%q, %q, %d) = %v", c.a, c.b, c.d, got)
		}
	}
}

// TestFrenchTermMatchesChain: the highlighter's word-by-word French terms
// (prefix chain, then stop words and stemmer per word) are the French
// chain's terms, in order.
func TestFrenchTermMatchesChain(t *testing.T) {
	texts := []string{
		"L'infirmière libérale passe chez Mme R. pour l'hypertension artérielle et les chutes à domicile.",
		"Protocoles de soins non programmés : qu'est-ce que la CPTS propose aux masseurs-kinésithérapeutes ?",
		"Été 2026 : canicule, TA, AIT — jusqu'à 40 °C, lorsqu’il fait chaud, bébés et personnes âgées",
		"Œdème, cœur, sage-femme, IDEL, HbA1c à 7,5 %, 3ème dose, infirmieres, infirmière, premiere",
		synonymFile,
	}
	for _, text := range texts {
		var got []string
		for _, tok := range prefixAnalyzer().Analyze([]byte(text)) {
			if term := frenchTerm(tok.Term); term != "" {
				got = append(got, term)
			}
		}
		if want := Terms(text); !slices.Equal(got, want) {
			t.Errorf("word by word %q\nchain        %q", got, want)
		}
	}
}

// TestSynonymFilter: the indexing chain adds a group's term where any
// expression of the group starts, once per group, at its first position.
func TestSynonymFilter(t *testing.T) {
	a, err := registry.NewCache().AnalyzerNamed(indexAnalyzerName)
	if err != nil {
		t.Fatal(err)
	}
	syn := synonyms()
	g, ok := syn.byKey[strings.Join(Terms("insuffisance cardiaque"), " ")]
	if !ok {
		t.Fatal("insuffisance cardiaque: no synonym group")
	}
	ic := syn.synonymTerm(g)
	at := map[string][]int{}
	for _, tok := range a.Analyze([]byte("Suivi de l'insuffisance cardiaque, puis IC et hypertension artérielle.")) {
		at[string(tok.Term)] = append(at[string(tok.Term)], tok.Position)
	}
	if !slices.Equal(at[ic], []int{3, 6}) { // "insuffisance" and "IC" (stop words keep their positions)
		t.Errorf("%s at %v; tokens %v", ic, at[ic], at)
	}
	gh := syn.byKey[strings.Join(Terms("HTA"), " ")]
	if p := at[syn.synonymTerm(gh)]; len(p) != 1 { // "hypertension" and "hypertension artérielle": one group term
		t.Errorf("HTA group term at %v; tokens %v", p, at)
	}
	if strings.Contains(ic, " ") || len(Terms(ic)) == 1 && Terms(ic)[0] == ic {
		t.Errorf("group term %q could be a word of a text", ic)
	}
}

// TestHighlightSynonymExpressionWhole: a query word found through a
// synonym group marks the whole expression in the text ("HTA" →
// "hypertension artérielle", both words), not only the part the query
// needed to match.
func TestHighlightSynonymExpressionWhole(t *testing.T) {
	text := "Patiente suivie pour une hypertension artérielle depuis 2019."
	h := newHighlighter(parseText("HTA "), func(string) bool { return true })
	var marked []string
	for _, r := range h.ranges(text) {
		marked = append(marked, text[r.Start:r.End])
	}
	if !slices.Equal(marked, []string{"hypertension", "artérielle"}) {
		t.Fatalf("marked %q, want hypertension and artérielle", marked)
	}
}
