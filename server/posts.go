package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
)

// The feed: posts, events, RSVP, calendar files.

func (s *Server) listPosts(ctx context.Context, sess model.Session, p params, _ none) (core.FeedPageView, error) {
	scope := model.FeedScope{CPTSID: model.CPTSID(p.query("cpts_id")), GroupID: model.GroupID(p.query("group_id"))}
	if !scope.Valid() {
		return core.FeedPageView{}, model.Invalid("cpts_id", "invalid_feed", "Indiquez une CPTS (cpts_id) ou un groupe (group_id), l'un des deux.")
	}
	before, err := uintQuery(p, "before")
	if err != nil {
		return core.FeedPageView{}, err
	}
	limit, err := uintQuery(p, "limit")
	if err != nil {
		return core.FeedPageView{}, err
	}
	if limit > 100 {
		return core.FeedPageView{}, model.Invalid("limit", "invalid_limit", "La page compte au plus 100 publications.")
	}
	return s.deps.Core.ListFeed(ctx, sess, scope, before, int(limit))
}

// uintQuery reads an optional non-negative integer query value.
func uintQuery(p params, name string) (uint64, error) {
	v := p.query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 63)
	if err != nil {
		return 0, model.Invalid(name, "invalid_"+name, "Le paramètre "+name+" doit être un entier positif.")
	}
	return n, nil
}

func (s *Server) createPost(ctx context.Context, sess model.Session, _ params, in core.PostInput) (core.PostView, error) {
	if in.CPTSID != "" && !model.ValidID(string(in.CPTSID)) || in.GroupID != "" && !model.ValidID(string(in.GroupID)) {
		return core.PostView{}, model.Invalid("cpts_id", "invalid_feed", "Ce fil est introuvable.")
	}
	return s.deps.Core.PublishPost(ctx, sess, in)
}

func (s *Server) getPost(ctx context.Context, sess model.Session, p params, _ none) (core.PostView, error) {
	return s.deps.Core.GetPost(ctx, sess, p.post())
}

func (s *Server) editPost(ctx context.Context, sess model.Session, p params, in core.PostPatch) (core.PostView, error) {
	return s.deps.Core.EditPost(ctx, sess, p.post(), in)
}

func (s *Server) deletePost(ctx context.Context, sess model.Session, p params, _ none) (none, error) {
	return none{}, s.deps.Core.DeletePost(ctx, sess, p.post())
}

func (s *Server) pinPost(on bool) call[none, core.PostView] {
	return func(ctx context.Context, sess model.Session, p params, _ none) (core.PostView, error) {
		return s.deps.Core.PinPost(ctx, sess, p.post(), on)
	}
}

func (s *Server) reactPost(on bool) call[none, core.PostView] {
	return func(ctx context.Context, sess model.Session, p params, _ none) (core.PostView, error) {
		return s.deps.Core.ReactToPost(ctx, sess, p.post(), p.emoji, on)
	}
}

func (s *Server) rsvp(ctx context.Context, sess model.Session, p params, in rsvpRequest) (core.RSVPState, error) {
	return s.deps.Core.RSVP(ctx, sess, p.post(), in.Answer)
}

func (s *Server) rsvpList(ctx context.Context, sess model.Session, p params, _ none) (core.RSVPList, error) {
	return s.deps.Core.RSVPs(ctx, sess, p.post())
}

func (s *Server) feedsUnread(ctx context.Context, sess model.Session, _ params, _ none) ([]core.FeedUnread, error) {
	return s.deps.Core.FeedsUnread(ctx, sess)
}

func (s *Server) calendarFeed(ctx context.Context, sess model.Session, _ params, _ none) (core.CalendarFeedView, error) {
	return s.deps.Core.CalendarFeed(ctx, sess)
}

func (s *Server) rotateCalendar(ctx context.Context, sess model.Session, _ params, _ none) (core.CalendarFeedView, error) {
	return s.deps.Core.RotateCalendarFeed(ctx, sess)
}

func (s *Server) revokeCalendar(ctx context.Context, sess model.Session, _ params, _ none) (none, error) {
	return none{}, s.deps.Core.RevokeCalendarFeed(ctx, sess)
}

// sendFile answers a download: an attachment of type ctype, never
// sniffed.
func sendFile(c *fiber.Ctx, ctype, name string, body []byte) error {
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.Status(fiber.StatusOK).Send(body)
}

// rsvpCSV exports the organiser's list: UTF-8 with a byte-order mark and
// semicolons, as French spreadsheets open it.
func (s *Server) rsvpCSV(c *fiber.Ctx) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	sess, _ := sessionOf(c)
	list, err := s.deps.Core.RSVPs(c.UserContext(), sess, p.post())
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	w.Comma = ';'
	_ = w.Write([]string{"Nom", "Profession", "Commune", "RPPS", "ADELI", "Réponse", "Répondu le"})
	for _, pr := range list.Professions {
		for _, e := range pr.Entries {
			_ = w.Write([]string{csvSafe(e.Name), e.ProfessionLabel, csvSafe(e.Commune), csvSafe(e.RPPS), csvSafe(e.ADELI),
				e.Answer.Label(), e.At.In(core.Paris).Format("02/01/2006 15:04")})
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return sendFile(c, "text/csv; charset=utf-8", "inscriptions-"+string(p.post())+".csv", b.Bytes())
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (s *Server) eventICS(c *fiber.Ctx) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	sess, _ := sessionOf(c)
	body, name, err := s.deps.Core.EventICS(c.UserContext(), sess, p.post())
	if err != nil {
		return err
	}
	return sendFile(c, "text/calendar; charset=utf-8", name, body)
}

// calendarByToken serves a private calendar feed: the token in the path
// is the only credential (calendar apps send no cookie).
func (s *Server) calendarByToken(c *fiber.Ctx) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	body, err := s.deps.Core.CalendarByToken(c.UserContext(), p.token)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="e-cpts.ics"`)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.Status(fiber.StatusOK).Send(body)
}
