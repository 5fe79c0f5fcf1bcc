package server

import (
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

const uiMissing = `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>e-CPTS</title></head>
<body style="font-family:sans-serif;max-width:40rem;margin:4rem auto">
<h1>e-CPTS</h1><p>Interface non construite — lancez <code>make build</code> (ou <code>make run</code>).</p>
<p>L'API répond sous <code>/api/v1</code>.</p></body></html>`

// ui serves the embedded web app: files as they are (hashed assets cached
// for a year, everything else revalidated), index.html for any other
// path so the app's router takes over.
func (s *Server) ui() fiber.Handler {
	dist := s.deps.UI
	return func(c *fiber.Ctx) error {
		if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
			return errNotFoundRoute
		}
		p := c.Path()
		if strings.HasPrefix(p, "/api/") || p == "/api" || p == "/ws" {
			return errNotFoundRoute
		}
		if dist == nil {
			c.Set(fiber.HeaderCacheControl, "no-store")
			c.Type("html", "utf-8")
			return c.SendString(uiMissing)
		}
		name := strings.TrimPrefix(path.Clean("/"+p), "/")
		if name != "" && name != "index.html" {
			if b, err := fs.ReadFile(dist, name); err == nil {
				if strings.HasPrefix(name, "assets/") {
					c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
				} else {
					c.Set(fiber.HeaderCacheControl, "no-cache")
				}
				if t := mime.TypeByExtension(path.Ext(name)); t != "" {
					c.Set(fiber.HeaderContentType, t)
				}
				return c.Send(b)
			}
			if strings.HasPrefix(name, "assets/") || path.Ext(name) != "" {
				return c.Status(fiber.StatusNotFound).SendString("introuvable")
			}
		}
		b, err := fs.ReadFile(dist, "index.html")
		if err != nil {
			c.Type("html", "utf-8")
			return c.SendString(uiMissing)
		}
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Type("html", "utf-8")
		return c.Send(b)
	}
}
