// Package core holds the use cases of e-CPTS (log in, invite, validate a
// member, create a channel…). Every use case takes the caller's
// model.Session, loads the caller as an Actor, asks policy.go — and only
// policy.go — whether the action is allowed, validates its input, writes
// through internal/store and only then tells the outside world (mailer,
// Publisher).
//
// The reads core makes most go through the store's cache layer
// (internal/store/cache), behind small interfaces the plain store
// implements too (cached.go); after a write core names what it made stale
// in one call (invalidate, accessChanged, channelChanged). The flood
// guards are internal/ratelimit's; core only holds them (limits.go).
//
// Core never imports server, realtime or Fiber. What it needs from above it
// declares as small interfaces (Publisher) that cmd/ecpts plugs in.
//
// Concurrency: a *Core is safe for concurrent use; it holds no per-request
// state.
package core
