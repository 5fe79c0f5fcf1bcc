//go:build no_ui

package frontend

import "io/fs"

// Dist reports that this binary was built without the UI (tag no_ui).
func Dist() (fs.FS, bool) { return nil, false }
