package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"

	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/mongo"

	_ "modernc.org/sqlite" // the driver FerretDB's SQLite backend uses, registered as "sqlite"
)

// Lookup indexes for the embedded FerretDB backends.
//
// FerretDB v1.24 creates a SQL index for every MongoDB index but its
// queries cannot use them: on SQLite it filters `_ferretdb_sjson->'$._id'`
// while the index it made is on `_ferretdb_sjson->"_id"` (another
// expression to the planner), and on PostgreSQL it pushes an equality down
// as containment, `_jsonb->$1 @> $2`, which a btree cannot serve. Every
// lookup, even by _id, then reads the whole table: a page of history cost
// a second at 20,000 messages.
//
// accelerate adds, straight in the SQL database under FerretDB, the indexes
// those exact query shapes can use: on SQLite an index on the expression
// FerretDB filters _id with; on PostgreSQL a GIN (jsonb_path_ops) index on
// `_jsonb->'field'` for _id and for the fields the store looks up by
// equality (PostgreSQL plans FerretDB's prepared statements with the key
// as a constant, so the expression matches). They are invisible to
// FerretDB (its index list lives in its own metadata), dropped with their
// table, and created IF NOT EXISTS at every start, so upgrading an existing
// data directory indexes it once. Real MongoDB needs none of this.

// accelFields are the top-level fields, besides _id, that the store
// filters on by equality, per collection (see the find calls of each type).
// Only FerretDB's PostgreSQL backend pushes those filters down to SQL.
var accelFields = map[string][]string{
	"users":           {"email"},
	"memberships":     {"user_id", "cpts_id"},
	"groups":          {"cpts_ids"},
	"group_members":   {"user_id", "group_id"},
	"channels":        {"scope"},
	"channel_members": {"user_id", "channel_id"},
	"sessions":        {"user_id"},
	"invitations":     {"token_hash"},
	"messages":        {"client_id", "page"},
	"thread_states":   {"user_id"},
	"audit":           {"cpts_id"},
	// Issue 14: feeds, events, the protocol library, materials, files.
	"posts":            {"page"},
	"post_pins":        {"feed"},
	"post_events":      {"feed"},
	"post_reactions":   {"post_id"},
	"rsvps":            {"post_id"},
	"rsvp_seats":       {"post_id", "holder"},
	"protocol_index":   {"seen_by"},
	"protocol_reviews": {"pv", "protocol_id"},
	"protocol_acks":    {"pv"},
	"material_index":   {"seen_by"},
	"file_attachments": {"target"},
	"calendar_tokens":  {"user_id"},
}

// accelCollections are created up front so that their tables exist when
// accelerate runs (FerretDB creates a table on first use otherwise).
var accelCollections = []string{
	"users", "cpts", "memberships", "groups", "group_members", "channels", "channel_members",
	"sessions", "invitations", "invitation_locks", "messages", "read_markers", "thread_states",
	"conversation_keys", "channel_seqs", "audit", metaCollection,
	"posts", "post_seqs", "post_pins", "post_events", "post_reactions", "rsvps", "rsvp_seats", "rsvp_holds", "feed_markers", "calendar_tokens",
	"protocols", "protocol_index", "protocol_events", "protocol_versions", "protocol_reviews", "protocol_acks",
	"materials", "material_index", "files", "file_attachments", "tombstones",
}

// accelerate creates the lookup indexes of the embedded backend e for the
// database db. It is a no-op on MongoDB (e == nil).
func accelerate(ctx context.Context, db *mongo.Database, e *Embedded) error {
	if e == nil {
		return nil
	}
	existing, err := db.ListCollectionNames(ctx, map[string]any{})
	if err != nil {
		return fmt.Errorf("store: list collections: %w", err)
	}
	for _, name := range accelCollections {
		if slices.Contains(existing, name) {
			continue
		}
		if err := db.CreateCollection(ctx, name); err != nil && !isNamespaceExists(err) {
			return fmt.Errorf("store: create collection %s: %w", name, err)
		}
	}
	switch e.backend {
	case BackendFerretDBSQLite:
		return accelerateSQLite(ctx, filepath.Join(e.sqliteDir, db.Name()+".sqlite"))
	case BackendFerretDBPostgreSQL:
		return acceleratePostgreSQL(ctx, e.postgresURL, db.Name())
	}
	return nil
}

func isNamespaceExists(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && ce.Code == 48
}

// accelerateSQLite indexes `_ferretdb_sjson->'$._id'` of every table of the
// SQLite database file.
func accelerateSQLite(ctx context.Context, file string) error {
	u := url.URL{Scheme: "file", Opaque: file, RawQuery: "_pragma=busy_timeout(30000)"}
	sdb, err := sql.Open("sqlite", u.String())
	if err != nil {
		return fmt.Errorf("store: open %s for its lookup indexes: %w", file, err)
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)
	rows, err := sdb.QueryContext(ctx, `SELECT table_name, name FROM _ferretdb_collections`)
	if err != nil {
		return fmt.Errorf("store: list tables of %s: %w", file, err)
	}
	tables, err := textPairs(rows, func() { rows.Close() }) // table → collection
	if err != nil {
		return fmt.Errorf("store: list tables of %s: %w", file, err)
	}
	for t, coll := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+"_ecpts_id", t)
		if _, err := sdb.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: index table %s of %s: %w", t, file, err)
		}
		// The lookups sqliteReader answers itself (sqliteFieldIndexes).
		for _, f := range sqliteFieldIndexes[coll] {
			q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (%s)`, sqliteIndexName(t, f), t, sqliteFieldExpr(f))
			if _, err := sdb.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("store: index %s.%s of %s: %w", coll, f, file, err)
			}
		}
	}
	return nil
}

// textRows are the rows of a query, database/sql's or pgx's.
type textRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// textPairs reads rows of two text columns as a map, first → second, and
// ends them with close.
func textPairs(rows textRows, close func()) (map[string]string, error) {
	defer close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	close()
	return out, rows.Err()
}

func queryStrings(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// acceleratePostgreSQL creates a GIN index on `_jsonb->'_id'` and on the
// accelFields of every table of the schema FerretDB keeps database in.
func acceleratePostgreSQL(ctx context.Context, rawURL, database string) error {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	conn, err := pgx.Connect(cctx, rawURL)
	cancel()
	if err != nil {
		return fmt.Errorf("ECPTS_POSTGRES_URL: cannot connect to %s for the lookup indexes: %w", redactedHost(rawURL), redactCredentials(err, rawURL))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	schema := pgx.Identifier{database}.Sanitize()
	rows, err := conn.Query(ctx, `SELECT _jsonb->>'_id', _jsonb->>'table' FROM `+schema+`._ferretdb_database_metadata`)
	if err != nil {
		return fmt.Errorf("store: list tables of schema %s: %w", database, err)
	}
	tables, err := textPairs(rows, rows.Close) // collection → table
	if err != nil {
		return fmt.Errorf("store: list tables of schema %s: %w", database, err)
	}
	for coll, table := range tables {
		for _, f := range append([]string{"_id"}, accelFields[coll]...) {
			name := pgx.Identifier{table + "_ecpts_" + f}.Sanitize()
			// fastupdate off: GIN's pending list would be scanned by every
			// lookup until a vacuum merges it (measured: a page far back
			// at 1,000,000 messages took 94 ms instead of a few).
			q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s.%s USING gin ((_jsonb->'%s') jsonb_path_ops) WITH (fastupdate = off)`,
				name, schema, pgx.Identifier{table}.Sanitize(), f)
			if _, err := conn.Exec(ctx, q); err != nil {
				return fmt.Errorf("store: index %s.%s of %s: %w", coll, f, database, err)
			}
		}
	}
	return nil
}
