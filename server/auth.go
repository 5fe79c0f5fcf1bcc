package server

import (
	"context"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/gofiber/fiber/v2"
)

func (s *Server) login(ctx context.Context, _ model.Session, p params, in loginRequest) (loginResponse, error) {
	res, err := s.deps.Core.Login(ctx, in.Email, in.Password, s.clientIP(p.c))
	if err != nil {
		return loginResponse{}, err
	}
	return s.loggedIn(p.c, res), nil
}

// loggedIn sets the cookie of the session login opened, if it opened one
// (an invitation accepted by the logged-in account opens none), and tells
// the client its CSRF token and user.
func (s *Server) loggedIn(c *fiber.Ctx, login core.LoginResult) loginResponse {
	if login.Token != "" {
		s.setSessionCookie(c, login.Token, login.ExpiresAt)
	}
	return loginResponse{CSRFToken: login.CSRFToken, User: login.User}
}

func (s *Server) logout(ctx context.Context, sess model.Session, p params, _ none) (none, error) {
	if err := s.deps.Core.Logout(ctx, sess); err != nil {
		return none{}, err
	}
	s.clearCookie(p.c)
	return none{}, nil
}

// The set-password link of an administrator created on the command line
// (ecpts admin create): the token is the credential.

func (s *Server) passwordSetupInfo(ctx context.Context, _ model.Session, p params, _ none) (core.PasswordSetupInfo, error) {
	return s.deps.Core.PasswordSetupInfo(ctx, p.token)
}

func (s *Server) completePasswordSetup(ctx context.Context, _ model.Session, p params, in passwordSetup) (loginResponse, error) {
	res, err := s.deps.Core.CompletePasswordSetup(ctx, p.token, in.Password)
	if err != nil {
		return loginResponse{}, err
	}
	return s.loggedIn(p.c, res), nil
}
