package auth

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ecpts/ecpts/internal/model"
)

// Password policy bounds. Length matters far more than composition (NIST SP
// 800-63B): 10 characters is the floor, the composition rule is kept light,
// and the byte cap only stops absurd inputs (argon2 accepts any length).
const (
	MinPasswordRunes = 10
	MaxPasswordBytes = 256
)

// CheckPasswordPolicy returns nil when password is acceptable for the
// account with this e-mail address and display name, or an
// *model.InvalidError{Field: "password", Code: "weak_password"} whose French
// message says what is required. It checks, in order: at least 10
// characters; at most 256 bytes; valid UTF-8 without control characters; at
// least one letter and one digit or symbol; not containing the e-mail's
// local part or a word of the name (4 characters or more, compared without
// case, accents kept, punctuation ignored); not a very common password,
// even dressed up with capitals, digits, symbols or leetspeak
// ("P@ssw0rd2024!").
func CheckPasswordPolicy(password, email, name string) error {
	weak := func(msg string) error { return model.Invalid("password", "weak_password", msg) }

	if utf8.RuneCountInString(password) < MinPasswordRunes {
		return weak("Le mot de passe doit comporter au moins 10 caractères.")
	}
	if len(password) > MaxPasswordBytes {
		return weak("Le mot de passe doit comporter au plus 256 octets (environ 250 caractères ; une lettre accentuée compte pour deux).")
	}
	if !utf8.ValidString(password) || strings.ContainsFunc(password, unicode.IsControl) {
		return weak("Le mot de passe ne doit contenir que des lettres, chiffres, espaces et symboles imprimables.")
	}
	hasLetter, hasOther := false, false
	for _, r := range password {
		switch {
		case unicode.IsLetter(r):
			hasLetter = true
		case unicode.IsNumber(r) || unicode.IsPunct(r) || unicode.IsSymbol(r):
			hasOther = true
		}
	}
	if !hasLetter || !hasOther {
		return weak("Le mot de passe doit contenir au moins une lettre et au moins un chiffre ou un symbole (par exemple - _ ! ? 7).")
	}

	flat := alnum(password)
	local, _, _ := strings.Cut(email, "@")
	if l := alnum(local); utf8.RuneCountInString(l) >= 4 && strings.Contains(flat, l) {
		return weak("Le mot de passe ne doit pas contenir votre adresse e-mail ni sa partie avant le @.")
	}
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }) {
		if w = strings.ToLower(w); utf8.RuneCountInString(w) >= 4 && strings.Contains(flat, w) {
			return weak("Le mot de passe ne doit pas contenir votre nom ni votre prénom.")
		}
	}

	if isCommon(password) {
		return weak("Ce mot de passe est trop courant : choisissez-en un autre, par exemple une phrase de plusieurs mots.")
	}
	return nil
}

// alnum lowercases s and keeps only its letters and digits, so that
// "Jean.Dupont" and "jean-dupont" compare equal.
func alnum(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// leet undoes the usual substitutions before the common-password lookup.
var leet = strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "@", "a", "$", "s", "€", "e")

// isCommon reports whether password is, or reduces to, a very common
// password. Reductions: lowercase; keep only the letters (drops the "123",
// "!" or "2024" people add); or trim what is not a letter at both ends, undo
// leetspeak inside, then keep only the letters ("p@ssw0rd2024!" → password).
func isCommon(password string) bool {
	lower := strings.ToLower(password)
	core := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	for _, candidate := range []string{
		lower,
		letters(lower),
		letters(leet.Replace(core)),
		letters(leet.Replace(strings.ReplaceAll(core, "1", "l"))), // "1" stands for "i" or "l"
	} {
		if _, ok := commonPasswords[candidate]; ok {
			return true
		}
	}
	return false
}

func letters(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) {
			return r
		}
		return -1
	}, s)
}

// commonPasswords: the head of public leak statistics (French and English
// lists), plus words a health professional would reach for first. Kept
// short on purpose: it catches the first guesses of an online attacker;
// the length rule and the rate limiter do the rest.
var commonPasswords = toSet(
	// Leaked-password tops, letters only (digits and symbols are stripped before lookup).
	"password", "passwort", "motdepasse", "mdp", "azerty", "azertyuiop", "azertyui", "qwerty", "qwertyuiop",
	"qwertz", "wxcvbn", "aqwzsx", "abc", "abcd", "abcdef", "abcdefgh", "abcdefghij", "aaaaaa", "aaaaaaaaaa",
	"iloveyou", "jetaime", "soleil", "bonjour", "doudou", "chouchou", "loulou", "marseille", "paris",
	"princesse", "chocolat", "nicolas", "camille", "thomas", "julien", "dragon", "monkey", "sunshine",
	"master", "secret", "letmein", "welcome", "bienvenue", "football", "admin", "administrateur",
	"administrator", "root", "toor", "changeme", "changezmoi", "test", "testtest", "utilisateur", "user",
	"superman", "batman", "pokemon", "starwars", "liberte", "france", "allez", "olympique", "coucou",
	"doudoune", "amour", "famille", "maison", "vacances", "hello", "salut", "qwe", "asdf", "zxcvbn",
	// Domain words.
	"medecin", "docteur", "pharmacie", "pharmacien", "pharmacienne", "infirmier", "infirmiere", "infirmière",
	"kine", "kinesitherapeute", "sagefemme", "orthophoniste", "sante", "santé", "cpts", "ecpts", "hopital",
	"hôpital", "cabinet", "patient", "patients", "ordonnance", "vaccin", "coordination", "coordinatrice",
	"coordinateur",
	// Full strings that the letters-only reduction would not catch.
	"123456789a", "a123456789", "1234567890a", "0123456789a",
)

func toSet(words ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(words))
	for _, w := range words {
		m[w] = struct{}{}
	}
	return m
}
