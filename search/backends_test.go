package search_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecpts/ecpts/search"
	"github.com/ecpts/ecpts/search/searchtest"
)

func openBleveDisk(t *testing.T) search.Index {
	idx, err := search.OpenBleve(filepath.Join(t.TempDir(), "search", "bleve"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idx.Close() })
	return idx
}

func openBleveMemory(t *testing.T) search.Index {
	idx, err := search.OpenBleve("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idx.Close() })
	return idx
}

// TestBleve runs the contract suite on the embedded index on disk, the
// default backend.
func TestBleve(t *testing.T) { searchtest.Run(t, openBleveDisk) }

// TestBleveMemory runs it on the in-memory index (nothing on disk).
func TestBleveMemory(t *testing.T) { searchtest.Run(t, openBleveMemory) }

var meiliIndexSeq atomic.Int64

// TestMeili runs the contract suite on a real Meilisearch when
// ECPTS_MEILI_URL is set (and ECPTS_MEILI_KEY if it needs one), in indexes
// of its own that it deletes afterwards. Not on the development machine
// nor CI, which have no Meilisearch: there the request shapes are checked
// against a recording server (meili_test.go).
func TestMeili(t *testing.T) {
	url := os.Getenv("ECPTS_MEILI_URL")
	if url == "" {
		t.Log("ECPTS_MEILI_URL unset: real Meilisearch suite not run")
		return
	}
	key := os.Getenv("ECPTS_MEILI_KEY")
	run := fmt.Sprintf("ecpts_test_%d", time.Now().UnixNano())
	searchtest.Run(t, func(t *testing.T) search.Index {
		uid := fmt.Sprintf("%s_%d", run, meiliIndexSeq.Add(1))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		idx, err := search.OpenMeili(ctx, search.MeiliOptions{URL: url, Key: key, Index: uid})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = idx.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := search.DropMeiliIndex(ctx, search.MeiliOptions{URL: url, Key: key, Index: uid}); err != nil {
				t.Errorf("drop %s: %v", uid, err)
			}
		})
		return idx
	})
}

// TestBleveReopen: what was upserted is there after a close and a reopen;
// a directory that is not an index, or an index of another schema, is
// refused with ErrUnavailable (ErrStale for the schema) and left as it is.
func TestBleveReopen(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "bleve")
	idx, err := search.OpenBleve(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.Upsert(ctx, searchtest.Fixture()...); err != nil {
		t.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	idx, err = search.OpenBleve(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := idx.Search(ctx, search.Query{Text: "cystyte", Allowed: []string{"cpts:a0000000000000000000000a"}})
	if err != nil || res.Total != 1 {
		t.Errorf("after reopen: %+v, %v", res, err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}

	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := search.OpenBleve(other); !errors.Is(err, search.ErrUnavailable) {
		t.Errorf("a non-empty directory that is no index: %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, "notes.txt")); err != nil {
		t.Errorf("the directory was touched: %v", err)
	}
	corrupt := t.TempDir()
	if err := os.WriteFile(filepath.Join(corrupt, "index_meta.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := search.OpenBleve(corrupt); !errors.Is(err, search.ErrUnavailable) {
		t.Errorf("a corrupt index: %v", err)
	}
}
