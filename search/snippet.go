package search

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// makeSnippet cuts text to about target runes around its densest group
// of matches and returns the passage with the matches' positions in it.
// matches are byte ranges into text (what the engines report; any order,
// may overlap, out-of-range ones are dropped); the returned ranges are
// rune ranges into the snippet (see Range). Runs of white space become one
// space; "…" marks a cut. Without matches the passage is the start of the
// text.
func makeSnippet(text string, matches []Range, target int) (string, []Range) {
	// Byte → rune offsets, in one pass over text.
	runeAt := make([]int, len(text)+1)
	n := 0
	for i := range text {
		runeAt[i] = n
		n++
	}
	for i := len(text); i >= 0; i-- { // continuation bytes and the end
		if i == len(text) {
			runeAt[i] = n
		} else if !utf8.RuneStart(text[i]) {
			runeAt[i] = runeAt[i+1]
		}
	}
	var rm []Range
	for _, m := range matches {
		if m.Start < 0 || m.End > len(text) || m.Start >= m.End {
			continue
		}
		m.Start = afterElision(text, m)
		rm = append(rm, Range{runeAt[m.Start], runeAt[m.End]})
	}
	rm = mergeRanges(rm)
	rs := []rune(text)

	start, end := 0, len(rs)
	if len(rs) > target {
		start, end = window(rs, rm, target)
	}
	// Copy rs[start:end], collapsing white space, mapping offsets.
	out := make([]rune, 0, end-start+2)
	pos := make([]int, len(rs)+1) // input rune → output rune
	if start > 0 {
		out = append(out, '…')
	}
	space := true // drop leading space
	for i := start; i < end; i++ {
		pos[i] = len(out)
		if unicode.IsSpace(rs[i]) {
			if !space {
				out = append(out, ' ')
			}
			space = true
			continue
		}
		space = false
		out = append(out, rs[i])
	}
	pos[end] = len(out)
	for len(out) > 0 && out[len(out)-1] == ' ' {
		out = out[:len(out)-1]
	}
	if end < len(rs) {
		out = append(out, '…')
	}
	var ranges []Range
	for _, r := range rm {
		if r.Start < start || r.End > end {
			continue
		}
		a, b := pos[r.Start], pos[r.End]
		b = min(b, len(out))
		if a < b {
			ranges = append(ranges, Range{a, b})
		}
	}
	return string(out), ranges
}

// window picks [start, end) of about target runes holding as many
// matches as possible, starting a little before the first of them, on
// word boundaries.
func window(rs []rune, rm []Range, target int) (int, int) {
	lead := min(40, target/4)
	best, bestCount := 0, -1
	for i, m := range rm {
		s := max(0, m.Start-lead)
		count := 0
		for _, o := range rm[i:] {
			if o.End <= s+target {
				count++
			}
		}
		if count > bestCount {
			best, bestCount = s, count
		}
	}
	start := best
	end := min(len(rs), start+target)
	if start+target > len(rs) { // near the end: show the full target length
		start = max(0, len(rs)-target)
	}
	// Word boundaries: start after a space, end before one, never cutting
	// into a match.
	firstMatch, lastMatchEnd := end, start
	for _, m := range rm {
		if m.Start >= start && m.End <= end {
			firstMatch = min(firstMatch, m.Start)
			lastMatchEnd = max(lastMatchEnd, m.End)
		}
	}
	if start > 0 && !unicode.IsSpace(rs[start-1]) {
		for s := start; s < firstMatch && s < end; s++ {
			if unicode.IsSpace(rs[s]) {
				start = s + 1
				break
			}
		}
	}
	if end < len(rs) && !unicode.IsSpace(rs[end]) {
		for e := end; e > lastMatchEnd && e > start; e-- {
			if unicode.IsSpace(rs[e-1]) {
				end = e - 1
				break
			}
		}
	}
	return start, end
}

// mergeRanges sorts ranges and merges overlapping or touching ones.
func mergeRanges(rs []Range) []Range {
	slices.SortFunc(rs, func(a, b Range) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return a.End - b.End
	})
	var out []Range
	for _, r := range rs {
		if n := len(out); n > 0 && r.Start <= out[n-1].End {
			out[n-1].End = max(out[n-1].End, r.End)
			continue
		}
		out = append(out, r)
	}
	return out
}

// afterElision returns where the word of text[m.Start:m.End] starts once
// a leading elision ("l'", "qu’") is skipped: the engines match
// "l'ordonnance" as the term "ordonnance" but report the whole token.
func afterElision(text string, m Range) int {
	tok := text[m.Start:m.End]
	for i, r := range tok {
		if r == '\'' || r == '’' {
			if i > 0 && stripElision(strings.ToLower(tok[:i])+"'x") == "x" && i+utf8.RuneLen(r) < len(tok) {
				return m.Start + i + utf8.RuneLen(r)
			}
			break
		}
		if i > 6 { // longer than any elision
			break
		}
	}
	return m.Start
}
