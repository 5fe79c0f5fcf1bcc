package cache

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// fillTimeout bounds a shared cache fill. The fill runs detached from the
// cancellation of the caller that started it (its values are kept), so
// that caller going away does not fail the others waiting on it.
const fillTimeout = 10 * time.Second

// fills makes the reads that fill one cache single-flight per key: a
// caller that misses claims the key's fill, joining the one in flight or
// leading a new one, which runs in a goroutine of its own (start) while
// every caller waits for it under its own context (wait). A batch caller
// leads one read for all the keys nobody was reading and joins the others.
// Errors and absent keys are never kept.
//
// The table is guarded by the mutex of the cache it fills, so keeping a
// result and invalidating its key are atomic with respect to each other.
// forget (called by the cache's invalidation, after the write) marks the
// key's fill stale and removes it: its result is not kept and callers that
// come later start a new read. Callers that joined before the invalidation
// still get the stale fill's result: their request began before the
// invalidation, so it reads as if it had come before the write — as it
// did before fills were shared.
//
// golang.org/x/sync/singleflight does not fit: its lock is its own, so the
// stale check could not be atomic with keeping, and it cannot lead a batch.
type fills[K comparable, V any] struct {
	mu *sync.Mutex
	m  map[K]*fill[V]
	// around, when set (tests only), runs each read: it can count, hold or
	// fail it.
	around func(ctx context.Context, keys []K, read func(context.Context) error) error
}

// fill is one key's read in flight.
type fill[V any] struct {
	done  chan struct{} // closed once val, found and err are set
	val   V
	found bool // the store had the key
	err   error
	stale bool // invalidated while in flight: not kept, not joined
	dups  int  // callers that joined the leader
}

func (t *fills[K, V]) init(mu *sync.Mutex) {
	t.mu = mu
	t.m = make(map[K]*fill[V])
}

// claim returns the fill of k and whether the caller leads it (must start
// it); t.mu must be held.
func (t *fills[K, V]) claim(k K) (f *fill[V], lead bool) {
	if f := t.m[k]; f != nil {
		f.dups++
		return f, false
	}
	f = &fill[V]{done: make(chan struct{})}
	t.m[k] = f
	return f, true
}

// forget marks the fill of k stale; t.mu must be held.
func (t *fills[K, V]) forget(k K) {
	if f := t.m[k]; f != nil {
		f.stale = true
		delete(t.m, k)
	}
}

// start runs read for keys, whose fills fs the caller leads, in a
// goroutine of its own with ctx's values but not its cancellation, bounded
// by fillTimeout. read returns the keys it found; keep, called with t.mu
// held, stores each found key whose fill was not invalidated meanwhile.
func (t *fills[K, V]) start(ctx context.Context, keys []K, fs []*fill[V], read func(context.Context, []K) (map[K]V, error), keep func(K, V)) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fillTimeout)
	go func() {
		defer cancel()
		var got map[K]V
		err := func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("cache: fill panicked: %v", p)
				}
			}()
			rd := func(ctx context.Context) (err error) {
				got, err = read(ctx, keys)
				return err
			}
			if t.around != nil {
				return t.around(rctx, keys, rd)
			}
			return rd(rctx)
		}()
		t.mu.Lock()
		defer t.mu.Unlock()
		for i, k := range keys {
			f := fs[i]
			if t.m[k] == f {
				delete(t.m, k)
			}
			if f.err = err; err == nil {
				f.val, f.found = got[k]
				if f.found && !f.stale {
					keep(k, f.val)
				}
			}
			close(f.done)
		}
	}()
}

// wait returns the fill's result, or ctx's error if ctx ends first (the
// fill goes on for the others).
func (f *fill[V]) wait(ctx context.Context) (V, bool, error) {
	select {
	case <-f.done:
		return f.val, f.found, f.err
	default:
	}
	select {
	case <-f.done:
		return f.val, f.found, f.err
	case <-ctx.Done():
		var zero V
		return zero, false, ctx.Err()
	}
}

// get returns k's value: the cached one when hit (called with t.mu held)
// finds it, else the result of the fill of k in flight or of a new one
// running read, whose value keep stores (with t.mu held) unless k was
// invalidated meanwhile. found is false when the store has no k.
func (t *fills[K, V]) get(ctx context.Context, k K, hit func() (V, bool), read func(context.Context) (V, bool, error), keep func(V)) (v V, found bool, err error) {
	t.mu.Lock()
	if v, ok := hit(); ok {
		t.mu.Unlock()
		return v, true, nil
	}
	f, lead := t.claim(k)
	t.mu.Unlock()
	if lead {
		t.start(ctx, []K{k}, []*fill[V]{f},
			func(ctx context.Context, _ []K) (map[K]V, error) {
				v, found, err := read(ctx)
				if err != nil || !found {
					return nil, err
				}
				return map[K]V{k: v}, nil
			},
			func(_ K, v V) { keep(v) })
	}
	return f.wait(ctx)
}

// getMany is get for several keys, each once, in no particular order
// (absent ones skipped): one read for the keys neither cached nor being
// read, waiting for the reads of the others.
func (t *fills[K, V]) getMany(ctx context.Context, keys []K, hit func(K) (V, bool), read func(context.Context, []K) (map[K]V, error), keep func(K, V)) ([]V, error) {
	out := make([]V, 0, len(keys))
	var (
		seen    = make(map[K]bool, len(keys))
		pending []*fill[V]
		lead    []K
		leadFs  []*fill[V]
	)
	t.mu.Lock()
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		if v, ok := hit(k); ok {
			out = append(out, v)
			continue
		}
		f, isLead := t.claim(k)
		pending = append(pending, f)
		if isLead {
			lead = append(lead, k)
			leadFs = append(leadFs, f)
		}
	}
	t.mu.Unlock()
	if len(lead) > 0 {
		t.start(ctx, lead, leadFs, read, keep)
	}
	for _, f := range pending {
		v, found, err := f.wait(ctx)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, v)
		}
	}
	return out, nil
}

// entry is a cached value and when it was read (claimed, rather: a read
// starts after its claim).
type entry[V any] struct {
	v  V
	at time.Time
}

// drop removes keys from m with the fills of them in flight (forget); t.mu
// must be held.
func drop[K comparable, V, E any](t *fills[K, V], m map[K]E, keys []K) {
	for _, k := range keys {
		delete(m, k)
		t.forget(k)
	}
}

// index maps vs by key: what a batch read found.
func index[K comparable, V any](vs []V, key func(V) K) map[K]V {
	m := make(map[K]V, len(vs))
	for _, v := range vs {
		m[key(v)] = v
	}
	return m
}
