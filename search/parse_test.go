package search

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func paris(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, Location) }

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want Parsed
	}{
		{"protocole cystite", Parsed{Text: "protocole cystite", Words: []string{"protocole", "cystite"}}},
		{"protocole cystite ", Parsed{Text: "protocole cystite ", Words: []string{"protocole", "cystite"}}},
		{`"expression exacte" hta`, Parsed{Text: `"expression exacte" hta`, Words: []string{"hta"}, Phrases: []string{"expression exacte"}}},
		{`« mois sans tabac » affiche`, Parsed{Text: `"mois sans tabac" affiche`, Words: []string{"affiche"}, Phrases: []string{"mois sans tabac"}}},
		{`“soins non programmés”`, Parsed{Text: `"soins non programmés" `, Phrases: []string{"soins non programmés"}}},
		{`cystite -pharmacien -"salle d'attente"`, Parsed{Text: `cystite -pharmacien -"salle d'attente" `, Words: []string{"cystite"}, Excluded: []string{"pharmacien", "salle d'attente"}}},
		{`"non fermée`, Parsed{Text: `"non fermée" `, Phrases: []string{"non fermée"}}},
		{`sage-femme -`, Parsed{Text: "sage-femme ", Words: []string{"sage-femme"}}},
		{"de:@marie.dupont dans:~soins-non-programmes cystite", Parsed{Text: "cystite", Words: []string{"cystite"},
			Authors: []string{"marie.dupont"}, Channels: []string{"soins-non-programmes"}}},
		{`de:"Jean Dupont" from:@x in:#general`, Parsed{Authors: []string{"Jean Dupont", "x"}, Channels: []string{"general"}}},
		{"cpts:loire-nord groupe:ETP group:\"inter CPTS\"", Parsed{CPTS: []string{"loire-nord"}, Groups: []string{"ETP", "inter CPTS"}}},
		{"type:protocole TYPE:Messages type:canaux type:document type:personne type:publication", Parsed{
			Types: []Type{TypeProtocol, TypeMessage, TypeChannel, TypeMaterial, TypePerson, TypePost}}},
		{"type:foo cystite", Parsed{Text: "cystite", Words: []string{"cystite"}, Invalid: []string{"type:foo"}}},
		{"profession:kiné profession:IDEL", Parsed{Professions: []string{"masseur_kinesitherapeute", "infirmier"}}},
		{"profession:médecin", Parsed{Professions: []string{"medecin_generaliste", "medecin_specialiste"}}},
		{"profession:sage_femme profession:SF", Parsed{Professions: []string{"sage_femme"}}},
		{"profession:plombier", Parsed{Invalid: []string{"profession:plombier"}}},
		{"mission:prévention mission:crise mission:acces", Parsed{Missions: []string{"prevention", "crise", "acces_aux_soins"}}},
		{`campagne:"Mois sans tabac" statut:validé`, Parsed{Campaigns: []string{"Mois sans tabac"}, Statuses: []string{"validé"}}},
		{"avant:2026-03-14", Parsed{To: paris(2026, 3, 14)}},
		{"après:14/03/2026", Parsed{From: paris(2026, 3, 15)}},
		{"APRES:2026-03-14 apres:2026-01-01 before:2026-12-31 avant:2026-06-01", Parsed{From: paris(2026, 3, 15), To: paris(2026, 6, 1)}},
		{"le:2026-03-14", Parsed{From: paris(2026, 3, 14), To: paris(2026, 3, 15)}},
		{"avant:hier après:2026-02-30", Parsed{Invalid: []string{"avant:hier", "après:2026-02-30"}}},
		{"foo:bar cystite", Parsed{Text: "foo bar cystite", Words: []string{"foo", "bar", "cystite"}, Unknown: []string{"foo"}}},
		{"rdv 10:30 https://ars.example/x", Parsed{Text: "rdv 10:30 https://ars.example/x", Words: []string{"rdv", "10:30", "https://ars.example/x"}}},
		{"de: dans:", Parsed{}},
		{"cystite type:protocole", Parsed{Text: "cystite ", Words: []string{"cystite"}, Types: []Type{TypeProtocol}}},
		{"   ", Parsed{}},
		{"", Parsed{}},
	}
	for _, c := range cases {
		got := Parse(c.in)
		if !equalParsed(got, c.want) {
			t.Errorf("Parse(%q)\n got %+v\nwant %+v", c.in, got, c.want)
		}
	}
}

func equalParsed(a, b Parsed) bool {
	return a.Text == b.Text && slices.Equal(a.Words, b.Words) && slices.Equal(a.Phrases, b.Phrases) &&
		slices.Equal(a.Excluded, b.Excluded) && slices.Equal(a.Authors, b.Authors) && slices.Equal(a.Channels, b.Channels) &&
		slices.Equal(a.CPTS, b.CPTS) && slices.Equal(a.Groups, b.Groups) && slices.Equal(a.Types, b.Types) &&
		slices.Equal(a.Professions, b.Professions) && slices.Equal(a.Missions, b.Missions) &&
		slices.Equal(a.Campaigns, b.Campaigns) && slices.Equal(a.Statuses, b.Statuses) &&
		a.From.Equal(b.From) && a.To.Equal(b.To) && slices.Equal(a.Unknown, b.Unknown) &&
		slices.Equal(a.Invalid, b.Invalid) && a.Truncated == b.Truncated
}

func TestParseBounds(t *testing.T) {
	p := Parse(strings.Repeat("cystite ", 2000))
	if !p.Truncated || len(p.Words) != MaxQueryWords {
		t.Errorf("10,000+ characters: %d words, truncated %v", len(p.Words), p.Truncated)
	}
	p = Parse(strings.Repeat("a", 10000))
	if !p.Truncated || len(p.Words) != 1 || utf8.RuneCountInString(p.Words[0]) != MaxWordRunes {
		t.Errorf("one long word: %+v", p.Words)
	}
	p = Parse(strings.Repeat("é", 10000))
	if !utf8.ValidString(p.Text) {
		t.Errorf("cut inside a rune: %q", p.Text)
	}
	p = Parse(strings.Repeat("type:message ", 1000))
	if len(p.Types) != 1 || p.Text != "" {
		t.Errorf("repeated operator: %+v", p)
	}
	p = Parse(strings.Repeat("de:x", 1) + strings.Repeat(" de:y", 1) + " " + strings.Repeat("cpts:z ", 3))
	if len(p.Authors) != 2 || len(p.CPTS) != 1 {
		t.Errorf("values: %+v", p)
	}
	p = Parse("\xff\xfe cystite \x00")
	if !utf8.ValidString(p.Text) || !slices.Contains(p.Words, "cystite") {
		t.Errorf("invalid UTF-8: %+v", p)
	}
}

func TestParsedQuery(t *testing.T) {
	p := Parse("type:protocole mission:prevention campagne:x statut:y après:2026-01-01 de:@marc cystite")
	q := p.Query()
	if q.Text != "cystite" || !slices.Equal(q.Types, []Type{TypeProtocol}) || !slices.Equal(q.Missions, []string{"prevention"}) ||
		!slices.Equal(q.Campaigns, []string{"x"}) || !slices.Equal(q.Statuses, []string{"y"}) || !q.From.Equal(paris(2026, 1, 2)) {
		t.Errorf("Query() = %+v", q)
	}
	if len(q.Authors) != 0 || len(q.Allowed) != 0 {
		t.Errorf("Query() must leave ids to core: %+v", q)
	}
	if Parse("de:@marc").Empty() || !Parse("  ").Empty() || !Parse("de:").Empty() || Parse("x").Empty() {
		t.Error("Empty")
	}
}

func TestParseText(t *testing.T) {
	cases := []struct {
		in     string
		words  []string
		prefix bool
	}{
		{"cyst", []string{"cyst"}, true},
		{"cyst ", []string{"cyst"}, false},
		{"protocole cyst", []string{"protocole", "cyst"}, true},
		{`cyst "a b"`, []string{"cyst"}, false},
		{"type:x cyst", []string{"type", "x", "cyst"}, true}, // no operators in Query.Text
		{"le la les cyst", []string{"cyst"}, true},           // stop words dropped
		{"cyst l'", []string{"cyst"}, false},
	}
	for _, c := range cases {
		tq := parseText(c.in)
		if !slices.Equal(tq.words, c.words) || tq.prefix != c.prefix {
			t.Errorf("parseText(%q) = %v prefix %v, want %v %v", c.in, tq.words, tq.prefix, c.words, c.prefix)
		}
	}
}

// FuzzParse: Parse never panics, its text is valid UTF-8 and bounded, and
// what it returns parses again to the same words (Text is stable).
func FuzzParse(f *testing.F) {
	// Seeds are in testdata/fuzz/FuzzParse, plus these.
	for _, s := range []string{"protocole cystyte", `de:@x "a b" -c`, "type:", `«`, "-\"", "après:2026-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := Parse(s)
		if !utf8.ValidString(p.Text) {
			t.Fatalf("Text not UTF-8: %q", p.Text)
		}
		if n := utf8.RuneCountInString(p.Text); n > MaxQueryRunes+2*MaxQueryWords+8 {
			t.Fatalf("Text of %d runes", n)
		}
		words := 0
		for _, l := range [][]string{p.Words, p.Phrases, p.Excluded} {
			for _, w := range l {
				words += len(strings.Fields(w))
				for _, x := range strings.Fields(w) {
					if utf8.RuneCountInString(x) > MaxWordRunes {
						t.Fatalf("word of %d runes", utf8.RuneCountInString(x))
					}
				}
			}
		}
		if words > MaxQueryWords {
			t.Fatalf("%d words", words)
		}
		again := Parse(p.Text)
		if again.Text != p.Text || !slices.Equal(again.Words, p.Words) || !slices.Equal(again.Phrases, p.Phrases) ||
			!slices.Equal(again.Excluded, p.Excluded) {
			t.Fatalf("not stable:\n%q → %+v\n%q → %+v", s, p, p.Text, again)
		}
		tq := parseText(p.Text)
		_ = meiliQuery(tq)
		_ = textClauses(tq, func(string) bool { return false })
		q := p.Query()
		q.Allowed = []string{"platform"}
		if _, err := q.plan(); err != nil && err != ErrEmptyQuery {
			t.Fatalf("plan: %v", err)
		}
	})
}
