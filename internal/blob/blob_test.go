package blob_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ecpts/ecpts/internal/blob"
	"github.com/ecpts/ecpts/internal/blob/blobtest"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/storetest"
)

func openFS(t *testing.T) blobtest.Harness {
	s, err := blob.NewFS(filepath.Join(t.TempDir(), "files"))
	if err != nil {
		t.Fatal(err)
	}
	return blobtest.Harness{Store: s, Residue: func(context.Context) ([]string, error) { return fsResidue(s.Root()) }}
}

// fsResidue lists every file under root, temporary ones included.
func fsResidue(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	return out, err
}

func TestFS(t *testing.T) {
	t.Parallel()
	blobtest.Run(t, openFS)
}

func gridHarness(t testing.TB, st *store.Store) blobtest.Harness {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := st.Database()
	g, err := blob.NewGridFS(ctx, db, blob.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	return blobtest.Harness{Store: g, Residue: func(ctx context.Context) ([]string, error) {
		return gridResidue(ctx, db, blob.DefaultBucket)
	}}
}

// gridResidue lists the documents of the bucket's three collections.
func gridResidue(ctx context.Context, db *mongo.Database, bucket string) ([]string, error) {
	var out []string
	for _, c := range []struct{ coll, field string }{{".files", "_id"}, {".chunks", "files_id"}, {".reserved", "_id"}} {
		cur, err := db.Collection(bucket+c.coll).Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "data", Value: 0}}))
		if err != nil {
			return nil, err
		}
		var docs []bson.M
		if err := cur.All(ctx, &docs); err != nil {
			return nil, err
		}
		for _, d := range docs {
			out = append(out, fmt.Sprintf("%s%s %v n=%v", bucket, c.coll, d[c.field], d["n"]))
		}
	}
	return out, nil
}

func TestGridFSFerretSQLite(t *testing.T) {
	t.Parallel()
	blobtest.Run(t, func(t *testing.T) blobtest.Harness { return gridHarness(t, storetest.OpenTest(t, "sqlite")) })
}

// TestGridFSFerretPostgres fails (never skips) when PostgreSQL is
// unreachable: ECPTS_TEST_POSTGRES_URL, default storetest.DefaultPostgresURL.
func TestGridFSFerretPostgres(t *testing.T) {
	t.Parallel()
	blobtest.Run(t, func(t *testing.T) blobtest.Harness { return gridHarness(t, storetest.OpenTest(t, "postgresql")) })
}

// TestGridFSMongo runs the suite on a real MongoDB when ECPTS_MONGO_URL is set.
func TestGridFSMongo(t *testing.T) {
	url := os.Getenv("ECPTS_MONGO_URL")
	if url == "" {
		t.Log("ECPTS_MONGO_URL unset: GridFS suite on real MongoDB not run")
		return
	}
	blobtest.Run(t, func(t *testing.T) blobtest.Harness {
		return gridHarness(t, storetest.OpenWith(t, store.Options{MongoURL: url, Database: storetest.DatabaseName(), Logger: storetest.Logger()}))
	})
}

// TestFSSweepsStaleTemporaryFiles: an upload killed with its process
// leaves a temporary file; the next NewFS removes it once it is an hour
// old, and leaves a younger one (an upload of another process sharing
// the directory may be writing it).
func TestFSSweepsStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := blob.NewFS(dir); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "tmp", "0123456789abcdef01234567.00")
	fresh := filepath.Join(dir, "tmp", "0123456789abcdef01234567.01")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := blob.NewFS(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temporary file still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temporary file removed: %v", err)
	}
}

// TestFSLayout: files are fanned out by the first four characters of
// their ID and only readable by the server's user.
func TestFSLayout(t *testing.T) {
	dir := t.TempDir()
	s, err := blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	id := "abcdef0123456789abcdef01"
	if _, err := s.Put(context.Background(), id, blobtest.NewPattern(1, 10), 10); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "ab", "cd", id))
	if err != nil {
		t.Fatalf("file not at ab/cd/%s: %v", id, err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 octets", 1: "1 octet", 1023: "1023 octets", 1024: "1 Ko", 1536: "1,5 Ko",
		25 << 20: "25 Mo", 3<<20 + 1<<19: "3,5 Mo",
	} {
		if got := blob.FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// benchStores are the implementations the benchmarks compare.
func benchStores(b *testing.B) []struct {
	name string
	open func(b *testing.B) blob.Store
} {
	return []struct {
		name string
		open func(b *testing.B) blob.Store
	}{
		{"fs", func(b *testing.B) blob.Store {
			s, err := blob.NewFS(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"gridfs-ferretdb-sqlite", func(b *testing.B) blob.Store { return gridHarness(b, storetest.OpenTest(b, "sqlite")).Store }},
		{"gridfs-ferretdb-postgresql", func(b *testing.B) blob.Store { return gridHarness(b, storetest.OpenTest(b, "postgresql")).Store }},
		// What a GIN index on the chunks' files_id (the shape of
		// internal/store/accel.go) would give FerretDB-PostgreSQL.
		{"gridfs-ferretdb-postgresql-indexed", func(b *testing.B) blob.Store {
			st := storetest.OpenTest(b, "postgresql")
			h := gridHarness(b, st)
			indexChunks(b, st.Database().Name(), blob.DefaultBucket+".chunks")
			return h.Store
		}},
	}
}

// indexChunks creates, under FerretDB-PostgreSQL, a GIN index on
// files_id of the collection coll of database: FerretDB pushes the
// driver's {files_id: {$eq: id}} down as `_jsonb->'files_id' @> …`, which
// such an index serves.
func indexChunks(b *testing.B, database, coll string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, storetest.PostgresURL())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	schema := pgx.Identifier{database}.Sanitize()
	var table string
	if err := conn.QueryRow(ctx, `SELECT _jsonb->>'table' FROM `+schema+`._ferretdb_database_metadata WHERE _jsonb->>'_id' = $1`, coll).Scan(&table); err != nil {
		b.Fatalf("table of %s: %v", coll, err)
	}
	q := fmt.Sprintf(`CREATE INDEX ON %s.%s USING gin ((_jsonb->'files_id') jsonb_path_ops) WITH (fastupdate = off)`, schema, pgx.Identifier{table}.Sanitize())
	if _, err := conn.Exec(ctx, q); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDownload1000 measures one download (Open, read to the end,
// Close) of a 100 KiB file among 1,000 stored files of 100 KiB: the
// figure that chose the embedded default (docs/benchmarks.md, "Files").
//
//	go test -run '^$' -bench BenchmarkDownload1000 -benchtime 200x ./internal/blob
func BenchmarkDownload1000(b *testing.B) {
	const files, size = 1000, 100 << 10
	for _, bs := range benchStores(b) {
		b.Run(bs.name, func(b *testing.B) {
			s := bs.open(b)
			ctx := context.Background()
			ids := make([]string, files)
			for i := range ids {
				ids[i] = blobtest.ID()
				if _, err := s.Put(ctx, ids[i], blobtest.NewPattern(uint64(i), size), blob.NoLimit); err != nil {
					b.Fatal(err)
				}
			}
			buf := make([]byte, 64<<10)
			b.SetBytes(size)
			b.ResetTimer()
			i := 0
			for b.Loop() {
				o, err := s.Open(ctx, ids[(i*7919)%files])
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(io.Discard, o, buf)
				if err != nil || n != size {
					b.Fatalf("read %d, %v", n, err)
				}
				o.Close()
				i++
			}
		})
	}
}

// BenchmarkThroughput measures storing and reading back one 30 MiB file
// (the MB/s column is the throughput).
//
//	go test -run '^$' -bench BenchmarkThroughput -benchtime 5x ./internal/blob
func BenchmarkThroughput(b *testing.B) {
	const size = 30 << 20
	for _, bs := range benchStores(b) {
		b.Run(bs.name+"/upload", func(b *testing.B) {
			s := bs.open(b)
			ctx := context.Background()
			b.SetBytes(size)
			for b.Loop() {
				id := blobtest.ID()
				if _, err := s.Put(ctx, id, blobtest.NewPattern(1, size), blob.NoLimit); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.Delete(ctx, id); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
		b.Run(bs.name+"/download", func(b *testing.B) {
			s := bs.open(b)
			ctx := context.Background()
			id := blobtest.ID()
			if _, err := s.Put(ctx, id, blobtest.NewPattern(1, size), blob.NoLimit); err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 64<<10)
			b.SetBytes(size)
			for b.Loop() {
				o, err := s.Open(ctx, id)
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.CopyBuffer(io.Discard, o, buf); err != nil || n != size {
					b.Fatalf("read %d, %v", n, err)
				}
				o.Close()
			}
		})
	}
}
