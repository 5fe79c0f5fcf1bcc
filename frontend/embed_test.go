//go:build !no_ui

package frontend

import (
	"io/fs"
	"os"
	"strings"
	"testing"
)

// TestDistMatchesBuild: Dist reports the UI exactly when `npm run build`
// produced dist/app/index.html, and then serves it from the FS root.
func TestDistMatchesBuild(t *testing.T) {
	_, statErr := os.Stat("dist/app/index.html")
	built := statErr == nil

	fsys, ok := Dist()
	if ok != built {
		t.Fatalf("Dist() ok = %v, but dist/app/index.html exists = %v", ok, built)
	}
	if !ok {
		if fsys != nil {
			t.Fatal("Dist() returned a non-nil FS without a built UI")
		}
		return
	}
	index, err := fs.ReadFile(fsys, "index.html")
	if err != nil {
		t.Fatalf("read index.html from Dist(): %v", err)
	}
	if !strings.Contains(string(index), `id="app"`) {
		t.Fatal("index.html from Dist() has no app mount point")
	}
	if _, err := fs.Stat(fsys, ".keep"); err == nil {
		t.Fatal("Dist() must be rooted at dist/app, not dist")
	}
}
