package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Config is the whole configuration of one e-CPTS process. Build it with
// Load, check it with Validate, then hand each part the fields it needs.
// Fields marked secret may hold credentials: never print them, log the
// Config itself (it redacts itself).
type Config struct {
	Addr        string     // ECPTS_ADDR, default "127.0.0.1:8080"
	DataDir     string     // ECPTS_DATA_DIR, default "./data"
	MongoURL    string     // ECPTS_MONGO_URL (secret); empty: embedded FerretDB
	MongoDB     string     // ECPTS_MONGO_DB, default "ecpts"
	PostgresURL string     // ECPTS_POSTGRES_URL (secret)
	RedisURL    string     // ECPTS_REDIS_URL (secret); empty: one node, in-memory broker and limits
	MeiliURL    string     // ECPTS_MEILI_URL; empty: embedded bleve index
	MeiliKey    string     // ECPTS_MEILI_KEY (secret)
	Demo        bool       // ECPTS_DEMO=1|true
	PublicURL   string     // ECPTS_PUBLIC_URL, e.g. https://ecpts.example.fr (no trailing slash), base of e-mail links; empty: the demo uses its listening address, otherwise no invitation is sent
	Origins     []string   // ECPTS_ORIGINS, comma-separated extra allowed origins (scheme://host[:port])
	SMTPURL     string     // ECPTS_SMTP_URL (secret), smtp://user:pass@host:587 or smtps://user:pass@host:465
	SMTPFrom    string     // ECPTS_SMTP_FROM, default "e-CPTS <no-reply@ecpts.invalid>"
	MasterKey   string     // ECPTS_MASTER_KEY (secret), base64 of 32 bytes; empty: generated once in the data dir
	LogLevel    slog.Level // ECPTS_LOG_LEVEL debug|info|warn|error, default info
	LogFormat   string     // ECPTS_LOG_FORMAT text|json, default text
	RedisPrefix string     // ECPTS_REDIS_PREFIX, default "ecpts:"
	// TrustedProxies: ECPTS_TRUSTED_PROXIES, comma-separated IPs or CIDRs of
	// reverse proxies whose X-Forwarded-For gives the client address (login
	// rate limiting per IP needs the real one behind a proxy) and whose
	// X-Forwarded-Host and -Proto give the host and scheme the browser used.
	// Forwarded headers from any other peer are ignored.
	TrustedProxies []string
	// SendRate: ECPTS_SEND_RATE, messages per second one user may send
	// through a node (bursts of 4× that, at least 20); 0 = 5/s.
	SendRate float64
	// WSPerUser: ECPTS_WS_PER_USER, WebSocket connections one user may
	// hold on a node (tabs, devices); 0 = 50. Raise it for load tests.
	WSPerUser int
	// WriteRate: ECPTS_WRITE_RATE, state-changing API requests per second
	// one user may make (bursts of 5× that, at least 100); 0 = 20/s.
	WriteRate float64
	// MaxUploadMB: ECPTS_MAX_UPLOAD_MB, the largest file one may upload,
	// in MiB (1 to 1024); 0 = DefaultMaxUploadMB. See MaxUploadBytes.
	MaxUploadMB int
	// ClamdAddr: ECPTS_CLAMD_ADDR, the ClamAV daemon that scans every
	// upload (host:port, tcp://host:port, or a Unix socket path, optionally
	// unix:-prefixed); empty: no virus scan.
	ClamdAddr string
	// DebugAddr: ECPTS_DEBUG_ADDR, a loopback address (127.0.0.1:6060,
	// [::1]:6060) serving Go's profiler (net/http/pprof) for load runs;
	// empty: none. Any other host is refused: profiles reveal memory.
	DebugAddr string
}

// DefaultMaxUploadMB is the upload limit when ECPTS_MAX_UPLOAD_MB is
// unset: Debian's clamd scans up to 25M by default (StreamMaxLength).
const DefaultMaxUploadMB = 25

// MaxUploadBytes is the upload limit in bytes.
func (c Config) MaxUploadBytes() int64 {
	if c.MaxUploadMB <= 0 {
		return DefaultMaxUploadMB << 20
	}
	return int64(c.MaxUploadMB) << 20
}

// Environment variable names.
const (
	EnvAddr           = "ECPTS_ADDR"
	EnvDataDir        = "ECPTS_DATA_DIR"
	EnvMongoURL       = "ECPTS_MONGO_URL"
	EnvMongoDB        = "ECPTS_MONGO_DB"
	EnvPostgresURL    = "ECPTS_POSTGRES_URL"
	EnvRedisURL       = "ECPTS_REDIS_URL"
	EnvMeiliURL       = "ECPTS_MEILI_URL"
	EnvMeiliKey       = "ECPTS_MEILI_KEY"
	EnvDemo           = "ECPTS_DEMO"
	EnvPublicURL      = "ECPTS_PUBLIC_URL"
	EnvOrigins        = "ECPTS_ORIGINS"
	EnvSMTPURL        = "ECPTS_SMTP_URL"
	EnvSMTPFrom       = "ECPTS_SMTP_FROM"
	EnvMasterKey      = "ECPTS_MASTER_KEY"
	EnvLogLevel       = "ECPTS_LOG_LEVEL"
	EnvLogFormat      = "ECPTS_LOG_FORMAT"
	EnvRedisPrefix    = "ECPTS_REDIS_PREFIX"
	EnvTrustedProxies = "ECPTS_TRUSTED_PROXIES"
	EnvSendRate       = "ECPTS_SEND_RATE"
	EnvWSPerUser      = "ECPTS_WS_PER_USER"
	EnvWriteRate      = "ECPTS_WRITE_RATE"
	EnvMaxUploadMB    = "ECPTS_MAX_UPLOAD_MB"
	EnvClamdAddr      = "ECPTS_CLAMD_ADDR"
	EnvDebugAddr      = "ECPTS_DEBUG_ADDR"
)

// Defaults returns the configuration used when no variable is set: a single
// node listening on loopback, with embedded storage and search in ./data.
func Defaults() Config {
	return Config{
		Addr:        "127.0.0.1:8080",
		DataDir:     "./data",
		MongoDB:     "ecpts",
		SMTPFrom:    "e-CPTS <no-reply@ecpts.invalid>",
		LogLevel:    slog.LevelInfo,
		LogFormat:   "text",
		RedisPrefix: "ecpts:",
	}
}

// maxSecretFile bounds what an X_FILE may hold: secrets are short, and a
// mistake such as ECPTS_MASTER_KEY_FILE=/dev/zero must not hang start-up.
const maxSecretFile = 64 << 10

// Load reads the configuration through getenv (os.Getenv in production, a
// map in tests). Unset or empty variables take their default. Each secret
// X may instead be given as X_FILE, the path of a file holding it (trailing
// newlines trimmed); setting both X and X_FILE is an error. Load reports
// every parse problem at once (errors.Join), each naming its variable and
// never the value of a secret. It does not call Validate.
func Load(getenv func(string) string) (Config, error) {
	c := Defaults()
	var errs []error
	str := func(name string, dst *string) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			*dst = v
		}
	}
	secret := func(name string, dst *string) {
		v, err := readSecret(getenv, name)
		if err != nil {
			errs = append(errs, err)
			return
		}
		*dst = v
	}

	str(EnvAddr, &c.Addr)
	str(EnvDataDir, &c.DataDir)
	secret(EnvMongoURL, &c.MongoURL)
	str(EnvMongoDB, &c.MongoDB)
	secret(EnvPostgresURL, &c.PostgresURL)
	secret(EnvRedisURL, &c.RedisURL)
	str(EnvMeiliURL, &c.MeiliURL)
	secret(EnvMeiliKey, &c.MeiliKey)
	str(EnvPublicURL, &c.PublicURL)
	// Origins are compared with the browser's Origin header, which is
	// lowercase and has no trailing slash.
	c.PublicURL = strings.ToLower(strings.TrimRight(c.PublicURL, "/"))
	secret(EnvSMTPURL, &c.SMTPURL)
	str(EnvSMTPFrom, &c.SMTPFrom)
	secret(EnvMasterKey, &c.MasterKey)
	str(EnvRedisPrefix, &c.RedisPrefix)

	if v := strings.TrimSpace(getenv(EnvDemo)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("config: %s: want 1, true, 0 or false, got %q", EnvDemo, v))
		}
		c.Demo = b
	}
	if v := strings.TrimSpace(getenv(EnvSendRate)); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 || r > 1e6 {
			errs = append(errs, fmt.Errorf("config: %s: want a number of messages per second above 0, got %q", EnvSendRate, v))
		}
		c.SendRate = r
	}
	if v := strings.TrimSpace(getenv(EnvWriteRate)); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 || r > 1e6 {
			errs = append(errs, fmt.Errorf("config: %s: want a number of requests per second above 0, got %q", EnvWriteRate, v))
		}
		c.WriteRate = r
	}
	if v := strings.TrimSpace(getenv(EnvWSPerUser)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			errs = append(errs, fmt.Errorf("config: %s: want a number of connections from 1 to 1000000, got %q", EnvWSPerUser, v))
		}
		c.WSPerUser = n
	}
	if v := strings.TrimSpace(getenv(EnvMaxUploadMB)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			errs = append(errs, fmt.Errorf("config: %s: want a size in MiB from 1 to 1024, got %q", EnvMaxUploadMB, v))
		}
		c.MaxUploadMB = n
	}
	str(EnvClamdAddr, &c.ClamdAddr)
	str(EnvDebugAddr, &c.DebugAddr)
	for _, p := range strings.Split(getenv(EnvTrustedProxies), ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	for _, o := range strings.Split(getenv(EnvOrigins), ",") {
		if o = strings.ToLower(strings.TrimRight(strings.TrimSpace(o), "/")); o != "" {
			c.Origins = append(c.Origins, o)
		}
	}
	if v := strings.ToLower(strings.TrimSpace(getenv(EnvLogLevel))); v != "" {
		lvl, ok := logLevels[v]
		if !ok {
			errs = append(errs, fmt.Errorf("config: %s: want debug, info, warn or error, got %q", EnvLogLevel, v))
		}
		c.LogLevel = lvl
	}
	if v := strings.ToLower(strings.TrimSpace(getenv(EnvLogFormat))); v != "" {
		c.LogFormat = v // Validate checks it: a Config built by hand gets the same check.
	}
	return c, errors.Join(errs...)
}

var logLevels = map[string]slog.Level{
	"debug":   slog.LevelDebug,
	"info":    slog.LevelInfo,
	"warn":    slog.LevelWarn,
	"warning": slog.LevelWarn,
	"error":   slog.LevelError,
}

// readSecret returns the value of name, or the content of the file named by
// name_FILE. Errors name the variables and the path, never the content.
func readSecret(getenv func(string) string, name string) (string, error) {
	fileVar := name + "_FILE"
	direct := getenv(name)
	path := strings.TrimSpace(getenv(fileVar))
	if path == "" {
		return strings.TrimSpace(direct), nil
	}
	if direct != "" {
		return "", fmt.Errorf("config: %s and %s are both set: keep only one", name, fileVar)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("config: %s: cannot open the file: %w", fileVar, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("config: %s: cannot read the file: %w", fileVar, err)
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("config: %s: file larger than %d bytes", fileVar, maxSecretFile)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		// An empty secret file is a deployment mistake; silently treating
		// it as unset would, for the master key, generate a new one.
		return "", fmt.Errorf("config: %s: file is empty", fileVar)
	}
	return v, nil
}

// Validate reports every problem of c at once (errors.Join), each naming
// its variable. Messages show the scheme of a URL, never the URL itself:
// it may carry a password.
func (c Config) Validate() error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: "+name+": "+format, args...))
	}

	if err := checkAddr(c.Addr); err != nil {
		bad(EnvAddr, "%v", err)
	}
	if c.DebugAddr != "" {
		if err := checkLoopback(c.DebugAddr); err != nil {
			bad(EnvDebugAddr, "%v", err)
		}
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad(EnvDataDir, "must not be empty")
	}
	if err := checkMongoDBName(c.MongoDB); err != nil {
		bad(EnvMongoDB, "%v", err)
	}
	for _, u := range []struct {
		env, value string
		needHost   bool
		schemes    []string
	}{
		{EnvMongoURL, c.MongoURL, true, []string{"mongodb", "mongodb+srv"}},
		// An empty host is legal in PostgreSQL URLs (Unix socket).
		{EnvPostgresURL, c.PostgresURL, false, []string{"postgres", "postgresql"}},
		{EnvRedisURL, c.RedisURL, true, []string{"redis", "rediss"}},
		{EnvMeiliURL, c.MeiliURL, true, []string{"http", "https"}},
	} {
		if u.value == "" {
			continue
		}
		if err := checkURL(u.value, u.needHost, u.schemes...); err != nil {
			bad(u.env, "%v", err)
		}
	}
	if c.PublicURL != "" {
		if err := checkOrigin(c.PublicURL); err != nil {
			bad(EnvPublicURL, "%v", err)
		}
	}
	for i, o := range c.Origins {
		if err := checkOrigin(o); err != nil {
			bad(EnvOrigins, "entry %d: %v", i+1, err)
		}
	}
	if c.SMTPURL != "" {
		if err := checkURL(c.SMTPURL, true, "smtp", "smtps"); err != nil {
			bad(EnvSMTPURL, "%v", err)
		}
	}
	if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
		bad(EnvSMTPFrom, "not an e-mail address such as \"e-CPTS <no-reply@example.fr>\"")
	}
	if c.MasterKey != "" {
		if _, err := DecodeMasterKey(c.MasterKey); err != nil {
			bad(EnvMasterKey, "%v", err)
		}
	}
	if c.LogLevel < slog.LevelDebug || c.LogLevel > slog.LevelError {
		bad(EnvLogLevel, "want debug, info, warn or error")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad(EnvLogFormat, "want text or json, got %q", c.LogFormat)
	}
	for i, p := range c.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			bad(EnvTrustedProxies, "entry %d: not an IP address or CIDR", i+1)
		}
	}
	if strings.ContainsAny(c.RedisPrefix, " \t\r\n") {
		bad(EnvRedisPrefix, "must not contain spaces")
	}
	if c.MaxUploadMB < 0 || c.MaxUploadMB > 1024 {
		bad(EnvMaxUploadMB, "want a size in MiB from 1 to 1024")
	}
	if c.ClamdAddr != "" {
		if err := checkClamdAddr(c.ClamdAddr); err != nil {
			bad(EnvClamdAddr, "%v", err)
		}
	}
	return errors.Join(errs...)
}

// MasterKeyLen is the length of the decoded master key (AES-256).
const MasterKeyLen = 32

// DecodeMasterKey decodes a master key given in standard or URL-safe
// base64, padded or not. The error never contains the key.
func DecodeMasterKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != MasterKeyLen {
				return nil, fmt.Errorf("must decode to %d bytes, got %d", MasterKeyLen, len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("not valid base64 (generate one with: openssl rand -base64 32)")
}

// AllowedOrigins returns the origins (scheme://host[:port]) that browsers
// may use: the public URL's, then the extra ones. Empty when neither is
// configured, in which case the server compares Origin with the Host header.
func (c Config) AllowedOrigins() []string {
	var out []string
	if c.PublicURL != "" {
		out = append(out, c.PublicURL)
	}
	return append(out, c.Origins...)
}

func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port such as 127.0.0.1:8080, got %q", addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port must be a number from 0 to 65535, got %q", port)
	}
	return nil
}

// checkClamdAddr accepts what internal/clamav.ParseAddr does: a Unix
// socket ("/run/clamav/clamd.ctl", "unix:/…") or TCP ("host:port",
// "tcp://host:port").
func checkClamdAddr(addr string) error {
	if p, ok := strings.CutPrefix(addr, "unix:"); ok {
		if !strings.HasPrefix(strings.TrimPrefix(p, "//"), "/") {
			return errors.New("a Unix socket needs an absolute path, e.g. /run/clamav/clamd.ctl")
		}
		return nil
	}
	if strings.HasPrefix(addr, "/") {
		return nil
	}
	host, port, err := net.SplitHostPort(strings.TrimPrefix(addr, "tcp://"))
	if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		return fmt.Errorf("want host:port (e.g. clamav:3310), tcp://host:port or a Unix socket path, got %q", addr)
	}
	return nil
}

// checkMongoDBName applies MongoDB's database name rules.
func checkMongoDBName(name string) error {
	switch {
	case name == "":
		return errors.New("must not be empty")
	case len(name) > 63:
		return errors.New("at most 63 bytes")
	case strings.ContainsAny(name, "/\\. \"$*<>:|?\x00"):
		return fmt.Errorf("must not contain any of / \\ . space \" $ * < > : | ?, got %q", name)
	}
	return nil
}

// checkURL checks the scheme and, when needHost, the host of a URL that may
// carry credentials: the error never quotes the URL (url.Parse errors do,
// so they are not wrapped).
func checkURL(raw string, needHost bool, schemes ...string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	ok := false
	for _, s := range schemes {
		if strings.EqualFold(u.Scheme, s) {
			ok = true
		}
	}
	if !ok {
		want := make([]string, len(schemes))
		for i, s := range schemes {
			want[i] = s + "://"
		}
		got := u.Scheme
		if got == "" {
			got = "none"
		}
		return fmt.Errorf("scheme must be %s, got %q", strings.Join(want, " or "), got)
	}
	if u.User == nil && strings.Contains(raw, "@") {
		return errors.New("'@' outside the user part: percent-encode '/', '?', '#' and '@' in the password")
	}
	if needHost && u.Host == "" {
		return errors.New("URL has no host")
	}
	return nil
}

// checkOrigin accepts exactly scheme://host[:port] with an http(s) scheme.
func checkOrigin(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a valid URL: %q", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("want http://host[:port] or https://host[:port], got %q", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("URL has no host: %q", raw)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || u.ForceQuery {
		return fmt.Errorf("want only scheme://host[:port], without user, path, query or fragment, got %q", redactURL(raw))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port must be a number from 1 to 65535, got %q", p)
		}
	}
	return nil
}

// checkLoopback accepts host:port where host is a loopback IP or
// "localhost".
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port, got %q", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("bad port %q", port)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("must be a loopback address (127.0.0.1 or [::1]), got %q", host)
	}
	return nil
}
