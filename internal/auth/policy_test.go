package auth

import (
	"errors"
	"strings"
	"testing"

	"github.com/ecpts/ecpts/internal/model"
)

func TestCheckPasswordPolicy(t *testing.T) {
	const email, name = "claire.martin@cpts-loire-nord.fr", "Claire Martin"
	tests := []struct {
		password string
		want     string // substring of the French message; "" means accepted
	}{
		{"demo-ecpts", ""},
		{"Cystite-simple-2024", ""},
		{"une phrase de passe 7", ""},
		{"pharmacie de garde!", ""},
		{"Élève-infirmière9", ""},
		{"çàéèùïô-ok", ""},
		{strings.Repeat("a", 255) + "1", ""},

		{"", "au moins 10 caractères"},
		{"court-1", "au moins 10 caractères"},
		{"éééééééé1", "au moins 10 caractères"}, // 9 characters, 17 bytes
		{strings.Repeat("a", 256) + "1", "au plus 256 octets"},
		{strings.Repeat("é", 128) + "1", "au plus 256 octets"},
		{"abcdefghij\x00k1", "imprimables"},
		{"tab\there-and1", "imprimables"},
		{"abcde\xff\xfe-ghij", "imprimables"},
		{"seulementdeslettres", "au moins une lettre et au moins un chiffre ou un symbole"},
		{"1234567890123", "au moins une lettre et au moins un chiffre ou un symbole"},
		{"----------!!", "au moins une lettre et au moins un chiffre ou un symbole"},
		{"avec des espaces", "au moins une lettre et au moins un chiffre ou un symbole"},

		{"claire.martin-2024", "adresse e-mail"},
		{"ClaireMartin!!", "adresse e-mail"},
		{"xx-CLAIRE_martin-yy", "adresse e-mail"},
		{"Martin-Paris-75", "nom ni votre prénom"},
		{"claire-de-lune-9", "nom ni votre prénom"},

		{"motdepasse", "trop courant"}, // has no digit: would fail earlier anyway
		{"motdepasse123", "trop courant"},
		{"MotDePasse2024!", "trop courant"},
		{"P@ssw0rd2024!", "trop courant"},
		{"azertyuiop1", "trop courant"},
		{"Azerty123456", "trop courant"},
		{"s0l31l-2024", "trop courant"},
		{"pharmacien2024", "trop courant"},
		{"123456789a", "trop courant"},
	}
	for _, tt := range tests {
		err := CheckPasswordPolicy(tt.password, email, name)
		if tt.want == "" {
			if err != nil {
				t.Errorf("CheckPasswordPolicy(%q) = %v, want nil", tt.password, err)
			}
			continue
		}
		var inv *model.InvalidError
		if !errors.As(err, &inv) {
			t.Errorf("CheckPasswordPolicy(%q) = %v, want *model.InvalidError", tt.password, err)
			continue
		}
		if inv.Field != "password" || inv.Code != "weak_password" {
			t.Errorf("CheckPasswordPolicy(%q): field %q code %q", tt.password, inv.Field, inv.Code)
		}
		if tt.want == "trop courant" && tt.password == "motdepasse" {
			continue // rejected by the composition rule first: any rejection will do
		}
		if !strings.Contains(inv.Message, tt.want) {
			t.Errorf("CheckPasswordPolicy(%q) message %q, want it to say %q", tt.password, inv.Message, tt.want)
		}
		if tt.password != "" && strings.Contains(err.Error(), tt.password) {
			t.Errorf("error text quotes the password: %v", err)
		}
	}
}

func TestCheckPasswordPolicyShortIdentity(t *testing.T) {
	// Local parts and name words under 4 characters are not searched for:
	// "al" is in too many good passwords.
	if err := CheckPasswordPolicy("royal-balade-7", "al@x.fr", "Al Bo"); err != nil {
		t.Fatalf("short local part rejected: %v", err)
	}
	// No e-mail or name known yet (first step of an invitation).
	if err := CheckPasswordPolicy("demo-ecpts", "", ""); err != nil {
		t.Fatalf("demo-ecpts rejected without identity: %v", err)
	}
}
