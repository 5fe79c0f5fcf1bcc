package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
)

// LogValue is the redacted form of c, for slog: secret URLs keep their
// scheme and host but lose user, password, path and query (a PostgreSQL or
// MongoDB query may hold a password too); keys only say whether they are
// set.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("data_dir", c.DataDir),
		slog.String("mongo_url", redactURL(c.MongoURL)),
		slog.String("mongo_db", c.MongoDB),
		slog.String("postgres_url", redactURL(c.PostgresURL)),
		slog.String("redis_url", redactURL(c.RedisURL)),
		slog.String("meili_url", redactURL(c.MeiliURL)),
		slog.String("meili_key", setOrNot(c.MeiliKey)),
		slog.Bool("demo", c.Demo),
		slog.String("public_url", redactURL(c.PublicURL)),
		slog.String("origins", redactList(c.Origins)),
		slog.String("smtp_url", redactURL(c.SMTPURL)),
		slog.String("smtp_from", c.SMTPFrom),
		slog.String("master_key", setOrNot(c.MasterKey)),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("log_format", c.LogFormat),
		slog.String("redis_prefix", c.RedisPrefix),
	)
}

// String is the redacted form of c, so that fmt.Print(cfg) or %v in an
// error never shows a secret.
func (c Config) String() string {
	var b strings.Builder
	b.WriteString("config{")
	for i, a := range c.LogValue().Group() {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%s", a.Key, a.Value.String())
	}
	b.WriteByte('}')
	return b.String()
}

// GoString keeps %#v redacted as well.
func (c Config) GoString() string { return c.String() }

func setOrNot(s string) string {
	if s == "" {
		return "[unset]"
	}
	return "[set]"
}

// redactURL keeps scheme://host of raw. An unparsable value is not shown at
// all: it may be a password pasted in the wrong variable.
func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return "[set, unparsable]"
	}
	if u.User == nil && strings.Contains(raw, "@") {
		// A password holding '/', '?' or '#' moves the '@' out of the
		// authority, and part of the password would pass for the host.
		return u.Scheme + "://[redacted]"
	}
	out := u.Scheme + "://" + u.Host
	if u.User != nil || u.RawQuery != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		out += "/[redacted]"
	}
	return out
}

func redactList(list []string) string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = redactURL(s)
	}
	return strings.Join(out, ",")
}
