//go:build !no_ui

package frontend

import (
	"embed"
	"io/fs"
)

// dist holds dist/.keep always, and dist/app once `npm run build` ran.
//
//go:embed all:dist
var dist embed.FS

// Dist returns the built app (the dist/app directory, index.html at its
// root) and true, or nil and false when the UI was not built before the Go
// build. The returned FS is read-only and safe for concurrent use.
func Dist() (fs.FS, bool) {
	if _, err := fs.Stat(dist, "dist/app/index.html"); err != nil {
		return nil, false
	}
	sub, err := fs.Sub(dist, "dist/app")
	if err != nil {
		return nil, false
	}
	return sub, true
}
