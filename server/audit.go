package server

import (
	"strconv"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/gofiber/fiber/v2"
)

// auditPage answers a page of the audit log of cpts (the whole log when
// empty): ?before=<next of the previous page>&limit=<1..200>.
func (s *Server) auditPage(c *fiber.Ctx, cpts model.CPTSID) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	limit := 0
	if v := c.Query("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit <= 0 {
			return model.Invalid("limit", "invalid_limit", "Une page du journal compte de 1 à 200 entrées.")
		}
	}
	p, err := s.deps.Core.Audit(c.UserContext(), sess, cpts, clone(c.Query("before")), limit)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) adminAudit(c *fiber.Ctx) error { return s.auditPage(c, "") }

func (s *Server) cptsAudit(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	return s.auditPage(c, model.CPTSID(id))
}
