package core

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/cache"
	"github.com/ecpts/ecpts/internal/store/storetest"
)

// TestMarkerCache: on one node the read markers are cached write-through
// and what the store holds is always what the cache says; with several
// nodes nothing is cached, nor, of course, by a core without caches.
func TestMarkerCache(t *testing.T) {
	st := storetest.OpenTest(t, "sqlite")
	ctx := context.Background()
	for _, d := range []Deps{{}, {MultiNode: true}, {Uncached: true}} {
		d.Store, d.Logger = st, slog.New(slog.NewTextHandler(io.Discard, nil))
		c := New(d)
		multi := d.MultiNode || d.Uncached // nothing cached
		s, ch := benchChannel(t, st)
		u := s.UserID
		check := func(step string, seq uint64, mentions string) {
			t.Helper()
			mk, err := st.ReadMarkers.Get(ctx, u, ch)
			if err != nil {
				t.Fatal(err)
			}
			if mk.Seq != seq || fmt.Sprint(mk.MentionSeqs) != mentions {
				t.Fatalf("multi %v, %s: store has seq %d mentions %v, want %d %s", multi, step, mk.Seq, mk.MentionSeqs, seq, mentions)
			}
			cached, err := c.cached.markers.Get(ctx, u, ch)
			if err != nil || cached.Seq != seq || fmt.Sprint(cached.MentionSeqs) != mentions {
				t.Fatalf("multi %v, %s: core reads seq %d mentions %v (%v)", multi, step, cached.Seq, cached.MentionSeqs, err)
			}
		}
		if err := c.advanceRead(ctx, u, ch, 5); err != nil {
			t.Fatal(err)
		}
		check("advance to 5", 5, "[]")
		mk, _ := c.cached.markers.Get(ctx, u, ch)
		mk.MentionSeqs = append(mk.MentionSeqs, 7, 9)
		mk.MentionSeqs[0] = 7 // the caller's copy: the cache must not share it
		if err := c.cached.markers.Put(ctx, mk); err != nil {
			t.Fatal(err)
		}
		check("mentions 7 and 9", 5, "[7 9]")
		if err := c.advanceRead(ctx, u, ch, 8); err != nil {
			t.Fatal(err)
		}
		check("advance to 8", 8, "[9]")
		if err := c.advanceRead(ctx, u, ch, 6); err != nil {
			t.Fatal(err)
		}
		check("never back", 8, "[9]")
		n := 0
		if m, ok := c.cached.markers.(*cache.Markers); ok {
			n = m.Len()
		}
		if multi && n != 0 || !multi && n != 1 {
			t.Fatalf("multi %v: %d markers cached", multi, n)
		}
		// The batch read (GET /unread) agrees with the single one, and
		// never replaces a cached marker with the store's copy.
		_, other := benchChannel(t, st)
		if !multi {
			c.cached.markers.(markerKeeper).Keep(store.ReadMarker{UserID: u, ChannelID: ch, Seq: 12}) // ahead of the store (authorRead)
		}
		mks, err := c.cached.markers.Many(ctx, u, []model.ChannelID{other, ch})
		if err != nil {
			t.Fatal(err)
		}
		want := uint64(8)
		if !multi {
			want = 12
		}
		if mks[0].ChannelID != other || mks[0].Seq != 0 || mks[1].ChannelID != ch || mks[1].Seq != want {
			t.Fatalf("multi %v: batch read %+v, want seq 0 then %d", multi, mks, want)
		}
		if cached, _ := c.cached.markers.Get(ctx, u, ch); cached.Seq != want {
			t.Fatalf("multi %v: marker %d after the batch read, want %d", multi, cached.Seq, want)
		}
	}
}

// TestAuthorReadFlush: sending moves the author's read marker at once for
// readers of this node, and in the store at the next flush, or when Run
// stops, whichever comes first; a later mention kept meanwhile survives.
func TestAuthorReadFlush(t *testing.T) {
	for _, multi := range []bool{false, true} {
		st := storetest.OpenTest(t, "sqlite")
		c := New(Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SendRate: 1e6, MultiNode: multi})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { c.Run(ctx); close(done) }()
		s, ch := benchChannel(t, st)
		var last uint64
		for i := range 3 {
			v, _, err := c.SendMessage(ctx, s, SendInput{Channel: ch, ClientID: uuid.NewString(), Body: fmt.Sprintf("message %d", i)})
			if err != nil {
				t.Fatal(err)
			}
			last = v.Seq
		}
		if !multi {
			// The background work runs after the ack: wait for it.
			deadline := time.Now().Add(5 * time.Second)
			for {
				mk, err := c.cached.markers.Get(ctx, s.UserID, ch)
				if err == nil && mk.Seq == last {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("cached marker at %d, want %d (%v)", mk.Seq, last, err)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		stored := func() uint64 {
			mk, err := st.ReadMarkers.Get(context.Background(), s.UserID, ch)
			if err != nil {
				t.Fatal(err)
			}
			return mk.Seq
		}
		deadline := time.Now().Add(10 * authorReadEvery)
		for stored() != last {
			if time.Now().After(deadline) {
				t.Fatalf("multi %v: stored marker at %d after %v, want %d", multi, stored(), 10*authorReadEvery, last)
			}
			time.Sleep(10 * time.Millisecond)
		}
		// One more, then stop at once: Run writes it before returning.
		v, _, err := c.SendMessage(ctx, s, SendInput{Channel: ch, ClientID: uuid.NewString(), Body: "dernier"})
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		<-done
		if got := stored(); got != v.Seq {
			t.Fatalf("multi %v: after Run stopped the store has %d, want %d", multi, got, v.Seq)
		}
	}
}
