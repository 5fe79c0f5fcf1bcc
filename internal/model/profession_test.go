package model

import "testing"

func TestTitleForms(t *testing.T) {
	for _, tc := range []struct {
		p    Profession
		f    TitleForm
		want string
	}{
		{"infirmier", "", "Infirmier·ère"},
		{"infirmier", TitleInclusive, "Infirmier·ère"},
		{"infirmier", TitleFeminine, "Infirmière"},
		{"infirmier", TitleMasculine, "Infirmier"},
		{"pharmacien", TitleFeminine, "Pharmacienne"},
		{"travailleur_social", TitleFeminine, "Travailleuse sociale"},
		{"coordination", TitleMasculine, "Coordinateur"},
		{"sage_femme", TitleMasculine, "Sage-femme"},
		{"inconnue", TitleFeminine, "inconnue"},
	} {
		if got := tc.p.LabelFor(tc.f); got != tc.want {
			t.Errorf("%s in form %q: %q, want %q", tc.p, tc.f, got, tc.want)
		}
	}
	for _, p := range Professions {
		if p.Label == "" || p.Feminine == "" || p.Masculine == "" {
			t.Errorf("%s lacks a form: %+v", p.Code, p)
		}
	}
	if RoleCoordinateur.LabelFor(TitleFeminine) != "Coordinatrice" || RoleCoordinateur.Label() != "Coordinateur·rice" ||
		RoleCoordinateur.LabelFor(TitleMasculine) != "Coordinateur" || RolePartenaire.LabelFor(TitleFeminine) != "Partenaire" {
		t.Error("role labels")
	}
	if !TitleForm("").Valid() || !TitleFeminine.Valid() || TitleForm("neutre").Valid() {
		t.Error("TitleForm.Valid")
	}
}

func TestCPTSWithArticle(t *testing.T) {
	for in, want := range map[string]string{
		"CPTS Loire Nord":               "la CPTS Loire Nord",
		"  CPTS du Lochois ":            "la CPTS du Lochois",
		"La CPTS des Trois Rivières":    "La CPTS des Trois Rivières",
		"Sud Touraine":                  "la CPTS Sud Touraine",
		"Communauté de santé du Perche": "la Communauté de santé du Perche",
		"l'Étoile":                      "l'Étoile",
	} {
		if got := CPTSWithArticle(in); got != want {
			t.Errorf("CPTSWithArticle(%q) = %q, want %q", in, got, want)
		}
	}
}
