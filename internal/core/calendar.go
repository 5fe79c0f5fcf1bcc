package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	ical "github.com/arran4/golang-ical"

	"github.com/ecpts/ecpts/internal/auth"
	"github.com/ecpts/ecpts/internal/model"
)

// Calendar files: the .ics of one event, and each user's private calendar
// feed (a secret URL that Outlook, Google or Apple Calendar poll), written
// with github.com/arran4/golang-ical. Times carry TZID=Europe/Paris with
// the zone's VTIMEZONE, so calendars show the hour the coordinator typed.

// CalendarFeedView tells a user about their calendar feed. URL (and
// Token) are given once, when the feed is (re)created: only the token's
// hash is stored.
type CalendarFeedView struct {
	Active bool       `json:"active"`
	Since  *time.Time `json:"since,omitempty"`
	Token  string     `json:"token,omitempty"`
	URL    string     `json:"url,omitempty"`
}

var errCalendarNotFound = notFound("Ce calendrier est introuvable (lien révoqué ?).")

// calendarPath is where a feed is served, under the public address.
const calendarPath = "/api/v1/calendar/"

const parisTZID = "Europe/Paris"

func newCalendar(name string) *ical.Calendar {
	cal := ical.NewCalendarFor("e-CPTS")
	cal.SetMethod(ical.MethodPublish)
	cal.SetProductId("-//e-CPTS//Fil des CPTS//FR")
	if name != "" {
		cal.SetName(name)
		cal.SetXWRCalName(name)
	}
	cal.SetXWRTimezone(parisTZID)
	addParisZone(cal)
	return cal
}

// addParisZone writes the VTIMEZONE of Europe/Paris (the EU rules since
// 1996: summer time from the last Sunday of March, 02:00, to the last
// Sunday of October, 03:00).
func addParisZone(cal *ical.Calendar) {
	tz := cal.AddTimezone(parisTZID)
	std := tz.AddStandard()
	std.SetProperty(ical.ComponentProperty(ical.PropertyDtstart), "19961027T030000")
	std.SetProperty(ical.ComponentProperty(ical.PropertyTzoffsetfrom), "+0200")
	std.SetProperty(ical.ComponentProperty(ical.PropertyTzoffsetto), "+0100")
	std.SetProperty(ical.ComponentProperty(ical.PropertyTzname), "CET")
	std.SetProperty(ical.ComponentProperty(ical.PropertyRrule), "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU")
	day := &ical.Daylight{}
	day.SetProperty(ical.ComponentProperty(ical.PropertyDtstart), "19810329T020000")
	day.SetProperty(ical.ComponentProperty(ical.PropertyTzoffsetfrom), "+0100")
	day.SetProperty(ical.ComponentProperty(ical.PropertyTzoffsetto), "+0200")
	day.SetProperty(ical.ComponentProperty(ical.PropertyTzname), "CEST")
	day.SetProperty(ical.ComponentProperty(ical.PropertyRrule), "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU")
	tz.Components = append(tz.Components, day)
}

// addEvent writes p (an event) into cal; link is the post's page.
func addEvent(cal *ical.Calendar, p model.Post, feedName, link string, stamp time.Time) {
	e := cal.AddEvent(string(p.ID) + "@e-cpts")
	e.SetDtStampTime(stamp)
	paris := ical.WithTZID(parisTZID)
	e.SetProperty(ical.ComponentPropertyDtStart, p.Event.StartsAt.In(Paris).Format("20060102T150405"), paris)
	e.SetProperty(ical.ComponentPropertyDtEnd, p.Event.EndsAt.In(Paris).Format("20060102T150405"), paris)
	e.SetSummary(p.Title)
	if p.EditedAt != nil {
		e.SetModifiedAt(*p.EditedAt)
	}
	e.SetCreatedTime(p.CreatedAt)
	loc := p.Event.Place
	if loc == "" {
		loc = p.Event.VisioURL
	}
	e.SetLocation(loc)
	var desc []string
	if feedName != "" {
		desc = append(desc, feedName)
	}
	if p.Text != "" {
		desc = append(desc, p.Text)
	}
	if p.Event.VisioURL != "" {
		desc = append(desc, "Visio : "+p.Event.VisioURL)
	}
	if link != "" {
		desc = append(desc, link)
		e.SetURL(link)
	}
	e.SetDescription(strings.Join(desc, "\n\n"))
	e.SetStatus(ical.ObjectStatusConfirmed)
}

// postLink is the page of a post in the web app (empty without a public
// address).
func (c *Core) postLink(id model.PostID) string {
	if c.mail.public == "" {
		return ""
	}
	return strings.TrimRight(c.mail.public, "/") + "/publications/" + string(id)
}

// feedName names the CPTS or group of a feed.
func (c *Core) feedName(ctx context.Context, scope model.FeedScope) string {
	if scope.GroupID != "" {
		if g, err := c.st.Groups.ByID(ctx, scope.GroupID); err == nil {
			return g.Name
		}
		return ""
	}
	if x, err := c.st.CPTS.ByID(ctx, scope.CPTSID); err == nil {
		return x.Name
	}
	return ""
}

// EventICS returns the .ics of an event the actor reads, and a file name.
func (c *Core) EventICS(ctx context.Context, s model.Session, id model.PostID) ([]byte, string, error) {
	_, p, _, err := c.livePost(ctx, s, id)
	if err != nil {
		return nil, "", err
	}
	if p.Kind != model.PostEvent || p.Event == nil {
		return nil, "", errNotAnEvent
	}
	cal := newCalendar("")
	addEvent(cal, p, c.feedName(ctx, p.Scope()), c.postLink(p.ID), c.now())
	return []byte(cal.Serialize()), "evenement-" + p.Event.StartsAt.In(Paris).Format("2006-01-02") + ".ics", nil
}

// CalendarFeed tells whether the user has a calendar feed, since when.
func (c *Core) CalendarFeed(ctx context.Context, s model.Session) (CalendarFeedView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return CalendarFeedView{}, err
	}
	at, ok, err := c.st.CalendarTokens.Since(ctx, a.ID())
	if err != nil || !ok {
		return CalendarFeedView{}, err
	}
	return CalendarFeedView{Active: true, Since: &at}, nil
}

// RotateCalendarFeed gives the user a new feed URL, revoking the previous
// one. The URL is shown this once.
func (c *Core) RotateCalendarFeed(ctx context.Context, s model.Session) (CalendarFeedView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return CalendarFeedView{}, err
	}
	if !c.limits.changes.Allow(ctx, string(a.ID())) {
		return CalendarFeedView{}, errChangeFlood
	}
	token := auth.NewToken()
	now := c.now().UTC().Truncate(time.Millisecond)
	if err := c.st.CalendarTokens.Rotate(ctx, a.ID(), auth.HashToken(token), now); err != nil {
		if errors.Is(err, model.ErrConflict) {
			return CalendarFeedView{}, model.Coded(model.ErrConflict, "conflict", "Un autre lien vient d'être créé : recommencez.")
		}
		return CalendarFeedView{}, err
	}
	c.log.Info("audit: calendar feed created", "actor_id", a.ID())
	v := CalendarFeedView{Active: true, Since: &now, Token: token + ".ics"}
	if c.mail.public != "" {
		v.URL = strings.TrimRight(c.mail.public, "/") + calendarPath + v.Token
	}
	return v, nil
}

// RevokeCalendarFeed revokes the user's feed URL.
func (c *Core) RevokeCalendarFeed(ctx context.Context, s model.Session) error {
	a, err := c.actor(ctx, s)
	if err != nil {
		return err
	}
	if err := c.st.CalendarTokens.Revoke(ctx, a.ID()); err != nil {
		return err
	}
	c.log.Info("audit: calendar feed revoked", "actor_id", a.ID())
	return nil
}

// calendarFeedWindow: the feed lists the events that ended at most this
// long ago, and every one to come.
const calendarFeedWindow = 60 * 24 * time.Hour

// CalendarByToken serves a calendar feed: the token alone authorises
// this one feed, the events its user reads now (memberships are checked
// at every poll).
func (c *Core) CalendarByToken(ctx context.Context, token string) ([]byte, error) {
	token = strings.TrimSuffix(token, ".ics")
	if token == "" || len(token) > 200 {
		return nil, errCalendarNotFound
	}
	user, err := c.st.CalendarTokens.UserOf(ctx, auth.HashToken(token))
	if isNotFound(err) {
		return nil, errCalendarNotFound
	}
	if err != nil {
		return nil, err
	}
	a, err := c.actorOf(ctx, user)
	if isNotFound(err) {
		return nil, errCalendarNotFound
	}
	if err != nil {
		return nil, err
	}
	scopes, err := c.feedScopes(ctx, a)
	if err != nil {
		return nil, err
	}
	now := c.now()
	events, err := c.st.Posts.Upcoming(ctx, scopes, now.Add(-calendarFeedWindow), 500)
	if err != nil {
		return nil, fmt.Errorf("core: calendar of %s: %w", user, err)
	}
	cal := newCalendar("e-CPTS — " + a.User.Name)
	cal.SetRefreshInterval("PT1H")
	names := map[model.FeedScope]string{}
	for _, p := range events {
		sc := p.Scope()
		if _, ok := names[sc]; !ok {
			names[sc] = c.feedName(ctx, sc)
		}
		addEvent(cal, p, names[sc], c.postLink(p.ID), now)
	}
	return []byte(cal.Serialize()), nil
}
