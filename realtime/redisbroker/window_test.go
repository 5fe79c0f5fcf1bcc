package redisbroker_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/realtime/redisbroker"
)

func msg(ch model.ChannelID, seq uint64, body string) model.Message {
	return model.Message{
		ID: model.MessageIDOf(ch, seq), ChannelID: ch, Seq: seq, AuthorID: "u1", ClientID: fmt.Sprint("c", seq),
		Body: body, HTML: "<p>" + body + "</p>", CreatedAt: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
	}
}

func seqsOf(ms []model.Message) []uint64 {
	out := make([]uint64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

func TestWindow(t *testing.T) {
	c := newClient(t, "window")
	ctx := context.Background()
	w := redisbroker.NewWindow(c, redisbroker.WindowOptions{Prefix: testPrefix(t, c), Size: 4})
	ch := model.ChannelID("chan-a")

	last, ms, ok, err := w.Range(ctx, ch, 1, 10, 0)
	if err != nil || last != 0 || len(ms) != 0 || !ok {
		t.Fatalf("unknown channel: last %d, %d messages, ok %v, %v", last, len(ms), ok, err)
	}
	for seq := uint64(1); seq <= 10; seq++ {
		if err := w.Append(ctx, msg(ch, seq, "corps")); err != nil {
			t.Fatal(err)
		}
	}
	// Size 4 keeps at least 4 and at most 8: seqs 3..10.
	last, ms, ok, err = w.Range(ctx, ch, 3, 10, 0)
	if err != nil || last != 10 || !ok || fmt.Sprint(seqsOf(ms)) != "[3 4 5 6 7 8 9 10]" {
		t.Fatalf("3..10: last %d, %v, ok %v, %v", last, seqsOf(ms), ok, err)
	}
	if want := msg(ch, 3, "corps"); !reflect.DeepEqual(ms[0], want) {
		t.Fatalf("round trip:\n got  %+v\n want %+v", ms[0], want)
	}
	if _, ms, ok, _ = w.Range(ctx, ch, 1, 4, 0); ok || fmt.Sprint(seqsOf(ms)) != "[3 4]" {
		t.Fatalf("1..4 (1, 2 trimmed): %v, ok %v", seqsOf(ms), ok)
	}
	if last, ms, ok, _ = w.Range(ctx, ch, 0, 0, 3); !ok || last != 10 || fmt.Sprint(seqsOf(ms)) != "[8 9 10]" {
		t.Fatalf("newest 3: %v, ok %v", seqsOf(ms), ok)
	}
	if _, ms, ok, _ = w.Range(ctx, ch, 9, 1<<60, 0); !ok || fmt.Sprint(seqsOf(ms)) != "[9 10]" {
		t.Fatalf("9..∞: %v, ok %v", seqsOf(ms), ok)
	}
	if last, ms, ok, _ = w.Range(ctx, ch, 1, 0, 0); last != 10 || len(ms) != 0 || !ok {
		t.Fatalf("last only: %d, %v", last, seqsOf(ms))
	}
	// At most 2×Size seqs per call.
	if _, ms, _, _ = w.Range(ctx, ch, 1, 100, 0); len(ms) > 8 {
		t.Fatalf("wide range: %d messages", len(ms))
	}

	// Replace changes a held message, and leaves old ones to the store.
	edited := msg(ch, 9, "modifié")
	if err := w.Replace(ctx, edited); err != nil {
		t.Fatal(err)
	}
	if err := w.Replace(ctx, msg(ch, 1, "trop ancien")); err != nil {
		t.Fatal(err)
	}
	_, ms, _, _ = w.Range(ctx, ch, 2, 9, 0)
	if fmt.Sprint(seqsOf(ms)) != "[3 4 5 6 7 8 9]" || ms[6].Body != "modifié" { // 1 not put back
		t.Fatalf("after replace: %v, last body %q", seqsOf(ms), ms[len(ms)-1].Body)
	}

	// Another node edits 11 before its writer appends it: the append keeps
	// the edited version, and raises last.
	if err := w.Replace(ctx, msg(ch, 11, "modifié avant l'ajout")); err != nil {
		t.Fatal(err)
	}
	if err := w.Append(ctx, msg(ch, 11, "version d'origine")); err != nil {
		t.Fatal(err)
	}
	last, ms, _, _ = w.Range(ctx, ch, 11, 11, 0)
	if last != 11 || len(ms) != 1 || ms[0].Body != "modifié avant l'ajout" {
		t.Fatalf("append after replace: last %d, %+v", last, ms)
	}

	// Appends in any order only raise last; a missing seq is reported.
	if err := w.Append(ctx, msg(ch, 13, "treize")); err != nil {
		t.Fatal(err)
	}
	if last, ms, ok, _ = w.Range(ctx, ch, 11, 13, 0); last != 13 || ok || fmt.Sprint(seqsOf(ms)) != "[11 13]" {
		t.Fatalf("gap at 12: last %d, %v, ok %v", last, seqsOf(ms), ok)
	}
	if err := w.Append(ctx, msg(ch, 12, "douze")); err != nil {
		t.Fatal(err)
	}
	if last, _, ok, _ = w.Range(ctx, ch, 11, 13, 0); last != 13 || !ok {
		t.Fatalf("gap filled: last %d, ok %v", last, ok)
	}

	// Observe raises last from the store, never lowers it.
	if n, err := w.Observe(ctx, ch, 5); err != nil || n != 13 {
		t.Fatalf("observe lower: %d, %v", n, err)
	}
	other := model.ChannelID("chan-b")
	if n, err := w.Observe(ctx, other, 40); err != nil || n != 40 {
		t.Fatalf("observe: %d, %v", n, err)
	}
	if last, ms, ok, _ = w.Range(ctx, other, 39, 40, 0); last != 40 || ok || len(ms) != 0 {
		t.Fatalf("observed channel: last %d, %d messages, ok %v", last, len(ms), ok)
	}
}

// TestWindowLock checks mutual exclusion between "nodes" (two Window
// values on two clients) doing a read-modify-write, and that a waiter
// gives up with its context.
func TestWindowLock(t *testing.T) {
	c1, c2 := newClient(t, "lock1"), newClient(t, "lock2")
	prefix := testPrefix(t, c1)
	ws := []*redisbroker.Window{
		redisbroker.NewWindow(c1, redisbroker.WindowOptions{Prefix: prefix}),
		redisbroker.NewWindow(c2, redisbroker.WindowOptions{Prefix: prefix}),
	}
	ctx := context.Background()
	ch := model.ChannelID("verrou")
	counter, inside := 0, 0
	var mu sync.Mutex // only to read inside race-free; the lock is what is tested
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			unlock, err := ws[i%2].Lock(ctx, ch)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			inside++
			if inside != 1 {
				errs <- fmt.Errorf("%d holders at once", inside)
			}
			v := counter
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			counter = v + 1
			inside--
			mu.Unlock()
			unlock()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if counter != 40 {
		t.Fatalf("counter %d after 40 locked increments", counter)
	}

	unlock, err := ws[0].Lock(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := ws[1].Lock(tctx, ch); !errors.Is(err, redisbroker.ErrLockTimeout) {
		t.Fatalf("lock held elsewhere: %v, want ErrLockTimeout", err)
	}
	unlock()
	unlock2, err := ws[1].Lock(ctx, ch)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	unlock() // a stale unlock must not release the other holder's lock
	tctx2, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	if _, err := ws[0].Lock(tctx2, ch); !errors.Is(err, redisbroker.ErrLockTimeout) {
		t.Fatalf("stale unlock released the lock: %v", err)
	}
	unlock2()
}
