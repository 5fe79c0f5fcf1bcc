// Package apierr is the one table of the errors e-CPTS answers: each kind
// of error (model.ErrNotFound, model.ErrConflict…, plus a few of the HTTP
// layer's own) with its HTTP status and, for an error that says no more,
// its code and French message. Describe reads it for the REST error
// handler (server) and for WebSocket error frames (realtime) alike: a
// coded or invalid error (model.Coded, model.Invalid, model.InvalidAs)
// brings its own code and message, its kind brings the status.
//
// It imports only internal/model, so realtime, which must not import
// core, reads the same table as server.
package apierr
