package server

import (
	"context"
	"strconv"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
)

func (s *Server) listMaterials(ctx context.Context, sess model.Session, p params, _ none) (core.MaterialPage, error) {
	f := core.MaterialFilter{
		CPTSID: model.CPTSID(p.query("cpts_id")), Theme: model.Theme(p.query("theme")),
		Campaign: model.Campaign(p.query("campaign")), Audience: model.MaterialAudience(p.query("audience")),
		After: p.query("after"),
	}
	switch v := p.query("current"); v {
	case "", "false", "0":
	case "true", "1":
		f.Current = true
	default:
		return core.MaterialPage{}, model.Invalid("current", "invalid_current", "current vaut true ou false.")
	}
	if v := p.query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 200 {
			return core.MaterialPage{}, model.Invalid("limit", "invalid_limit", "La taille de page va de 1 à 200.")
		}
		f.Limit = n
	}
	return s.deps.Core.ListMaterials(ctx, sess, f)
}

func (s *Server) createMaterial(ctx context.Context, sess model.Session, _ params, in core.MaterialInput) (core.MaterialView, error) {
	if !model.ValidID(string(in.CPTSID)) {
		return core.MaterialView{}, model.Invalid("cpts_id", "invalid_cpts", "Choisissez la CPTS du support.")
	}
	return s.deps.Core.CreateMaterial(ctx, sess, in)
}

func (s *Server) getMaterial(ctx context.Context, sess model.Session, p params, _ none) (core.MaterialView, error) {
	return s.deps.Core.GetMaterial(ctx, sess, model.MaterialID(p.id))
}

func (s *Server) materialCatalog(ctx context.Context, sess model.Session, _ params, _ none) (core.MaterialCatalog, error) {
	return s.deps.Core.MaterialCatalog(ctx, sess)
}

func (s *Server) updateMaterial(ctx context.Context, sess model.Session, p params, in core.MaterialPatch) (core.MaterialView, error) {
	return s.deps.Core.UpdateMaterial(ctx, sess, model.MaterialID(p.id), in)
}

func (s *Server) deleteMaterial(ctx context.Context, sess model.Session, p params, _ none) (none, error) {
	return none{}, s.deps.Core.DeleteMaterial(ctx, sess, model.MaterialID(p.id))
}
