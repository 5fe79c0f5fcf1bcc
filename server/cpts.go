package server

import (
	"context"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
)

func (s *Server) listCPTS(ctx context.Context, sess model.Session, _ params, _ none) ([]core.CPTSView, error) {
	return s.deps.Core.ListCPTS(ctx, sess)
}

func (s *Server) cptsCatalog(ctx context.Context, sess model.Session, _ params, _ none) ([]core.CPTSRef, error) {
	return s.deps.Core.CPTSCatalog(ctx, sess)
}

func (s *Server) createCPTS(ctx context.Context, sess model.Session, _ params, in cptsCreate) (core.CPTSView, error) {
	return s.deps.Core.CreateCPTS(ctx, sess, core.CPTSInput(in))
}

func (s *Server) getCPTS(ctx context.Context, sess model.Session, p params, _ none) (core.CPTSView, error) {
	return s.deps.Core.GetCPTS(ctx, sess, p.cpts())
}

func (s *Server) updateCPTS(ctx context.Context, sess model.Session, p params, in cptsPatch) (core.CPTSView, error) {
	return s.deps.Core.UpdateCPTS(ctx, sess, p.cpts(), core.CPTSPatch(in))
}

// adminCPTS is the platform administration's overview: every CPTS with
// its counts, no content.
func (s *Server) adminCPTS(ctx context.Context, sess model.Session, _ params, _ none) ([]core.CPTSOverview, error) {
	return s.deps.Core.AdminOverview(ctx, sess)
}

// Members of a CPTS (those of a group or a channel: groups.go, channels.go).

func (s *Server) cptsMembers(ctx context.Context, sess model.Session, p params, _ none) ([]core.MemberView, error) {
	return s.deps.Core.CPTSMembers(ctx, sess, p.cpts())
}

func (s *Server) validateMember(ctx context.Context, sess model.Session, p params, _ none) (core.MemberView, error) {
	return s.deps.Core.ValidateMember(ctx, sess, p.cpts(), p.user())
}

func (s *Server) setMemberRole(ctx context.Context, sess model.Session, p params, in rolePatch) (core.MemberView, error) {
	return s.deps.Core.SetMemberRole(ctx, sess, p.cpts(), p.user(), in.Role)
}

func (s *Server) removeMember(ctx context.Context, sess model.Session, p params, _ none) (none, error) {
	return none{}, s.deps.Core.RemoveMember(ctx, sess, p.cpts(), p.user())
}

func (s *Server) refuseMember(ctx context.Context, sess model.Session, p params, _ none) (none, error) {
	return none{}, s.deps.Core.RefuseMember(ctx, sess, p.cpts(), p.user())
}
