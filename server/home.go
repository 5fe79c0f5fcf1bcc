package server

import (
	"context"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
)

// What needs me (home page) and people's profile cards.

func (s *Server) home(ctx context.Context, sess model.Session, _ params, _ none) (core.HomeView, error) {
	return s.deps.Core.Home(ctx, sess)
}

func (s *Server) userProfile(ctx context.Context, sess model.Session, p params, _ none) (core.ProfileCard, error) {
	return s.deps.Core.Profile(ctx, sess, model.UserID(p.id))
}
