package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/google/uuid"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store/storetest"
	"github.com/ecpts/ecpts/realtime/brokertest"
)

// client is a logged-in HTTP client plus its WebSocket.
type client struct {
	t      *testing.T
	base   string
	http   *http.Client
	csrf   string
	ws     *websocket.Conn
	frames chan map[string]any // filled by the connection's reader goroutine
	buf    []map[string]any    // frames read but not yet consumed
}

func newClient(t *testing.T, base, email string) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	c.call("POST", "/api/v1/auth/login", `{"email":"`+email+`","password":"demo-ecpts"}`, 200, &out)
	c.csrf = out.CSRF
	return c
}

func (c *client) call(method, path, body string, want int, out any) string {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return string(b)
}

func (c *client) channelID(name string) string {
	c.t.Helper()
	var out struct {
		Channels []struct{ ID, Name string }
	}
	c.call("GET", "/api/v1/channels", "", 200, &out)
	for _, ch := range out.Channels {
		if ch.Name == name {
			return ch.ID
		}
	}
	c.t.Fatalf("no channel %q", name)
	return ""
}

// freshChannel creates a public channel in the caller's first CPTS and
// makes each of members join it (the demo channels already hold messages).
func (c *client) freshChannel(name string, members ...*client) string {
	c.t.Helper()
	var cpts struct{ CPTS []struct{ ID string } }
	c.call("GET", "/api/v1/cpts", "", 200, &cpts)
	var out struct{ Channel struct{ ID string } }
	c.call("POST", "/api/v1/channels", `{"name":"`+name+`","cpts_id":"`+cpts.CPTS[0].ID+`"}`, 201, &out)
	for _, m := range members {
		m.call("POST", "/api/v1/channels/"+out.Channel.ID+"/join", "", 200, nil)
	}
	return out.Channel.ID
}

// dial opens the WebSocket with the session cookie and an Origin.
func (c *client) dial(origin string) (*http.Response, error) {
	u, _ := url.Parse(c.base)
	h := http.Header{}
	h.Set("Origin", origin)
	var cookies []string
	if c.http.Jar != nil {
		for _, ck := range c.http.Jar.Cookies(u) {
			cookies = append(cookies, ck.Name+"="+ck.Value)
		}
	}
	h.Set("Cookie", strings.Join(cookies, "; "))
	ws, res, err := websocket.DefaultDialer.Dial("ws://"+u.Host+"/ws", h)
	if err == nil {
		frames := make(chan map[string]any, 1024)
		c.ws, c.buf, c.frames = ws, nil, frames
		// One reader per socket: a read deadline would break the socket,
		// so waits with a time limit select on the channel instead.
		go func() {
			defer close(frames)
			for {
				_, data, err := ws.ReadMessage()
				if err != nil {
					return
				}
				for _, line := range bytes.Split(data, []byte("\n")) {
					var f map[string]any
					if json.Unmarshal(line, &f) != nil {
						f = map[string]any{"type": "not_json", "raw": string(line)}
					}
					frames <- f
				}
			}
		}()
	}
	return res, err
}

func (c *client) connect() {
	c.t.Helper()
	if _, err := c.dial(c.base); err != nil {
		c.t.Fatalf("dial: %v", err)
	}
}

func (c *client) sendFrame(v any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatalf("write frame: %v", err)
	}
}

// next returns the next frame matching pred, failing after 10 s. Frames
// that do not match are kept for later calls.
func (c *client) next(pred func(map[string]any) bool, what string) map[string]any {
	c.t.Helper()
	for i, f := range c.buf {
		if pred(f) {
			c.buf = append(c.buf[:i:i], c.buf[i+1:]...)
			return f
		}
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				c.t.Fatalf("waiting for %s: connection closed (unmatched: %v)", what, c.buf)
			}
			if f["type"] == "not_json" {
				c.t.Fatalf("frame not JSON: %v", f)
			}
			if pred(f) {
				return f
			}
			c.buf = append(c.buf, f)
		case <-timeout:
			c.t.Fatalf("waiting for %s: timeout (unmatched: %v)", what, c.buf)
		}
	}
}

func typ(t string) func(map[string]any) bool {
	return func(f map[string]any) bool { return f["type"] == t }
}

func messageSeq(f map[string]any) uint64 { return uint64(f["seq"].(float64)) }

// seqs collects n message frames of channel ch.
func (c *client) messages(ch string, n int) []uint64 {
	c.t.Helper()
	var out []uint64
	for len(out) < n {
		f := c.next(func(f map[string]any) bool { return f["type"] == "message" && f["channel"] == ch }, fmt.Sprintf("message %d/%d", len(out)+1, n))
		out = append(out, messageSeq(f))
	}
	return out
}

func (c *client) subscribe(ch string, since uint64) uint64 {
	c.t.Helper()
	c.sendFrame(map[string]any{"type": "subscribe", "channel": ch, "since_seq": since})
	f := c.next(func(f map[string]any) bool { return f["type"] == "subscribed" && f["channel"] == ch }, "subscribed")
	return uint64(f["last_seq"].(float64))
}

func (c *client) send(ch, body string) (string, uint64) {
	c.t.Helper()
	id := uuid.NewString()
	c.sendFrame(map[string]any{"type": "send", "channel": ch, "client_id": id, "body": body})
	f := c.next(func(f map[string]any) bool { return f["type"] == "ack" && f["client_id"] == id }, "ack")
	return id, uint64(f["seq"].(float64))
}

// status sends a request and returns its status code.
func (c *client) status(method, path, body string) int {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// try is call for goroutines: it reports instead of failing the test.
func (c *client) try(method, path string, want int) error {
	req, _ := http.NewRequest(method, c.base+path, nil)
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, b)
	}
	return nil
}

// storeCommands is the number of database commands a node has sent
// (ecpts_store_commands_total on its /metrics).
func storeCommands(t *testing.T, base string) int {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "ecpts_store_commands_total{") {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err != nil {
				t.Fatalf("metrics line %q: %v", line, err)
			}
			n += int(v)
		}
	}
	if n == 0 {
		t.Fatalf("%s/metrics has no ecpts_store_commands_total", base)
	}
	return n
}

// noMore checks no frame matching pred arrives within d.
func (c *client) noMore(pred func(map[string]any) bool, d time.Duration, what string) {
	c.t.Helper()
	for _, f := range c.buf {
		if pred(f) {
			c.t.Fatalf("unexpected %s: %v", what, f)
		}
	}
	timeout := time.After(d)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				return
			}
			if pred(f) {
				c.t.Fatalf("unexpected %s: %v", what, f)
			}
			c.buf = append(c.buf, f)
		case <-timeout:
			return
		}
	}
}

func TestWebSocketEndToEnd(t *testing.T) {
	base, stop := start(t, map[string]string{"ECPTS_ADDR": "127.0.0.1:0", "ECPTS_DATA_DIR": t.TempDir(), "ECPTS_DEMO": "1", "ECPTS_LOG_LEVEL": "warn"})
	defer stop()
	a := newClient(t, base, "coordination@loire-nord.demo")
	b := newClient(t, base, "infirmiere@loire-nord.demo")
	gen := a.freshChannel("essai-temps-reel", b)

	// Origin and authentication are checked at the handshake.
	if res, err := a.dial("https://evil.example"); err == nil || res == nil || res.StatusCode != 403 {
		t.Fatalf("foreign origin must be refused, got %v %v", res, err)
	}
	anon := &client{t: t, base: base, http: &http.Client{}}
	if res, err := anon.dial(base); err == nil || res == nil || res.StatusCode != 401 {
		t.Fatalf("anonymous handshake must be refused, got %v %v", res, err)
	}

	a.connect()
	b.connect()
	// The handshake answers before the hub registers the connection.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(metrics), "ecpts_ws_connections 2") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics does not count the two connections")
		}
	}
	if last := a.subscribe(gen, 0); last != 0 {
		t.Fatalf("fresh channel last_seq %d", last)
	}
	b.subscribe(gen, 0)
	cid, seq := a.send(gen, "Bonjour l'équipe")
	if seq != 1 {
		t.Fatalf("first seq %d", seq)
	}
	f := b.next(typ("message"), "live message")
	if m := f["message"].(map[string]any); m["client_id"] != cid || !strings.Contains(m["html"].(string), "Bonjour") {
		t.Fatalf("B got %v", f)
	}
	// An idempotent repeat returns the same ack and stores nothing.
	a.sendFrame(map[string]any{"type": "send", "channel": gen, "client_id": cid, "body": "Bonjour l'équipe"})
	again := a.next(func(f map[string]any) bool { return f["type"] == "ack" && f["client_id"] == cid }, "repeat ack")
	if messageSeq(again) != 1 {
		t.Fatalf("repeat acked as %v", again)
	}
	b.noMore(func(f map[string]any) bool { return f["type"] == "message" && messageSeq(f) != 1 }, 300*time.Millisecond, "second copy")

	// B replies in the thread of message 1 over the socket; A sees the reply
	// and the root's reply count change.
	rootID := f["message"].(map[string]any)["id"].(string)
	tid := uuid.NewString()
	b.sendFrame(map[string]any{"type": "send", "channel": gen, "client_id": tid, "body": "Réponse dans le fil", "thread_id": rootID})
	ack := b.next(func(f map[string]any) bool { return f["type"] == "ack" && f["client_id"] == tid }, "thread reply ack")
	reply := a.next(func(f map[string]any) bool { return f["type"] == "message" && f["seq"] == ack["seq"] }, "thread reply")
	if reply["message"].(map[string]any)["thread_id"] != rootID {
		t.Fatalf("reply: %v", reply)
	}
	upd := a.next(typ("message_updated"), "root update")
	if m := upd["message"].(map[string]any); m["id"] != rootID || m["reply_count"].(float64) != 1 {
		t.Fatalf("root update: %v", upd)
	}
	b.next(func(f map[string]any) bool { return f["type"] == "message" && f["seq"] == ack["seq"] }, "own reply echo")
	b.next(typ("message_updated"), "root update for B")

	// B goes away; A writes three; B resumes from seq 2: exactly 3, 4, 5.
	_ = b.ws.Close()
	for i := 0; i < 3; i++ {
		a.send(gen, fmt.Sprintf("pendant l'absence %d", i))
	}
	b.connect()
	b.sendFrame(map[string]any{"type": "subscribe", "channel": gen, "since_seq": 2})
	got := b.messages(gen, 3)
	if fmt.Sprint(got) != "[3 4 5]" {
		t.Fatalf("resume delivered %v", got)
	}
	sub := b.next(typ("subscribed"), "subscribed after resume")
	if uint64(sub["last_seq"].(float64)) != 5 {
		t.Fatalf("subscribed %v", sub)
	}
	b.noMore(typ("message"), 300*time.Millisecond, "duplicate after resume")

	// The pharmacist of Val de Cher cannot subscribe to a Loire Nord channel.
	p := newClient(t, base, "pharmacien@val-de-cher.demo")
	p.connect()
	p.sendFrame(map[string]any{"type": "subscribe", "channel": gen, "since_seq": 0})
	e := p.next(typ("error"), "refusal")
	if e["code"] != "not_found" {
		t.Fatalf("pharmacist subscribe: %v", e)
	}
	a.send(gen, "pas pour Val de Cher")
	p.noMore(func(f map[string]any) bool { return f["channel"] == gen && f["type"] != "error" }, 300*time.Millisecond, "Loire Nord frame for the pharmacist")

	// Bad input keeps the connection.
	b.sendFrame(map[string]any{"type": "danse"})
	if e := b.next(typ("error"), "unknown type"); e["code"] != "unknown_type" {
		t.Fatalf("unknown type: %v", e)
	}
	_ = b.ws.WriteMessage(websocket.TextMessage, []byte("{pas du json"))
	if e := b.next(typ("error"), "bad json"); e["code"] != "invalid_json" {
		t.Fatalf("bad json: %v", e)
	}
	b.sendFrame(map[string]any{"type": "send", "channel": a.channelID("annonces"), "client_id": uuid.NewString(), "body": "x"})
	if e := b.next(typ("error"), "announcement"); e["code"] != "not_member" && e["code"] != "announcement_only" {
		t.Fatalf("announcement send: %v", e)
	}

	// Removing the nurse from the CPTS revokes her live subscription.
	var dir struct{ Members []struct{ ID, Name string } }
	a.call("GET", "/api/v1/directory", "", 200, &dir)
	var nurse string
	for _, m := range dir.Members {
		if m.Name == "Sophie Garnier" {
			nurse = m.ID
		}
	}
	var cpts struct{ CPTS []struct{ ID, Name string } }
	a.call("GET", "/api/v1/cpts", "", 200, &cpts)
	a.call("DELETE", "/api/v1/cpts/"+cpts.CPTS[0].ID+"/members/"+nurse, "", 204, nil)
	u := b.next(typ("unsubscribed"), "revocation")
	if u["channel"] != gen {
		t.Fatalf("revocation: %v", u)
	}
	_, after := a.send(gen, "après le départ")
	b.noMore(func(f map[string]any) bool { return f["type"] == "message" && messageSeq(f) >= after }, 300*time.Millisecond, "message after removal")

	// Archiving ends every live subscription; sending there is refused.
	a.call("PATCH", "/api/v1/channels/"+gen, `{"archived":true}`, 200, nil)
	if u := a.next(typ("unsubscribed"), "archive"); u["channel"] != gen || u["reason"] != "archived" {
		t.Fatalf("archive: %v", u)
	}
	id := uuid.NewString()
	a.sendFrame(map[string]any{"type": "send", "channel": gen, "client_id": id, "body": "trop tard"})
	if e := a.next(typ("error"), "send to archived"); e["code"] != "channel_archived" || e["ref"] != id {
		t.Fatalf("send to archived: %v", e)
	}
}

// userID is the caller's user id (GET /me).
func (c *client) userID() string {
	c.t.Helper()
	var me struct{ User struct{ ID string } }
	c.call("GET", "/api/v1/me", "", 200, &me)
	return me.User.ID
}

// cptsID is the id of the caller's CPTS named name.
func (c *client) cptsID(name string) string {
	c.t.Helper()
	var out struct{ CPTS []struct{ ID, Name string } }
	c.call("GET", "/api/v1/cpts", "", 200, &out)
	for _, x := range out.CPTS {
		if x.Name == name {
			return x.ID
		}
	}
	c.t.Fatalf("no CPTS %q", name)
	return ""
}

// openConversation opens (or finds: the demo holds some) the caller's
// conversation with others and returns its id and last seq.
func (c *client) openConversation(others ...string) (string, uint64) {
	c.t.Helper()
	ids, _ := json.Marshal(map[string][]string{"user_ids": others})
	req, _ := http.NewRequest("POST", c.base+"/api/v1/conversations", bytes.NewReader(ids))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("open conversation: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out struct {
		Conversation struct {
			ID      string
			LastSeq uint64 `json:"last_seq"`
		}
	}
	if (res.StatusCode != 200 && res.StatusCode != 201) || json.Unmarshal(b, &out) != nil {
		c.t.Fatalf("open conversation: %d %s", res.StatusCode, b)
	}
	return out.Conversation.ID, out.Conversation.LastSeq
}

// unsubscribedFrom matches the "unsubscribed" frame of ch with reason.
func unsubscribedFrom(ch, reason string) func(map[string]any) bool {
	return func(f map[string]any) bool {
		return f["type"] == "unsubscribed" && f["channel"] == ch && f["reason"] == reason
	}
}

// errorFor matches the error frame of a request (its ref) with code.
func errorFor(ref, code string) func(map[string]any) bool {
	return func(f map[string]any) bool { return f["type"] == "error" && f["ref"] == ref && f["code"] == code }
}

// TestRemovedMemberLosesConversation: a member removed from their CPTS
// stops following, on their open socket, the conversation they had with a
// member of another CPTS (through a group they lost with it); so does the
// other participant, whose sends over the socket are refused, as are a new
// subscribe and a REST post.
func TestRemovedMemberLosesConversation(t *testing.T) {
	base, stop := start(t, map[string]string{"ECPTS_ADDR": "127.0.0.1:0", "ECPTS_DATA_DIR": t.TempDir(), "ECPTS_DEMO": "1", "ECPTS_LOG_LEVEL": "warn"})
	defer stop()
	coord := newClient(t, base, "coordination@loire-nord.demo")
	kine := newClient(t, base, "kine@loire-nord.demo")
	pharma := newClient(t, base, "pharmacien@val-de-cher.demo")
	id, last := kine.openConversation(pharma.userID())
	kine.connect()
	pharma.connect()
	kine.subscribe(id, last)
	pharma.subscribe(id, last)
	_, seq := kine.send(id, "Bonjour Julien")
	if got := pharma.messages(id, 1); got[0] != seq {
		t.Fatalf("pharmacist got %v, want %d", got, seq)
	}

	coord.call("DELETE", "/api/v1/cpts/"+coord.cptsID("CPTS Loire Nord")+"/members/"+kine.userID(), "", 204, nil)
	kine.next(unsubscribedFrom(id, "read_only"), "the removed member's revocation")
	pharma.next(unsubscribedFrom(id, "read_only"), "the other participant's revocation")

	for _, c := range []*client{pharma, kine} {
		ref := uuid.NewString()
		c.sendFrame(map[string]any{"type": "send", "channel": id, "client_id": ref, "body": "encore là ?"})
		c.next(errorFor(ref, "read_only"), "send refused")
		c.sendFrame(map[string]any{"type": "subscribe", "channel": id, "since_seq": 0})
		c.next(errorFor(id, "read_only"), "subscribe refused")
	}
	body := pharma.call("POST", "/api/v1/channels/"+id+"/messages", `{"body":"par REST","client_id":"`+uuid.NewString()+`"}`, 403, nil)
	if !strings.Contains(body, `"code":"read_only"`) {
		t.Fatalf("REST post: %s", body)
	}
	kine.noMore(func(f map[string]any) bool {
		return f["type"] == "message" && f["channel"] == id && messageSeq(f) > seq
	}, 300*time.Millisecond, "message after the removal")
	// The history stays readable.
	var page struct{ Messages []struct{ Seq uint64 } }
	kine.call("GET", "/api/v1/channels/"+id+"/messages", "", 200, &page)
	if n := len(page.Messages); n == 0 || page.Messages[n-1].Seq != seq {
		t.Fatalf("history: %+v, want up to %d", page, seq)
	}
}

// TestChannelMadePrivate: a member of the CPTS who follows a public
// channel live without being one of its members stops receiving its
// messages the moment it is made private ("unsubscribed", reason
// "private"), cannot subscribe again, and is told to re-read its lists;
// its members keep following it.
func TestChannelMadePrivate(t *testing.T) {
	base, stop := start(t, map[string]string{"ECPTS_ADDR": "127.0.0.1:0", "ECPTS_DATA_DIR": t.TempDir(), "ECPTS_DEMO": "1", "ECPTS_LOG_LEVEL": "warn"})
	defer stop()
	coord := newClient(t, base, "coordination@loire-nord.demo")
	ide := newClient(t, base, "infirmiere@loire-nord.demo")
	sf := newClient(t, base, "sage-femme@loire-nord.demo")
	ch := coord.freshChannel("bientot-prive", ide)
	for _, c := range []*client{coord, ide, sf} {
		c.connect()
		c.subscribe(ch, 0)
	}
	_, seq := coord.send(ch, "Encore public")
	for _, c := range []*client{ide, sf} {
		if got := c.messages(ch, 1); got[0] != seq {
			t.Fatalf("before: got %v, want %d", got, seq)
		}
	}

	coord.call("PATCH", "/api/v1/channels/"+ch, `{"visibility":"private"}`, 200, nil)
	sf.next(unsubscribedFrom(ch, "private"), "the non-member's revocation")
	sf.next(typ("access_changed"), "the non-member's access_changed")
	ide.next(typ("access_changed"), "the member's access_changed")

	_, after := coord.send(ch, "Désormais privé")
	if got := ide.messages(ch, 1); got[0] != after {
		t.Fatalf("the member got %v, want %d", got, after)
	}
	sf.noMore(func(f map[string]any) bool { return f["channel"] == ch && f["type"] == "message" }, 300*time.Millisecond, "message of the channel made private")
	for _, c := range []*client{coord, ide} {
		c.noMore(unsubscribedFrom(ch, "private"), 50*time.Millisecond, "a member's revocation")
	}
	sf.sendFrame(map[string]any{"type": "subscribe", "channel": ch, "since_seq": 0})
	sf.next(errorFor(ch, "not_found"), "subscribe refused")
}

// TestTwoNodes: two ecpts nodes on one database (FerretDB on PostgreSQL)
// and one Redis. A message sent on node 1 reaches a client of node 2; node
// 1 stops mid-stream, its client reconnects to node 2 and resumes without
// loss or duplicate.
func TestTwoNodes(t *testing.T) {
	pg := storetest.PostgresURL()
	if err := storetest.EnsurePostgresDatabase(context.Background(), pg); err != nil {
		t.Fatalf("PostgreSQL (ECPTS_TEST_POSTGRES_URL): %v", err)
	}
	rd := os.Getenv("ECPTS_TEST_REDIS_URL")
	if rd == "" {
		rd = "redis://127.0.0.1:6379/0"
	}
	db := "twonodes_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	env := func(demo bool) map[string]string {
		e := map[string]string{
			"ECPTS_ADDR": "127.0.0.1:0", "ECPTS_DATA_DIR": t.TempDir(), "ECPTS_POSTGRES_URL": pg, "ECPTS_MONGO_DB": db,
			"ECPTS_REDIS_URL": rd, "ECPTS_REDIS_PREFIX": "test:" + db + ":", "ECPTS_LOG_LEVEL": "warn",
			"ECPTS_MASTER_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		}
		if demo {
			e["ECPTS_DEMO"] = "1"
		}
		return e
	}
	t.Cleanup(func() { brokertest.DropRedisKeys(t, rd, "test:"+db+":") })
	base1, stop1 := start(t, env(true))
	base2, stop2 := start(t, env(false))
	defer stop2()

	x := newClient(t, base1, "coordination@loire-nord.demo")
	y := newClient(t, base2, "infirmiere@loire-nord.demo")
	gen := x.freshChannel("essai-deux-noeuds", y)
	x.connect()
	y.connect()
	x.subscribe(gen, 0)
	y.subscribe(gen, 0)
	_, s1 := x.send(gen, "depuis le nœud 1")
	if got := y.messages(gen, 1); got[0] != s1 {
		t.Fatalf("node 2 got %v, want %d", got, s1)
	}
	if got := x.messages(gen, 1); got[0] != s1 { // its own message comes back too
		t.Fatalf("node 1 echo %v", got)
	}
	_, s2 := y.send(gen, "depuis le nœud 2")
	if got := x.messages(gen, 1); got[0] != s2 {
		t.Fatalf("node 1 got %v, want %d", got, s2)
	}
	// Edits and reactions made on either node are what both serve: the
	// newest page comes from the window the nodes share in Redis, without
	// a store query, and concurrent reactions on the two nodes all land
	// (the nodes take the channel's write lock in Redis).
	id1 := string(model.MessageIDOf(model.ChannelID(gen), s1))
	x2 := newClient(t, base2, "coordination@loire-nord.demo") // its author, on node 2
	x2.call("PATCH", "/api/v1/messages/"+id1, `{"body":"modifié depuis le nœud 2"}`, 200, nil)
	emojis := []string{"👍", "❤️", "😀", "🎉", "👏", "🙏", "✅", "🔥", "💡", "📌"}
	var wg sync.WaitGroup
	errs := make(chan error, len(emojis))
	for i, e := range emojis {
		c := x
		if i%2 == 1 {
			c = y
		}
		wg.Go(func() { errs <- c.try("PUT", "/api/v1/messages/"+id1+"/reactions/"+url.PathEscape(e), 200) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	type pageOut struct {
		Messages []struct {
			Seq       uint64
			Body      string
			Reactions []struct{ Emoji string }
		}
	}
	for _, c := range []*client{x, y} {
		var page pageOut
		c.call("GET", "/api/v1/channels/"+gen+"/messages", "", 200, &page) // warms the caches
		// A request costs its session check; the page must cost nothing
		// more. The count is the node's: the background work of the
		// reactions (read markers, last seqs) and the search indexer's
		// polls of its outbox (every 2 s) may add to it, so tries, apart,
		// until one window holds no background command.
		for try := 1; ; try++ {
			n0 := storeCommands(t, c.base)
			c.call("GET", "/api/v1/channels/"+gen, "", 200, nil)
			n1 := storeCommands(t, c.base)
			c.call("GET", "/api/v1/channels/"+gen+"/messages", "", 200, &page)
			n2 := storeCommands(t, c.base)
			if n2-n1 == n1-n0 {
				break
			}
			if try == 20 {
				t.Errorf("%s: the newest page took %d store commands, the channel %d: want the same (page from the shared window)", c.base, n2-n1, n1-n0)
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
		if len(page.Messages) != 2 || page.Messages[0].Seq != s1 || page.Messages[0].Body != "modifié depuis le nœud 2" {
			t.Fatalf("%s: newest page %+v", c.base, page.Messages)
		}
		if got := len(page.Messages[0].Reactions); got != len(emojis) {
			t.Fatalf("%s: %d reactions after %d concurrent ones on two nodes: %+v", c.base, got, len(emojis), page.Messages[0].Reactions)
		}
	}

	// The send limit (5/s, bursts of 20) holds for a user across both
	// nodes: 40 sends alternating between them, as fast as REST goes.
	flood := x.freshChannel("essai-limite", y)
	accepted, t0 := 0, time.Now()
	for i := range 40 {
		c := x
		if i%2 == 1 {
			c = x2
		}
		code := c.status("POST", "/api/v1/channels/"+flood+"/messages", fmt.Sprintf(`{"body":"rafale %d","client_id":%q}`, i, uuid.NewString()))
		switch code {
		case 201:
			accepted++
		case 429:
		default:
			t.Fatalf("send %d: status %d", i, code)
		}
	}
	// At most the burst, what refilled meanwhile, and one of rounding.
	if most := 20 + int(5*time.Since(t0).Seconds()) + 1; accepted > most {
		t.Fatalf("%d of 40 sends accepted across two nodes in %v, want at most %d (one shared limit)", accepted, time.Since(t0), most)
	}
	// So does the limit of state-changing requests (20/s, bursts of 100;
	// the sends above took from it too): read markers, alternating.
	accepted, t0 = 0, time.Now()
	for i := range 160 {
		c := x
		if i%2 == 1 {
			c = x2
		}
		switch code := c.status("POST", "/api/v1/channels/"+flood+"/read", `{"seq":1}`); code {
		case 204:
			accepted++
		case 429:
		default:
			t.Fatalf("read marker %d: status %d", i, code)
		}
	}
	if most := 100 + int(20*time.Since(t0).Seconds()) + 1; accepted > most {
		t.Fatalf("%d of 160 writes accepted across two nodes in %v, want at most %d (one shared limit)", accepted, time.Since(t0), most)
	}
	// X writes again below: let the buckets refill (5 sends, 20 writes a
	// second).
	time.Sleep(time.Second)

	// A rename on node 1 reaches node 2's channel cache through Redis (node
	// 2 cached the channel when Y subscribed and sent).
	x.call("PATCH", "/api/v1/channels/"+gen, `{"name":"essai-renomme"}`, 200, nil)
	deadline := time.Now().Add(5 * time.Second)
	for {
		var got struct{ Channel struct{ Name string } }
		y.call("GET", "/api/v1/channels/"+gen, "", 200, &got)
		if got.Channel.Name == "essai-renomme" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node 2 still shows %q", got.Channel.Name)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// A conversation opened on node 1 reaches Y at once on node 2: an
	// access_changed frame, then her list there holds it (node 2's
	// membership cache dropped through Redis) and its first message.
	var me struct{ User struct{ ID string } }
	y.call("GET", "/api/v1/me", "", 200, &me)
	var conv struct{ Conversation struct{ ID string } }
	x.call("POST", "/api/v1/conversations", `{"user_ids":["`+me.User.ID+`"]}`, 201, &conv)
	y.next(typ("access_changed"), "access_changed on node 2")
	deadline = time.Now().Add(5 * time.Second)
	for {
		var list struct{ Conversations []struct{ ID string } }
		y.call("GET", "/api/v1/conversations", "", 200, &list)
		if strings.Contains(fmt.Sprint(list.Conversations), conv.Conversation.ID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node 2 does not list the new conversation: %+v", list)
		}
		time.Sleep(20 * time.Millisecond)
	}
	y.subscribe(conv.Conversation.ID, 0)
	_, first := x.send(conv.Conversation.ID, "Bonjour Sophie")
	if got := y.messages(conv.Conversation.ID, 1); got[0] != first {
		t.Fatalf("first direct message on node 2: %v", got)
	}

	// A member removed on node 1 loses, on both nodes, the conversation
	// she had with a member of another CPTS: the pharmacist's live
	// subscription on node 2 ends and his sends there are refused.
	kine := newClient(t, base1, "kine@loire-nord.demo")
	pharma := newClient(t, base2, "pharmacien@val-de-cher.demo")
	dm, dmLast := kine.openConversation(pharma.userID())
	kine.connect()
	pharma.connect()
	kine.subscribe(dm, dmLast)
	pharma.subscribe(dm, dmLast)
	x.call("DELETE", "/api/v1/cpts/"+x.cptsID("CPTS Loire Nord")+"/members/"+kine.userID(), "", 204, nil)
	kine.next(unsubscribedFrom(dm, "read_only"), "revocation on node 1")
	pharma.next(unsubscribedFrom(dm, "read_only"), "revocation on node 2")
	// Node 2 drops its cached memberships of the physio through Redis.
	deadline = time.Now().Add(5 * time.Second)
	for {
		var list struct {
			Conversations []struct {
				ID      string
				CanPost bool `json:"can_post"`
			}
		}
		pharma.call("GET", "/api/v1/conversations", "", 200, &list)
		if i := slices.IndexFunc(list.Conversations, func(c struct {
			ID      string
			CanPost bool `json:"can_post"`
		}) bool {
			return c.ID == dm
		}); i >= 0 && !list.Conversations[i].CanPost {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node 2 still lets the pharmacist post: %+v", list)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ref := uuid.NewString()
	pharma.sendFrame(map[string]any{"type": "send", "channel": dm, "client_id": ref, "body": "encore là ?"})
	pharma.next(errorFor(ref, "read_only"), "send refused on node 2")

	// Node 1 stops; Y keeps writing on node 2; X reconnects to node 2.
	stop1()
	for i := 0; i < 5; i++ {
		y.send(gen, fmt.Sprintf("pendant la panne %d", i))
	}
	x.base = base2
	x.connect()
	x.sendFrame(map[string]any{"type": "subscribe", "channel": gen, "since_seq": s2})
	got := x.messages(gen, 5)
	if fmt.Sprint(got) != fmt.Sprint([]uint64{s2 + 1, s2 + 2, s2 + 3, s2 + 4, s2 + 5}) {
		t.Fatalf("resume on node 2: %v", got)
	}
	x.next(typ("subscribed"), "subscribed")
	x.noMore(typ("message"), 300*time.Millisecond, "duplicate")
}

// TestPipelinedSends: a client pipelining 200 sends on one socket (an
// integration, the browser's outbox after a reconnect) is told which ones
// the server did not take, by client_id, and when to send them again;
// resending exactly those ends with the 200 messages stored once each,
// seqs without gap.
//
// ECPTS_SEND_RATE is raised (40 messages/s, bursts of 160): at the default
// 5/s, 200 messages take 40 s. The limit at work here is the connection's
// (20 frames/s, bursts of 40): resends wait for their retry_after in real
// time, about 8 s in all. The per-user limit's answers are tested in
// realtime (TestPipelinedSendsAreEachAnswered).
func TestPipelinedSends(t *testing.T) {
	base, stop := start(t, map[string]string{"ECPTS_ADDR": "127.0.0.1:0", "ECPTS_DATA_DIR": t.TempDir(), "ECPTS_DEMO": "1", "ECPTS_LOG_LEVEL": "warn", "ECPTS_SEND_RATE": "40"})
	defer stop()
	a := newClient(t, base, "coordination@loire-nord.demo")
	ch := a.freshChannel("envoi-en-rafale")
	a.connect()

	const n = 200
	ids := make([]string, n)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	send := func(ids []string) map[string]bool {
		inFlight := make(map[string]bool, len(ids))
		for _, id := range ids {
			inFlight[id] = true
			a.sendFrame(map[string]any{"type": "send", "channel": ch, "client_id": id, "body": "rafale " + id})
		}
		return inFlight
	}
	isAnswer := func(f map[string]any) bool { return f["type"] == "ack" || f["type"] == "error" }
	acked := make(map[string]bool)
	retryAt := make(map[string]time.Time)
	refusals := make(map[string]int)
	// await takes one answer per send in flight.
	await := func(inFlight map[string]bool) {
		for len(inFlight) > 0 {
			f := a.next(isAnswer, fmt.Sprintf("answers to %d sends", len(inFlight)))
			id, _ := f["client_id"].(string)
			if f["type"] == "error" {
				id, _ = f["ref"].(string)
			}
			if !inFlight[id] {
				t.Fatalf("%v answers no send in flight (a second answer, or none named)", f)
			}
			delete(inFlight, id)
			if f["type"] == "ack" {
				acked[id] = true
				continue
			}
			secs, ok := f["retry_after"].(float64)
			if f["code"] != "rate_limited" || !ok || secs <= 0 {
				t.Fatalf("send %s refused with %v, want rate_limited and a retry_after", id, f)
			}
			refusals[id]++
			retryAt[id] = time.Now().Add(time.Duration(secs * float64(time.Second)))
		}
	}

	began := time.Now()
	await(send(ids))
	firstRefused := len(retryAt)
	if firstRefused == 0 {
		t.Fatal("no send refused: the test does not reach the connection's limit")
	}
	steps, resent := 0, 0
	for deadline := time.Now().Add(60 * time.Second); len(retryAt) > 0; steps++ {
		if time.Now().After(deadline) {
			t.Fatalf("%d sends still refused after %d resend steps", len(retryAt), steps)
		}
		next := time.Time{}
		for _, at := range retryAt {
			if next.IsZero() || at.Before(next) {
				next = at
			}
		}
		time.Sleep(time.Until(next)) // the wait retry_after asks for
		var due []string
		for _, id := range ids {
			if at, ok := retryAt[id]; ok && !at.After(time.Now()) {
				due = append(due, id)
				delete(retryAt, id)
			}
		}
		resent += len(due)
		await(send(due))
	}
	if len(acked) != n {
		t.Fatalf("%d sends acked, want %d", len(acked), n)
	}
	most := 0
	for _, k := range refusals {
		most = max(most, k)
	}
	t.Logf("first pass: %d acked, %d refused; then %d resends in %d steps, %v in all; at most %d refusals of one send",
		n-firstRefused, firstRefused, resent, steps, time.Since(began).Round(time.Millisecond), most)

	// The store holds each send once, seqs 1..200.
	seen := make(map[string]bool, n)
	for after := uint64(0); after < n; after += 100 {
		var page struct {
			Messages []struct {
				Seq      uint64 `json:"seq"`
				ClientID string `json:"client_id"`
			} `json:"messages"`
			LastSeq uint64 `json:"last_seq"`
		}
		a.call("GET", fmt.Sprintf("/api/v1/channels/%s/messages?after_seq=%d&limit=100", ch, after), "", 200, &page)
		if page.LastSeq != n || len(page.Messages) != 100 {
			t.Fatalf("after %d: %d messages, last_seq %d; want 100 and %d", after, len(page.Messages), page.LastSeq, n)
		}
		for i, m := range page.Messages {
			if m.Seq != after+uint64(i)+1 {
				t.Fatalf("after %d: message %d has seq %d", after, i, m.Seq)
			}
			if !acked[m.ClientID] || seen[m.ClientID] {
				t.Fatalf("seq %d: client_id %q not one of the sends, or stored twice", m.Seq, m.ClientID)
			}
			seen[m.ClientID] = true
		}
	}
	a.noMore(isAnswer, 200*time.Millisecond, "answer to no send")
}
