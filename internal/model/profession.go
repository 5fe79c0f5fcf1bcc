package model

import (
	"slices"
	"strings"
)

// Profession of a member, from the list of PRODUCT.md §1.
type Profession string

// ProfessionInfo describes a profession: its French labels and the plural
// used in @mentions (@pharmaciens). Label is the inclusive form, for lists
// of people and of professions; Feminine and Masculine name one person who
// chose that form (TitleForm).
type ProfessionInfo struct {
	Code      Profession `json:"code"`
	Label     string     `json:"label"`
	Feminine  string     `json:"label_feminine"`
	Masculine string     `json:"label_masculine"`
	Mention   string     `json:"mention"`
	// Health reports a health profession (RPPS or ADELI expected).
	Health bool `json:"health"`
}

// Professions in display order.
var Professions = []ProfessionInfo{
	{"medecin_generaliste", "Médecin généraliste", "Médecin généraliste", "Médecin généraliste", "medecins", true},
	{"medecin_specialiste", "Médecin spécialiste", "Médecin spécialiste", "Médecin spécialiste", "specialistes", true},
	{"infirmier", "Infirmier·ère", "Infirmière", "Infirmier", "infirmiers", true},
	{"pharmacien", "Pharmacien·ne", "Pharmacienne", "Pharmacien", "pharmaciens", true},
	{"masseur_kinesitherapeute", "Masseur-kinésithérapeute", "Masseuse-kinésithérapeute", "Masseur-kinésithérapeute", "kines", true},
	{"sage_femme", "Sage-femme", "Sage-femme", "Sage-femme", "sages-femmes", true},
	{"chirurgien_dentiste", "Chirurgien-dentiste", "Chirurgienne-dentiste", "Chirurgien-dentiste", "dentistes", true},
	{"orthophoniste", "Orthophoniste", "Orthophoniste", "Orthophoniste", "orthophonistes", true},
	{"pedicure_podologue", "Pédicure-podologue", "Pédicure-podologue", "Pédicure-podologue", "podologues", true},
	{"orthoptiste", "Orthoptiste", "Orthoptiste", "Orthoptiste", "orthoptistes", true},
	{"psychologue", "Psychologue", "Psychologue", "Psychologue", "psychologues", true},
	{"dieteticien", "Diététicien·ne", "Diététicienne", "Diététicien", "dieteticiens", true},
	{"travailleur_social", "Travailleur·se social·e", "Travailleuse sociale", "Travailleur social", "travailleurs-sociaux", false},
	{"medico_social", "Professionnel·le du médico-social (SSIAD, EHPAD…)", "Professionnelle du médico-social", "Professionnel du médico-social", "medico-social", false},
	{"coordination", "Coordination de CPTS / d'équipe", "Coordinatrice", "Coordinateur", "coordination", false},
	{"autre", "Autre", "Autre", "Autre", "autres", false},
}

// TitleForm is the form a person chose for their profession and role
// titles: "feminin" (infirmière, coordinatrice), "masculin" (infirmier,
// coordinateur) or "inclusif" (infirmier·ère, coordinateur·rice), the
// default when none was chosen.
type TitleForm string

const (
	TitleInclusive TitleForm = "inclusif"
	TitleFeminine  TitleForm = "feminin"
	TitleMasculine TitleForm = "masculin"
)

// Valid reports a known form; the empty form (not chosen) is valid.
func (f TitleForm) Valid() bool {
	return f == "" || f == TitleInclusive || f == TitleFeminine || f == TitleMasculine
}

// LabelFor is the label of p naming one person who chose form f: the
// feminine or masculine form, or the inclusive one (the list form) when
// they chose none. Unknown codes read as themselves.
func (p Profession) LabelFor(f TitleForm) string {
	info, ok := LookupProfession(p)
	if !ok {
		return string(p)
	}
	switch f {
	case TitleFeminine:
		return info.Feminine
	case TitleMasculine:
		return info.Masculine
	}
	return info.Label
}

// roleLabels: inclusive (lists), feminine, masculine.
var roleLabels = map[Role][3]string{
	RoleCoordinateur: {"Coordinateur·rice", "Coordinatrice", "Coordinateur"},
	RoleMembre:       {"Membre", "Membre", "Membre"},
	RolePartenaire:   {"Partenaire", "Partenaire", "Partenaire"},
}

// Roles lists the three roles, in display order.
var Roles = []Role{RoleCoordinateur, RoleMembre, RolePartenaire}

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Label is the inclusive label of a role, for lists.
func (r Role) Label() string { return r.LabelFor(TitleInclusive) }

// LabelFor is the label of role r for one person who chose form f.
func (r Role) LabelFor(f TitleForm) string {
	l, ok := roleLabels[r]
	if !ok {
		return string(r)
	}
	switch f {
	case TitleFeminine:
		return l[1]
	case TitleMasculine:
		return l[2]
	}
	return l[0]
}

// LookupProfession returns the info of a profession code.
func LookupProfession(p Profession) (ProfessionInfo, bool) {
	for _, x := range Professions {
		if x.Code == p {
			return x, true
		}
	}
	return ProfessionInfo{}, false
}

// Label returns the French label of p, or the code when unknown.
func (p Profession) Label() string {
	if info, ok := LookupProfession(p); ok {
		return info.Label
	}
	return string(p)
}

// ValidRPPS reports whether s is an RPPS number: 11 digits whose last is a
// Luhn check digit over the first ten.
func ValidRPPS(s string) bool {
	if len(s) != 11 || strings.Trim(s, "0123456789") != "" {
		return false
	}
	return luhnValid(s)
}

// ValidADELI reports whether s is an ADELI number: 9 digits.
func ValidADELI(s string) bool {
	return len(s) == 9 && strings.Trim(s, "0123456789") == ""
}

func luhnValid(s string) bool {
	sum := 0
	double := false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// RPPSWithCheckDigit completes a 10-digit prefix with its Luhn check digit.
// Demo data and tests use it to build valid fictional numbers.
func RPPSWithCheckDigit(prefix10 string) string {
	for d := byte('0'); d <= '9'; d++ {
		s := prefix10 + string(d)
		if luhnValid(s) {
			return s
		}
	}
	return ""
}
