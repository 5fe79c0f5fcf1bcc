package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ecpts/ecpts/internal/core"
)

type postOut struct {
	Post struct {
		ID              string `json:"id"`
		Kind            string `json:"kind"`
		Title           string `json:"title"`
		Pinned          bool   `json:"pinned"`
		CommentsChannel string `json:"comments_channel_id"`
		MyRSVP          string `json:"my_rsvp"`
		RSVPOpen        bool   `json:"rsvp_open"`
		SeatsLeft       *int   `json:"seats_left"`
		RSVP            *struct {
			Yes   int `json:"oui"`
			No    int `json:"non"`
			Maybe int `json:"peut_etre"`
		} `json:"rsvp"`
		Event *struct {
			StartsAt time.Time `json:"starts_at"`
			EndsAt   time.Time `json:"ends_at"`
		} `json:"event"`
		Reactions []struct {
			Emoji string `json:"emoji"`
			Count int    `json:"count"`
		} `json:"reactions"`
	} `json:"post"`
}

// parisTime formats t as a datetime-local value in Europe/Paris.
func parisTime(t time.Time) string { return t.In(core.Paris).Format("2006-01-02T15:04") }

// publish posts in LN's feed as s and returns the created post.
func (h *harness) publish(s session, body string) postOut {
	h.t.Helper()
	res, b := h.do(s, "POST", "/api/v1/posts", body)
	if res.StatusCode != http.StatusCreated {
		h.t.Fatalf("publish: %d %s", res.StatusCode, b)
	}
	var p postOut
	if err := json.Unmarshal([]byte(b), &p); err != nil {
		h.t.Fatal(err)
	}
	return p
}

func eventBody(scope string, start, end time.Time, capacity int, extra string) string {
	return fmt.Sprintf(`{%s,"kind":"event","title":"Soirée protocoles","body":"Ordre du jour : **cystite** et AVK.",`+
		`"event":{"starts_at":%q,"ends_at":%q,"place":"Maison de santé, Roanne","capacity":%d%s}}`,
		scope, parisTime(start), parisTime(end), capacity, extra)
}

func TestFeedPostsAndEvents(t *testing.T) {
	h := newHarness(t)
	coord, ide, kine := h.login("coordination@loire-nord.demo"), h.login("infirmiere@loire-nord.demo"), h.login("kine@loire-nord.demo")
	pharmVC := h.login("pharmacien@val-de-cher.demo")
	ln := `"cpts_id":"` + h.id("cpts:CPTS Loire Nord") + `"`
	feedURL := "/api/v1/posts?cpts_id=" + h.id("cpts:CPTS Loire Nord")

	var before struct {
		Feeds []core.FeedUnread `json:"feeds"`
	}
	h.getJSON(kine, "/api/v1/feeds/unread", &before)

	ann := h.publish(coord, `{`+ln+`,"kind":"announcement","title":"Nouvelle permanence","body":"Le **mardi** matin."}`)
	start := time.Now().Add(72 * time.Hour).Truncate(time.Minute)
	ev := h.publish(coord, eventBody(ln, start, start.Add(2*time.Hour), 0, ""))
	if ann.Post.Kind != "announcement" || ev.Post.Kind != "event" || ev.Post.Event == nil || !ev.Post.Event.StartsAt.Equal(start) {
		t.Fatalf("published %+v / %+v (want start %v)", ann.Post, ev.Post, start)
	}

	t.Run("UnreadThenRead", func(t *testing.T) {
		var after struct {
			Feeds []core.FeedUnread `json:"feeds"`
		}
		h.getJSON(kine, "/api/v1/feeds/unread", &after)
		unread := func(fs []core.FeedUnread) int {
			for _, f := range fs {
				if string(f.CPTSID) == h.id("cpts:CPTS Loire Nord") {
					return f.Unread
				}
			}
			t.Fatalf("no LN feed in %+v", fs)
			return 0
		}
		if got, was := unread(after.Feeds), unread(before.Feeds); got != was+2 {
			t.Fatalf("unread %d, was %d", got, was)
		}
		var page core.FeedPageView
		h.getJSON(kine, feedURL, &page)
		h.getJSON(kine, "/api/v1/feeds/unread", &after)
		if n := unread(after.Feeds); n != 0 {
			t.Fatalf("unread after reading the feed: %d", n)
		}
		var mine struct {
			Feeds []core.FeedUnread `json:"feeds"`
		}
		h.getJSON(coord, "/api/v1/feeds/unread", &mine)
		if n := unread(mine.Feeds); n != 0 {
			t.Fatalf("the author has %d unread", n)
		}
	})

	t.Run("PinnedFirst", func(t *testing.T) {
		res, b := h.do(coord, "PUT", "/api/v1/posts/"+ann.Post.ID+"/pin", "")
		if res.StatusCode != 200 || !strings.Contains(b, `"pinned":true`) {
			t.Fatalf("pin: %d %s", res.StatusCode, b)
		}
		if res, _ := h.do(ide, "PUT", "/api/v1/posts/"+ev.Post.ID+"/pin", ""); res.StatusCode != http.StatusForbidden {
			t.Fatalf("member pins: %d", res.StatusCode)
		}
		var page core.FeedPageView
		h.getJSON(ide, feedURL, &page)
		if len(page.Pinned) != 1 || string(page.Pinned[0].ID) != ann.Post.ID || len(page.Posts) == 0 || string(page.Posts[0].ID) != ev.Post.ID {
			t.Fatalf("page: pinned %+v, posts %+v", page.Pinned, page.Posts)
		}
		for _, p := range page.Posts {
			if string(p.ID) == ann.Post.ID {
				t.Fatal("a pinned post is listed twice")
			}
		}
		if page.CanPublish {
			t.Fatal("a member is offered to publish")
		}
		h.getJSON(coord, feedURL, &page)
		if !page.CanPublish {
			t.Fatal("the coordinator is not offered to publish")
		}
		// Paging: one post a page.
		h.publish(coord, `{`+ln+`,"kind":"announcement","title":"Encore une"}`)
		var p1, p2 core.FeedPageView
		h.getJSON(ide, feedURL+"&limit=1", &p1)
		if p1.Next == 0 || len(p1.Posts) != 1 {
			t.Fatalf("first page %+v", p1)
		}
		h.getJSON(ide, fmt.Sprintf("%s&limit=1&before=%d", feedURL, p1.Next), &p2)
		if len(p2.Pinned) != 0 || len(p2.Posts) != 1 || string(p2.Posts[0].ID) != ev.Post.ID {
			t.Fatalf("second page %+v", p2)
		}
	})

	t.Run("ReactEditDelete", func(t *testing.T) {
		res, b := h.do(ide, "PUT", "/api/v1/posts/"+ann.Post.ID+"/reactions/%F0%9F%91%8D", "")
		if res.StatusCode != 200 || !strings.Contains(b, `"count":1`) {
			t.Fatalf("react: %d %s", res.StatusCode, b)
		}
		if res, b := h.do(ide, "PUT", "/api/v1/posts/"+ann.Post.ID+"/reactions/abc", ""); res.StatusCode != 400 || errCode(t, b) != "invalid_emoji" {
			t.Fatalf("text as a reaction: %d %s", res.StatusCode, b)
		}
		if res, _ := h.do(ide, "PATCH", "/api/v1/posts/"+ann.Post.ID, `{"title":"Piraté"}`); res.StatusCode != http.StatusForbidden {
			t.Fatalf("member edits: %d", res.StatusCode)
		}
		res, b = h.do(coord, "PATCH", "/api/v1/posts/"+ann.Post.ID, `{"title":"Nouvelle permanence (mardi)"}`)
		if res.StatusCode != 200 || !strings.Contains(b, "(mardi)") {
			t.Fatalf("edit: %d %s", res.StatusCode, b)
		}
		tmp := h.publish(coord, `{`+ln+`,"kind":"announcement","title":"À supprimer"}`)
		if res, b := h.do(coord, "DELETE", "/api/v1/posts/"+tmp.Post.ID, ""); res.StatusCode != 204 {
			t.Fatalf("delete: %d %s", res.StatusCode, b)
		}
		if res, _ := h.do(ide, "GET", "/api/v1/posts/"+tmp.Post.ID, ""); res.StatusCode != 404 {
			t.Fatalf("deleted post read: %d", res.StatusCode)
		}
		// Its comments are closed.
		res, b = h.do(ide, "POST", "/api/v1/channels/"+tmp.Post.CommentsChannel+"/messages", `{"client_id":"`+uuid.NewString()+`","body":"trop tard"}`)
		if res.StatusCode != http.StatusConflict {
			t.Fatalf("comment on a deleted post: %d %s", res.StatusCode, b)
		}
	})

	t.Run("Comments", func(t *testing.T) {
		url := "/api/v1/channels/" + ev.Post.CommentsChannel + "/messages"
		res, b := h.do(kine, "POST", url, `{"client_id":"`+uuid.NewString()+`","body":"Je viendrai avec @sophie"}`)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("comment: %d %s", res.StatusCode, b)
		}
		if !strings.Contains(b, h.id("user:Sophie Garnier")) {
			t.Fatalf("the mention of a reader of the feed is not resolved: %s", b)
		}
		var hist []map[string]any
		_, b = h.do(ide, "GET", url, "")
		if err := json.Unmarshal([]byte(b), &struct {
			Messages *[]map[string]any `json:"messages"`
		}{&hist}); err != nil || len(hist) != 1 {
			t.Fatalf("comments read by another member: %s", b)
		}
		for _, u := range []string{url, "/api/v1/channels/" + ev.Post.CommentsChannel} {
			if res, _ := h.do(pharmVC, "GET", u, ""); res.StatusCode != 404 {
				t.Fatalf("VC reads the comments %s: %d", u, res.StatusCode)
			}
		}
		if res, _ := h.do(pharmVC, "POST", url, `{"client_id":"`+uuid.NewString()+`","body":"intrus"}`); res.StatusCode != 404 {
			t.Fatalf("VC comments: %d", res.StatusCode)
		}
		// Never in a channel list.
		_, b = h.do(kine, "GET", "/api/v1/channels", "")
		if strings.Contains(b, ev.Post.CommentsChannel) {
			t.Fatal("a comments channel is listed")
		}
	})

	t.Run("OtherCPTSIsNotFound", func(t *testing.T) {
		unknown := h.id("cpts:CPTS Loire Nord") + "-0000099999"
		_, want := h.do(pharmVC, "GET", "/api/v1/posts/"+unknown, "")
		for _, u := range []string{"/api/v1/posts/" + ev.Post.ID, "/api/v1/posts/" + ev.Post.ID + "/event.ics", "/api/v1/posts/" + ev.Post.ID + "/rsvps"} {
			res, b := h.do(pharmVC, "GET", u, "")
			if res.StatusCode != 404 || b != want {
				t.Fatalf("VC GET %s: %d %s (unknown: %s)", u, res.StatusCode, b, want)
			}
		}
		if res, b := h.do(pharmVC, "POST", "/api/v1/posts/"+ev.Post.ID+"/rsvp", `{"answer":"oui"}`); res.StatusCode != 404 {
			t.Fatalf("VC answers: %d %s", res.StatusCode, b)
		}
		if res, _ := h.do(pharmVC, "GET", feedURL, ""); res.StatusCode != 404 {
			t.Fatalf("VC reads LN's feed: %d", res.StatusCode)
		}
		if res, _ := h.do(pharmVC, "POST", "/api/v1/posts", `{`+ln+`,"kind":"announcement","title":"x"}`); res.StatusCode != 404 {
			t.Fatalf("VC publishes in LN: %d", res.StatusCode)
		}
		if res, _ := h.do(pharmVC, "GET", "/api/v1/posts/not-a-post", ""); res.StatusCode != 404 {
			t.Fatalf("malformed id: %d", res.StatusCode)
		}
	})

	t.Run("ICS", func(t *testing.T) {
		res, b := h.do(ide, "GET", "/api/v1/posts/"+ev.Post.ID+"/event.ics", "")
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/calendar") ||
			!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("ics: %d %v", res.StatusCode, res.Header)
		}
		want := "DTSTART;TZID=Europe/Paris:" + start.In(core.Paris).Format("20060102T150405")
		for _, s := range []string{"BEGIN:VCALENDAR", "BEGIN:VTIMEZONE", "TZID:Europe/Paris", "BEGIN:VEVENT", want, "SUMMARY:Soirée protocoles", "LOCATION:Maison de santé\\, Roanne", "UID:" + ev.Post.ID} {
			if !strings.Contains(b, s) {
				t.Fatalf("ics lacks %q:\n%s", s, b)
			}
		}
		res, b = h.do(ide, "GET", "/api/v1/posts/"+ann.Post.ID+"/event.ics", "")
		if res.StatusCode != 400 || errCode(t, b) != "not_an_event" {
			t.Fatalf("ics of an announcement: %d %s", res.StatusCode, b)
		}
	})

	t.Run("CalendarFeed", func(t *testing.T) {
		var info core.CalendarFeedView
		h.getJSON(ide, "/api/v1/me/calendar", &info)
		if info.Active {
			t.Fatal("a feed before any was created")
		}
		res, b := h.do(ide, "POST", "/api/v1/me/calendar", "")
		if res.StatusCode != 201 {
			t.Fatalf("create feed: %d %s", res.StatusCode, b)
		}
		if err := json.Unmarshal([]byte(b), &info); err != nil || info.Token == "" || !strings.HasPrefix(info.URL, "http://ecpts.test/api/v1/calendar/") {
			t.Fatalf("feed: %s", b)
		}
		res, b = h.do(session{}, "GET", "/api/v1/calendar/"+info.Token, "")
		if res.StatusCode != 200 || !strings.Contains(b, "UID:"+ev.Post.ID) || !strings.Contains(b, "TZID=Europe/Paris") {
			t.Fatalf("feed by token: %d %s", res.StatusCode, b)
		}
		// The token opens nothing else.
		bad := session{cookie: strings.TrimSuffix(info.Token, ".ics")}
		if res, _ := h.do(bad, "GET", "/api/v1/posts/"+ev.Post.ID, ""); res.StatusCode != 401 {
			t.Fatalf("the feed token as a session: %d", res.StatusCode)
		}
		if res, _ := h.do(session{}, "GET", "/api/v1/calendar/"+strings.Repeat("a", 43)+".ics", ""); res.StatusCode != 404 {
			t.Fatalf("unknown token: %d", res.StatusCode)
		}
		old := info.Token
		res, b = h.do(ide, "POST", "/api/v1/me/calendar", "")
		_ = json.Unmarshal([]byte(b), &info)
		if res.StatusCode != 201 || info.Token == old {
			t.Fatalf("rotate: %d %s", res.StatusCode, b)
		}
		if res, _ := h.do(session{}, "GET", "/api/v1/calendar/"+old, ""); res.StatusCode != 404 {
			t.Fatalf("the previous token still works: %d", res.StatusCode)
		}
		if res, _ := h.do(ide, "DELETE", "/api/v1/me/calendar", ""); res.StatusCode != 204 {
			t.Fatalf("revoke: %d", res.StatusCode)
		}
		if res, _ := h.do(session{}, "GET", "/api/v1/calendar/"+info.Token, ""); res.StatusCode != 404 {
			t.Fatalf("a revoked token still works: %d", res.StatusCode)
		}
		// VC's feed has no LN event.
		res, b = h.do(pharmVC, "POST", "/api/v1/me/calendar", "")
		_ = json.Unmarshal([]byte(b), &info)
		if _, b := h.do(session{}, "GET", "/api/v1/calendar/"+info.Token, ""); strings.Contains(b, ev.Post.ID) {
			t.Fatal("VC's calendar lists an LN event")
		}
	})
}

func TestFeedBadInput(t *testing.T) {
	h := newHarness(t)
	coord, ide := h.login("coordination@loire-nord.demo"), h.login("infirmiere@loire-nord.demo")
	ln := `"cpts_id":"` + h.id("cpts:CPTS Loire Nord") + `"`
	soon := time.Now().Add(48 * time.Hour)
	for _, c := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"event in the past", eventBody(ln, time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour), 0, ""), 400, "event_in_past"},
		{"ends before it starts", eventBody(ln, soon, soon.Add(-time.Hour), 0, ""), 400, "event_ends_before_start"},
		{"ends when it starts", eventBody(ln, soon, soon, 0, ""), 400, "event_ends_before_start"},
		{"deadline after the end", eventBody(ln, soon, soon.Add(time.Hour), 0, `,"signup_deadline":"`+parisTime(soon.Add(2*time.Hour))+`"`), 400, "invalid_signup_deadline"},
		{"negative capacity", eventBody(ln, soon, soon.Add(time.Hour), -1, ""), 400, "invalid_capacity"},
		{"not a date", `{` + ln + `,"kind":"event","title":"x","event":{"starts_at":"demain","ends_at":"après","place":"ici"}}`, 400, "invalid_date"},
		{"no place nor visio", `{` + ln + `,"kind":"event","title":"x","event":{"starts_at":"` + parisTime(soon) + `","ends_at":"` + parisTime(soon.Add(time.Hour)) + `"}}`, 400, "event_place_required"},
		{"visio not https", `{` + ln + `,"kind":"event","title":"x","event":{"starts_at":"` + parisTime(soon) + `","ends_at":"` + parisTime(soon.Add(time.Hour)) + `","visio_url":"javascript:alert(1)"}}`, 400, "invalid_visio_url"},
		{"event without details", `{` + ln + `,"kind":"event","title":"x"}`, 400, "event_required"},
		{"no title", `{` + ln + `,"kind":"announcement","title":"  "}`, 400, "title_empty"},
		{"unknown kind", `{` + ln + `,"kind":"sondage","title":"x"}`, 400, "invalid_kind"},
		{"no feed", `{"kind":"announcement","title":"x"}`, 400, "invalid_feed"},
		{"two feeds", `{` + ln + `,"group_id":"` + h.id("group:Prévention chutes") + `","kind":"announcement","title":"x"}`, 400, "invalid_feed"},
		{"unknown field", `{` + ln + `,"kind":"announcement","title":"x","author_id":"aaaaaaaaaaaaaaaaaaaaaaaa"}`, 400, ""},
	} {
		res, b := h.do(coord, "POST", "/api/v1/posts", c.body)
		if res.StatusCode != c.status || c.code != "" && errCode(t, b) != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, res.StatusCode, b, c.status, c.code)
		}
	}
	if res, b := h.do(ide, "POST", "/api/v1/posts", `{`+ln+`,"kind":"announcement","title":"x"}`); res.StatusCode != 403 {
		t.Errorf("a member publishes: %d %s", res.StatusCode, b)
	}
	// The group's feed: its coordinators publish, its members read.
	grp := `"group_id":"` + h.id("group:Prévention chutes") + `"`
	gp := h.publish(coord, eventBody(grp, soon, soon.Add(time.Hour), 0, ""))
	if res, b := h.do(ide, "POST", "/api/v1/posts/"+gp.Post.ID+"/rsvp", `{"answer":"peut_etre"}`); res.StatusCode != 200 {
		t.Errorf("group member answers: %d %s", res.StatusCode, b)
	}
	if res, _ := h.do(h.login("pharmacien@val-de-cher.demo"), "GET", "/api/v1/posts/"+gp.Post.ID, ""); res.StatusCode != 404 {
		t.Errorf("outsider reads the group's post: %d", res.StatusCode)
	}
	if res, b := h.do(ide, "GET", "/api/v1/posts?cpts_id="+h.id("cpts:CPTS Loire Nord")+"&limit=abc", ""); res.StatusCode != 400 || errCode(t, b) != "invalid_limit" {
		t.Errorf("bad limit: %d %s", res.StatusCode, b)
	}
	if res, b := h.do(ide, "GET", "/api/v1/posts", ""); res.StatusCode != 400 || errCode(t, b) != "invalid_feed" {
		t.Errorf("no feed: %d %s", res.StatusCode, b)
	}
}

func TestRSVP(t *testing.T) {
	h := newHarness(t)
	coord := h.login("coordination@loire-nord.demo")
	ide, kine := h.login("infirmiere@loire-nord.demo"), h.login("kine@loire-nord.demo")
	sf, ortho := h.login("sage-femme@loire-nord.demo"), h.login("orthophoniste@loire-nord.demo")
	ln := `"cpts_id":"` + h.id("cpts:CPTS Loire Nord") + `"`
	start := time.Now().Add(72 * time.Hour)
	deadline := time.Now().Add(24 * time.Hour)
	ev := h.publish(coord, eventBody(ln, start, start.Add(2*time.Hour), 2, `,"signup_deadline":"`+parisTime(deadline)+`"`))
	rsvp := func(s session, answer string) (int, string) {
		res, b := h.do(s, "POST", "/api/v1/posts/"+ev.Post.ID+"/rsvp", `{"answer":"`+answer+`"}`)
		return res.StatusCode, b
	}
	if st, b := rsvp(ide, "oui"); st != 200 || !strings.Contains(b, `"oui":1`) || !strings.Contains(b, `"seats_left":1`) {
		t.Fatalf("first oui: %d %s", st, b)
	}
	if st, b := rsvp(ide, "oui"); st != 200 || !strings.Contains(b, `"oui":1`) {
		t.Fatalf("oui again keeps the seat: %d %s", st, b)
	}
	if st, b := rsvp(ortho, "non"); st != 200 || !strings.Contains(b, `"non":1`) {
		t.Fatalf("non: %d %s", st, b)
	}
	if st, b := rsvp(ortho, "bof"); st != 400 || errCode(t, b) != "invalid_answer" {
		t.Fatalf("bad answer: %d %s", st, b)
	}

	t.Run("RaceForTheLastSeat", func(t *testing.T) {
		var wg sync.WaitGroup
		status := make([]int, 2)
		bodies := make([]string, 2)
		for i, s := range []session{kine, sf} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status[i], bodies[i] = rsvp(s, "oui")
			}()
		}
		wg.Wait()
		ok, full := 0, 0
		for i, st := range status {
			switch {
			case st == 200:
				ok++
			case st == 409 && errCode(t, bodies[i]) == "event_full":
				full++
			default:
				t.Fatalf("racer %d: %d %s", i, st, bodies[i])
			}
		}
		if ok != 1 || full != 1 {
			t.Fatalf("two racers for the last seat: %d got it, %d refused (%v)", ok, full, bodies)
		}
		var p postOut
		h.getJSON(coord, "/api/v1/posts/"+ev.Post.ID, &p)
		if p.Post.RSVP == nil || p.Post.RSVP.Yes != 2 || p.Post.SeatsLeft == nil || *p.Post.SeatsLeft != 0 {
			t.Fatalf("after the race: %+v", p.Post)
		}
		// A seat freed is taken again.
		if st, b := rsvp(ide, "peut_etre"); st != 200 || !strings.Contains(b, `"seats_left":1`) {
			t.Fatalf("ide frees her seat: %d %s", st, b)
		}
		loser := sf
		if status[1] == 200 {
			loser = kine
		}
		if st, b := rsvp(loser, "oui"); st != 200 {
			t.Fatalf("the freed seat: %d %s", st, b)
		}
	})

	t.Run("OrganiserList", func(t *testing.T) {
		var list core.RSVPList
		h.getJSON(coord, "/api/v1/posts/"+ev.Post.ID+"/rsvps", &list)
		if list.Counts.Yes != 2 || list.Counts.Maybe != 1 || list.Counts.No != 1 || len(list.Professions) != 4 {
			t.Fatalf("list: %+v", list)
		}
		for _, pr := range list.Professions {
			for _, e := range pr.Entries {
				if e.Profession != pr.Profession {
					t.Fatalf("%s listed under %s", e.Name, pr.Label)
				}
			}
		}
		if res, b := h.do(ide, "GET", "/api/v1/posts/"+ev.Post.ID+"/rsvps", ""); res.StatusCode != 403 {
			t.Fatalf("a member reads the list: %d %s", res.StatusCode, b)
		}
		res, b := h.do(coord, "GET", "/api/v1/posts/"+ev.Post.ID+"/rsvps.csv", "")
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("csv: %d %v", res.StatusCode, res.Header)
		}
		lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(b, "\ufeff")), "\n")
		if len(lines) != 5 || !strings.HasPrefix(lines[0], "Nom;Profession;Commune;RPPS;ADELI;Réponse") || !strings.Contains(b, "Sophie Garnier;Infirmier·ère") {
			t.Fatalf("csv:\n%s", b)
		}
		if res, _ := h.do(kine, "GET", "/api/v1/posts/"+ev.Post.ID+"/rsvps.csv", ""); res.StatusCode != 403 {
			t.Fatalf("a member exports: %d", res.StatusCode)
		}
	})

	t.Run("Deadline", func(t *testing.T) {
		h.advance(25 * time.Hour)
		if st, b := rsvp(ortho, "oui"); st != 409 || errCode(t, b) != "rsvp_closed" {
			t.Fatalf("after the deadline: %d %s", st, b)
		}
		h.advance(72 * time.Hour)
		if st, b := rsvp(ortho, "non"); st != 409 || errCode(t, b) != "event_over" {
			t.Fatalf("after the end: %d %s", st, b)
		}
	})
}
