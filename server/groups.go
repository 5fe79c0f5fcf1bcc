package server

import (
	"context"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
)

func (s *Server) listGroups(ctx context.Context, sess model.Session, _ params, _ none) ([]core.GroupView, error) {
	return s.deps.Core.ListGroups(ctx, sess)
}

func (s *Server) createGroup(ctx context.Context, sess model.Session, _ params, in groupCreate) (core.GroupView, error) {
	if !model.ValidID(string(in.CPTSID)) {
		return core.GroupView{}, model.Invalid("cpts_id", "invalid_cpts", "Choisissez la CPTS qui porte le groupe.")
	}
	return s.deps.Core.CreateGroup(ctx, sess, core.GroupInput{
		Name: in.Name, Description: in.Description, CPTSID: in.CPTSID, InvitedCPTS: in.InvitedCPTSIDs,
	})
}

func (s *Server) getGroup(ctx context.Context, sess model.Session, p params, _ none) (core.GroupView, error) {
	return s.deps.Core.GetGroup(ctx, sess, p.group())
}

func (s *Server) updateGroup(ctx context.Context, sess model.Session, p params, in groupPatch) (core.GroupView, error) {
	return s.deps.Core.UpdateGroup(ctx, sess, p.group(), core.GroupPatch(in))
}

func (s *Server) inviteCPTSToGroup(ctx context.Context, sess model.Session, p params, in groupCPTS) (core.GroupView, error) {
	return s.deps.Core.InviteCPTSToGroup(ctx, sess, p.group(), in.CPTSID)
}

func (s *Server) groupMembers(ctx context.Context, sess model.Session, p params, _ none) ([]core.MemberView, error) {
	return s.deps.Core.GroupMembers(ctx, sess, p.group())
}

func (s *Server) addGroupMember(ctx context.Context, sess model.Session, p params, in groupMemberAdd) (core.MemberView, error) {
	return s.deps.Core.AddGroupMember(ctx, sess, p.group(), in.UserID, in.Role)
}

func (s *Server) removeGroupMember(ctx context.Context, sess model.Session, p params, _ none) (none, error) {
	return none{}, s.deps.Core.RemoveGroupMember(ctx, sess, p.group(), p.user())
}
