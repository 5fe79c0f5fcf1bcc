package server

import (
	"context"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
)

func (s *Server) listChannels(ctx context.Context, sess model.Session, p params, _ none) ([]core.ChannelView, error) {
	archived := p.query("archived")
	return s.deps.Core.ListChannels(ctx, sess, archived == "1" || archived == "true")
}

func (s *Server) createChannel(ctx context.Context, sess model.Session, _ params, in channelCreate) (core.ChannelView, error) {
	if in.CPTSID != "" && !model.ValidID(string(in.CPTSID)) {
		return core.ChannelView{}, model.Invalid("cpts_id", "invalid_scope", "Cette CPTS est introuvable.")
	}
	if in.GroupID != "" && !model.ValidID(string(in.GroupID)) {
		return core.ChannelView{}, model.Invalid("group_id", "invalid_scope", "Ce groupe est introuvable.")
	}
	return s.deps.Core.CreateChannel(ctx, sess, core.ChannelInput(in))
}

func (s *Server) getChannel(ctx context.Context, sess model.Session, p params, _ none) (core.ChannelView, error) {
	return s.deps.Core.GetChannel(ctx, sess, p.channel())
}

func (s *Server) updateChannel(ctx context.Context, sess model.Session, p params, in channelPatch) (core.ChannelView, error) {
	return s.deps.Core.UpdateChannel(ctx, sess, p.channel(), core.ChannelPatch(in))
}

func (s *Server) joinChannel(ctx context.Context, sess model.Session, p params, _ none) (core.ChannelView, error) {
	return s.deps.Core.JoinChannel(ctx, sess, p.channel())
}

func (s *Server) leaveChannel(ctx context.Context, sess model.Session, p params, _ none) (none, error) {
	return none{}, s.deps.Core.LeaveChannel(ctx, sess, p.channel())
}

func (s *Server) channelMembers(ctx context.Context, sess model.Session, p params, _ none) ([]core.MemberView, error) {
	return s.deps.Core.ChannelMembers(ctx, sess, p.channel())
}

func (s *Server) addChannelMember(ctx context.Context, sess model.Session, p params, in channelMemberAdd) (core.MemberView, error) {
	return s.deps.Core.AddChannelMember(ctx, sess, p.channel(), in.UserID)
}

func (s *Server) removeChannelMember(ctx context.Context, sess model.Session, p params, _ none) (none, error) {
	return none{}, s.deps.Core.RemoveChannelMember(ctx, sess, p.channel(), p.user())
}
