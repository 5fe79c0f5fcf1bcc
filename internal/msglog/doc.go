// Package msglog is the message log of every channel: it gives each new
// message the channel's next sequence number, stores it through a group
// commit, keeps the channel's recent messages in a window (in memory on a
// single node, shared through Redis with several), and serves them back:
// one message, a history page, the backlog of a resume, the last seq.
// It also runs the read-modify-write of a stored message (edits,
// deletions, reactions, a thread root's counters) under the channel's
// write locks.
//
// It decides nothing about who may read or write: core authorises, then
// calls the log. Messages come in and go out plain; the Codec seals what
// the store and the shared window hold (a direct conversation's content).
//
// Concurrency: a *Log is safe for concurrent use. Each channel has a lock
// on this node (chanState.mu) that serialises its sequence assignment and
// its read-modify-writes; with several nodes the shared window's channel
// lock serialises those across nodes, always taken after the local one.
// Run owns the one committer goroutine; without Run each sender stores its
// own message under the channel's lock.
package msglog
