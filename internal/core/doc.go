// Package core holds the use cases of e-CPTS (log in, invite, validate a
// member, create a channel…). Every use case takes the caller's
// model.Session, loads the caller as an Actor, asks policy.go — and only
// policy.go — whether the action is allowed, validates its input, writes
// through internal/store and only then tells the outside world (mailer,
// Publisher).
//
// Core never imports server, realtime or Fiber. What it needs from above it
// declares as small interfaces (Publisher) that cmd/ecpts plugs in.
//
// Concurrency: a *Core is safe for concurrent use; it holds no per-request
// state.
package core
