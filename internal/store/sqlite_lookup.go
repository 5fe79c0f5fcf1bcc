package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
)

// sqliteFieldIndexes are the lookups by a field other than _id that the
// store answers, on FerretDB's SQLite backend, straight from the SQLite
// file on an expression index (collection → fields). FerretDB v1.24's
// SQLite backend pushes no filter but a lone _id equality down to SQL:
// a filter on post_id read the whole post_reactions and rsvps tables for
// every feed page (and the post_pins table for its feed), so its cost grew with every reaction and answer of the
// platform. accelerateSQLite creates the indexes, sqliteReader queries
// them.
var sqliteFieldIndexes = map[string][]string{
	"post_reactions": {"post_id"},
	"rsvps":          {"post_id"},
	"post_pins":      {"feed"},
}

// sqliteIndexName is the name of the expression index on field of table.
func sqliteIndexName(table, field string) string { return table + "_ecpts_" + field }

// sqliteFieldExpr is the expression a field is indexed and filtered on:
// its JSON text in FerretDB's sjson column (a string as "…").
func sqliteFieldExpr(field string) string { return fmt.Sprintf(`_ferretdb_sjson->'$.%s'`, field) }

// sqliteReader reads, read-only, the SQLite database FerretDB keeps a
// database in. Reads see what FerretDB committed (WAL); writes always go
// through FerretDB.
type sqliteReader struct {
	db *sql.DB

	mu     sync.Mutex
	tables map[string]string // collection → table, once seen
}

func openSQLiteReader(file string) (*sqliteReader, error) {
	u := url.URL{Scheme: "file", Opaque: file, RawQuery: "_pragma=busy_timeout(30000)&_pragma=query_only(1)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("store: open %s for reading: %w", file, err)
	}
	db.SetMaxOpenConns(4)
	return &sqliteReader{db: db, tables: map[string]string{}}, nil
}

func (r *sqliteReader) close() error { return r.db.Close() }

// table returns the SQL table of collection coll ("" when it has none yet).
func (r *sqliteReader) table(ctx context.Context, coll string) (string, error) {
	r.mu.Lock()
	t, ok := r.tables[coll]
	r.mu.Unlock()
	if ok {
		return t, nil
	}
	err := r.db.QueryRowContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE name = ?`, coll).Scan(&t)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	r.tables[coll] = t
	r.mu.Unlock()
	return t, nil
}

// whereIn builds `FROM table WHERE <field expr> IN (?, …)` and its
// arguments for string values; "" when the collection has no table.
func (r *sqliteReader) whereIn(ctx context.Context, coll, field string, values []string) (string, []any, error) {
	t, err := r.table(ctx, coll)
	if err != nil || t == "" {
		return "", nil, err
	}
	args := make([]any, len(values))
	for i, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			return "", nil, err
		}
		args[i] = string(b)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(values)), ", ")
	return fmt.Sprintf(` FROM %q INDEXED BY %q WHERE %s IN (%s)`, t, sqliteIndexName(t, field), sqliteFieldExpr(field), marks), args, nil
}
