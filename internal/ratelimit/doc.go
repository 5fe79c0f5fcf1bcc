// Package ratelimit counts failures (failed logins) per key in fixed
// windows and says when a key must wait. Memory serves one node; Redis
// shares the counts between nodes. Both implement Limiter and pass the same
// suite (ratelimittest).
//
// A window opens at a key's first failure and lasts Rule.Window; once Max
// failures are counted in it, Allow refuses until it closes. Later failures
// do not extend it, so a locked-out user knows when to come back; Reset
// (after a success) closes it at once.
//
// Keys are the caller's business ("login:acct:<hash>", "login:ip:<addr>"):
// limiters never log them, and Redis stores only their SHA-256.
package ratelimit
