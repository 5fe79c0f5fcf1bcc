package server

import (
	"context"
	"sync"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/realtime"
	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
)

// Hub is the realtime hub as the HTTP layer sees it: it takes upgraded
// sockets and serves them until they close.
type Hub interface {
	Serve(ctx context.Context, sock realtime.Socket, sess realtime.Session)
}

var errNotWebSocket = model.Coded(nil, "upgrade_required", "Cette adresse attend une connexion WebSocket.")

// webSocket authenticates the handshake (session cookie), checks Origin —
// browsers send cookies on cross-site WebSocket handshakes, so without it
// any site could read a member's channels — and hands the socket to the
// hub. The session and user ids are copied: Fiber reuses its buffers.
func (s *Server) webSocket(hub Hub, ctx context.Context) fiber.Handler {
	upgrade := websocket.New(func(conn *websocket.Conn) {
		sess, _ := conn.Locals(localSession).(model.Session)
		hub.Serve(ctx, conn, realtime.Session{
			UserID:    model.UserID(clone(string(sess.UserID))),
			SessionID: clone(sess.ID),
		})
	}, websocket.Config{
		// Small per-connection buffers and a shared write-buffer pool: an
		// idle connection then holds no write buffer at all. Frames larger
		// than a buffer are read and written in several pieces.
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{},
		// Origin is checked below, before the upgrade, with the same
		// policy as unsafe REST requests.
		Origins: []string{"*"},
	})
	return func(c *fiber.Ctx) error {
		if !websocket.IsWebSocketUpgrade(c) {
			return errNotWebSocket
		}
		if _, ok := sessionOf(c); !ok {
			return errUnauthenticated
		}
		if origin := c.Get(fiber.HeaderOrigin); origin != "" && !s.AllowedOrigin(origin, c.BaseURL()) {
			return errOrigin
		}
		return upgrade(c)
	}
}
