package server

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/gofiber/fiber/v2"
)

func messageID(c *fiber.Ctx) (model.Session, model.MessageID, error) {
	sess, err := mustSession(c)
	if err != nil {
		return sess, "", err
	}
	id := model.MessageID(clone(c.Params("id")))
	if _, _, ok := id.Parse(); !ok {
		return sess, "", errBadID
	}
	return sess, id, nil
}

// seqQuery reads an optional unsigned query parameter.
func seqQuery(c *fiber.Ctx, name string) (uint64, bool, error) {
	v := c.Query(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, false, model.Invalid(name, "invalid_"+name, "Le paramètre « "+name+" » doit être un entier positif.")
	}
	return n, true, nil
}

func (s *Server) listMessages(c *fiber.Ctx) error {
	sess, id, err := channelID(c)
	if err != nil {
		return err
	}
	after, hasAfter, err := seqQuery(c, "after_seq")
	if err != nil {
		return err
	}
	before, hasBefore, err := seqQuery(c, "before_seq")
	if err != nil {
		return err
	}
	if hasAfter && hasBefore {
		return model.Invalid("before_seq", "invalid_query", "Donnez after_seq ou before_seq, pas les deux.")
	}
	if hasBefore && before == 0 {
		return model.Invalid("before_seq", "invalid_before_seq", "before_seq doit être supérieur à 0.")
	}
	limit, _, err := seqQuery(c, "limit")
	if err != nil {
		return err
	}
	if limit > 100 {
		return model.Invalid("limit", "invalid_limit", "La page compte au plus 100 messages.")
	}
	ms, last, err := s.deps.Core.History(c.UserContext(), sess, id, after, hasAfter, before, int(limit))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"messages": ms, "last_seq": last})
}

type messagePost struct {
	Body     string          `json:"body"`
	ClientID string          `json:"client_id"`
	ThreadID model.MessageID `json:"thread_id"`
}

func (s *Server) postMessage(c *fiber.Ctx) error {
	sess, id, err := channelID(c)
	if err != nil {
		return err
	}
	var in messagePost
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.ThreadID != "" {
		if _, _, ok := in.ThreadID.Parse(); !ok {
			return model.Invalid("thread_id", "invalid_thread", "Ce fil de discussion est introuvable.")
		}
	}
	m, created, err := s.deps.Core.SendMessage(c.UserContext(), sess, core.SendInput{Channel: id, ClientID: in.ClientID, Body: in.Body, ThreadID: in.ThreadID})
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(fiber.Map{"message": m})
}

type messagePatch struct {
	Body string `json:"body"`
}

func (s *Server) editMessage(c *fiber.Ctx) error {
	sess, id, err := messageID(c)
	if err != nil {
		return err
	}
	var in messagePatch
	if err := decode(c, &in); err != nil {
		return err
	}
	m, err := s.deps.Core.EditMessage(c.UserContext(), sess, id, in.Body)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"message": m})
}

func (s *Server) deleteMessage(c *fiber.Ctx) error {
	sess, id, err := messageID(c)
	if err != nil {
		return err
	}
	if err := s.deps.Core.DeleteMessage(c.UserContext(), sess, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) messageHistory(c *fiber.Ctx) error {
	sess, id, err := messageID(c)
	if err != nil {
		return err
	}
	edits, err := s.deps.Core.EditHistory(c.UserContext(), sess, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"edits": edits})
}

func (s *Server) react(on bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sess, id, err := messageID(c)
		if err != nil {
			return err
		}
		emoji, err := url.PathUnescape(c.Params("emoji"))
		if err != nil {
			return model.Invalid("emoji", "invalid_emoji", "Réaction non valide : choisissez un émoji.")
		}
		m, err := s.deps.Core.React(c.UserContext(), sess, id, strings.Clone(emoji), on)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"message": m})
	}
}

func (s *Server) thread(c *fiber.Ctx) error {
	sess, id, err := messageID(c)
	if err != nil {
		return err
	}
	t, err := s.deps.Core.Thread(c.UserContext(), sess, id)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

func (s *Server) follow(on bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sess, id, err := messageID(c)
		if err != nil {
			return err
		}
		if err := s.deps.Core.SetFollow(c.UserContext(), sess, id, on); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

type seqBody struct {
	Seq uint64 `json:"seq"`
}

func (s *Server) markRead(c *fiber.Ctx) error {
	sess, id, err := channelID(c)
	if err != nil {
		return err
	}
	var in seqBody
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := s.deps.Core.MarkRead(c.UserContext(), sess, id, in.Seq); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) markThreadRead(c *fiber.Ctx) error {
	sess, id, err := messageID(c)
	if err != nil {
		return err
	}
	var in seqBody
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := s.deps.Core.MarkThreadRead(c.UserContext(), sess, id, in.Seq); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) unread(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	chans, threads, err := s.deps.Core.Unread(c.UserContext(), sess)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"channels": chans, "threads": threads})
}

func (s *Server) threads(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	ts, err := s.deps.Core.Threads(c.UserContext(), sess)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"threads": ts})
}

func (s *Server) replies(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	ms, err := s.deps.Core.Replies(c.UserContext(), sess)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"messages": ms})
}

func (s *Server) conversations(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	cs, err := s.deps.Core.Conversations(c.UserContext(), sess)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"conversations": cs})
}

type conversationOpen struct {
	UserIDs []model.UserID `json:"user_ids"`
}

func (s *Server) openConversation(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	var in conversationOpen
	if err := decode(c, &in); err != nil {
		return err
	}
	v, created, err := s.deps.Core.OpenConversation(c.UserContext(), sess, in.UserIDs)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(fiber.Map{"conversation": v})
}

func (s *Server) leaveConversation(c *fiber.Ctx) error {
	sess, id, err := channelID(c)
	if err != nil {
		return err
	}
	if err := s.deps.Core.LeaveConversation(c.UserContext(), sess, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) presence(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	var ids []model.UserID
	for _, p := range strings.Split(c.Query("user_ids"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			ids = append(ids, model.UserID(strings.Clone(p)))
		}
	}
	visible, err := s.deps.Core.VisibleUsers(c.UserContext(), sess, ids)
	if err != nil {
		return err
	}
	online := []model.UserID{}
	if s.deps.Presence != nil && len(visible) > 0 {
		m, err := s.deps.Presence(c.UserContext(), visible)
		if err != nil {
			return err
		}
		for _, id := range visible {
			if m[id] {
				online = append(online, id)
			}
		}
	}
	return c.JSON(fiber.Map{"online": online})
}
