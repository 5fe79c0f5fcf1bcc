package realtime

import (
	"context"
	"errors"
	"sync"
)

// MemoryBus is an in-process backend for Brokers: every Broker it hands out
// behaves like one node of a deployment sharing the bus. One process needs
// one node (NewMemoryBroker); tests use several to play a cluster.
//
// Delivery is synchronous: Publish calls the handlers of the subscribed
// nodes in the publisher's goroutine, so concurrent publishers deliver
// concurrently. Nothing is ever missed, so HandleResume is never called.
type MemoryBus struct {
	mu       sync.RWMutex
	subs     map[string]map[*memoryNode]struct{}
	presence map[string]map[*memoryNode]struct{}
}

// NewMemoryBus returns an empty bus.
func NewMemoryBus() *MemoryBus {
	return &MemoryBus{
		subs:     make(map[string]map[*memoryNode]struct{}),
		presence: make(map[string]map[*memoryNode]struct{}),
	}
}

// NewMemoryBroker returns the single node of a fresh bus: the broker of a
// one-process deployment.
func NewMemoryBroker() Broker { return NewMemoryBus().Node() }

// Node returns a new node of the bus.
func (b *MemoryBus) Node() Broker { return &memoryNode{bus: b, running: make(chan struct{})} }

type memoryNode struct {
	bus     *MemoryBus
	running chan struct{} // closed once Run has its handler

	mu      sync.Mutex
	ran     bool
	handler BrokerHandler // set while Run runs
}

var errMemoryRunning = errors.New("realtime: memory broker: Run called twice")

func (n *memoryNode) Run(ctx context.Context, h BrokerHandler) error {
	n.mu.Lock()
	if n.ran {
		n.mu.Unlock()
		return errMemoryRunning
	}
	n.ran = true
	n.handler = h
	n.mu.Unlock()
	close(n.running)
	<-ctx.Done()
	n.mu.Lock()
	n.handler = nil
	n.mu.Unlock()
	return nil
}

func (n *memoryNode) currentHandler() BrokerHandler {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.handler
}

func (n *memoryNode) Publish(ctx context.Context, key string, payload []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n.bus.mu.RLock()
	nodes := make([]*memoryNode, 0, len(n.bus.subs[key]))
	for node := range n.bus.subs[key] {
		nodes = append(nodes, node)
	}
	n.bus.mu.RUnlock()
	// Handlers run outside the bus lock: a control event may make a hub
	// unsubscribe, which takes the lock again.
	for _, node := range nodes {
		if h := node.currentHandler(); h != nil {
			h.HandlePublication(key, payload)
		}
	}
	return nil
}

// Subscribe waits for Run, like the Redis broker: a subscription is only
// effective once publications can be handled.
func (n *memoryNode) Subscribe(ctx context.Context, key string) error {
	select {
	case <-n.running:
	case <-ctx.Done():
		return ctx.Err()
	}
	n.bus.mu.Lock()
	defer n.bus.mu.Unlock()
	set := n.bus.subs[key]
	if set == nil {
		set = make(map[*memoryNode]struct{})
		n.bus.subs[key] = set
	}
	set[n] = struct{}{}
	return nil
}

func (n *memoryNode) Unsubscribe(ctx context.Context, key string) error {
	n.bus.mu.Lock()
	defer n.bus.mu.Unlock()
	if set := n.bus.subs[key]; set != nil {
		delete(set, n)
		if len(set) == 0 {
			delete(n.bus.subs, key)
		}
	}
	return nil
}

func (n *memoryNode) Ping(ctx context.Context) error { return ctx.Err() }

func (n *memoryNode) Join(ctx context.Context, userID string) (bool, error) {
	return n.presence(ctx, userID, func(set map[*memoryNode]struct{}) bool {
		_, self := set[n]
		others := len(set)
		if self {
			others--
		}
		set[n] = struct{}{}
		return others == 0
	})
}

func (n *memoryNode) Leave(ctx context.Context, userID string) (bool, error) {
	return n.presence(ctx, userID, func(set map[*memoryNode]struct{}) bool {
		delete(set, n)
		return len(set) == 0
	})
}

// presence runs change on the set of nodes userID is present on, under
// the bus lock, unless ctx is done; an emptied set is dropped. It returns
// what change returns.
func (n *memoryNode) presence(ctx context.Context, userID string, change func(set map[*memoryNode]struct{}) bool) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	n.bus.mu.Lock()
	defer n.bus.mu.Unlock()
	set := n.bus.presence[userID]
	if set == nil {
		set = make(map[*memoryNode]struct{})
	}
	edge := change(set)
	if len(set) == 0 {
		delete(n.bus.presence, userID)
	} else {
		n.bus.presence[userID] = set
	}
	return edge, nil
}

// Heartbeat has nothing to refresh: a node of a memory bus cannot die
// without its process, and the bus dies with it.
func (n *memoryNode) Heartbeat(ctx context.Context, userIDs []string) error { return ctx.Err() }

func (n *memoryNode) Online(ctx context.Context, userIDs []string) (map[string]bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n.bus.mu.RLock()
	defer n.bus.mu.RUnlock()
	out := make(map[string]bool, len(userIDs))
	for _, u := range userIDs {
		out[u] = len(n.bus.presence[u]) > 0
	}
	return out, nil
}
