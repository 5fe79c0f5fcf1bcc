package msglog

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store/storetest"
)

// TestTurnPublishesInSeqOrder: concurrent senders of one channel, group
// committed, each doing some work of random length after Append (as core
// builds the view) before publishing. With Turn before the publication
// and Published after it, the publications come in seq order 1..n: the
// reconnect scenario of cmd/ecpts-load lost seqs when N+1 went out before
// N and the client resumed after N+1. Without Turn this order is random.
func TestTurnPublishesInSeqOrder(t *testing.T) {
	st := storetest.OpenTest(t, "sqlite")
	l, ctx := runningLog(t, st)
	ch := testChannel()
	author := model.UserID(model.NewID())

	const senders, each = 8, 10
	var mu sync.Mutex
	var published []uint64
	errs := make(chan error, senders)
	var wg sync.WaitGroup
	for w := range senders {
		wg.Go(func() {
			for i := range each {
				m, created, err := l.Append(ctx, ch, newMessage(ch, author, uuid.NewString(), fmt.Sprintf("%d/%d", w, i)))
				if err != nil || !created {
					errs <- fmt.Errorf("append: created %v, %v", created, err)
					return
				}
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
				l.Turn(ctx, ch.ID, m.Seq)
				mu.Lock()
				published = append(published, m.Seq)
				mu.Unlock()
				l.Published(ch.ID, m.Seq)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(published) != senders*each {
		t.Fatalf("%d published, want %d", len(published), senders*each)
	}
	for i, seq := range published {
		if seq != uint64(i+1) {
			t.Fatalf("publication %d is seq %d, want %d (order: %v)", i, seq, i+1, published)
		}
	}
}

// TestTurnSkipsReleased: a seq whose sender released it without
// publishing, or that was never created on this node, does not hold the
// later ones back.
func TestTurnSkipsReleased(t *testing.T) {
	st := storetest.OpenTest(t, "sqlite")
	l, ctx := runningLog(t, st)
	ch := testChannel()
	author := model.UserID(model.NewID())
	var seqs []uint64
	for i := range 3 {
		m, _, err := l.Append(ctx, ch, newMessage(ch, author, uuid.NewString(), fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, m.Seq)
	}
	done := make(chan struct{})
	go func() {
		l.Turn(ctx, ch.ID, seqs[2])
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("seq 3 published while 1 and 2 are not over")
	case <-time.After(50 * time.Millisecond):
	}
	l.Published(ch.ID, seqs[1])
	l.Published(ch.ID, seqs[1]) // idempotent
	select {
	case <-done:
		t.Fatal("seq 3 published while 1 is not over")
	case <-time.After(50 * time.Millisecond):
	}
	l.Published(ch.ID, seqs[0])
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("seq 3 still waiting once 1 and 2 are over")
	}
	// A seq this node never assigned waits for nothing.
	l.Turn(ctx, model.ChannelID(model.NewID()), 7)
	if !slices.Equal(seqs, []uint64{1, 2, 3}) {
		t.Fatalf("seqs %v", seqs)
	}
}
