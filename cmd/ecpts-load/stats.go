package main

import (
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// histogram records durations in microseconds, log-linear: exact below
// 64 µs, then 32 buckets per power of two (relative error ≤ 3 %). It is
// safe for concurrent use: Record is a few atomic adds, cheap enough for
// every delivery of a fan-out run.
type histogram struct {
	counts [histBuckets]atomic.Uint64
	n      atomic.Uint64
	sum    atomic.Uint64 // µs
	max    atomic.Uint64 // µs
}

const (
	histExact   = 64
	histSub     = 32
	histBuckets = histExact + 40*histSub
)

func histIndex(us uint64) int {
	if us < histExact {
		return int(us)
	}
	shift := bits.Len64(us) - 6 // keeps the 6 top bits: 32..63
	i := histExact + (shift-1)*histSub + int(us>>shift) - histSub
	return min(i, histBuckets-1)
}

// histValue is the middle of bucket i, in µs.
func histValue(i int) float64 {
	if i < histExact {
		return float64(i)
	}
	j := i - histExact
	shift := j/histSub + 1
	low := uint64(j%histSub+histSub) << shift
	return float64(low) + float64(uint64(1)<<shift)/2
}

func (h *histogram) Record(d time.Duration) {
	us := uint64(max(d, 0) / time.Microsecond)
	h.counts[histIndex(us)].Add(1)
	h.n.Add(1)
	h.sum.Add(us)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			return
		}
	}
}

// latency is a summary of a histogram, in milliseconds.
type latency struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
}

func (h *histogram) Summary() latency {
	n := h.n.Load()
	if n == 0 {
		return latency{}
	}
	s := latency{Count: n, Mean: float64(h.sum.Load()) / float64(n) / 1000, Max: float64(h.max.Load()) / 1000}
	s.P50 = h.quantile(n, 0.50)
	s.P90 = h.quantile(n, 0.90)
	s.P99 = h.quantile(n, 0.99)
	s.P999 = h.quantile(n, 0.999)
	return s
}

// quantile returns the q-quantile in ms: the bucket holding the sample of
// rank ⌈q·n⌉, never above the exact maximum.
func (h *histogram) quantile(n uint64, q float64) float64 {
	rank := uint64(math.Ceil(q * float64(n)))
	rank = max(rank, 1)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return math.Min(histValue(i), float64(h.max.Load())) / 1000
		}
	}
	return float64(h.max.Load()) / 1000
}

// seqSet records which seqs of one channel a subscriber received, and how
// often. Seqs start at 1; the set grows as needed.
type seqSet struct {
	mu     sync.Mutex
	counts []uint8 // counts[seq]; saturates at 255
	high   uint64  // highest seq received
}

// add records seq and reports whether it was already there.
func (s *seqSet) add(seq uint64) (dup bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq >= uint64(len(s.counts)) {
		n := max(2*len(s.counts), int(seq)+1, 1024)
		grown := make([]uint8, n)
		copy(grown, s.counts)
		s.counts = grown
	}
	c := s.counts[seq]
	if c < math.MaxUint8 {
		s.counts[seq] = c + 1
	}
	s.high = max(s.high, seq)
	return c > 0
}

// highest is the highest seq received (0: none): what the protocol tells a
// client to resume from.
func (s *seqSet) highest() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.high
}

// contiguous is the highest seq n such that 1..n were all received.
func (s *seqSet) contiguous() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n uint64
	for n+1 < uint64(len(s.counts)) && s.counts[n+1] > 0 {
		n++
	}
	return n
}

// has reports whether every seq of from..to was received.
func (s *seqSet) hasAll(from, to uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if to >= uint64(len(s.counts)) {
		return from > to
	}
	for q := from; q <= to; q++ {
		if s.counts[q] == 0 {
			return false
		}
	}
	return true
}

// audit counts, over the seqs from..to, those never received (lost) and
// the extra copies received (duplicates).
func (s *seqSet) audit(from, to uint64) (lost, dups uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for q := from; q <= to; q++ {
		var c uint8
		if q < uint64(len(s.counts)) {
			c = s.counts[q]
		}
		if c == 0 {
			lost++
		} else {
			dups += uint64(c - 1)
		}
	}
	return lost, dups
}
