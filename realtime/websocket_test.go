package realtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"

	"github.com/ecpts/ecpts/realtime"
)

// The server hands the hub fasthttp/websocket's Conn (wrapped by
// gofiber/contrib/websocket): it must be a Socket as is.
var _ realtime.Socket = (*websocket.Conn)(nil)

// wsServer serves h on a real WebSocket over 127.0.0.1:0.
func wsServer(t *testing.T, h *realtime.Hub) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up := websocket.FastHTTPUpgrader{CheckOrigin: func(*fasthttp.RequestCtx) bool { return true }}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		_ = up.Upgrade(ctx, func(conn *websocket.Conn) {
			h.Serve(context.Background(), conn, realtime.Session{UserID: alice, SessionID: "s"})
		})
	}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Shutdown()
		<-done
	})
	return "ws://" + ln.Addr().String() + "/ws"
}

type wsClient struct {
	t      *testing.T
	conn   *websocket.Conn
	frames chan map[string]any
	errs   chan error
}

func dial(t *testing.T, url string) *wsClient {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := &wsClient{t: t, conn: conn, frames: make(chan map[string]any, 1024), errs: make(chan error, 1)}
	go func() { // the reader also answers the server's pings (default handler)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				c.errs <- err
				return
			}
			for line := range bytes.SplitSeq(data, []byte{'\n'}) {
				var m map[string]any
				if err := json.Unmarshal(line, &m); err != nil {
					c.errs <- err
					return
				}
				c.frames <- m
			}
		}
	}()
	return c
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *wsClient) next() map[string]any {
	c.t.Helper()
	select {
	case f := <-c.frames:
		return f
	case err := <-c.errs:
		c.t.Fatalf("connection ended: %v", err)
	case <-time.After(waitFor):
		c.t.Fatal("no frame")
	}
	return nil
}

func (c *wsClient) skipTo(typ string) map[string]any {
	c.t.Helper()
	for {
		if f := c.next(); f["type"] == typ {
			return f
		}
	}
}

// closeCode waits for the end of the connection and returns its code.
func (c *wsClient) closeCode() int {
	c.t.Helper()
	for {
		select {
		case <-c.frames:
		case err := <-c.errs:
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			c.t.Fatalf("connection ended without a close frame: %v", err)
		case <-time.After(waitFor):
			c.t.Fatal("connection still open")
		}
	}
}

func TestRealWebSocket(t *testing.T) {
	b := realtime.NewMemoryBroker()
	app := newFakeApp(b)
	app.addChannel(chanA, alice, bob)
	h := startHub(t, b, app, realtime.Options{PongWait: time.Second, PingPeriod: 200 * time.Millisecond})
	url := wsServer(t, h)
	ctx := t.Context()

	c := dial(t, url)
	c.send(map[string]any{"type": "subscribe", "channel": chanA, "since_seq": 0})
	if f := c.next(); f["type"] != realtime.TypeSubscribed {
		t.Fatalf("got %v", f)
	}
	for range 50 {
		if _, err := app.post(ctx, chanA, bob, "Bonjour"); err != nil {
			t.Fatal(err)
		}
	}
	for want := 1.0; want <= 50; want++ {
		if f := c.skipTo(realtime.TypeMessage); f["seq"] != want {
			t.Fatalf("got seq %v, want %v", f["seq"], want)
		}
	}
	// Two and a half pong waits of silence: the client's pongs keep it open.
	select {
	case err := <-c.errs:
		t.Fatalf("connection ended: %v", err)
	case <-time.After(2500 * time.Millisecond):
	}
	c.send(map[string]any{"type": "ping"})
	c.skipTo(realtime.TypePong)

	// Between 64 and 128 KiB: an error frame, then 1009.
	c.send(map[string]any{"type": "send", "body": strings.Repeat("x", 80<<10)})
	if f := c.skipTo(realtime.TypeError); f["code"] != realtime.CodePayloadTooLarge {
		t.Fatalf("got %v", f)
	}
	if code := c.closeCode(); code != realtime.CloseMessageTooBig {
		t.Fatalf("close code %d", code)
	}

	// Beyond: the library closes with 1009 by itself, while the client may
	// still be writing, so the client may see its close frame or a reset.
	c2 := dial(t, url)
	_ = c2.conn.WriteJSON(map[string]any{"type": "send", "body": strings.Repeat("x", 200<<10)})
	select {
	case err := <-c2.errs:
		var ce *websocket.CloseError
		if errors.As(err, &ce) && ce.Code != realtime.CloseMessageTooBig {
			t.Fatalf("close code %d", ce.Code)
		}
	case <-time.After(waitFor):
		t.Fatal("oversized frame did not end the connection")
	}

	// Closing a user ends the socket with 4001.
	c3 := dial(t, url)
	c3.send(map[string]any{"type": "ping"})
	c3.skipTo(realtime.TypePong)
	if err := h.CloseUser(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if code := c3.closeCode(); code != realtime.CloseUnauthenticated {
		t.Fatalf("close code %d", code)
	}
}
