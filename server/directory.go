package server

import (
	"context"
	"strings"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
)

// Who does what on my territory, and who is online.

func (s *Server) directory(ctx context.Context, sess model.Session, p params, _ none) ([]core.DirectoryEntry, error) {
	return s.deps.Core.Directory(ctx, sess, core.DirectoryFilter{
		Profession: model.Profession(p.query("profession")),
		Commune:    p.query("commune"),
		CPTSID:     model.CPTSID(p.query("cpts_id")),
		Query:      p.query("q"),
	})
}

// presence answers which of ?user_ids=a,b,c the caller may see are online.
func (s *Server) presence(ctx context.Context, sess model.Session, p params, _ none) (presenceResponse, error) {
	var ids []model.UserID
	for _, id := range strings.Split(p.query("user_ids"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, model.UserID(id))
		}
	}
	visible, err := s.deps.Core.VisibleUsers(ctx, sess, ids)
	if err != nil {
		return presenceResponse{}, err
	}
	online := []model.UserID{}
	if s.deps.Presence != nil && len(visible) > 0 {
		m, err := s.deps.Presence(ctx, visible)
		if err != nil {
			return presenceResponse{}, err
		}
		for _, id := range visible {
			if m[id] {
				online = append(online, id)
			}
		}
	}
	return presenceResponse{online}, nil
}
