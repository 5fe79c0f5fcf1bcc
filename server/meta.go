package server

import (
	"context"

	"github.com/ecpts/ecpts/internal/filetype"
	"github.com/ecpts/ecpts/internal/model"
)

func (s *Server) meta(context.Context, model.Session, params, none) (metaResponse, error) {
	m := metaResponse{MaxUploadBytes: s.deps.Core.MaxUpload(), AcceptedFiles: filetype.AcceptedSummary, Professions: model.Professions, Roles: []roleInfo{
		{model.RoleCoordinateur, "Coordinateur·rice"},
		{model.RoleMembre, "Membre"},
		{model.RolePartenaire, "Partenaire"},
	}}
	m.Missions = make([]missionInfo, 0, len(model.Missions))
	for _, x := range model.Missions {
		m.Missions = append(m.Missions, missionInfo{x.Code, x.Label})
	}
	return m, nil
}
