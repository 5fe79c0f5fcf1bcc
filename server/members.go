package server

import (
	"context"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
)

// Members of a CPTS (those of groups and channels: groups.go, channels.go).

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
