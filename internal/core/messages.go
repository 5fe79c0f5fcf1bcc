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
	"github.com/ecpts/ecpts/internal/msglog"
)

// maxBody is the longest message body, in characters.
const maxBody = 8000

// ErrTooFarBehind: a resume asks for more than msglog.MaxReplay
// messages; the client pages through REST first.
var ErrTooFarBehind = model.Coded(nil, "too_far_behind",
	"Trop de messages manqués : l’historique se recharge par pages.")

var clientIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// AuthorView names a message's author; profession and commune tell
// homonyms apart. A directory entry (DirectoryEntry) and a user shown to
// others (UserView) start with it.
type AuthorView struct {
	ID         model.UserID     `json:"id"`
	Name       string           `json:"name"`
	Profession model.Profession `json:"profession"`
	// ProfessionLabel names this person: in the form they chose
	// (TitleForm), inclusive when they chose none.
	ProfessionLabel string `json:"profession_label"`
	Commune         string `json:"commune,omitempty"`
}

func authorView(u model.User) AuthorView {
	return AuthorView{ID: u.ID, Name: u.Name, Profession: u.Profession, ProfessionLabel: u.Profession.LabelFor(u.TitleForm), Commune: u.Commune}
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
	// Files attached (none once deleted), in the order sent.
	Files []FileView `json:"files" openapi:"nonnull"`
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
	var fileIDs []model.FileID
	for _, m := range ms {
		if !m.Deleted() {
			fileIDs = append(fileIDs, m.Files...)
		}
	}
	files, err := c.filesOf(ctx, fileIDs)
	if err != nil {
		return nil, err
	}
	out := make([]MessageView, len(ms))
	for i, m := range ms {
		out[i] = messageView(m, users)
		for _, id := range m.Files {
			if f, ok := files[id]; ok && !m.Deleted() {
				out[i].Files = append(out[i].Files, f)
			}
		}
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
		Mentions: m.Mentions, MentionChannel: m.MentionChannel, Files: []FileView{},
	}
	if v.Mentions == nil {
		v.Mentions = []model.UserID{}
	}
	if u, ok := users[m.AuthorID]; ok {
		author := authorView(u)
		v.Author = &author
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

// sealCodec is the message log's Codec: a direct conversation's content
// is sealed at rest with the conversation's key (Sealer).
type sealCodec struct{ sealer Sealer }

// Seal moves a direct message's content into its envelope.
func (c sealCodec) Seal(ch model.Channel, m model.Message) (model.Message, error) {
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

// Open restores a direct message's content.
func (c sealCodec) Open(ch model.Channel, m model.Message) (model.Message, error) {
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

// SendInput is one message to post.
type SendInput struct {
	Channel  model.ChannelID
	ClientID string
	Body     string
	ThreadID model.MessageID
	// At dates the message in the past: the demo history only (zero: now;
	// a future time is now). The HTTP and WebSocket layers never set it.
	At time.Time
	// FileIDs are the sender's own uploads to this channel to attach
	// (POST /api/v1/files); a message with files may have no text.
	FileIDs []model.FileID
}

var (
	errArchived     = model.Coded(model.ErrConflict, "channel_archived", "Ce canal est archivé : on ne peut plus y écrire.")
	errNotPoster    = model.Coded(model.ErrForbidden, "forbidden", "Vous ne pouvez pas écrire dans ce canal.")
	errAnnounceOnly = model.Coded(model.ErrForbidden, "announcement_only", "Seule la coordination publie dans ce canal d’annonces.")
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
		return MessageView{}, false, model.Invalid("client_id", "invalid_client_id", "L’identifiant client du message doit être un UUID.")
	}
	// An idempotent repeat answers even if posting is no longer allowed.
	if m, ok := c.msgs.ByClient(ch.ID, a.ID(), clientID); ok {
		v, err := c.view(ctx, m)
		return v, false, err
	}
	if err := c.loadPeers(ctx, a, ch); err != nil {
		return MessageView{}, false, err
	}
	if r := a.PostRefusal(ch, g); r != PostAllowed {
		return MessageView{}, false, postError(r)
	}
	var body string
	if len(in.FileIDs) > 0 && strings.TrimSpace(in.Body) == "" {
		body = "" // files alone
	} else if body, err = validBody(in.Body); err != nil {
		return MessageView{}, false, err
	}
	files, err := c.loadFiles(ctx, a, in.FileIDs, FileWhere{Channel: ch.ID})
	if err != nil {
		return MessageView{}, false, err
	}
	if !c.limits.sends.Allow(ctx, string(a.ID())) {
		return MessageView{}, false, errSendFlood
	}
	r, err := c.content.render.Render(body)
	if err != nil {
		return MessageView{}, false, model.Invalid("body", "invalid_body", "Ce message ne peut pas être mis en forme.")
	}
	mentions, all, err := c.resolveMentions(ctx, ch, r.Mentions, a.ID())
	if err != nil {
		return MessageView{}, false, err
	}
	at := c.now()
	if !in.At.IsZero() && in.At.Before(at) {
		at = in.At
	}
	m := model.Message{
		ChannelID: ch.ID, AuthorID: a.ID(), ClientID: clientID, Body: body, HTML: r.HTML, Text: r.Text,
		ThreadID: in.ThreadID, Mentions: mentions, MentionChannel: all, CreatedAt: at.UTC().Truncate(time.Millisecond),
	}
	for _, f := range files {
		m.Files = append(m.Files, f.ID)
	}

	stored, root, created, err := c.insert(ctx, ch, m)
	if err != nil {
		return MessageView{}, false, err
	}
	if created {
		// The channel's later seqs publish after this one (msglog
		// Publish): release them whatever happens below. Published is
		// idempotent.
		defer c.msgs.Published(ch.ID, stored.Seq)
	}
	if created && len(files) > 0 {
		if stored, err = c.attachToMessage(ctx, ch, stored, files); err != nil {
			return MessageView{}, false, err
		}
	}
	v, err := c.view(ctx, stored)
	if err != nil {
		return MessageView{}, false, err
	}
	if !created {
		return v, false, nil
	}
	if c.pub != nil {
		// Publish in seq order: group commit stores concurrent sends
		// together and each sender gets here on its own, so N+1 could go
		// out before N; a client holding N+1 that reconnects then resumes
		// after N+1 (docs/protocol.md) and never gets N. The publication
		// may run on the goroutine of an earlier send of the channel; it
		// is not cut short by this sender leaving: the order is for the
		// others.
		pctx := context.WithoutCancel(ctx)
		c.msgs.Publish(ch.ID, stored.Seq, func() {
			if err := c.pub.PublishMessage(pctx, ch.ID, stored.Seq, v); err != nil {
				// Stored but not fanned out: subscribers get it on their
				// next resume; nothing is lost.
				c.log.Warn("publish message", "channel_id", ch.ID, "seq", stored.Seq, "err", err)
			}
		})
	}
	c.msgs.Published(ch.ID, stored.Seq)
	// The search outbox record is written after the group commit that
	// stored the message (messagesStored), one write for several commits.
	if c.pub != nil {
		if root != nil {
			if rv, err := c.view(ctx, *root); err == nil {
				_ = c.pub.PublishUpdate(ctx, ch.ID, rv)
			}
		}
	}
	c.bg.pending.note(lastSeqKey(ch.ID), stored.Seq)
	c.bg.pending.note(authorReadKey(stored.AuthorID, ch.ID), stored.Seq)
	c.later(ctx, func(ctx context.Context) { c.afterSend(ctx, ch, stored, root) })
	return v, true, nil
}

// attachToMessage attaches the checked files to the stored message. If
// another request attached one of them meanwhile (the same user sending it
// twice at once), the message keeps none of them: it is stored, so it
// stays, without files, and the error says why.
func (c *Core) attachToMessage(ctx context.Context, ch model.Channel, m model.Message, files []model.File) (model.Message, error) {
	err := c.attachLoaded(ctx, files, model.Attachment{Kind: model.AttachMessage, ID: string(m.ID), At: m.CreatedAt})
	if err == nil {
		return m, nil
	}
	c.log.Warn("attach files to message", "message_id", m.ID, "err", err)
	stripped, _, uerr := c.msgs.Update(context.WithoutCancel(ctx), ch, m.ID, func(m *model.Message) (bool, error) {
		m.Files = nil
		return true, nil
	})
	if uerr != nil {
		c.log.Error("strip files of message", "message_id", m.ID, "err", uerr)
		return m, err
	}
	return stripped, nil
}

// insert stores m through the message log (next seq, group commit,
// idempotent by client id) and updates its thread root. It returns the
// stored message, the updated root (nil outside a thread) and whether a
// message was created (false: a repeat of a stored one).
func (c *Core) insert(ctx context.Context, ch model.Channel, m model.Message) (model.Message, *model.Message, bool, error) {
	if m.ThreadID != "" {
		r, err := c.msgs.Get(ctx, ch, m.ThreadID)
		if err != nil {
			return model.Message{}, nil, false, model.Invalid("thread_id", "invalid_thread", "Ce fil de discussion est introuvable.")
		}
		if r.ThreadID != "" || r.Deleted() {
			return model.Message{}, nil, false, model.Invalid("thread_id", "invalid_thread", "On ne peut répondre qu’à un message principal qui existe encore.")
		}
	}
	plain, created, err := c.msgs.Append(ctx, ch, m)
	if err != nil || !created || m.ThreadID == "" {
		return plain, nil, created, err
	}
	// The root is read, counted and written back under the channel's
	// write locks (msglog.Log.Update).
	root, _, err := c.msgs.Update(ctx, ch, m.ThreadID, func(root *model.Message) (bool, error) {
		root.ReplyCount++
		i, _ := slices.BinarySearch(root.ReplySeqs, plain.Seq)
		root.ReplySeqs = slices.Insert(root.ReplySeqs, i, plain.Seq)
		if root.LastReplyAt == nil || plain.CreatedAt.After(*root.LastReplyAt) {
			t := plain.CreatedAt
			root.LastReplyAt = &t
		}
		return true, nil
	})
	if err != nil {
		// The reply is stored; its root's counters lag until the next
		// reply. Log, do not fail the send.
		c.log.Error("update thread root", "message_id", m.ThreadID, "err", err)
		return plain, nil, true, nil
	}
	return plain, &root, true, nil
}

// History pages through a channel: after (ascending from after+1) or
// before (the page just below before); neither gives the newest page.
// hasAfter says after was given (after 0 then means "from the start").
func (c *Core) History(ctx context.Context, s model.Session, id model.ChannelID, after uint64, hasAfter bool, before uint64, limit int) ([]MessageView, uint64, error) {
	_, ch, _, err := c.actorChannel(ctx, s, id)
	if err != nil {
		return nil, 0, err
	}
	if limit <= 0 {
		limit = 50
	}
	if limit > 100 {
		return nil, 0, model.Invalid("limit", "invalid_limit", "La page compte au plus 100 messages.")
	}
	ms, last, err := c.msgs.Page(ctx, ch, after, hasAfter, before, limit)
	if err != nil {
		return nil, 0, err
	}
	vs, err := c.views(ctx, ms)
	return vs, last, err
}

// Backlog serves a WebSocket resume: the messages after since (at most
// msglog.MaxReplay) and the channel's last seq, for a user allowed to follow it
// live (a read-only conversation is read through History).
func (c *Core) Backlog(ctx context.Context, s model.Session, id model.ChannelID, since uint64) ([]MessageView, uint64, error) {
	a, ch, g, err := c.actorChannel(ctx, s, id)
	if err != nil {
		return nil, 0, err
	}
	if err := c.loadPeers(ctx, a, ch); err != nil {
		return nil, 0, err
	}
	if !a.CanSubscribe(ch, g) {
		return nil, 0, errReadOnly
	}
	ms, last, err := c.msgs.Since(ctx, ch, since)
	if errors.Is(err, msglog.ErrTooFarBehind) {
		return nil, last, ErrTooFarBehind
	}
	if err != nil || since >= last {
		return nil, last, err
	}
	vs, err := c.views(ctx, ms)
	return vs, last, err
}

// messageChannel finds the channel of message id for the actor: a
// message of a channel they may not see is not found.
func (c *Core) messageChannel(ctx context.Context, s model.Session, id model.MessageID) (*Actor, model.Channel, *model.Group, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, model.Channel{}, nil, err
	}
	chID, _, ok := id.Parse()
	if !ok {
		return nil, model.Channel{}, nil, errMsgNotFound
	}
	ch, g, err := c.channel(ctx, a, chID)
	if err != nil {
		return nil, model.Channel{}, nil, errMsgNotFound
	}
	return a, ch, g, nil
}

// loadMessage reads a message the actor may see, with its channel (to read
// its history or its thread).
func (c *Core) loadMessage(ctx context.Context, s model.Session, id model.MessageID) (*Actor, model.Channel, model.Message, error) {
	a, ch, _, err := c.messageChannel(ctx, s, id)
	if err != nil {
		return nil, model.Channel{}, model.Message{}, err
	}
	m, err := c.msgs.Get(ctx, ch, id)
	if errors.Is(err, msglog.ErrNotFound) {
		err = errMsgNotFound
	}
	if err != nil {
		return nil, model.Channel{}, model.Message{}, err
	}
	return a, ch, m, nil
}

// changeMessage runs change on a message the actor may see, for an edit,
// a deletion or a reaction: change asks policy.go whether the actor may,
// changes m and reports whether it did; the message is then written back.
// change runs under the channel's write locks (msglog.Log.Update). It
// returns the actor and the message as it now is.
func (c *Core) changeMessage(ctx context.Context, s model.Session, id model.MessageID,
	change func(a *Actor, ch model.Channel, g *model.Group, m *model.Message) (bool, error)) (*Actor, model.Message, bool, error) {
	a, ch, g, err := c.messageChannel(ctx, s, id)
	if err != nil {
		return nil, model.Message{}, false, err
	}
	// Before the locks: whether a direct conversation is read-only takes
	// reads of its participants.
	if err := c.loadPeers(ctx, a, ch); err != nil {
		return nil, model.Message{}, false, err
	}
	// Every change is fanned out to the channel's subscribers: one request
	// must not be turned into thousands of deliveries at will.
	if !c.limits.changes.Allow(ctx, string(a.ID())) {
		return nil, model.Message{}, false, errChangeFlood
	}
	m, changed, err := c.msgs.Update(ctx, ch, id, func(m *model.Message) (bool, error) { return change(a, ch, g, m) })
	if errors.Is(err, msglog.ErrNotFound) {
		err = errMsgNotFound
	}
	if err != nil {
		return nil, model.Message{}, false, err
	}
	if changed {
		c.touchMessage(ctx, ch, id)
	}
	return a, m, changed, nil
}

// EditMessage changes a message's body, keeping the previous one.
func (c *Core) EditMessage(ctx context.Context, s model.Session, id model.MessageID, body string) (MessageView, error) {
	body, err := validBody(body)
	if err != nil {
		return MessageView{}, err
	}
	r, err := c.content.render.Render(body)
	if err != nil {
		return MessageView{}, model.Invalid("body", "invalid_body", "Ce message ne peut pas être mis en forme.")
	}
	_, m, changed, err := c.changeMessage(ctx, s, id, func(a *Actor, ch model.Channel, g *model.Group, m *model.Message) (bool, error) {
		if !a.CanEditMessage(ch, g, *m) {
			if m.AuthorID != a.ID() {
				return false, model.Coded(model.ErrForbidden, "forbidden", "Seul l’auteur peut modifier ce message.")
			}
			return false, postError(a.PostRefusal(ch, g))
		}
		if body == m.Body {
			return false, nil
		}
		if len(m.Edits) >= 100 {
			return false, model.Invalid("body", "too_many_edits", "Ce message a été modifié trop de fois.")
		}
		mentions, all, err := c.resolveMentions(ctx, ch, r.Mentions, a.ID())
		if err != nil {
			return false, err
		}
		now := c.now().UTC().Truncate(time.Millisecond)
		m.Edits = append(m.Edits, model.Edit{Body: m.Body, EditedAt: now})
		m.Body, m.HTML, m.Text, m.EditedAt = body, r.HTML, r.Text, &now
		m.Mentions, m.MentionChannel = mentions, all
		return true, nil
	})
	return c.updatedView(ctx, m, changed, err)
}

// updatedView ends a change of m: err, or m's view, published to the
// channel when the change did change it.
func (c *Core) updatedView(ctx context.Context, m model.Message, changed bool, err error) (MessageView, error) {
	if err != nil {
		return MessageView{}, err
	}
	if !changed {
		return c.view(ctx, m)
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
	var files []model.FileID
	a, m, changed, err := c.changeMessage(ctx, s, id, func(a *Actor, ch model.Channel, g *model.Group, m *model.Message) (bool, error) {
		if m.Deleted() {
			return false, nil
		}
		if !a.CanDeleteMessage(ch, g, *m) {
			return false, model.Coded(model.ErrForbidden, "forbidden", "Vous ne pouvez pas supprimer ce message.")
		}
		// The text goes; the history of edits goes with it. On SQLite the
		// store then erases it from the disk too (store.Messages.Replace).
		files = slices.Clone(m.Files)
		m.Erase(c.now().UTC().Truncate(time.Millisecond))
		return true, nil
	})
	if err != nil || !changed {
		return err
	}
	// Its files go with it: detached, then removed.
	c.DetachFiles(ctx, files)
	c.log.Info("audit: message deleted", "actor_id", a.ID(), "message_id", m.ID)
	_, err = c.publishUpdate(ctx, m)
	return err
}

// EditHistory lists the previous versions of a message, oldest first.
func (c *Core) EditHistory(ctx context.Context, s model.Session, id model.MessageID) ([]model.Edit, error) {
	_, _, m, err := c.loadMessage(ctx, s, id)
	if err != nil {
		return nil, err
	}
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
		return MessageView{}, model.Invalid("emoji", "invalid_emoji", "Réaction non valide : choisissez un émoji.")
	}
	_, m, changed, err := c.changeMessage(ctx, s, id, func(a *Actor, ch model.Channel, g *model.Group, m *model.Message) (bool, error) {
		if !a.CanReact(ch, g) || m.Deleted() {
			if m.Deleted() {
				return false, model.Coded(model.ErrConflict, "message_deleted", "Ce message a été supprimé.")
			}
			return false, postError(a.PostRefusal(ch, g))
		}
		// m may share its slices with the log's window: change copies, so
		// a failed write leaves the window as stored.
		m.Reactions = slices.Clone(m.Reactions)
		i := slices.IndexFunc(m.Reactions, func(r model.Reaction) bool { return r.Emoji == emoji })
		switch {
		case on && i < 0:
			if len(m.Reactions) >= 50 {
				return false, model.Invalid("emoji", "too_many_reactions", "Ce message a déjà trop de réactions différentes.")
			}
			m.Reactions = append(m.Reactions, model.Reaction{Emoji: emoji, Users: []model.UserID{a.ID()}})
			return true, nil
		case on && !slices.Contains(m.Reactions[i].Users, a.ID()):
			m.Reactions[i].Users = append(slices.Clone(m.Reactions[i].Users), a.ID())
			return true, nil
		case !on && i >= 0 && slices.Contains(m.Reactions[i].Users, a.ID()):
			users := slices.DeleteFunc(slices.Clone(m.Reactions[i].Users), func(u model.UserID) bool { return u == a.ID() })
			if len(users) == 0 {
				m.Reactions = slices.Delete(m.Reactions, i, i+1)
			} else {
				m.Reactions[i].Users = users
			}
			return true, nil
		}
		return false, nil
	})
	return c.updatedView(ctx, m, changed, err)
}

// Typing authorises a typing notice: only those who may post type.
func (c *Core) Typing(ctx context.Context, s model.Session, id model.ChannelID) error {
	a, ch, g, err := c.actorChannel(ctx, s, id)
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
