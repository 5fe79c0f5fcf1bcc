// Package config builds the Config value from ECPTS_* environment variables:
// defaults in one literal, secrets optionally read from files (X_FILE, for
// container secrets), every problem reported at once by Validate, and a
// redacted view for logs (Config implements slog.LogValuer and fmt.Stringer)
// so that credentials never reach a log line. It is a leaf: it imports
// nothing of the project.
package config
