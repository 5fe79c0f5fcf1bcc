package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ecpts/ecpts/internal/model"
)

// HomeView is what needs the caller, for the home page: their unread
// mentions (the newest few), the threads they follow with new replies,
// and, for coordinators, the members waiting for validation.
type HomeView struct {
	// MentionCount counts every unread mention; Mentions holds the newest
	// (at most homeMentions).
	MentionCount int           `json:"mention_count"`
	Mentions     []HomeMention `json:"mentions"`
	// Threads: followed threads with unread replies, latest reply first
	// (at most homeThreads).
	Threads []HomeThread `json:"threads"`
	// Pending: members waiting for validation in the CPTS the caller
	// manages, oldest first.
	Pending []PendingMember `json:"pending"`
}

// HomeMention is one unread message that mentions the caller.
type HomeMention struct {
	Message     MessageView       `json:"message"`
	ChannelName string            `json:"channel_name"`
	ChannelKind model.ChannelKind `json:"channel_kind"`
	Excerpt     string            `json:"excerpt"`
}

// HomeThread is one followed thread with replies the caller has not read.
type HomeThread struct {
	Root        MessageView       `json:"root"`
	ChannelName string            `json:"channel_name"`
	ChannelKind model.ChannelKind `json:"channel_kind"`
	Excerpt     string            `json:"excerpt"`
	Unread      int               `json:"unread"`
	ReplyCount  int               `json:"reply_count"`
	LastReplyAt *time.Time        `json:"last_reply_at,omitempty"`
}

// PendingMember is someone who accepted an invitation and waits for a
// coordinator's validation.
type PendingMember struct {
	CPTSID   model.CPTSID `json:"cpts_id"`
	CPTSName string       `json:"cpts_name"`
	Member   MemberView   `json:"member"`
}

const (
	homeMentions = 10
	homeThreads  = 10
	// homeMentionsPerChannel bounds the messages read per channel.
	homeMentionsPerChannel = 5
	excerptRunes           = 160
)

// Home gathers what needs the caller. It reads the read markers of the
// caller's channels in one query, then only the channels with unread
// mentions; nothing per channel otherwise.
func (c *Core) Home(ctx context.Context, s model.Session) (HomeView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return HomeView{}, err
	}
	out := HomeView{Mentions: []HomeMention{}, Threads: []HomeThread{}, Pending: []PendingMember{}}

	visible, err := c.joinedVisible(ctx, a)
	if err != nil {
		return HomeView{}, err
	}
	ids := make([]model.ChannelID, 0, len(visible))
	for id := range visible {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	mks, err := c.cached.markers.Many(ctx, a.ID(), ids)
	if err != nil {
		return HomeView{}, fmt.Errorf("core: home: %w", err)
	}
	var mentioned []model.Message
	for i, id := range ids {
		seqs := mks[i].MentionSeqs
		if len(seqs) == 0 {
			continue
		}
		out.MentionCount += len(seqs)
		seqs = slices.Clone(seqs)
		slices.Sort(seqs)
		if len(seqs) > homeMentionsPerChannel {
			seqs = seqs[len(seqs)-homeMentionsPerChannel:]
		}
		ms, err := c.msgs.BySeqs(ctx, visible[id], seqs)
		if err != nil {
			return HomeView{}, fmt.Errorf("core: home mentions: %w", err)
		}
		for _, m := range ms {
			if !m.Deleted() {
				mentioned = append(mentioned, m)
			}
		}
	}
	slices.SortFunc(mentioned, func(x, y model.Message) int { return y.CreatedAt.Compare(x.CreatedAt) })
	if len(mentioned) > homeMentions {
		mentioned = mentioned[:homeMentions]
	}
	mvs, err := c.views(ctx, mentioned)
	if err != nil {
		return HomeView{}, err
	}
	for _, v := range mvs {
		ch := visible[v.ChannelID]
		out.Mentions = append(out.Mentions, HomeMention{Message: v, ChannelName: ch.Name, ChannelKind: ch.Kind, Excerpt: excerpt(v.Body)})
	}

	fs, err := c.followedThreads(ctx, a, 100)
	if err != nil {
		return HomeView{}, err
	}
	fs = slices.DeleteFunc(fs, func(f followed) bool { return f.unread == 0 })
	last := func(f followed) time.Time {
		if f.root.LastReplyAt != nil {
			return *f.root.LastReplyAt
		}
		return f.root.CreatedAt
	}
	slices.SortStableFunc(fs, func(x, y followed) int { return last(y).Compare(last(x)) })
	if len(fs) > homeThreads {
		fs = fs[:homeThreads]
	}
	roots := make([]model.Message, len(fs))
	for i, f := range fs {
		roots[i] = f.root
	}
	rvs, err := c.views(ctx, roots)
	if err != nil {
		return HomeView{}, err
	}
	for i, f := range fs {
		ch, ok := visible[f.root.ChannelID]
		if !ok {
			if ch, _, err = c.channel(ctx, a, f.root.ChannelID); err != nil {
				continue
			}
		}
		out.Threads = append(out.Threads, HomeThread{
			Root: rvs[i], ChannelName: ch.Name, ChannelKind: ch.Kind, Excerpt: excerpt(rvs[i].Body),
			Unread: f.unread, ReplyCount: f.root.ReplyCount, LastReplyAt: f.root.LastReplyAt,
		})
	}

	if out.Pending, err = c.pendingMembers(ctx, a); err != nil {
		return HomeView{}, err
	}
	return out, nil
}

// pendingMembers lists the pending members of the CPTS the actor belongs
// to and manages (a platform admin's home shows those of its own CPTS
// only: the overview counts the others).
func (c *Core) pendingMembers(ctx context.Context, a *Actor) ([]PendingMember, error) {
	out := []PendingMember{}
	var managed []model.CPTSID
	for id := range a.cpts {
		if a.CanManageCPTS(id) {
			managed = append(managed, id)
		}
	}
	if len(managed) == 0 {
		return out, nil
	}
	ms, err := c.st.Memberships.Pending(ctx, managed)
	if err != nil {
		return nil, fmt.Errorf("core: pending members: %w", err)
	}
	ms = slices.DeleteFunc(ms, func(m model.Membership) bool { return !a.CanSeeMember(m) })
	if len(ms) == 0 {
		return out, nil
	}
	uids := make([]model.UserID, 0, len(ms))
	cids := make([]model.CPTSID, 0, len(ms))
	for _, m := range ms {
		uids = append(uids, m.UserID)
		cids = append(cids, m.CPTSID)
	}
	users, err := c.usersByID(ctx, uids)
	if err != nil {
		return nil, fmt.Errorf("core: pending members: %w", err)
	}
	cs, err := c.st.CPTS.ByIDs(ctx, cids)
	if err != nil {
		return nil, fmt.Errorf("core: pending members: %w", err)
	}
	names := make(map[model.CPTSID]string, len(cs))
	for _, x := range cs {
		names[x.ID] = x.Name
	}
	for _, m := range ms {
		u, ok := users[m.UserID]
		if !ok {
			continue
		}
		v := memberView(u, m, a.CanSeeMemberEmails(m.CPTSID))
		out = append(out, PendingMember{CPTSID: m.CPTSID, CPTSName: names[m.CPTSID], Member: v})
	}
	return out, nil
}

// excerpt is the start of a message body on one line, at most
// excerptRunes long (an ellipsis says it was cut).
func excerpt(body string) string {
	s := strings.Join(strings.Fields(body), " ")
	if utf8.RuneCountInString(s) <= excerptRunes {
		return s
	}
	r := []rune(s)[:excerptRunes-1]
	return strings.TrimRight(string(r), " ") + "…"
}
