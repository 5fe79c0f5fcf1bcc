package server

import (
	"context"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
)

func (s *Server) listInvitations(ctx context.Context, sess model.Session, p params, _ none) ([]core.InvitationView, error) {
	return s.deps.Core.Invitations(ctx, sess, p.cpts())
}

func (s *Server) invite(ctx context.Context, sess model.Session, p params, in invitationCreate) (core.InvitationView, error) {
	return s.deps.Core.Invite(ctx, sess, p.cpts(), in.Email, in.Role)
}

func (s *Server) revokeInvitation(ctx context.Context, sess model.Session, p params, _ none) (none, error) {
	return none{}, s.deps.Core.RevokeInvitation(ctx, sess, p.cpts(), p.invID)
}

func (s *Server) invitationInfo(ctx context.Context, _ model.Session, p params, _ none) (core.InvitationInfo, error) {
	return s.deps.Core.InvitationInfo(ctx, p.token)
}

func (s *Server) acceptInvitation(ctx context.Context, sess model.Session, p params, in invitationAccept) (invitationAccepted, error) {
	res, err := s.deps.Core.AcceptInvitation(ctx, p.token, sess, core.AcceptInput{
		Profile:  core.ProfileInput{Name: in.Name, Profession: in.Profession, RPPS: in.RPPS, ADELI: in.ADELI, Commune: in.Commune},
		Password: in.Password,
	})
	if err != nil {
		return invitationAccepted{}, err
	}
	return invitationAccepted{loginResponse: s.loggedIn(p.c, res.Login), Membership: res.Membership}, nil
}
