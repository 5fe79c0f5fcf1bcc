package server

import (
	"context"

	"github.com/ecpts/ecpts/internal/filetype"
	"github.com/ecpts/ecpts/internal/model"
)

func (s *Server) meta(context.Context, model.Session, params, none) (metaResponse, error) {
	m := metaResponse{MaxUploadBytes: s.deps.Core.MaxUpload(), AcceptedFiles: filetype.AcceptedSummary, Professions: model.Professions}
	m.Roles = make([]roleInfo, 0, len(model.Roles))
	for _, r := range model.Roles {
		m.Roles = append(m.Roles, roleInfo{r, r.Label()})
	}
	m.Missions = make([]missionInfo, 0, len(model.Missions))
	for _, x := range model.Missions {
		m.Missions = append(m.Missions, missionInfo{x.Code, x.Label})
	}
	return m, nil
}
