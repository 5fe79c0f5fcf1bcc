package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

func newMessage(ch model.ChannelID, seq uint64, author model.UserID, client string) model.Message {
	return model.Message{
		ID: model.MessageIDOf(ch, seq), ChannelID: ch, Seq: seq, AuthorID: author, ClientID: client,
		Body: "Bonjour **tous**", HTML: "<p>Bonjour <strong>tous</strong></p>", Text: "Bonjour tous", CreatedAt: ms(at(time.Duration(seq) * time.Second)),
	}
}

// errAny stands for "some error" in expectations.
var errAny = errors.New("any error")

func testMessages(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("InsertRangeAndConflicts", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		ch, a := model.ChannelID(id()), model.UserID(id())
		for i := uint64(1); i <= 12; i++ {
			must(t, s.Messages.Insert(ctx, newMessage(ch, i, a, id())), "insert")
		}
		wantErr(t, s.Messages.Insert(ctx, newMessage(ch, 5, a, id())), model.ErrConflict, "same seq")
		dupClient := newMessage(ch, 13, a, "client-x")
		must(t, s.Messages.Insert(ctx, dupClient), "insert 13")
		wantErr(t, s.Messages.Insert(ctx, newMessage(ch, 14, a, "client-x")), model.ErrConflict, "same client id")
		// Another author may reuse a client id.
		must(t, s.Messages.Insert(ctx, newMessage(ch, 14, model.UserID(id()), "client-x")), "other author")
		got, err := s.Messages.Range(ctx, ch, 3, 7)
		must(t, err, "range")
		if len(got) != 5 || got[0].Seq != 3 || got[4].Seq != 7 {
			t.Fatalf("range 3..7: got %d messages %v", len(got), ids(got, func(m model.Message) model.MessageID { return m.ID }))
		}
		equal(t, got[0], newMessage(ch, 3, a, got[0].ClientID), "round trip")
		got, err = s.Messages.Range(ctx, ch, 13, 40)
		must(t, err, "range past end")
		if len(got) != 2 {
			t.Fatalf("range 13..40: got %d, want 2", len(got))
		}
		m, err := s.Messages.ByClientID(ctx, ch, a, "client-x")
		must(t, err, "by client id")
		equal(t, m.Seq, uint64(13), "by client id seq")
		_, err = s.Messages.ByID(ctx, model.MessageIDOf(ch, 99))
		wantErr(t, err, model.ErrNotFound, "missing message")
	})
	t.Run("InsertManyOrdered", func(t *testing.T) {
		// Stored in order up to the first failure; nothing after it.
		s, ctx := open(t), ctxT(t)
		c1, c2, a := model.ChannelID(id()), model.ChannelID(id()), model.UserID(id())
		must(t, s.Messages.Insert(ctx, newMessage(c1, 1, a, "pris")), "insert")
		check := func(batch []model.Message, want ...error) {
			t.Helper()
			errs := s.Messages.InsertMany(ctx, batch)
			if len(errs) != len(batch) {
				t.Fatalf("%d errors for %d messages", len(errs), len(batch))
			}
			for i, w := range want {
				switch {
				case w == nil && errs[i] != nil:
					t.Fatalf("message %d: %v, want stored", i, errs[i])
				case w == errAny && errs[i] == nil:
					t.Fatalf("message %d: stored, want an error", i)
				case w != nil && w != errAny:
					wantErr(t, errs[i], w, fmt.Sprintf("message %d", i))
				}
			}
		}
		check([]model.Message{
			newMessage(c1, 2, a, id()),
			newMessage(c2, 1, a, id()),
			newMessage(c1, 1, a, id()), // seq taken
			newMessage(c2, 2, a, id()), // after the failure: not attempted
			newMessage(c1, 3, a, id()),
		}, nil, nil, model.ErrConflict, store.ErrNotAttempted, store.ErrNotAttempted)
		check([]model.Message{
			newMessage(c2, 2, a, "pris"), // client id "pris" is c1's: stored
			newMessage(c1, 3, a, "pris"), // client id taken in c1
			newMessage(c2, 3, a, id()),
		}, nil, model.ErrConflict, store.ErrNotAttempted)
		check([]model.Message{{ChannelID: c2, Seq: 0, AuthorID: a}, newMessage(c2, 3, a, id())}, errAny, store.ErrNotAttempted)
		big := make([]model.Message, store.MaxInsertBatch+1)
		for i := range big {
			big[i] = newMessage(c2, uint64(10+i), a, id())
		}
		errs := s.Messages.InsertMany(ctx, big)
		for i, err := range errs {
			if err == nil {
				t.Fatalf("message %d of an oversized batch stored", i)
			}
		}
		got, err := s.Messages.Range(ctx, c1, 1, 10)
		must(t, err, "range c1")
		if len(got) != 2 || got[0].ClientID != "pris" || got[1].Seq != 2 {
			t.Fatalf("c1 holds %d messages", len(got))
		}
		got, err = s.Messages.Range(ctx, c2, 1, 200)
		must(t, err, "range c2")
		if len(got) != 2 || got[1].ClientID != "pris" {
			t.Fatalf("c2 holds %d messages, want 2", len(got))
		}
		if errs := s.Messages.InsertMany(ctx, nil); len(errs) != 0 {
			t.Fatalf("empty batch: %v", errs)
		}
	})
	t.Run("RangeAcrossPages", func(t *testing.T) {
		// 150 messages span five pages of 32 on FerretDB-PostgreSQL;
		// seq 100 is missing (a range skips it, others are whole).
		s, ctx := open(t), ctxT(t)
		ch, other, a := model.ChannelID(id()), model.ChannelID(id()), model.UserID(id())
		for i := uint64(1); i <= 150; i++ {
			if i != 100 {
				must(t, s.Messages.Insert(ctx, newMessage(ch, i, a, id())), "insert")
			}
			if i <= 70 {
				must(t, s.Messages.Insert(ctx, newMessage(other, i, a, id())), "insert other")
			}
		}
		for _, r := range [][2]uint64{{1, 64}, {60, 130}, {64, 65}, {101, 150}, {129, 129}, {140, 200}, {95, 105}} {
			got, err := s.Messages.Range(ctx, ch, r[0], r[1])
			must(t, err, "range")
			var want []uint64
			for q := r[0]; q <= min(r[1], 150); q++ {
				if q != 100 {
					want = append(want, q)
				}
			}
			seqs := make([]uint64, 0, len(got))
			for _, m := range got {
				seqs = append(seqs, m.Seq)
			}
			equal(t, seqs, want, fmt.Sprintf("range %d..%d", r[0], r[1]))
			for _, m := range got {
				equal(t, m.ChannelID, ch, "channel of a ranged message")
			}
		}
		// The indexer's read, one command at a time: scattered seqs over
		// several pages, the missing 100 and those past the end absent.
		asked := []uint64{1, 2, 31, 32, 33, 64, 65, 99, 100, 101, 150, 151, 400}
		got, err := s.Messages.ReadSeqs(ctx, ch, asked)
		must(t, err, "read seqs")
		seqs := make([]uint64, 0, len(got))
		for _, m := range got {
			seqs = append(seqs, m.Seq)
			equal(t, m.ChannelID, ch, "channel of a message read by seq")
		}
		equal(t, seqs, []uint64{1, 2, 31, 32, 33, 64, 65, 99, 101, 150}, "read seqs")
	})
	t.Run("LastSeq", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		ch, a := model.ChannelID(id()), model.UserID(id())
		wantRead(t, "empty", "empty channel", uint64(0))(s.Messages.LastSeq(ctx, ch, 0))
		for i := uint64(1); i <= 37; i++ {
			must(t, s.Messages.Insert(ctx, newMessage(ch, i, a, id())), "insert")
		}
		for _, hint := range []uint64{0, 1, 20, 36, 37, 50} {
			last, err := s.Messages.LastSeq(ctx, ch, hint)
			must(t, err, "last seq")
			if last != 37 {
				t.Fatalf("hint %d: last %d, want 37", hint, last)
			}
		}
	})
	t.Run("ConcurrentSeqOneWinner", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		ch := model.ChannelID(id())
		wins := make(chan struct{}, 20)
		atOnce(20, func(int) {
			if s.Messages.Insert(ctx, newMessage(ch, 1, model.UserID(id()), id())) == nil {
				wins <- struct{}{}
			}
		})
		close(wins)
		if n := len(wins); n != 1 {
			t.Fatalf("%d inserts of seq 1 succeeded, want 1", n)
		}
	})
	t.Run("Replace", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		ch, a := model.ChannelID(id()), model.UserID(id())
		m := newMessage(ch, 1, a, id())
		m.Files = []model.FileID{model.FileID(id()), model.FileID(id())}
		must(t, s.Messages.Insert(ctx, m), "insert")
		wantRead(t, "by id", "inserted with files", m)(s.Messages.ByID(ctx, m.ID))
		edited := ms(at(time.Hour))
		m.Edits = []model.Edit{{Body: m.Body, EditedAt: edited}}
		m.Body, m.EditedAt = "corrigé", &edited
		m.Reactions = []model.Reaction{{Emoji: "👍", Users: []model.UserID{a}}}
		m.ReplyCount, m.ReplySeqs, m.LastReplyAt = 1, []uint64{2}, &edited
		must(t, s.Messages.Replace(ctx, m), "replace")
		wantRead(t, "by id", "replaced", m)(s.Messages.ByID(ctx, m.ID))
		wantErr(t, s.Messages.Replace(ctx, newMessage(ch, 9, a, id())), model.ErrNotFound, "replace missing")
	})
	t.Run("ChannelSeqs", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		c1, c2 := model.ChannelID(id()), model.ChannelID(id())
		must(t, s.ChannelSeqs.Record(ctx, c1, 7), "record 7")
		must(t, s.ChannelSeqs.Record(ctx, c1, 5), "record 5")
		got, err := s.ChannelSeqs.Many(ctx, []model.ChannelID{c1, c2})
		must(t, err, "many")
		equal(t, got[c1], uint64(7), "last seq never goes down")
		equal(t, got[c2], uint64(0), "no seq recorded")
	})
}

func testReadState(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("ReadMarkers", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		u, c1, c2 := model.UserID(id()), model.ChannelID(id()), model.ChannelID(id())
		m, err := s.ReadMarkers.Get(ctx, u, c1)
		must(t, err, "get absent")
		equal(t, m.Seq, uint64(0), "absent marker")
		must(t, s.ReadMarkers.Put(ctx, store.ReadMarker{UserID: u, ChannelID: c1, Seq: 4, MentionSeqs: []uint64{6, 9}, UpdatedAt: at(0)}), "put")
		ms, err := s.ReadMarkers.Many(ctx, u, []model.ChannelID{c2, c1})
		must(t, err, "many")
		if len(ms) != 2 || ms[0].Seq != 0 || ms[1].Seq != 4 || len(ms[1].MentionSeqs) != 2 {
			t.Fatalf("many: %+v", ms)
		}
	})
	t.Run("ThreadStates", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		u, ch := model.UserID(id()), model.ChannelID(id())
		r1, r2 := model.MessageIDOf(ch, 1), model.MessageIDOf(ch, 2)
		_, err := s.ThreadStates.Get(ctx, u, r1)
		wantErr(t, err, model.ErrNotFound, "absent thread state")
		must(t, s.ThreadStates.Put(ctx, store.ThreadState{UserID: u, RootID: r1, ChannelID: ch, Following: true, ReadSeq: 3, RepliedSeq: 2, UpdatedAt: at(0)}), "put 1")
		must(t, s.ThreadStates.Put(ctx, store.ThreadState{UserID: u, RootID: r2, ChannelID: ch, Following: true, UpdatedAt: at(time.Minute)}), "put 2")
		must(t, s.ThreadStates.Put(ctx, store.ThreadState{UserID: model.UserID(id()), RootID: r2, ChannelID: ch, Following: true, UpdatedAt: at(time.Minute)}), "other user")
		got, err := s.ThreadStates.Following(ctx, u, 10)
		must(t, err, "following")
		if len(got) != 2 || got[0].RootID != r2 || got[1].ReadSeq != 3 || got[1].RepliedSeq != 2 || got[0].RepliedSeq != 0 {
			t.Fatalf("following: %+v", got)
		}
		must(t, s.ThreadStates.Put(ctx, store.ThreadState{UserID: u, RootID: r2, ChannelID: ch, Following: false, UpdatedAt: at(2 * time.Minute)}), "unfollow")
		got, _ = s.ThreadStates.Following(ctx, u, 10)
		equal(t, len(got), 1, "after unfollow")
	})
	t.Run("ConversationKeys", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		c1, c2 := model.ChannelID(id()), model.ChannelID(id())
		got, err := s.ConversationKeys.Claim(ctx, "k1", c1)
		must(t, err, "claim")
		equal(t, got, c1, "claimed")
		got, err = s.ConversationKeys.Claim(ctx, "k1", c2)
		wantErr(t, err, model.ErrConflict, "claim twice")
		equal(t, got, c1, "existing conversation returned")
		must(t, s.ConversationKeys.Release(ctx, "k1"), "release")
		_, err = s.ConversationKeys.Claim(ctx, "k1", c2)
		must(t, err, "claim after release")
		// Retire forgets the key only while it still names that channel.
		c3 := model.ChannelID(id())
		must(t, s.ConversationKeys.Retire(ctx, "k1", c1), "retire another channel's key")
		got, err = s.ConversationKeys.Claim(ctx, "k1", c3)
		wantErr(t, err, model.ErrConflict, "key kept")
		equal(t, got, c2, "key kept for its channel")
		must(t, s.ConversationKeys.Retire(ctx, "k1", c2), "retire")
		wantRead(t, "claim after retire", "claimed after retire", c3)(s.ConversationKeys.Claim(ctx, "k1", c3))
	})
}
