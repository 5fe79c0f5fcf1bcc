// Package ratelimit counts failures (failed password checks) per key and
// says how long a key must wait before its next try. Memory serves one
// node; Redis shares the counts between nodes. Both implement Limiter,
// read the same injected clock and pass the same suite (ratelimittest).
//
// A key never locks: its first Rule.Free failures cost nothing, then each
// further try waits a delay that doubles with every failure (Base, 2×Base,
// 4×Base… at most Max), counted from the key's last failure. Failures are
// forgotten one by one, one every Rule.Leak, so that a few failures now and
// then (typos behind one shared address) never add up to a delay, while a
// guesser's do; Reset (after a success) forgets them all at once.
//
// Keys are the caller's business ("login:pair:<hash>:<addr>"): limiters
// never log them, and Redis stores only their SHA-256.
//
// RedisBucket (bucket.go) is another thing: a token bucket per key that
// bounds how fast a user may act through all nodes.
package ratelimit
