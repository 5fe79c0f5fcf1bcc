package config_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ecpts/ecpts/internal/config"
)

// env is a fake environment for Load.
type env map[string]string

func (e env) get(k string) string { return e[k] }

var validKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))

func TestLoadDefaults(t *testing.T) {
	c, err := config.Load(env{}.get)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := config.Config{
		Addr:        "127.0.0.1:8080",
		DataDir:     "./data",
		MongoDB:     "ecpts",
		SMTPFrom:    "e-CPTS <no-reply@ecpts.invalid>",
		LogLevel:    slog.LevelInfo,
		LogFormat:   "text",
		RedisPrefix: "ecpts:",
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("defaults:\n got %#v\nwant %#v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

func TestLoadEachVariable(t *testing.T) {
	tests := []struct {
		env  env
		want func(*config.Config)
	}{
		{env{"ECPTS_ADDR": ":9000"}, func(c *config.Config) { c.Addr = ":9000" }},
		{env{"ECPTS_ADDR": "  [::1]:0  "}, func(c *config.Config) { c.Addr = "[::1]:0" }},
		{env{"ECPTS_DATA_DIR": "/var/lib/ecpts"}, func(c *config.Config) { c.DataDir = "/var/lib/ecpts" }},
		{env{"ECPTS_MONGO_URL": "mongodb://u:p@db:27017/"}, func(c *config.Config) { c.MongoURL = "mongodb://u:p@db:27017/" }},
		{env{"ECPTS_MONGO_DB": "ecpts_test"}, func(c *config.Config) { c.MongoDB = "ecpts_test" }},
		{env{"ECPTS_POSTGRES_URL": "postgres://root@127.0.0.1:5432/test"}, func(c *config.Config) { c.PostgresURL = "postgres://root@127.0.0.1:5432/test" }},
		{env{"ECPTS_REDIS_URL": "redis://127.0.0.1:6379/0"}, func(c *config.Config) { c.RedisURL = "redis://127.0.0.1:6379/0" }},
		{env{"ECPTS_MEILI_URL": "http://127.0.0.1:7700"}, func(c *config.Config) { c.MeiliURL = "http://127.0.0.1:7700" }},
		{env{"ECPTS_MEILI_KEY": "k3y"}, func(c *config.Config) { c.MeiliKey = "k3y" }},
		{env{"ECPTS_DEMO": "1"}, func(c *config.Config) { c.Demo = true }},
		{env{"ECPTS_WS_PER_USER": " 20000 "}, func(c *config.Config) { c.WSPerUser = 20000 }},
		{env{"ECPTS_WRITE_RATE": "100000"}, func(c *config.Config) { c.WriteRate = 100000 }},
		{env{"ECPTS_DEMO": "true"}, func(c *config.Config) { c.Demo = true }},
		{env{"ECPTS_DEMO": "0"}, func(c *config.Config) {}},
		{env{"ECPTS_DEMO": "false"}, func(c *config.Config) {}},
		{env{"ECPTS_PUBLIC_URL": "https://ECPTS.example.fr/"}, func(c *config.Config) { c.PublicURL = "https://ecpts.example.fr" }},
		{env{"ECPTS_ORIGINS": " https://a.example.fr, ,http://localhost:5173/ ,"}, func(c *config.Config) {
			c.Origins = []string{"https://a.example.fr", "http://localhost:5173"}
		}},
		{env{"ECPTS_SMTP_URL": "smtps://u:p@mail.example.fr:465"}, func(c *config.Config) { c.SMTPURL = "smtps://u:p@mail.example.fr:465" }},
		{env{"ECPTS_SMTP_FROM": "CPTS <noreply@cpts.fr>"}, func(c *config.Config) { c.SMTPFrom = "CPTS <noreply@cpts.fr>" }},
		{env{"ECPTS_MASTER_KEY": validKey}, func(c *config.Config) { c.MasterKey = validKey }},
		{env{"ECPTS_LOG_LEVEL": "debug"}, func(c *config.Config) { c.LogLevel = slog.LevelDebug }},
		{env{"ECPTS_LOG_LEVEL": "WARN"}, func(c *config.Config) { c.LogLevel = slog.LevelWarn }},
		{env{"ECPTS_LOG_LEVEL": "error"}, func(c *config.Config) { c.LogLevel = slog.LevelError }},
		{env{"ECPTS_LOG_FORMAT": "JSON"}, func(c *config.Config) { c.LogFormat = "json" }},
		{env{"ECPTS_REDIS_PREFIX": "t1:"}, func(c *config.Config) { c.RedisPrefix = "t1:" }},
		{env{"ECPTS_MAX_UPLOAD_MB": "100"}, func(c *config.Config) { c.MaxUploadMB = 100 }},
		{env{"ECPTS_CLAMD_ADDR": "clamav:3310"}, func(c *config.Config) { c.ClamdAddr = "clamav:3310" }},
		{env{"ECPTS_CLAMD_ADDR": "/run/clamav/clamd.ctl"}, func(c *config.Config) { c.ClamdAddr = "/run/clamav/clamd.ctl" }},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.env), func(t *testing.T) {
			got, err := config.Load(tt.env.get)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := config.Defaults()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("\n got %#v\nwant %#v", got, want)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

func TestLoadParseErrors(t *testing.T) {
	tests := []struct {
		env      env
		variable string
	}{
		{env{"ECPTS_DEMO": "yes please"}, "ECPTS_DEMO"},
		{env{"ECPTS_WS_PER_USER": "0"}, "ECPTS_WS_PER_USER"},
		{env{"ECPTS_WRITE_RATE": "-1"}, "ECPTS_WRITE_RATE"},
		{env{"ECPTS_WRITE_RATE": "vite"}, "ECPTS_WRITE_RATE"},
		{env{"ECPTS_WS_PER_USER": "beaucoup"}, "ECPTS_WS_PER_USER"},
		{env{"ECPTS_LOG_LEVEL": "verbose"}, "ECPTS_LOG_LEVEL"},
		{env{"ECPTS_MAX_UPLOAD_MB": "0"}, "ECPTS_MAX_UPLOAD_MB"},
		{env{"ECPTS_MAX_UPLOAD_MB": "2048"}, "ECPTS_MAX_UPLOAD_MB"},
		{env{"ECPTS_MAX_UPLOAD_MB": "25Mo"}, "ECPTS_MAX_UPLOAD_MB"},
	}
	for _, tt := range tests {
		_, err := config.Load(tt.env.get)
		if err == nil || !strings.Contains(err.Error(), tt.variable) {
			t.Errorf("Load(%v) = %v, want an error naming %s", tt.env, err, tt.variable)
		}
	}
}

func TestLoadSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secrets := []struct {
		variable string
		value    string
		field    func(config.Config) string
	}{
		{"ECPTS_MONGO_URL", "mongodb://u:s3cr3t@db:27017", func(c config.Config) string { return c.MongoURL }},
		{"ECPTS_POSTGRES_URL", "postgres://u:s3cr3t@db/ecpts", func(c config.Config) string { return c.PostgresURL }},
		{"ECPTS_REDIS_URL", "rediss://:s3cr3t@cache:6380/1", func(c config.Config) string { return c.RedisURL }},
		{"ECPTS_MEILI_KEY", "s3cr3t-meili", func(c config.Config) string { return c.MeiliKey }},
		{"ECPTS_SMTP_URL", "smtp://u:s3cr3t@mail:587", func(c config.Config) string { return c.SMTPURL }},
		{"ECPTS_MASTER_KEY", validKey, func(c config.Config) string { return c.MasterKey }},
	}
	for _, s := range secrets {
		t.Run(s.variable, func(t *testing.T) {
			p := write(s.variable, s.value+"\r\n\n")
			c, err := config.Load(env{s.variable + "_FILE": p}.get)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := s.field(c); got != s.value {
				t.Fatalf("value from file = %q, want %q", got, s.value)
			}

			_, err = config.Load(env{s.variable: s.value, s.variable + "_FILE": p}.get)
			if err == nil || !strings.Contains(err.Error(), s.variable+"_FILE") {
				t.Fatalf("both set: err = %v, want one naming %s_FILE", err, s.variable)
			}

			missing := filepath.Join(dir, "missing")
			_, err = config.Load(env{s.variable + "_FILE": missing}.get)
			if err == nil || !strings.Contains(err.Error(), s.variable+"_FILE") || !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("missing file: err = %v, want os.ErrNotExist naming %s_FILE", err, s.variable)
			}

			empty := write(s.variable+"-empty", "\n")
			_, err = config.Load(env{s.variable + "_FILE": empty}.get)
			if err == nil || !strings.Contains(err.Error(), "empty") {
				t.Fatalf("empty file: err = %v", err)
			}
		})
	}

	t.Run("unreadable content is not quoted", func(t *testing.T) {
		_, err := config.Load(env{"ECPTS_MEILI_KEY_FILE": dir}.get) // a directory: read fails
		if err == nil || !strings.Contains(err.Error(), "ECPTS_MEILI_KEY_FILE") {
			t.Fatalf("directory as secret file: err = %v", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		p := write("big", strings.Repeat("x", 70<<10))
		_, err := config.Load(env{"ECPTS_MEILI_KEY_FILE": p}.get)
		if err == nil || !strings.Contains(err.Error(), "larger") || strings.Contains(err.Error(), "xxxx") {
			t.Fatalf("big file: err = %v", err)
		}
	})
	t.Run("errors are collected", func(t *testing.T) {
		_, err := config.Load(env{
			"ECPTS_MEILI_KEY": "a", "ECPTS_MEILI_KEY_FILE": "/x",
			"ECPTS_REDIS_URL_FILE": filepath.Join(dir, "nope"),
			"ECPTS_LOG_LEVEL":      "loud",
		}.get)
		for _, v := range []string{"ECPTS_MEILI_KEY_FILE", "ECPTS_REDIS_URL_FILE", "ECPTS_LOG_LEVEL"} {
			if err == nil || !strings.Contains(err.Error(), v) {
				t.Errorf("err = %v, want it to name %s", err, v)
			}
		}
	})
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		mod      func(*config.Config)
		variable string // "" means valid
	}{
		{"ipv6 addr", func(c *config.Config) { c.Addr = "[::1]:8080" }, ""},
		{"all interfaces", func(c *config.Config) { c.Addr = ":8080" }, ""},
		{"addr without port", func(c *config.Config) { c.Addr = "localhost" }, "ECPTS_ADDR"},
		{"addr bad port", func(c *config.Config) { c.Addr = "localhost:http" }, "ECPTS_ADDR"},
		{"addr port too big", func(c *config.Config) { c.Addr = "localhost:70000" }, "ECPTS_ADDR"},
		{"empty data dir", func(c *config.Config) { c.DataDir = " " }, "ECPTS_DATA_DIR"},
		{"mongo db with dot", func(c *config.Config) { c.MongoDB = "a.b" }, "ECPTS_MONGO_DB"},
		{"mongo db empty", func(c *config.Config) { c.MongoDB = "" }, "ECPTS_MONGO_DB"},
		{"mongo srv", func(c *config.Config) { c.MongoURL = "mongodb+srv://u:p@cluster.example.net/?retryWrites=true" }, ""},
		{"mongo replica set", func(c *config.Config) { c.MongoURL = "mongodb://u:p@h1:27017,h2:27017/?replicaSet=rs0" }, ""},
		{"mongo wrong scheme", func(c *config.Config) { c.MongoURL = "http://db:27017" }, "ECPTS_MONGO_URL"},
		{"mongo no host", func(c *config.Config) { c.MongoURL = "mongodb://" }, "ECPTS_MONGO_URL"},
		{"postgresql scheme", func(c *config.Config) { c.PostgresURL = "postgresql://root@127.0.0.1/test" }, ""},
		{"postgres unix socket", func(c *config.Config) { c.PostgresURL = "postgres:///test?host=/run/postgresql" }, ""},
		{"postgres keyword dsn", func(c *config.Config) { c.PostgresURL = "host=db user=u password=p" }, "ECPTS_POSTGRES_URL"},
		{"redis", func(c *config.Config) { c.RedisURL = "redis://:p@127.0.0.1:6379/0" }, ""},
		{"rediss", func(c *config.Config) { c.RedisURL = "rediss://cache:6380" }, ""},
		{"redis wrong scheme", func(c *config.Config) { c.RedisURL = "tcp://cache:6379" }, "ECPTS_REDIS_URL"},
		{"redis password with slash", func(c *config.Config) { c.RedisURL = "redis://:a/b@cache:6379" }, "ECPTS_REDIS_URL"},
		{"meili without key", func(c *config.Config) { c.MeiliURL = "http://127.0.0.1:7700" }, ""},
		{"meili wrong scheme", func(c *config.Config) { c.MeiliURL = "127.0.0.1:7700" }, "ECPTS_MEILI_URL"},
		{"public url", func(c *config.Config) { c.PublicURL = "https://ecpts.example.fr:8443" }, ""},
		{"public url with path", func(c *config.Config) { c.PublicURL = "https://example.fr/ecpts" }, "ECPTS_PUBLIC_URL"},
		{"public url ftp", func(c *config.Config) { c.PublicURL = "ftp://example.fr" }, "ECPTS_PUBLIC_URL"},
		{"public url no host", func(c *config.Config) { c.PublicURL = "https://" }, "ECPTS_PUBLIC_URL"},
		{"origins", func(c *config.Config) { c.Origins = []string{"http://localhost:5173", "https://x.fr"} }, ""},
		{"origin with query", func(c *config.Config) { c.Origins = []string{"https://x.fr?a=1"} }, "ECPTS_ORIGINS"},
		{"origin without scheme", func(c *config.Config) { c.Origins = []string{"x.fr"} }, "ECPTS_ORIGINS"},
		{"origin bad port", func(c *config.Config) { c.Origins = []string{"https://x.fr:0"} }, "ECPTS_ORIGINS"},
		{"smtp", func(c *config.Config) { c.SMTPURL = "smtp://u:p@mail.example.fr:587" }, ""},
		{"smtp wrong scheme", func(c *config.Config) { c.SMTPURL = "mailto://u:p@mail.example.fr" }, "ECPTS_SMTP_URL"},
		{"smtp from bad", func(c *config.Config) { c.SMTPFrom = "nobody" }, "ECPTS_SMTP_FROM"},
		{"master key url-safe unpadded", func(c *config.Config) {
			c.MasterKey = base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32))
		}, ""},
		{"master key short", func(c *config.Config) { c.MasterKey = base64.StdEncoding.EncodeToString(make([]byte, 16)) }, "ECPTS_MASTER_KEY"},
		{"master key not base64", func(c *config.Config) { c.MasterKey = "not base64 !!" }, "ECPTS_MASTER_KEY"},
		{"log format", func(c *config.Config) { c.LogFormat = "xml" }, "ECPTS_LOG_FORMAT"},
		{"log level", func(c *config.Config) { c.LogLevel = slog.Level(12) }, "ECPTS_LOG_LEVEL"},
		{"redis prefix", func(c *config.Config) { c.RedisPrefix = "a b" }, "ECPTS_REDIS_PREFIX"},
		{"clamd tcp url", func(c *config.Config) { c.ClamdAddr = "tcp://127.0.0.1:3310" }, ""},
		{"clamd unix url", func(c *config.Config) { c.ClamdAddr = "unix:///run/clamav/clamd.ctl" }, ""},
		{"clamd no port", func(c *config.Config) { c.ClamdAddr = "clamav" }, "ECPTS_CLAMD_ADDR"},
		{"clamd bad port", func(c *config.Config) { c.ClamdAddr = "clamav:0" }, "ECPTS_CLAMD_ADDR"},
		{"clamd relative socket", func(c *config.Config) { c.ClamdAddr = "unix:clamd.ctl" }, "ECPTS_CLAMD_ADDR"},
		{"debug loopback", func(c *config.Config) { c.DebugAddr = "127.0.0.1:6060" }, ""},
		{"debug loopback v6", func(c *config.Config) { c.DebugAddr = "[::1]:6060" }, ""},
		{"debug all interfaces", func(c *config.Config) { c.DebugAddr = ":6060" }, "ECPTS_DEBUG_ADDR"},
		{"debug public", func(c *config.Config) { c.DebugAddr = "10.0.0.1:6060" }, "ECPTS_DEBUG_ADDR"},
		{"upload limit too big", func(c *config.Config) { c.MaxUploadMB = 4096 }, "ECPTS_MAX_UPLOAD_MB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Defaults()
			tt.mod(&c)
			err := c.Validate()
			if tt.variable == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.variable) {
				t.Fatalf("Validate = %v, want an error naming %s", err, tt.variable)
			}
		})
	}
}

func TestValidateCollectsAndHidesSecrets(t *testing.T) {
	c := config.Defaults()
	c.Addr = "nope"
	c.MongoURL = "http://u:hunter2mongo@db"
	c.PostgresURL = "mysql://u:hunter2pg@db"
	c.RedisURL = "redis://:hunter2/redis@cache"
	c.SMTPURL = "ftp://u:hunter2smtp@mail"
	c.MasterKey = "hunter2key"
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted a broken config")
	}
	for _, v := range []string{"ECPTS_ADDR", "ECPTS_MONGO_URL", "ECPTS_POSTGRES_URL", "ECPTS_REDIS_URL", "ECPTS_SMTP_URL", "ECPTS_MASTER_KEY"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error does not name %s: %v", v, err)
		}
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks a secret: %v", err)
	}
}

func TestRedaction(t *testing.T) {
	c := config.Defaults()
	c.MongoURL = "mongodb://admin:pw-mongo@db1:27017,db2:27017/ecpts?authSource=admin&password=pw-query"
	c.PostgresURL = "postgres://root:pw-pg@127.0.0.1:5432/test?sslpassword=pw-pgq"
	c.RedisURL = "rediss://default:pw-redis@cache:6380/0"
	c.MeiliURL = "http://meili:pw-meiliurl@127.0.0.1:7700"
	c.MeiliKey = "pw-meilikey"
	c.SMTPURL = "smtps://mailer:pw-smtp@mail.example.fr:465"
	c.MasterKey = validKey
	c.PublicURL = "https://ecpts.example.fr"
	c.Origins = []string{"http://localhost:5173"}

	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("start", "config", c)
	}
	out := buf.String() + c.String() + fmt.Sprintf("%v %+v %#v %s", c, c, c, c)
	for _, secret := range []string{"pw-", "admin:", "root:", validKey, validKey[:16]} {
		if strings.Contains(out, secret) {
			t.Errorf("redacted output contains %q:\n%s", secret, out)
		}
	}
	for _, keep := range []string{
		"mongodb://db1:27017,db2:27017", "postgres://127.0.0.1:5432", "rediss://cache:6380",
		"smtps://mail.example.fr:465", "https://ecpts.example.fr", "http://localhost:5173",
		"master_key=[set]", "meili_key=[set]", `"master_key":"[set]"`,
	} {
		if !strings.Contains(out, keep) {
			t.Errorf("redacted output lacks %q:\n%s", keep, out)
		}
	}

	unset := config.Defaults().String()
	if !strings.Contains(unset, "master_key=[unset]") || !strings.Contains(unset, "meili_key=[unset]") {
		t.Errorf("unset keys not shown as [unset]: %s", unset)
	}

	// A password with '#' or '/' moves the '@' out of the authority: the
	// host part would then hold part of the password.
	odd := config.Defaults()
	odd.RedisURL = "redis://u:1234#5678@cache:6379"
	odd.PostgresURL = "not a url : pw-raw"
	if s := odd.String(); strings.Contains(s, "1234") || strings.Contains(s, "5678") || strings.Contains(s, "pw-raw") {
		t.Errorf("misparsed URL leaks: %s", s)
	}
}

func TestMaxUploadBytes(t *testing.T) {
	c := config.Defaults()
	if got := c.MaxUploadBytes(); got != 25<<20 {
		t.Errorf("default MaxUploadBytes = %d, want 25 MiB", got)
	}
	c.MaxUploadMB = 100
	if got := c.MaxUploadBytes(); got != 100<<20 {
		t.Errorf("MaxUploadBytes with 100 = %d", got)
	}
}

func TestAllowedOrigins(t *testing.T) {
	c, err := config.Load(env{"ECPTS_PUBLIC_URL": "https://ecpts.example.fr/", "ECPTS_ORIGINS": "http://localhost:5173"}.get)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://ecpts.example.fr", "http://localhost:5173"}
	if got := c.AllowedOrigins(); !reflect.DeepEqual(got, want) {
		t.Fatalf("AllowedOrigins = %v, want %v", got, want)
	}
	if got := config.Defaults().AllowedOrigins(); len(got) != 0 {
		t.Fatalf("AllowedOrigins of defaults = %v, want none", got)
	}
}

func TestDecodeMasterKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfe}, 32)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		got, err := config.DecodeMasterKey(enc.EncodeToString(raw))
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("DecodeMasterKey = %x, %v", got, err)
		}
	}
	if _, err := config.DecodeMasterKey(base64.StdEncoding.EncodeToString(make([]byte, 33))); err == nil {
		t.Error("33-byte key accepted")
	}
}
