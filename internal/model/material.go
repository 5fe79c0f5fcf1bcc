package model

import "time"

// MaterialID identifies a prevention material (24 hex characters).
type MaterialID string

// MaterialKind: an uploaded file or a link (a video, a web page).
type MaterialKind string

const (
	MaterialFile MaterialKind = "file"
	MaterialLink MaterialKind = "link"
)

// Valid reports whether k is one of the two kinds.
func (k MaterialKind) Valid() bool { return k == MaterialFile || k == MaterialLink }

// MaterialAudience is whom a material speaks to.
type MaterialAudience string

const (
	AudiencePatients       MaterialAudience = "patients"
	AudienceProfessionnels MaterialAudience = "professionnels"
)

// Valid reports whether a is one of the two audiences.
func (a MaterialAudience) Valid() bool { return a == AudiencePatients || a == AudienceProfessionnels }

// Label returns the French label of a.
func (a MaterialAudience) Label() string {
	switch a {
	case AudiencePatients:
		return "Patients"
	case AudienceProfessionnels:
		return "Professionnels"
	}
	return string(a)
}

// Theme is the public-health theme of a prevention material.
type Theme string

const (
	ThemeTabac              Theme = "tabac"
	ThemeAlcool             Theme = "alcool"
	ThemeAddictions         Theme = "addictions"
	ThemeVaccination        Theme = "vaccination"
	ThemeDepistageCancers   Theme = "depistage_cancers"
	ThemeNutrition          Theme = "nutrition"
	ThemeActivitePhysique   Theme = "activite_physique"
	ThemeChutes             Theme = "chutes"
	ThemeSanteMentale       Theme = "sante_mentale"
	ThemeMaladiesChroniques Theme = "maladies_chroniques"
	ThemeSanteSexuelle      Theme = "sante_sexuelle"
	ThemeSanteEnfant        Theme = "sante_enfant"
	ThemeBuccoDentaire      Theme = "bucco_dentaire"
	ThemeSommeil            Theme = "sommeil"
	ThemeAutre              Theme = "autre"
)

// Themes lists every theme with its French label, in display order.
var Themes = []struct {
	Code  Theme
	Label string
}{
	{ThemeTabac, "Tabac"},
	{ThemeAlcool, "Alcool"},
	{ThemeAddictions, "Autres addictions"},
	{ThemeVaccination, "Vaccination"},
	{ThemeDepistageCancers, "Dépistage des cancers"},
	{ThemeNutrition, "Nutrition"},
	{ThemeActivitePhysique, "Activité physique"},
	{ThemeChutes, "Prévention des chutes"},
	{ThemeSanteMentale, "Santé mentale"},
	{ThemeMaladiesChroniques, "Maladies chroniques (diabète, hypertension…)"},
	{ThemeSanteSexuelle, "Santé sexuelle"},
	{ThemeSanteEnfant, "Santé de l'enfant"},
	{ThemeBuccoDentaire, "Santé bucco-dentaire"},
	{ThemeSommeil, "Sommeil"},
	{ThemeAutre, "Autre"},
}

// Valid reports whether t is a known theme.
func (t Theme) Valid() bool {
	for _, x := range Themes {
		if x.Code == t {
			return true
		}
	}
	return false
}

// Label returns the French label of t, or t when unknown.
func (t Theme) Label() string {
	for _, x := range Themes {
		if x.Code == t {
			return x.Label
		}
	}
	return string(t)
}

// Material is a prevention material of a CPTS: a file or a link, tagged
// by theme, campaign and audience, shared like protocols.
type Material struct {
	ID          MaterialID   `json:"id"`
	CPTSID      CPTSID       `json:"cpts_id"` // owner
	Title       string       `json:"title"`
	Description string       `json:"description"`
	Kind        MaterialKind `json:"kind"`
	FileID      FileID       `json:"file_id,omitempty"` // Kind file
	URL         string       `json:"url,omitempty"`     // Kind link
	Theme       Theme        `json:"theme"`
	// Campaign is the campaign it serves ("" none).
	Campaign Campaign         `json:"campaign,omitempty"`
	Audience MaterialAudience `json:"audience"`
	// Language is a BCP 47 tag: "fr", "en", "ar"…
	Language string `json:"language"`
	// ValidFrom and ValidTo bound the period the material is current
	// ("" open), both days included.
	ValidFrom  Date       `json:"valid_from,omitempty"`
	ValidTo    Date       `json:"valid_to,omitempty"`
	Visibility Sharing    `json:"visibility"`
	SharedWith []CPTSID   `json:"shared_with,omitempty"`
	AuthorID   UserID     `json:"author_id"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	DeletedAt  *time.Time `json:"deleted_at,omitempty"`
}

// Deleted reports a soft-deleted material.
func (m Material) Deleted() bool { return m.DeletedAt != nil }

// ValidOn reports whether d falls within ValidFrom…ValidTo.
func (m Material) ValidOn(d Date) bool {
	return (m.ValidFrom == "" || !d.Before(m.ValidFrom)) && (m.ValidTo == "" || !m.ValidTo.Before(d))
}
