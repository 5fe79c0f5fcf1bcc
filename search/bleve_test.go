package search_test

import (
	"path/filepath"
	"testing"

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

func TestBleve(t *testing.T)       { searchtest.Run(t, openBleveDisk) }
func TestBleveMemory(t *testing.T) { searchtest.Run(t, openBleveMemory) }
