package core

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris on hosts without a zoneinfo database
	"unicode/utf8"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

// The feed of each CPTS and group: announcements and events, pinned posts,
// reactions, RSVP with a capacity and a sign-up deadline, comments (the
// messages of the post's own channel, of kind comments, so they have the
// composer, mentions, threads and live updates of chat). Who may do what
// is decided in policy.go (CanSeeFeed, CanPublishIn, CanManagePost…).

// Paris is the time zone of every date a user types or reads.
var Paris = mustParis()

func mustParis() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic("core: no Europe/Paris time zone (import time/tzdata): " + err.Error())
	}
	return loc
}

const (
	maxPostTitle = 200
	maxPostBody  = 20000
	maxPlace     = 300
	maxCapacity  = 100000
)

var (
	errPostNotFound  = notFound("Cette publication est introuvable.")
	errFeedNotFound  = notFound("Ce fil est introuvable.")
	errNotPublisher  = model.Coded(model.ErrForbidden, "forbidden", "Seule la coordination publie dans ce fil.")
	errEventFull     = model.Coded(model.ErrConflict, "event_full", "Cet événement est complet : il ne reste plus de place.")
	errRSVPClosed    = model.Coded(model.ErrConflict, "rsvp_closed", "Les inscriptions à cet événement sont closes.")
	errEventOver     = model.Coded(model.ErrConflict, "event_over", "Cet événement est terminé.")
	errNotAnEvent    = model.Invalid("post_id", "not_an_event", "Cette publication n'est pas un événement.")
	errRSVPListPrivy = model.Coded(model.ErrForbidden, "forbidden", "Seuls l'organisateur et la coordination voient la liste des inscrits.")
)

// FeedPublisher is what a Publisher may add to reach the readers of a
// feed (cmd/ecpts's does, through the realtime hub): frames for a list of
// users, built by the realtime package. Without it the feed is not live.
type FeedPublisher interface {
	// PublishPost sends a new or changed post to the users' connections.
	PublishPost(ctx context.Context, users []model.UserID, created bool, post PostView) error
	// PublishRSVPCounts sends the answer counts of an event.
	PublishRSVPCounts(ctx context.Context, users []model.UserID, post model.PostID, counts model.RSVPCounts) error
}

// EventInput is what a coordinator types for an event. Dates are either
// RFC 3339 instants or Europe/Paris wall-clock times "2026-12-10T18:30"
// (an HTML datetime-local input).
type EventInput struct {
	StartsAt       string `json:"starts_at"`
	EndsAt         string `json:"ends_at"`
	Place          string `json:"place,omitempty"`
	VisioURL       string `json:"visio_url,omitempty"`
	Capacity       int    `json:"capacity,omitempty"`
	SignupDeadline string `json:"signup_deadline,omitempty"`
}

// PostInput publishes a post in the feed of a CPTS or of a group.
type PostInput struct {
	CPTSID  model.CPTSID   `json:"cpts_id,omitempty"`
	GroupID model.GroupID  `json:"group_id,omitempty"`
	Kind    model.PostKind `json:"kind"`
	Title   string         `json:"title"`
	Body    string         `json:"body,omitempty"`
	Event   *EventInput    `json:"event,omitempty"`
	// FileIDs are the author's own uploads to this CPTS or group
	// (POST /api/v1/files with cpts_id or group_id) to attach, in order.
	FileIDs []model.FileID `json:"file_ids,omitempty"`
}

// PostPatch edits a post: the fields given replace the stored ones.
type PostPatch struct {
	Title *string     `json:"title,omitempty"`
	Body  *string     `json:"body,omitempty"`
	Event *EventInput `json:"event,omitempty"`
}

// PostView is a post as a reader sees it.
type PostView struct {
	ID              model.PostID     `json:"id"`
	Seq             uint64           `json:"seq"`
	CPTSID          model.CPTSID     `json:"cpts_id,omitempty"`
	GroupID         model.GroupID    `json:"group_id,omitempty"`
	Kind            model.PostKind   `json:"kind"`
	Title           string           `json:"title"`
	Body            string           `json:"body"`
	HTML            string           `json:"html"`
	AuthorID        model.UserID     `json:"author_id"`
	Author          *AuthorView      `json:"author,omitempty"`
	Event           *model.EventInfo `json:"event,omitempty"`
	CommentsChannel model.ChannelID  `json:"comments_channel_id"`
	CreatedAt       time.Time        `json:"created_at"`
	EditedAt        *time.Time       `json:"edited_at,omitempty"`
	Pinned          bool             `json:"pinned"`
	Deleted         bool             `json:"deleted"`
	Reactions       []ReactionView   `json:"reactions"`
	Files           []FileView       `json:"files"`
	// RSVP: the counts of an event (nil otherwise); Seats left when it
	// has a capacity.
	RSVP      *model.RSVPCounts `json:"rsvp,omitempty"`
	SeatsLeft *int              `json:"seats_left,omitempty"`
	// RSVPOpen: an answer is still taken (not over, deadline not past).
	RSVPOpen bool `json:"rsvp_open"`
	// What the viewer may do, and their own answer (not sent live).
	MyRSVP      model.RSVPAnswer `json:"my_rsvp,omitempty"`
	CanManage   bool             `json:"can_manage"`
	CanSeeRSVPs bool             `json:"can_see_rsvps"`
}

// FeedPageView is a page of a feed: pinned posts first (first page only),
// then the others, newest first.
type FeedPageView struct {
	Pinned []PostView `json:"pinned" openapi:"nonnull"`
	Posts  []PostView `json:"posts" openapi:"nonnull"`
	// Next is the before of the next page; 0 on the last one.
	Next       uint64 `json:"next"`
	CanPublish bool   `json:"can_publish"`
}

// FeedUnread is the unread count of one feed the user reads.
type FeedUnread struct {
	CPTSID  model.CPTSID  `json:"cpts_id,omitempty"`
	GroupID model.GroupID `json:"group_id,omitempty"`
	LastSeq uint64        `json:"last_seq"`
	Unread  int           `json:"unread"`
}

// RSVPState is the answer of the caller and the counts after an answer.
type RSVPState struct {
	Answer    model.RSVPAnswer `json:"answer"`
	Counts    model.RSVPCounts `json:"counts"`
	SeatsLeft *int             `json:"seats_left,omitempty"`
}

// RSVPEntry is one line of the organiser's list.
type RSVPEntry struct {
	UserID          model.UserID     `json:"user_id"`
	Name            string           `json:"name"`
	Profession      model.Profession `json:"profession"`
	ProfessionLabel string           `json:"profession_label"`
	Commune         string           `json:"commune,omitempty"`
	RPPS            string           `json:"rpps,omitempty"`
	ADELI           string           `json:"adeli,omitempty"`
	Answer          model.RSVPAnswer `json:"answer"`
	At              time.Time        `json:"at"`
}

// RSVPProfession groups the answers of one profession.
type RSVPProfession struct {
	Profession model.Profession `json:"profession"`
	Label      string           `json:"label"`
	Counts     model.RSVPCounts `json:"counts"`
	Entries    []RSVPEntry      `json:"entries" openapi:"nonnull"`
}

// RSVPList is the organiser's list, by profession (most "oui" first).
type RSVPList struct {
	Title       string           `json:"title"`
	Counts      model.RSVPCounts `json:"counts"`
	Professions []RSVPProfession `json:"professions" openapi:"nonnull"`
}

// parseWhen reads a date of the form: an RFC 3339 instant, or a
// Europe/Paris wall-clock time (minutes or seconds).
func parseWhen(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Truncate(time.Millisecond), nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, Paris); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, model.Invalid(field, "invalid_date", "Date ou heure non valide (attendu : 2026-12-10T18:30, heure de Paris).")
}

// eventInfo checks an event's input against now: it starts in the future,
// ends after it starts, has a place or a visio link (https), a capacity
// (0: unlimited) and a sign-up deadline before its end, not yet past.
// keepStart: an edit that does not move the start of an event already
// begun is accepted.
func eventInfo(in *EventInput, now time.Time, keepStart *time.Time) (*model.EventInfo, error) {
	if in == nil {
		return nil, model.Invalid("event", "event_required", "Un événement a une date, une heure et un lieu.")
	}
	start, err := parseWhen("event.starts_at", in.StartsAt)
	if err != nil {
		return nil, err
	}
	end, err := parseWhen("event.ends_at", in.EndsAt)
	if err != nil {
		return nil, err
	}
	if start.Before(now) && (keepStart == nil || !start.Equal(*keepStart)) {
		return nil, model.Invalid("event.starts_at", "event_in_past", "Cet événement commencerait dans le passé : choisissez une date à venir.")
	}
	if !end.After(start) {
		return nil, model.Invalid("event.ends_at", "event_ends_before_start", "La fin de l'événement doit suivre son début.")
	}
	if end.Sub(start) > 31*24*time.Hour {
		return nil, model.Invalid("event.ends_at", "event_too_long", "Un événement dure au plus 31 jours.")
	}
	e := &model.EventInfo{StartsAt: start, EndsAt: end, Place: strings.TrimSpace(in.Place), VisioURL: strings.TrimSpace(in.VisioURL), Capacity: in.Capacity}
	if !utf8.ValidString(e.Place) || utf8.RuneCountInString(e.Place) > maxPlace {
		return nil, model.Invalid("event.place", "invalid_place", "Le lieu est trop long (300 caractères au plus).")
	}
	if e.VisioURL != "" {
		u, err := url.Parse(e.VisioURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || len(e.VisioURL) > 500 {
			return nil, model.Invalid("event.visio_url", "invalid_visio_url", "Le lien de visio doit être une adresse https://.")
		}
	}
	if e.Place == "" && e.VisioURL == "" {
		return nil, model.Invalid("event.place", "event_place_required", "Indiquez un lieu ou un lien de visio.")
	}
	if e.Capacity < 0 || e.Capacity > maxCapacity {
		return nil, model.Invalid("event.capacity", "invalid_capacity", "La capacité est un nombre de places de 0 (illimité) à 100 000.")
	}
	if strings.TrimSpace(in.SignupDeadline) != "" {
		d, err := parseWhen("event.signup_deadline", in.SignupDeadline)
		if err != nil {
			return nil, err
		}
		if d.After(end) {
			return nil, model.Invalid("event.signup_deadline", "invalid_signup_deadline", "La date limite d'inscription doit précéder la fin de l'événement.")
		}
		if d.Before(now) && (keepStart == nil) {
			return nil, model.Invalid("event.signup_deadline", "signup_deadline_past", "La date limite d'inscription est déjà passée.")
		}
		e.SignupDeadline = &d
	}
	return e, nil
}

func postText(title, body string) (string, string, error) {
	title = strings.TrimSpace(title)
	switch {
	case title == "":
		return "", "", model.Invalid("title", "title_empty", "Donnez un titre à la publication.")
	case !utf8.ValidString(title) || strings.ContainsAny(title, "\r\n"):
		return "", "", model.Invalid("title", "invalid_title", "Le titre tient sur une ligne de texte.")
	case utf8.RuneCountInString(title) > maxPostTitle:
		return "", "", model.Invalid("title", "title_too_long", "Le titre est trop long (200 caractères au plus).")
	}
	body = strings.TrimSpace(body)
	switch {
	case !utf8.ValidString(body):
		return "", "", model.Invalid("body", "invalid_text", "Le texte contient des caractères non valides.")
	case utf8.RuneCountInString(body) > maxPostBody:
		return "", "", model.Invalid("body", "body_too_long", "Le texte est trop long (20 000 caractères au plus).")
	}
	return title, body, nil
}

// feed checks the scope and loads its group: a feed the actor does not
// read is not found, like an unknown one.
func (c *Core) feed(ctx context.Context, a *Actor, scope model.FeedScope) (*model.Group, error) {
	if !scope.Valid() {
		return nil, model.Invalid("cpts_id", "invalid_feed", "Indiquez une CPTS ou un groupe (l'un des deux).")
	}
	var g *model.Group
	if scope.GroupID != "" {
		gg, err := c.st.Groups.ByID(ctx, scope.GroupID)
		if isNotFound(err) {
			return nil, errFeedNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("core: feed %s: %w", scope, err)
		}
		g = &gg
	}
	if !a.CanSeeFeed(scope, g) {
		return nil, errFeedNotFound
	}
	return g, nil
}

// post loads a post the actor may read (deleted ones too: the caller
// decides), with its group. A post of a feed they do not read is not
// found.
func (c *Core) post(ctx context.Context, a *Actor, id model.PostID) (model.Post, *model.Group, error) {
	if !id.Valid() {
		return model.Post{}, nil, errPostNotFound
	}
	ps, err := c.st.Posts.ByIDs(ctx, []model.PostID{id})
	if err != nil {
		return model.Post{}, nil, fmt.Errorf("core: post %s: %w", id, err)
	}
	if len(ps) == 0 {
		return model.Post{}, nil, errPostNotFound
	}
	p := ps[0]
	g, err := c.feed(ctx, a, p.Scope())
	if err != nil {
		return model.Post{}, nil, errPostNotFound
	}
	return p, g, nil
}

// livePost is post, refusing a deleted one.
func (c *Core) livePost(ctx context.Context, s model.Session, id model.PostID) (*Actor, model.Post, *model.Group, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, model.Post{}, nil, err
	}
	p, g, err := c.post(ctx, a, id)
	if err == nil && p.Deleted() {
		err = errPostNotFound
	}
	return a, p, g, err
}

// postViews builds the views of posts for the actor (nil: as sent live,
// without per-viewer fields).
func (c *Core) postViews(ctx context.Context, a *Actor, g *model.Group, posts []model.Post) ([]PostView, error) {
	out := make([]PostView, len(posts))
	if len(posts) == 0 {
		return out, nil
	}
	ids := make([]model.PostID, 0, len(posts))
	var events []model.PostID
	authors := make([]model.UserID, 0, len(posts))
	for _, p := range posts {
		ids = append(ids, p.ID)
		authors = append(authors, p.AuthorID)
		if p.Kind == model.PostEvent && !p.Deleted() {
			events = append(events, p.ID)
		}
	}
	users, err := c.usersByID(ctx, authors)
	if err != nil {
		return nil, fmt.Errorf("core: post authors: %w", err)
	}
	var fileIDs []model.FileID
	for _, p := range posts {
		fileIDs = append(fileIDs, p.Files...)
	}
	files, err := c.filesOf(ctx, fileIDs)
	if err != nil {
		return nil, err
	}
	reactions, err := c.st.PostReactions.ByPosts(ctx, ids)
	if err != nil {
		return nil, err
	}
	counts, err := c.st.RSVPs.Counts(ctx, events)
	if err != nil {
		return nil, err
	}
	var mine map[model.PostID]model.RSVP
	if a != nil && len(events) > 0 {
		if mine, err = c.st.RSVPs.Mine(ctx, a.ID(), events); err != nil {
			return nil, err
		}
	}
	now := c.now()
	for i, p := range posts {
		v := PostView{
			ID: p.ID, Seq: p.Seq, CPTSID: p.CPTSID, GroupID: p.GroupID, Kind: p.Kind, Title: p.Title, Body: p.Body,
			HTML: p.HTML, AuthorID: p.AuthorID, Event: p.Event, CommentsChannel: p.CommentsChannel,
			CreatedAt: p.CreatedAt, EditedAt: p.EditedAt, Pinned: p.Pinned, Deleted: p.Deleted(), Reactions: []ReactionView{},
			Files: []FileView{},
		}
		for _, id := range p.Files {
			if f, ok := files[id]; ok {
				v.Files = append(v.Files, f)
			}
		}
		if u, ok := users[p.AuthorID]; ok {
			author := authorView(u)
			v.Author = &author
		}
		for _, r := range reactions[p.ID] {
			v.Reactions = append(v.Reactions, ReactionView{Emoji: r.Emoji, Count: len(r.Users), Users: r.Users})
		}
		if p.Kind == model.PostEvent && p.Event != nil && !p.Deleted() {
			cn := counts[p.ID]
			v.RSVP = &cn
			v.SeatsLeft = seatsLeft(p, cn)
			v.RSVPOpen = rsvpRefusal(p, now) == nil
		}
		if a != nil {
			v.MyRSVP = mine[p.ID].Answer
			v.CanManage = a.CanManagePost(p, g)
			v.CanSeeRSVPs = a.CanSeeRSVPList(p, g)
		}
		out[i] = v
	}
	return out, nil
}

func seatsLeft(p model.Post, cn model.RSVPCounts) *int {
	if p.Event == nil || p.Event.Capacity == 0 {
		return nil
	}
	n := max(p.Event.Capacity-cn.Yes, 0)
	return &n
}

// rsvpRefusal: why an event takes no more answers (nil: it does).
func rsvpRefusal(p model.Post, now time.Time) error {
	switch {
	case p.Kind != model.PostEvent || p.Event == nil:
		return errNotAnEvent
	case now.After(p.Event.EndsAt):
		return errEventOver
	case p.Event.SignupDeadline != nil && now.After(*p.Event.SignupDeadline):
		return errRSVPClosed
	}
	return nil
}

// feedAudience lists the users who read the feed (to reach them live).
func (c *Core) feedAudience(ctx context.Context, scope model.FeedScope, g *model.Group) ([]model.UserID, error) {
	if scope.GroupID == "" {
		return c.readers(ctx, scope.CPTSID, "")
	}
	if g == nil {
		return nil, nil
	}
	return c.readers(ctx, "", g.ID)
}

// publishPost reaches the feed's readers with p (after it is stored). The
// hub sends it to every connection of these users; clients re-read their
// own view when they need the per-viewer fields. A group member's
// connections get it only if CanSeeFeed holds when they read it again.
func (c *Core) publishPost(ctx context.Context, g *model.Group, p model.Post, created bool) {
	fp, ok := c.pub.(FeedPublisher)
	if !ok || c.pub == nil {
		return
	}
	users, err := c.feedAudience(ctx, p.Scope(), g)
	if err != nil {
		c.log.Warn("feed audience", "feed", p.Scope().Key(), "err", err)
		return
	}
	vs, err := c.postViews(ctx, nil, g, []model.Post{p})
	if err != nil {
		c.log.Warn("post view", "post_id", p.ID, "err", err)
		return
	}
	if err := fp.PublishPost(ctx, users, created, vs[0]); err != nil {
		c.log.Warn("publish post", "post_id", p.ID, "err", err)
	}
}

// ListFeed returns a page of the feed (before 0: the first page, with the
// pinned posts; limit 1..100, default 20). Reading the first page marks
// the feed read.
func (c *Core) ListFeed(ctx context.Context, s model.Session, scope model.FeedScope, before uint64, limit int) (FeedPageView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return FeedPageView{}, err
	}
	g, err := c.feed(ctx, a, scope)
	if err != nil {
		return FeedPageView{}, err
	}
	if limit < 0 || limit > 100 {
		return FeedPageView{}, model.Invalid("limit", "invalid_limit", "La page compte au plus 100 publications.")
	}
	page, err := c.st.Posts.Feed(ctx, scope, before, limit)
	if err != nil {
		return FeedPageView{}, err
	}
	out := FeedPageView{Next: page.Next, CanPublish: a.CanPublishIn(scope, g)}
	// One set of reads (reactions, counts, answers, authors) for both.
	all, err := c.postViews(ctx, a, g, append(slices.Clone(page.Pinned), page.Posts...))
	if err != nil {
		return FeedPageView{}, err
	}
	out.Pinned, out.Posts = all[:len(page.Pinned)], all[len(page.Pinned):]
	if before == 0 {
		var top uint64
		for _, p := range append(slices.Clone(page.Pinned), page.Posts...) {
			top = max(top, p.Seq)
		}
		if last, err := c.st.Posts.LastSeq(ctx, scope); err == nil {
			top = max(top, last)
		}
		if top > 0 {
			if err := c.st.FeedMarkers.Advance(ctx, a.ID(), scope, top, c.now()); err != nil {
				c.log.Warn("feed marker", "user_id", a.ID(), "feed", scope.Key(), "err", err)
			}
		}
	}
	return out, nil
}

// PublishPost publishes an announcement or an event and creates its
// comments channel.
func (c *Core) PublishPost(ctx context.Context, s model.Session, in PostInput) (PostView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return PostView{}, err
	}
	scope := model.FeedScope{CPTSID: in.CPTSID, GroupID: in.GroupID}
	g, err := c.feed(ctx, a, scope)
	if err != nil {
		return PostView{}, err
	}
	if !a.CanPublishIn(scope, g) {
		return PostView{}, errNotPublisher
	}
	if !in.Kind.Valid() {
		return PostView{}, model.Invalid("kind", "invalid_kind", "Type de publication inconnu (announcement ou event).")
	}
	title, body, err := postText(in.Title, in.Body)
	if err != nil {
		return PostView{}, err
	}
	now := c.now().UTC().Truncate(time.Millisecond)
	var ev *model.EventInfo
	switch {
	case in.Kind == model.PostEvent:
		if ev, err = eventInfo(in.Event, now, nil); err != nil {
			return PostView{}, err
		}
	case in.Event != nil:
		return PostView{}, model.Invalid("event", "event_on_announcement", "Une annonce n'a pas de date : choisissez « événement ».")
	}
	where := FileWhere{CPTS: in.CPTSID, Group: in.GroupID}
	files, err := c.loadFiles(ctx, a, in.FileIDs, where)
	if err != nil {
		return PostView{}, err
	}
	if !c.limits.changes.Allow(ctx, string(a.ID())) {
		return PostView{}, errChangeFlood
	}
	html, text := "", ""
	if body != "" {
		r, err := c.content.render.Render(body)
		if err != nil {
			return PostView{}, model.Invalid("body", "invalid_body", "Ce texte ne peut pas être mis en forme.")
		}
		html, text = r.HTML, r.Text
	}
	// The comments channel first: a post never points at a missing one
	// (an orphan channel, should the post fail, is listed nowhere).
	ch := model.Channel{
		ID: model.ChannelID(model.NewID()), Name: "commentaires", Kind: model.KindComments, Visibility: model.VisibilityPrivate,
		CPTSID: in.CPTSID, GroupID: in.GroupID, CreatedBy: a.ID(), CreatedAt: now,
	}
	if err := c.st.Channels.Insert(ctx, ch); err != nil {
		return PostView{}, fmt.Errorf("core: comments channel: %w", err)
	}
	p, err := c.st.Posts.Insert(ctx, model.Post{
		CPTSID: in.CPTSID, GroupID: in.GroupID, Kind: in.Kind, Title: title, Body: body, HTML: html, Text: text,
		AuthorID: a.ID(), Event: ev, CommentsChannel: ch.ID, Files: fileIDsOf(files), CreatedAt: now,
	})
	if err != nil {
		if p.ID == "" {
			return PostView{}, err
		}
		// Stored, its event index lags (store.Posts.Insert): an edit
		// repairs it; the post itself is there.
		c.log.Error("post event index", "post_id", p.ID, "err", err)
	}
	if len(files) > 0 {
		if err := c.attachLoaded(ctx, files, model.Attachment{Kind: model.AttachPost, ID: string(p.ID), At: now}); err != nil {
			// A file attached elsewhere meanwhile: the post goes, nothing
			// stays half-written.
			if derr := c.st.Posts.Delete(context.WithoutCancel(ctx), p.ID, now); derr != nil {
				c.log.Error("undo post", "post_id", p.ID, "err", derr)
			}
			_ = c.st.Channels.SetArchived(context.WithoutCancel(ctx), ch.ID, true)
			return PostView{}, err
		}
	}
	if err := c.st.FeedMarkers.Advance(ctx, a.ID(), scope, p.Seq, now); err != nil {
		c.log.Warn("feed marker", "user_id", a.ID(), "err", err)
	}
	c.log.Info("audit: post published", "actor_id", a.ID(), "post_id", p.ID, "kind", p.Kind)
	c.touch(ctx, store.OutboxPost, string(p.ID))
	c.publishPost(ctx, g, p, true)
	vs, err := c.postViews(ctx, a, g, []model.Post{p})
	if err != nil {
		return PostView{}, err
	}
	return vs[0], nil
}

// GetPost returns one live post.
func (c *Core) GetPost(ctx context.Context, s model.Session, id model.PostID) (PostView, error) {
	a, p, g, err := c.livePost(ctx, s, id)
	if err != nil {
		return PostView{}, err
	}
	vs, err := c.postViews(ctx, a, g, []model.Post{p})
	if err != nil {
		return PostView{}, err
	}
	return vs[0], nil
}

// EditPost changes a post's title, text or event details.
func (c *Core) EditPost(ctx context.Context, s model.Session, id model.PostID, in PostPatch) (PostView, error) {
	a, p, g, err := c.livePost(ctx, s, id)
	if err != nil {
		return PostView{}, err
	}
	if !a.CanManagePost(p, g) {
		return PostView{}, errNotPublisher
	}
	title, body := p.Title, p.Body
	if in.Title != nil {
		title = *in.Title
	}
	if in.Body != nil {
		body = *in.Body
	}
	if title, body, err = postText(title, body); err != nil {
		return PostView{}, err
	}
	now := c.now().UTC().Truncate(time.Millisecond)
	if in.Event != nil {
		if p.Kind != model.PostEvent {
			return PostView{}, model.Invalid("event", "event_on_announcement", "Une annonce n'a pas de date.")
		}
		if p.Event.EndsAt.Before(now) {
			return PostView{}, errEventOver
		}
		ev, err := eventInfo(in.Event, now, &p.Event.StartsAt)
		if err != nil {
			return PostView{}, err
		}
		if ev.Capacity > 0 {
			counts, err := c.st.RSVPs.Counts(ctx, []model.PostID{p.ID})
			if err != nil {
				return PostView{}, err
			}
			if yes := counts[p.ID].Yes; ev.Capacity < yes {
				return PostView{}, model.Invalid("event.capacity", "capacity_below_answers",
					fmt.Sprintf("%d personnes ont déjà répondu oui : la capacité ne peut descendre en dessous.", yes))
			}
		}
		p.Event = ev
	}
	if body != p.Body {
		p.HTML, p.Text = "", ""
		if body != "" {
			r, err := c.content.render.Render(body)
			if err != nil {
				return PostView{}, model.Invalid("body", "invalid_body", "Ce texte ne peut pas être mis en forme.")
			}
			p.HTML, p.Text = r.HTML, r.Text
		}
	}
	p.Title, p.Body, p.EditedAt = title, body, &now
	stored, err := c.st.Posts.Update(ctx, p)
	if isNotFound(err) {
		return PostView{}, errPostNotFound
	}
	if err != nil {
		return PostView{}, err
	}
	c.touch(ctx, store.OutboxPost, string(stored.ID))
	c.publishPost(ctx, g, stored, false)
	vs, err := c.postViews(ctx, a, g, []model.Post{stored})
	if err != nil {
		return PostView{}, err
	}
	return vs[0], nil
}

// DeletePost soft-deletes a post and archives its comments.
func (c *Core) DeletePost(ctx context.Context, s model.Session, id model.PostID) error {
	a, p, g, err := c.livePost(ctx, s, id)
	if err != nil {
		return err
	}
	if !a.CanManagePost(p, g) {
		return errNotPublisher
	}
	now := c.now().UTC().Truncate(time.Millisecond)
	if err := c.st.Posts.Delete(ctx, p.ID, now); err != nil {
		return err
	}
	if err := c.st.Channels.SetArchived(ctx, p.CommentsChannel, true); err != nil {
		c.log.Error("archive comments of a deleted post", "post_id", p.ID, "err", err)
	} else if ch, err := c.st.Channels.ByID(ctx, p.CommentsChannel); err == nil {
		c.channelChanged(ctx, ch)
	}
	c.DetachFiles(ctx, p.Files)
	c.log.Info("audit: post deleted", "actor_id", a.ID(), "post_id", p.ID)
	c.touch(ctx, store.OutboxPost, string(p.ID))
	p.DeletedAt = &now
	p.Title, p.Body, p.HTML, p.Text, p.Event, p.Pinned = "", "", "", "", nil, false
	c.publishPost(ctx, g, p, false)
	return nil
}

// PinPost pins (on) or unpins a post.
func (c *Core) PinPost(ctx context.Context, s model.Session, id model.PostID, on bool) (PostView, error) {
	a, p, g, err := c.livePost(ctx, s, id)
	if err != nil {
		return PostView{}, err
	}
	if !a.CanManagePost(p, g) {
		return PostView{}, errNotPublisher
	}
	if on {
		err = c.st.Posts.Pin(ctx, p.ID, a.ID(), c.now())
	} else {
		err = c.st.Posts.Unpin(ctx, p.ID)
	}
	if err != nil {
		return PostView{}, err
	}
	ps, err := c.st.Posts.ByIDs(ctx, []model.PostID{p.ID})
	if err != nil || len(ps) == 0 {
		return PostView{}, cmp.Or(err, errPostNotFound)
	}
	c.publishPost(ctx, g, ps[0], false)
	vs, err := c.postViews(ctx, a, g, ps)
	if err != nil {
		return PostView{}, err
	}
	return vs[0], nil
}

// ReactToPost adds (on) or removes the actor's emoji on a post.
func (c *Core) ReactToPost(ctx context.Context, s model.Session, id model.PostID, emoji string, on bool) (PostView, error) {
	if on && !validEmoji(emoji) || !on && !emojiShaped(emoji) {
		return PostView{}, model.Invalid("emoji", "invalid_emoji", "Réaction non valide : choisissez un émoji.")
	}
	a, p, g, err := c.livePost(ctx, s, id)
	if err != nil {
		return PostView{}, err
	}
	if !a.CanReactToPost(p, g) {
		return PostView{}, errPostNotFound
	}
	if !c.limits.changes.Allow(ctx, string(a.ID())) {
		return PostView{}, errChangeFlood
	}
	var changed bool
	if on {
		rs, err := c.st.PostReactions.ByPosts(ctx, []model.PostID{p.ID})
		if err != nil {
			return PostView{}, err
		}
		if len(rs[p.ID]) >= 50 && !slices.ContainsFunc(rs[p.ID], func(r model.Reaction) bool { return r.Emoji == emoji }) {
			return PostView{}, model.Invalid("emoji", "too_many_reactions", "Cette publication a déjà trop de réactions différentes.")
		}
		changed, err = c.st.PostReactions.Add(ctx, p.ID, a.ID(), emoji, c.now())
	} else {
		changed, err = c.st.PostReactions.Remove(ctx, p.ID, a.ID(), emoji)
	}
	if err != nil {
		return PostView{}, err
	}
	if changed {
		c.publishPost(ctx, g, p, false)
	}
	vs, err := c.postViews(ctx, a, g, []model.Post{p})
	if err != nil {
		return PostView{}, err
	}
	return vs[0], nil
}

// RSVP records the actor's answer to an event: refused once the event is
// over or its sign-up deadline past, and an "oui" when every seat is
// taken (the store's seats hold the capacity under concurrency).
func (c *Core) RSVP(ctx context.Context, s model.Session, id model.PostID, answer model.RSVPAnswer) (RSVPState, error) {
	if !answer.Valid() {
		return RSVPState{}, model.Invalid("answer", "invalid_answer", "Réponse non valide : oui, non ou peut_etre.")
	}
	a, p, g, err := c.livePost(ctx, s, id)
	if err != nil {
		return RSVPState{}, err
	}
	if p.Kind != model.PostEvent || p.Event == nil {
		return RSVPState{}, errNotAnEvent
	}
	if !a.CanRSVP(p, g) {
		return RSVPState{}, errPostNotFound
	}
	now := c.now()
	if err := rsvpRefusal(p, now); err != nil {
		return RSVPState{}, err
	}
	if !c.limits.changes.Allow(ctx, string(a.ID())) {
		return RSVPState{}, errChangeFlood
	}
	_, err = c.st.RSVPs.Set(ctx, model.RSVP{PostID: p.ID, UserID: a.ID(), Answer: answer, At: now}, p.Event.Capacity)
	if errors.Is(err, store.ErrFull) {
		return RSVPState{}, errEventFull
	}
	if err != nil {
		return RSVPState{}, err
	}
	counts, err := c.st.RSVPs.Counts(ctx, []model.PostID{p.ID})
	if err != nil {
		return RSVPState{}, err
	}
	cn := counts[p.ID]
	if fp, ok := c.pub.(FeedPublisher); ok && c.pub != nil {
		if users, err := c.feedAudience(ctx, p.Scope(), g); err == nil {
			if err := fp.PublishRSVPCounts(ctx, users, p.ID, cn); err != nil {
				c.log.Warn("publish rsvp counts", "post_id", p.ID, "err", err)
			}
		}
	}
	return RSVPState{Answer: answer, Counts: cn, SeatsLeft: seatsLeft(p, cn)}, nil
}

// RSVPs returns the organiser's list of an event, by profession.
func (c *Core) RSVPs(ctx context.Context, s model.Session, id model.PostID) (RSVPList, error) {
	a, p, g, err := c.livePost(ctx, s, id)
	if err != nil {
		return RSVPList{}, err
	}
	if p.Kind != model.PostEvent {
		return RSVPList{}, errNotAnEvent
	}
	if !a.CanSeeRSVPList(p, g) {
		return RSVPList{}, errRSVPListPrivy
	}
	rs, err := c.st.RSVPs.ByPost(ctx, p.ID)
	if err != nil {
		return RSVPList{}, err
	}
	ids := make([]model.UserID, len(rs))
	for i, r := range rs {
		ids[i] = r.UserID
	}
	users, err := c.usersByID(ctx, ids)
	if err != nil {
		return RSVPList{}, err
	}
	out := RSVPList{Title: p.Title, Professions: []RSVPProfession{}}
	byProf := map[model.Profession]int{}
	for _, r := range rs {
		u, ok := users[r.UserID]
		if !ok {
			continue // an erased account
		}
		i, ok := byProf[u.Profession]
		if !ok {
			i = len(out.Professions)
			byProf[u.Profession] = i
			out.Professions = append(out.Professions, RSVPProfession{Profession: u.Profession, Label: u.Profession.Label(), Entries: []RSVPEntry{}})
		}
		pr := &out.Professions[i]
		pr.Entries = append(pr.Entries, RSVPEntry{
			UserID: u.ID, Name: u.Name, Profession: u.Profession, ProfessionLabel: u.Profession.Label(), Commune: u.Commune,
			RPPS: u.RPPS, ADELI: u.ADELI, Answer: r.Answer, At: r.At,
		})
		count(&pr.Counts, r.Answer)
		count(&out.Counts, r.Answer)
	}
	for i := range out.Professions {
		slices.SortStableFunc(out.Professions[i].Entries, func(x, y RSVPEntry) int {
			return cmp.Or(cmp.Compare(answerRank(x.Answer), answerRank(y.Answer)), strings.Compare(fold(x.Name), fold(y.Name)))
		})
	}
	slices.SortStableFunc(out.Professions, func(x, y RSVPProfession) int {
		return cmp.Or(cmp.Compare(y.Counts.Yes, x.Counts.Yes), strings.Compare(x.Label, y.Label))
	})
	return out, nil
}

func count(c *model.RSVPCounts, a model.RSVPAnswer) {
	switch a {
	case model.RSVPYes:
		c.Yes++
	case model.RSVPNo:
		c.No++
	case model.RSVPMaybe:
		c.Maybe++
	}
}

func answerRank(a model.RSVPAnswer) int {
	switch a {
	case model.RSVPYes:
		return 0
	case model.RSVPMaybe:
		return 1
	}
	return 2
}

// FeedsUnread returns the unread posts of every feed the user reads.
func (c *Core) FeedsUnread(ctx context.Context, s model.Session) ([]FeedUnread, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, err
	}
	scopes, err := c.feedScopes(ctx, a)
	if err != nil {
		return nil, err
	}
	marks, err := c.st.FeedMarkers.Many(ctx, a.ID(), scopes)
	if err != nil {
		return nil, err
	}
	out := make([]FeedUnread, 0, len(scopes))
	for _, sc := range scopes {
		last, err := c.st.Posts.LastSeq(ctx, sc)
		if err != nil {
			return nil, err
		}
		n := 0
		if m := marks[sc]; last > m {
			n = int(last - m)
		}
		out = append(out, FeedUnread{CPTSID: sc.CPTSID, GroupID: sc.GroupID, LastSeq: last, Unread: n})
	}
	slices.SortFunc(out, func(x, y FeedUnread) int {
		return cmp.Or(strings.Compare(string(x.CPTSID), string(y.CPTSID)), strings.Compare(string(x.GroupID), string(y.GroupID)))
	})
	return out, nil
}

// feedScopes lists the feeds the actor reads.
func (c *Core) feedScopes(ctx context.Context, a *Actor) ([]model.FeedScope, error) {
	gids := make([]model.GroupID, 0, len(a.groups))
	for id := range a.groups {
		gids = append(gids, id)
	}
	var gs []model.Group
	if len(gids) > 0 {
		var err error
		if gs, err = c.st.Groups.ByIDs(ctx, gids); err != nil {
			return nil, fmt.Errorf("core: feeds of %s: %w", a.ID(), err)
		}
	}
	return a.FeedScopes(gs), nil
}

func fileIDsOf(fs []model.File) []model.FileID {
	if len(fs) == 0 {
		return nil
	}
	out := make([]model.FileID, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

// A post's files are read by whoever reads the post (files.go asks).
func init() { attachmentReaders[model.AttachPost] = (*Core).canReadPostAttachment }

func (c *Core) canReadPostAttachment(ctx context.Context, a *Actor, target string) error {
	p, _, err := c.post(ctx, a, model.PostID(target))
	if err != nil || p.Deleted() {
		return errFileNotFound
	}
	return nil
}
