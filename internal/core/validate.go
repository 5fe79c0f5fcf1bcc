package core

import (
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ecpts/ecpts/internal/model"
	"golang.org/x/text/cases"
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
		return "", model.Invalid(field, "invalid_email", "L’adresse e-mail est trop longue (254 caractères au plus).")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return "", model.Invalid(field, "invalid_email", "L’adresse e-mail n’est pas valide (exemple : prenom.nom@exemple.fr).")
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
	if in.Name, err = cleanName("name", "Le nom", in.Name, true, maxName); err != nil {
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
	if in.Commune, err = cleanName("commune", "La commune", in.Commune, false, maxCommune); err != nil {
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

// sortFolded sorts xs by name with accents and case folded, computing
// each key once (folding is far dearer than comparing).
func sortFolded[T any](xs []T, name func(T) string) {
	type keyed struct {
		key string
		v   T
	}
	ks := make([]keyed, len(xs))
	for i, x := range xs {
		ks[i] = keyed{fold(name(x)), x}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	for i := range ks {
		xs[i] = ks[i].v
	}
}

// cleanName is the one check of every name a person types and others read
// as an identity: display names, communes, names of channels, groups and
// CPTS. It normalises to NFC, trims, turns every run of spaces (U+00A0 and
// the other Zs included) into one ASCII space, and refuses what can make
// two names look alike or disguise one: control, format (U+200B–U+200F,
// the bidi overrides U+202A–U+202E and isolates U+2066–U+2069, U+FEFF,
// the soft hyphen…), private-use, surrogate and unassigned code points,
// line and paragraph separators, default-ignorable fillers (U+3164,
// U+115F, U+FFA0, U+034F…), variation selectors, and a word mixing Latin
// and Cyrillic letters ("Clаire" with a Cyrillic "а"). A name must hold a
// letter or a digit.
func cleanName(field, label, raw string, required bool, max int) (string, error) {
	if !utf8.ValidString(raw) {
		return "", model.Invalid(field, "invalid_characters", label+" contient des caractères non valides.")
	}
	s := norm.NFC.String(strings.TrimSpace(raw))
	var b strings.Builder
	b.Grow(len(s))
	space, visible := false, false
	for _, r := range s {
		if hiddenRune(r) {
			return "", model.Invalid(field, "invalid_characters", fmt.Sprintf(
				"%s contient un caractère invisible, de contrôle ou de mise en forme (U+%04X) : retirez-le (il peut venir d’un copier-coller ou d’un émoji composé).", label, r))
		}
		if unicode.Is(unicode.Zs, r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		visible = visible || unicode.IsLetter(r) || unicode.IsNumber(r)
		b.WriteRune(r)
	}
	s = b.String()
	if s == "" {
		if required {
			return "", model.Invalid(field, "required", label+" est obligatoire.")
		}
		return "", nil
	}
	if !visible {
		return "", model.Invalid(field, "invalid_characters", label+" doit contenir au moins une lettre ou un chiffre.")
	}
	if r, ok := mixedScripts(s); ok {
		return "", model.Invalid(field, "mixed_scripts", fmt.Sprintf(
			"%s mêle des lettres latines et cyrilliques dans un même mot (« %c », U+%04X) : retapez-le au clavier.", label, r, r))
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", model.Invalid(field, "too_long", label+" est trop long ("+strconv.Itoa(max)+" caractères au plus).")
	}
	return s, nil
}

// hiddenRune reports a code point a name may not hold: one that shows
// nothing, reorders or reshapes its neighbours, or means nothing yet.
func hiddenRune(r rune) bool {
	switch {
	case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Zl, unicode.Zp,
		unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector, unicode.Noncharacter_Code_Point):
		return true
	case r == '\u2800':
		// BRAILLE PATTERN BLANK: a letter-width blank in the So category,
		// which no property table singles out.
		return true
	}
	// Unassigned (Cn): in none of the assigned categories.
	return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C)
}

// mixedScripts finds, in a word (a run of letters and marks), a letter
// whose script differs from the word's first letter where one is Latin and
// the other Cyrillic: the pair whose look-alikes (а/a, е/e, о/o, р/p, с/c…)
// no reader tells apart. Greek is left alone: medical names mix it with
// Latin ("βhCG").
func mixedScripts(s string) (rune, bool) {
	var first *unicode.RangeTable
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsMark(r) {
			first = nil
			continue
		}
		var script *unicode.RangeTable
		switch {
		case unicode.Is(unicode.Latin, r):
			script = unicode.Latin
		case unicode.Is(unicode.Cyrillic, r):
			script = unicode.Cyrillic
		default:
			continue
		}
		if first == nil {
			first = script
		} else if script != first {
			return r, true
		}
	}
	return 0, false
}

// foldCase is Unicode full case folding ("ß" and "SS" fold alike).
var foldCase = cases.Fold()

// nameKey is what duplicate names are compared by: compatibility forms
// decomposed ("ﬁ" is "fi", a full-width "Ｇ" a "G"), accents dropped, case
// folded, invisible code points dropped (names stored before cleanName),
// and every run of spaces, hyphens and underscores one "-", as in a slug.
// "Général", "general", "ge\u0301ne\u0301ral" and "général\u200b" share a
// key, as do "soins non programmés" and "Soins-non-programmes".
func nameKey(s string) string {
	s = norm.NFKD.String(foldCase.String(norm.NFKD.String(s)))
	var b strings.Builder
	b.Grow(len(s))
	sep := false
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || hiddenRune(r):
			continue
		case unicode.IsSpace(r) || r == '_' || unicode.Is(unicode.Pd, r):
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		b.WriteRune(r)
	}
	return b.String()
}

// Refusals of a name that reads like another's (see nameKey): new values
// each time, as callers may set Field.
func errChannelNameTaken() error {
	return model.InvalidAs(model.ErrConflict, "name", "name_taken", "Un canal porte déjà ce nom ici (majuscules, accents, espaces et tirets mis à part) : choisissez-en un autre.")
}

func errGroupNameTaken() error {
	return model.InvalidAs(model.ErrConflict, "name", "name_taken", "Un groupe de cette CPTS porte déjà ce nom (majuscules, accents, espaces et tirets mis à part) : choisissez-en un autre.")
}

func errCPTSNameTaken() error {
	return model.InvalidAs(model.ErrConflict, "name", "name_taken", "Une CPTS porte déjà ce nom (majuscules, accents, espaces et tirets mis à part).")
}

func errColleagueName() error {
	return model.InvalidAs(model.ErrConflict, "name", "name_taken", "Un·e membre de votre CPTS porte déjà ce nom : ajoutez un deuxième prénom ou une initiale pour qu’on ne vous confonde pas.")
}

// nameTaken reports whether one of xs other than self reads as name.
func nameTaken[T any, I comparable](xs []T, name string, self I, of func(T) (I, string)) bool {
	key := nameKey(name)
	for _, x := range xs {
		if id, n := of(x); id != self && nameKey(n) == key {
			return true
		}
	}
	return false
}
