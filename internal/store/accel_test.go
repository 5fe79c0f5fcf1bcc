package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ecpts/ecpts/internal/model"
)

// TestAccelerateSQLite checks that the _id lookup FerretDB's SQLite backend
// issues (WHERE _ferretdb_sjson->'$._id' = ?, its metadata.IDColumn) is
// planned on the index accelerate creates, for every collection.
func TestAccelerateSQLite(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, Options{DataDir: dir, Database: "accel", Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	u := url.URL{Scheme: "file", Opaque: filepath.Join(dir, "db", "accel.sqlite"), RawQuery: "mode=ro"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables, err := queryStrings(ctx, db, `SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) < len(accelCollections) {
		t.Fatalf("%d tables, want at least %d (every collection created up front)", len(tables), len(accelCollections))
	}
	for _, table := range tables {
		rows, err := db.QueryContext(ctx, fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE _ferretdb_sjson->'$._id' = ?`, table), `"x"`)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); !strings.Contains(p, "USING INDEX "+table+"_ecpts_id") {
			t.Errorf("table %s: _id lookup planned as %q, want the _ecpts_id index", table, p)
		}
	}
}

// TestAcceleratePostgreSQL checks on the real PostgreSQL that FerretDB's
// own queries, by _id and by page, run on the indexes accelerate creates
// (PostgreSQL's index statistics count them), and that the migration sets
// the page of messages stored without one.
func TestAcceleratePostgreSQL(t *testing.T) {
	pgURL := testPostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dbName := fmt.Sprintf("accel_%d", time.Now().UnixNano())
	s, err := Open(ctx, Options{PostgresURL: pgURL, Database: dbName, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = s.Drop(context.Background())
		_ = s.Close(context.Background())
	}()
	ch, author := model.ChannelID(model.NewID()), model.UserID(model.NewID())
	for seq := uint64(1); seq <= 70; seq++ {
		m := model.Message{ChannelID: ch, Seq: seq, AuthorID: author, ClientID: model.NewID(), Body: "texte", CreatedAt: time.Now()}
		if err := s.Messages.Insert(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// A message written before the page field existed.
	old := messageToDoc(model.Message{ChannelID: ch, Seq: 71, AuthorID: author, ClientID: model.NewID(), Body: "ancien", CreatedAt: time.Now()})
	raw, err := bson.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	var doc bson.D
	if err := bson.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var withoutPage bson.D
	for _, e := range doc {
		if e.Key != "page" {
			withoutPage = append(withoutPage, e)
		}
	}
	if _, err := s.db.Collection("messages").InsertOne(ctx, withoutPage); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Messages.Range(ctx, ch, 65, 71); len(got) != 6 {
		t.Fatalf("before the migration: %d messages in 65..71, want 6 (71 has no page)", len(got))
	}
	if err := backfillMessagePages(ctx, s.db); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Messages.Range(ctx, ch, 65, 71); err != nil || len(got) != 7 || got[6].Body != "ancien" {
		t.Fatalf("after the migration: %d messages in 65..71, %v", len(got), err)
	}
	if _, err := s.Messages.ByID(ctx, model.MessageIDOf(ch, 3)); err != nil {
		t.Fatal(err)
	}

	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// Statistics reach the view within about a second of the query.
	deadline := time.Now().Add(15 * time.Second)
	for {
		scans := map[string]int64{}
		rows, err := conn.Query(ctx, `SELECT indexrelname, idx_scan FROM pg_stat_user_indexes WHERE schemaname = $1 AND indexrelname LIKE 'messages%'`, dbName)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name string
			var n int64
			if err := rows.Scan(&name, &n); err != nil {
				t.Fatal(err)
			}
			scans[name[strings.Index(name, "_ecpts_")+1:]] = n
		}
		rows.Close()
		if scans["ecpts__id"] > 0 && scans["ecpts_page"] > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("index scans on the messages table: %v; want the _id and page lookups on their indexes", scans)
		}
		if _, err := conn.Exec(ctx, `SELECT pg_stat_clear_snapshot()`); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// testPostgresURL is the test PostgreSQL (ECPTS_TEST_POSTGRES_URL, else the
// local one scripts/test-deps.sh prepares). The test fails if it is down.
func testPostgresURL(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("ECPTS_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://root@127.0.0.1:5432/ecpts_test?sslmode=disable"
}

func TestTunePostgresURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:p@h:5432/db?sslmode=disable":          "postgres://u:p@h:5432/db?jit=off&max_parallel_workers_per_gather=0&sslmode=disable",
		"postgresql://h/db?jit=on":                          "postgresql://h/db?jit=on&max_parallel_workers_per_gather=0",
		"host=h dbname=db":                                  "host=h dbname=db",
		"postgres://h/db?max_parallel_workers_per_gather=4": "postgres://h/db?jit=off&max_parallel_workers_per_gather=4",
	} {
		if got := tunePostgresURL(in); got != want {
			t.Errorf("tunePostgresURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSQLiteFieldLookups checks that the reads sqliteReader answers itself
// on FerretDB-SQLite (reactions and RSVP counts of a feed page, by
// post_id) are planned on the expression indexes accelerate creates, not
// as a scan of the table, and return what was written through FerretDB.
func TestSQLiteFieldLookups(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, Options{DataDir: dir, Database: "lookups", Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if s.lite == nil || s.PostReactions.lite == nil || s.RSVPs.lite == nil {
		t.Fatal("no SQLite reader on the SQLite backend")
	}
	now := time.Now()
	p1, p2 := model.PostID(model.NewID()), model.PostID(model.NewID())
	u1, u2 := model.UserID(model.NewID()), model.UserID(model.NewID())
	for _, x := range []struct {
		p model.PostID
		u model.UserID
		a model.RSVPAnswer
	}{{p1, u1, model.RSVPYes}, {p1, u2, model.RSVPMaybe}, {p2, u1, model.RSVPNo}} {
		if _, err := s.RSVPs.Set(ctx, model.RSVP{PostID: x.p, UserID: x.u, Answer: x.a, At: now}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.PostReactions.Add(ctx, p1, u1, "👍", now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PostReactions.Add(ctx, p1, u2, "👍", now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	counts, err := s.RSVPs.Counts(ctx, []model.PostID{p1, p2})
	if err != nil {
		t.Fatal(err)
	}
	if c := counts[p1]; c.Yes != 1 || c.Maybe != 1 || c.No != 0 {
		t.Errorf("counts of p1: %+v", c)
	}
	if c := counts[p2]; c.No != 1 || c.Yes != 0 {
		t.Errorf("counts of p2: %+v", c)
	}
	rs, err := s.PostReactions.ByPosts(ctx, []model.PostID{p1, p2})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || len(rs[p1]) != 1 || rs[p1][0].Emoji != "👍" || len(rs[p1][0].Users) != 2 || rs[p1][0].Users[0] != u1 {
		t.Errorf("reactions: %+v", rs)
	}
	for coll, fields := range sqliteFieldIndexes {
		for _, f := range fields {
			from, args, err := s.lite.whereIn(ctx, coll, f, []string{"a", "b"})
			if err != nil || from == "" {
				t.Fatalf("%s.%s: %q %v", coll, f, from, err)
			}
			// Without INDEXED BY: the planner must choose the index itself.
			from = strings.Replace(from, from[strings.Index(from, " INDEXED BY"):strings.Index(from, " WHERE")], "", 1)
			rows, err := s.lite.db.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT _ferretdb_sjson`+from, args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			table, _ := s.lite.table(ctx, coll)
			if p := strings.Join(plan, "; "); !strings.Contains(p, "USING INDEX "+sqliteIndexName(table, f)) {
				t.Errorf("%s.%s lookup planned as %q, want its index", coll, f, p)
			}
		}
	}
}
