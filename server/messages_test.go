package server

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/google/uuid"
)

type msgOut struct {
	Message struct {
		ID         string `json:"id"`
		Seq        uint64 `json:"seq"`
		HTML       string `json:"html"`
		Body       string `json:"body"`
		ReplyCount int    `json:"reply_count"`
		Deleted    bool   `json:"deleted"`
		EditedAt   string `json:"edited_at"`
		Mentions   []string
		Reactions  []struct {
			Emoji string `json:"emoji"`
			Count int    `json:"count"`
		} `json:"reactions"`
	} `json:"message"`
}

func send(t *testing.T, h *harness, s session, ch, body, thread string) (int, msgOut, string) {
	t.Helper()
	payload, _ := json.Marshal(map[string]string{"body": body, "client_id": uuid.NewString(), "thread_id": thread})
	res, b := h.do(s, "POST", "/api/v1/channels/"+ch+"/messages", string(payload))
	var out msgOut
	_ = json.Unmarshal([]byte(b), &out)
	return res.StatusCode, out, b
}

func TestMessagingREST(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	pharma := h.login("pharmacien@val-de-cher.demo")
	gen := h.id("chan:LN:général")

	// Send, idempotently.
	cid := uuid.NewString()
	body := `{"body":"Bonjour **à tous** @sophie <script>alert(1)</script>","client_id":"` + cid + `"}`
	res, b := h.do(coord, "POST", "/api/v1/channels/"+gen+"/messages", body)
	mustStatus(t, "send", res.StatusCode, b, 201, "")
	var first msgOut
	_ = json.Unmarshal([]byte(b), &first)
	if first.Message.Seq != 1 || !strings.Contains(first.Message.HTML, "<strong>à tous</strong>") || strings.Contains(first.Message.HTML, "<script") {
		t.Fatalf("rendered message: %s", b)
	}
	if len(first.Message.Mentions) != 1 || first.Message.Mentions[0] != h.id("user:Sophie Garnier") {
		t.Fatalf("@sophie resolves to the nurse: %s", b)
	}
	res, b = h.do(coord, "POST", "/api/v1/channels/"+gen+"/messages", body)
	mustStatus(t, "repeat", res.StatusCode, b, 200, "")
	if !strings.Contains(b, `"seq":1`) {
		t.Fatalf("a repeat returns the stored message: %s", b)
	}
	// Unread and mentions: the nurse has one unread message mentioning her;
	// the author has nothing unread in the channel she wrote in.
	var unread struct {
		Channels []struct {
			ChannelID string `json:"channel_id"`
			Unread    uint64
			Mentions  int
		}
	}
	unreadOf := func(s session) (uint64, int) {
		h.getJSON(s, "/api/v1/unread", &unread)
		for _, u := range unread.Channels {
			if u.ChannelID == gen {
				return u.Unread, u.Mentions
			}
		}
		t.Fatalf("unread does not list général: %+v", unread)
		return 0, 0
	}
	if n, m := unreadOf(ide); n < 1 || m != 1 {
		t.Fatalf("nurse: %d unread, %d mentions", n, m)
	}
	if n, _ := unreadOf(coord); n != 0 {
		t.Fatalf("the author has %d unread in her own channel", n)
	}
	// 59 messages from the nurse: a burst is allowed, then the flood guard
	// answers 429 until time passes (the harness clock drives it).
	sent := 0
	for i := 2; i <= 60; i++ {
		st, _, b := send(t, h, ide, gen, fmt.Sprintf("message %d", i), "")
		if st == 429 {
			if !strings.Contains(b, `"code":"rate_limited"`) || sent < 10 {
				t.Fatalf("send %d: %s after %d sends", i, b, sent)
			}
			h.advance(10 * time.Second)
			st, _, b = send(t, h, ide, gen, fmt.Sprintf("message %d", i), "")
		}
		if st != 201 {
			t.Fatalf("send %d: %d %s", i, st, b)
		}
		sent++
	}
	// History pages.
	var page struct {
		Messages []struct{ Seq uint64 }
		LastSeq  uint64 `json:"last_seq"`
	}
	h.getJSON(ide, "/api/v1/channels/"+gen+"/messages", &page)
	if len(page.Messages) != 50 || page.Messages[0].Seq != 11 || page.LastSeq != 60 {
		t.Fatalf("newest page: %d messages from %v, last %d", len(page.Messages), page.Messages[0], page.LastSeq)
	}
	h.getJSON(ide, "/api/v1/channels/"+gen+"/messages?before_seq=11&limit=5", &page)
	if len(page.Messages) != 5 || page.Messages[0].Seq != 6 || page.Messages[4].Seq != 10 {
		t.Fatalf("before page: %+v", page.Messages)
	}
	h.getJSON(ide, "/api/v1/channels/"+gen+"/messages?after_seq=57", &page)
	if len(page.Messages) != 3 || page.Messages[0].Seq != 58 {
		t.Fatalf("after page: %+v", page.Messages)
	}
	h.getJSON(ide, "/api/v1/channels/"+gen+"/messages?after_seq=0&limit=2", &page)
	if len(page.Messages) != 2 || page.Messages[0].Seq != 1 {
		t.Fatalf("from the start: %+v", page.Messages)
	}
	for _, bad := range []string{"?limit=500", "?after_seq=-1", "?after_seq=1&before_seq=4", "?before_seq=0"} {
		res, b := h.do(ide, "GET", "/api/v1/channels/"+gen+"/messages"+bad, "")
		if res.StatusCode != 400 {
			t.Fatalf("%s: %d %s", bad, res.StatusCode, b)
		}
	}

	// Nobody outside reads or writes it.
	res, b = h.do(pharma, "GET", "/api/v1/channels/"+gen+"/messages", "")
	mustStatus(t, "pharma history", res.StatusCode, b, 404, "not_found")
	st, _, b := send(t, h, pharma, gen, "intrus", "")
	mustStatus(t, "pharma send", st, b, 404, "not_found")
	res, b = h.do(pharma, "GET", "/api/v1/messages/"+first.Message.ID+"/thread", "")
	mustStatus(t, "pharma thread", res.StatusCode, b, 404, "not_found")

	// Bad input.
	h.advance(10 * time.Second)
	for _, c := range []struct{ body, code string }{
		{`{"body":"   ","client_id":"` + uuid.NewString() + `"}`, "body_empty"},
		{`{"body":"x","client_id":"pas-un-uuid"}`, "invalid_client_id"},
		{`{"body":"` + strings.Repeat("é", 8001) + `","client_id":"` + uuid.NewString() + `"}`, "body_too_long"},
		{`{"body":"x","client_id":"` + uuid.NewString() + `","thread_id":"nope"}`, "invalid_thread"},
	} {
		res, b := h.do(ide, "POST", "/api/v1/channels/"+gen+"/messages", c.body)
		mustStatus(t, c.code, res.StatusCode, b, 400, c.code)
	}
	// Announcement channel: members may not post.
	st, _, b = send(t, h, ide, h.id("chan:LN:annonces"), "annonce", "")
	mustStatus(t, "announcement", st, b, 403, "announcement_only")

	// Thread, reaction, edit, delete.
	st, reply, b := send(t, h, ide, gen, "Je réponds", first.Message.ID)
	mustStatus(t, "reply", st, b, 201, "")
	var thread struct {
		Root struct {
			ReplyCount int `json:"reply_count"`
		}
		Replies   []struct{ ID string }
		Following bool
	}
	h.getJSON(coord, "/api/v1/messages/"+first.Message.ID+"/thread", &thread)
	if thread.Root.ReplyCount != 1 || len(thread.Replies) != 1 || thread.Replies[0].ID != reply.Message.ID || !thread.Following {
		t.Fatalf("thread: %+v", thread)
	}
	st, _, b = send(t, h, ide, gen, "réponse à une réponse", reply.Message.ID)
	mustStatus(t, "nested reply", st, b, 400, "invalid_thread")
	var replies struct{ Messages []struct{ ID string } }
	h.getJSON(coord, "/api/v1/replies", &replies)
	if len(replies.Messages) != 1 || replies.Messages[0].ID != reply.Message.ID {
		t.Fatalf("replies to my messages: %+v", replies)
	}
	res, b = h.do(coord, "DELETE", "/api/v1/messages/"+first.Message.ID+"/follow", "")
	mustStatus(t, "unfollow", res.StatusCode, b, 204, "")
	h.getJSON(coord, "/api/v1/replies", &replies)
	if len(replies.Messages) != 0 {
		t.Fatalf("after unfollow: %+v", replies)
	}

	thumbs := url.PathEscape("👍")
	res, b = h.do(ide, "PUT", "/api/v1/messages/"+first.Message.ID+"/reactions/"+thumbs, "")
	mustStatus(t, "react", res.StatusCode, b, 200, "")
	_, b = h.do(coord, "PUT", "/api/v1/messages/"+first.Message.ID+"/reactions/"+thumbs, "")
	if !strings.Contains(b, `"count":2`) {
		t.Fatalf("two reactions: %s", b)
	}
	_, b = h.do(ide, "DELETE", "/api/v1/messages/"+first.Message.ID+"/reactions/"+thumbs, "")
	if !strings.Contains(b, `"count":1`) {
		t.Fatalf("reaction removed: %s", b)
	}
	res, b = h.do(ide, "PUT", "/api/v1/messages/"+first.Message.ID+"/reactions/"+url.PathEscape("bonjour"), "")
	mustStatus(t, "text reaction", res.StatusCode, b, 400, "invalid_emoji")

	res, b = h.do(ide, "PATCH", "/api/v1/messages/"+first.Message.ID, `{"body":"piraté"}`)
	mustStatus(t, "edit others", res.StatusCode, b, 403, "forbidden")
	res, b = h.do(coord, "PATCH", "/api/v1/messages/"+first.Message.ID, `{"body":"Bonjour à toutes et à tous"}`)
	mustStatus(t, "edit", res.StatusCode, b, 200, "")
	if !strings.Contains(b, `"edited_at"`) {
		t.Fatalf("edited: %s", b)
	}
	_, b = h.do(ide, "GET", "/api/v1/messages/"+first.Message.ID+"/history", "")
	if !strings.Contains(b, "à tous") {
		t.Fatalf("history keeps the previous body: %s", b)
	}
	res, b = h.do(ide, "DELETE", "/api/v1/messages/"+first.Message.ID, "")
	mustStatus(t, "delete others", res.StatusCode, b, 403, "forbidden")
	res, b = h.do(ide, "DELETE", "/api/v1/messages/"+reply.Message.ID, "")
	mustStatus(t, "delete own", res.StatusCode, b, 204, "")
	h.getJSON(coord, "/api/v1/messages/"+first.Message.ID+"/thread", &thread)
	var th struct {
		Replies []struct {
			Deleted bool
			Body    string
		}
	}
	_, b = h.do(coord, "GET", "/api/v1/messages/"+first.Message.ID+"/thread", "")
	_ = json.Unmarshal([]byte(b), &th)
	if len(th.Replies) != 1 || !th.Replies[0].Deleted || th.Replies[0].Body != "" || strings.Contains(b, "Je réponds") {
		t.Fatalf("soft delete: %s", b)
	}

	if n, _ := unreadOf(coord); n == 0 {
		t.Fatal("the nurse's messages are unread for the coordinator")
	}
	res, b = h.do(coord, "POST", "/api/v1/channels/"+gen+"/read", `{"seq":1000}`)
	mustStatus(t, "read", res.StatusCode, b, 204, "")
	if n, m := unreadOf(coord); n != 0 || m != 0 {
		t.Fatalf("after read: %d unread, %d mentions", n, m)
	}
}

func TestConversations(t *testing.T) {
	h := newHarness(t)
	kine := h.login("kine@loire-nord.demo")
	pharma := h.login("pharmacien@val-de-cher.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	res, b := h.do(ide, "POST", "/api/v1/conversations", `{"user_ids":["`+h.id("user:Julien Perrin")+`"]}`)
	mustStatus(t, "no shared CPTS or group", res.StatusCode, b, 400, "not_reachable")
	res, b = h.do(kine, "POST", "/api/v1/conversations", `{"user_ids":[]}`)
	mustStatus(t, "nobody", res.StatusCode, b, 400, "no_recipient")

	res, b = h.do(kine, "POST", "/api/v1/conversations", `{"user_ids":["`+h.id("user:Julien Perrin")+`"]}`)
	mustStatus(t, "open", res.StatusCode, b, 201, "")
	var conv struct {
		Conversation struct{ ID, Name string } `json:"conversation"`
	}
	_ = json.Unmarshal([]byte(b), &conv)
	if conv.Conversation.Name != "Julien Perrin" {
		t.Fatalf("conversation named after the other: %s", b)
	}
	res, b = h.do(pharma, "POST", "/api/v1/conversations", `{"user_ids":["`+h.id("user:Marc Lefèvre")+`"]}`)
	mustStatus(t, "same pair", res.StatusCode, b, 200, "")
	if !strings.Contains(b, conv.Conversation.ID) {
		t.Fatalf("the same people get the same conversation: %s", b)
	}
	secret := "Patient sorti ce matin, INR à contrôler"
	st, _, b := send(t, h, kine, conv.Conversation.ID, secret, "")
	mustStatus(t, "send dm", st, b, 201, "")
	var page struct{ Messages []struct{ Body string } }
	h.getJSON(pharma, "/api/v1/channels/"+conv.Conversation.ID+"/messages", &page)
	if len(page.Messages) != 1 || page.Messages[0].Body != secret {
		t.Fatalf("the pharmacist reads it: %+v", page)
	}
	res, b = h.do(ide, "GET", "/api/v1/channels/"+conv.Conversation.ID+"/messages", "")
	mustStatus(t, "outsider", res.StatusCode, b, 404, "not_found")
	// At rest the text is sealed.
	id := model.MessageIDOf(model.ChannelID(conv.Conversation.ID), 1)
	raw, err := h.st.Messages.ByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if raw.Body != "" || len(raw.Sealed) == 0 || strings.Contains(string(raw.Sealed), "INR") {
		t.Fatalf("a direct message is stored encrypted: body %q, sealed %d bytes", raw.Body, len(raw.Sealed))
	}
	res, b = h.do(pharma, "POST", "/api/v1/conversations/"+conv.Conversation.ID+"/leave", "")
	mustStatus(t, "leave", res.StatusCode, b, 204, "")
	res, b = h.do(pharma, "GET", "/api/v1/channels/"+conv.Conversation.ID+"/messages", "")
	mustStatus(t, "after leaving", res.StatusCode, b, 404, "not_found")
	var list struct{ Conversations []struct{ ID string } }
	h.getJSON(kine, "/api/v1/conversations", &list)
	if len(list.Conversations) != 1 {
		t.Fatalf("kine's conversations: %+v", list)
	}
	// Direct conversations are not channels of the sidebar.
	_, b = h.do(kine, "GET", "/api/v1/channels", "")
	if strings.Contains(b, conv.Conversation.ID) {
		t.Fatalf("conversations are listed apart: %s", b)
	}
}
