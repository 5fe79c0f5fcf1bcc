package apierr

import (
	"cmp"
	"errors"
	"net/http"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/search"
)

// Errors of the HTTP layer itself, as kinds: server turns Fiber's errors
// into them.
var (
	ErrBadRequest           = errors.New("bad request")
	ErrPayloadTooLarge      = errors.New("payload too large")
	ErrMethodNotAllowed     = errors.New("method not allowed")
	ErrUnsupportedMediaType = errors.New("unsupported media type")
	ErrTimeout              = errors.New("request timeout")
)

// Kind is a row of the table.
type Kind struct {
	Err    error // the sentinel the error wraps (errors.Is) or carries as its Kind
	Status int   // the HTTP status
	// Code and Message answer an error that has none of its own (a bare
	// fmt.Errorf("…: %w", model.ErrNotFound)). Message is French.
	Code    string
	Message string
	// Frame is the wording of Message in a WebSocket error frame, where
	// every request is about one channel; empty when the same.
	Frame string
	// RetryAfter, when set, is the kind's default delay before a retry
	// (a rate limit that does not say).
	RetryAfter time.Duration
	// Log: the cause is logged (server side failures other than an
	// upstream's, which its caller reports).
	Log bool
}

// kinds is the table, in the order errors.Is tries them.
var kinds = []Kind{
	{Err: model.ErrNotFound, Status: http.StatusNotFound, Code: "not_found",
		Message: "Cet élément est introuvable.", Frame: "Ce canal est introuvable."},
	{Err: model.ErrForbidden, Status: http.StatusForbidden, Code: "forbidden",
		Message: "Vous n’avez pas les droits pour cette action.", Frame: "Action non autorisée dans ce canal."},
	{Err: model.ErrConflict, Status: http.StatusConflict, Code: "conflict",
		Message: "Cet élément existe déjà.", Frame: "Conflit avec une action concurrente, réessayez."},
	{Err: model.ErrUnauthenticated, Status: http.StatusUnauthorized, Code: "unauthenticated",
		Message: "Vous devez être connecté·e."},
	{Err: model.ErrGone, Status: http.StatusGone, Code: "gone",
		Message: "Ce contenu n’est plus disponible."},
	{Err: model.ErrTooMany, Status: http.StatusTooManyRequests, Code: "rate_limited",
		Message: "Trop de requêtes : ralentissez.", RetryAfter: time.Second},
	{Err: model.ErrUpstream, Status: http.StatusBadGateway, Code: "upstream_failed",
		Message: "Un service dont e-CPTS dépend ne répond pas : réessayez plus tard."},
	{Err: model.ErrNotConfigured, Status: http.StatusServiceUnavailable, Code: "not_configured",
		Message: "Cette fonction n’est pas configurée sur ce serveur.", Log: true},

	{Err: model.ErrTooLarge, Status: http.StatusRequestEntityTooLarge, Code: "file_too_large",
		Message: "Le fichier dépasse la taille maximale autorisée."},

	{Err: search.ErrUnavailable, Status: http.StatusServiceUnavailable, Code: "search_unavailable",
		Message:    "La recherche est momentanément indisponible. Vos messages sont bien enregistrés et seront retrouvables dès son retour.",
		RetryAfter: 5 * time.Second},

	{Err: ErrBadRequest, Status: http.StatusBadRequest, Code: "bad_request", Message: "Requête invalide."},
	{Err: ErrPayloadTooLarge, Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large",
		Message: "La requête est trop volumineuse."},
	{Err: ErrMethodNotAllowed, Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
		Message: "Méthode non autorisée pour cette adresse."},
	{Err: ErrUnsupportedMediaType, Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
		Message: "Le corps de la requête doit être du JSON (Content-Type: application/json)."},
	{Err: ErrTimeout, Status: http.StatusRequestTimeout, Code: "timeout",
		Message: "La requête a pris trop de temps."},
}

// invalid is the kind of an invalid input and of a coded error without a
// kind (model.Invalid, model.Coded(nil, …)).
var invalid = Kind{Status: http.StatusBadRequest, Code: "invalid_input",
	Message: "Requête invalide.", Frame: "Trame mal formée."}

// internal answers every error the table does not know: its cause is
// logged, never sent.
var internal = Kind{Status: http.StatusInternalServerError, Code: "internal",
	Message: "Une erreur interne est survenue. Réessayez ; si elle persiste, contactez l’administration.",
	Frame:   "Une erreur interne est survenue.", Log: true}

// Answer is what the client is told of an error.
type Answer struct {
	Status       int    // HTTP status
	Code         string // stable snake_case code
	Message      string // French, for a REST answer
	FrameMessage string // French, for a WebSocket error frame
	Field        string // the JSON field at fault, if any
	// RetryAfter: how long a rate-limited client waits (Retry-After,
	// retry_after); zero for other errors.
	RetryAfter time.Duration
	// Log: the cause must be logged (it is never sent).
	Log bool
}

// Describe tells how err is answered.
func Describe(err error) Answer {
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		return kindOf(inv.Kind).answer(inv.ErrorCode(), inv.Message, inv.Field, 0)
	}
	var coded *model.CodedError
	if errors.As(err, &coded) {
		return kindOf(coded.Kind).answer(coded.Code, coded.Message, "", coded.RetryAfter)
	}
	for i := range kinds {
		if errors.Is(err, kinds[i].Err) {
			return kinds[i].answer("", "", "", 0)
		}
	}
	return internal.answer("", "", "", 0)
}

// kindOf finds the row of a coded or invalid error's kind.
func kindOf(kind error) *Kind {
	if kind != nil {
		for i := range kinds {
			if errors.Is(kind, kinds[i].Err) {
				return &kinds[i]
			}
		}
	}
	return &invalid
}

func (k *Kind) answer(code, message, field string, retry time.Duration) Answer {
	a := Answer{Status: k.Status, Code: cmp.Or(code, k.Code), Message: message, FrameMessage: message, Field: field, Log: k.Log}
	if message == "" {
		a.Message, a.FrameMessage = k.Message, cmp.Or(k.Frame, k.Message)
	}
	if k.RetryAfter > 0 {
		a.RetryAfter = cmp.Or(retry, k.RetryAfter)
	}
	return a
}
