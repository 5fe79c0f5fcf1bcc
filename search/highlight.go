package search

import (
	"slices"
	"strings"
)

// A unit of the free text: consecutive words that either match as they
// are, or — when they form an expression of the synonym list — as any
// other expression of its group.
type wordUnit struct {
	first, last int      // indexes into textQuery.words
	synonyms    []string // the other expressions of the group, if any
	group       int      // the group's index in synonyms(), when synonyms is not empty
}

// wordUnits groups the words of t: a synonym expression covers whole
// words only, the longest first ("infirmière en pratique avancée" is IPA,
// not IDE followed by three words).
func wordUnits(t textQuery) []wordUnit {
	type term struct {
		term string
		word int
	}
	var terms []term
	for i, w := range t.words {
		for _, x := range Terms(w) {
			terms = append(terms, term{x, i})
		}
	}
	flat := make([]string, len(terms))
	for i, x := range terms {
		flat[i] = x.term
	}
	syn := synonyms()
	var units []wordUnit
	for i := 0; i < len(terms); {
		w := terms[i].word
		if i == 0 || terms[i-1].word != w { // at the start of a word
			if n, g, ok := syn.match(flat, i); ok {
				end := i + n
				if end == len(terms) || terms[end].word != terms[end-1].word {
					u := wordUnit{first: w, last: terms[end-1].word, synonyms: minimalExpressions(syn.groups[g], flat[i:end]), group: g}
					units = append(units, u)
					i = end
					continue
				}
			}
		}
		units = append(units, wordUnit{first: w, last: w})
		for i < len(terms) && terms[i].word == w {
			i++
		}
	}
	return units
}

// minimalExpressions returns the expressions of a group worth searching
// besides the words typed (own, as terms): not the typed ones, one per set
// of terms, and none that contains another as a run of terms — whatever
// matches "hypertension artérielle" matches "hypertension" already, and
// each phrase costs a positional check of every candidate.
func minimalExpressions(group []string, own []string) []string {
	type expr struct {
		text  string
		terms []string
	}
	var es []expr
	seen := map[string]bool{strings.Join(own, " "): true}
	for _, e := range group {
		ts := Terms(e)
		key := strings.Join(ts, " ")
		if seen[key] {
			continue
		}
		seen[key] = true
		es = append(es, expr{e, ts})
	}
	var out []string
	for i, e := range es {
		redundant := containsRun(e.terms, own)
		for j, o := range es {
			if j != i && len(o.terms) < len(e.terms) && containsRun(e.terms, o.terms) {
				redundant = true
			}
		}
		if !redundant {
			out = append(out, e.text)
		}
	}
	return out
}

// containsRun reports whether run appears in terms, contiguous.
func containsRun(terms, run []string) bool {
	if len(run) == 0 || len(run) > len(terms) {
		return false
	}
	for i := 0; i+len(run) <= len(terms); i++ {
		if slices.Equal(terms[i:i+len(run)], run) {
			return true
		}
	}
	return false
}

// highlighter finds in a text the words a query matched, the way the
// bleve query matches them: same analysis, exact terms (words, phrases,
// synonyms), typos within the same distance, the prefix of the word being
// typed. Highlighting the page's hits this way costs far less than asking
// bleve for the term locations of every match.
type highlighter struct {
	exact    map[string]bool
	fuzzy    []fuzzyTerm
	prefixes []string
	stems    map[string]string // word as written, folded → French term ("" for a stop word)
}

type fuzzyTerm struct {
	term []rune
	dist int
}

// known says whether a term is in the index: typos are only looked for
// for the words that are not, as the query does.
func newHighlighter(t textQuery, known func(string) bool) *highlighter {
	h := &highlighter{exact: map[string]bool{}}
	last := len(t.words) - 1
	syn := synonyms()
	for _, u := range wordUnits(t) {
		// Every expression of the group, not only the minimal ones the
		// query needs: "HTA" found "hypertension", and the reader expects
		// "hypertension artérielle" marked whole.
		if len(u.synonyms) > 0 {
			for _, e := range syn.groups[u.group] {
				for _, x := range Terms(e) {
					h.exact[x] = true
				}
			}
		}
		for j := u.first; j <= u.last; j++ {
			word := t.words[j]
			terms := Terms(word)
			folded := Fold(stripElision(strings.ToLower(word)))
			for k, x := range terms {
				h.exact[x] = true
				length := runeLen(x)
				if len(terms) == 1 {
					length = runeLen(folded)
				}
				if d := typos(length); d > 0 && !known(x) {
					h.fuzzy = append(h.fuzzy, fuzzyTerm{[]rune(x), d})
				}
				if t.prefix && j == last && k == len(terms)-1 {
					h.prefixes = append(h.prefixes, prefixesOf(word)...)
				}
			}
		}
	}
	for _, p := range t.phrases {
		for _, x := range Terms(p) {
			h.exact[x] = true
		}
	}
	return h
}

// highlightBytes bounds the text searched for highlights: a snippet of
// a long protocol comes from its first part.
const highlightBytes = 8 << 10

// ranges returns the byte ranges of the matching words of text.
//
// The text is tokenized once, with the prefix chain (the French chain
// without stop words and stemmer: the words as written, folded); each
// word's French term is that token with the stop list and the stemmer
// applied, as the French chain does, computed once per distinct word
// (a protocol repeats its words).
func (h *highlighter) ranges(text string) []Range {
	text = cleanText(text, highlightBytes)
	if text == "" || (len(h.exact) == 0 && len(h.prefixes) == 0) {
		return nil
	}
	if h.stems == nil {
		h.stems = map[string]string{}
	}
	var out []Range
	for _, tok := range prefixAnalyzer().Analyze([]byte(text)) {
		word := string(tok.Term)
		term, ok := h.stems[word]
		if !ok {
			term = frenchTerm(tok.Term)
			h.stems[word] = term
		}
		if term != "" && h.matches(term) {
			out = append(out, Range{tok.Start, tok.End})
			continue
		}
		for _, p := range h.prefixes { // prefixes are of the words as written
			if strings.HasPrefix(word, p) {
				out = append(out, Range{tok.Start, tok.End})
				break
			}
		}
	}
	return out // makeSnippet sorts and merges
}

func (h *highlighter) matches(term string) bool {
	if h.exact[term] {
		return true
	}
	if len(h.fuzzy) > 0 {
		r := []rune(term)
		for _, f := range h.fuzzy {
			// Like the fuzzy query: the first letter must match.
			if len(r) > 0 && r[0] == f.term[0] && withinDistance(r, f.term, f.dist) {
				return true
			}
		}
	}
	return false
}

// withinDistance reports whether the Levenshtein distance of a and b is at
// most d (rows of the classic table, cut off once they all exceed d).
func withinDistance(a, b []rune, d int) bool {
	if diff := len(a) - len(b); diff > d || -diff > d {
		return false
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > d {
			return false
		}
		prev, cur = cur, prev
	}
	return prev[len(b)] <= d
}
