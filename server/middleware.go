package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/ecpts/ecpts/internal/auth"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "ecpts_session"

const (
	localSession   = "session"
	localRequestID = "request_id"
)

func (s *Server) recoverer(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in handler", "route", c.Path(), "request_id", requestID(c), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("server: panic recovered")
		}
	}()
	return c.Next()
}

func (s *Server) requestIDMiddleware(c *fiber.Ctx) error {
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	c.Locals(localRequestID, id)
	c.Set("X-Request-Id", id)
	return c.Next()
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

// contentSecurityPolicy: everything from our own origin; inline styles are
// allowed for Svelte's transitions, never inline scripts. WebSockets go to
// our own origin only: CSP3 browsers match same-origin ws: and wss: with
// 'self', and the public URL's ws(s):// origin is named for the others
// (behind a TLS proxy, wss:// on the public host).
func contentSecurityPolicy(publicURL string) string {
	connect := "'self'"
	if u, err := url.Parse(publicURL); err == nil && u.Host != "" {
		switch u.Scheme {
		case "https":
			connect += " wss://" + u.Host
		case "http":
			connect += " ws://" + u.Host
		}
	}
	return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data: blob:; connect-src " + connect + "; font-src 'self'; object-src 'none'; " +
		"frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
}

func (s *Server) securityHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("Content-Security-Policy", s.csp)
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if s.secure(c) {
		c.Set("Strict-Transport-Security", "max-age=31536000")
	}
	return c.Next()
}

// secure reports whether the client reached us over TLS (directly, or via
// the configured public URL behind a TLS-terminating proxy).
func (s *Server) secure(c *fiber.Ctx) bool {
	return c.Protocol() == "https" || strings.HasPrefix(s.deps.PublicURL, "https://")
}

func (s *Server) metrics() fiber.Handler {
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ecpts_http_requests_total", Help: "HTTP requests by method, route and status.",
	}, []string{"method", "route", "status"})
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ecpts_http_request_duration_seconds", Help: "HTTP request duration by method and route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"method", "route"})
	if s.deps.Registry != nil {
		s.deps.Registry.MustRegister(reqs, dur)
	}
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			status = describe(err).Status
		}
		route := c.Route().Path
		if route == "/" && c.Path() != "/" || route == "" {
			route = "other"
		}
		method := clone(c.Method())
		reqs.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
		dur.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		return err
	}
}

func (s *Server) metricsHandler() fiber.Handler {
	if s.deps.Registry == nil {
		return func(c *fiber.Ctx) error { return errNotFoundRoute }
	}
	h := fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(s.deps.Registry, promhttp.HandlerOpts{}))
	return func(c *fiber.Ctx) error {
		h(c.Context())
		return nil
	}
}

// session attaches the caller's session when the cookie is valid; routes
// that need one call mustSession.
func (s *Server) session(c *fiber.Ctx) error {
	tok := c.Cookies(SessionCookie)
	if tok == "" {
		return c.Next()
	}
	sess, err := s.deps.Core.Authenticate(c.UserContext(), tok)
	if err != nil {
		if err == model.ErrUnauthenticated {
			s.clearCookie(c) // stale cookie: drop it
			return c.Next()
		}
		return err
	}
	c.Locals(localSession, sess)
	return c.Next()
}

// sessionOf returns the request's session, if any.
func sessionOf(c *fiber.Ctx) (model.Session, bool) {
	sess, ok := c.Locals(localSession).(model.Session)
	return sess, ok
}

// requireSession stops requests without a valid session.
func requireSession(c *fiber.Ctx) error {
	if _, ok := sessionOf(c); !ok {
		return errUnauthenticated
	}
	return c.Next()
}

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// unsafeChecks guards state-changing requests: the Origin (or
// Sec-Fetch-Site) must be ours, and a logged-in caller must echo the CSRF
// token of their session and stay within their write limit
// (Core.AllowWrite).
func (s *Server) unsafeChecks(c *fiber.Ctx) error {
	if safeMethod(c.Method()) {
		return c.Next()
	}
	if !s.originAllowed(c) {
		return errOrigin
	}
	if sess, ok := sessionOf(c); ok {
		if !auth.TokensEqual(c.Get("X-CSRF-Token"), sess.CSRFToken) {
			return errCSRF
		}
		if err := s.deps.Core.AllowWrite(c.UserContext(), sess.UserID); err != nil {
			return err
		}
	}
	return c.Next()
}

// originAllowed: browsers send Origin on cross-site requests (and
// WebSocket handshakes). Requests without it (curl, server-to-server) pass
// unless Sec-Fetch-Site says cross-site.
func (s *Server) originAllowed(c *fiber.Ctx) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return c.Get("Sec-Fetch-Site") != "cross-site"
	}
	return s.AllowedOrigin(origin, c.BaseURL())
}

// AllowedOrigin reports whether origin is the request's own origin, the
// public URL's or one of the configured ones.
func (s *Server) AllowedOrigin(origin, self string) bool {
	if origin == "null" {
		return false
	}
	if strings.EqualFold(origin, self) {
		return true
	}
	if s.deps.PublicURL != "" {
		if u, err := url.Parse(s.deps.PublicURL); err == nil && strings.EqualFold(origin, u.Scheme+"://"+u.Host) {
			return true
		}
	}
	for _, o := range s.deps.Origins {
		if strings.EqualFold(origin, strings.TrimRight(o, "/")) {
			return true
		}
	}
	return false
}

func (s *Server) setSessionCookie(c *fiber.Ctx, token string, expires time.Time) {
	c.Cookie(&fiber.Cookie{
		Name: SessionCookie, Value: token, Path: "/", Expires: expires,
		HTTPOnly: true, Secure: s.secure(c), SameSite: fiber.CookieSameSiteLaxMode,
	})
}

func (s *Server) clearCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{
		Name: SessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
		HTTPOnly: true, Secure: s.secure(c), SameSite: fiber.CookieSameSiteLaxMode,
	})
}
