package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/prometheus/client_golang/prometheus"
)

// reasonedRevocations records the live subscriptions core revokes, with
// their reason.
type reasonedRevocations struct {
	revocations
	reasons map[model.UserID]map[model.ChannelID]string
}

func newReasonedRevocations() *reasonedRevocations {
	return &reasonedRevocations{
		revocations: revocations{revoked: map[model.UserID][]model.ChannelID{}},
		reasons:     map[model.UserID]map[model.ChannelID]string{},
	}
}

func (r *reasonedRevocations) RevokeChannels(ctx context.Context, user model.UserID, chans []model.ChannelID, reason string) error {
	r.mu.Lock()
	if r.reasons[user] == nil {
		r.reasons[user] = map[model.ChannelID]string{}
	}
	for _, ch := range chans {
		r.reasons[user][ch] = reason
	}
	r.mu.Unlock()
	return r.revocations.RevokeChannels(ctx, user, chans, reason)
}

func (r *reasonedRevocations) reason(user model.UserID, ch string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reasons[user][model.ChannelID(ch)]
}

// openConv opens a conversation and returns its id.
func openConv(t *testing.T, h *harness, s session, others ...string) string {
	t.Helper()
	ids, _ := json.Marshal(map[string][]string{"user_ids": others})
	res, b := h.do(s, "POST", "/api/v1/conversations", string(ids))
	if res.StatusCode != 200 && res.StatusCode != 201 {
		t.Fatalf("open conversation: %d %s", res.StatusCode, trim(b))
	}
	var out struct {
		Conversation struct{ ID string } `json:"conversation"`
	}
	_ = json.Unmarshal([]byte(b), &out)
	return out.Conversation.ID
}

// convCanPost returns the can_post of conversation id in s's list.
func convCanPost(t *testing.T, h *harness, s session, id string) bool {
	t.Helper()
	var out struct {
		Conversations []struct {
			ID      string
			CanPost *bool `json:"can_post"`
		}
	}
	h.getJSON(s, "/api/v1/conversations", &out)
	for _, c := range out.Conversations {
		if c.ID == id {
			if c.CanPost == nil {
				t.Fatalf("conversation %s has no can_post: %+v", id, out)
			}
			return *c.CanPost
		}
	}
	t.Fatalf("conversation %s not listed: %+v", id, out)
	return false
}

// TestRemovedMemberConversationReadOnly: a member removed from their CPTS
// (and so from the inter-CPTS group through which they reached a member of
// another CPTS) keeps reading the conversation opened earlier, but nobody
// posts, edits, reacts in it any more, the live subscriptions of both end,
// and a new conversation is refused.
func TestRemovedMemberConversationReadOnly(t *testing.T) {
	h := newHarness(t)
	rec := newReasonedRevocations()
	h.core.SetPublisher(rec)
	coord := h.login("coordination@loire-nord.demo")
	kine := h.login("kine@loire-nord.demo")
	pharma := h.login("pharmacien@val-de-cher.demo")
	ln := h.id("cpts:CPTS Loire Nord")
	kineID, pharmaID := h.id("user:Marc Lefèvre"), h.id("user:Julien Perrin")

	conv := openConv(t, h, kine, pharmaID)
	st, first, b := send(t, h, kine, conv, "Bonjour Julien", "")
	mustStatus(t, "kine writes", st, b, 201, "")
	st, _, b = send(t, h, pharma, conv, "Bonjour Marc", "")
	mustStatus(t, "pharma writes", st, b, 201, "")
	if !convCanPost(t, h, kine, conv) || !convCanPost(t, h, pharma, conv) {
		t.Fatal("before the removal both may post")
	}

	res, b := h.do(coord, "DELETE", "/api/v1/cpts/"+ln+"/members/"+kineID, "")
	mustStatus(t, "remove kine", res.StatusCode, b, 204, "")
	_, b = h.do(kine, "GET", "/api/v1/me", "")
	if strings.Contains(b, ln) {
		t.Fatalf("kine's /me still shows Loire Nord: %s", b)
	}

	st, _, b = send(t, h, kine, conv, "Je suis encore là", "")
	mustStatus(t, "removed member posts", st, b, 403, "read_only")
	st, _, b = send(t, h, pharma, conv, "Tu m'entends ?", "")
	mustStatus(t, "the other posts", st, b, 403, "read_only")
	res, b = h.do(kine, "PATCH", "/api/v1/messages/"+first.Message.ID, `{"body":"modifié"}`)
	mustStatus(t, "removed member edits", res.StatusCode, b, 403, "read_only")
	res, b = h.do(pharma, "PUT", "/api/v1/messages/"+first.Message.ID+"/reactions/"+url.PathEscape("👍"), "")
	mustStatus(t, "the other reacts", res.StatusCode, b, 403, "read_only")
	// Read-only: the history stays readable by both.
	for _, s := range []session{kine, pharma} {
		var page struct{ Messages []struct{ Body string } }
		h.getJSON(s, "/api/v1/channels/"+conv+"/messages", &page)
		if len(page.Messages) != 2 {
			t.Fatalf("history: %+v", page)
		}
	}
	if convCanPost(t, h, kine, conv) || convCanPost(t, h, pharma, conv) {
		t.Fatal("after the removal the conversation is read-only for both")
	}
	res, b = h.do(pharma, "GET", "/api/v1/channels/"+conv, "")
	mustStatus(t, "channel view", res.StatusCode, b, 200, "")
	if !strings.Contains(b, `"can_post":false`) {
		t.Fatalf("the channel view says it is read-only: %s", b)
	}
	for _, path := range []string{"/api/v1/channels/" + conv, "/api/v1/conversations"} {
		res, b = h.do(pharma, "GET", path, "")
		mustStatus(t, path, res.StatusCode, b, 200, "")
		if !strings.Contains(b, `"post_refusal":"read_only"`) {
			t.Fatalf("%s says why it is read-only: %s", path, b)
		}
	}
	ids, _ := json.Marshal(map[string][]string{"user_ids": {pharmaID}})
	res, b = h.do(kine, "POST", "/api/v1/conversations", string(ids))
	mustStatus(t, "a new conversation", res.StatusCode, b, 400, "not_reachable")

	for _, u := range []string{kineID, pharmaID} {
		if got := rec.reason(model.UserID(u), conv); got != "read_only" {
			t.Errorf("live subscription of %s to the conversation: revoked %q, want read_only", u, got)
		}
	}
}

// TestGroupRemovalEndsConversation: two members of different CPTS who
// reached each other through a group lose it when one leaves the group;
// the conversation between two members of one CPTS is not affected.
func TestGroupRemovalEndsConversation(t *testing.T) {
	h := newHarness(t)
	rec := newReasonedRevocations()
	h.core.SetPublisher(rec)
	coord := h.login("coordination@loire-nord.demo")
	kine := h.login("kine@loire-nord.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	bpco := h.id("group:Parcours BPCO inter-CPTS")
	kineID, pharmaID, ideID := h.id("user:Marc Lefèvre"), h.id("user:Julien Perrin"), h.id("user:Sophie Garnier")
	cross := openConv(t, h, kine, pharmaID)
	local := openConv(t, h, kine, ideID)

	res, b := h.do(coord, "DELETE", "/api/v1/groups/"+bpco+"/members/"+kineID, "")
	mustStatus(t, "remove kine from BPCO", res.StatusCode, b, 204, "")
	st, _, b := send(t, h, kine, cross, "Toujours là ?", "")
	mustStatus(t, "across CPTS", st, b, 403, "read_only")
	st, _, b = send(t, h, kine, local, "Bonjour Sophie", "")
	mustStatus(t, "within the CPTS", st, b, 201, "")
	st, _, b = send(t, h, ide, local, "Bonjour Marc", "")
	mustStatus(t, "within the CPTS, the other", st, b, 201, "")
	if got := rec.reason(model.UserID(pharmaID), cross); got != "read_only" {
		t.Errorf("the pharmacist's subscription: revoked %q, want read_only", got)
	}
	if got := rec.reason(model.UserID(ideID), local); got != "" {
		t.Errorf("the nurse's subscription to a conversation still open was revoked (%q)", got)
	}
}

// TestPartenaireReach: a partenaire reaches the people of the channels it
// was invited into, not every member of its CPTS, and sees the presence of
// those only; removing it from that channel ends the conversation.
func TestPartenaireReach(t *testing.T) {
	h := newHarness(t)
	rec := newReasonedRevocations()
	h.core.SetPublisher(rec)
	// Everyone is online: presence answers with whom the caller may see.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h.srv = New(Deps{Core: h.core, Logger: log, Registry: prometheus.NewRegistry(),
		Presence: func(_ context.Context, ids []model.UserID) (map[model.UserID]bool, error) {
			m := map[model.UserID]bool{}
			for _, id := range ids {
				m[id] = true
			}
			return m, nil
		}})
	coord := h.login("coordination@loire-nord.demo")
	social := h.login("assistante-sociale@loire-nord.demo")
	kine := h.login("kine@loire-nord.demo")
	socialID, kineID, ideID, coordID := h.id("user:Nathalie Roux"), h.id("user:Marc Lefèvre"), h.id("user:Sophie Garnier"), h.id("user:Claire Morel")
	if socialID == "" {
		t.Fatal("no id for the partenaire")
	}

	for _, c := range []struct {
		who      session
		to, code string
		status   int
	}{
		{social, kineID, "not_reachable", 400}, // LN member, no channel in common
		{kine, socialID, "not_reachable", 400},
		{social, ideID, "", 201}, // both in sortie-hospitalisation
	} {
		ids, _ := json.Marshal(map[string][]string{"user_ids": {c.to}})
		res, b := h.do(c.who, "POST", "/api/v1/conversations", string(ids))
		mustStatus(t, "open with "+c.to, res.StatusCode, b, c.status, c.code)
	}
	var online struct{ Online []string }
	h.getJSON(social, "/api/v1/presence?user_ids="+strings.Join([]string{kineID, ideID, coordID}, ","), &online)
	slices.Sort(online.Online)
	want := []string{ideID, coordID}
	slices.Sort(want)
	if !slices.Equal(online.Online, want) {
		t.Fatalf("the partenaire sees the presence of %v, want %v (the nurse and the coordinator)", online.Online, want)
	}
	h.getJSON(kine, "/api/v1/presence?user_ids="+socialID, &online)
	if len(online.Online) != 0 {
		t.Fatalf("the physio sees the partenaire's presence: %v", online.Online)
	}

	conv := openConv(t, h, social, ideID)
	st, _, b := send(t, h, social, conv, "Bonjour, retour à domicile de M. X demain", "")
	mustStatus(t, "partenaire writes", st, b, 201, "")
	// Out of the nurse's view: the coordinator removes the nurse from the
	// channel they shared.
	res, b := h.do(coord, "DELETE", "/api/v1/channels/"+h.id("chan:LN:sortie-hospitalisation")+"/members/"+ideID, "")
	mustStatus(t, "remove the nurse from the channel", res.StatusCode, b, 204, "")
	st, _, b = send(t, h, social, conv, "Encore là ?", "")
	mustStatus(t, "after the channel removal", st, b, 403, "read_only")
	for _, u := range []string{socialID, ideID} {
		if got := rec.reason(model.UserID(u), conv); got != "read_only" {
			t.Errorf("subscription of %s: revoked %q, want read_only", u, got)
		}
	}
}

// TestAdminMembershipNeedsCoordinator: the platform admin invites itself
// into a CPTS as coordinator and accepts; it stays pending until a
// coordinator of that CPTS validates it, it cannot change its own role,
// and every step is in the audit log, which platform admins read whole
// and coordinators read for their CPTS.
func TestAdminMembershipNeedsCoordinator(t *testing.T) {
	h := newHarness(t)
	admin := h.login("admin@ecpts.demo")
	coord := h.login("coordination@loire-nord.demo")
	coordVC := h.login("coordination@val-de-cher.demo")
	ide := h.login("infirmiere@loire-nord.demo")
	ln := h.id("cpts:CPTS Loire Nord")
	var me struct{ User struct{ ID string } }
	h.getJSON(admin, "/api/v1/me", &me)
	adminID := me.User.ID

	res, b := h.do(admin, "POST", "/api/v1/cpts/"+ln+"/invitations", `{"email":"admin@ecpts.demo","role":"coordinateur"}`)
	mustStatus(t, "admin invites itself", res.StatusCode, b, 201, "")
	res, b = h.do(admin, "POST", "/api/v1/invitations/"+h.lastInvitationToken()+"/accept", `{}`)
	mustStatus(t, "admin accepts", res.StatusCode, b, 200, "")
	if !strings.Contains(b, `"status":"pending"`) {
		t.Fatalf("the admin's membership starts pending: %s", b)
	}
	res, b = h.do(admin, "POST", "/api/v1/cpts/"+ln+"/members/"+adminID+"/validate", "")
	mustStatus(t, "admin validates itself", res.StatusCode, b, 403, "forbidden")
	res, b = h.do(admin, "PATCH", "/api/v1/cpts/"+ln+"/members/"+adminID, `{"role":"membre"}`)
	mustStatus(t, "admin changes its own role", res.StatusCode, b, 403, "forbidden")
	res, b = h.do(admin, "GET", "/api/v1/channels/"+h.id("chan:LN:général")+"/messages", "")
	mustStatus(t, "admin reads a channel", res.StatusCode, b, 404, "not_found")

	// The admin still manages other people's memberships.
	res, b = h.do(admin, "POST", "/api/v1/cpts/"+ln+"/invitations", `{"email":"nouvelle@exemple.fr","role":"membre"}`)
	mustStatus(t, "admin invites someone", res.StatusCode, b, 201, "")

	res, b = h.do(coord, "POST", "/api/v1/cpts/"+ln+"/members/"+adminID+"/validate", "")
	mustStatus(t, "a coordinator validates the admin", res.StatusCode, b, 200, "")
	res, b = h.do(admin, "GET", "/api/v1/channels/"+h.id("chan:LN:général")+"/messages", "")
	mustStatus(t, "validated admin reads", res.StatusCode, b, 200, "")

	type entry struct {
		At       string `json:"at"`
		ActorID  string `json:"actor_id"`
		Action   string `json:"action"`
		CPTSID   string `json:"cpts_id"`
		TargetID string `json:"target_id"`
	}
	type page struct {
		Entries []entry `json:"entries"`
		Next    string  `json:"next"`
	}
	var all page
	h.getJSON(admin, "/api/v1/admin/audit", &all)
	var got []string
	for _, e := range all.Entries {
		if e.CPTSID == ln {
			got = append(got, e.Action+" by "+e.ActorID+" on "+e.TargetID)
		}
	}
	coordID := h.id("user:Claire Morel")
	// Newest first.
	want := []string{
		"member_validated by " + coordID + " on " + adminID,
		"invitation_created by " + adminID + " on ",
		"invitation_accepted by " + adminID + " on " + adminID,
		"invitation_created by " + adminID + " on ",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit of Loire Nord:\n got  %q\n want %q", got, want)
	}
	_, raw := h.do(admin, "GET", "/api/v1/admin/audit", "")
	for _, secret := range []string{"@", "nouvelle", "Administration"} {
		if strings.Contains(raw, secret) {
			t.Fatalf("the audit log holds ids only, found %q: %s", secret, trim(raw))
		}
	}
	// Paging: one at a time, newest first.
	var p1, p2 page
	h.getJSON(admin, "/api/v1/admin/audit?limit=1", &p1)
	if len(p1.Entries) != 1 || p1.Next == "" {
		t.Fatalf("first page: %+v", p1)
	}
	h.getJSON(admin, "/api/v1/admin/audit?limit=1&before="+p1.Next, &p2)
	if len(p2.Entries) != 1 || p2.Entries[0] == p1.Entries[0] || p2.Entries[0].At > p1.Entries[0].At {
		t.Fatalf("second page %+v after %+v", p2, p1)
	}
	res, b = h.do(admin, "GET", "/api/v1/admin/audit?limit=1000", "")
	mustStatus(t, "limit too large", res.StatusCode, b, 400, "invalid_limit")
	res, b = h.do(admin, "GET", "/api/v1/admin/audit?before=zz", "")
	mustStatus(t, "bad cursor", res.StatusCode, b, 400, "invalid_cursor")

	// Coordinators read their CPTS's entries, nobody else's.
	var lnPage page
	h.getJSON(coord, "/api/v1/cpts/"+ln+"/audit", &lnPage)
	if len(lnPage.Entries) != len(want) {
		t.Fatalf("coordinator's audit of Loire Nord: %+v", lnPage)
	}
	for _, c := range []struct {
		name   string
		who    session
		url    string
		status int
		code   string
	}{
		{"coordinator reads the whole log", coord, "/api/v1/admin/audit", 403, "forbidden"},
		{"member reads the CPTS log", ide, "/api/v1/cpts/" + ln + "/audit", 403, "forbidden"},
		{"other CPTS's coordinator", coordVC, "/api/v1/cpts/" + ln + "/audit", 404, "not_found"},
		{"anonymous", session{}, "/api/v1/admin/audit", 401, "unauthenticated"},
	} {
		res, b := h.do(c.who, "GET", c.url, "")
		mustStatus(t, c.name, res.StatusCode, b, c.status, c.code)
	}
	var vcPage page
	h.getJSON(coordVC, "/api/v1/cpts/"+h.id("cpts:CPTS Val de Cher")+"/audit", &vcPage)
	if len(vcPage.Entries) != 0 {
		t.Fatalf("Val de Cher's log holds Loire Nord's entries: %+v", vcPage)
	}
}

var _ core.Publisher = (*reasonedRevocations)(nil)
