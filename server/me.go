package server

import (
	"context"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
)

func (s *Server) me(ctx context.Context, sess model.Session, _ params, _ none) (core.MeView, error) {
	return s.deps.Core.Me(ctx, sess)
}

func (s *Server) updateMe(ctx context.Context, sess model.Session, _ params, in profilePatch) (core.UserView, error) {
	return s.deps.Core.UpdateProfile(ctx, sess, core.ProfilePatch(in))
}

func (s *Server) changePassword(ctx context.Context, sess model.Session, p params, in passwordChange) (none, error) {
	return none{}, s.deps.Core.ChangePassword(ctx, sess, in.CurrentPassword, in.NewPassword, s.clientIP(p.c))
}
