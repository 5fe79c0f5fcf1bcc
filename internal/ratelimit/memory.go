package ratelimit

import (
	"context"
	"sync"
	"time"
)

// DefaultMaxKeys bounds the keys a Memory keeps. An entry costs about 150
// bytes, so the bound is ~15 MB: enough for every account and address of a
// busy node, small enough that a flood of made-up keys cannot exhaust RAM.
const DefaultMaxKeys = 100_000

// Memory is a Limiter for one process. Its memory is bounded: forgotten
// entries are swept at most once per Rule.Leak, and at MaxKeys it evicts
// (forgotten first, then keys that delay nobody, then any).
type Memory struct {
	rule    Rule
	now     func() time.Time
	maxKeys int

	mu        sync.Mutex
	entries   map[string]state // times in nanoseconds
	nextSweep int64
}

// NewMemory returns an in-memory limiter; now is its clock (nil:
// time.Now). It panics on an invalid rule (see Rule).
func NewMemory(rule Rule, now func() time.Time) *Memory {
	return NewMemoryMax(rule, now, DefaultMaxKeys)
}

// NewMemoryMax is NewMemory with another bound on the number of keys
// (minimum 1).
func NewMemoryMax(rule Rule, now func() time.Time, maxKeys int) *Memory {
	rule.mustValid()
	if now == nil {
		now = time.Now
	}
	return &Memory{rule: rule, now: now, maxKeys: max(1, maxKeys), entries: make(map[string]state)}
}

// Check implements Limiter. It never fails.
func (m *Memory) Check(_ context.Context, key string) (Status, error) {
	now := m.now().UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.entries[key]
	if !ok {
		return Status{}, nil
	}
	return m.status(s, now), nil
}

// Fail implements Limiter. It never fails.
func (m *Memory) Fail(_ context.Context, key string) error {
	now := m.now().UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now >= m.nextSweep {
		m.sweep(now)
		m.nextSweep = now + int64(m.rule.Leak)
	}
	s, ok := m.entries[key]
	if !ok && len(m.entries) >= m.maxKeys {
		m.makeRoom(now)
	}
	m.entries[key] = state{
		n:    counted(s, now, int64(m.rule.Leak)) + 1,
		last: now,
		tat:  max(s.tat, now) + int64(m.rule.Leak),
	}
	return nil
}

// Reset implements Limiter. It never fails.
func (m *Memory) Reset(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, key)
	return nil
}

// Len returns the number of keys held (for metrics and tests).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// status is the Status of s at now (nanoseconds).
func (m *Memory) status(s state, now int64) Status {
	since := time.Duration(max(0, now-s.last))
	wait := m.rule.Delay(s.n)
	c := counted(s, now, int64(m.rule.Leak))
	if c == 0 && since >= wait {
		return Status{}
	}
	return Status{Failures: c, Since: since, Wait: wait, RetryAfter: max(0, wait-since)}
}

func (m *Memory) sweep(now int64) {
	for k, s := range m.entries {
		if m.status(s, now) == (Status{}) {
			delete(m.entries, k)
		}
	}
}

// makeRoom frees a tenth of the capacity so that a flood of new keys costs
// one O(n) pass per 10% of MaxKeys, not one per key. Keys that delay go
// last: evicting them would free exactly what an attacker is after, so a
// flood of fresh keys evicts other fresh keys first. Go's map iteration
// order is random, which makes the choice among equals unpredictable.
func (m *Memory) makeRoom(now int64) {
	m.sweep(now)
	target := m.maxKeys - max(1, m.maxKeys/10)
	for _, delayingToo := range []bool{false, true} {
		for k, s := range m.entries {
			if len(m.entries) <= target {
				return
			}
			if st := m.status(s, now); delayingToo || (st.RetryAfter == 0 && st.Failures < m.rule.Free) {
				delete(m.entries, k)
			}
		}
	}
}
