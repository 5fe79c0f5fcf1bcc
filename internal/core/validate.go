package core

import (
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ecpts/ecpts/internal/model"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Limits on user-supplied strings, in characters.
const (
	maxEmail       = 254
	maxName        = 100
	maxCommune     = 100
	maxObjectName  = 80
	maxDescription = 1000
	maxTopic       = 250
)

// normEmail validates and normalises an e-mail address.
func normEmail(field, raw string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(raw))
	if e == "" {
		return "", model.Invalid(field, "invalid_email", "L'adresse e-mail est obligatoire.")
	}
	if len(e) > maxEmail {
		return "", model.Invalid(field, "invalid_email", "L'adresse e-mail est trop longue (254 caractères au plus).")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return "", model.Invalid(field, "invalid_email", "L'adresse e-mail n'est pas valide (exemple : prenom.nom@exemple.fr).")
	}
	return e, nil
}

// text trims s and checks its length; required says whether it may be empty.
func text(field, label, raw string, required bool, max int) (string, error) {
	s := strings.TrimSpace(raw)
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
		return "", model.Invalid(field, "invalid_text", label+" contient des caractères non autorisés.")
	}
	if required && s == "" {
		return "", model.Invalid(field, "required", label+" est obligatoire.")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", model.Invalid(field, "too_long", label+" est trop long ("+strconv.Itoa(max)+" caractères au plus).")
	}
	return s, nil
}

// oneLine is text without line breaks.
func oneLine(field, label, raw string, required bool, max int) (string, error) {
	s, err := text(field, label, raw, required, max)
	if err == nil && strings.ContainsAny(s, "\n\t") {
		return "", model.Invalid(field, "invalid_text", label+" doit tenir sur une ligne.")
	}
	return s, err
}

// ProfileInput is a member's professional identity.
type ProfileInput struct {
	Name       string
	Profession model.Profession
	RPPS       string
	ADELI      string
	Commune    string
}

// validateProfile checks and normalises a profile.
func validateProfile(in ProfileInput) (ProfileInput, error) {
	var err error
	if in.Name, err = oneLine("name", "Le nom", in.Name, true, maxName); err != nil {
		return in, err
	}
	if _, ok := model.LookupProfession(in.Profession); !ok {
		return in, model.Invalid("profession", "invalid_profession", "Choisissez une profession dans la liste.")
	}
	in.RPPS = strings.ReplaceAll(strings.TrimSpace(in.RPPS), " ", "")
	in.ADELI = strings.ReplaceAll(strings.TrimSpace(in.ADELI), " ", "")
	if in.RPPS != "" && !model.ValidRPPS(in.RPPS) {
		return in, model.Invalid("rpps", "invalid_rpps", "Le numéro RPPS doit comporter 11 chiffres avec une clé de contrôle valide.")
	}
	if in.ADELI != "" && !model.ValidADELI(in.ADELI) {
		return in, model.Invalid("adeli", "invalid_adeli", "Le numéro ADELI doit comporter 9 chiffres.")
	}
	if in.Commune, err = oneLine("commune", "La commune", in.Commune, false, maxCommune); err != nil {
		return in, err
	}
	return in, nil
}

// fold lowercases and strips accents, for accent-insensitive matching.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}
