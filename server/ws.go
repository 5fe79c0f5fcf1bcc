package server

import (
	"bufio"
	"context"
	"net"
	"reflect"
	"runtime/debug"
	"sync"

	fastws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/realtime"
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
//
// Memory per idle connection: fasthttp keeps the upgrade request's context
// (its headers, ~6 KiB) and the gofiber wrapper (copies of the cookies and
// headers) until the hijack handler returns. So, when it is safe (see
// ownsSocket), the handler returns at once and the hub serves the socket
// in a goroutine of its own; the server keeps hijacked connections open
// (Server.KeepHijackedConns) and the hub closes them.
func (s *Server) webSocket(hub Hub, ctx context.Context) fiber.Handler {
	upgrade := websocket.New(func(conn *websocket.Conn) {
		sess, _ := conn.Locals(localSession).(model.Session)
		rs := realtime.Session{
			UserID:    model.UserID(clone(string(sess.UserID))),
			SessionID: clone(sess.ID),
		}
		sock := conn.Conn // the wrapper goes back to its pool when this returns
		if !ownsSocket(sock.NetConn()) {
			defer sock.Close()
			hub.Serve(ctx, sock, rs)
			return
		}
		go func() {
			defer sock.Close()
			defer func() {
				if p := recover(); p != nil {
					s.log.Error("ws: panic serving a connection", "user_id", rs.UserID, "panic", p, "stack", string(debug.Stack()))
				}
			}()
			hub.Serve(ctx, sock, rs)
		}()
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

// ownsSocket reports whether the connection fasthttp handed to the hijack
// handler may outlive the handler: whether it reads straight from the
// socket. fasthttp (v1.52) wraps the socket in a hijackConn reading either
// from the socket itself or, when its request reader still buffers bytes
// (the client sent some right after the upgrade request, or always without
// Server.ReduceMemoryUsage), from that reader, which fasthttp puts back in
// its pool as soon as the handler returns: another request would then
// read and reset it under this connection. fasthttp 1.79 (with
// KeepHijackedConns) detaches that reader onto the socket and never takes
// it back: such a reader is safe too. Anything unexpected (another
// fasthttp layout) answers false, and the handler keeps the connection.
func ownsSocket(nc net.Conn) bool {
	raw, r, ok := hijackedReader(nc)
	if !ok {
		return false
	}
	if r.Type() == reflect.TypeFor[*bufio.Reader]() {
		// fasthttp ≥ 1.79 with Server.KeepHijackedConns (set in New): the
		// request reader is detached onto the socket and left to the
		// hijacked connection, never put back in the pool. With
		// StreamRequestBody (uploads) it is always that reader.
		shrinkReader((*bufio.Reader)(r.UnsafePointer()), raw)
		return true
	}
	return r.Type() == reflect.TypeOf(raw) && r.Kind() == reflect.Pointer && r.Pointer() == reflect.ValueOf(raw).Pointer()
}

// hijackedReader finds, in the connection fasthttp hands to the hijack
// handler (its hijackConn), the socket and the reader the connection reads
// from.
func hijackedReader(nc net.Conn) (raw net.Conn, r reflect.Value, ok bool) {
	u, ok := nc.(interface{ UnsafeConn() net.Conn })
	if !ok || u.UnsafeConn() == nil {
		return nil, r, false
	}
	v := reflect.ValueOf(nc)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, r, false
	}
	r = v.Elem().FieldByName("r") // the hijackConn's reader
	if !r.IsValid() || r.Kind() != reflect.Interface || r.IsNil() {
		return nil, r, false
	}
	return u.UnsafeConn(), r.Elem(), true
}

// shrinkReader gives back the 4 KiB buffer of fasthttp's request reader,
// which, with StreamRequestBody, a hijacked connection keeps for its whole
// life (4 KiB of every idle WebSocket). When the reader buffers nothing
// (the client sent nothing after the upgrade request), it becomes a
// 16-byte reader of the socket: the WebSocket reader reads 1 KiB at a
// time, which bufio passes straight to the socket. Called before the
// socket is read, on the reader no one else holds any more.
func shrinkReader(br *bufio.Reader, raw net.Conn) {
	if br.Buffered() != 0 || br.Size() <= 16 {
		return
	}
	// fasthttp puts bytes the client sent after the upgrade request in
	// front of the socket (an io.MultiReader): only a reader of the socket
	// itself is replaced.
	rd := reflect.ValueOf(br).Elem().FieldByName("rd")
	if !rd.IsValid() || rd.Kind() != reflect.Interface || rd.IsNil() || rd.Elem().Type() != reflect.TypeOf(raw) ||
		rd.Elem().Kind() != reflect.Pointer || rd.Elem().Pointer() != reflect.ValueOf(raw).Pointer() {
		return
	}
	*br = *bufio.NewReaderSize(raw, 16)
}

// The hub is handed fasthttp/websocket's Conn itself, not the gofiber
// wrapper, which is pooled once the handler returns.
var _ realtime.Socket = (*fastws.Conn)(nil)
