// Package frontend holds the e-CPTS web app (Svelte, built by Vite into
// dist/app) and exposes the built files to the Go server as an fs.FS.
//
// A backend-only binary is built with the no_ui tag; a normal build without
// a prior `npm run build` still compiles (dist/.keep keeps the embed pattern
// matching) and Dist then reports false.
package frontend
