package server

import (
	"context"
	"strconv"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
)

// auditPage answers a page of the audit log of the CPTS :id (the whole
// log on /admin/audit): ?before=<next of the previous page>&limit=<1..200>.
func (s *Server) auditPage(ctx context.Context, sess model.Session, p params, _ none) (core.AuditPage, error) {
	limit := 0
	if v := p.c.Query("limit"); v != "" {
		var err error
		if limit, err = strconv.Atoi(v); err != nil || limit <= 0 {
			return core.AuditPage{}, model.Invalid("limit", "invalid_limit", "Une page du journal compte de 1 à 200 entrées.")
		}
	}
	return s.deps.Core.Audit(ctx, sess, p.cpts(), p.query("before"), limit)
}
