package core

import "testing"

func TestSupersede(t *testing.T) {
	var s supersede
	if !s.take("a", 3) {
		t.Fatal("nothing noted: the work must run")
	}
	s.note("a", 5)
	s.note("a", 7)
	s.note("a", 6) // out of order: 7 stays the newest
	s.note("b", 1)
	for _, c := range []struct {
		key  string
		seq  uint64
		want bool
	}{
		{"a", 5, false}, {"a", 6, false}, {"b", 1, true}, {"a", 7, true},
		{"a", 6, true}, // 7 done and forgotten: a late older job runs (writes never go back)
		{"b", 1, true},
	} {
		if got := s.take(c.key, c.seq); got != c.want {
			t.Fatalf("take(%s, %d) = %v, want %v", c.key, c.seq, got, c.want)
		}
	}
	if len(s.m) != 0 {
		t.Fatalf("entries left: %v", s.m)
	}
}
