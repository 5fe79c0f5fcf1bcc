package core

import (
	"context"

	"github.com/ecpts/ecpts/internal/model"
)

// AuditPage is a page of the audit log, newest first; Next, when set, is
// the before of the next page.
type AuditPage struct {
	Entries []model.AuditEntry `json:"entries"`
	Next    string             `json:"next,omitempty"`
}

// audit records a step in the audit log. The step already happened: a
// failure to record it is logged (with the ids), not undone.
func (c *Core) audit(ctx context.Context, e model.AuditEntry) {
	e.At = c.now().UTC()
	if _, err := c.st.Audit.Insert(ctx, e); err != nil {
		c.log.Error("audit log write failed", "action", e.Action, "actor_id", e.ActorID, "cpts_id", e.CPTSID,
			"group_id", e.GroupID, "target_id", e.TargetID, "invitation_id", e.InvitationID, "err", err)
	}
}

// Audit reads the audit log: of CPTS cpts for its coordinators (and
// platform admins), or the whole of it (cpts empty) for platform admins.
// before is the Next of the previous page; limit defaults to 50, at most
// 200.
func (c *Core) Audit(ctx context.Context, s model.Session, cpts model.CPTSID, before string, limit int) (AuditPage, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return AuditPage{}, err
	}
	if cpts == "" {
		if !a.CanReadAllAudit() {
			return AuditPage{}, errForbidden
		}
	} else {
		if !a.CanSeeCPTS(cpts) {
			return AuditPage{}, errCPTSNotFound
		}
		if !a.CanReadAudit(cpts) {
			return AuditPage{}, errForbidden
		}
	}
	if limit == 0 {
		limit = 50
	}
	if limit < 0 || limit > 200 {
		return AuditPage{}, model.Invalid("limit", "invalid_limit", "Une page du journal compte de 1 à 200 entrées.")
	}
	if before != "" && !model.ValidID(before) {
		return AuditPage{}, model.Invalid("before", "invalid_cursor", "Le repère de page est invalide.")
	}
	es, err := c.st.Audit.List(ctx, cpts, before, limit)
	if err != nil {
		return AuditPage{}, err
	}
	p := AuditPage{Entries: es}
	if len(es) == limit {
		p.Next = es[len(es)-1].ID
	}
	return p, nil
}
