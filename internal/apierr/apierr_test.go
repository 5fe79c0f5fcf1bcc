package apierr_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/apierr"
	"github.com/ecpts/ecpts/internal/model"
)

// TestDescribe: the status comes from the error's kind, the code and
// message from the error when it has them, else from the table.
func TestDescribe(t *testing.T) {
	tooMany := model.Coded(model.ErrTooMany, "too_many_attempts", "Réessayez dans 2 minutes.")
	tooMany.RetryAfter = 90 * time.Second
	for _, c := range []struct {
		name        string
		err         error
		status      int
		code, field string
		message     string
		frame       string
		retry       time.Duration
		log         bool
	}{
		{"invalid", model.Invalid("email", "invalid_email", "Adresse invalide."), 400, "invalid_email", "email", "Adresse invalide.", "Adresse invalide.", 0, false},
		{"invalid without code", &model.InvalidError{Message: "Non."}, 400, "invalid_input", "", "Non.", "Non.", 0, false},
		{"name taken", fmt.Errorf("core: %w", model.InvalidAs(model.ErrConflict, "name", "name_taken", "Déjà pris.")), 409, "name_taken", "name", "Déjà pris.", "Déjà pris.", 0, false},
		{"coded forbidden", model.Coded(model.ErrForbidden, "read_only", "Lecture seule."), 403, "read_only", "", "Lecture seule.", "Lecture seule.", 0, false},
		{"coded without kind", model.Coded(nil, "too_far_behind", "Trop loin."), 400, "too_far_behind", "", "Trop loin.", "Trop loin.", 0, false},
		{"coded gone", model.Coded(model.ErrGone, "invitation_used", "Utilisée."), 410, "invitation_used", "", "Utilisée.", "Utilisée.", 0, false},
		{"coded rate limit", fmt.Errorf("core: %w", tooMany), 429, "too_many_attempts", "", "Réessayez dans 2 minutes.", "Réessayez dans 2 minutes.", 90 * time.Second, false},
		{"rate limit without delay", model.Coded(model.ErrTooMany, "rate_limited", "Patientez."), 429, "rate_limited", "", "Patientez.", "Patientez.", time.Second, false},
		{"coded upstream", model.Coded(model.ErrUpstream, "mail_failed", "Courriel non parti."), 502, "mail_failed", "", "Courriel non parti.", "Courriel non parti.", 0, false},
		{"coded not configured", model.Coded(model.ErrNotConfigured, "public_url_missing", "Pas d'adresse."), 503, "public_url_missing", "", "Pas d'adresse.", "Pas d'adresse.", 0, true},
		{"bare not found", fmt.Errorf("store: channel x: %w", model.ErrNotFound), 404, "not_found", "", "Cet élément est introuvable.", "Ce canal est introuvable.", 0, false},
		{"bare forbidden", model.ErrForbidden, 403, "forbidden", "", "Vous n’avez pas les droits pour cette action.", "Action non autorisée dans ce canal.", 0, false},
		{"bare conflict", model.ErrConflict, 409, "conflict", "", "Cet élément existe déjà.", "Conflit avec une action concurrente, réessayez.", 0, false},
		{"bare unauthenticated", model.ErrUnauthenticated, 401, "unauthenticated", "", "Vous devez être connecté·e.", "Vous devez être connecté·e.", 0, false},
		{"bare gone", model.ErrGone, 410, "gone", "", "Ce contenu n’est plus disponible.", "Ce contenu n’est plus disponible.", 0, false},
		{"bare rate limit", fmt.Errorf("x: %w", model.ErrTooMany), 429, "rate_limited", "", "Trop de requêtes : ralentissez.", "Trop de requêtes : ralentissez.", time.Second, false},
		{"payload too large", apierr.ErrPayloadTooLarge, 413, "payload_too_large", "", "La requête est trop volumineuse.", "La requête est trop volumineuse.", 0, false},
		{"unknown", errors.New("store: connection refused to 10.0.0.3"), 500, "internal", "",
			"Une erreur interne est survenue. Réessayez ; si elle persiste, contactez l’administration.", "Une erreur interne est survenue.", 0, true},
	} {
		a := apierr.Describe(c.err)
		want := apierr.Answer{Status: c.status, Code: c.code, Message: c.message, FrameMessage: c.frame, Field: c.field, RetryAfter: c.retry, Log: c.log}
		if a != want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, a, want)
		}
	}
}

// TestInvalidKindIsNotWrapped: an invalid input of kind ErrConflict is not
// a conflict for errors.Is (core's "taken by a concurrent insert" checks).
func TestInvalidKindIsNotWrapped(t *testing.T) {
	if errors.Is(model.InvalidAs(model.ErrConflict, "name", "name_taken", "x"), model.ErrConflict) {
		t.Fatal("errors.Is sees the kind of an invalid error")
	}
}
