package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/core"
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
		res, b := h.do(ide, "POST", "/api/v1/channels/"+gen+"/messages", `{"body":"message `+strconv.Itoa(i)+`","client_id":"`+uuid.NewString()+`"}`)
		st := res.StatusCode
		if st == 429 {
			if !strings.Contains(b, `"code":"rate_limited"`) || sent < 10 || res.Header.Get("Retry-After") != "1" {
				t.Fatalf("send %d: %s after %d sends, Retry-After %q", i, b, sent, res.Header.Get("Retry-After"))
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
	h.getJSON(ide, "/api/v1/channels/"+gen+"/messages?after_seq=18446744073709551615", &page)
	if len(page.Messages) != 0 || page.LastSeq != 60 {
		t.Fatalf("after the largest seq: %d messages, last %d", len(page.Messages), page.LastSeq)
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
	// A long list stops at the ninth person (it used to be deduplicated in
	// quadratic time: seconds of CPU for a 1 MiB body).
	many := make([]string, 30000)
	for i := range many {
		many[i] = fmt.Sprintf("%024x", i+1)
	}
	manyJSON, _ := json.Marshal(map[string][]string{"user_ids": many})
	res, b = h.do(kine, "POST", "/api/v1/conversations", string(manyJSON))
	mustStatus(t, "too many", res.StatusCode, b, 400, "too_many")

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

// TestLastSeqFresh: the unread counts and a conversation's last_seq count
// every stored message, also right after a restart, when the channel's
// sequence is not in memory (the recorded last seq lags by design).
func TestLastSeqFresh(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	kine := h.login("kine@loire-nord.demo")
	pharma := h.login("pharmacien@val-de-cher.demo")
	gen := h.id("chan:LN:général")
	res, b := h.do(kine, "POST", "/api/v1/conversations", `{"user_ids":["`+h.id("user:Julien Perrin")+`"]}`)
	mustStatus(t, "open", res.StatusCode, b, 201, "")
	var conv struct {
		Conversation struct{ ID string } `json:"conversation"`
	}
	_ = json.Unmarshal([]byte(b), &conv)
	for i := 1; i <= 5; i++ {
		st, _, b := send(t, h, coord, gen, fmt.Sprintf("message %d", i), "")
		mustStatus(t, "send", st, b, 201, "")
		st, _, b = send(t, h, kine, conv.Conversation.ID, fmt.Sprintf("direct %d", i), "")
		mustStatus(t, "send dm", st, b, 201, "")
	}
	unread := func(s session, ch string) uint64 {
		var out struct {
			Channels []struct {
				ChannelID string `json:"channel_id"`
				LastSeq   uint64 `json:"last_seq"`
				Unread    uint64
			}
		}
		h.getJSON(s, "/api/v1/unread", &out)
		for _, u := range out.Channels {
			if u.ChannelID == ch {
				return u.Unread
			}
		}
		t.Fatalf("unread does not list %s: %+v", ch, out)
		return 0
	}
	convLast := func(s session) uint64 {
		var out struct {
			Conversations []struct {
				ID      string
				LastSeq uint64 `json:"last_seq"`
			}
		}
		h.getJSON(s, "/api/v1/conversations", &out)
		for _, c := range out.Conversations {
			if c.ID == conv.Conversation.ID {
				return c.LastSeq
			}
		}
		t.Fatalf("conversations do not list %s: %+v", conv.Conversation.ID, out)
		return 0
	}
	for _, phase := range []string{"running", "after a restart"} {
		if phase == "after a restart" {
			h.restart()
		}
		for _, c := range []struct {
			name string
			got  func() uint64
			want uint64
		}{
			{"nurse's unread in général", func() uint64 { return unread(ide, gen) }, 5},
			{"pharmacist's unread in the conversation", func() uint64 { return unread(pharma, conv.Conversation.ID) }, 5},
			{"conversation last_seq", func() uint64 { return convLast(pharma) }, 5},
		} {
			if got := c.got(); got != c.want {
				t.Errorf("%s, %s: %d, want %d", phase, c.name, got, c.want)
			}
		}
	}
}

// revocations records the live subscriptions core revokes.
type revocations struct {
	mu      sync.Mutex
	revoked map[model.UserID][]model.ChannelID
	// kept: the users whose subscriptions to a channel made private were
	// kept (RevokeChannelExcept), by channel.
	kept map[model.ChannelID][]model.UserID
}

func (r *revocations) RevokeChannels(_ context.Context, user model.UserID, chans []model.ChannelID, _ string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.revoked[user] = append(r.revoked[user], chans...)
	return nil
}
func (r *revocations) RevokeChannelExcept(_ context.Context, ch model.ChannelID, keep []model.UserID, _ string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.kept == nil {
		r.kept = map[model.ChannelID][]model.UserID{}
	}
	r.kept[ch] = keep
	return nil
}
func (r *revocations) CloseUser(context.Context, model.UserID) error         { return nil }
func (r *revocations) AccessChanged(context.Context, []model.UserID) error   { return nil }
func (r *revocations) ChannelChanged(context.Context, model.ChannelID) error { return nil }
func (r *revocations) CloseSession(context.Context, string) error            { return nil }
func (r *revocations) PublishUpdate(context.Context, model.ChannelID, core.MessageView) error {
	return nil
}
func (r *revocations) PublishMessage(context.Context, model.ChannelID, uint64, core.MessageView) error {
	return nil
}

// TestPartenaireKeepsJoinedChannels: a member turned partenaire loses the
// live subscriptions to the public channels they only read, not to those
// they joined (they still read and post there).
func TestPartenaireKeepsJoinedChannels(t *testing.T) {
	h := newHarness(t)
	rec := &revocations{revoked: map[model.UserID][]model.ChannelID{}}
	h.core.SetPublisher(rec)
	coord := h.login("coordination@loire-nord.demo")
	kine := h.login("kine@loire-nord.demo")
	kineID := model.UserID(h.id("user:Marc Lefèvre"))
	res, b := h.do(coord, "PATCH", "/api/v1/cpts/"+h.id("cpts:CPTS Loire Nord")+"/members/"+string(kineID), `{"role":"partenaire"}`)
	mustStatus(t, "role", res.StatusCode, b, 200, "")
	revoked := rec.revoked[kineID]
	for _, c := range []struct {
		channel string
		revoked bool
		read    int // status of the kiné's history read now
	}{
		{"chan:LN:général", false, 200},             // joined
		{"chan:LN:annonces", false, 200},            // joined
		{"chan:LN:soins-non-programmés", true, 404}, // public, never joined
	} {
		id := model.ChannelID(h.id(c.channel))
		if got := slices.Contains(revoked, id); got != c.revoked {
			t.Errorf("%s revoked: %v, want %v (revoked %v)", c.channel, got, c.revoked, revoked)
		}
		res, b := h.do(kine, "GET", "/api/v1/channels/"+string(id)+"/messages", "")
		if res.StatusCode != c.read {
			t.Errorf("%s read: %d, want %d: %s", c.channel, res.StatusCode, c.read, trim(b))
		}
	}
}

// TestConversationLeaveAndReturn: someone who left a conversation cannot
// bring themselves back into it (they would read what was said without
// them); opening a conversation with the same people gives them a new
// one. Another participant may bring them back.
func TestConversationLeaveAndReturn(t *testing.T) {
	h := newHarness(t)
	kine := h.login("kine@loire-nord.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	coord := h.login("coordination@loire-nord.demo")
	open := func(s session, others ...string) (int, string, string) {
		t.Helper()
		ids, _ := json.Marshal(map[string][]string{"user_ids": others})
		res, b := h.do(s, "POST", "/api/v1/conversations", string(ids))
		var out struct {
			Conversation struct{ ID string } `json:"conversation"`
		}
		_ = json.Unmarshal([]byte(b), &out)
		return res.StatusCode, out.Conversation.ID, b
	}
	bodies := func(s session, conv string) []string {
		t.Helper()
		var page struct{ Messages []struct{ Body string } }
		h.getJSON(s, "/api/v1/channels/"+conv+"/messages", &page)
		out := []string{}
		for _, m := range page.Messages {
			out = append(out, m.Body)
		}
		return out
	}
	kineID, ideID, coordID := h.id("user:Marc Lefèvre"), h.id("user:Sophie Garnier"), h.id("user:Claire Morel")

	st, old, b := open(ide, kineID, coordID)
	mustStatus(t, "open", st, b, 201, "")
	st, _, b = send(t, h, ide, old, "Bonjour à vous deux", "")
	mustStatus(t, "send", st, b, 201, "")
	res, b := h.do(ide, "POST", "/api/v1/conversations/"+old+"/leave", "")
	mustStatus(t, "leave", res.StatusCode, b, 204, "")
	secret := "Entre nous deux maintenant qu'elle est partie"
	st, _, b = send(t, h, kine, old, secret, "")
	mustStatus(t, "send after she left", st, b, 201, "")

	// She opens the same people again: a new, empty conversation.
	st, fresh, b := open(ide, kineID, coordID)
	mustStatus(t, "reopen by the one who left", st, b, 201, "")
	if fresh == old || strings.Contains(b, secret) {
		t.Fatalf("the one who left got the old conversation back: %s", b)
	}
	if got := bodies(ide, fresh); len(got) != 0 {
		t.Fatalf("the new conversation is empty, got %q", got)
	}
	res, b = h.do(ide, "GET", "/api/v1/channels/"+old+"/messages", "")
	mustStatus(t, "the old one stays closed to her", res.StatusCode, b, 404, "not_found")
	// The others still have the old one, and the same people now meet in
	// the new one.
	if got := bodies(kine, old); len(got) != 2 || got[1] != secret {
		t.Fatalf("the old conversation stays with those still in it: %q", got)
	}
	st, again, b := open(coord, kineID, ideID)
	mustStatus(t, "same people", st, b, 200, "")
	if again != fresh {
		t.Fatalf("the same people get the new conversation: %s, want %s", again, fresh)
	}

	// Another participant brings back someone who left.
	res, b = h.do(kine, "POST", "/api/v1/conversations/"+fresh+"/leave", "")
	mustStatus(t, "kine leaves", res.StatusCode, b, 204, "")
	st, _, b = send(t, h, ide, fresh, "Marc, on t'attendait", "")
	mustStatus(t, "send", st, b, 201, "")
	st, back, b := open(coord, kineID, ideID)
	mustStatus(t, "brought back by another", st, b, 200, "")
	if back != fresh {
		t.Fatalf("brought back into %s, want %s", back, fresh)
	}
	if got := bodies(kine, fresh); len(got) != 1 {
		t.Fatalf("kine reads the conversation he was brought back into: %q", got)
	}
}

// TestLegacyReactionRemovable: a reaction stored before the emoji check
// tightened (text, here) can still be removed by its author, though no
// new one like it is accepted.
func TestLegacyReactionRemovable(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	st, m, b := send(t, h, coord, h.id("chan:LN:général"), "Réunion jeudi", "")
	mustStatus(t, "send", st, b, 201, "")
	legacy := "中文"
	raw, err := h.st.Messages.ByID(t.Context(), model.MessageID(m.Message.ID))
	if err != nil {
		t.Fatal(err)
	}
	raw.Reactions = append(raw.Reactions, model.Reaction{Emoji: legacy, Users: []model.UserID{model.UserID(h.id("user:Sophie Garnier"))}})
	if err := h.st.Messages.Replace(t.Context(), raw); err != nil {
		t.Fatal(err)
	}
	h.restart() // the reaction is read from the store, not from memory
	res, b := h.do(ide, "PUT", "/api/v1/messages/"+m.Message.ID+"/reactions/"+url.PathEscape(legacy), "")
	mustStatus(t, "add text", res.StatusCode, b, 400, "invalid_emoji")
	res, b = h.do(ide, "DELETE", "/api/v1/messages/"+m.Message.ID+"/reactions/"+url.PathEscape(legacy), "")
	mustStatus(t, "remove the stored one", res.StatusCode, b, 200, "")
	if strings.Contains(b, legacy) {
		t.Fatalf("reaction still there: %s", b)
	}
}

// TestRepliesToMyMessages: "réponses à mes messages" holds the replies to
// the caller's messages: every other reply in a thread they started, and
// in a thread they replied to, the replies after their first one; a thread
// followed for a mention only brings none.
func TestRepliesToMyMessages(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	kine := h.login("kine@loire-nord.demo")
	pharmaLN := h.login("pharmacie@loire-nord.demo")
	gen := h.id("chan:LN:général")
	post := func(s session, body, thread string) string {
		t.Helper()
		st, m, b := send(t, h, s, gen, body, thread)
		mustStatus(t, body, st, b, 201, "")
		return m.Message.ID
	}
	root := post(coord, "Qui peut voir Mme L. jeudi ?", "")
	k1 := post(kine, "Moi, le matin", root)
	i1 := post(ide, "Je passe l'après-midi", root)
	c1 := post(coord, "Merci, et @pharmaciens pour le traitement ?", root)
	repliesOf := func(s session) []string {
		t.Helper()
		var out struct{ Messages []struct{ ID string } }
		h.getJSON(s, "/api/v1/replies", &out)
		ids := []string{}
		for _, m := range out.Messages {
			ids = append(ids, m.ID)
		}
		slices.Sort(ids)
		return ids
	}
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	for _, c := range []struct {
		who  string
		s    session
		want []string
	}{
		{"the root's author", coord, sorted(k1, i1)},
		{"the first to reply", kine, sorted(i1, c1)},
		{"a later replier", ide, sorted(c1)},
		{"mentioned only", pharmaLN, sorted()},
	} {
		if got := repliesOf(c.s); !slices.Equal(got, c.want) {
			t.Errorf("%s: replies %v, want %v", c.who, got, c.want)
		}
	}
	var threads struct {
		Threads []struct{ Root struct{ ID string } }
	}
	h.getJSON(pharmaLN, "/api/v1/threads", &threads)
	if len(threads.Threads) != 1 || threads.Threads[0].Root.ID != root {
		t.Fatalf("the pharmacist follows the thread she is mentioned in: %+v", threads)
	}
}

// TestChangeFlood: edits, deletions and reactions, each fanned out to the
// channel, share a per-user limit of their own (a burst, then 429 with
// Retry-After until time passes); sends keep theirs.
func TestChangeFlood(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	gen := h.id("chan:LN:général")
	st, m, b := send(t, h, coord, gen, "Réunion SNP jeudi 18 h", "")
	mustStatus(t, "send", st, b, 201, "")
	path := "/api/v1/messages/" + m.Message.ID + "/reactions/" + url.PathEscape("👍")
	limited := 0
	for i := 0; i < 60 && limited == 0; i++ {
		method := "PUT"
		if i%2 == 1 {
			method = "DELETE"
		}
		res, b := h.do(ide, method, path, "")
		switch res.StatusCode {
		case 200:
		case 429:
			if !strings.Contains(b, `"code":"rate_limited"`) || res.Header.Get("Retry-After") != "1" || i < 10 {
				t.Fatalf("change %d: %d %s, Retry-After %q", i, res.StatusCode, b, res.Header.Get("Retry-After"))
			}
			limited++
		default:
			t.Fatalf("change %d: %d %s", i, res.StatusCode, b)
		}
	}
	if limited == 0 {
		t.Fatal("60 reaction toggles in a row were all accepted")
	}
	// Sending has its own budget; the other members are not limited.
	st, _, b = send(t, h, ide, gen, "Je serai là", "")
	mustStatus(t, "send while changes are limited", st, b, 201, "")
	res, b := h.do(coord, "PUT", path, "")
	mustStatus(t, "another member reacts", res.StatusCode, b, 200, "")
	h.advance(10 * time.Second)
	res, b = h.do(ide, "PUT", path, "")
	mustStatus(t, "later", res.StatusCode, b, 200, "")
}

// TestWriteFlood: every state-changing request of a user counts against a
// limit of its own (20/s, bursts of 100): a script marking a channel read
// in a loop gets 429 rate_limited with Retry-After, in French; reads and
// the other members go on; the budget comes back with time.
func TestWriteFlood(t *testing.T) {
	h := newHarness(t)
	ide := h.login("infirmiere@loire-nord.demo")
	coord := h.login("coordination@loire-nord.demo")
	gen := h.id("chan:LN:général")
	path := "/api/v1/channels/" + gen + "/read"
	accepted := 0
	for i := 0; ; i++ {
		res, b := h.do(ide, "POST", path, `{"seq":0}`)
		if res.StatusCode == 204 {
			accepted++
			if i > 150 {
				t.Fatalf("%d writes in a row accepted", accepted)
			}
			continue
		}
		if res.StatusCode != 429 || !strings.Contains(b, `"code":"rate_limited"`) || !strings.Contains(b, "patientez") || res.Header.Get("Retry-After") == "" {
			t.Fatalf("write %d: %d %s, Retry-After %q", i, res.StatusCode, b, res.Header.Get("Retry-After"))
		}
		break
	}
	if accepted < 100 {
		t.Fatalf("limited after %d writes, want the burst of 100 first", accepted)
	}
	res, b := h.do(ide, "GET", "/api/v1/channels/"+gen+"/messages?limit=5", "")
	mustStatus(t, "a read while writes are limited", res.StatusCode, b, 200, "")
	res, b = h.do(coord, "POST", path, `{"seq":0}`)
	mustStatus(t, "another member writes", res.StatusCode, b, 204, "")
	h.advance(time.Second)
	res, b = h.do(ide, "POST", path, `{"seq":0}`)
	mustStatus(t, "a second later", res.StatusCode, b, 204, "")
}

// TestUnreadCountsWhatTheDividerShows: a channel's unread count is the
// top-level messages of others after the read marker, what the UI shows
// below "Nouveaux messages": thread replies count in their thread, deleted
// messages and one's own do not count, a mention in a reply does.
func TestUnreadCountsWhatTheDividerShows(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	kine := h.login("kine@loire-nord.demo")
	gen := h.id("chan:LN:général")
	unreadOf := func() (uint64, int) {
		t.Helper()
		var out struct {
			Channels []struct {
				ChannelID string `json:"channel_id"`
				Unread    uint64
				Mentions  int
			}
		}
		h.getJSON(ide, "/api/v1/unread", &out)
		for _, u := range out.Channels {
			if u.ChannelID == gen {
				return u.Unread, u.Mentions
			}
		}
		t.Fatalf("unread does not list général: %+v", out)
		return 0, 0
	}
	want := func(what string, unread uint64, mentions int) {
		t.Helper()
		if n, m := unreadOf(); n != unread || m != mentions {
			t.Fatalf("%s: %d unread, %d mentions; want %d, %d", what, n, m, unread, mentions)
		}
	}
	st, root, b := send(t, h, coord, gen, "Rappel : vaccination antigrippale", "")
	mustStatus(t, "root", st, b, 201, "")
	want("one message", 1, 0)
	for _, body := range []string{"Je transmets.", "Merci @sophie"} {
		st, _, b = send(t, h, kine, gen, body, root.Message.ID)
		mustStatus(t, "reply", st, b, 201, "")
	}
	want("two replies, one naming the nurse", 1, 1)
	st, gone, b := send(t, h, coord, gen, "Message envoyé par erreur", "")
	mustStatus(t, "second", st, b, 201, "")
	want("a second message", 2, 1)
	res, b := h.do(coord, "DELETE", "/api/v1/messages/"+gone.Message.ID, "")
	mustStatus(t, "delete", res.StatusCode, b, 204, "")
	want("the second deleted", 1, 1)
	st, _, b = send(t, h, ide, gen, "Bien noté.", "")
	mustStatus(t, "nurse writes", st, b, 201, "")
	want("the nurse wrote after them", 0, 0)
}
