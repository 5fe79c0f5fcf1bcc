package search

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
)

// synonymFile is the medical synonym list, data kept in the repository
// (format at its top): one group of equivalent expressions per line.
//
//go:embed synonyms_fr.txt
var synonymFile string

// synonymSet is the parsed list. Expressions are compared by their terms
// under the French analysis, so "Hypertension artérielle",
// "hypertensions arterielles" and "hypertension artérielle" are one key.
type synonymSet struct {
	groups  [][]string          // expressions as written, per group
	byKey   map[string]int      // joined terms → group
	byFirst map[string][]synKey // first term → keys starting with it, longest first
	terms   []string            // per group: its index term (synonymTerm)
}

type synKey struct {
	terms []string
	group int
}

// parseSynonyms reads the file format. It fails on an expression with no
// searchable term (only stop words) and on a key found in two groups:
// either would make one backend differ from the other.
func parseSynonyms(data string) (*synonymSet, error) {
	s := &synonymSet{byKey: map[string]int{}, byFirst: map[string][]synKey{}}
	for n, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var group []string
		for _, e := range strings.Split(line, "|") {
			if e = strings.Join(strings.Fields(e), " "); e != "" {
				group = append(group, e)
			}
		}
		if len(group) < 2 {
			return nil, fmt.Errorf("search: synonyms line %d: a group needs two expressions", n+1)
		}
		g := len(s.groups)
		s.groups = append(s.groups, group)
		for i, e := range group {
			terms := Terms(e)
			if len(terms) == 0 {
				return nil, fmt.Errorf("search: synonyms line %d: %q has only stop words", n+1, e)
			}
			if i == 0 {
				s.terms = append(s.terms, "syn="+strings.Join(terms, "_"))
			}
			key := strings.Join(terms, " ")
			if other, ok := s.byKey[key]; ok {
				if other != g {
					return nil, fmt.Errorf("search: synonyms line %d: %q is already in the group of %q", n+1, e, s.groups[other][0])
				}
				continue
			}
			s.byKey[key] = g
			s.byFirst[terms[0]] = append(s.byFirst[terms[0]], synKey{terms: terms, group: g})
		}
	}
	for _, ks := range s.byFirst {
		slices.SortStableFunc(ks, func(a, b synKey) int { return len(b.terms) - len(a.terms) })
	}
	return s, nil
}

var synonyms = sync.OnceValue(func() *synonymSet {
	s, err := parseSynonyms(synonymFile)
	if err != nil {
		panic(err) // the embedded file is checked by TestSynonymFile
	}
	return s
})

// SynonymGroups returns the synonym groups of synonyms_fr.txt, each as its
// expressions are written there.
func SynonymGroups() [][]string {
	var out [][]string
	for _, g := range synonyms().groups {
		out = append(out, slices.Clone(g))
	}
	return out
}

// groupOf returns the expressions of the group v belongs to, v included.
func (s *synonymSet) groupOf(v string) ([]string, bool) {
	g, ok := s.byKey[strings.Join(Terms(v), " ")]
	if !ok {
		return nil, false
	}
	return s.groups[g], true
}

// match returns the longest synonym key starting at terms[at]: its length
// in terms and its group.
func (s *synonymSet) match(terms []string, at int) (n, group int, ok bool) {
	for _, k := range s.byFirst[terms[at]] {
		if at+len(k.terms) <= len(terms) && slices.Equal(k.terms, terms[at:at+len(k.terms)]) {
			return len(k.terms), k.group, true
		}
	}
	return 0, 0, false
}

// synonymTerm is the index term standing for a synonym group: the terms
// of its first expression after "syn=" (no word of a text can hold "=",
// the tokenizer splits there). It is not stable across edits of the list:
// the bleve schema includes the list's hash (see bleveSchema).
func (s *synonymSet) synonymTerm(group int) string {
	return s.terms[group]
}

// synonymFilter adds, where a text holds an expression of a synonym
// group, the group's term (synonymTerm) at the expression's first
// position: every expression of a group is then one term in the index,
// and a query for "IC" looks up one term instead of checking the phrase
// "insuffisance cardiaque" in every document that holds both words. It
// runs last in the indexing chain of the searchable texts (after the
// stemmer: keys are compared as stems).
type synonymFilter struct{}

func (synonymFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	syn := synonyms()
	out := input
	var seen []int
	for i, t := range input {
		keys, ok := syn.byFirst[string(t.Term)]
		if !ok {
			continue
		}
		seen = seen[:0]
	keys:
		for _, k := range keys { // longest first
			if i+len(k.terms) > len(input) || slices.Contains(seen, k.group) {
				continue
			}
			for j, term := range k.terms[1:] {
				if string(input[i+1+j].Term) != term {
					continue keys
				}
			}
			seen = append(seen, k.group)
			out = append(out, &analysis.Token{
				Term: []byte(syn.terms[k.group]), Position: t.Position,
				Start: t.Start, End: input[i+len(k.terms)-1].End, Type: analysis.AlphaNumeric,
			})
		}
	}
	return out
}

// synonymsHash identifies the synonym list the index terms were made
// from.
var synonymsHash = sync.OnceValue(func() string {
	sum := sha256.Sum256([]byte(synonymFile))
	return hex.EncodeToString(sum[:6])
})

// meiliSynonyms is the list as Meilisearch's "synonyms" setting: there a
// key finds its values one way only, so each expression of a group is a
// key whose values are all the others. Keys are lowercased; an accent-free
// form is added when it differs, for Meilisearch versions that compare
// synonyms before removing accents.
func meiliSynonyms() map[string][]string {
	out := map[string][]string{}
	for _, g := range synonyms().groups {
		for i, e := range g {
			var others []string
			for j, o := range g {
				if j != i {
					others = append(others, strings.ToLower(o))
				}
			}
			for _, k := range []string{strings.ToLower(e), Fold(e)} {
				out[k] = appendAllUnique(out[k], others)
			}
		}
	}
	return out
}

func appendAllUnique(s, vs []string) []string {
	for _, v := range vs {
		s = appendUnique(s, v)
	}
	return s
}
