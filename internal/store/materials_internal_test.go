package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ecpts/ecpts/internal/model"
)

// TestMaterialIndexRepair: a material whose index entry was never written
// (a crash between the two writes), or is stale, is missing from the list
// or listed under its old tags until RepairIndex rewrites the entry; a
// deleted material's leftover entry is removed.
func TestMaterialIndexRepair(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgresql"} {
		t.Run(backend, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			o := Options{Database: fmt.Sprintf("mrepair_%d", time.Now().UnixNano()), Logger: testLogger()}
			if backend == "sqlite" {
				o.DataDir = t.TempDir()
			} else {
				o.PostgresURL = testPostgresURL(t)
			}
			s, err := Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				_ = s.Drop(context.Background())
				_ = s.Close(context.Background())
			}()
			c := model.CPTSID(model.NewID())
			ins := func(title string, theme model.Theme) model.Material {
				t.Helper()
				m, err := s.Materials.Insert(ctx, model.Material{CPTSID: c, Title: title, Kind: model.MaterialLink, URL: "https://example.org",
					Theme: theme, Audience: model.AudiencePatients, Language: "fr", Visibility: model.SharingCPTS, CreatedAt: time.Now()})
				if err != nil {
					t.Fatal(err)
				}
				return m
			}
			count := func(theme model.Theme) int {
				t.Helper()
				page, err := s.Materials.List(ctx, MaterialQuery{Viewer: []model.CPTSID{c}, Theme: theme})
				if err != nil {
					t.Fatal(err)
				}
				return len(page.Items)
			}
			lost := ins("Sans entrée", model.ThemeTabac)
			stale := ins("Entrée périmée", model.ThemeTabac)
			gone := ins("Supprimé", model.ThemeAlcool)
			ins("Intact", model.ThemeTabac)
			if _, err := s.Materials.index.DeleteOne(ctx, byID(string(lost.ID))); err != nil {
				t.Fatal(err)
			}
			// stale's document moves to another theme, its entry stays.
			if _, err := s.Materials.coll.UpdateOne(ctx, byID(string(stale.ID)), bsonSet("theme", model.ThemeChutes)); err != nil {
				t.Fatal(err)
			}
			// gone's document is deleted, its entry stays.
			if _, err := s.Materials.coll.UpdateOne(ctx, byID(string(gone.ID)), bsonSet("deleted_at", time.Now())); err != nil {
				t.Fatal(err)
			}
			if n := count(model.ThemeTabac); n != 1 {
				t.Fatalf("before repair: %d tabac listed, want 1 (the intact one; the stale one is checked against its document)", n)
			}
			if n := count(model.ThemeAlcool); n != 0 {
				t.Fatalf("a deleted material listed")
			}
			n, err := s.Materials.RepairIndex(ctx)
			if err != nil || n != 3 {
				t.Fatalf("RepairIndex: %d %v, want 3", n, err)
			}
			if count(model.ThemeTabac) != 2 || count(model.ThemeChutes) != 1 {
				t.Fatalf("after repair: %d tabac, %d chutes", count(model.ThemeTabac), count(model.ThemeChutes))
			}
			if n, err := s.Materials.RepairIndex(ctx); err != nil || n != 0 {
				t.Fatalf("second RepairIndex: %d %v", n, err)
			}
		})
	}
}

func bsonSet(field string, v any) bson.D {
	return bson.D{{Key: "$set", Value: bson.D{{Key: field, Value: v}}}}
}
