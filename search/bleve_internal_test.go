package search

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/blevesearch/bleve/v2"
)

// TestBleveStaleSchema: an index written by another schema (mapping or
// analysis) is refused, so the caller rebuilds it instead of searching it
// with a mapping it was not built with.
func TestBleveStaleSchema(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "old")
	idx, err := bleve.New(dir, indexMapping())
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.SetInternal(schemaKey, []byte("ecpts-search-0")); err != nil {
		t.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = OpenBleve(dir)
	if !errors.Is(err, ErrStale) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("OpenBleve of an older schema = %v, want ErrStale and ErrUnavailable", err)
	}
}
