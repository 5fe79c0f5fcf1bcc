package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ecpts/ecpts/internal/model"
)

// maxBody is the longest message body, in characters.
const maxBody = 8000

// ErrTooFarBehind: a resume asks for more than maxReplay messages; the
// client pages through REST first.
var ErrTooFarBehind = model.Coded(nil, "too_far_behind",
	"Trop de messages manqués : l'historique se recharge par pages.")

var clientIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// AuthorView names a message's author; profession and commune tell
// homonyms apart.
type AuthorView struct {
	ID              model.UserID     `json:"id"`
	Name            string           `json:"name"`
	Profession      model.Profession `json:"profession"`
	ProfessionLabel string           `json:"profession_label"`
	Commune         string           `json:"commune,omitempty"`
}

// ReactionView is one emoji on a message.
type ReactionView struct {
	Emoji string         `json:"emoji"`
	Count int            `json:"count"`
	Users []model.UserID `json:"user_ids"`
}

// MessageView is a message as clients see it, over REST and WebSocket
// alike (so it carries no per-viewer field).
type MessageView struct {
	ID             model.MessageID `json:"id"`
	ChannelID      model.ChannelID `json:"channel_id"`
	Seq            uint64          `json:"seq"`
	AuthorID       model.UserID    `json:"author_id"`
	Author         *AuthorView     `json:"author,omitempty"`
	Body           string          `json:"body"`
	HTML           string          `json:"html"`
	ThreadID       model.MessageID `json:"thread_id,omitempty"`
	ClientID       string          `json:"client_id"`
	CreatedAt      time.Time       `json:"created_at"`
	EditedAt       *time.Time      `json:"edited_at,omitempty"`
	Deleted        bool            `json:"deleted"`
	ReplyCount     int             `json:"reply_count"`
	LastReplyAt    *time.Time      `json:"last_reply_at,omitempty"`
	Reactions      []ReactionView  `json:"reactions"`
	Mentions       []model.UserID  `json:"mentions"`
	MentionChannel bool            `json:"mention_channel"`
}

func (c *Core) views(ctx context.Context, ms []model.Message) ([]MessageView, error) {
	ids := make([]model.UserID, 0, len(ms))
	for _, m := range ms {
		ids = append(ids, m.AuthorID)
	}
	users, err := c.usersByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("core: message authors: %w", err)
	}
	out := make([]MessageView, len(ms))
	for i, m := range ms {
		out[i] = messageView(m, users)
	}
	return out, nil
}

func (c *Core) view(ctx context.Context, m model.Message) (MessageView, error) {
	vs, err := c.views(ctx, []model.Message{m})
	if err != nil {
		return MessageView{}, err
	}
	return vs[0], nil
}

func messageView(m model.Message, users map[model.UserID]model.User) MessageView {
	v := MessageView{
		ID: m.ID, ChannelID: m.ChannelID, Seq: m.Seq, AuthorID: m.AuthorID, Body: m.Body, HTML: m.HTML,
		ThreadID: m.ThreadID, ClientID: m.ClientID, CreatedAt: m.CreatedAt, EditedAt: m.EditedAt,
		ReplyCount: m.ReplyCount, LastReplyAt: m.LastReplyAt, Reactions: []ReactionView{},
		Mentions: m.Mentions, MentionChannel: m.MentionChannel,
	}
	if v.Mentions == nil {
		v.Mentions = []model.UserID{}
	}
	if u, ok := users[m.AuthorID]; ok {
		v.Author = &AuthorView{ID: u.ID, Name: u.Name, Profession: u.Profession, ProfessionLabel: u.Profession.Label(), Commune: u.Commune}
	}
	if m.Deleted() {
		v.Deleted, v.Body, v.HTML, v.Mentions = true, "", "", []model.UserID{}
		return v
	}
	for _, r := range m.Reactions {
		v.Reactions = append(v.Reactions, ReactionView{Emoji: r.Emoji, Count: len(r.Users), Users: r.Users})
	}
	return v
}

// sealedContent is what a direct conversation stores encrypted.
type sealedContent struct {
	Body  string       `json:"b"`
	HTML  string       `json:"h"`
	Text  string       `json:"t"`
	Edits []model.Edit `json:"e,omitempty"`
}

// seal moves a direct message's content into its envelope.
func (c *Core) seal(ch model.Channel, m model.Message) (model.Message, error) {
	if ch.Kind != model.KindDirect {
		return m, nil
	}
	if c.sealer == nil || len(ch.Key) == 0 {
		return m, fmt.Errorf("core: conversation %s has no key", ch.ID)
	}
	b, err := json.Marshal(sealedContent{Body: m.Body, HTML: m.HTML, Text: m.Text, Edits: m.Edits})
	if err != nil {
		return m, err
	}
	env, err := c.sealer.Seal(string(ch.ID), ch.Key, b)
	if err != nil {
		return m, fmt.Errorf("core: seal message of %s: %w", ch.ID, err)
	}
	m.Sealed, m.Body, m.HTML, m.Text, m.Edits = env, "", "", "", nil
	return m, nil
}

// open restores a direct message's content.
func (c *Core) open(ch model.Channel, m model.Message) (model.Message, error) {
	if len(m.Sealed) == 0 {
		return m, nil
	}
	if c.sealer == nil {
		return m, fmt.Errorf("core: no key ring to open %s", m.ID)
	}
	b, err := c.sealer.Open(string(ch.ID), ch.Key, m.Sealed)
	if err != nil {
		return m, fmt.Errorf("core: open message %s: %w", m.ID, err)
	}
	var sc sealedContent
	if err := json.Unmarshal(b, &sc); err != nil {
		return m, fmt.Errorf("core: open message %s: %w", m.ID, err)
	}
	m.Body, m.HTML, m.Text, m.Edits, m.Sealed = sc.Body, sc.HTML, sc.Text, sc.Edits, nil
	return m, nil
}

func (c *Core) openAll(ch model.Channel, ms []model.Message) ([]model.Message, error) {
	for i := range ms {
		var err error
		if ms[i], err = c.open(ch, ms[i]); err != nil {
			return nil, err
		}
	}
	return ms, nil
}

// SendInput is one message to post.
type SendInput struct {
	Channel  model.ChannelID
	ClientID string
	Body     string
	ThreadID model.MessageID
}

var (
	errArchived     = model.Coded(model.ErrConflict, "channel_archived", "Ce canal est archivé : on ne peut plus y écrire.")
	errNotPoster    = model.Coded(model.ErrForbidden, "forbidden", "Vous ne pouvez pas écrire dans ce canal.")
	errAnnounceOnly = model.Coded(model.ErrForbidden, "announcement_only", "Seule la coordination publie dans ce canal d'annonces.")
	errJoinFirst    = model.Coded(model.ErrForbidden, "not_member", "Rejoignez le canal pour y écrire.")
	errMsgNotFound  = notFound("Ce message est introuvable.")
)

// postError is the error of a refusal to post (Actor.PostRefusal).
func postError(r PostRefusal) error {
	switch r {
	case RefusedArchived:
		return errArchived
	case RefusedNotMember:
		return errJoinFirst
	case RefusedReadOnly:
		return errReadOnly
	case RefusedAnnouncementOnly:
		return errAnnounceOnly
	}
	return errNotPoster
}

func validBody(raw string) (string, error) {
	body := strings.TrimRight(raw, " \t\r\n")
	body = strings.TrimLeft(body, "\r\n")
	if strings.TrimSpace(body) == "" {
		return "", model.Invalid("body", "body_empty", "Le message est vide.")
	}
	if !utf8.ValidString(body) {
		return "", model.Invalid("body", "invalid_text", "Le message contient des caractères non valides.")
	}
	if utf8.RuneCountInString(body) > maxBody {
		return "", model.Invalid("body", "body_too_long", "Le message est trop long (8 000 caractères au plus).")
	}
	return body, nil
}

// SendMessage stores a message durably, then publishes it. A repeat with
// the same client id returns the stored message (created false) and
// stores nothing.
func (c *Core) SendMessage(ctx context.Context, s model.Session, in SendInput) (MessageView, bool, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return MessageView{}, false, err
	}
	ch, g, err := c.channel(ctx, a, in.Channel)
	if err != nil {
		return MessageView{}, false, err
	}
	clientID := strings.ToLower(in.ClientID)
	if !clientIDPattern.MatchString(clientID) {
		return MessageView{}, false, model.Invalid("client_id", "invalid_client_id", "L'identifiant client du message doit être un UUID.")
	}
	st := c.chanState(ch.ID)
	// An idempotent repeat answers even if posting is no longer allowed.
	st.mu.Lock()
	if m, ok := st.byClient(a.ID(), clientID); ok {
		st.mu.Unlock()
		v, err := c.view(ctx, m)
		return v, false, err
	}
	st.mu.Unlock()
	if err := c.loadPeers(ctx, a, ch); err != nil {
		return MessageView{}, false, err
	}
	if r := a.PostRefusal(ch, g); r != PostAllowed {
		return MessageView{}, false, postError(r)
	}
	body, err := validBody(in.Body)
	if err != nil {
		return MessageView{}, false, err
	}
	if !c.limits.sends.Allow(ctx, string(a.ID())) {
		return MessageView{}, false, errSendFlood
	}
	r, err := c.render.Render(body)
	if err != nil {
		return MessageView{}, false, model.Invalid("body", "invalid_body", "Ce message ne peut pas être mis en forme.")
	}
	mentions, all, err := c.resolveMentions(ctx, ch, r.Mentions, a.ID())
	if err != nil {
		return MessageView{}, false, err
	}
	m := model.Message{
		ChannelID: ch.ID, AuthorID: a.ID(), ClientID: clientID, Body: body, HTML: r.HTML, Text: r.Text,
		ThreadID: in.ThreadID, Mentions: mentions, MentionChannel: all, CreatedAt: c.now().UTC().Truncate(time.Millisecond),
	}

	stored, root, created, err := c.insert(ctx, st, ch, m)
	if err != nil {
		return MessageView{}, false, err
	}
	v, err := c.view(ctx, stored)
	if err != nil {
		return MessageView{}, false, err
	}
	if !created {
		return v, false, nil
	}
	if c.pub != nil {
		if err := c.pub.PublishMessage(ctx, ch.ID, stored.Seq, v); err != nil {
			// Stored but not fanned out: subscribers get it on their next
			// resume; nothing is lost.
			c.log.Warn("publish message", "channel_id", ch.ID, "seq", stored.Seq, "err", err)
		}
		if root != nil {
			if rv, err := c.view(ctx, *root); err == nil {
				_ = c.pub.PublishUpdate(ctx, ch.ID, rv)
			}
		}
	}
	c.pending.note(lastSeqKey(ch.ID), stored.Seq)
	c.pending.note(authorReadKey(stored.AuthorID, ch.ID), stored.Seq)
	c.later(ctx, func(ctx context.Context) { c.afterSend(ctx, ch, stored, root) })
	return v, true, nil
}

// A send whose seq another node took tries the next seq seqStepAttempts
// times, then re-reads the channel's last seq, and gives up after
// maxSeqAttempts.
const (
	seqStepAttempts = 8
	maxSeqAttempts  = 20
	maxRenumbers    = 100 // another send of the channel failed meanwhile
)

// insert assigns the next seq to m and stores it, several sends of one
// channel in flight at once (see commit), and updates the thread root. It
// returns the stored message, the updated root (nil outside a thread) and
// whether a message was created (false: a repeat of a stored one).
func (c *Core) insert(ctx context.Context, st *chanState, ch model.Channel, m model.Message) (model.Message, *model.Message, bool, error) {
	if m.ThreadID != "" {
		st.mu.Lock()
		r, err := c.messageLocked(ctx, st, ch, m.ThreadID)
		st.mu.Unlock()
		if err != nil {
			return model.Message{}, nil, false, model.Invalid("thread_id", "invalid_thread", "Ce fil de discussion est introuvable.")
		}
		if r.ThreadID != "" || r.Deleted() {
			return model.Message{}, nil, false, model.Invalid("thread_id", "invalid_thread", "On ne peut répondre qu'à un message principal qui existe encore.")
		}
	}
	key := clientKey{m.AuthorID, m.ClientID}
	var over chan struct{} // closed when this send is over; set once ours
	defer func() {
		if over != nil {
			st.mu.Lock()
			delete(st.inflight, key)
			st.mu.Unlock()
			close(over)
		}
	}()
	plain := m
	renumbered := 0
	for attempt := 0; ; attempt++ {
		st.mu.Lock()
		if err := c.syncLast(ctx, st, ch); err != nil {
			st.mu.Unlock()
			return model.Message{}, nil, false, err
		}
		if prev, ok := st.byClient(m.AuthorID, m.ClientID); ok {
			st.mu.Unlock()
			return prev, nil, false, nil
		}
		if other := st.inflight[key]; other != nil && other != over {
			// The same send is in flight: its outcome answers this one.
			st.mu.Unlock()
			select {
			case <-other:
			case <-ctx.Done():
				return model.Message{}, nil, false, ctx.Err()
			}
			attempt--
			continue
		}
		if over == nil {
			over = make(chan struct{})
			if st.inflight == nil {
				st.inflight = make(map[clientKey]chan struct{})
			}
			st.inflight[key] = over
		}
		plain.Seq = max(st.next, st.last) + 1
		plain.ID = model.MessageIDOf(ch.ID, plain.Seq)
		sealed, err := c.seal(ch, plain)
		if err != nil {
			st.mu.Unlock()
			return model.Message{}, nil, false, err
		}
		st.next = plain.Seq
		r := &commitReq{st: st, gen: st.gen, plain: plain, m: sealed, done: make(chan error, 1)}
		if !c.enqueueCommit(r) {
			// No committer (Run is not running): store it now, holding
			// the lock, one message in flight.
			err := c.st.Messages.Insert(ctx, sealed)
			c.settleLocked(r, err)
			r.done <- err
		}
		st.mu.Unlock()
		// Wait even if ctx ends: the insert may happen, and its outcome
		// keeps the channel's seqs right.
		err = <-r.done
		if err == nil {
			break
		}
		if errors.Is(err, errRenumber) {
			// Not a failure of this message: an earlier one failed.
			if renumbered++; renumbered <= maxRenumbers {
				attempt--
				continue
			}
		}
		if !errors.Is(err, model.ErrConflict) || attempt >= maxSeqAttempts {
			return model.Message{}, nil, false, fmt.Errorf("core: store message in %s: %w", ch.ID, err)
		}
		// Either this client id is already stored (a repeat the window no
		// longer holds) or another node took the seq.
		if prev, err := c.st.Messages.ByClientID(ctx, ch.ID, m.AuthorID, m.ClientID); err == nil {
			prev, err = c.open(ch, prev)
			return prev, nil, false, err
		}
		st.mu.Lock()
		st.forget() // it no longer ends at the channel's last message
		if attempt < seqStepAttempts {
			// The seq is taken: once every seq before it is stored, the
			// next send tries the one after (two nodes writing one
			// channel collide on one seq at a time). Before that, the
			// sends numbered again fill the seqs below it first.
			if plain.Seq == st.last+1 {
				st.last = plain.Seq
			}
		} else {
			// Far behind: find the last seq again.
			st.loaded = false
		}
		st.mu.Unlock()
	}
	if c.win != nil {
		if sealed, err := c.seal(ch, plain); err == nil {
			if err := c.win.Append(ctx, sealed); err != nil {
				// Stored: readers of the shared window fall back to the store.
				c.log.Warn("shared window: append", "message_id", plain.ID, "err", err)
			}
		}
	}
	if m.ThreadID == "" {
		return plain, nil, true, nil
	}
	// The root is read, counted and written back: across nodes that
	// read-modify-write takes the channel's shared lock (after st.mu, as
	// loadForChange does).
	st.mu.Lock()
	defer st.mu.Unlock()
	unlock, err := c.lockShared(ctx, ch.ID)
	if err != nil {
		c.log.Error("update thread root", "message_id", m.ThreadID, "err", err)
		return plain, nil, true, nil
	}
	defer unlock()
	root, err := c.messageLocked(ctx, st, ch, m.ThreadID)
	if err == nil {
		root.ReplyCount++
		i, _ := slices.BinarySearch(root.ReplySeqs, plain.Seq)
		root.ReplySeqs = slices.Insert(root.ReplySeqs, i, plain.Seq)
		if root.LastReplyAt == nil || plain.CreatedAt.After(*root.LastReplyAt) {
			t := plain.CreatedAt
			root.LastReplyAt = &t
		}
		err = c.replaceLocked(ctx, st, ch, root)
	}
	if err != nil {
		// The reply is stored; its root's counters lag until the next
		// reply. Log, do not fail the send.
		c.log.Error("update thread root", "message_id", m.ThreadID, "err", err)
		return plain, nil, true, nil
	}
	return plain, &root, true, nil
}

// messageLocked reads one message of ch (window first). Caller holds st.mu.
func (c *Core) messageLocked(ctx context.Context, st *chanState, ch model.Channel, id model.MessageID) (model.Message, error) {
	chID, seq, ok := id.Parse()
	if !ok || chID != ch.ID {
		return model.Message{}, errMsgNotFound
	}
	if c.win != nil {
		// Several nodes: this node's window may hold an old version.
		if _, ms, ok, err := c.win.Range(ctx, ch.ID, seq, seq, 0); err == nil && ok && len(ms) == 1 {
			return c.open(ch, ms[0])
		}
	} else if i, ok := st.index(seq); ok {
		return st.window[i], nil
	}
	m, err := c.st.Messages.ByID(ctx, id)
	if isNotFound(err) {
		return model.Message{}, errMsgNotFound
	}
	if err != nil {
		return model.Message{}, fmt.Errorf("core: message %s: %w", id, err)
	}
	return c.open(ch, m)
}

// replaceLocked writes a changed message back. Caller holds st.mu.
func (c *Core) replaceLocked(ctx context.Context, st *chanState, ch model.Channel, m model.Message) error {
	sealed, err := c.seal(ch, m)
	if err != nil {
		return err
	}
	if err := c.st.Messages.Replace(ctx, sealed); err != nil {
		return fmt.Errorf("core: update message %s: %w", m.ID, err)
	}
	st.replace(m)
	if c.win != nil {
		if err := c.win.Replace(ctx, sealed); err != nil {
			c.log.Warn("shared window: replace", "message_id", m.ID, "err", err)
		}
	}
	return nil
}

// lockShared takes the channel's cross-node write lock in multi-node mode
// (a no-op on a single node, where st.mu suffices), waiting at most
// sharedLockWait.
func (c *Core) lockShared(ctx context.Context, ch model.ChannelID) (func(), error) {
	if c.win == nil {
		return func() {}, nil
	}
	lctx, cancel := context.WithTimeout(ctx, sharedLockWait)
	defer cancel()
	unlock, err := c.win.Lock(lctx, ch)
	if err != nil {
		return nil, fmt.Errorf("core: lock channel %s: %w", ch, err)
	}
	return unlock, nil
}

// sharedLockWait bounds the wait for another node's channel write lock.
const sharedLockWait = 5 * time.Second

// History pages through a channel: after (ascending from after+1) or
// before (the page just below before); neither gives the newest page.
// hasAfter says after was given (after 0 then means "from the start").
func (c *Core) History(ctx context.Context, s model.Session, id model.ChannelID, after uint64, hasAfter bool, before uint64, limit int) ([]MessageView, uint64, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, 0, err
	}
	ch, _, err := c.channel(ctx, a, id)
	if err != nil {
		return nil, 0, err
	}
	if limit <= 0 {
		limit = 50
	}
	if limit > 100 {
		return nil, 0, model.Invalid("limit", "invalid_limit", "La page compte au plus 100 messages.")
	}
	ms, last, err := c.page(ctx, ch, after, hasAfter, before, limit)
	if err != nil {
		return nil, 0, err
	}
	vs, err := c.views(ctx, ms)
	return vs, last, err
}

// page reads seqs of ch from the window when it holds them, else the store.
func (c *Core) page(ctx context.Context, ch model.Channel, after uint64, hasAfter bool, before uint64, limit int) ([]model.Message, uint64, error) {
	if c.win != nil {
		if ms, last, ok := c.sharedPage(ctx, ch, after, hasAfter, before, limit); ok {
			return ms, last, nil
		}
	}
	st := c.chanState(ch.ID)
	st.mu.Lock()
	if err := c.syncLast(ctx, st, ch); err != nil {
		st.mu.Unlock()
		return nil, 0, err
	}
	last := st.last
	from, to := pageBounds(last, after, hasAfter, before, limit)
	if to == 0 || from > to {
		st.mu.Unlock()
		return []model.Message{}, last, nil
	}
	if c.win == nil {
		// With several nodes this node's window may hold old versions.
		if ms, ok := st.span(from, to); ok {
			st.mu.Unlock()
			return ms, last, nil
		}
	}
	st.mu.Unlock()
	ms, err := c.st.Messages.Range(ctx, ch.ID, from, to)
	if err != nil {
		return nil, 0, fmt.Errorf("core: history of %s: %w", ch.ID, err)
	}
	ms, err = c.openAll(ch, ms)
	return ms, last, err
}

// pageBounds is the seq range of a history page in a channel whose last
// seq is last (see History).
func pageBounds(last, after uint64, hasAfter bool, before uint64, limit int) (from, to uint64) {
	switch {
	case hasAfter && after >= last:
		return 1, 0 // nothing after it (and after+1 could wrap around)
	case hasAfter:
		return after + 1, min(after+uint64(limit), last)
	case before > 0:
		to = min(before-1, last)
	default:
		to = last
	}
	from = 1
	if to >= uint64(limit) {
		from = to - uint64(limit) + 1
	}
	return from, to
}

// sharedPage serves a history page from the shared window in one round
// trip; ok false sends the caller to the store (the window lost those
// messages, lags, or is unreachable).
func (c *Core) sharedPage(ctx context.Context, ch model.Channel, after uint64, hasAfter bool, before uint64, limit int) ([]model.Message, uint64, bool) {
	var from, to uint64
	newest := 0
	switch {
	case hasAfter:
		from, to = after+1, after+uint64(limit)
	case before > 0:
		from, to = pageBounds(before-1, 0, false, 0, limit)
	default:
		newest = limit
	}
	last, ms, ok, err := c.win.Range(ctx, ch.ID, from, to, newest)
	if err != nil {
		c.log.Warn("shared window: history", "channel_id", ch.ID, "err", err)
		return nil, 0, false
	}
	if !ok || last == 0 {
		return nil, 0, false
	}
	from, to = pageBounds(last, after, hasAfter, before, limit)
	if to == 0 || from > to {
		return []model.Message{}, last, true
	}
	if uint64(len(ms)) != to-from+1 || ms[0].Seq != from {
		return nil, 0, false
	}
	ms, err = c.openAll(ch, ms)
	if err != nil {
		return nil, 0, false
	}
	return ms, last, true
}

// Backlog serves a WebSocket resume: the messages after since (at most
// maxReplay) and the channel's last seq, for a user allowed to follow it
// live (a read-only conversation is read through History).
func (c *Core) Backlog(ctx context.Context, s model.Session, id model.ChannelID, since uint64) ([]MessageView, uint64, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, 0, err
	}
	ch, g, err := c.channel(ctx, a, id)
	if err != nil {
		return nil, 0, err
	}
	if err := c.loadPeers(ctx, a, ch); err != nil {
		return nil, 0, err
	}
	if !a.CanSubscribe(ch, g) {
		return nil, 0, errReadOnly
	}
	st := c.chanState(ch.ID)
	st.mu.Lock()
	err = c.syncLast(ctx, st, ch)
	last := st.last
	st.mu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	if since >= last {
		return nil, last, nil
	}
	if last-since > maxReplay {
		return nil, last, ErrTooFarBehind
	}
	var out []model.Message
	for from := since; from < last; {
		page, _, err := c.page(ctx, ch, from, true, 0, 100)
		if err != nil {
			return nil, 0, err
		}
		if len(page) == 0 {
			break
		}
		out = append(out, page...)
		from = page[len(page)-1].Seq
	}
	vs, err := c.views(ctx, out)
	return vs, last, err
}

// loadForChange reads a message the actor may see, with its channel, for
// an edit, a deletion or a reaction (write) or to read its history. The
// caller then holds the channel's write locks (st.mu and, for a write on
// several nodes, the shared one) until it calls release.
func (c *Core) loadForChange(ctx context.Context, s model.Session, id model.MessageID, write bool) (a *Actor, ch model.Channel, g *model.Group, st *chanState, m model.Message, release func(), err error) {
	a, err = c.actor(ctx, s)
	if err != nil {
		return nil, model.Channel{}, nil, nil, model.Message{}, nil, err
	}
	chID, _, ok := id.Parse()
	if !ok {
		return nil, model.Channel{}, nil, nil, model.Message{}, nil, errMsgNotFound
	}
	ch, g, err = c.channel(ctx, a, chID)
	if err != nil {
		return nil, model.Channel{}, nil, nil, model.Message{}, nil, errMsgNotFound
	}
	if write {
		// Before the locks: whether a direct conversation is read-only
		// takes reads of its participants.
		if err := c.loadPeers(ctx, a, ch); err != nil {
			return nil, model.Channel{}, nil, nil, model.Message{}, nil, err
		}
	}
	// Every change is fanned out to the channel's subscribers: one request
	// must not be turned into thousands of deliveries at will.
	if write && !c.limits.changes.Allow(ctx, string(a.ID())) {
		return nil, model.Channel{}, nil, nil, model.Message{}, nil, errChangeFlood
	}
	st = c.chanState(ch.ID)
	st.mu.Lock()
	unlock := func() {}
	if write {
		if unlock, err = c.lockShared(ctx, ch.ID); err != nil {
			st.mu.Unlock()
			return nil, model.Channel{}, nil, nil, model.Message{}, nil, err
		}
	}
	release = func() {
		unlock()
		st.mu.Unlock()
	}
	m, err = c.messageLocked(ctx, st, ch, id)
	if err != nil {
		release()
		return nil, model.Channel{}, nil, nil, model.Message{}, nil, err
	}
	return a, ch, g, st, m, release, nil
}

// EditMessage changes a message's body, keeping the previous one.
func (c *Core) EditMessage(ctx context.Context, s model.Session, id model.MessageID, body string) (MessageView, error) {
	body, err := validBody(body)
	if err != nil {
		return MessageView{}, err
	}
	r, err := c.render.Render(body)
	if err != nil {
		return MessageView{}, model.Invalid("body", "invalid_body", "Ce message ne peut pas être mis en forme.")
	}
	a, ch, g, st, m, release, err := c.loadForChange(ctx, s, id, true)
	if err != nil {
		return MessageView{}, err
	}
	if !a.CanEditMessage(ch, g, m) {
		release()
		if m.AuthorID != a.ID() {
			return MessageView{}, model.Coded(model.ErrForbidden, "forbidden", "Seul l'auteur peut modifier ce message.")
		}
		return MessageView{}, postError(a.PostRefusal(ch, g))
	}
	if body == m.Body {
		release()
		return c.view(ctx, m)
	}
	if len(m.Edits) >= 100 {
		release()
		return MessageView{}, model.Invalid("body", "too_many_edits", "Ce message a été modifié trop de fois.")
	}
	mentions, all, err := c.resolveMentions(ctx, ch, r.Mentions, a.ID())
	if err != nil {
		release()
		return MessageView{}, err
	}
	now := c.now().UTC().Truncate(time.Millisecond)
	m.Edits = append(m.Edits, model.Edit{Body: m.Body, EditedAt: now})
	m.Body, m.HTML, m.Text, m.EditedAt = body, r.HTML, r.Text, &now
	m.Mentions, m.MentionChannel = mentions, all
	err = c.replaceLocked(ctx, st, ch, m)
	release()
	if err != nil {
		return MessageView{}, err
	}
	return c.publishUpdate(ctx, m)
}

func (c *Core) publishUpdate(ctx context.Context, m model.Message) (MessageView, error) {
	v, err := c.view(ctx, m)
	if err != nil {
		return MessageView{}, err
	}
	if c.pub != nil {
		if err := c.pub.PublishUpdate(ctx, m.ChannelID, v); err != nil {
			c.log.Warn("publish message update", "message_id", m.ID, "err", err)
		}
	}
	return v, nil
}

// DeleteMessage soft-deletes a message (its author, or a channel manager).
func (c *Core) DeleteMessage(ctx context.Context, s model.Session, id model.MessageID) error {
	a, ch, g, st, m, release, err := c.loadForChange(ctx, s, id, true)
	if err != nil {
		return err
	}
	if m.Deleted() {
		release()
		return nil
	}
	if !a.CanDeleteMessage(ch, g, m) {
		release()
		return model.Coded(model.ErrForbidden, "forbidden", "Vous ne pouvez pas supprimer ce message.")
	}
	// The text goes; the history of edits goes with it. On SQLite the
	// store then erases it from the disk too (store.Messages.Replace).
	m.Erase(c.now().UTC().Truncate(time.Millisecond))
	err = c.replaceLocked(ctx, st, ch, m)
	release()
	if err != nil {
		return err
	}
	c.log.Info("audit: message deleted", "actor_id", a.ID(), "message_id", m.ID)
	_, err = c.publishUpdate(ctx, m)
	return err
}

// EditHistory lists the previous versions of a message, oldest first.
func (c *Core) EditHistory(ctx context.Context, s model.Session, id model.MessageID) ([]model.Edit, error) {
	_, _, _, _, m, release, err := c.loadForChange(ctx, s, id, false)
	if err != nil {
		return nil, err
	}
	release()
	if m.Edits == nil {
		return []model.Edit{}, nil
	}
	return m.Edits, nil
}

// validEmoji accepts one emoji (a short run of symbols), not text: every
// rune is an emoji symbol or a part of an emoji sequence (joiner,
// variation selector, keycap, tag), with at least one symbol. Letters of
// any script, invisible and bidirectional controls are refused.
func validEmoji(e string) bool {
	if !emojiShaped(e) || utf8.RuneCountInString(e) > 8 {
		return false
	}
	symbol := false
	for _, r := range e {
		switch {
		case r == 0x200D, r == 0xFE0E, r == 0xFE0F, r == 0x20E3, r >= 0xE0020 && r <= 0xE007F:
			// joiner, variation selectors, keycap, tags: parts of a sequence
		case r == '#' || r == '*' || r >= '0' && r <= '9':
			if !strings.ContainsRune(e, 0x20E3) {
				return false // only as a keycap (1️⃣)
			}
			symbol = true
		case emojiSymbol(r):
			symbol = true
		default:
			return false
		}
	}
	return symbol
}

// emojiShaped: short valid text, all a reaction's removal asks of it.
func emojiShaped(e string) bool { return e != "" && len(e) <= 32 && utf8.ValidString(e) }

// emojiSymbol reports a rune of the blocks emoji are drawn from.
func emojiSymbol(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF: // pictographs, emoticons, flags, skin tones
	case r >= 0x2600 && r <= 0x27BF: // miscellaneous symbols, dingbats
	case r >= 0x2300 && r <= 0x23FF: // ⌚ ⏰
	case r >= 0x2B00 && r <= 0x2BFF: // ⬆ ⭐ ⭕
	case r >= 0x2190 && r <= 0x21FF: // arrows
	case r >= 0x25A0 && r <= 0x25FF: // ▶ ◀ ◻
	case r == 0x00A9, r == 0x00AE, r == 0x203C, r == 0x2049, r == 0x2122, r == 0x2139,
		r == 0x24C2, r == 0x2934, r == 0x2935, r == 0x3030, r == 0x303D, r == 0x3297, r == 0x3299:
	default:
		return false
	}
	return true
}

// React adds (on) or removes (off) the actor's emoji on a message.
func (c *Core) React(ctx context.Context, s model.Session, id model.MessageID, emoji string, on bool) (MessageView, error) {
	// Removing is checked more loosely than adding: a reaction stored
	// before validEmoji tightened must stay removable.
	if on && !validEmoji(emoji) || !on && !emojiShaped(emoji) {
		return MessageView{}, model.Invalid("emoji", "invalid_emoji", "Réaction non valide : choisissez un émoji.")
	}
	a, ch, g, st, m, release, err := c.loadForChange(ctx, s, id, true)
	if err != nil {
		return MessageView{}, err
	}
	if !a.CanReact(ch, g) || m.Deleted() {
		release()
		if m.Deleted() {
			return MessageView{}, model.Coded(model.ErrConflict, "message_deleted", "Ce message a été supprimé.")
		}
		return MessageView{}, postError(a.PostRefusal(ch, g))
	}
	changed := false
	i := slices.IndexFunc(m.Reactions, func(r model.Reaction) bool { return r.Emoji == emoji })
	switch {
	case on && i < 0:
		if len(m.Reactions) >= 50 {
			release()
			return MessageView{}, model.Invalid("emoji", "too_many_reactions", "Ce message a déjà trop de réactions différentes.")
		}
		m.Reactions = append(m.Reactions, model.Reaction{Emoji: emoji, Users: []model.UserID{a.ID()}})
		changed = true
	case on && !slices.Contains(m.Reactions[i].Users, a.ID()):
		m.Reactions[i].Users = append(slices.Clone(m.Reactions[i].Users), a.ID())
		changed = true
	case !on && i >= 0 && slices.Contains(m.Reactions[i].Users, a.ID()):
		users := slices.DeleteFunc(slices.Clone(m.Reactions[i].Users), func(u model.UserID) bool { return u == a.ID() })
		m.Reactions = slices.Clone(m.Reactions)
		if len(users) == 0 {
			m.Reactions = slices.Delete(m.Reactions, i, i+1)
		} else {
			m.Reactions[i].Users = users
		}
		changed = true
	}
	if !changed {
		release()
		return c.view(ctx, m)
	}
	err = c.replaceLocked(ctx, st, ch, m)
	release()
	if err != nil {
		return MessageView{}, err
	}
	return c.publishUpdate(ctx, m)
}

// Typing authorises a typing notice: only those who may post type.
func (c *Core) Typing(ctx context.Context, s model.Session, id model.ChannelID) error {
	a, err := c.actor(ctx, s)
	if err != nil {
		return err
	}
	ch, g, err := c.channel(ctx, a, id)
	if err != nil {
		return err
	}
	if err := c.loadPeers(ctx, a, ch); err != nil {
		return err
	}
	if r := a.PostRefusal(ch, g); r != PostAllowed {
		return postError(r)
	}
	return nil
}
