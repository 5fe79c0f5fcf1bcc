package store

import (
	"context"
	"log/slog"
	"strings"
)

// ferretLogHandler is the slog.Handler FerretDB logs through. FerretDB
// logs failed SQL with its arguments (document contents: message bodies,
// e-mails, password hashes) and failed responses with their bodies, so
// this handler:
//   - passes only Warn and above (Debug/Info carry every query);
//   - drops every attribute whose key starts with "args" or is "sql", at
//     any depth (inside groups too, and those given through With);
//   - drops the "Response header/message" records, which dump a whole
//     wire message; the same error reaches the driver and our caller;
//   - masks the credentials of the PostgreSQL URL (pgx names the user);
//   - drops PostgreSQL unique violations (SQLSTATE 23505), logged at
//     ERROR by the pgx tracer: they are expected outcomes (a taken e-mail,
//     a lost invitation race) that the caller receives as ErrConflict.
type ferretLogHandler struct {
	next    slog.Handler
	secrets []string // replaced by "***" in messages and string values
}

func newFerretLogHandler(next slog.Handler, secrets ...string) slog.Handler {
	return &ferretLogHandler{next: next, secrets: secrets}
}

func (h *ferretLogHandler) mask(s string) string {
	for _, x := range h.secrets {
		s = strings.ReplaceAll(s, x, "***")
	}
	return s
}

const ferretMinLevel = slog.LevelWarn

func (h *ferretLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= ferretMinLevel && h.next.Enabled(ctx, l)
}

// dumpsWireMessage reports a record that prints a wire message.
func dumpsWireMessage(msg string) bool {
	for _, p := range []string{"Response header", "Response message", "Proxy response", "Header diff", "Request header", "Request message"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func (h *ferretLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < ferretMinLevel || dumpsWireMessage(r.Message) || uniqueViolation(r) {
		return nil
	}
	clean := slog.NewRecord(r.Time, r.Level, h.mask(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a, ok := h.redactAttr(a); ok {
			clean.AddAttrs(a)
		}
		return true
	})
	return h.next.Handle(ctx, clean)
}

func (h *ferretLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	kept := make([]slog.Attr, 0, len(attrs))
	for _, a := range attrs {
		if a, ok := h.redactAttr(a); ok {
			kept = append(kept, a)
		}
	}
	return &ferretLogHandler{next: h.next.WithAttrs(kept), secrets: h.secrets}
}

func (h *ferretLogHandler) WithGroup(name string) slog.Handler {
	return &ferretLogHandler{next: h.next.WithGroup(name), secrets: h.secrets}
}

// uniqueViolation reports a record about a PostgreSQL unique violation.
func uniqueViolation(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if (a.Key == "err" || a.Key == "error") && strings.Contains(a.Value.Resolve().String(), "(SQLSTATE 23505)") {
			found = true
			return false
		}
		return true
	})
	return found
}

// sensitiveKey reports an attribute key that carries SQL or its arguments.
func sensitiveKey(k string) bool {
	return k == "sql" || strings.HasPrefix(k, "args")
}

// redactAttr returns a without its sensitive parts, and false when nothing
// is left to log.
func (h *ferretLogHandler) redactAttr(a slog.Attr) (slog.Attr, bool) {
	if sensitiveKey(a.Key) {
		return slog.Attr{}, false
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
	case slog.KindString, slog.KindAny: // errors are KindAny
		if len(h.secrets) > 0 {
			if s := v.String(); h.mask(s) != s {
				return slog.String(a.Key, h.mask(s)), true
			}
		}
		return slog.Attr{Key: a.Key, Value: v}, true
	default:
		return slog.Attr{Key: a.Key, Value: v}, true
	}
	var kept []slog.Attr
	for _, g := range v.Group() {
		if g, ok := h.redactAttr(g); ok {
			kept = append(kept, g)
		}
	}
	if len(kept) == 0 {
		return slog.Attr{}, false
	}
	return slog.Attr{Key: a.Key, Value: slog.GroupValue(kept...)}, true
}
