package server

import (
	"context"

	"github.com/ecpts/ecpts/internal/model"
)

func (s *Server) login(ctx context.Context, _ model.Session, p params, in loginRequest) (loginResponse, error) {
	res, err := s.deps.Core.Login(ctx, in.Email, in.Password, s.clientIP(p.c))
	if err != nil {
		return loginResponse{}, err
	}
	s.setSessionCookie(p.c, res.Token, res.ExpiresAt)
	return loginResponse{CSRFToken: res.CSRFToken, User: res.User}, nil
}

func (s *Server) logout(ctx context.Context, sess model.Session, p params, _ none) (none, error) {
	if err := s.deps.Core.Logout(ctx, sess); err != nil {
		return none{}, err
	}
	s.clearCookie(p.c)
	return none{}, nil
}
