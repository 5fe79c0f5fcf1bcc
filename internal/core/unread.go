package core

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

// afterSend records what a new message means for other users: mentions
// (unread mention counts) and thread following. Failures are logged: the
// message itself is stored and delivered.
func (c *Core) afterSend(ctx context.Context, ch model.Channel, m model.Message, root *model.Message) {
	// The channel's recorded last seq (msglog.Log.Record) is skipped (as
	// is the author's read marker) when a later send of the channel (by
	// the author) is queued: its work covers this one.
	if c.bg.pending.take(lastSeqKey(ch.ID), m.Seq) {
		c.msgs.Record(ctx, ch.ID, m.Seq)
	}
	// Writing in a channel means having read it (as in Slack): one's own
	// messages are never unread.
	if c.bg.pending.take(authorReadKey(m.AuthorID, ch.ID), m.Seq) {
		c.authorRead(ctx, m.AuthorID, ch.ID, m.Seq)
	}
	targets := m.Mentions
	if m.MentionChannel {
		cms, err := c.st.ChannelMembers.ByChannel(ctx, ch.ID)
		if err != nil {
			c.log.Warn("mention channel members", "channel_id", ch.ID, "err", err)
		}
		for _, cm := range cms {
			if cm.UserID != m.AuthorID && !slices.Contains(targets, cm.UserID) {
				targets = append(targets, cm.UserID)
			}
		}
	}
	for _, u := range targets {
		unlock := c.cached.locks.lock("rm:" + string(u) + ":" + string(ch.ID))
		mk, err := c.cached.markers.Get(ctx, u, ch.ID)
		if err == nil && m.Seq > mk.Seq && !slices.Contains(mk.MentionSeqs, m.Seq) {
			mk.MentionSeqs = append(mk.MentionSeqs, m.Seq)
			if len(mk.MentionSeqs) > 500 {
				mk.MentionSeqs = mk.MentionSeqs[len(mk.MentionSeqs)-500:]
			}
			mk.UpdatedAt = c.now()
			err = c.cached.markers.Put(ctx, mk)
		}
		unlock()
		if err != nil {
			c.log.Warn("record mention", "channel_id", ch.ID, "user_id", u, "err", err)
		}
	}
	if root == nil {
		return
	}
	// The replier follows the thread and has read it up to their reply; the
	// root's author and the people mentioned in the reply follow it too.
	c.follow(ctx, m.AuthorID, *root, true, m.Seq, true)
	if root.AuthorID != m.AuthorID {
		c.follow(ctx, root.AuthorID, *root, false, 0, false)
	}
	for _, u := range m.Mentions {
		c.follow(ctx, u, *root, false, 0, false)
	}
}

func lastSeqKey(ch model.ChannelID) string { return "seq:" + string(ch) }

// authorReadEvery is how often the authors' read markers are written.
// Writing one's message means having read the channel up to it; writing
// the marker on every send was the store's busiest write (an update per
// message, a third of the server's CPU at 2,000 messages/s on
// FerretDB-PostgreSQL). The write now waits up to this long, one per
// author and channel however many they sent meanwhile. On one node the
// cached marker moves at once, so nobody sees the difference; with several
// nodes another node may count the author's own messages unread for that
// long, and a crash forgets that much of the authors' reading.
const authorReadEvery = 500 * time.Millisecond

// authorRead advances the author's read marker to seq: in the cache now
// and in the store at the next flushAuthorReads (at once when Run is not
// running).
func (c *Core) authorRead(ctx context.Context, user model.UserID, ch model.ChannelID, seq uint64) {
	if !c.bg.running.Load() {
		if err := c.advanceRead(ctx, user, ch, seq); err != nil {
			c.log.Warn("advance author's read marker", "channel_id", ch, "err", err)
		}
		return
	}
	if keeper, ok := c.cached.markers.(markerKeeper); ok {
		unlock := c.cached.locks.lock("rm:" + string(user) + ":" + string(ch))
		if mk, err := c.cached.markers.Get(ctx, user, ch); err == nil && seq > mk.Seq {
			mk.Seq = seq
			mk.MentionSeqs = slices.DeleteFunc(mk.MentionSeqs, func(q uint64) bool { return q <= seq })
			mk.UpdatedAt = c.now()
			keeper.Keep(mk)
		}
		unlock()
	}
	k := markerKey{user, ch}
	c.bg.readsMu.Lock()
	if c.bg.reads == nil {
		c.bg.reads = make(map[markerKey]uint64)
	}
	c.bg.reads[k] = max(c.bg.reads[k], seq)
	c.bg.readsMu.Unlock()
}

type markerKey struct {
	user model.UserID
	ch   model.ChannelID
}

// flushAuthorReads writes the read markers authorRead moved since the last
// flush.
func (c *Core) flushAuthorReads(ctx context.Context) {
	c.bg.readsMu.Lock()
	reads := c.bg.reads
	c.bg.reads = nil
	c.bg.readsMu.Unlock()
	for k, seq := range reads {
		unlock := c.cached.locks.lock("rm:" + string(k.user) + ":" + string(k.ch))
		mk, err := c.cached.markers.Get(ctx, k.user, k.ch)
		if err == nil {
			if seq > mk.Seq {
				mk.Seq = seq
				mk.MentionSeqs = slices.DeleteFunc(mk.MentionSeqs, func(q uint64) bool { return q <= seq })
				mk.UpdatedAt = c.now()
			}
			// The cache may already say so: the store does not yet.
			err = c.cached.markers.Put(ctx, mk)
		}
		unlock()
		if err != nil {
			c.log.Warn("advance author's read marker", "channel_id", k.ch, "err", err)
		}
	}
}

func authorReadKey(u model.UserID, ch model.ChannelID) string {
	return "read:" + string(u) + ":" + string(ch)
}

// lockThreadState serialises the read-modify-write of user's state of
// the thread of root on this node.
func (c *Core) lockThreadState(user model.UserID, root model.Message) func() {
	return c.cached.locks.lock("ts:" + string(user) + ":" + string(root.ID))
}

// threadState is user's state of the thread of root; a zero one (not
// following) when none is stored.
func (c *Core) threadState(ctx context.Context, user model.UserID, root model.Message) (store.ThreadState, error) {
	ts, err := c.st.ThreadStates.Get(ctx, user, root.ID)
	if isNotFound(err) {
		return store.ThreadState{UserID: user, RootID: root.ID, ChannelID: root.ChannelID}, nil
	}
	return ts, err
}

// follow makes user follow root; read advances their read position when
// set; replied says read is the seq of a reply of theirs. An explicit
// unfollow is kept unless force.
func (c *Core) follow(ctx context.Context, user model.UserID, root model.Message, force bool, read uint64, replied bool) {
	unlock := c.lockThreadState(user, root)
	defer unlock()
	ts, err := c.st.ThreadStates.Get(ctx, user, root.ID)
	switch {
	case isNotFound(err):
		ts = store.ThreadState{UserID: user, RootID: root.ID, ChannelID: root.ChannelID, Following: true}
	case err != nil:
		c.log.Warn("thread state", "message_id", root.ID, "user_id", user, "err", err)
		return
	case !ts.Following && !force:
		return
	}
	ts.Following = true
	ts.ReadSeq = max(ts.ReadSeq, read)
	if replied && (ts.RepliedSeq == 0 || read < ts.RepliedSeq) {
		ts.RepliedSeq = read
	}
	ts.UpdatedAt = c.now()
	if err := c.st.ThreadStates.Put(ctx, ts); err != nil {
		c.log.Warn("follow thread", "message_id", root.ID, "user_id", user, "err", err)
	}
}

// MarkRead records that the user read ch up to seq.
func (c *Core) MarkRead(ctx context.Context, s model.Session, id model.ChannelID, seq uint64) error {
	a, ch, _, err := c.actorChannel(ctx, s, id)
	if err != nil {
		return err
	}
	last, err := c.msgs.Last(ctx, ch.ID)
	if err != nil {
		return err
	}
	err = c.advanceRead(ctx, a.ID(), ch.ID, min(seq, last))
	if err != nil {
		return fmt.Errorf("core: mark read %s: %w", ch.ID, err)
	}
	return nil
}

// advanceRead moves the user's read marker of ch up to seq (never back)
// and drops the mentions it passes.
func (c *Core) advanceRead(ctx context.Context, user model.UserID, ch model.ChannelID, seq uint64) error {
	unlock := c.cached.locks.lock("rm:" + string(user) + ":" + string(ch))
	defer unlock()
	mk, err := c.cached.markers.Get(ctx, user, ch)
	if err != nil || seq <= mk.Seq {
		return err
	}
	mk.Seq = seq
	mk.MentionSeqs = slices.DeleteFunc(mk.MentionSeqs, func(q uint64) bool { return q <= seq })
	mk.UpdatedAt = c.now()
	return c.cached.markers.Put(ctx, mk)
}

// UnreadView is one channel's unread state for the caller.
type UnreadView struct {
	ChannelID model.ChannelID `json:"channel_id"`
	LastSeq   uint64          `json:"last_seq"`
	ReadSeq   uint64          `json:"read_seq"`
	Unread    uint64          `json:"unread"`
	Mentions  int             `json:"mentions"`
}

// ThreadUnreadView is one followed thread's unread state.
type ThreadUnreadView struct {
	ThreadID   model.MessageID `json:"thread_id"`
	ChannelID  model.ChannelID `json:"channel_id"`
	Unread     int             `json:"unread"`
	ReplyCount int             `json:"reply_count"`
	Following  bool            `json:"following"`
}

// Unread returns the unread counts of every channel the caller joined
// (top-level messages of others after the read marker) and of followed
// threads (replies after the thread's read position).
// lastSeqProbes bounds the channels whose last seq Unread looks up at once.
const lastSeqProbes = 8

func (c *Core) Unread(ctx context.Context, s model.Session) ([]UnreadView, []ThreadUnreadView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	visible, err := c.joinedVisible(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	seen := slices.Sorted(maps.Keys(visible))
	mks, err := c.cached.markers.Many(ctx, a.ID(), seen)
	if err != nil {
		return nil, nil, fmt.Errorf("core: unread: %w", err)
	}
	// The recorded last seq lags (it is written every few messages): after a restart, or for a channel another node wrote to,
	// it would count recent messages as read. So each channel's true one,
	// from memory once known; the first request after a start finds them
	// in the store, a few channels at a time (sequential probes of 50
	// channels took 70–100 ms).
	lasts := make([]uint64, len(seen))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(lastSeqProbes)
	for i, id := range seen {
		g.Go(func() (err error) {
			lasts[i], err = c.msgs.Last(gctx, id)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, fmt.Errorf("core: unread: %w", err)
	}
	// What is unread is what the channel shows below its "Nouveaux
	// messages" divider: messages of others, not thread replies (those
	// count in their followed thread), not deleted. Only channels with
	// something after the marker are read, a few at a time.
	counts := make([]uint64, len(seen))
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(lastSeqProbes)
	for i, id := range seen {
		read := min(mks[i].Seq, lasts[i])
		if read >= lasts[i] {
			continue
		}
		g.Go(func() (err error) {
			counts[i], err = c.unreadCount(gctx, a.ID(), visible[id], read, lasts[i])
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, fmt.Errorf("core: unread: %w", err)
	}
	out := make([]UnreadView, 0, len(seen))
	for i, id := range seen {
		last := lasts[i]
		read := min(mks[i].Seq, last)
		out = append(out, UnreadView{ChannelID: id, LastSeq: last, ReadSeq: read, Unread: counts[i], Mentions: len(mks[i].MentionSeqs)})
	}
	threads, err := c.followedThreads(ctx, a, 100)
	if err != nil {
		return nil, nil, err
	}
	tv := make([]ThreadUnreadView, 0, len(threads))
	for _, t := range threads {
		tv = append(tv, ThreadUnreadView{ThreadID: t.root.ID, ChannelID: t.root.ChannelID, Unread: t.unread, ReplyCount: t.root.ReplyCount, Following: true})
	}
	return out, tv, nil
}

// unreadScan bounds the messages unreadCount reads after a read marker;
// past it every further seq counts (a channel that far behind shows
// "99+" either way).
const unreadScan = 200

// unreadCount counts the messages of ch in (read, last] that user sees as
// unread: top-level, by someone else, not deleted.
func (c *Core) unreadCount(ctx context.Context, user model.UserID, ch model.Channel, read, last uint64) (uint64, error) {
	ms, _, err := c.msgs.Page(ctx, ch, read, true, 0, unreadScan)
	if err != nil {
		return 0, err
	}
	var n uint64
	top := read
	for _, m := range ms {
		top = max(top, m.Seq)
		if m.ThreadID == "" && m.AuthorID != user && !m.Deleted() {
			n++
		}
	}
	if last > top {
		n += last - top
	}
	return n, nil
}

// joinedVisible returns the channels the actor joined and may still see.
func (c *Core) joinedVisible(ctx context.Context, a *Actor) (map[model.ChannelID]model.Channel, error) {
	chs, err := c.cached.channels.ByIDs(ctx, slices.Collect(maps.Keys(a.channels)))
	if err != nil {
		return nil, fmt.Errorf("core: joined channels: %w", err)
	}
	gids := map[model.GroupID]bool{}
	for _, ch := range chs {
		if ch.GroupID != "" {
			gids[ch.GroupID] = true
		}
	}
	groups := map[model.GroupID]*model.Group{}
	for gid := range gids {
		if g, err := c.st.Groups.ByID(ctx, gid); err == nil {
			groups[gid] = &g
		}
	}
	visible := make(map[model.ChannelID]model.Channel, len(chs))
	for _, ch := range chs {
		if a.CanSeeChannel(ch, groups[ch.GroupID]) {
			visible[ch.ID] = ch
		}
	}
	return visible, nil
}

type followed struct {
	root   model.Message
	state  store.ThreadState
	unread int
}

// actorThreads resolves the session's actor and the threads it follows
// (followedThreads).
func (c *Core) actorThreads(ctx context.Context, s model.Session, limit int) (*Actor, []followed, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	fs, err := c.followedThreads(ctx, a, limit)
	return a, fs, err
}

// followedThreads loads the threads the actor follows and may still read.
func (c *Core) followedThreads(ctx context.Context, a *Actor, limit int) ([]followed, error) {
	states, err := c.st.ThreadStates.Following(ctx, a.ID(), limit)
	if err != nil {
		return nil, fmt.Errorf("core: threads: %w", err)
	}
	var out []followed
	for _, ts := range states {
		ch, _, err := c.channel(ctx, a, ts.ChannelID)
		if err != nil {
			continue // access gone: the thread is not shown
		}
		root, err := c.msgs.Get(ctx, ch, ts.RootID)
		if err != nil {
			if errors.Is(err, model.ErrNotFound) {
				continue
			}
			return nil, err
		}
		n := 0
		for _, q := range root.ReplySeqs {
			if q > ts.ReadSeq {
				n++
			}
		}
		out = append(out, followed{root: root, state: ts, unread: n})
	}
	return out, nil
}

// ThreadView is a thread: its root, its replies and whether the caller
// follows it.
type ThreadView struct {
	Root      MessageView   `json:"root"`
	Replies   []MessageView `json:"replies"`
	Following bool          `json:"following"`
}

// Thread returns a thread (root and its replies, oldest first).
func (c *Core) Thread(ctx context.Context, s model.Session, id model.MessageID) (ThreadView, error) {
	a, ch, root, err := c.loadMessage(ctx, s, id)
	if err != nil {
		return ThreadView{}, err
	}
	if root.ThreadID != "" {
		return ThreadView{}, model.Coded(model.ErrNotFound, "not_found", "Ce message n’ouvre pas de fil.")
	}
	replies, err := c.msgs.BySeqs(ctx, ch, root.ReplySeqs)
	if err != nil {
		return ThreadView{}, fmt.Errorf("core: thread %s: %w", id, err)
	}
	vs, err := c.views(ctx, append([]model.Message{root}, replies...))
	if err != nil {
		return ThreadView{}, err
	}
	ts, err := c.st.ThreadStates.Get(ctx, a.ID(), root.ID)
	following := err == nil && ts.Following
	return ThreadView{Root: vs[0], Replies: vs[1:], Following: following}, nil
}

// SetFollow follows or unfollows a thread.
func (c *Core) SetFollow(ctx context.Context, s model.Session, id model.MessageID, on bool) error {
	a, _, root, err := c.loadMessage(ctx, s, id)
	if err != nil {
		return err
	}
	if root.ThreadID != "" {
		return model.Coded(model.ErrNotFound, "not_found", "Ce message n’ouvre pas de fil.")
	}
	if on {
		c.follow(ctx, a.ID(), root, true, 0, false)
		return nil
	}
	return c.changeThreadState(ctx, a.ID(), root, "unfollow", id, func(ts *store.ThreadState) bool {
		ts.Following = false
		return true
	})
}

// MarkThreadRead records the caller read a thread up to seq.
func (c *Core) MarkThreadRead(ctx context.Context, s model.Session, id model.MessageID, seq uint64) error {
	a, _, root, err := c.loadMessage(ctx, s, id)
	if err != nil {
		return err
	}
	return c.changeThreadState(ctx, a.ID(), root, "thread read", id, func(ts *store.ThreadState) bool {
		if seq <= ts.ReadSeq {
			return false
		}
		ts.ReadSeq = seq
		return true
	})
}

// changeThreadState applies change to user's state of the thread of root,
// under its lock, and stores it (updated now) when change says it changed.
// what and id (the message asked for) name the call in errors.
func (c *Core) changeThreadState(ctx context.Context, user model.UserID, root model.Message, what string, id model.MessageID, change func(*store.ThreadState) bool) error {
	unlock := c.lockThreadState(user, root)
	defer unlock()
	ts, err := c.threadState(ctx, user, root)
	if err != nil {
		return fmt.Errorf("core: %s %s: %w", what, id, err)
	}
	if !change(&ts) {
		return nil
	}
	ts.UpdatedAt = c.now()
	return c.st.ThreadStates.Put(ctx, ts)
}

// FollowedThreadView is one entry of "Fils suivis".
type FollowedThreadView struct {
	Root        MessageView `json:"root"`
	Unread      int         `json:"unread"`
	ReplyCount  int         `json:"reply_count"`
	LastReplyAt *time.Time  `json:"last_reply_at,omitempty"`
}

// Threads lists the followed threads, most recent activity first.
func (c *Core) Threads(ctx context.Context, s model.Session) ([]FollowedThreadView, error) {
	_, fs, err := c.actorThreads(ctx, s, 100)
	if err != nil {
		return nil, err
	}
	roots := make([]model.Message, len(fs))
	for i, f := range fs {
		roots[i] = f.root
	}
	vs, err := c.views(ctx, roots)
	if err != nil {
		return nil, err
	}
	out := make([]FollowedThreadView, len(fs))
	for i, f := range fs {
		out[i] = FollowedThreadView{Root: vs[i], Unread: f.unread, ReplyCount: f.root.ReplyCount, LastReplyAt: f.root.LastReplyAt}
	}
	slices.SortStableFunc(out, func(x, y FollowedThreadView) int {
		tx, ty := x.Root.CreatedAt, y.Root.CreatedAt
		if x.LastReplyAt != nil {
			tx = *x.LastReplyAt
		}
		if y.LastReplyAt != nil {
			ty = *y.LastReplyAt
		}
		return ty.Compare(tx)
	})
	return out, nil
}

// Replies is "réponses à mes messages": the newest replies by others to
// the caller's messages, among the threads they follow: every reply to a
// thread they started, and in a thread they replied to, the replies that
// came after their first one. A thread followed only for a mention or by
// choice has no reply to them.
func (c *Core) Replies(ctx context.Context, s model.Session) ([]MessageView, error) {
	a, fs, err := c.actorThreads(ctx, s, 50)
	if err != nil {
		return nil, err
	}
	var out []model.Message
	for _, f := range fs {
		seqs := f.root.ReplySeqs
		if len(seqs) > 20 {
			seqs = seqs[len(seqs)-20:]
		}
		ch, _, err := c.channel(ctx, a, f.root.ChannelID)
		if err != nil {
			continue
		}
		rs, err := c.msgs.BySeqs(ctx, ch, seqs)
		if err != nil {
			return nil, fmt.Errorf("core: replies: %w", err)
		}
		// Replies after this seq answer the caller: all of them in their
		// own thread, else those after their first reply.
		var after uint64
		if f.root.AuthorID != a.ID() {
			after = f.state.RepliedSeq
			if after == 0 {
				// A state written before RepliedSeq existed: the caller's
				// first reply among those read, if any.
				if i := slices.IndexFunc(rs, func(r model.Message) bool { return r.AuthorID == a.ID() }); i >= 0 {
					after = rs[i].Seq
				}
			}
			if after == 0 {
				continue // no reply of theirs: nothing answers them
			}
		}
		for _, r := range rs {
			if r.AuthorID != a.ID() && !r.Deleted() && r.Seq > after {
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(x, y model.Message) int { return y.CreatedAt.Compare(x.CreatedAt) })
	if len(out) > 100 {
		out = out[:100]
	}
	return c.views(ctx, out)
}
