package server

import (
	"context"
	"strconv"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
)

// The protocol library (protocols.go): bodies.

type protocolCreate struct {
	CPTSID      model.CPTSID       `json:"cpts_id"`
	Title       string             `json:"title"`
	Body        string             `json:"body,omitempty"` // empty: the template
	Missions    []model.Mission    `json:"missions,omitempty"`
	Professions []model.Profession `json:"professions,omitempty"`
	ReviewDate  model.Date         `json:"review_date,omitempty"`
	Visibility  model.Sharing      `json:"visibility,omitempty"`
	SharedWith  []model.CPTSID     `json:"shared_with,omitempty"`
	PDF         model.FileID       `json:"pdf_file_id,omitempty"` // an uploaded PDF, to the CPTS
}

type protocolPatch struct {
	Title       *string             `json:"title,omitempty"`
	Body        *string             `json:"body,omitempty"`
	Note        string              `json:"note,omitempty"`
	BaseVersion int                 `json:"base_version,omitempty"`
	Missions    *[]model.Mission    `json:"missions,omitempty"`
	Professions *[]model.Profession `json:"professions,omitempty"`
	ReviewDate  *model.Date         `json:"review_date,omitempty"`
	Visibility  *model.Sharing      `json:"visibility,omitempty"`
	SharedWith  *[]model.CPTSID     `json:"shared_with,omitempty"`
	PDF         *model.FileID       `json:"pdf_file_id,omitempty"` // a new version's PDF; "": none; absent: the current one is kept
}

type protocolSubmit struct {
	ReviewerIDs []model.UserID `json:"reviewer_ids"`
}

type protocolReview struct {
	Version  int                  `json:"version,omitempty"` // default: the current one
	Decision model.ReviewDecision `json:"decision"`
	Comment  string               `json:"comment,omitempty"`
}

type protocolAck struct {
	Version int `json:"version"`
}

type protocolTemplate struct {
	Body string `json:"body"`
}

func (p params) protocol() model.ProtocolID { return model.ProtocolID(p.id) }

func (s *Server) listProtocols(ctx context.Context, sess model.Session, p params, _ none) (core.ProtocolPage, error) {
	f := core.ProtocolFilter{
		CPTSID: model.CPTSID(p.query("cpts_id")), Mission: model.Mission(p.query("mission")),
		Profession: model.Profession(p.query("profession")), Status: model.ProtocolStatus(p.query("status")),
		After: p.query("after"),
	}
	switch v := p.query("review_due"); v {
	case "", "false", "0":
	case "true", "1":
		f.ReviewDue = true
	default:
		return core.ProtocolPage{}, model.Invalid("review_due", "invalid_review_due", "review_due vaut true ou false.")
	}
	if v := p.query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 200 {
			return core.ProtocolPage{}, model.Invalid("limit", "invalid_limit", "La taille de page va de 1 à 200.")
		}
		f.Limit = n
	}
	return s.deps.Core.ListProtocols(ctx, sess, f)
}

func (s *Server) protocolTemplate(ctx context.Context, sess model.Session, _ params, _ none) (protocolTemplate, error) {
	body, err := s.deps.Core.ProtocolTemplateText(ctx, sess)
	return protocolTemplate{Body: body}, err
}

func (s *Server) createProtocol(ctx context.Context, sess model.Session, _ params, in protocolCreate) (core.ProtocolDetail, error) {
	if !model.ValidID(string(in.CPTSID)) {
		return core.ProtocolDetail{}, model.Invalid("cpts_id", "invalid_cpts", "Choisissez la CPTS du protocole.")
	}
	return s.deps.Core.CreateProtocol(ctx, sess, core.ProtocolInput(in))
}

func (s *Server) getProtocol(ctx context.Context, sess model.Session, p params, _ none) (core.ProtocolDetail, error) {
	return s.deps.Core.GetProtocol(ctx, sess, p.protocol())
}

func (s *Server) updateProtocol(ctx context.Context, sess model.Session, p params, in protocolPatch) (core.ProtocolDetail, error) {
	return s.deps.Core.UpdateProtocol(ctx, sess, p.protocol(), core.ProtocolPatch(in))
}

func (s *Server) protocolVersions(ctx context.Context, sess model.Session, p params, _ none) ([]core.VersionView, error) {
	return s.deps.Core.ProtocolVersions(ctx, sess, p.protocol())
}

func (s *Server) protocolVersion(ctx context.Context, sess model.Session, p params, _ none) (model.ProtocolVersion, error) {
	return s.deps.Core.ProtocolVersion(ctx, sess, p.protocol(), p.n)
}

func (s *Server) submitProtocol(ctx context.Context, sess model.Session, p params, in protocolSubmit) (core.ProtocolDetail, error) {
	return s.deps.Core.SubmitProtocol(ctx, sess, p.protocol(), in.ReviewerIDs)
}

func (s *Server) reviewProtocol(ctx context.Context, sess model.Session, p params, in protocolReview) (core.ProtocolDetail, error) {
	return s.deps.Core.ReviewProtocol(ctx, sess, p.protocol(), in.Version, in.Decision, in.Comment)
}

func (s *Server) validateProtocol(ctx context.Context, sess model.Session, p params, _ none) (core.ProtocolDetail, error) {
	return s.deps.Core.ValidateProtocol(ctx, sess, p.protocol())
}

func (s *Server) archiveProtocol(ctx context.Context, sess model.Session, p params, _ none) (core.ProtocolDetail, error) {
	return s.deps.Core.ArchiveProtocol(ctx, sess, p.protocol())
}

func (s *Server) ackProtocol(ctx context.Context, sess model.Session, p params, in protocolAck) (core.ProtocolDetail, error) {
	return s.deps.Core.AckProtocol(ctx, sess, p.protocol(), in.Version)
}

func (s *Server) protocolAcks(ctx context.Context, sess model.Session, p params, _ none) (core.AckReport, error) {
	c := p.query("cpts_id")
	if c != "" && !model.ValidID(c) {
		return core.AckReport{}, model.Invalid("cpts_id", "invalid_cpts", "CPTS inconnue.")
	}
	return s.deps.Core.ProtocolAcks(ctx, sess, p.protocol(), model.CPTSID(c))
}

func (s *Server) remindProtocol(ctx context.Context, sess model.Session, p params, _ none) (core.RemindResult, error) {
	c := p.query("cpts_id")
	if c != "" && !model.ValidID(c) {
		return core.RemindResult{}, model.Invalid("cpts_id", "invalid_cpts", "CPTS inconnue.")
	}
	return s.deps.Core.RemindProtocol(ctx, sess, p.protocol(), model.CPTSID(c))
}

type protocolPreviewRequest struct {
	Body string `json:"body"`
}

func (s *Server) previewProtocol(ctx context.Context, sess model.Session, _ params, in protocolPreviewRequest) (core.ProtocolPreview, error) {
	return s.deps.Core.PreviewProtocol(ctx, sess, in.Body)
}
