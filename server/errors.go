package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"strconv"

	"github.com/ecpts/ecpts/internal/core"
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

// Errors of the HTTP layer itself.
var (
	errUnauthenticated = model.Coded(model.ErrUnauthenticated, "unauthenticated", "Vous devez être connecté·e.")
	errCSRF            = model.Coded(model.ErrForbidden, "csrf_failed", "Jeton de sécurité (CSRF) manquant ou invalide : rechargez la page.")
	errOrigin          = model.Coded(model.ErrForbidden, "origin_forbidden", "Requête refusée : origine non autorisée.")
	errNotFoundRoute   = model.Coded(model.ErrNotFound, "not_found", "Cette adresse n'existe pas.")
	errBadID           = model.Coded(model.ErrNotFound, "not_found", "Cet élément est introuvable.")
)

// apiErrorFor maps any error to a status and a public body. Causes of 5xx
// are never put in the body.
func apiErrorFor(err error) (int, apiError, *model.CodedError) {
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		status := fiber.StatusBadRequest
		if inv.Code == "name_taken" || inv.Code == "email_taken" || inv.Code == "already_member" {
			status = fiber.StatusConflict
		}
		return status, apiError{Code: inv.ErrorCode(), Message: inv.Message, Field: inv.Field}, nil
	}
	var coded *model.CodedError
	if errors.As(err, &coded) {
		return statusOfKind(coded.Kind), apiError{Code: coded.Code, Message: coded.Message}, coded
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusRequestEntityTooLarge:
			return fe.Code, apiError{Code: "payload_too_large", Message: "La requête est trop volumineuse."}, nil
		case fiber.StatusNotFound:
			return fe.Code, apiError{Code: "not_found", Message: "Cette adresse n'existe pas."}, nil
		case fiber.StatusMethodNotAllowed:
			return fe.Code, apiError{Code: "method_not_allowed", Message: "Méthode non autorisée pour cette adresse."}, nil
		case fiber.StatusUnsupportedMediaType:
			return fe.Code, apiError{Code: "unsupported_media_type", Message: "Le corps de la requête doit être du JSON (Content-Type: application/json)."}, nil
		case fiber.StatusRequestTimeout:
			return fe.Code, apiError{Code: "timeout", Message: "La requête a pris trop de temps."}, nil
		}
		if fe.Code < 500 {
			return fe.Code, apiError{Code: "bad_request", Message: "Requête invalide."}, nil
		}
	}
	switch {
	case errors.Is(err, model.ErrNotFound):
		return fiber.StatusNotFound, apiError{Code: "not_found", Message: "Cet élément est introuvable."}, nil
	case errors.Is(err, model.ErrForbidden):
		return fiber.StatusForbidden, apiError{Code: "forbidden", Message: "Vous n'avez pas les droits pour cette action."}, nil
	case errors.Is(err, model.ErrConflict):
		return fiber.StatusConflict, apiError{Code: "conflict", Message: "Cet élément existe déjà."}, nil
	case errors.Is(err, model.ErrUnauthenticated):
		return fiber.StatusUnauthorized, apiError{Code: "unauthenticated", Message: "Vous devez être connecté·e."}, nil
	}
	return fiber.StatusInternalServerError, apiError{Code: "internal", Message: "Une erreur interne est survenue. Réessayez ; si elle persiste, contactez l'administration."}, nil
}

func statusOfKind(kind error) int {
	switch {
	case kind == nil:
		return fiber.StatusBadRequest
	case errors.Is(kind, model.ErrNotFound):
		return fiber.StatusNotFound
	case errors.Is(kind, model.ErrForbidden):
		return fiber.StatusForbidden
	case errors.Is(kind, model.ErrConflict):
		return fiber.StatusConflict
	case errors.Is(kind, model.ErrUnauthenticated):
		return fiber.StatusUnauthorized
	case errors.Is(kind, model.ErrGone):
		return fiber.StatusGone
	case errors.Is(kind, model.ErrTooMany):
		return fiber.StatusTooManyRequests
	case errors.Is(kind, core.ErrUpstream):
		return fiber.StatusBadGateway
	case errors.Is(kind, core.ErrNotConfigured):
		return fiber.StatusServiceUnavailable
	}
	return fiber.StatusBadRequest
}

// errorHandler is fiber.Config.ErrorHandler: the one place errors become
// answers. 5xx causes are logged once, here, with the request id.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		status, body, coded := apiErrorFor(err)
		if status >= fiber.StatusInternalServerError && status != fiber.StatusBadGateway {
			log.Error("request failed", "method", c.Method(), "route", c.Route().Path, "request_id", requestID(c), "err", err)
		}
		if coded != nil && coded.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(coded.RetryAfter.Seconds()))))
		}
		b, _ := json.Marshal(map[string]apiError{"error": body})
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		return c.Status(status).Send(b)
	}
}
