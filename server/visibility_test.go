package server

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/ecpts/ecpts/internal/model"
)

// channelIDs lists the ids of the channels s sees (GET /channels).
func channelIDs(t *testing.T, h *harness, s session) []string {
	t.Helper()
	var out struct{ Channels []struct{ ID string } }
	h.getJSON(s, "/api/v1/channels", &out)
	ids := make([]string, len(out.Channels))
	for i, c := range out.Channels {
		ids[i] = c.ID
	}
	return ids
}

// TestChannelVisibility: PATCH /channels/:id {"visibility"} makes a
// channel private (its members alone see it from then on, the others'
// live subscriptions end) or public again; who may, and what is refused.
func TestChannelVisibility(t *testing.T) {
	h := newHarness(t)
	rec := newReasonedRevocations()
	h.core.SetPublisher(rec)
	coord := h.login("coordination@loire-nord.demo")
	kine := h.login("kine@loire-nord.demo")
	sf := h.login("sage-femme@loire-nord.demo")
	social := h.login("assistante-sociale@loire-nord.demo")
	coordVC := h.login("coordination@val-de-cher.demo")
	ln := h.id("cpts:CPTS Loire Nord")
	coordID, kineID, sfID := h.id("user:Claire Morel"), h.id("user:Marc Lefèvre"), h.id("user:Aurélie Fontaine")
	socialID := h.id("user:Nathalie Roux")

	res, b := h.do(coord, "POST", "/api/v1/channels", `{"name":"liaison-ville-hôpital","cpts_id":"`+ln+`"}`)
	mustStatus(t, "create", res.StatusCode, b, 201, "")
	var created struct{ Channel struct{ ID string } }
	_ = json.Unmarshal([]byte(b), &created)
	ch := created.Channel.ID
	res, b = h.do(kine, "POST", "/api/v1/channels/"+ch+"/join", "")
	mustStatus(t, "kine joins", res.StatusCode, b, 200, "")
	// The partenaire, added to the public channel, reaches the midwife
	// through it: both see it.
	res, b = h.do(coord, "POST", "/api/v1/channels/"+ch+"/members", `{"user_id":"`+socialID+`"}`)
	mustStatus(t, "add the partenaire", res.StatusCode, b, 201, "")
	conv := openConv(t, h, sf, socialID)
	st, _, b := send(t, h, sf, conv, "Bonjour Nathalie", "")
	mustStatus(t, "the midwife writes to the partenaire", st, b, 201, "")
	if !slices.Contains(channelIDs(t, h, sf), ch) {
		t.Fatal("the midwife does not see the public channel: the test would prove nothing")
	}

	// Refusals, none of which changes anything.
	for _, c := range []struct {
		who    session
		what   string
		body   string
		status int
		code   string
	}{
		{kine, "a member of it", `{"visibility":"private"}`, 403, "forbidden"},
		{sf, "a member of the CPTS", `{"visibility":"private"}`, 403, "forbidden"},
		{social, "the partenaire added to it", `{"visibility":"private"}`, 403, "forbidden"},
		{coordVC, "the coordinator of another CPTS", `{"visibility":"private"}`, 404, "not_found"},
		{coord, "a value that is no visibility", `{"visibility":"secret"}`, 400, "invalid_visibility"},
		{coord, "a visibility that is no string", `{"visibility":1}`, 400, ""},
	} {
		res, b := h.do(c.who, "PATCH", "/api/v1/channels/"+ch, c.body)
		mustStatus(t, c.what, res.StatusCode, b, c.status, c.code)
	}
	if !slices.Contains(channelIDs(t, h, sf), ch) {
		t.Fatal("a refused change made the channel private")
	}
	// A direct conversation has no visibility to change.
	res, b = h.do(sf, "PATCH", "/api/v1/channels/"+conv, `{"visibility":"public"}`)
	mustStatus(t, "a direct conversation", res.StatusCode, b, 400, "visibility_fixed")

	// Made private: its members keep it, the others lose it at once.
	res, b = h.do(coord, "PATCH", "/api/v1/channels/"+ch, `{"visibility":"private"}`)
	mustStatus(t, "make private", res.StatusCode, b, 200, "")
	if !strings.Contains(b, `"visibility":"private"`) || !strings.Contains(b, `"member":true`) {
		t.Fatalf("the answer: %s", trim(b))
	}
	kept := rec.kept[model.ChannelID(ch)]
	for _, u := range []string{coordID, kineID, socialID} {
		if !slices.Contains(kept, model.UserID(u)) {
			t.Errorf("member %s's live subscription is not kept (kept %v)", u, kept)
		}
	}
	if slices.Contains(kept, model.UserID(sfID)) {
		t.Errorf("the midwife's live subscription is kept")
	}
	if slices.Contains(channelIDs(t, h, sf), ch) {
		t.Error("the midwife still lists the channel made private")
	}
	for _, p := range []string{"", "/messages"} {
		res, b = h.do(sf, "GET", "/api/v1/channels/"+ch+p, "")
		mustStatus(t, "the midwife reads "+p, res.StatusCode, b, 404, "not_found")
	}
	res, b = h.do(sf, "POST", "/api/v1/channels/"+ch+"/join", "")
	mustStatus(t, "the midwife joins", res.StatusCode, b, 404, "not_found")
	for _, s := range []session{kine, social} {
		if !slices.Contains(channelIDs(t, h, s), ch) {
			t.Errorf("member %s no longer lists the channel", s.email)
		}
		st, _, b := send(t, h, s, ch, "Toujours là", "")
		mustStatus(t, s.email+" posts", st, b, 201, "")
	}
	// The midwife met the partenaire through the public channel only:
	// their conversation is read-only now, for both, and live no more.
	st, _, b = send(t, h, sf, conv, "Vous m'entendez ?", "")
	mustStatus(t, "the midwife writes to the partenaire again", st, b, 403, "read_only")
	st, _, b = send(t, h, social, conv, "Oui ?", "")
	mustStatus(t, "the partenaire answers", st, b, 403, "read_only")
	for _, u := range []string{sfID, socialID} {
		if r := rec.reason(model.UserID(u), conv); r != "read_only" {
			t.Errorf("%s's subscription to the conversation: revoked %q, want read_only", u, r)
		}
	}

	// Archived, it keeps its visibility; restored, it may change again,
	// in the same request.
	res, b = h.do(coord, "PATCH", "/api/v1/channels/"+ch, `{"archived":true}`)
	mustStatus(t, "archive", res.StatusCode, b, 200, "")
	res, b = h.do(coord, "PATCH", "/api/v1/channels/"+ch, `{"visibility":"public"}`)
	mustStatus(t, "an archived channel", res.StatusCode, b, 409, "channel_archived")
	res, b = h.do(coord, "PATCH", "/api/v1/channels/"+ch, `{"archived":false,"visibility":"public"}`)
	mustStatus(t, "restore and make public", res.StatusCode, b, 200, "")
	if !strings.Contains(b, `"visibility":"public"`) || !strings.Contains(b, `"archived":false`) {
		t.Fatalf("the answer: %s", trim(b))
	}
	// Public again: the midwife sees it and may join; the conversation
	// opens up again.
	if !slices.Contains(channelIDs(t, h, sf), ch) {
		t.Error("the midwife does not list the channel made public")
	}
	res, b = h.do(sf, "POST", "/api/v1/channels/"+ch+"/join", "")
	mustStatus(t, "the midwife joins the public channel", res.StatusCode, b, 200, "")
	st, _, b = send(t, h, sf, conv, "Re-bonjour", "")
	mustStatus(t, "the midwife writes to the partenaire once more", st, b, 201, "")

	// A coordinator who is not a member stays one of those who see it.
	res, b = h.do(coord, "POST", "/api/v1/channels/"+ch+"/leave", "")
	mustStatus(t, "the coordinator leaves", res.StatusCode, b, 204, "")
	res, b = h.do(coord, "PATCH", "/api/v1/channels/"+ch, `{"visibility":"private"}`)
	mustStatus(t, "make private, not a member", res.StatusCode, b, 200, "")
	if !strings.Contains(b, `"member":true`) || !slices.Contains(channelIDs(t, h, coord), ch) {
		t.Fatalf("the coordinator lost the channel they made private: %s", trim(b))
	}

	// A group's channel: those who run the group.
	bpco := h.id("chan:G:parcours-bpco")
	res, b = h.do(kine, "PATCH", "/api/v1/channels/"+bpco, `{"visibility":"private"}`)
	mustStatus(t, "a member of the group", res.StatusCode, b, 403, "forbidden")
	res, b = h.do(coordVC, "PATCH", "/api/v1/channels/"+bpco, `{"visibility":"private"}`)
	mustStatus(t, "the coordinator of a CPTS taking part", res.StatusCode, b, 404, "not_found")
	res, b = h.do(coord, "PATCH", "/api/v1/channels/"+bpco, `{"visibility":"private"}`)
	mustStatus(t, "the coordinator of the owner CPTS", res.StatusCode, b, 200, "")
}
