package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// wsConn is one WebSocket to a node: one reader (readLoop), writes
// serialised by a mutex.
type wsConn struct {
	ws  *websocket.Conn
	wmu sync.Mutex
}

var dialer = websocket.Dialer{
	HandshakeTimeout: 20 * time.Second,
	// A read buffer of several frames: a subscriber that fell behind gets
	// many frames per read system call, as a browser would. Writes are
	// small frames.
	ReadBufferSize:  16 << 10,
	WriteBufferSize: 2048,
}

// dialWS opens /ws on base with the session's cookie and the Origin the
// server accepts (its own).
func dialWS(ctx context.Context, base string, s *session) (*wsConn, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("ws: base URL: %w", err)
	}
	h := http.Header{}
	h.Set("Origin", base)
	h.Set("Cookie", s.cookieHeader(u))
	scheme := "ws"
	if u.Scheme == "https" {
		scheme = "wss"
	}
	ws, res, err := dialer.DialContext(ctx, scheme+"://"+u.Host+"/ws", h)
	if err != nil {
		if res != nil {
			return nil, fmt.Errorf("ws: dial %s: HTTP %d: %w", u.Host, res.StatusCode, err)
		}
		return nil, fmt.Errorf("ws: dial %s: %w", u.Host, err)
	}
	return &wsConn{ws: ws}, nil
}

func (c *wsConn) write(data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, data)
}

func (c *wsConn) writeJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.write(b)
}

func (c *wsConn) subscribe(channel string, since uint64) error {
	return c.writeJSON(map[string]any{"type": "subscribe", "channel": channel, "since_seq": since})
}

func (c *wsConn) send(channel, clientID, body string) error {
	return c.writeJSON(map[string]any{"type": "send", "channel": channel, "client_id": clientID, "body": body})
}

var readBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readLoop reads until the connection fails or closes, calling fn for each
// frame (fn runs on this goroutine; the frame's slices die when it
// returns). It returns the close error: a *websocket.CloseError when the
// server closed with a code.
func (c *wsConn) readLoop(fn func(f *frame)) error {
	for {
		_, r, err := c.ws.NextReader()
		if err != nil {
			return err
		}
		buf := readBufs.Get().(*bytes.Buffer)
		buf.Reset()
		_, err = buf.ReadFrom(r)
		if err == nil {
			eachFrame(buf.Bytes(), fn)
		}
		if buf.Cap() <= 128<<10 {
			readBufs.Put(buf)
		}
		if err != nil {
			return err
		}
	}
}

// closeNormal says goodbye with 1000, then closes the socket.
func (c *wsConn) closeNormal() {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	_ = c.ws.Close()
}

// drop closes the TCP connection without a close frame, as a lost network
// would (the server sees 1006).
func (c *wsConn) drop() { _ = c.ws.NetConn().Close() }

// closeCode is the close code the server sent, 0 when the connection
// ended without one.
func closeCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}
