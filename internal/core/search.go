package core

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/search"
)

// Search over what the caller may see. The shared index (bleve on disk or
// Meilisearch, Deps.Search) holds channels, their messages and people,
// each with its access scopes (policy.go: ChannelScopes, PersonScopes);
// it is fed off the request path from the search outbox (indexer.go).
// Direct conversations are searched in a per-user index held in memory
// (searchdirect.go). Every hit is checked again against policy.go before
// it is returned.

// Search errors, in the one error table (internal/apierr) through their
// kind.
var (
	errQueryTooShort = model.Invalid("q", "query_too_short", "Tapez au moins 2 caractères pour rechercher.")
	errQueryTooLong  = model.Invalid("q", "query_too_long", "Cette recherche est trop longue (2 000 caractères au plus).")
	errQueryEmpty    = model.Invalid("q", "empty_query", "Cette recherche ne contient aucun mot à chercher : ajoutez un mot ou un filtre.")
	errSearchOff     = model.Coded(model.ErrNotConfigured, "search_not_configured", "La recherche n'est pas configurée sur ce serveur.")
	errDateRange     = model.Invalid("to", "invalid_date_range", "La période est vide : la date de fin doit venir après la date de début.")
)

// MaxSearchQueryBytes bounds the raw query: longer is refused, not cut.
const MaxSearchQueryBytes = 2000

// SearchInput is a search as the API takes it: the text typed (with its
// operators, search.Parse) and the filters of the controls.
type SearchInput struct {
	Q           string
	Types       []search.Type
	CPTS        []model.CPTSID
	Groups      []model.GroupID
	Professions []string
	Missions    []string
	// Campaigns are model.Campaign codes; Statuses model.ProtocolStatus
	// codes.
	Campaigns []string
	Statuses  []string
	From, To  time.Time
	Page      int
	PerPage   int
	// Facets asks for the facet counts, types included (the results
	// page); without it every list is empty: the as-you-type dropdown
	// does without, and each count reads a value of every match.
	Facets bool
}

// SearchLocation is where a message hit is: its channel, its seq there,
// and the root of its thread when it is a reply (or a root with replies).
type SearchLocation struct {
	ChannelID   model.ChannelID `json:"channel_id"`
	ChannelName string          `json:"channel_name,omitempty"`
	Seq         uint64          `json:"seq"`
	ThreadID    model.MessageID `json:"thread_id,omitempty"`
	Direct      bool            `json:"direct,omitempty"`
}

// SearchHit is one result. Ranges are in Unicode code points of Title
// and Excerpt.
type SearchHit struct {
	Type            search.Type    `json:"type"`
	ID              string         `json:"id"`
	Title           string         `json:"title,omitempty"`
	TitleHighlights []search.Range `json:"title_highlights"`
	Excerpt         string         `json:"excerpt,omitempty"`
	Highlights      []search.Range `json:"highlights"`
	Score           float64        `json:"score"`
	AuthorID        model.UserID   `json:"author_id,omitempty"`
	AuthorName      string         `json:"author_name,omitempty"`
	// CreatedAt: when the message was written (messages and channels;
	// absent for the other types).
	CreatedAt time.Time       `json:"created_at,omitzero"`
	Location  *SearchLocation `json:"location,omitempty"`
	// CPTSID is the owner CPTS of a protocol or material hit (where its
	// library page is).
	CPTSID model.CPTSID `json:"cpts_id,omitempty"`
}

// SearchResult is one page of results.
type SearchResult struct {
	Hits    []SearchHit   `json:"hits"`
	Total   int           `json:"total"`
	Page    int           `json:"page"`
	PerPage int           `json:"per_page"`
	Facets  search.Facets `json:"facets"`
	// Parsed is how the text was read: words, phrases, exclusions,
	// operators, and those not understood (Unknown, Invalid).
	Parsed search.Parsed `json:"parsed"`
}

// searcher is core's search machinery.
type searcher struct {
	idx    search.Index
	direct *directIndexes
	kick   chan struct{} // wakes the indexer on this node after an outbox append
}

// touch records in the outbox that an object must be re-indexed. It runs
// after the domain write; a failure is logged (`ecpts reindex` repairs
// what it missed), never undoes the write.
func (c *Core) touch(ctx context.Context, kind store.OutboxKind, ref string) {
	if c.st.SearchOutbox == nil {
		return
	}
	if err := c.st.SearchOutbox.Append(ctx, kind, ref); err != nil {
		c.log.Error("search outbox append", "kind", kind, "ref", ref, "err", err)
		return
	}
	select {
	case c.search.kick <- struct{}{}:
	default:
	}
}

// messagesStored is the message log's Stored hook: the messages one or
// more group commits stored go to the search outbox in one write, a
// record per channel (one insert per message was a database transaction
// per send, which at a few thousand sends a second made every send wait on
// the database: docs/benchmarks.md "A/B after issues 12–15").
// Conversations only drop their users' memory indexes. It runs once the
// senders are answered, beside the next commits (msglog's notifier); a
// failure is logged and `ecpts reindex` repairs it, as for touch.
func (c *Core) messagesStored(ctx context.Context, chans []model.Channel, ms []model.Message) {
	seqs := map[model.ChannelID][]uint64{}
	for i, m := range ms {
		if chans[i].Kind == model.KindDirect {
			c.search.direct.dropChannel(chans[i].ID)
			continue
		}
		seqs[m.ChannelID] = append(seqs[m.ChannelID], m.Seq)
	}
	if c.st.SearchOutbox == nil || len(seqs) == 0 {
		return
	}
	if err := c.st.SearchOutbox.AppendMessages(ctx, seqs); err != nil {
		c.log.Error("search outbox append", "kind", store.OutboxMessages, "messages", len(ms), "err", err)
		return
	}
	select {
	case c.search.kick <- struct{}{}:
	default:
	}
}

// touchMessage: a message of a shared channel changed (created, edited,
// deleted); direct conversations only drop their users' memory indexes.
func (c *Core) touchMessage(ctx context.Context, ch model.Channel, id model.MessageID) {
	if ch.Kind == model.KindDirect {
		c.search.direct.dropChannel(ch.ID)
		return
	}
	c.touch(ctx, store.OutboxMessage, string(id))
}

// Search runs a search for the caller.
func (c *Core) Search(ctx context.Context, s model.Session, in SearchInput) (SearchResult, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return SearchResult{}, err
	}
	if c.search.idx == nil {
		return SearchResult{}, errSearchOff
	}
	raw := strings.TrimSpace(in.Q)
	if len(raw) > MaxSearchQueryBytes {
		return SearchResult{}, errQueryTooLong
	}
	if !utf8.ValidString(raw) {
		return SearchResult{}, model.Invalid("q", "invalid_query", "Cette recherche contient des caractères illisibles.")
	}
	p := search.Parse(raw)
	if len(p.Invalid) > 0 {
		return SearchResult{}, model.Invalid("q", "invalid_operator",
			fmt.Sprintf("Filtre non compris : « %s ». Exemples : de:@nom, dans:~canal, avant:2026-01-31, après:2025-12-01, type:message.", p.Invalid[0]))
	}
	q := p.Query()
	controls := len(in.Types)+len(in.CPTS)+len(in.Groups)+len(in.Professions)+len(in.Missions)+len(in.Campaigns)+len(in.Statuses) > 0 ||
		!in.From.IsZero() || !in.To.IsZero()
	if utf8.RuneCountInString(raw) < 2 && !controls {
		return SearchResult{}, errQueryTooShort
	}
	for _, t := range in.Types {
		if !t.Valid() {
			return SearchResult{}, model.Invalid("type", "invalid_type", "Type inconnu : message, post, protocol, material, person ou channel.")
		}
	}
	q.Types = append(q.Types, in.Types...)
	q.Professions = append(q.Professions, in.Professions...)
	q.Missions = append(q.Missions, in.Missions...)
	q.Campaigns = append(q.Campaigns, in.Campaigns...)
	q.Statuses = append(q.Statuses, in.Statuses...)
	if !in.From.IsZero() && (q.From.IsZero() || in.From.After(q.From)) {
		q.From = in.From
	}
	if !in.To.IsZero() && (q.To.IsZero() || in.To.Before(q.To)) {
		q.To = in.To
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		// après:/from after avant:/to: say so rather than find nothing.
		return SearchResult{}, errDateRange
	}
	q.Page, q.PerPage, q.WithFacets = in.Page, in.PerPage, in.Facets

	view, err := c.searchView(ctx, a)
	if err != nil {
		return SearchResult{}, err
	}
	// Names typed after operators resolve among what the caller sees; a
	// name that resolves to nothing makes the search answer nothing.
	nothing := false
	resolve := func(names []string, find func(string) []string) []string {
		var ids []string
		for _, n := range names {
			got := find(n)
			if len(got) == 0 {
				nothing = true
			}
			ids = append(ids, got...)
		}
		return ids
	}
	q.Channels = resolve(p.Channels, view.channelsNamed)
	q.CPTS = resolve(p.CPTS, view.cptsNamed)
	q.Groups = resolve(p.Groups, view.groupsNamed)
	if len(p.Authors) > 0 {
		authors, err := c.authorsNamed(ctx, view, p.Authors)
		if err != nil {
			return SearchResult{}, err
		}
		if len(authors) == 0 {
			nothing = true
		}
		q.Authors = authors
	}
	for _, id := range in.CPTS {
		q.CPTS = append(q.CPTS, string(id))
	}
	for _, id := range in.Groups {
		q.Groups = append(q.Groups, string(id))
	}
	q.Allowed = view.scopes
	if nothing {
		// "de:@inconnu" alone: an answer with no hit, not "no word typed".
		return SearchResult{Hits: []SearchHit{}, Page: max(in.Page, 1), PerPage: perPageOf(in.PerPage),
			Facets: search.Facets{Types: []search.FacetCount{}, CPTS: []search.FacetCount{}, Professions: []search.FacetCount{},
				Missions: []search.FacetCount{}, Campaigns: []search.FacetCount{}, Statuses: []search.FacetCount{}}, Parsed: p}, nil
	}

	res, direct, err := c.runSearch(ctx, a, q)
	if err != nil {
		if errors.Is(err, search.ErrEmptyQuery) {
			return SearchResult{}, errQueryEmpty
		}
		return SearchResult{}, err
	}
	out := SearchResult{Hits: []SearchHit{}, Total: res.Total, Page: res.Page, PerPage: res.PerPage, Facets: res.Facets, Parsed: p}
	checked, dropped, err := c.checkHits(ctx, a, view, res.Hits, direct)
	if err != nil {
		return SearchResult{}, err
	}
	out.Hits = checked
	out.Total = max(0, out.Total-dropped)
	return out, nil
}

// searchView is what the caller sees, loaded once per search: its scopes,
// its channels (joined or visible by name), its CPTS and groups.
type searchView struct {
	scopes   []string
	channels map[model.ChannelID]model.Channel
	groups   map[model.GroupID]*model.Group
	cpts     []model.CPTS
}

func (c *Core) searchView(ctx context.Context, a *Actor) (*searchView, error) {
	v := &searchView{channels: map[model.ChannelID]model.Channel{}, groups: map[model.GroupID]*model.Group{}}
	joined := make([]model.ChannelID, 0, len(a.channels))
	for id := range a.channels {
		joined = append(joined, id)
	}
	chs, err := c.cached.channels.ByIDs(ctx, joined)
	if err != nil {
		return nil, fmt.Errorf("core: search channels: %w", err)
	}
	gids := make([]model.GroupID, 0, len(a.groups))
	for id := range a.groups {
		gids = append(gids, id)
	}
	gs, err := c.st.Groups.ByIDs(ctx, gids)
	if err != nil {
		return nil, fmt.Errorf("core: search groups: %w", err)
	}
	v.scopes = a.SearchScopes(chs, gs)
	for i := range gs {
		v.groups[gs[i].ID] = &gs[i]
	}
	for _, ch := range chs {
		v.channels[ch.ID] = ch
	}
	for id := range a.cpts {
		if !a.fullMember(id) {
			continue
		}
		more, err := c.cached.channels.ByCPTS(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("core: search channels of %s: %w", id, err)
		}
		for _, ch := range more {
			v.channels[ch.ID] = ch
		}
		cp, err := c.st.CPTS.ByID(ctx, id)
		if err == nil {
			v.cpts = append(v.cpts, cp)
		}
	}
	for _, g := range gs {
		if !a.inGroup(g) {
			continue
		}
		more, err := c.cached.channels.ByGroup(ctx, g.ID)
		if err != nil {
			return nil, fmt.Errorf("core: search channels of group %s: %w", g.ID, err)
		}
		for _, ch := range more {
			v.channels[ch.ID] = ch
		}
	}
	return v, nil
}

func (v *searchView) channelsNamed(name string) []string {
	var ids []string
	for _, ch := range v.channels {
		if ch.Kind != model.KindDirect && fold(ch.Name) == fold(name) {
			ids = append(ids, string(ch.ID))
		}
	}
	return ids
}

func (v *searchView) cptsNamed(name string) []string {
	var ids []string
	for _, cp := range v.cpts {
		if strings.Contains(fold(cp.Name), fold(name)) {
			ids = append(ids, string(cp.ID))
		}
	}
	return ids
}

func (v *searchView) groupsNamed(name string) []string {
	var ids []string
	for _, g := range v.groups {
		if strings.Contains(fold(g.Name), fold(name)) {
			ids = append(ids, string(g.ID))
		}
	}
	return ids
}

// authorsNamed resolves "de:@nom" among the people of the caller's CPTS
// directories and channels: a name, one of its words, or an e-mail's
// local part (marc, marc.durand, durand).
func (c *Core) authorsNamed(ctx context.Context, v *searchView, names []string) ([]string, error) {
	seen := map[model.UserID]bool{}
	var ids []model.UserID
	for _, cp := range v.cpts {
		ms, err := c.st.Memberships.ByCPTS(ctx, cp.ID)
		if err != nil {
			return nil, fmt.Errorf("core: search authors: %w", err)
		}
		for _, m := range ms {
			if !seen[m.UserID] {
				seen[m.UserID] = true
				ids = append(ids, m.UserID)
			}
		}
	}
	for id := range v.channels {
		ch := v.channels[id]
		if ch.Visibility != model.VisibilityPrivate && ch.Kind != model.KindDirect {
			continue
		}
		cms, err := c.st.ChannelMembers.ByChannel(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("core: search authors: %w", err)
		}
		for _, m := range cms {
			if !seen[m.UserID] {
				seen[m.UserID] = true
				ids = append(ids, m.UserID)
			}
		}
	}
	users, err := c.usersByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("core: search authors: %w", err)
	}
	var out []string
	for _, u := range users {
		for _, n := range names {
			if nameMatches(u, n) {
				out = append(out, string(u.ID))
				break
			}
		}
	}
	return out, nil
}

func nameMatches(u model.User, typed string) bool {
	t := fold(strings.TrimSpace(typed))
	if t == "" {
		return false
	}
	name := fold(u.Name)
	if name == t || strings.ReplaceAll(name, " ", ".") == t {
		return true
	}
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return r == ' ' || r == '-' }) {
		if w == t {
			return true
		}
	}
	local, _, _ := strings.Cut(strings.ToLower(u.Email), "@")
	return local == t
}

// runSearch asks the shared index and, for messages, the caller's direct
// conversations (in memory), and merges them by score. direct holds the
// ids of the hits that came from the conversations.
func (c *Core) runSearch(ctx context.Context, a *Actor, q search.Query) (search.Result, map[string]bool, error) {
	wantDirect := (len(q.Types) == 0 || slices.Contains(q.Types, search.TypeMessage)) &&
		len(q.CPTS) == 0 && len(q.Groups) == 0 && len(q.Channels) == 0 && len(q.Missions) == 0 &&
		len(q.Campaigns) == 0 && len(q.Statuses) == 0 && len(q.Allowed) > 0
	if !wantDirect || c.search.direct == nil {
		res, err := c.search.idx.Search(ctx, q)
		return res, nil, err
	}
	dq := q
	dq.Allowed = []string{directScope(a.ID())}
	dq.Types = []search.Type{search.TypeMessage}
	dres, derr := c.search.direct.search(ctx, c, a, dq)
	if derr != nil {
		c.log.Warn("search direct conversations", "user_id", a.ID(), "err", derr)
	}
	if derr != nil || dres.Total == 0 {
		res, err := c.search.idx.Search(ctx, q)
		return res, nil, err
	}
	// Merge: both lists are read up to the end of the page asked for,
	// then cut, so pages stay consistent (bounded like the index's own
	// pages).
	per := q.PerPage
	if per < 1 {
		per = search.DefaultPerPage
	}
	per = min(per, search.MaxPerPage)
	page := max(q.Page, 1)
	window := page * per
	if window > search.MaxPerPage*5 {
		res, err := c.search.idx.Search(ctx, q)
		return res, nil, err
	}
	wq, wd := q, dq
	wq.Page, wq.PerPage, wd.Page, wd.PerPage = 1, window, 1, window
	if window > search.MaxPerPage {
		// Read several pages of MaxPerPage.
		return c.mergedPages(ctx, a, q, dq, page, per)
	}
	res, err := c.search.idx.Search(ctx, wq)
	if err != nil {
		return search.Result{}, nil, err
	}
	dres, err = c.search.direct.search(ctx, c, a, wd)
	if err != nil {
		return search.Result{}, nil, err
	}
	return mergeResults(res, dres, page, per)
}

func (c *Core) mergedPages(ctx context.Context, a *Actor, q, dq search.Query, page, per int) (search.Result, map[string]bool, error) {
	collect := func(run func(search.Query) (search.Result, error), base search.Query) (search.Result, error) {
		var all search.Result
		for p := 1; len(all.Hits) < page*per; p++ {
			base.Page, base.PerPage = p, search.MaxPerPage
			r, err := run(base)
			if err != nil {
				return search.Result{}, err
			}
			if p == 1 {
				all = r
				all.Hits = slices.Clone(r.Hits)
			} else {
				all.Hits = append(all.Hits, r.Hits...)
			}
			if len(r.Hits) < search.MaxPerPage {
				break
			}
		}
		return all, nil
	}
	res, err := collect(func(q search.Query) (search.Result, error) { return c.search.idx.Search(ctx, q) }, q)
	if err != nil {
		return search.Result{}, nil, err
	}
	dres, err := collect(func(q search.Query) (search.Result, error) { return c.search.direct.search(ctx, c, a, q) }, dq)
	if err != nil {
		return search.Result{}, nil, err
	}
	return mergeResults(res, dres, page, per)
}

// mergeResults merges two first windows of hits by score and cuts page.
func mergeResults(res, dres search.Result, page, per int) (search.Result, map[string]bool, error) {
	direct := make(map[string]bool, len(dres.Hits))
	for _, h := range dres.Hits {
		direct[h.ID] = true
	}
	hits := append(slices.Clone(res.Hits), dres.Hits...)
	slices.SortStableFunc(hits, func(x, y search.Hit) int {
		switch {
		case x.Score > y.Score:
			return -1
		case x.Score < y.Score:
			return 1
		}
		return 0
	})
	from := min((page-1)*per, len(hits))
	to := min(from+per, len(hits))
	out := res
	out.Hits = hits[from:to]
	out.Total = res.Total + dres.Total
	out.Page, out.PerPage = page, per
	out.Facets.Types = addFacet(res.Facets.Types, dres.Facets.Types)
	out.Facets.Professions = addFacet(res.Facets.Professions, dres.Facets.Professions)
	return out, direct, nil
}

func addFacet(a, b []search.FacetCount) []search.FacetCount {
	m := map[string]int{}
	var order []string
	for _, l := range [][]search.FacetCount{a, b} {
		for _, f := range l {
			if _, ok := m[f.Value]; !ok {
				order = append(order, f.Value)
			}
			m[f.Value] += f.Count
		}
	}
	out := make([]search.FacetCount, 0, len(order))
	for _, v := range order {
		out = append(out, search.FacetCount{Value: v, Count: m[v]})
	}
	slices.SortStableFunc(out, func(x, y search.FacetCount) int {
		if x.Count != y.Count {
			return y.Count - x.Count
		}
		return strings.Compare(x.Value, y.Value)
	})
	return out
}

// checkHits re-reads every hit through policy.go: a hit the caller may no
// longer see (removed member, channel gone private, message deleted,
// person gone from the directory) is dropped and counted.
func (c *Core) checkHits(ctx context.Context, a *Actor, v *searchView, hits []search.Hit, direct map[string]bool) ([]SearchHit, int, error) {
	out := make([]SearchHit, 0, len(hits))
	dropped := 0
	chans := map[model.ChannelID]*model.Channel{}
	channelOf := func(id model.ChannelID) (*model.Channel, *model.Group, error) {
		ch, ok := chans[id]
		if !ok {
			got, err := c.cached.channels.ByID(ctx, id)
			switch {
			case isNotFound(err):
			case err != nil:
				return nil, nil, fmt.Errorf("core: search check channel %s: %w", id, err)
			default:
				ch = &got
			}
			chans[id] = ch
		}
		if ch == nil {
			return nil, nil, nil
		}
		var g *model.Group
		if ch.GroupID != "" {
			g = v.groups[ch.GroupID]
			if g == nil {
				gg, err := c.st.Groups.ByID(ctx, ch.GroupID)
				if err != nil && !isNotFound(err) {
					return nil, nil, fmt.Errorf("core: search check group %s: %w", ch.GroupID, err)
				}
				if err == nil {
					g = &gg
				}
			}
		}
		if !a.CanSeeSearchHit(*ch, g) {
			return nil, nil, nil
		}
		return ch, g, nil
	}
	var groups []model.Group
	for _, g := range v.groups {
		groups = append(groups, *g)
	}
	for _, h := range hits {
		t, id, ok := search.SplitDocID(h.ID)
		if !ok {
			dropped++
			continue
		}
		score := h.Score
		if math.IsNaN(score) || math.IsInf(score, 0) {
			// A query of exclusions only matches everything without a
			// score; JSON has no NaN.
			score = 0
		}
		sh := SearchHit{Type: t, ID: id, Title: h.Title, TitleHighlights: orEmpty(h.TitleHighlights), Excerpt: h.Snippet,
			Highlights: orEmpty(h.Highlights), Score: score}
		keep := false
		switch t {
		case search.TypeMessage:
			mid := model.MessageID(id)
			chID, seq, ok := mid.Parse()
			if !ok {
				break
			}
			ch, _, err := channelOf(chID)
			if err != nil {
				return nil, 0, err
			}
			if ch == nil || (ch.Kind == model.KindDirect) != direct[h.ID] {
				break
			}
			m, err := c.st.Messages.ByID(ctx, mid)
			if isNotFound(err) {
				break
			}
			if err != nil {
				return nil, 0, fmt.Errorf("core: search check message %s: %w", mid, err)
			}
			if m.Deleted() {
				break
			}
			keep = true
			name := ch.Name
			if ch.Kind == model.KindDirect {
				name = ""
			}
			thread := m.ThreadID
			if thread == "" && m.ReplyCount > 0 {
				thread = m.ID
			}
			sh.Location = &SearchLocation{ChannelID: chID, ChannelName: name, Seq: seq, ThreadID: thread, Direct: ch.Kind == model.KindDirect}
			sh.AuthorID, sh.CreatedAt = m.AuthorID, m.CreatedAt.UTC()
			if us, err := c.usersByID(ctx, []model.UserID{m.AuthorID}); err == nil {
				sh.AuthorName = us[m.AuthorID].Name
			}
		case search.TypeChannel:
			ch, _, err := channelOf(model.ChannelID(id))
			if err != nil {
				return nil, 0, err
			}
			if ch != nil && ch.Kind != model.KindDirect {
				keep = true
				sh.Location = &SearchLocation{ChannelID: ch.ID, ChannelName: ch.Name}
				sh.CreatedAt = ch.CreatedAt.UTC()
			}
		case search.TypePerson:
			ms, err := c.st.Memberships.ByUser(ctx, model.UserID(id))
			if err != nil {
				return nil, 0, fmt.Errorf("core: search check person %s: %w", id, err)
			}
			gms, err := c.st.GroupMembers.ByUser(ctx, model.UserID(id))
			if err != nil {
				return nil, 0, fmt.Errorf("core: search check person %s: %w", id, err)
			}
			keep = a.CanFindPerson(ms, gms, groups)
		default:
			// Posts, protocols and materials are checked by their producer
			// (searchProducers); none without one.
			if p, ok := searchProducers[t]; ok && p.check != nil {
				k, owner, err := p.check(ctx, c, a, id)
				if err != nil {
					return nil, 0, err
				}
				keep, sh.CPTSID = k, owner
			}
		}
		if !keep {
			dropped++
			continue
		}
		out = append(out, sh)
	}
	return out, dropped, nil
}

func perPageOf(n int) int {
	if n < 1 {
		return search.DefaultPerPage
	}
	return min(n, search.MaxPerPage)
}

func orEmpty(r []search.Range) []search.Range {
	if r == nil {
		return []search.Range{}
	}
	return r
}

// searchProducer builds the documents of one type of object from the
// store (derive: the document, or ok false when it must leave the index)
// and re-checks a hit against policy.go (check). Messages, channels and
// people are built in indexer.go; the library's objects (posts,
// protocols, prevention materials) plug in here as their stores land.
type searchProducer struct {
	kind   store.OutboxKind
	derive func(ctx context.Context, c *Core, id string) (doc search.Document, ok bool, err error)
	all    func(ctx context.Context, c *Core, fn func(id string) error) error
	// check also returns the owner CPTS of a library item ("" for others).
	check func(ctx context.Context, c *Core, a *Actor, id string) (bool, model.CPTSID, error)
}

// searchProducers are the producers of the document types beyond
// messages, channels and people, by type.
var searchProducers = map[search.Type]searchProducer{}
