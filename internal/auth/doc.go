// Package auth holds the cryptographic building blocks of authentication:
// argon2id password hashes in the PHC string format, the password policy,
// and random tokens (sessions, CSRF, invitations) stored only as their
// SHA-256. It keeps no state besides a bound on concurrent hashes and does
// no I/O; core decides when to call it.
package auth
