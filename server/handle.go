package server

import (
	"context"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/gofiber/fiber/v2"
)

// none is the request body of a route that takes none, and the result of
// one that answers 204 No Content.
type none struct{}

// call is a use case as a route sees it: the caller's session (zero on a
// public route), the request's path and query values, checked and copied
// (params), and the decoded body.
type call[In, Out any] func(ctx context.Context, s model.Session, p params, in In) (Out, error)

// repeatable is a result that may answer a repeated request: an idempotent
// create answers 200 instead of 201 when it created nothing.
type repeatable interface{ repeated() bool }

// handle is the preamble of every API handler, written once: path ids
// checked and copied, the body decoded strictly (when In is not none; only
// when present if optional), the call made, its result encoded with status
// — under key when set ({"channel": …}), 204 without a body when Out is
// none. Errors go to the error handler.
func handle[In, Out any](fn call[In, Out], status int, optional bool, key string) fiber.Handler {
	hasBody := reflect.TypeFor[In]() != reflect.TypeFor[none]()
	noContent := reflect.TypeFor[Out]() == reflect.TypeFor[none]()
	return func(c *fiber.Ctx) error {
		p, err := readParams(c)
		if err != nil {
			return err
		}
		var in In
		if hasBody && (!optional || len(c.Body()) > 0) {
			if err := decode(c, &in); err != nil {
				return err
			}
		}
		sess, _ := sessionOf(c)
		out, err := fn(c.UserContext(), sess, p, in)
		if err != nil {
			return err
		}
		if noContent {
			return c.SendStatus(fiber.StatusNoContent)
		}
		st := status
		if r, ok := any(out).(repeatable); ok && r.repeated() {
			st = fiber.StatusOK
		}
		if key != "" {
			return c.Status(st).JSON(map[string]Out{key: out})
		}
		return c.Status(st).JSON(out)
	}
}

// params are a request's path values, checked and copied before the call
// (Fiber reuses its buffers), and its query.
type params struct {
	c      *fiber.Ctx
	id     string // :id, a 24-hex id or, under /messages/, a message id
	userID string // :user_id
	invID  string // :inv_id
	token  string // :token, opaque
	emoji  string // :emoji, unescaped
	n      int    // :n, a version number (1…)
}

var errBadEmoji = model.Invalid("emoji", "invalid_emoji", "Réaction non valide : choisissez un émoji.")

// pathParams are the names readParams knows.
var pathParams = []string{"id", "user_id", "inv_id", "token", "emoji", "n"}

// errBadVersion: a version number that is not one.
var errBadVersion = model.Coded(model.ErrNotFound, "not_found", "Cette version du protocole est introuvable.")

// readParams checks and copies the path values of c's route, in their
// order: a malformed id answers not found without a lookup.
func readParams(c *fiber.Ctx) (params, error) {
	p := params{c: c}
	for _, name := range c.Route().Params {
		v := c.Params(name)
		switch name {
		case "token":
			p.token = clone(v)
		case "emoji":
			e, err := url.PathUnescape(v)
			if err != nil {
				return p, errBadEmoji
			}
			p.emoji = strings.Clone(e)
		case "id":
			if strings.HasPrefix(c.Route().Path, "/api/v1/messages/") {
				if _, _, ok := model.MessageID(v).Parse(); !ok {
					return p, errBadID
				}
			} else if strings.HasPrefix(c.Route().Path, "/api/v1/posts/") {
				if !model.PostID(v).Valid() {
					return p, errBadID
				}
			} else if !model.ValidID(v) {
				return p, errBadID
			}
			p.id = clone(v)
		case "n":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1_000_000 {
				return p, errBadVersion
			}
			p.n = n
		case "user_id", "inv_id":
			if !model.ValidID(v) {
				return p, errBadID
			}
			if name == "user_id" {
				p.userID = clone(v)
			} else {
				p.invID = clone(v)
			}
		default: // endpoint refuses such routes
			return p, errBadID
		}
	}
	return p, nil
}

func (p params) cpts() model.CPTSID       { return model.CPTSID(p.id) }
func (p params) group() model.GroupID     { return model.GroupID(p.id) }
func (p params) channel() model.ChannelID { return model.ChannelID(p.id) }
func (p params) message() model.MessageID { return model.MessageID(p.id) }
func (p params) post() model.PostID       { return model.PostID(p.id) }
func (p params) user() model.UserID       { return model.UserID(p.userID) }

// query is a copy of a query value ("" when absent).
func (p params) query(name string) string { return clone(p.c.Query(name)) }
