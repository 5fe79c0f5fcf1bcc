package model

import "strings"

// Profession of a member, from the list of PRODUCT.md §1.
type Profession string

// ProfessionInfo describes a profession: its French label and the plural
// used in @mentions (@pharmaciens).
type ProfessionInfo struct {
	Code    Profession `json:"code"`
	Label   string     `json:"label"`
	Mention string     `json:"mention"`
	// Health reports a health profession (RPPS or ADELI expected).
	Health bool `json:"health"`
}

// Professions in display order.
var Professions = []ProfessionInfo{
	{"medecin_generaliste", "Médecin généraliste", "medecins", true},
	{"medecin_specialiste", "Médecin spécialiste", "specialistes", true},
	{"infirmier", "Infirmier·ère", "infirmiers", true},
	{"pharmacien", "Pharmacien·ne", "pharmaciens", true},
	{"masseur_kinesitherapeute", "Masseur-kinésithérapeute", "kines", true},
	{"sage_femme", "Sage-femme", "sages-femmes", true},
	{"chirurgien_dentiste", "Chirurgien-dentiste", "dentistes", true},
	{"orthophoniste", "Orthophoniste", "orthophonistes", true},
	{"pedicure_podologue", "Pédicure-podologue", "podologues", true},
	{"orthoptiste", "Orthoptiste", "orthoptistes", true},
	{"psychologue", "Psychologue", "psychologues", true},
	{"dieteticien", "Diététicien·ne", "dieteticiens", true},
	{"travailleur_social", "Travailleur·se social·e", "travailleurs-sociaux", false},
	{"medico_social", "Professionnel·le du médico-social (SSIAD, EHPAD…)", "medico-social", false},
	{"coordination", "Coordination de CPTS / d'équipe", "coordination", false},
	{"autre", "Autre", "autres", false},
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
