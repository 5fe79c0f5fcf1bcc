package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The histogram's quantiles stay within its 3 % bucket error of the exact
// ones, on a spread of latencies from microseconds to seconds.
func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	r := rand.New(rand.NewPCG(1, 2))
	var exact []float64
	for range 200000 {
		us := math.Exp(r.Float64() * math.Log(5e6)) // 1 µs .. 5 s, log-uniform
		d := time.Duration(us * float64(time.Microsecond))
		h.Record(d)
		exact = append(exact, float64(d/time.Microsecond)/1000)
	}
	slices.Sort(exact)
	s := h.Summary()
	if s.Count != uint64(len(exact)) {
		t.Fatalf("count %d, want %d", s.Count, len(exact))
	}
	for _, c := range []struct {
		name string
		got  float64
		q    float64
	}{{"p50", s.P50, 0.5}, {"p90", s.P90, 0.9}, {"p99", s.P99, 0.99}, {"p99.9", s.P999, 0.999}} {
		want := exact[int(math.Ceil(c.q*float64(len(exact))))-1]
		if math.Abs(c.got-want) > 0.035*want+0.001 {
			t.Errorf("%s = %.4f ms, exact %.4f ms", c.name, c.got, want)
		}
	}
	if s.Max != exact[len(exact)-1] {
		t.Errorf("max %.4f, want %.4f", s.Max, exact[len(exact)-1])
	}
}

func TestHistogramBucketsAreMonotonic(t *testing.T) {
	prev := -1
	for us := uint64(0); us < 1<<22; us += 1 + us/97 {
		i := histIndex(us)
		if i < prev {
			t.Fatalf("index of %d µs is %d, below %d", us, i, prev)
		}
		if v := histValue(i); math.Abs(v-float64(us)) > 0.035*float64(us)+1 {
			t.Fatalf("%d µs lands in bucket %d of value %.1f", us, i, v)
		}
		prev = i
	}
}

func TestSeqSetAudit(t *testing.T) {
	var s seqSet
	for _, q := range []uint64{1, 2, 3, 5, 5, 6, 2000} {
		s.add(q)
	}
	if s.highest() != 2000 || s.contiguous() != 3 {
		t.Fatalf("highest %d contiguous %d", s.highest(), s.contiguous())
	}
	lost, dups := s.audit(1, 6)
	if lost != 1 || dups != 1 {
		t.Fatalf("lost %d dups %d, want 1 and 1", lost, dups)
	}
	if s.hasAll(1, 6) || !s.hasAll(5, 6) || s.hasAll(2000, 2001) {
		t.Fatal("hasAll is wrong")
	}
	if lost, _ := s.audit(1, 3000); lost != 3000-6 {
		t.Fatalf("lost %d beyond the set", lost)
	}
}
