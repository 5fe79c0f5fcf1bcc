package core

import (
	"errors"
	"testing"

	"github.com/ecpts/ecpts/internal/model"
)

func TestCleanName(t *testing.T) {
	tests := []struct {
		in, want, code string
	}{
		{"général", "général", ""},
		{"ge\u0301ne\u0301ral", "général", ""}, // NFC: one code point per letter
		{"  Soins   non\u00a0programmés\u202f ", "Soins non programmés", ""},
		{"Jean-Pierre d'Arc · infirmier·ère", "Jean-Pierre d'Arc · infirmier·ère", ""},
		{"βhCG et α-thalassémie", "βhCG et α-thalassémie", ""},
		{"Ольга Иванова", "Ольга Иванова", ""},
		{"محمد علي", "محمد علي", ""},
		{"🚑 urgences", "🚑 urgences", ""},
		{"général\u200b", "", "invalid_characters"},       // zero-width space
		{"gé\u200dnéral", "", "invalid_characters"},       // zero-width joiner
		{"lare\u202enég", "", "invalid_characters"},       // right-to-left override
		{"\u2066général\u2069", "", "invalid_characters"}, // isolates
		{"\ufeffgénéral", "", "invalid_characters"},       // byte order mark
		{"gé\u00adnéral", "", "invalid_characters"},       // soft hyphen
		{"a\u034fb", "", "invalid_characters"},            // combining grapheme joiner
		{"\u3164", "", "invalid_characters"},              // hangul filler
		{"x\u115f\u1160", "", "invalid_characters"},       // hangul choseong/jungseong fillers
		{"x\uffa0", "", "invalid_characters"},             // halfwidth hangul filler
		{"❤\ufe0f", "", "invalid_characters"},             // variation selector
		{"a\U000E0041", "", "invalid_characters"},         // tag character
		{"a\ue000", "", "invalid_characters"},             // private use
		{"a\u2028b", "", "invalid_characters"},            // line separator
		{"a\nb", "", "invalid_characters"},
		{"a\x07b", "", "invalid_characters"},
		{"a\U0010FFFEb", "", "invalid_characters"}, // noncharacter
		{"a\U000E0FFFb", "", "invalid_characters"}, // unassigned
		{"a\u2800b", "", "invalid_characters"},     // braille blank
		{"---", "", "invalid_characters"},          // no letter nor digit
		{"bad\xffutf8", "", "invalid_characters"},
		{"Cl\u0430ire", "", "mixed_scripts"}, // Cyrillic а in a Latin word
		{"Ольгa", "", "mixed_scripts"},       // Latin a in a Cyrillic word
		{"   ", "", "required"},
		{"\u00a0", "", "required"},
	}
	for _, tt := range tests {
		got, err := cleanName("name", "Le nom", tt.in, true, maxName)
		var inv *model.InvalidError
		switch {
		case tt.code == "" && err != nil:
			t.Errorf("cleanName(%q): %v", tt.in, err)
		case tt.code != "" && (!errors.As(err, &inv) || inv.Code != tt.code || inv.Message == ""):
			t.Errorf("cleanName(%q) = %q, %v; want code %s", tt.in, got, err, tt.code)
		case tt.code == "" && got != tt.want:
			t.Errorf("cleanName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if s, err := cleanName("commune", "La commune", "  ", false, maxCommune); s != "" || err != nil {
		t.Errorf("an optional empty name: %q, %v", s, err)
	}
}

func TestNameKey(t *testing.T) {
	same := [][2]string{
		{"général", "ge\u0301ne\u0301ral"},
		{"général", "Général"},
		{"Général", "general"},
		{"général", "général\u200b"}, // names stored before cleanName
		{"soins-non-programmés", "Soins non  programmes"},
		{"soins-non-programmés", "soins_non_programmés"},
		{"soins-non-programmés", "soins – non — programmés"},
		{"Claire Morel", " claire  MOREL "},
		{"Jean-Pierre Martin", "Jean Pierre Martin"},
		{"Strasse", "STRAẞE"},
		{"ﬁnances", "finances"},
		{"ＧＥＮＥＲＡＬ", "général"},
	}
	for _, p := range same {
		if a, b := nameKey(p[0]), nameKey(p[1]); a != b {
			t.Errorf("nameKey(%q) = %q, nameKey(%q) = %q: want equal", p[0], a, p[1], b)
		}
	}
	differ := [][2]string{
		{"général", "généraliste"},
		{"Claire Morel", "Claire B. Morel"},
		{"Marc Lefèvre", "Marc Lefèvres"},
		{"bureau", "bureau 2"},
	}
	for _, p := range differ {
		if nameKey(p[0]) == nameKey(p[1]) {
			t.Errorf("nameKey(%q) = nameKey(%q) = %q: want different", p[0], p[1], nameKey(p[0]))
		}
	}
}
