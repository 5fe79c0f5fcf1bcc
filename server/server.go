package server

import (
	"context"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// Deps are what the HTTP layer needs; cmd/ecpts fills them.
type Deps struct {
	Core   *core.Core
	Logger *slog.Logger
	// Registry receives the HTTP metrics and is served on /metrics.
	Registry *prometheus.Registry
	// Checks are run by /readyz ("database", "broker", "index"…).
	Checks map[string]func(context.Context) error
	// Reports are shown by /readyz like Checks but do not make the node
	// unready: the search index (when it is down, search says so and
	// everything else works).
	Reports map[string]func(context.Context) error
	// PublicURL is the configured public address (may be empty): an
	// allowed Origin, and its ws(s):// origin is in the CSP's connect-src.
	PublicURL string
	// Origins are extra allowed origins for unsafe requests and /ws.
	Origins []string
	// TrustedProxies: X-Forwarded-For (client address), X-Forwarded-Host
	// and X-Forwarded-Proto are read only when the connection comes from
	// one of these; empty: never.
	TrustedProxies []string
	// UI is the built web app (nil when not built).
	UI fs.FS
	// Hub, when set, serves /ws; HubContext bounds the connections it
	// serves (cancelled at shutdown).
	Hub        Hub
	HubContext context.Context
	// Presence reports which users have a live connection.
	Presence func(context.Context, []model.UserID) (map[model.UserID]bool, error)
}

// Server is the Fiber application.
type Server struct {
	app  *fiber.App
	deps Deps
	log  *slog.Logger
	csp  string // the Content-Security-Policy header
	// proxies are the parsed TrustedProxies (clientIP).
	proxies []netip.Prefix
}

// Request limits.
const (
	bodyLimit    = 1 << 20 // 1 MiB: JSON; uploads have their own route and limit (ECPTS_MAX_UPLOAD_MB)
	readTimeout  = 15 * time.Second
	writeTimeout = 30 * time.Second
	idleTimeout  = 120 * time.Second
)

// New builds the application and its routes.
func New(d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	cfg := fiber.Config{
		AppName:               "e-CPTS",
		BodyLimit:             bodyLimit,
		ReadTimeout:           readTimeout,
		WriteTimeout:          writeTimeout,
		IdleTimeout:           idleTimeout,
		ErrorHandler:          errorHandler(d.Logger),
		DisableStartupMessage: true,
		// Fiber's default (4 KiB) bounds request headers.
		ReadBufferSize: 4 << 10,
		// fasthttp then lends its request reader only while it reads a
		// request: a WebSocket, hijacked, does not keep it (4 KiB per
		// connection), nor does an idle keep-alive connection. The cost:
		// a pool round trip per request.
		ReduceMemoryUsage: true,
		// X-Forwarded-Host, -Proto and -For count only when the TCP peer
		// is a trusted proxy; with none configured, never (Fiber trusts
		// every peer when the check is off).
		// The client address is clientIP's: Fiber's ProxyHeader would
		// take X-Forwarded-For whole, as the client wrote it.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          d.TrustedProxies,
		// Uploads stream (server/files.go): fasthttp reads at most
		// BodyLimit bytes before the handler runs, the rest as the handler
		// reads it; limitBody holds the other routes to BodyLimit. The
		// multipart form is never parsed ahead (it would buffer the file).
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
	}
	s := &Server{app: fiber.New(cfg), deps: d, log: d.Logger, csp: contentSecurityPolicy(d.PublicURL), proxies: parseProxies(d.TrustedProxies)}
	// The hub closes WebSockets itself; their hijack handler may return
	// before (see webSocket).
	s.app.Server().KeepHijackedConns = true
	s.routes()
	return s
}

// App exposes the Fiber app (tests use app.Test).
func (s *Server) App() *fiber.App { return s.app }

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting and waits for requests in flight, up to ctx.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

func (s *Server) routes() {
	a := s.app
	a.Use(s.recoverer, s.requestIDMiddleware, s.securityHeaders, s.metrics())
	a.Get("/healthz", s.healthz)
	a.Get("/readyz", s.readyz)
	a.Get("/metrics", s.metricsHandler())
	if s.deps.Hub != nil {
		ctx := s.deps.HubContext
		if ctx == nil {
			ctx = context.Background()
		}
		a.Get("/ws", s.session, s.webSocket(s.deps.Hub, ctx))
	}
	api := a.Group("/api/v1", s.limitBody, s.apiNoStore, s.session, s.unsafeChecks)
	for _, r := range s.apiRoutes() {
		if r.Auth {
			api.Add(r.Method, r.Path, requireSession, r.handler)
		} else {
			api.Add(r.Method, r.Path, r.handler)
		}
	}
	api.Use(func(c *fiber.Ctx) error { return errNotFoundRoute })
	a.Use(s.ui())
}

func (s *Server) apiNoStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// clone copies a value taken from the request: Fiber reuses its buffers.
func clone(v string) string { return strings.Clone(v) }

// parseProxies reads TrustedProxies (addresses or CIDR prefixes; config
// validated them) as prefixes.
func parseProxies(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range list {
		if pfx, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pfx.Masked())
		} else if a, err := netip.ParseAddr(p); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return out
}

func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the address the login limits count: the TCP peer, or, when
// the peer is a trusted proxy, the nearest address of X-Forwarded-For that
// is not itself a trusted proxy, read from the right. Entries further left
// were written by the client and prove nothing: a proxy that appends to
// the header (nginx's usual setting) keeps whatever the client sent there.
func (s *Server) clientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.Context().RemoteIP().String()
	}
	peer = peer.Unmap()
	if !s.trusted(peer) {
		return peer.String()
	}
	ip := peer
	entries := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(entries) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(entries[i]))
		if err != nil {
			break // garbage: the address of the last hop we can vouch for
		}
		ip = a.Unmap()
		if !s.trusted(ip) {
			break
		}
	}
	return ip.String()
}
