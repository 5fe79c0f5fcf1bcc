package search

import (
	"bytes"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	unicodetok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"
)

// The French analysis chain, shared by the bleve index (documents and
// queries) and by the synonym matcher, so a word is reduced the same way
// wherever it appears:
//
//	unicode tokenizer (UAX #29 words: "l'infirmière" stays one token, "sage-femme" is two)
//	→ lowercase
//	→ elision (l' d' qu' j' m' n' s' t' c' jusqu' lorsqu' puisqu' quoiqu', straight or curly apostrophe)
//	→ accent folding per token ("é" → "e", "œ" → "oe"), so "medecin" and "médecin" meet
//	→ French stop words (folded; "ta" and "été" kept: TA is tension artérielle)
//	→ French light stemmer (plurals and common suffixes: "chutes" → "chut", "protocoles" → "protocol"),
//	  fed folded words whose accented endings it keys on are restored first
//	  ("infirmiere" → "infirmière"), then folded again: "infirmier",
//	  "infirmière" and "infirmiere" all give "infirmi"
//
// Folding happens per token, not as a character filter before the
// tokenizer: token offsets then still point into the original text, which
// the snippets need (a character filter that turns "é" into "e" shifts
// every byte offset after it). Folding comes before the stemmer so the
// stemmer sees the same input whether or not the user typed the accents.
const (
	analyzerName = "ecpts_fr"
	// prefixAnalyzerName is the chain without stop words and stemmer: the
	// words as written, folded, for the prefix of the word being typed (a
	// stem can be shorter than what the user typed: "pansem" → "pansement"
	// is stemmed "pans").
	prefixAnalyzerName = "ecpts_fr_prefix"
	// indexAnalyzerName is the French chain followed by synonymFilter:
	// the combined searchable field of the bleve index is analysed with it
	// (queries use the chain without it, and look the group terms up).
	indexAnalyzerName = "ecpts_fr_index"
	synonymFilterName = "ecpts_synonyms_fr"
	foldName          = "ecpts_fold"
	stopName          = "ecpts_stop_fr"
	stemName          = "ecpts_stem_fr"
)

// stopWords is the Snowball French stop list, accent-folded, without
// "ta" (TA: tension artérielle), "ait" (AIT: accident ischémique
// transitoire) and "été" (the season matters: canicule).
var stopWords = strings.Fields(`
au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me meme mes moi mon
ne nos notre nous on ou par pas pour qu que qui sa se ses son sur te tes toi ton tu un une vos votre
vous c d j l a m n s t y etee etees etes etant suis es est sommes sont serai seras sera serons serez
seront serais serait serions seriez seraient etais etait etions etiez etaient fus fut fumes futes
furent sois soit soyons soyez soient fusse fusses fussions fussiez fussent ayant eu eue eues eus ai
as avons avez ont aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient avais
avait avions aviez avaient eut eumes eutes eurent aie aies ayons ayez aient eusse eusses
eussions eussiez eussent ceci cela cet cette ici ils les leurs quel quels quelle quelles sans soi
`)

// elisions are the French articles and pronouns that drop their vowel
// before another word (bleve's list, the Lucene one).
var elisions = []string{"l", "m", "t", "qu", "n", "s", "j", "d", "c", "jusqu", "quoiqu", "lorsqu", "puisqu"}

// foldFilter folds accents token by token; see the comment above.
type foldFilter struct {
	f *asciifolding.AsciiFoldingFilter
}

func (ff foldFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, t := range input {
		if !isASCII(t.Term) {
			t.Term = ff.f.Filter(t.Term)
		}
	}
	return input
}

// stemFilter is bleve's French light stemmer (Lucene's) made
// accent-insensitive. That stemmer reads some endings only with their
// accent ("-ère", "-ième", "-ète") and folds accents only in words longer
// than four letters, so on its own "infirmiere" and "infirmière" would
// part. Restoring those endings on the folded word before it, and folding
// after it, gives one stem for both.
type stemFilter struct {
	light *fr.FrenchLightStemmerFilter
	fold  *asciifolding.AsciiFoldingFilter
}

func (sf stemFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, t := range input {
		t.Term = reaccent(t.Term)
	}
	input = sf.light.Filter(input)
	for _, t := range input {
		if !isASCII(t.Term) {
			t.Term = sf.fold.Filter(t.Term)
		}
	}
	return input
}

// reaccent puts back the accent of the endings the light stemmer keys on.
// A plural "s" is looked through, as the stemmer strips it first.
func reaccent(term []byte) []byte {
	base := term
	if len(base) > 3 && base[len(base)-1] == 's' {
		base = base[:len(base)-1]
	}
	for _, e := range [...]struct{ plain, accented string }{{"ieme", "ième"}, {"ere", "ère"}, {"ete", "ète"}} {
		if bytes.HasSuffix(base, []byte(e.plain)) {
			out := make([]byte, 0, len(term)+1)
			out = append(out, base[:len(base)-len(e.plain)]...)
			out = append(out, e.accented...)
			return append(out, term[len(base):]...)
		}
	}
	return term
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func init() {
	must := func(err error) {
		if err != nil {
			panic("search: registering the French analysis: " + err.Error())
		}
	}
	must(registry.RegisterTokenFilter(foldName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return foldFilter{asciifolding.New()}, nil
	}))
	must(registry.RegisterTokenMap(stopName, func(map[string]any, *registry.Cache) (analysis.TokenMap, error) {
		m := analysis.NewTokenMap()
		for _, w := range stopWords {
			m.AddToken(w)
		}
		return m, nil
	}))
	must(registry.RegisterTokenFilter(stopName, func(_ map[string]any, c *registry.Cache) (analysis.TokenFilter, error) {
		m, err := c.TokenMapNamed(stopName)
		if err != nil {
			return nil, err
		}
		return stop.NewStopTokensFilter(m), nil
	}))
	must(registry.RegisterTokenFilter(stemName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return stemFilter{fr.NewFrenchLightStemmerFilter(), asciifolding.New()}, nil
	}))
	must(registry.RegisterTokenFilter(synonymFilterName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return synonymFilter{}, nil
	}))
	chain := func(names ...string) func(_ map[string]any, c *registry.Cache) (analysis.Analyzer, error) {
		return func(_ map[string]any, c *registry.Cache) (analysis.Analyzer, error) {
			tok, err := c.TokenizerNamed(unicodetok.Name)
			if err != nil {
				return nil, err
			}
			var filters []analysis.TokenFilter
			for _, name := range names {
				f, err := c.TokenFilterNamed(name)
				if err != nil {
					return nil, err
				}
				filters = append(filters, f)
			}
			return &analysis.DefaultAnalyzer{Tokenizer: tok, TokenFilters: filters}, nil
		}
	}
	must(registry.RegisterAnalyzer(analyzerName, chain(lowercase.Name, fr.ElisionName, foldName, stopName, stemName)))
	must(registry.RegisterAnalyzer(indexAnalyzerName, chain(lowercase.Name, fr.ElisionName, foldName, stopName, stemName, synonymFilterName)))
	must(registry.RegisterAnalyzer(prefixAnalyzerName, func(_ map[string]any, c *registry.Cache) (analysis.Analyzer, error) {
		tok, err := c.TokenizerNamed(unicodetok.Name)
		if err != nil {
			return nil, err
		}
		var filters []analysis.TokenFilter
		for _, name := range []string{lowercase.Name, fr.ElisionName, foldName} {
			f, err := c.TokenFilterNamed(name)
			if err != nil {
				return nil, err
			}
			filters = append(filters, f)
		}
		return &analysis.DefaultAnalyzer{Tokenizer: tok, TokenFilters: filters}, nil
	}))
}

// prefixAnalyzer is the prefix chain, built once.
var prefixAnalyzer = sync.OnceValue(func() analysis.Analyzer {
	a, err := registry.NewCache().AnalyzerNamed(prefixAnalyzerName)
	if err != nil {
		panic("search: building the prefix analyzer: " + err.Error())
	}
	return a
})

// frenchAnalyzer is the chain above, built once for query-side use (after
// init has registered its parts).
var frenchAnalyzer = sync.OnceValue(func() analysis.Analyzer {
	a, err := registry.NewCache().AnalyzerNamed(analyzerName)
	if err != nil {
		panic("search: building the French analyzer: " + err.Error())
	}
	return a
})

// frenchFilters are the filters the French chain applies after the
// prefix chain's (stop words, stemmer), for frenchTerm.
var frenchFilters = sync.OnceValue(func() []analysis.TokenFilter {
	c := registry.NewCache()
	var fs []analysis.TokenFilter
	for _, name := range []string{stopName, stemName} {
		f, err := c.TokenFilterNamed(name)
		if err != nil {
			panic("search: building the French filters: " + err.Error())
		}
		fs = append(fs, f)
	}
	return fs
})

// frenchTerm returns the French term of a token of the prefix chain: what
// the French chain gives for the same word ("" for a stop word).
func frenchTerm(word []byte) string {
	ts := analysis.TokenStream{&analysis.Token{Term: append([]byte(nil), word...), Position: 1, Type: analysis.AlphaNumeric}}
	for _, f := range frenchFilters() {
		ts = f.Filter(ts)
	}
	if len(ts) == 0 {
		return ""
	}
	return string(ts[0].Term)
}

// Terms returns the index terms of text under the French analysis, in
// order: what a document is indexed as, and what a query word must meet.
// Exported for tests and tools (the relevance set prints them).
func Terms(text string) []string {
	ts := frenchAnalyzer().Analyze([]byte(text))
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, string(t.Term))
	}
	return out
}

// Fold lowercases s, removes its accents and strips a leading elision:
// the light normalisation of operator values, synonym keys and prefixes
// (no stemming).
func Fold(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = string(asciifolding.New().Filter([]byte(s)))
	return s
}

// stripElision removes a leading French elision ("l'", "qu’"…) from a
// lowercased word.
func stripElision(w string) string {
	for i, r := range w {
		if r == '\'' || r == '’' {
			pre := w[:i]
			for _, e := range elisions {
				if pre == e {
					return w[i+utf8.RuneLen(r):]
				}
			}
			return w
		}
		if !unicode.IsLetter(r) {
			return w
		}
	}
	return w
}

// Key normalises a free value used as a filter (campaign, status): folded,
// lowercase, every run of other characters than letters and digits turned
// into one "-". "Mois sans tabac" and "mois-sans-tabac" give the same key.
func Key(s string) string {
	s = Fold(s)
	var b strings.Builder
	dash := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}
