package server

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecpts/ecpts/realtime"
)

// echoHub answers the first frame of each socket with the same frame and
// returns, reporting whether it ran inside fasthttp's hijack handler.
type echoHub struct {
	inHandler chan bool
	sessions  chan realtime.Session
	// readBuffer: the size of the buffer under the socket (fasthttp's
	// request reader), 0 when it reads the socket directly.
	readBuffer chan int
}

func (e *echoHub) Serve(_ context.Context, sock realtime.Socket, sess realtime.Session) {
	e.inHandler <- strings.Contains(string(debug.Stack()), "fasthttp.hijackConnHandler")
	e.sessions <- sess
	size := -1
	if _, r, ok := hijackedReader(sock.(*websocket.Conn).NetConn()); ok {
		size = 0
		if r.Type() == reflect.TypeFor[*bufio.Reader]() {
			size = (*bufio.Reader)(r.UnsafePointer()).Size()
		}
	}
	e.readBuffer <- size
	_ = sock.SetReadDeadline(time.Now().Add(5 * time.Second))
	mt, data, err := sock.ReadMessage()
	if err != nil {
		return
	}
	_ = sock.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_ = sock.WriteMessage(mt, data)
}

// wsHarness serves /ws on 127.0.0.1:0 with an echoHub, and returns the
// address and a session cookie of a demo user.
func wsHarness(t *testing.T) (addr, cookie string, hub *echoHub) {
	t.Helper()
	h := newHarness(t)
	hub = &echoHub{inHandler: make(chan bool, 1), sessions: make(chan realtime.Session, 1), readBuffer: make(chan int, 1)}
	d := h.srv.deps
	d.Registry = prometheus.NewRegistry()
	d.Hub, d.HubContext = hub, t.Context()
	srv := New(d)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Shutdown(context.Background())
		<-done
	})
	return ln.Addr().String(), h.login("coordination@loire-nord.demo").cookie, hub
}

func served(t *testing.T, hub *echoHub) (inHandler bool) {
	t.Helper()
	select {
	case inHandler = <-hub.inHandler:
	case <-time.After(5 * time.Second):
		t.Fatal("the hub was not handed the socket")
	}
	if sess := <-hub.sessions; sess.UserID == "" || sess.SessionID == "" {
		t.Fatalf("session %+v", sess)
	}
	return inHandler
}

// An ordinary handshake: fasthttp's upgrade request context is released
// (the hijack handler returns) and the hub serves the socket on its own;
// the socket keeps no 4 KiB request buffer (fasthttp's request reader,
// which StreamRequestBody leaves under every hijacked connection, is
// shrunk to 16 bytes); the socket is closed once the hub returns.
func TestWebSocketOutlivesHijackHandler(t *testing.T) {
	addr, cookie, hub := wsHarness(t)
	hdr := http.Header{"Cookie": {SessionCookie + "=" + cookie}}
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if served(t, hub) {
		t.Fatal("the hub served the socket inside fasthttp's hijack handler: the upgrade request stays pinned " +
			"(did fasthttp's hijackConn change? see ownsSocket)")
	}
	if size := <-hub.readBuffer; size < 0 || size > 16 {
		t.Fatalf("the socket reads through a %d-byte buffer (-1: fasthttp's hijackConn changed)", size)
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte("bonjour")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, data, err := conn.ReadMessage(); err != nil || string(data) != "bonjour" {
		t.Fatalf("echo: %q, %v", data, err)
	}
	if _, _, err := conn.ReadMessage(); err == nil || isTimeout(err) {
		t.Fatalf("socket still open after the hub returned: %v", err)
	}
}

// A client that sends its first frame with the upgrade request, before
// the answer: fasthttp still buffers it in its request reader (which
// fasthttp 1.52 took back when the hijack handler returned; 1.79 detaches
// it onto the socket and leaves it to the connection). The frame is not
// lost.
func TestWebSocketFrameWithUpgradeRequest(t *testing.T) {
	addr, cookie, hub := wsHarness(t)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	req := fmt.Sprintf("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\nCookie: %s=%s\r\n\r\n",
		addr, base64.StdEncoding.EncodeToString(key), SessionCookie, cookie)
	payload := []byte("bonjour")
	mask := []byte{1, 2, 3, 4}
	frame := []byte{0x81, 0x80 | byte(len(payload))} // final text frame, masked
	frame = append(frame, mask...)
	for i, b := range payload {
		frame = append(frame, b^mask[i%4])
	}
	if _, err := conn.Write(append([]byte(req), frame...)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", res.StatusCode)
	}
	// fasthttp ≥ 1.79 detaches its reader onto the socket, buffered
	// frame included, and leaves it to the hijacked connection: the hub
	// may serve it after the handler returned; what matters is that the
	// frame arrives.
	_ = served(t, hub)
	head := make([]byte, 2)
	if _, err := io.ReadFull(br, head); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, head[1]&0x7f)
	if _, err := io.ReadFull(br, got); err != nil {
		t.Fatal(err)
	}
	if head[0] != 0x81 || string(got) != "bonjour" {
		t.Fatalf("echo: % x %q", head, got)
	}
	if _, err := br.ReadByte(); err == nil || isTimeout(err) {
		t.Fatalf("socket still open after the hub returned: %v", err)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
