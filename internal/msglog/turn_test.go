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
// builds the view) before publishing. Through Publish the publications
// come in seq order 1..n: the reconnect scenario of cmd/ecpts-load lost
// seqs when N+1 went out before N and the client resumed after N+1.
// Each sender publishing on its own, the order is random.
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
				l.Publish(ch.ID, m.Seq, func() {
					mu.Lock()
					published = append(published, m.Seq)
					mu.Unlock()
				})
				l.Published(ch.ID, m.Seq) // a no-op after Publish
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
	l, _ := runningLog(t, st)
	ch := testChannel()
	seqs := appendN(t, l, ch, 3)
	done := make(chan struct{})
	go func() {
		l.Publish(ch.ID, seqs[2], func() {})
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
	ran := false
	l.Publish(model.ChannelID(model.NewID()), 7, func() { ran = true })
	if !ran {
		t.Fatal("the publication of a seq never assigned here did not run")
	}
	if !slices.Equal(seqs, []uint64{1, 2, 3}) {
		t.Fatalf("seqs %v", seqs)
	}
}

// TestTurnWakesOnlyTheNext: a removal wakes the one sender whose turn
// came (before, every waiter woke at every publication: k wake-ups a
// message with k senders waiting), and a removal that leaves the first
// seq not over unchanged wakes no one.
func TestTurnWakesOnlyTheNext(t *testing.T) {
	var st chanState
	for seq := uint64(1); seq <= 4; seq++ {
		st.addUnpublished(seq)
	}
	w2, w3, w4 := st.turnOf(2), st.turnOf(3), st.turnOf(4)
	closed := func(w <-chan struct{}) bool {
		select {
		case <-w:
			return true
		default:
			return false
		}
	}
	state := func() [3]bool { return [3]bool{closed(w2), closed(w3), closed(w4)} }
	st.removeUnpublished(1)
	if got := state(); got != [3]bool{true, false, false} {
		t.Fatalf("after 1 is over, woken %v; want only 2", got)
	}
	st.removeUnpublished(3) // 3's sender gave up waiting and is done
	if got := state(); got != [3]bool{true, true, false} {
		t.Fatalf("after 3 is over, woken %v; want 4 still waiting for 2", got)
	}
	st.removeUnpublished(2)
	if got := state(); got != [3]bool{true, true, true} {
		t.Fatalf("after 2 is over, woken %v; want 4", got)
	}
	if len(st.turns) != 0 {
		t.Fatalf("%d turn channels left", len(st.turns))
	}
}

// TestPublishRunsTheWaitingOnes: the sender whose turn comes publishes
// the later sends already waiting, in order, before it returns — no
// hand-off from one sender to the next per message.
func TestPublishRunsTheWaitingOnes(t *testing.T) {
	st := storetest.OpenTest(t, "sqlite")
	l, _ := runningLog(t, st)
	ch := testChannel()
	seqs := appendN(t, l, ch, 4)
	var mu sync.Mutex
	var order []uint64
	record := func(seq uint64) func() {
		return func() {
			mu.Lock()
			order = append(order, seq)
			mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	for _, seq := range []uint64{seqs[3], seqs[1], seqs[2]} {
		wg.Go(func() { l.Publish(ch.ID, seq, record(seq)) })
	}
	queued(t, l, ch.ID, 3) // all three behind seq 1, nothing ran yet
	l.Publish(ch.ID, seqs[0], record(seqs[0]))
	mu.Lock()
	got := slices.Clone(order)
	mu.Unlock()
	if !slices.Equal(got, seqs) {
		t.Fatalf("published by the time seq 1's Publish returned: %v, want %v", got, seqs)
	}
	wg.Wait()
}

// TestPublishLeavesLaterOnesToTheirSenders: a publication queued while a
// sender's batch runs is run by its own sender, woken then, not by the
// one already publishing (whose connection's next frames would wait).
func TestPublishLeavesLaterOnesToTheirSenders(t *testing.T) {
	st := storetest.OpenTest(t, "sqlite")
	l, _ := runningLog(t, st)
	ch := testChannel()
	seqs := appendN(t, l, ch, 2)
	release2, ran2, sender2 := make(chan struct{}), make(chan struct{}), make(chan struct{})
	first := make(chan struct{})
	go func() {
		defer close(first)
		l.Publish(ch.ID, seqs[0], func() {
			// Seq 2 is queued while seq 1 is being published.
			go func() {
				defer close(sender2)
				l.Publish(ch.ID, seqs[1], func() { close(ran2); <-release2 })
			}()
			queued(t, l, ch.ID, 1)
		})
	}()
	select {
	case <-first:
	case <-time.After(2 * time.Second):
		close(release2)
		t.Fatal("seq 1's sender is publishing seq 2, queued after its batch began")
	}
	select {
	case <-ran2:
	case <-time.After(2 * time.Second):
		t.Fatal("seq 2 not published by its own sender")
	}
	close(release2)
	<-sender2
}

// appendN appends n messages to ch and returns their seqs.
func appendN(t *testing.T, l *Log, ch model.Channel, n int) []uint64 {
	t.Helper()
	author := model.UserID(model.NewID())
	var seqs []uint64
	for i := range n {
		m, _, err := l.Append(t.Context(), ch, newMessage(ch, author, uuid.NewString(), fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, m.Seq)
	}
	return seqs
}

// queued waits (at most 2 s) until n publications of ch wait their turn.
func queued(t *testing.T, l *Log, ch model.ChannelID, n int) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		s := l.state(ch)
		s.mu.Lock()
		got := len(s.ready)
		s.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d publications queued, want %d", got, n)
			return
		}
		time.Sleep(time.Millisecond)
	}
}
