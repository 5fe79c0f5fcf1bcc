package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

func newUser(name, email string) model.User {
	return model.User{
		ID:           model.UserID(id()),
		Email:        email,
		Name:         name,
		Profession:   "infirmier",
		RPPS:         model.RPPSWithCheckDigit("1000012345"),
		ADELI:        "",
		Commune:      "Blois",
		PasswordHash: "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA",
		CreatedAt:    at(0),
		UpdatedAt:    at(time.Second),
	}
}

// stored is what the store gives back for u.
func storedUser(u model.User, email string) model.User {
	u.Email = email
	u.CreatedAt = ms(u.CreatedAt)
	u.UpdatedAt = ms(u.UpdatedAt)
	return u
}

func testUsers(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("RoundTripAndNormalisedEmail", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		u := newUser("Camille Martin", "  Camille.Martin@Loire-Nord.DEMO ")
		u.Admin = true
		must(t, s.Users.Insert(ctx, u), "insert")
		want := storedUser(u, "camille.martin@loire-nord.demo")
		got, err := s.Users.ByID(ctx, u.ID)
		must(t, err, "by id")
		equal(t, got, want, "ByID")
		wantRead(t, "by email", "ByEmail (other case)", want)(s.Users.ByEmail(ctx, "CAMILLE.martin@loire-nord.demo  "))
	})
	t.Run("NotFound", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		_, err := s.Users.ByID(ctx, model.UserID(id()))
		wantErr(t, err, model.ErrNotFound, "ByID of unknown id")
		_, err = s.Users.ByEmail(ctx, "personne@nulle-part.demo")
		wantErr(t, err, model.ErrNotFound, "ByEmail of unknown e-mail", "personne@nulle-part.demo")
		err = s.Users.UpdateProfile(ctx, model.UserID(id()), "X", "pharmacien", "", "", "", at(0))
		wantErr(t, err, model.ErrNotFound, "UpdateProfile of unknown id")
		err = s.Users.SetPasswordHash(ctx, model.UserID(id()), "h", at(0))
		wantErr(t, err, model.ErrNotFound, "SetPasswordHash of unknown id")
	})
	t.Run("DuplicateEmailIsConflictWhateverTheCase", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		must(t, s.Users.Insert(ctx, newUser("A", "dup@loire-nord.demo")), "insert")
		err := s.Users.Insert(ctx, newUser("B", " DUP@Loire-Nord.demo"))
		wantErr(t, err, model.ErrConflict, "second account, same e-mail", "dup@loire-nord.demo")
		u := newUser("C", "c@loire-nord.demo")
		must(t, s.Users.Insert(ctx, u), "insert c")
		other := newUser("D", "d@loire-nord.demo")
		other.ID = u.ID
		wantErr(t, s.Users.Insert(ctx, other), model.ErrConflict, "same id")
		n, err := s.Users.Count(ctx)
		must(t, err, "count")
		if n != 2 {
			t.Fatalf("Count = %d, want 2", n)
		}
	})
	t.Run("ConcurrentSignupsOneWinner", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		const n = 10
		errs := make([]error, n)
		atOnce(n, func(i int) {
			errs[i] = s.Users.Insert(ctx, newUser(fmt.Sprint("U", i), fmt.Sprintf("Same@CPTS.demo%s", []string{"", " "}[i%2])))
		})
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			default:
				wantErr(t, err, model.ErrConflict, "concurrent insert")
			}
		}
		if wins != 1 {
			t.Fatalf("%d inserts of one e-mail succeeded, want 1", wins)
		}
	})
	t.Run("ByIDsOrderedByNameMissingAbsent", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		names := []string{"Fanny Roux", "élodie Bernard", "Denis Petit", "Zoé Laurent", "Élodie Bernard", "arnaud Moreau"}
		var all []model.UserID
		for i, name := range names {
			u := newUser(name, fmt.Sprintf("u%d@cpts.demo", i))
			must(t, s.Users.Insert(ctx, u), "insert")
			all = append(all, u.ID)
		}
		got, err := s.Users.ByIDs(ctx, append([]model.UserID{model.UserID(id())}, all...))
		must(t, err, "by ids")
		var gotNames []string
		for _, u := range got {
			gotNames = append(gotNames, u.Name)
		}
		// Accents and case folded; ties ("Élodie"/"élodie") by exact name.
		equal(t, gotNames, []string{"arnaud Moreau", "Denis Petit", "Élodie Bernard", "élodie Bernard", "Fanny Roux", "Zoé Laurent"}, "ByIDs order")
		wantEmpty[model.User](t, "by no ids", "ByIDs(nil)")(s.Users.ByIDs(ctx, nil))
		got, err = s.Users.ByIDs(ctx, []model.UserID{model.UserID(id())})
		must(t, err, "by unknown ids")
		if len(got) != 0 {
			t.Fatalf("ByIDs(unknown) = %v", got)
		}
	})
	t.Run("UpdateProfileAndPassword", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		u := newUser("Avant", "profil@cpts.demo")
		must(t, s.Users.Insert(ctx, u), "insert")
		must(t, s.Users.UpdateProfile(ctx, u.ID, "Après", "pharmacien", "", "411234567", "Vendôme", at(time.Hour)), "update profile")
		want := storedUser(u, "profil@cpts.demo")
		want.Name, want.Profession, want.RPPS, want.ADELI, want.Commune = "Après", "pharmacien", "", "411234567", "Vendôme"
		want.UpdatedAt = ms(at(time.Hour))
		got, err := s.Users.ByID(ctx, u.ID)
		must(t, err, "by id")
		equal(t, got, want, "after UpdateProfile")
		must(t, s.Users.SetPasswordHash(ctx, u.ID, "$argon2id$new", at(2*time.Hour)), "set password")
		want.PasswordHash, want.UpdatedAt = "$argon2id$new", ms(at(2*time.Hour))
		wantRead(t, "by id", "after SetPasswordHash", want)(s.Users.ByID(ctx, u.ID))
	})
}
