package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

func announcement(scope model.FeedScope, title string, d time.Duration) model.Post {
	return model.Post{
		CPTSID: scope.CPTSID, GroupID: scope.GroupID, Kind: model.PostAnnouncement, Title: title,
		Body: "Bonjour **à tous**", HTML: "<p>Bonjour <strong>à tous</strong></p>", Text: "Bonjour à tous",
		AuthorID: model.UserID(id()), CommentsChannel: model.ChannelID(id()), CreatedAt: at(d),
	}
}

func event(scope model.FeedScope, title string, starts time.Time, capacity int) model.Post {
	p := announcement(scope, title, 0)
	p.Kind = model.PostEvent
	deadline := starts.Add(-48 * time.Hour)
	p.Event = &model.EventInfo{
		StartsAt: starts, EndsAt: starts.Add(2 * time.Hour), Place: "Maison de santé, salle 2",
		VisioURL: "https://visio.example.org/cpts", Capacity: capacity, SignupDeadline: &deadline,
	}
	return p
}

// storedPost is what the store gives back for p inserted at seq.
func storedPost(p model.Post, seq uint64) model.Post {
	p.Seq, p.ID = seq, model.PostIDOf(p.Scope(), seq)
	p.CreatedAt = ms(p.CreatedAt)
	if p.EditedAt != nil {
		p.EditedAt = msPtr(*p.EditedAt)
	}
	if e := p.Event; e != nil {
		c := *e
		c.StartsAt, c.EndsAt = ms(c.StartsAt), ms(c.EndsAt)
		if c.SignupDeadline != nil {
			c.SignupDeadline = msPtr(*c.SignupDeadline)
		}
		p.Event = &c
	}
	return p
}

func postSeqs(ps []model.Post) []uint64 {
	out := make([]uint64, len(ps))
	for i, p := range ps {
		out[i] = p.Seq
	}
	return out
}

func seqsDown(from, to uint64, skip ...uint64) []uint64 {
	out := []uint64{}
	for q := from; q >= to && q > 0; q-- {
		if !slices.Contains(skip, q) {
			out = append(out, q)
		}
	}
	return out
}

func testPosts(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("RoundTripAndIDs", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		feed := model.CPTSFeed(model.CPTSID(id()))
		a := announcement(feed, "Assemblée générale", 0)
		a.Files = []model.FileID{model.FileID(id()), model.FileID(id())}
		got, err := s.Posts.Insert(ctx, a)
		must(t, err, "insert announcement")
		equal(t, got, storedPost(a, 1), "Insert result")
		e := event(model.GroupFeed(model.GroupID(id())), "Formation BPCO", at(72*time.Hour), 20)
		gotE, err := s.Posts.Insert(ctx, e)
		must(t, err, "insert event")
		equal(t, gotE, storedPost(e, 1), "event Insert result")
		for _, p := range []model.Post{got, gotE} {
			back, err := s.Posts.ByID(ctx, p.ID)
			must(t, err, "by id")
			equal(t, back, p, "ByID")
			if !p.ID.Valid() {
				t.Fatalf("post id %q", p.ID)
			}
		}
		both, err := s.Posts.ByIDs(ctx, []model.PostID{gotE.ID, model.PostIDOf(feed, 9), got.ID})
		must(t, err, "by ids")
		equal(t, both, []model.Post{gotE, got}, "ByIDs, in the order asked")
		_, err = s.Posts.ByID(ctx, model.PostIDOf(feed, 2))
		wantErr(t, err, model.ErrNotFound, "absent post")
		backwards := event(feed, "À l'envers", at(time.Hour), 0)
		backwards.Event.EndsAt = at(0)
		for _, bad := range []model.Post{
			backwards,
			{Kind: model.PostAnnouncement},
			{CPTSID: feed.CPTSID, GroupID: model.GroupID(id()), Kind: model.PostAnnouncement},
			{CPTSID: feed.CPTSID, Kind: "sondage"},
			{CPTSID: feed.CPTSID, Kind: model.PostEvent},
			{CPTSID: feed.CPTSID, Kind: model.PostAnnouncement, Event: e.Event},
		} {
			if _, err := s.Posts.Insert(ctx, bad); err == nil {
				t.Fatalf("Insert(%+v) accepted", bad)
			}
		}
	})
	t.Run("FeedPagesPinsAndDeletions", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		feed, other := model.CPTSFeed(model.CPTSID(id())), model.GroupFeed(model.GroupID(id()))
		var posts []model.Post
		for i := 0; i < 45; i++ {
			p, err := s.Posts.Insert(ctx, announcement(feed, fmt.Sprintf("Annonce %d", i+1), time.Duration(i)*time.Minute))
			must(t, err, "insert")
			posts = append(posts, p)
			if i < 5 {
				_, err := s.Posts.Insert(ctx, announcement(other, "Ailleurs", 0))
				must(t, err, "insert elsewhere")
			}
		}
		last, err := s.Posts.LastSeq(ctx, feed)
		must(t, err, "last seq")
		equal(t, last, uint64(45), "LastSeq")
		seqs, err := s.Posts.LastSeqs(ctx, []model.FeedScope{feed, other, model.CPTSFeed(model.CPTSID(id()))})
		must(t, err, "last seqs")
		equal(t, seqs[feed], uint64(45), "LastSeqs of the feed")
		equal(t, seqs[other], uint64(5), "LastSeqs of the group")
		page, err := s.Posts.Feed(ctx, feed, 0, 20)
		must(t, err, "first page")
		equal(t, postSeqs(page.Posts), seqsDown(45, 26), "first page")
		equal(t, page.Next, uint64(26), "first page next")
		equal(t, len(page.Pinned), 0, "nothing pinned")
		equal(t, page.Posts[0], posts[44], "newest post")
		page, err = s.Posts.Feed(ctx, feed, page.Next, 20)
		must(t, err, "second page")
		equal(t, postSeqs(page.Posts), seqsDown(25, 6), "second page")
		page, err = s.Posts.Feed(ctx, feed, page.Next, 20)
		must(t, err, "last page")
		equal(t, postSeqs(page.Posts), seqsDown(5, 1), "last page")
		equal(t, page.Next, uint64(0), "no page after the last")

		// Pins: on top of the first page, most recently pinned first, out
		// of the pages; a deleted post leaves the feed and its pin.
		must(t, s.Posts.Pin(ctx, posts[9].ID, model.UserID(id()), at(time.Hour)), "pin 10")
		must(t, s.Posts.Pin(ctx, posts[43].ID, model.UserID(id()), at(2*time.Hour)), "pin 44")
		must(t, s.Posts.Pin(ctx, posts[43].ID, model.UserID(id()), at(3*time.Hour)), "pin 44 again")
		must(t, s.Posts.Pin(ctx, posts[20].ID, model.UserID(id()), at(4*time.Hour)), "pin 21")
		must(t, s.Posts.Delete(ctx, posts[20].ID, at(5*time.Hour)), "delete pinned 21")
		must(t, s.Posts.Delete(ctx, posts[41].ID, at(5*time.Hour)), "delete 42")
		wantErr(t, s.Posts.Pin(ctx, model.PostIDOf(feed, 99), model.UserID(id()), at(0)), model.ErrNotFound, "pin absent")
		page, err = s.Posts.Feed(ctx, feed, 0, 20)
		must(t, err, "first page with pins")
		equal(t, postSeqs(page.Pinned), []uint64{44, 10}, "pinned, latest pin first")
		if !page.Pinned[0].Pinned || !page.Pinned[0].PinnedAt.Equal(ms(at(2*time.Hour))) {
			t.Fatalf("pin of 44: %+v %v", page.Pinned[0].Pinned, page.Pinned[0].PinnedAt)
		}
		equal(t, postSeqs(page.Posts), seqsDown(45, 24, 44, 42, 21, 10), "first page without the pinned and the deleted")
		page, err = s.Posts.Feed(ctx, feed, page.Next, 20)
		must(t, err, "second page with pins")
		equal(t, len(page.Pinned), 0, "pins on the first page only")
		equal(t, postSeqs(page.Posts), seqsDown(23, 2, 21, 10), "second page")
		equal(t, page.Next, uint64(2), "second page next")
		page, err = s.Posts.Feed(ctx, feed, page.Next, 20)
		must(t, err, "third page with pins")
		equal(t, postSeqs(page.Posts), []uint64{1}, "third page")
		must(t, s.Posts.Unpin(ctx, posts[43].ID), "unpin")
		must(t, s.Posts.Unpin(ctx, posts[43].ID), "unpin again")
		pinned, err := s.Posts.Pinned(ctx, feed)
		must(t, err, "pinned")
		equal(t, postSeqs(pinned), []uint64{10}, "after unpin")
		// The deleted post keeps its place, loses its content.
		del, err := s.Posts.ByID(ctx, posts[20].ID)
		must(t, err, "deleted by id")
		if !del.Deleted() || del.Title != "" || del.Body != "" || del.HTML != "" || del.Text != "" || del.Pinned || !del.DeletedAt.Equal(ms(at(5*time.Hour))) {
			t.Fatalf("deleted post: %+v", del)
		}
		last, err = s.Posts.LastSeq(ctx, feed)
		must(t, err, "last seq after deletions")
		equal(t, last, uint64(45), "deleted posts keep their seq")
		p, err := s.Posts.Insert(ctx, announcement(feed, "Suite", time.Hour))
		must(t, err, "insert after")
		equal(t, p.Seq, uint64(46), "next seq")
	})
	t.Run("ConcurrentInsertsTakeDistinctSeqs", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		feed := model.CPTSFeed(model.CPTSID(id()))
		const n = 12
		var wg sync.WaitGroup
		got := make([]uint64, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := s.Posts.Insert(ctx, announcement(feed, fmt.Sprintf("Annonce %d", i), 0))
				got[i], errs[i] = p.Seq, err
			}()
		}
		wg.Wait()
		for _, err := range errs {
			must(t, err, "concurrent insert")
		}
		slices.Sort(got)
		want := make([]uint64, n)
		for i := range want {
			want[i] = uint64(i + 1)
		}
		equal(t, got, want, "seqs of concurrent inserts")
	})
	t.Run("UpdateAndDelete", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		feed := model.CPTSFeed(model.CPTSID(id()))
		p, err := s.Posts.Insert(ctx, event(feed, "Réunion plénière", at(24*time.Hour), 0))
		must(t, err, "insert")
		edited := at(time.Hour)
		p.Title, p.Body, p.HTML, p.Text, p.EditedAt = "Réunion plénière (salle changée)", "Salle 3", "<p>Salle 3</p>", "Salle 3", &edited
		p.Event.Place, p.Event.Capacity = "Salle 3", 12
		p.Files = []model.FileID{model.FileID(id())}
		got, err := s.Posts.Update(ctx, p)
		must(t, err, "update")
		equal(t, got, storedPost(p, 1), "Update result")
		back, err := s.Posts.ByID(ctx, p.ID)
		must(t, err, "by id")
		equal(t, back, got, "after update")
		asAnnouncement := p
		asAnnouncement.Event = nil
		if _, err := s.Posts.Update(ctx, asAnnouncement); err == nil {
			t.Fatal("an event updated without its details")
		}
		_, err = s.Posts.Update(ctx, announcement(feed, "x", 0))
		wantErr(t, err, model.ErrNotFound, "update of a post never stored")
		must(t, s.Posts.Delete(ctx, p.ID, at(2*time.Hour)), "delete")
		must(t, s.Posts.Delete(ctx, p.ID, at(3*time.Hour)), "delete again")
		back, err = s.Posts.ByID(ctx, p.ID)
		must(t, err, "deleted by id")
		if back.Event != nil || back.Files != nil || !back.DeletedAt.Equal(ms(at(2*time.Hour))) || back.Kind != model.PostEvent {
			t.Fatalf("deleted event: %+v", back)
		}
		_, err = s.Posts.Update(ctx, p)
		wantErr(t, err, model.ErrNotFound, "update of a deleted post")
		wantErr(t, s.Posts.Delete(ctx, model.PostIDOf(feed, 7), at(0)), model.ErrNotFound, "delete absent")
	})
	t.Run("EditRacingDeletionStaysDeleted", func(t *testing.T) {
		// FerretDB writes an update back whole: an edit that read the post
		// before a concurrent deletion would undo it without the tombstone.
		s, ctx := open(t), ctxT(t)
		feed := model.CPTSFeed(model.CPTSID(id()))
		for round := 0; round < 15; round++ {
			p, err := s.Posts.Insert(ctx, announcement(feed, "À supprimer", 0))
			must(t, err, "insert")
			editsRaceDeletion(t, func(i int) error {
				e := p
				e.Title = fmt.Sprintf("Modifié %d", i)
				_, err := s.Posts.Update(ctx, e)
				return err
			}, func() error { return s.Posts.Delete(ctx, p.ID, at(time.Hour)) })
			got, err := s.Posts.ByID(ctx, p.ID)
			must(t, err, "by id")
			if !got.Deleted() || got.Title != "" {
				t.Fatalf("round %d: the deletion was undone by a concurrent edit: %+v", round, got)
			}
		}
	})
	t.Run("Upcoming", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		f1, f2, f3 := model.CPTSFeed(model.CPTSID(id())), model.GroupFeed(model.GroupID(id())), model.CPTSFeed(model.CPTSID(id()))
		now := at(0)
		ins := func(p model.Post) model.Post {
			t.Helper()
			got, err := s.Posts.Insert(ctx, p)
			must(t, err, "insert")
			return got
		}
		past := ins(event(f1, "Passé", now.Add(-5*time.Hour), 0))     // ended 3 h ago
		ongoing := ins(event(f1, "En cours", now.Add(-time.Hour), 0)) // ends in 1 h
		later := ins(event(f2, "Dans une semaine", now.Add(7*24*time.Hour), 0))
		soon := ins(event(f1, "Demain", now.Add(24*time.Hour), 0))
		ins(announcement(f1, "Pas un événement", 0))
		gone := ins(event(f2, "Annulé", now.Add(48*time.Hour), 0))
		ins(event(f3, "Autre CPTS", now.Add(24*time.Hour), 0))
		must(t, s.Posts.Delete(ctx, gone.ID, now), "delete")
		got, err := s.Posts.Upcoming(ctx, []model.FeedScope{f1, f2}, now, 0)
		must(t, err, "upcoming")
		equal(t, ids(got, func(p model.Post) model.PostID { return p.ID }), []string{string(ongoing.ID), string(soon.ID), string(later.ID)}, "upcoming, soonest first")
		got, err = s.Posts.Upcoming(ctx, []model.FeedScope{f1, f2}, now, 2)
		must(t, err, "upcoming, limited")
		equal(t, len(got), 2, "limit")
		// Moved to the past by an edit: no longer upcoming.
		soon.Event.StartsAt, soon.Event.EndsAt = now.Add(-10*time.Hour), now.Add(-9*time.Hour)
		_, err = s.Posts.Update(ctx, soon)
		must(t, err, "update")
		got, err = s.Posts.Upcoming(ctx, []model.FeedScope{f1}, now, 0)
		must(t, err, "upcoming after the edit")
		equal(t, ids(got, func(p model.Post) model.PostID { return p.ID }), []string{string(ongoing.ID)}, "upcoming of f1")
		got, err = s.Posts.Upcoming(ctx, []model.FeedScope{f1}, now.Add(-24*time.Hour), 0)
		must(t, err, "upcoming from yesterday")
		equal(t, ids(got, func(p model.Post) model.PostID { return p.ID }), []string{string(soon.ID), string(past.ID), string(ongoing.ID)}, "upcoming of f1 from yesterday")
		none, err := s.Posts.Upcoming(ctx, nil, now, 0)
		must(t, err, "upcoming of no feed")
		equal(t, len(none), 0, "no feed")
	})
	t.Run("FeedMarkers", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		u, f1, f2 := model.UserID(id()), model.CPTSFeed(model.CPTSID(id())), model.GroupFeed(model.GroupID(id()))
		must(t, s.FeedMarkers.Advance(ctx, u, f1, 7, at(0)), "advance")
		must(t, s.FeedMarkers.Advance(ctx, u, f1, 5, at(time.Minute)), "advance backwards")
		must(t, s.FeedMarkers.Advance(ctx, model.UserID(id()), f2, 3, at(0)), "other user")
		got, err := s.FeedMarkers.Many(ctx, u, []model.FeedScope{f1, f2})
		must(t, err, "many")
		equal(t, got, map[model.FeedScope]uint64{f1: 7, f2: 0}, "markers never go down")
	})
	t.Run("CommentsChannelsStayOutOfLists", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		c, g := model.CPTSID(id()), model.GroupID(id())
		ch1 := cptsChannel("commentaires", c)
		ch1.Kind = model.KindComments
		ch2 := cptsChannel("commentaires", c)
		ch2.Kind = model.KindComments
		ch3 := groupChannel("commentaires", g)
		ch3.Kind = model.KindComments
		for _, ch := range []model.Channel{ch1, ch2, ch3} {
			must(t, s.Channels.Insert(ctx, ch), "insert comments channel (names need not be unique)")
			got, err := s.Channels.ByID(ctx, ch.ID)
			must(t, err, "by id")
			equal(t, got, stored(ch), "ByID")
		}
		must(t, s.Channels.Insert(ctx, cptsChannel("commentaires", c)), "a standard channel of the same name")
		inCPTS, err := s.Channels.ByCPTS(ctx, c)
		must(t, err, "by cpts")
		inGroup, err := s.Channels.ByGroup(ctx, g)
		must(t, err, "by group")
		if len(inCPTS) != 1 || inCPTS[0].Kind != model.KindStandard || len(inGroup) != 0 {
			t.Fatalf("comments channels listed: CPTS %+v, group %+v", inCPTS, inGroup)
		}
	})
}

func testPostReactions(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("AddRemoveByPosts", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		feed := model.CPTSFeed(model.CPTSID(id()))
		p1, p2, p3 := model.PostIDOf(feed, 1), model.PostIDOf(feed, 2), model.PostIDOf(feed, 3)
		u1, u2 := model.UserID(id()), model.UserID(id())
		add := func(p model.PostID, u model.UserID, e string, d time.Duration, want bool) {
			t.Helper()
			added, err := s.PostReactions.Add(ctx, p, u, e, at(d))
			must(t, err, "add")
			equal(t, added, want, fmt.Sprintf("Add %s by %s", e, u))
		}
		add(p1, u1, "👍", 0, true)
		add(p1, u2, "🎉", time.Second, true)
		add(p1, u2, "👍", 2*time.Second, true)
		add(p1, u1, "👍", 3*time.Second, false)
		add(p2, u2, "❤️", 0, true)
		if _, err := s.PostReactions.Add(ctx, p1, u1, "", at(0)); err == nil {
			t.Fatal("empty emoji accepted")
		}
		got, err := s.PostReactions.ByPosts(ctx, []model.PostID{p1, p2, p3})
		must(t, err, "by posts")
		equal(t, got, map[model.PostID][]model.Reaction{
			p1: {{Emoji: "👍", Users: []model.UserID{u1, u2}}, {Emoji: "🎉", Users: []model.UserID{u2}}},
			p2: {{Emoji: "❤️", Users: []model.UserID{u2}}},
		}, "ByPosts")
		removed, err := s.PostReactions.Remove(ctx, p1, u1, "👍")
		must(t, err, "remove")
		equal(t, removed, true, "removed")
		removed, err = s.PostReactions.Remove(ctx, p1, u1, "👍")
		must(t, err, "remove again")
		equal(t, removed, false, "removed twice")
		got, err = s.PostReactions.ByPosts(ctx, []model.PostID{p1})
		must(t, err, "by posts")
		equal(t, got[p1], []model.Reaction{{Emoji: "🎉", Users: []model.UserID{u2}}, {Emoji: "👍", Users: []model.UserID{u2}}}, "after removal, emojis by their first remaining reaction")
	})
	t.Run("ConcurrentReactionsKeepEveryOne", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		p := model.PostIDOf(model.CPTSFeed(model.CPTSID(id())), 1)
		emojis := []string{"👍", "🎉", "❤️"}
		users := make([]model.UserID, 8)
		for i := range users {
			users[i] = model.UserID(id())
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, u := range users {
			for _, e := range emojis {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					if _, err := s.PostReactions.Add(ctx, p, u, e, at(0)); err != nil {
						t.Errorf("add: %v", err)
					}
				}()
			}
		}
		close(start)
		wg.Wait()
		got, err := s.PostReactions.ByPosts(ctx, []model.PostID{p})
		must(t, err, "by posts")
		if len(got[p]) != len(emojis) {
			t.Fatalf("%d emojis, want %d", len(got[p]), len(emojis))
		}
		for _, r := range got[p] {
			if len(r.Users) != len(users) {
				t.Fatalf("%s: %d users, want %d: a concurrent reaction was lost", r.Emoji, len(r.Users), len(users))
			}
		}
	})
}

func testRSVPs(t *testing.T, open func(t *testing.T) *store.Store) {
	feed := model.CPTSFeed(model.CPTSID(id()))
	rsvp := func(p model.PostID, u model.UserID, a model.RSVPAnswer, d time.Duration) model.RSVP {
		return model.RSVP{PostID: p, UserID: u, Answer: a, At: at(d)}
	}
	t.Run("AnswersCountsAndList", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		p1, p2, p3 := model.PostIDOf(feed, 1), model.PostIDOf(feed, 2), model.PostIDOf(feed, 3)
		u1, u2, u3 := model.UserID(id()), model.UserID(id()), model.UserID(id())
		for i, x := range []model.RSVP{
			rsvp(p1, u1, model.RSVPYes, 0), rsvp(p1, u2, model.RSVPMaybe, time.Second), rsvp(p1, u3, model.RSVPNo, 2*time.Second),
			rsvp(p1, u2, model.RSVPYes, 3*time.Second), rsvp(p2, u1, model.RSVPNo, 0),
		} {
			got, err := s.RSVPs.Set(ctx, x, 0)
			must(t, err, fmt.Sprintf("set %d", i))
			x.At = ms(x.At)
			equal(t, got, x, "Set result")
		}
		if _, err := s.RSVPs.Set(ctx, rsvp(p1, u1, "bof", 0), 0); err == nil {
			t.Fatal("unknown answer accepted")
		}
		list, err := s.RSVPs.ByPost(ctx, p1)
		must(t, err, "by post")
		equal(t, list, []model.RSVP{
			{PostID: p1, UserID: u1, Answer: model.RSVPYes, At: ms(at(0))},
			{PostID: p1, UserID: u3, Answer: model.RSVPNo, At: ms(at(2 * time.Second))},
			{PostID: p1, UserID: u2, Answer: model.RSVPYes, At: ms(at(3 * time.Second))},
		}, "ByPost, by time of the last answer")
		counts, err := s.RSVPs.Counts(ctx, []model.PostID{p1, p2, p3})
		must(t, err, "counts")
		equal(t, counts, map[model.PostID]model.RSVPCounts{p1: {Yes: 2, No: 1}, p2: {No: 1}, p3: {}}, "Counts")
		mine, err := s.RSVPs.Mine(ctx, u1, []model.PostID{p1, p2, p3})
		must(t, err, "mine")
		equal(t, len(mine), 2, "answered two")
		equal(t, mine[p2].Answer, model.RSVPNo, "my answer to p2")
		_, err = s.RSVPs.Get(ctx, p3, u1)
		wantErr(t, err, model.ErrNotFound, "no answer")
	})
	t.Run("CapacityAndRelease", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		p := model.PostIDOf(feed, 1)
		u1, u2, u3 := model.UserID(id()), model.UserID(id()), model.UserID(id())
		_, err := s.RSVPs.Set(ctx, rsvp(p, u1, model.RSVPYes, 0), 2)
		must(t, err, "u1 oui")
		_, err = s.RSVPs.Set(ctx, rsvp(p, u2, model.RSVPYes, 0), 2)
		must(t, err, "u2 oui")
		_, err = s.RSVPs.Set(ctx, rsvp(p, u1, model.RSVPYes, time.Second), 2)
		must(t, err, "u1 oui again keeps the seat")
		_, err = s.RSVPs.Set(ctx, rsvp(p, u3, model.RSVPYes, 0), 2)
		wantErr(t, err, store.ErrFull, "u3 oui, full")
		wantErr(t, err, model.ErrConflict, "full is a conflict")
		got, err := s.RSVPs.Set(ctx, rsvp(p, u3, model.RSVPMaybe, time.Second), 2)
		must(t, err, "u3 peut-être, though full")
		equal(t, got.Answer, model.RSVPMaybe, "peut-être")
		_, err = s.RSVPs.Set(ctx, rsvp(p, u3, model.RSVPYes, 2*time.Second), 2)
		wantErr(t, err, store.ErrFull, "u3 oui, still full")
		x, err := s.RSVPs.Get(ctx, p, u3)
		must(t, err, "u3's answer")
		equal(t, x.Answer, model.RSVPMaybe, "a refused oui leaves the answer before it")
		_, err = s.RSVPs.Set(ctx, rsvp(p, u1, model.RSVPNo, 3*time.Second), 2)
		must(t, err, "u1 non frees a seat")
		_, err = s.RSVPs.Set(ctx, rsvp(p, u3, model.RSVPYes, 4*time.Second), 2)
		must(t, err, "u3 oui takes the freed seat")
		_, err = s.RSVPs.Set(ctx, rsvp(p, u1, model.RSVPYes, 5*time.Second), 2)
		wantErr(t, err, store.ErrFull, "u1 oui, full again")
		counts, err := s.RSVPs.Counts(ctx, []model.PostID{p})
		must(t, err, "counts")
		equal(t, counts[p], model.RSVPCounts{Yes: 2, No: 1}, "counts")
		// Unlimited: no seats.
		q := model.PostIDOf(feed, 2)
		for i := 0; i < 5; i++ {
			_, err := s.RSVPs.Set(ctx, rsvp(q, model.UserID(id()), model.RSVPYes, 0), 0)
			must(t, err, "oui, unlimited")
		}
	})
	t.Run("LastSeatHasOneWinner", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		for round := 0; round < 6; round++ {
			p := model.PostIDOf(feed, uint64(100+round))
			const capacity = 3
			for i := 0; i < capacity-1; i++ {
				_, err := s.RSVPs.Set(ctx, rsvp(p, model.UserID(id()), model.RSVPYes, 0), capacity)
				must(t, err, "fill")
			}
			errs := make([]error, 2)
			atOnce(len(errs), func(i int) {
				_, errs[i] = s.RSVPs.Set(ctx, rsvp(p, model.UserID(id()), model.RSVPYes, time.Second), capacity)
			})
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, store.ErrFull):
					t.Fatalf("round %d: %v", round, err)
				}
			}
			counts, err := s.RSVPs.Counts(ctx, []model.PostID{p})
			must(t, err, "counts")
			if won != 1 || counts[p].Yes != capacity {
				t.Fatalf("round %d: %d won the last seat, %d oui for %d seats", round, won, counts[p].Yes, capacity)
			}
		}
	})
	t.Run("ManyAtOnceNeverExceedCapacity", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		p := model.PostIDOf(feed, 1)
		const capacity, members = 5, 16
		var mu sync.Mutex
		won, full := 0, 0
		atOnce(members, func(i int) {
			_, err := s.RSVPs.Set(ctx, rsvp(p, model.UserID(id()), model.RSVPYes, 0), capacity)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, store.ErrFull):
				full++
			default:
				t.Errorf("set: %v", err)
			}
		})
		counts, err := s.RSVPs.Counts(ctx, []model.PostID{p})
		must(t, err, "counts")
		if won != capacity || full != members-capacity || counts[p].Yes != capacity {
			t.Fatalf("%d seated, %d refused, %d oui stored; want %d, %d, %d", won, full, counts[p].Yes, capacity, members-capacity, capacity)
		}
	})
	t.Run("OneMembersRacingAnswersSettleTheSeat", func(t *testing.T) {
		// The seat follows the answer written last: if it is non, the
		// seat is free for another member; if oui, it is held.
		s, ctx := open(t), ctxT(t)
		for round := 0; round < 8; round++ {
			p := model.PostIDOf(feed, uint64(200+round))
			u, other := model.UserID(id()), model.UserID(id())
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, a := range []model.RSVPAnswer{model.RSVPYes, model.RSVPNo, model.RSVPYes, model.RSVPNo} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					if _, err := s.RSVPs.Set(ctx, rsvp(p, u, a, time.Duration(i)*time.Millisecond), 1); err != nil && !errors.Is(err, store.ErrFull) {
						t.Errorf("set: %v", err)
					}
				}()
			}
			close(start)
			wg.Wait()
			final, err := s.RSVPs.Get(ctx, p, u)
			must(t, err, "final answer")
			_, err = s.RSVPs.Set(ctx, rsvp(p, other, model.RSVPYes, time.Second), 1)
			switch final.Answer {
			case model.RSVPYes:
				wantErr(t, err, store.ErrFull, fmt.Sprintf("round %d: the member said oui last, holds the only seat", round))
			default:
				must(t, err, fmt.Sprintf("round %d: the member said non last, the seat must be free", round))
			}
		}
	})
}

func testCalendarTokens(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("RotateLookUpRevoke", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		u1, u2 := model.UserID(id()), model.UserID(id())
		_, ok, err := s.CalendarTokens.Since(ctx, u1)
		must(t, err, "since")
		equal(t, ok, false, "no feed yet")
		must(t, s.CalendarTokens.Rotate(ctx, u1, "hash-1", at(0)), "issue")
		must(t, s.CalendarTokens.Rotate(ctx, u2, "hash-2", at(0)), "issue to another user")
		got, err := s.CalendarTokens.UserOf(ctx, "hash-1")
		must(t, err, "user of")
		equal(t, got, u1, "UserOf")
		must(t, s.CalendarTokens.Rotate(ctx, u1, "hash-3", at(time.Hour)), "rotate")
		_, err = s.CalendarTokens.UserOf(ctx, "hash-1")
		wantErr(t, err, model.ErrNotFound, "the old token is revoked", "hash-1")
		got, err = s.CalendarTokens.UserOf(ctx, "hash-3")
		must(t, err, "user of the new token")
		equal(t, got, u1, "UserOf the new token")
		since, ok, err := s.CalendarTokens.Since(ctx, u1)
		must(t, err, "since")
		if !ok || !since.Equal(ms(at(time.Hour))) {
			t.Fatalf("Since: %v %v", since, ok)
		}
		wantErr(t, s.CalendarTokens.Rotate(ctx, u1, "hash-2", at(0)), model.ErrConflict, "a hash already issued", "hash-2")
		must(t, s.CalendarTokens.Revoke(ctx, u1), "revoke")
		must(t, s.CalendarTokens.Revoke(ctx, u1), "revoke again")
		_, err = s.CalendarTokens.UserOf(ctx, "hash-3")
		wantErr(t, err, model.ErrNotFound, "revoked")
		got, err = s.CalendarTokens.UserOf(ctx, "hash-2")
		must(t, err, "the other user's feed")
		equal(t, got, u2, "untouched")
	})
}
