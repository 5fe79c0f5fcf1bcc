package core

import "sync"

// keyLocks serialises writes to one small per-user document (read marker,
// thread state) on this node.
type keyLocks struct{ stripes [64]sync.Mutex }

func (k *keyLocks) lock(key string) func() {
	var h uint32 = 2166136261
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	m := &k.stripes[h%uint32(len(k.stripes))]
	m.Lock()
	return m.Unlock
}
