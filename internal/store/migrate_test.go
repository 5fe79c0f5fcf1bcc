package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ecpts/ecpts/internal/model"
)

// embeddedSQLite starts a FerretDB-SQLite in a temporary directory for
// the package's white-box tests, stopped at cleanup.
func embeddedSQLite(t *testing.T) *Embedded {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := StartEmbedded(ctx, EmbeddedOptions{DataDir: t.TempDir(), Logger: testLogger()})
	if err != nil {
		t.Fatalf("start embedded: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := e.Close(ctx); err != nil {
			t.Errorf("stop embedded: %v", err)
		}
	})
	return e
}

func testDB(t *testing.T, e *Embedded, name string) *mongo.Database {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(e.URI()))
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-in first-out: the client goes before FerretDB.
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c.Database(name)
}

func TestMigrateRunsEachStepOnceInOrder(t *testing.T) {
	ctx := context.Background()
	db := testDB(t, embeddedSQLite(t), "migrations")
	var ran []int
	step := func(v int) Migration {
		return Migration{Version: v, Name: "step", Up: func(ctx context.Context, db *mongo.Database) error {
			// A step sees the versions before it recorded already.
			cur, err := schemaVersion(ctx, db)
			if err != nil {
				return err
			}
			if cur != v-1 {
				t.Errorf("step %d sees version %d", v, cur)
			}
			ran = append(ran, v)
			return nil
		}}
	}
	list := []Migration{step(1), step(2)}
	if err := migrate(ctx, db, list, testLogger()); err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, db, list, testLogger()); err != nil {
		t.Fatal(err)
	}
	if got := ran; len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("ran %v, want [1 2] once", got)
	}

	// A new release adds steps 3 and 4; 4 fails: 3 is recorded, 5 never runs.
	boom := errors.New("boom")
	list = append(list, step(3),
		Migration{Version: 4, Name: "fails", Up: func(context.Context, *mongo.Database) error { return boom }},
		step(5))
	if err := migrate(ctx, db, list, testLogger()); !errors.Is(err, boom) {
		t.Fatalf("migrate with a failing step: %v", err)
	}
	if v, err := schemaVersion(ctx, db); err != nil || v != 3 {
		t.Fatalf("version after failed step = %d, %v; want 3", v, err)
	}
	if len(ran) != 3 || ran[2] != 3 {
		t.Fatalf("ran %v, want [1 2 3]", ran)
	}

	// Older code on a newer database refuses to start.
	if err := migrate(ctx, db, list[:2], testLogger()); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("old program on newer schema: %v", err)
	}
	// Steps out of order are a programming error.
	if err := migrate(ctx, db, []Migration{step(2), step(1)}, testLogger()); err == nil {
		t.Fatal("out-of-order steps accepted")
	}
}

func TestSecondOpenIsNoopAndKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() *Store {
		s, err := Open(ctx, Options{DataDir: dir, Logger: testLogger()})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		return s
	}
	s := open()
	if s.Backend() != BackendFerretDBSQLite {
		t.Fatalf("Backend() = %q", s.Backend())
	}
	fi, err := os.Stat(filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode %v, want 0700", fi.Mode().Perm())
	}
	u := model.User{ID: model.UserID(model.NewID()), Email: "reste@cpts.demo", Name: "Reste", CreatedAt: time.Now()}
	if err := s.Users.Insert(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}

	// A restart on the same directory: indexes exist, schema is current,
	// nothing is migrated again, the data is there.
	s = open()
	defer func() {
		if err := s.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	if v, err := s.SchemaVersion(ctx); err != nil || v != LatestSchemaVersion() {
		t.Fatalf("schema version = %d, %v", v, err)
	}
	if _, err := s.Users.ByID(ctx, u.ID); err != nil {
		t.Fatalf("user lost across restart: %v", err)
	}
	if err := s.Users.Insert(ctx, model.User{ID: model.UserID(model.NewID()), Email: "RESTE@cpts.demo"}); !errors.Is(err, model.ErrConflict) {
		t.Fatalf("unique e-mail index lost across restart: %v", err)
	}
	if n, err := s.db.Collection(metaCollection).CountDocuments(ctx, byID(schemaDocID)); err != nil || n != 1 {
		t.Fatalf("schema documents = %d, %v; want 1", n, err)
	}
}
