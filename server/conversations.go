package server

import (
	"context"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
)

func (s *Server) conversations(ctx context.Context, sess model.Session, _ params, _ none) ([]core.ConversationView, error) {
	return s.deps.Core.Conversations(ctx, sess)
}

func (s *Server) openConversation(ctx context.Context, sess model.Session, _ params, in conversationOpen) (conversationResponse, error) {
	v, created, err := s.deps.Core.OpenConversation(ctx, sess, in.UserIDs)
	return conversationResponse{Conversation: v, repeat: !created}, err
}

func (s *Server) leaveConversation(ctx context.Context, sess model.Session, p params, _ none) (none, error) {
	return none{}, s.deps.Core.LeaveConversation(ctx, sess, p.channel())
}
