package server

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/search"
)

// search answers GET /search: the text typed (q, with its operators) and
// the filters of the controls, comma-separated where several: type
// (message, post, protocol, material, person, channel), cpts and group
// (ids), profession and mission (codes or labels), campaign
// (model.Campaign codes), status (protocol status codes), from and to
// (AAAA-MM-JJ, to inclusive, or RFC 3339), page, per_page, facets=1.
func (s *Server) search(ctx context.Context, sess model.Session, p params, _ none) (core.SearchResult, error) {
	in := core.SearchInput{Q: p.query("q"), Facets: p.query("facets") == "1" || p.query("facets") == "true"}
	for _, t := range list(p.query("type")) {
		typ := search.Type(t)
		if !typ.Valid() {
			return core.SearchResult{}, model.Invalid("type", "invalid_type", "Type inconnu : message, post, protocol, material, person ou channel.")
		}
		in.Types = append(in.Types, typ)
	}
	for _, id := range list(p.query("cpts")) {
		if !model.ValidID(id) {
			return core.SearchResult{}, model.Invalid("cpts", "invalid_id", "Identifiant de CPTS invalide.")
		}
		in.CPTS = append(in.CPTS, model.CPTSID(id))
	}
	for _, id := range list(p.query("group")) {
		if !model.ValidID(id) {
			return core.SearchResult{}, model.Invalid("group", "invalid_id", "Identifiant de groupe invalide.")
		}
		in.Groups = append(in.Groups, model.GroupID(id))
	}
	for _, v := range list(p.query("profession")) {
		codes := search.ResolveProfession(v)
		if len(codes) == 0 {
			return core.SearchResult{}, model.Invalid("profession", "invalid_profession", "Profession inconnue.")
		}
		in.Professions = append(in.Professions, codes...)
	}
	for _, v := range list(p.query("mission")) {
		codes := search.ResolveMission(v)
		if len(codes) == 0 {
			return core.SearchResult{}, model.Invalid("mission", "invalid_mission", "Mission inconnue.")
		}
		in.Missions = append(in.Missions, codes...)
	}
	for _, v := range list(p.query("campaign")) {
		if !model.Campaign(v).Valid() {
			return core.SearchResult{}, model.Invalid("campaign", "invalid_campaign", "Campagne inconnue.")
		}
		// The index holds a material's campaign by its label.
		in.Campaigns = append(in.Campaigns, model.Campaign(v).Label())
	}
	for _, v := range list(p.query("status")) {
		if !model.ProtocolStatus(v).Valid() {
			return core.SearchResult{}, model.Invalid("status", "invalid_status", "Statut inconnu : brouillon, relecture, valide ou archive.")
		}
		in.Statuses = append(in.Statuses, v)
	}
	var err error
	if in.From, err = searchDate("from", p.query("from"), false); err != nil {
		return core.SearchResult{}, err
	}
	if in.To, err = searchDate("to", p.query("to"), true); err != nil {
		return core.SearchResult{}, err
	}
	if in.Page, err = searchInt("page", p.query("page"), 1, 100000); err != nil {
		return core.SearchResult{}, err
	}
	if in.PerPage, err = searchInt("per_page", p.query("per_page"), 1, search.MaxPerPage); err != nil {
		return core.SearchResult{}, err
	}
	return s.deps.Core.Search(ctx, sess, in)
}

func list(v string) []string {
	var out []string
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	if len(out) > search.MaxFilterValues {
		out = out[:search.MaxFilterValues]
	}
	return out
}

// searchDate reads YYYY-MM-DD (a whole day: to is exclusive, so the day
// after) or an RFC 3339 time.
func searchDate(field, v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, model.Invalid(field, "invalid_date", "Date invalide : écrivez-la AAAA-MM-JJ.")
}

func searchInt(field, v string, lo, hi int) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, model.Invalid(field, "invalid_"+field, "Valeur invalide pour « "+field+" » : un nombre entre "+strconv.Itoa(lo)+" et "+strconv.Itoa(hi)+".")
	}
	return n, nil
}
