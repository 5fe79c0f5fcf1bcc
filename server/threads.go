package server

import (
	"context"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
)

// Threads, unread counts and replies: what to read next.

func (s *Server) thread(ctx context.Context, sess model.Session, p params, _ none) (core.ThreadView, error) {
	return s.deps.Core.Thread(ctx, sess, p.message())
}

// follow follows (on) or unfollows a thread.
func (s *Server) follow(on bool) call[none, none] {
	return func(ctx context.Context, sess model.Session, p params, _ none) (none, error) {
		return none{}, s.deps.Core.SetFollow(ctx, sess, p.message(), on)
	}
}

func (s *Server) markThreadRead(ctx context.Context, sess model.Session, p params, in seqBody) (none, error) {
	return none{}, s.deps.Core.MarkThreadRead(ctx, sess, p.message(), in.Seq)
}

func (s *Server) unread(ctx context.Context, sess model.Session, _ params, _ none) (unreadResponse, error) {
	chans, threads, err := s.deps.Core.Unread(ctx, sess)
	return unreadResponse{Channels: chans, Threads: threads}, err
}

func (s *Server) threads(ctx context.Context, sess model.Session, _ params, _ none) ([]core.FollowedThreadView, error) {
	return s.deps.Core.Threads(ctx, sess)
}

func (s *Server) replies(ctx context.Context, sess model.Session, _ params, _ none) ([]core.MessageView, error) {
	return s.deps.Core.Replies(ctx, sess)
}
