package msglog

import "testing"

func TestPageBounds(t *testing.T) {
	const maxSeq = ^uint64(0)
	for _, c := range []struct {
		name             string
		last, after      uint64
		hasAfter         bool
		before           uint64
		limit            int
		wantFrom, wantTo uint64
		wantEmpty        bool
	}{
		{"newest page", 60, 0, false, 0, 50, 11, 60, false},
		{"after", 60, 57, true, 0, 50, 58, 60, false},
		{"from the start", 60, 0, true, 0, 2, 1, 2, false},
		{"before", 60, 0, false, 11, 5, 6, 10, false},
		{"after the last", 60, 60, true, 0, 50, 0, 0, true},
		{"after far beyond", 60, 1000, true, 0, 50, 0, 0, true},
		{"after the largest seq does not wrap", 60, maxSeq, true, 0, 50, 0, 0, true},
		{"after near the largest seq", 60, maxSeq - 10, true, 0, 100, 0, 0, true},
		{"empty channel", 0, 0, true, 0, 50, 0, 0, true},
	} {
		from, to := pageBounds(c.last, c.after, c.hasAfter, c.before, c.limit)
		empty := to == 0 || from > to
		if empty != c.wantEmpty || !empty && (from != c.wantFrom || to != c.wantTo) {
			t.Errorf("%s: [%d, %d] (empty %v), want [%d, %d] (empty %v)", c.name, from, to, empty, c.wantFrom, c.wantTo, c.wantEmpty)
		}
	}
}
