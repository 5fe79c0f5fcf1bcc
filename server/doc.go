// Package server is the HTTP edge of e-CPTS on Fiber: routes, thin
// handlers, the session / CSRF / Origin middleware, the one error handler,
// health and metrics endpoints and the embedded web app.
//
// Handlers parse, take the caller from the session (never from the body),
// call one core method and write its result. Values taken from a
// *fiber.Ctx point into buffers Fiber reuses: they are copied
// (strings.Clone) before anything outlives the request.
package server
