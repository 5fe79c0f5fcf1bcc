package server

import (
	"context"
	"strconv"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
)

// seqQuery reads an optional unsigned query parameter.
func seqQuery(p params, name string) (uint64, bool, error) {
	v := p.c.Query(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, false, model.Invalid(name, "invalid_"+name, "Le paramètre « "+name+" » doit être un entier positif.")
	}
	return n, true, nil
}

func (s *Server) listMessages(ctx context.Context, sess model.Session, p params, _ none) (messagePage, error) {
	after, hasAfter, err := seqQuery(p, "after_seq")
	if err != nil {
		return messagePage{}, err
	}
	before, hasBefore, err := seqQuery(p, "before_seq")
	if err != nil {
		return messagePage{}, err
	}
	if hasAfter && hasBefore {
		return messagePage{}, model.Invalid("before_seq", "invalid_query", "Donnez after_seq ou before_seq, pas les deux.")
	}
	if hasBefore && before == 0 {
		return messagePage{}, model.Invalid("before_seq", "invalid_before_seq", "before_seq doit être supérieur à 0.")
	}
	limit, _, err := seqQuery(p, "limit")
	if err != nil {
		return messagePage{}, err
	}
	if limit > 100 {
		return messagePage{}, model.Invalid("limit", "invalid_limit", "La page compte au plus 100 messages.")
	}
	ms, last, err := s.deps.Core.History(ctx, sess, p.channel(), after, hasAfter, before, int(limit))
	return messagePage{LastSeq: last, Messages: ms}, err
}

func (s *Server) postMessage(ctx context.Context, sess model.Session, p params, in messagePost) (messageResponse, error) {
	if in.ThreadID != "" {
		if _, _, ok := in.ThreadID.Parse(); !ok {
			return messageResponse{}, model.Invalid("thread_id", "invalid_thread", "Ce fil de discussion est introuvable.")
		}
	}
	m, created, err := s.deps.Core.SendMessage(ctx, sess, core.SendInput{Channel: p.channel(), ClientID: in.ClientID, Body: in.Body, ThreadID: in.ThreadID, FileIDs: in.FileIDs})
	return messageResponse{Message: m, repeat: !created}, err
}

func (s *Server) markRead(ctx context.Context, sess model.Session, p params, in seqBody) (none, error) {
	return none{}, s.deps.Core.MarkRead(ctx, sess, p.channel(), in.Seq)
}

func (s *Server) editMessage(ctx context.Context, sess model.Session, p params, in messagePatch) (core.MessageView, error) {
	return s.deps.Core.EditMessage(ctx, sess, p.message(), in.Body)
}

func (s *Server) deleteMessage(ctx context.Context, sess model.Session, p params, _ none) (none, error) {
	return none{}, s.deps.Core.DeleteMessage(ctx, sess, p.message())
}

func (s *Server) messageHistory(ctx context.Context, sess model.Session, p params, _ none) ([]model.Edit, error) {
	return s.deps.Core.EditHistory(ctx, sess, p.message())
}

// react adds (on) or removes the caller's reaction p.emoji.
func (s *Server) react(on bool) call[none, core.MessageView] {
	return func(ctx context.Context, sess model.Session, p params, _ none) (core.MessageView, error) {
		return s.deps.Core.React(ctx, sess, p.message(), p.emoji, on)
	}
}
