package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"strconv"

	"github.com/ecpts/ecpts/internal/apierr"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/gofiber/fiber/v2"
)

// apiError is the body of every error answer:
// {"error":{"code":"snake_case","message":"Texte en français","field":"x"}}.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// errorBody is the whole error answer (openapi.json's Error).
type errorBody struct {
	Error apiError `json:"error"`
}

// Errors of the HTTP layer itself.
var (
	errUnauthenticated = model.Coded(model.ErrUnauthenticated, "unauthenticated", "Vous devez être connecté·e.")
	errCSRF            = model.Coded(model.ErrForbidden, "csrf_failed", "Jeton de sécurité (CSRF) manquant ou invalide : rechargez la page.")
	errOrigin          = model.Coded(model.ErrForbidden, "origin_forbidden", "Requête refusée : origine non autorisée.")
	errNotFoundRoute   = model.Coded(model.ErrNotFound, "not_found", "Cette adresse n’existe pas.")
	errBadID           = model.Coded(model.ErrNotFound, "not_found", "Cet élément est introuvable.")
)

// fiberErrors are the kinds of the errors Fiber itself returns, by status.
// Other statuses below 500 answer bad_request with their own status; 5xx
// are internal.
var fiberErrors = map[int]error{
	fiber.StatusNotFound:              errNotFoundRoute,
	fiber.StatusRequestEntityTooLarge: apierr.ErrPayloadTooLarge,
	fiber.StatusMethodNotAllowed:      apierr.ErrMethodNotAllowed,
	fiber.StatusUnsupportedMediaType:  apierr.ErrUnsupportedMediaType,
	fiber.StatusRequestTimeout:        apierr.ErrTimeout,
}

// describe is apierr.Describe, with Fiber's own errors translated first.
// Causes of 5xx are never put in the body.
func describe(err error) apierr.Answer {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		if fe.Code == fiber.StatusRequestHeaderFieldsTooLarge {
			// The request line and headers exceed ReadBufferSize: most
			// often a search of several thousand characters.
			a := apierr.Describe(apierr.ErrBadRequest)
			a.Status, a.Code, a.Message = fe.Code, "request_too_long", "Cette requête est trop longue (adresse ou en-têtes) : raccourcissez-la, par exemple votre recherche."
			return a
		}
		if kind, ok := fiberErrors[fe.Code]; ok {
			return apierr.Describe(kind)
		}
		if fe.Code < fiber.StatusInternalServerError {
			a := apierr.Describe(apierr.ErrBadRequest)
			a.Status = fe.Code
			return a
		}
	}
	return apierr.Describe(err)
}

// errorHandler is fiber.Config.ErrorHandler: the one place errors become
// answers. 5xx causes are logged once, here, with the request id.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		a := describe(err)
		if a.Log {
			log.Error("request failed", "method", c.Method(), "route", c.Route().Path, "request_id", requestID(c), "err", err)
		}
		if a.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(a.RetryAfter.Seconds()))))
		}
		b, _ := json.Marshal(errorBody{apiError{Code: a.Code, Message: a.Message, Field: a.Field}})
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		return c.Status(a.Status).Send(b)
	}
}
