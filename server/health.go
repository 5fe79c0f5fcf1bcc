package server

import (
	"context"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"
)

func (s *Server) healthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz runs every dependency check with a short deadline. Check errors
// are logged, not returned: the body only says which check failed.
func (s *Server) readyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	names := make([]string, 0, len(s.deps.Checks))
	for n := range s.deps.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	checks := fiber.Map{}
	ok := true
	for _, n := range names {
		if err := s.deps.Checks[n](ctx); err != nil {
			s.log.Warn("readiness check failed", "check", n, "err", err)
			checks[n] = "unavailable"
			ok = false
			continue
		}
		checks[n] = "ok"
	}
	for n, check := range s.deps.Reports {
		if err := check(ctx); err != nil {
			s.log.Warn("readiness report: degraded", "check", n, "err", err)
			checks[n] = "unavailable"
			continue
		}
		checks[n] = "ok"
	}
	if !ok {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "checks": checks})
	}
	return c.JSON(fiber.Map{"status": "ok", "checks": checks})
}
