package search

import (
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // dates typed by users are days in Europe/Paris, on any host
	"unicode"
	"unicode/utf8"

	"github.com/ecpts/ecpts/internal/model"
)

// Parsed is what a user typed in the search box, split by Parse.
//
// The grammar, French first, with the English words Mattermost and Slack
// users know as aliases (operator names ignore case and accents):
//
//	query     = { item } ;
//	item      = phrase | "-" phrase | "-" word | operator | word ;
//	phrase    = ( '"' | '“' | '«' ) text ( '"' | '”' | '»' | end of input ) ;  unbalanced: runs to the end
//	operator  = name ":" ( value | phrase ) ;   no space after ":"
//	name      = de | from                       author: "de:@nom", "de:dupont"          → Authors
//	          | dans | in                       channel: "dans:~canal"                  → Channels
//	          | cpts                            CPTS name                               → CPTS
//	          | groupe | group                  group name                              → Groups
//	          | type                            message(s) publication(s) protocole(s)
//	                                            document(s) personne(s) canal|canaux    → Types
//	          | profession | metier             code, label or synonym: "kiné", "IDEL" → Professions (codes)
//	          | mission                         code or label word: "prevention"        → Missions (codes)
//	          | campagne | campaign            "mois-sans-tabac", "Mois sans tabac"    → Campaigns
//	          | statut | status                                                        → Statuses
//	          | avant | before                  AAAA-MM-JJ or JJ/MM/AAAA, day excluded  → To
//	          | apres | après | after           day excluded                            → From
//	          | le | on                         that day                                → From, To
//
// A word "x:y" whose x is not an operator name is kept as the two words x
// and y and x is reported in Unknown; one whose value is not understood
// ("type:foo", "avant:hier") is dropped and reported in Invalid; an
// operator with no value ("de:" while typing) is ignored. "10:30" and
// "https://…" are plain text. Several values of one operator are OR'ed.
type Parsed struct {
	// Text is the free text — words, "phrases", -exclusions — re-assembled
	// without operators: what Query.Text takes. It ends with a space when
	// the user's last word was complete (no prefix matching on it).
	Text     string   `json:"text"`
	Words    []string `json:"words,omitempty"`
	Phrases  []string `json:"phrases,omitempty"`
	Excluded []string `json:"excluded,omitempty"` // words or phrases

	// Names as typed, for core to resolve to ids among what the caller may
	// see ("@" and "~" removed). A name that resolves to nothing must make
	// the whole search answer nothing, not drop the filter.
	Authors  []string `json:"authors,omitempty"`
	Channels []string `json:"channels,omitempty"`
	CPTS     []string `json:"cpts,omitempty"`
	Groups   []string `json:"groups,omitempty"`

	// Values the index filters on directly (Query takes them as they are).
	Types       []Type    `json:"types,omitempty"`
	Professions []string  `json:"professions,omitempty"` // model.Profession codes
	Missions    []string  `json:"missions,omitempty"`    // model.Mission codes
	Campaigns   []string  `json:"campaigns,omitempty"`
	Statuses    []string  `json:"statuses,omitempty"`
	From        time.Time `json:"from,omitzero"` // inclusive
	To          time.Time `json:"to,omitzero"`   // exclusive

	Unknown   []string `json:"unknown,omitempty"`   // unknown operator names, their words kept as text
	Invalid   []string `json:"invalid,omitempty"`   // "name:value" of operators whose value was not understood
	Truncated bool     `json:"truncated,omitempty"` // the input was longer than MaxQueryRunes or MaxQueryWords
}

// Query returns the Query of p: its text and the filters that need no
// resolution. Core adds Authors, Channels, CPTS and Groups as ids, and
// Allowed.
func (p Parsed) Query() Query {
	return Query{
		Text: p.Text, Types: slices.Clone(p.Types), Professions: slices.Clone(p.Professions),
		Missions: slices.Clone(p.Missions), Campaigns: slices.Clone(p.Campaigns),
		Statuses: slices.Clone(p.Statuses), From: p.From, To: p.To,
	}
}

// Empty reports whether p has neither text nor any filter: searching it
// would return ErrEmptyQuery.
func (p Parsed) Empty() bool {
	return strings.TrimSpace(p.Text) == "" && len(p.Authors) == 0 && len(p.Channels) == 0 &&
		len(p.CPTS) == 0 && len(p.Groups) == 0 && len(p.Types) == 0 && len(p.Professions) == 0 &&
		len(p.Missions) == 0 && len(p.Campaigns) == 0 && len(p.Statuses) == 0 &&
		p.From.IsZero() && p.To.IsZero()
}

// Location is where typed dates are days: Europe/Paris.
var Location = func() *time.Location {
	l, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic("search: Europe/Paris: " + err.Error()) // time/tzdata is embedded
	}
	return l
}()

type itemKind int

const (
	itemWord itemKind = iota
	itemPhrase
	itemExcluded // word or phrase; phrase set when quoted
	itemOperator
)

type item struct {
	kind   itemKind
	text   string // word, phrase, excluded text or operator value
	name   string // operator name as typed
	quoted bool   // phrase-like (itemPhrase, quoted exclusion or value)
}

var closingQuote = map[rune]rune{'"': '"', '“': '”', '«': '»'}

// lex splits s into items. It never fails: unbalanced quotes run to the
// end of the input. operators says whether "name:value" makes operator
// items (Parse) or plain words (the free text of a Query).
//
// complete reports whether anything (white space, a lone "-") follows the
// last item: then a last word is not being typed.
func lex(s string, operators bool) (items []item, complete bool) {
	rs := []rune(s)
	i := 0
	readQuoted := func() string { // rs[i] is an opening quote
		closeWith := closingQuote[rs[i]]
		i++
		start := i
		for i < len(rs) && rs[i] != closeWith && rs[i] != '"' {
			i++
		}
		text := string(rs[start:i])
		if i < len(rs) {
			i++ // closing quote
		}
		return strings.TrimSpace(text)
	}
	isQuote := func(r rune) bool { _, ok := closingQuote[r]; return ok }
	readWord := func() string {
		start := i
		for i < len(rs) && !unicode.IsSpace(rs[i]) && !isQuote(rs[i]) {
			i++
		}
		return string(rs[start:i])
	}
	lastEnd := 0 // where the last item ended
	for i < len(rs) {
		before := len(items)
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case isQuote(r):
			if t := readQuoted(); t != "" {
				items = append(items, item{kind: itemPhrase, text: t, quoted: true})
			}
		case r == '-' && i+1 < len(rs) && isQuote(rs[i+1]):
			i++
			if t := readQuoted(); t != "" {
				items = append(items, item{kind: itemExcluded, text: t, quoted: true})
			}
		case r == '-':
			i++
			if w := strings.TrimLeft(readWord(), "-"); w != "" {
				items = append(items, item{kind: itemExcluded, text: w})
			}
		default:
			w := readWord()
			name, value, isOp := strings.Cut(w, ":")
			switch {
			case !isOp || name == "" || !isOperatorName(name) || strings.HasPrefix(value, "//"):
				items = append(items, item{kind: itemWord, text: w})
			case !operators:
				items = append(items, item{kind: itemWord, text: name + " " + value})
			default:
				op := item{kind: itemOperator, name: name, text: value}
				if value == "" && i < len(rs) && isQuote(rs[i]) {
					op.text, op.quoted = readQuoted(), true
				}
				items = append(items, op)
			}
		}
		if len(items) > before {
			lastEnd = i
		}
	}
	return items, lastEnd < len(rs)
}

// isOperatorName reports whether name looks like one: letters only (so
// "10:30" and "h2o:x" stay text).
func isOperatorName(name string) bool {
	for _, r := range name {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

type operator int

const (
	opAuthor operator = iota + 1
	opChannel
	opCPTS
	opGroup
	opType
	opProfession
	opMission
	opCampaign
	opStatus
	opBefore
	opAfter
	opOn
)

var operatorNames = map[string]operator{
	"de": opAuthor, "from": opAuthor,
	"dans": opChannel, "in": opChannel,
	"cpts":   opCPTS,
	"groupe": opGroup, "group": opGroup,
	"type":       opType,
	"profession": opProfession, "metier": opProfession,
	"mission":  opMission,
	"campagne": opCampaign, "campaign": opCampaign,
	"statut": opStatus, "status": opStatus,
	"avant": opBefore, "before": opBefore,
	"apres": opAfter, "after": opAfter,
	"le": opOn, "on": opOn,
}

var typeWords = map[string]Type{
	"message": TypeMessage, "messages": TypeMessage,
	"publication": TypePost, "publications": TypePost, "post": TypePost, "posts": TypePost,
	"annonce": TypePost, "annonces": TypePost,
	"protocole": TypeProtocol, "protocoles": TypeProtocol, "protocol": TypeProtocol, "protocols": TypeProtocol,
	"document": TypeMaterial, "documents": TypeMaterial, "materiel": TypeMaterial, "materiels": TypeMaterial,
	"material": TypeMaterial, "materials": TypeMaterial, "support": TypeMaterial, "supports": TypeMaterial,
	"personne": TypePerson, "personnes": TypePerson, "membre": TypePerson, "membres": TypePerson,
	"person": TypePerson, "people": TypePerson,
	"canal": TypeChannel, "canaux": TypeChannel, "channel": TypeChannel, "channels": TypeChannel,
}

// Parse splits what a user typed into free text and filters. It never
// fails and never panics; see Parsed for the grammar and what happens to
// what it does not understand. Input longer than MaxQueryRunes runes or
// MaxQueryWords words is cut.
func Parse(raw string) Parsed {
	var p Parsed
	raw, p.Truncated = truncateRunes(strings.ToValidUTF8(raw, ""), MaxQueryRunes)
	items, tail := lex(raw, true)
	var free []item
	for _, it := range items {
		if it.kind != itemOperator {
			free = append(free, it)
			continue
		}
		name := Fold(it.name)
		op, ok := operatorNames[name]
		if !ok {
			// Its words stay text; no ":" left, or they would read as an
			// operator again ("a:b:" → "a b").
			p.Unknown = appendUnique(p.Unknown, name)
			for _, w := range strings.Fields(strings.ReplaceAll(it.name+" "+it.text, ":", " ")) {
				free = append(free, item{kind: itemWord, text: w})
			}
			continue
		}
		p.applyOperator(op, it)
	}
	words := 0
	var kept []item
	for _, it := range free {
		n := len(strings.Fields(it.text))
		if words+n > MaxQueryWords {
			p.Truncated = true
			break
		}
		words += n
		kept = append(kept, it)
	}
	// The last word is being typed only if nothing (an operator) follows it.
	complete := tail || len(items) == 0 || items[len(items)-1].kind != itemWord
	p.Text = p.assemble(kept, complete)
	return p
}

// assemble fills Words, Phrases and Excluded and returns the free text.
func (p *Parsed) assemble(items []item, complete bool) string {
	var b strings.Builder
	for _, it := range items {
		text := boundWords(it.text)
		if text == "" {
			continue // only quote marks
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		switch {
		case it.kind == itemPhrase:
			p.Phrases = append(p.Phrases, text)
			b.WriteString(`"` + text + `"`)
		case it.kind == itemExcluded && it.quoted:
			p.Excluded = append(p.Excluded, text)
			b.WriteString(`-"` + text + `"`)
		case it.kind == itemExcluded:
			p.Excluded = append(p.Excluded, text)
			b.WriteString("-" + text)
		default:
			p.Words = append(p.Words, text)
			b.WriteString(text)
		}
	}
	if b.Len() > 0 && (complete || items[len(items)-1].kind != itemWord) {
		b.WriteByte(' ')
	}
	return b.String()
}

// boundWords cuts each word of s to MaxWordRunes runes and removes the
// characters the free text gives a meaning to (quotes).
func boundWords(s string) string {
	fs := strings.FieldsFunc(s, func(r rune) bool {
		_, q := closingQuote[r]
		return unicode.IsSpace(r) || q || r == '”' || r == '»'
	})
	for i, w := range fs {
		fs[i], _ = truncateRunes(w, MaxWordRunes)
	}
	return strings.Join(fs, " ")
}

func (p *Parsed) applyOperator(op operator, it item) {
	v := strings.TrimSpace(it.text)
	invalid := func() { p.Invalid = appendUnique(p.Invalid, it.name+":"+it.text) }
	switch op {
	case opAuthor:
		v = strings.TrimLeft(v, "@")
	case opChannel:
		v = strings.TrimLeft(v, "~#")
	}
	if v == "" {
		return // "de:" while typing
	}
	v, _ = truncateRunes(v, 2*MaxWordRunes)
	switch op {
	case opAuthor:
		p.Authors = appendBounded(p.Authors, v)
	case opChannel:
		p.Channels = appendBounded(p.Channels, v)
	case opCPTS:
		p.CPTS = appendBounded(p.CPTS, v)
	case opGroup:
		p.Groups = appendBounded(p.Groups, v)
	case opCampaign:
		p.Campaigns = appendBounded(p.Campaigns, v)
	case opStatus:
		p.Statuses = appendBounded(p.Statuses, v)
	case opType:
		t, ok := typeWords[Fold(v)]
		if !ok {
			invalid()
			return
		}
		if !slices.Contains(p.Types, t) {
			p.Types = append(p.Types, t)
		}
	case opProfession, opMission:
		resolve, dst := ResolveProfession, &p.Professions
		if op == opMission {
			resolve, dst = ResolveMission, &p.Missions
		}
		codes := resolve(v)
		if len(codes) == 0 {
			invalid()
		}
		for _, c := range codes {
			*dst = appendBounded(*dst, c)
		}
	case opBefore, opAfter, opOn:
		day, ok := parseDay(v)
		if !ok {
			invalid()
			return
		}
		next := day.AddDate(0, 0, 1)
		switch op {
		case opBefore:
			p.To = earliest(p.To, day)
		case opAfter:
			p.From = latest(p.From, next)
		case opOn:
			p.From, p.To = latest(p.From, day), earliest(p.To, next)
		}
	}
}

func earliest(cur, t time.Time) time.Time {
	if cur.IsZero() || t.Before(cur) {
		return t
	}
	return cur
}

func latest(cur, t time.Time) time.Time {
	if cur.IsZero() || t.After(cur) {
		return t
	}
	return cur
}

// parseDay reads AAAA-MM-JJ or JJ/MM/AAAA as the start of that day in
// Location.
func parseDay(v string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006"} {
		if t, err := time.ParseInLocation(layout, v, Location); err == nil && t.Year() >= 1900 && t.Year() <= 2999 {
			return t, true
		}
	}
	return time.Time{}, false
}

// ResolveProfession returns the model.Profession codes v designates: a
// code, a label ("infirmière", "médecin" → both médecins), a mention
// plural ("kines") or a synonym of one ("kiné", "IDEL", "MG", "SF").
func ResolveProfession(v string) []string {
	var out []string
	for _, cand := range withSynonyms(v) {
		for _, p := range model.Professions {
			if matchesLabel(cand, string(p.Code), p.Label, p.Mention) {
				out = appendUnique(out, string(p.Code))
			}
		}
	}
	return out
}

// ResolveMission returns the model.Mission codes v designates, by code or
// by words of its label ("prevention", "crise", "acces").
func ResolveMission(v string) []string {
	var out []string
	for _, cand := range withSynonyms(v) {
		for _, m := range model.Missions {
			if matchesLabel(cand, string(m.Code), m.Label) {
				out = appendUnique(out, string(m.Code))
			}
		}
	}
	return out
}

// withSynonyms returns v and the expressions of its synonym group.
func withSynonyms(v string) []string {
	out := []string{v}
	if g, ok := synonyms().groupOf(v); ok {
		out = append(out, g...)
	}
	return out
}

// matchesLabel reports whether v is the code, or each term of v starts a
// term of one of the labels.
func matchesLabel(v, code string, labels ...string) bool {
	if strings.ReplaceAll(Key(v), "-", "_") == code {
		return true
	}
	vt := Terms(v)
	if len(vt) == 0 {
		return false
	}
	for _, l := range append(labels, strings.ReplaceAll(code, "_", " ")) {
		lt := Terms(strings.NewReplacer("·", " ", "(", " ", ")", " ").Replace(l))
		if allPrefixOf(vt, lt) {
			return true
		}
	}
	return false
}

func allPrefixOf(words, of []string) bool {
	for _, w := range words {
		if !slices.ContainsFunc(of, func(o string) bool { return strings.HasPrefix(o, w) }) {
			return false
		}
	}
	return true
}

func appendUnique(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func appendBounded(s []string, v string) []string {
	if len(s) >= MaxFilterValues {
		return s
	}
	return appendUnique(s, v)
}

// truncateRunes cuts s to at most n runes.
func truncateRunes(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos], true
		}
		i++
	}
	return s, false
}

// textQuery is the free text of a Query, ready for a backend: items whose
// words all vanish under the analysis (stop words, punctuation) dropped.
type textQuery struct {
	words    []string // plain words, in order
	phrases  []string
	excluded []excl
	// prefix: the last word is still being typed (no space after it):
	// it also matches as a prefix.
	prefix bool
}

type excl struct {
	text   string
	phrase bool
}

func (t textQuery) empty() bool {
	return len(t.words) == 0 && len(t.phrases) == 0 && len(t.excluded) == 0
}

// positive reports whether t has something a document must contain.
func (t textQuery) positive() bool { return len(t.words) > 0 || len(t.phrases) > 0 }

// parseText reads the free text of a Query. Operators are not read here
// ("de:x" is the words "de" and "x"); bounds are those of Parse.
func parseText(s string) textQuery {
	s, _ = truncateRunes(strings.ToValidUTF8(s, ""), MaxQueryRunes)
	items, tail := lex(s, false)
	var t textQuery
	words := 0
	lastWord := false
	for _, it := range items {
		text := boundWords(it.text)
		n := len(strings.Fields(text))
		if words+n > MaxQueryWords {
			break
		}
		words += n
		lastWord = false
		if len(Terms(text)) == 0 {
			continue
		}
		switch it.kind {
		case itemPhrase:
			t.phrases = append(t.phrases, text)
		case itemExcluded:
			t.excluded = append(t.excluded, excl{text: text, phrase: it.quoted})
		default:
			for _, w := range strings.Fields(text) {
				if len(Terms(w)) > 0 {
					t.words = append(t.words, w)
				}
			}
			lastWord = true
		}
	}
	t.prefix = lastWord && !tail && len(t.words) > 0
	return t
}

// runeLen is utf8.RuneCountInString, named for what the callers mean.
func runeLen(s string) int { return utf8.RuneCountInString(s) }
