// Command deploycheck exercises the production proxy configuration without
// Docker: it runs two ecpts nodes on loopback (embedded FerretDB on one
// PostgreSQL database, fan-out through Redis) behind Caddy started with
// deploy/Caddyfile — only the upstream addresses and the admin port are
// swapped for loopback ones — and checks what docker-compose.yml relies on:
//
//   - /readyz answers through the proxy, /metrics does not;
//   - logging in and the REST API work through the proxy;
//   - a WebSocket from a foreign Origin is refused;
//   - two WebSockets land on different nodes (least_conn), and a message sent
//     on one node reaches the user connected to the other (Redis);
//   - with one node stopped, requests and WebSockets go to the other.
//
// It starts and stops every process it needs, on free loopback ports, and
// cleans up its FerretDB schema and its Redis keys. Usage (see `make
// deploy-check`):
//
//	deploycheck -ecpts bin/ecpts -caddy /path/to/caddy -caddyfile deploy/Caddyfile
//
// PostgreSQL and Redis come from ECPTS_TEST_POSTGRES_URL and
// ECPTS_TEST_REDIS_URL (the local defaults of the test suite otherwise).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/google/uuid"
)

const (
	defaultPostgresURL = "postgres://root@127.0.0.1:5432/ecpts_test?sslmode=disable"
	defaultRedisURL    = "redis://127.0.0.1:6379/0"
	// The FerretDB database (a PostgreSQL schema) of the check, dropped
	// before and after.
	mongoDB = "deploycheck"

	// What deploy/Caddyfile must contain for the check to rewrite it; a
	// change there fails the check instead of testing something else.
	caddyUpstreams = "reverse_proxy app1:8080 app2:8080 {"
	caddyAdmin     = "admin 127.0.0.1:2019"

	startTimeout = 90 * time.Second
	stepTimeout  = 15 * time.Second
	stopTimeout  = 15 * time.Second
	password     = "demo-ecpts"
)

func main() {
	ecptsBin := flag.String("ecpts", "bin/ecpts", "ecpts binary")
	caddyBin := flag.String("caddy", "caddy", "caddy binary (the version of the compose image)")
	caddyfile := flag.String("caddyfile", "deploy/Caddyfile", "Caddyfile of docker-compose.yml")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := &check{}
	err := c.run(ctx, absBin(*ecptsBin), absBin(*caddyBin), *caddyfile)
	c.cleanup()
	if err != nil {
		c.failed = max(c.failed, 1)
		fmt.Fprintln(os.Stderr, "deploycheck:", err)
		c.dumpLogs()
	}
	if c.tmp != "" {
		os.RemoveAll(c.tmp)
	}
	fmt.Printf("deploycheck: %d passed, %d failed\n", c.passed, c.failed)
	if err != nil {
		os.Exit(1)
	}
}

type check struct {
	passed, failed int
	procs          []*proc
	tmp            string
	pgURL          string
	redisURL       string
	redisPrefix    string
}

type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func (c *check) ok(what string) {
	c.passed++
	fmt.Println("ok -", what)
}

// expect records a failed expectation and returns it as the run's error.
func (c *check) expect(cond bool, format string, args ...any) error {
	if cond {
		c.ok(fmt.Sprintf(format, args...))
		return nil
	}
	c.failed++
	err := fmt.Errorf("not ok - "+format, args...)
	fmt.Println(err)
	return err
}

func (c *check) run(ctx context.Context, ecptsBin, caddyBin, caddyfile string) error {
	c.pgURL = envOr("ECPTS_TEST_POSTGRES_URL", defaultPostgresURL)
	c.redisURL = envOr("ECPTS_TEST_REDIS_URL", defaultRedisURL)
	c.redisPrefix = "deploycheck:" + randomHex(4) + ":"
	tmp, err := os.MkdirTemp("", "ecpts-deploycheck-")
	if err != nil {
		return err
	}
	c.tmp = tmp
	if err := c.dropSchema(ctx); err != nil {
		return err
	}

	ports, err := freePorts(4)
	if err != nil {
		return err
	}
	proxy := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	node1 := fmt.Sprintf("127.0.0.1:%d", ports[1])
	node2 := fmt.Sprintf("127.0.0.1:%d", ports[2])
	admin := fmt.Sprintf("127.0.0.1:%d", ports[3])

	conf, err := os.ReadFile(caddyfile)
	if err != nil {
		return err
	}
	for _, s := range []string{caddyUpstreams, caddyAdmin} {
		if !bytes.Contains(conf, []byte(s)) {
			return fmt.Errorf("%s no longer contains %q: update deploycheck with it", caddyfile, s)
		}
	}
	conf = bytes.Replace(conf, []byte(caddyUpstreams), []byte("reverse_proxy "+node1+" "+node2+" {"), 1)
	conf = bytes.Replace(conf, []byte(caddyAdmin), []byte("admin "+admin), 1)
	localConf := filepath.Join(tmp, "Caddyfile")
	if err := os.WriteFile(localConf, conf, 0o600); err != nil {
		return err
	}

	masterKey := make([]byte, 32)
	if _, err := rand.Read(masterKey); err != nil {
		return err
	}
	nodeEnv := func(addr, dir string, demo bool) []string {
		env := append(os.Environ(),
			"ECPTS_ADDR="+addr,
			"ECPTS_DATA_DIR="+filepath.Join(tmp, dir),
			"ECPTS_POSTGRES_URL="+c.pgURL,
			"ECPTS_MONGO_DB="+mongoDB,
			"ECPTS_REDIS_URL="+c.redisURL,
			"ECPTS_REDIS_PREFIX="+c.redisPrefix,
			"ECPTS_PUBLIC_URL="+proxy,
			"ECPTS_TRUSTED_PROXIES=127.0.0.1",
			"ECPTS_MASTER_KEY="+base64.StdEncoding.EncodeToString(masterKey),
			"ECPTS_LOG_FORMAT=json",
		)
		if demo {
			env = append(env, "ECPTS_DEMO=1")
		}
		return env
	}

	// Node 1 first, alone: it loads the demo data into the empty database.
	if _, err := c.start(ctx, "node1", nodeEnv(node1, "node1", true), ecptsBin); err != nil {
		return err
	}
	if err := waitHTTP(ctx, "http://"+node1+"/readyz", startTimeout); err != nil {
		return fmt.Errorf("node1: %w", err)
	}
	n2, err := c.start(ctx, "node2", nodeEnv(node2, "node2", false), ecptsBin)
	if err != nil {
		return err
	}
	if err := waitHTTP(ctx, "http://"+node2+"/readyz", startTimeout); err != nil {
		return fmt.Errorf("node2: %w", err)
	}
	caddyEnv := append(os.Environ(), "ECPTS_DOMAIN="+proxy)
	if _, err := c.start(ctx, "caddy", caddyEnv, caddyBin, "run", "--config", localConf, "--adapter", "caddyfile"); err != nil {
		return err
	}
	if err := waitHTTP(ctx, proxy+"/healthz", startTimeout); err != nil {
		return fmt.Errorf("caddy: %w", err)
	}

	if err := c.expect(status(proxy+"/readyz") == http.StatusOK, "GET /readyz through the proxy answers 200"); err != nil {
		return err
	}
	if err := c.expect(status(proxy+"/metrics") == http.StatusNotFound, "GET /metrics through the proxy answers 404"); err != nil {
		return err
	}
	nurse, err := login(proxy, "infirmiere@loire-nord.demo")
	if err != nil {
		return err
	}
	coord, err := login(proxy, "coordination@loire-nord.demo")
	if err != nil {
		return err
	}
	c.ok("log in through the proxy")
	channel, err := sharedChannel(proxy, nurse)
	if err != nil {
		return err
	}
	c.ok("list channels through the proxy")

	ws, res, err := dial(proxy, nurse, "http://evil.example")
	if err == nil {
		ws.Close()
	}
	if err := c.expect(err != nil && res != nil && res.StatusCode == http.StatusForbidden,
		"a WebSocket from a foreign Origin is refused with 403"); err != nil {
		return err
	}

	if err := c.exchange(proxy, nurse, coord, channel, "with both nodes up"); err != nil {
		return err
	}
	up1, err := upgrades("http://" + node1)
	if err != nil {
		return err
	}
	up2, err := upgrades("http://" + node2)
	if err != nil {
		return err
	}
	if err := c.expect(up1 == 1 && up2 == 1, "least_conn spreads two WebSockets over both nodes (upgrades: %d and %d)", up1, up2); err != nil {
		return err
	}

	if err := c.stop(n2); err != nil {
		return err
	}
	failed := 0
	for range 20 {
		if status(proxy+"/readyz") != http.StatusOK {
			failed++
		}
	}
	if err := c.expect(failed == 0, "node2 stopped: 20 requests through the proxy, %d failed", failed); err != nil {
		return err
	}
	return c.exchange(proxy, nurse, coord, channel, "with node2 stopped")
}

// exchange opens one WebSocket per user through the proxy, subscribes both
// to channel, sends from coord and waits for the nurse to receive it.
func (c *check) exchange(proxy string, nurse, coord *http.Client, channel, when string) error {
	wsA, _, err := dial(proxy, nurse, proxy)
	if err != nil {
		return fmt.Errorf("websocket through the proxy: %w", err)
	}
	defer wsA.Close()
	wsB, _, err := dial(proxy, coord, proxy)
	if err != nil {
		return fmt.Errorf("websocket through the proxy: %w", err)
	}
	defer wsB.Close()
	for _, ws := range []*websocket.Conn{wsA, wsB} {
		if err := ws.WriteJSON(map[string]any{"type": "subscribe", "channel": channel}); err != nil {
			return err
		}
		if _, err := next(ws, func(f frame) bool { return f.Type == "subscribed" }); err != nil {
			return fmt.Errorf("subscribe: %w", err)
		}
	}
	cid := uuid.NewString()
	if err := wsB.WriteJSON(map[string]any{"type": "send", "channel": channel, "client_id": cid, "body": "Vérification du proxy"}); err != nil {
		return err
	}
	if _, err := next(wsB, func(f frame) bool { return f.Type == "ack" && f.ClientID == cid }); err != nil {
		return fmt.Errorf("ack: %w", err)
	}
	if _, err := next(wsA, func(f frame) bool { return f.Type == "message" && f.Message.ClientID == cid }); err != nil {
		return fmt.Errorf("the message sent through the proxy %s did not arrive: %w", when, err)
	}
	c.ok("a message sent on one WebSocket reaches the other through the proxy, " + when)
	return nil
}

type frame struct {
	Type     string `json:"type"`
	Code     string `json:"code"`
	ClientID string `json:"client_id"`
	Message  struct {
		ClientID string `json:"client_id"`
	} `json:"message"`
}

// next reads frames (several per WebSocket message, one per line) until
// want matches one, an error frame arrives or the step times out.
func next(ws *websocket.Conn, want func(frame) bool) (frame, error) {
	if err := ws.SetReadDeadline(time.Now().Add(stepTimeout)); err != nil {
		return frame{}, err
	}
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return frame{}, err
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			var f frame
			if err := json.Unmarshal(line, &f); err != nil {
				return frame{}, fmt.Errorf("bad frame: %w", err)
			}
			if f.Type == "error" {
				return f, fmt.Errorf("error frame %q", f.Code)
			}
			if want(f) {
				return f, nil
			}
		}
	}
}

func login(proxy, email string) (*http.Client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Jar: jar, Timeout: stepTimeout}
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)
	res, err := client.Post(proxy+"/api/v1/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("login: status %d", res.StatusCode)
	}
	return client, nil
}

// sharedChannel returns a standard channel the nurse is a member of and may
// post in (the coordinator of her CPTS follows it too in the demo data).
func sharedChannel(proxy string, client *http.Client) (string, error) {
	res, err := client.Get(proxy + "/api/v1/channels")
	if err != nil {
		return "", fmt.Errorf("channels: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("channels: status %d", res.StatusCode)
	}
	var out struct {
		Channels []struct {
			ID      string `json:"id"`
			Kind    string `json:"kind"`
			Member  bool   `json:"member"`
			CanPost bool   `json:"can_post"`
		} `json:"channels"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return "", fmt.Errorf("channels: %w", err)
	}
	for _, ch := range out.Channels {
		if ch.Member && ch.CanPost && ch.Kind == "standard" {
			return ch.ID, nil
		}
	}
	return "", errors.New("channels: none the nurse follows and may post in")
}

func dial(proxy string, client *http.Client, origin string) (*websocket.Conn, *http.Response, error) {
	u, err := url.Parse(proxy)
	if err != nil {
		return nil, nil, err
	}
	h := http.Header{}
	h.Set("Origin", origin)
	for _, ck := range client.Jar.Cookies(u) {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	d := websocket.Dialer{HandshakeTimeout: stepTimeout}
	return d.Dial("ws://"+u.Host+"/ws", h)
}

// upgrades reads, from a node's own /metrics, how many /ws requests it
// answered with 101 Switching Protocols.
func upgrades(node string) (int, error) {
	res, err := http.Get(node + "/metrics")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "ecpts_http_requests_total{") &&
			strings.Contains(line, `route="/ws"`) && strings.Contains(line, `status="101"`) {
			var n float64
			if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &n); err != nil {
				return 0, err
			}
			return int(n), nil
		}
	}
	return 0, nil
}

func status(u string) int {
	client := &http.Client{Timeout: stepTimeout}
	res, err := client.Get(u)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

func waitHTTP(ctx context.Context, u string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if status(u) == http.StatusOK {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not answering 200 after %s", u, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (c *check) start(ctx context.Context, name string, env []string, bin string, args ...string) (*proc, error) {
	logPath := filepath.Join(c.tmp, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Dir = c.tmp
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	c.procs = append(c.procs, p)
	return p, nil
}

// stop sends SIGTERM, then SIGKILL after stopTimeout.
func (c *check) stop(p *proc) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %s of SIGTERM", p.name, stopTimeout)
	}
}

func (c *check) cleanup() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		if err := c.stop(c.procs[i]); err != nil {
			fmt.Fprintln(os.Stderr, "deploycheck:", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	if c.pgURL != "" {
		if err := c.dropSchema(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "deploycheck:", err)
		}
	}
	if c.redisPrefix != "" {
		// The broker's Pub/Sub leaves no keys; the rate limiters do.
		script := `for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end return 0`
		out, err := exec.CommandContext(ctx, "redis-cli", "-u", c.redisURL, "EVAL", script, "0", c.redisPrefix+"*").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "deploycheck: removing the Redis keys: %v: %s\n", err, out)
		}
	}
}

func (c *check) dumpLogs() {
	for _, p := range c.procs {
		b, err := os.ReadFile(p.log)
		if err != nil {
			continue
		}
		if len(b) > 4000 {
			b = b[len(b)-4000:]
		}
		fmt.Fprintf(os.Stderr, "--- %s (end of log)\n%s\n", p.name, b)
	}
}

// dropSchema removes the FerretDB database of the check: on the PostgreSQL
// backend, FerretDB v1 keeps each database in a schema of that name.
func (c *check) dropSchema(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "psql", c.pgURL, "-v", "ON_ERROR_STOP=1", "-qc",
		"DROP SCHEMA IF EXISTS "+mongoDB+" CASCADE").CombinedOutput()
	if err != nil {
		return fmt.Errorf("psql: dropping schema %s: %v: %s", mongoDB, err, bytes.TrimSpace(out))
	}
	return nil
}

// freePorts asks the kernel for n free loopback ports. They are released
// before the processes bind them: another process could take one in
// between, in which case a start fails and the check says so.
func freePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// absBin makes a binary path absolute, as the processes run in a temporary
// directory; a bare name is looked up in PATH.
func absBin(p string) string {
	if !strings.ContainsRune(p, filepath.Separator) {
		if found, err := exec.LookPath(p); err == nil {
			return found
		}
		return p
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
