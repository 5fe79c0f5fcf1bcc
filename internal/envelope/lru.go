package envelope

import (
	"bytes"
	"container/list"
	"crypto/cipher"
	"sync"
)

// lru maps a conversation id to the cipher of its key, keeping the most
// recently used entries up to a bound. The wrapped key is part of the
// entry: a lookup with other wrapped bytes (a rotated or wrong key) misses
// rather than answering with the cached key. The GCM ciphers of the
// standard library hold no per-call state, so one may serve concurrent
// Seal and Open calls once out of the cache.
type lru struct {
	mu    sync.Mutex
	limit int
	order *list.List // front: most recently used; values are *lruEntry
	items map[string]*list.Element
}

type lruEntry struct {
	convID  string
	wrapped []byte
	aead    cipher.AEAD
}

func newLRU(limit int) *lru {
	return &lru{limit: limit, order: list.New(), items: make(map[string]*list.Element)}
}

func (c *lru) get(convID string, wrapped []byte) (cipher.AEAD, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[convID]
	if !ok {
		return nil, false
	}
	e := el.Value.(*lruEntry)
	if !bytes.Equal(e.wrapped, wrapped) {
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.aead, true
}

// put stores a copy of wrapped; an entry for the same conversation is
// replaced, and the least recently used one goes when the cache is full.
func (c *lru) put(convID string, wrapped []byte, aead cipher.AEAD) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &lruEntry{convID: convID, wrapped: bytes.Clone(wrapped), aead: aead}
	if el, ok := c.items[convID]; ok {
		el.Value = e
		c.order.MoveToFront(el)
		return
	}
	c.items[convID] = c.order.PushFront(e)
	for c.order.Len() > c.limit {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*lruEntry).convID)
	}
}

func (c *lru) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
