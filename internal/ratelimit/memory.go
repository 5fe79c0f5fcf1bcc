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

// Memory is a Limiter for one process. Its memory is bounded: expired
// entries are swept at most once per window, and at MaxKeys it evicts
// (expired first, then keys still under the limit, then any).
type Memory struct {
	rule    Rule
	now     func() time.Time
	maxKeys int

	mu        sync.Mutex
	entries   map[string]entry
	nextSweep time.Time
}

type entry struct {
	count   int
	expires time.Time // end of the window opened by the first failure
}

// NewMemory returns an in-memory limiter; now is its clock (nil:
// time.Now). It panics on a rule with Max < 1 or Window < 1ms.
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
	return &Memory{rule: rule, now: now, maxKeys: max(1, maxKeys), entries: make(map[string]entry)}
}

// Allow implements Limiter. It never fails.
func (m *Memory) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok || !now.Before(e.expires) || e.count < m.rule.Max {
		return true, 0, nil
	}
	return false, e.expires.Sub(now), nil
}

// Fail implements Limiter. It never fails.
func (m *Memory) Fail(_ context.Context, key string) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if !now.Before(m.nextSweep) {
		m.sweep(now)
		m.nextSweep = now.Add(m.rule.Window)
	}
	e, ok := m.entries[key]
	if ok && now.Before(e.expires) {
		e.count++
		m.entries[key] = e
		return nil
	}
	if !ok && len(m.entries) >= m.maxKeys {
		m.makeRoom(now)
	}
	m.entries[key] = entry{count: 1, expires: now.Add(m.rule.Window)}
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

func (m *Memory) sweep(now time.Time) {
	for k, e := range m.entries {
		if !now.Before(e.expires) {
			delete(m.entries, k)
		}
	}
}

// makeRoom frees a tenth of the capacity so that a flood of new keys costs
// one O(n) pass per 10% of MaxKeys, not one per key. Keys at their limit go
// last: evicting them would unlock exactly what an attacker is after, so a
// flood of fresh keys evicts other fresh keys first. Go's map iteration
// order is random, which makes the choice among equals unpredictable.
func (m *Memory) makeRoom(now time.Time) {
	m.sweep(now)
	target := m.maxKeys - max(1, m.maxKeys/10)
	for _, blockedToo := range []bool{false, true} {
		for k, e := range m.entries {
			if len(m.entries) <= target {
				return
			}
			if blockedToo || e.count < m.rule.Max {
				delete(m.entries, k)
			}
		}
	}
}
