// Package server is the HTTP edge of e-CPTS on Fiber: routes, thin
// handlers, the session / CSRF / Origin middleware, the one error handler,
// health and metrics endpoints and the embedded web app.
//
// Every API route is a line of the table in routes.go, its handler a
// method in the file of its resource (cpts.go, channels.go…) with the
// signature of call: it gets the session, the path ids already checked
// and copied (params) and the decoded body (payload.go), calls one core
// method and returns its result; handle, the one generic helper, does
// the rest. The caller comes from the session, never from the body.
// Values taken from a *fiber.Ctx point into buffers Fiber reuses: they
// are copied (strings.Clone) before anything outlives the request.
//
// Errors become answers in one place (errors.go), through the error table
// of internal/apierr. openapi.json is derived from the route table and
// the Go types (schema.go); a test keeps it in step, and checks every
// answer the tests get against it (conform_test.go).
package server
