// Package cache is the cache layer over the store, in the manner of
// Mattermost's localcachelayer: each cache type wraps one store collection
// (or, for Access, the three collections of a user's memberships) with the
// methods of it that core reads most, and keeps its entries beside it.
//
//   - Users: users by id (author names under messages).
//   - Channels: channel documents by id, and the channel lists of each CPTS
//     and group.
//   - Access: each user's memberships (store.Access) and the scopes policy's
//     reach rules read from them (store.Scopes).
//   - Markers: read markers, written through; on a node alone only.
//
// The plain store types answer the same methods uncached, so core depends
// on interfaces either implements.
//
// Concurrent misses of one key share one store read (fills.go), which runs
// detached from its first caller's cancellation. Every entry has a TTL
// that bounds what a lost invalidation can leave behind.
//
// Invalidation goes through one place, Layer.Invalidate: a write names what
// it made stale (Invalidation); the layer drops it here, with the reads of
// it in flight, and announces it to the other nodes through a Bus. They
// apply it with Layer.Apply. Invalidation.MarshalBinary and UnmarshalBinary
// are its encoding on the wire.
package cache
