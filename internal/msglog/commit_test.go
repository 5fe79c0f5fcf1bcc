package msglog

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store/storetest"
)

// TestGroupCommit appends concurrently in several channels with Run's
// committer on, repeats some client ids, and checks every channel holds
// exactly its messages with seqs 1..n, each acknowledged with its stored
// seq, and that inserts were grouped.
func TestGroupCommit(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgresql"} {
		t.Run(backend, func(t *testing.T) {
			st := storetest.OpenTest(t, backend)
			l, ctx := runningLog(t, st)

			const channels, senders, each = 6, 6, 15
			var mu sync.Mutex
			acked := map[model.ChannelID]map[uint64]string{}
			var wg sync.WaitGroup
			errs := make(chan error, channels*senders)
			author := model.UserID(model.NewID())
			var targets []model.Channel
			for range channels {
				ch := testChannel()
				acked[ch.ID] = map[uint64]string{}
				targets = append(targets, ch)
			}
			for _, ch := range targets {
				for w := range senders {
					wg.Go(func() {
						for i := range each {
							body := fmt.Sprintf("message %d de %d", i, w)
							id := uuid.NewString()
							v, created, err := l.Append(ctx, ch, newMessage(ch, author, id, body))
							if err != nil || !created {
								errs <- fmt.Errorf("send: created %v, %v", created, err)
								return
							}
							if i%5 == 0 { // a repeat: same ack, nothing stored
								again, created, err := l.Append(ctx, ch, newMessage(ch, author, id, body))
								if err != nil || created || again.Seq != v.Seq {
									errs <- fmt.Errorf("repeat: seq %d then %d, created %v, %v", v.Seq, again.Seq, created, err)
									return
								}
							}
							mu.Lock()
							if prev, dup := acked[ch.ID][v.Seq]; dup {
								errs <- fmt.Errorf("seq %d acked twice (%q, %q)", v.Seq, prev, body)
							}
							acked[ch.ID][v.Seq] = body
							mu.Unlock()
						}
					})
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			for ch, bySeq := range acked {
				ms, err := st.Messages.Range(ctx, ch, 1, senders*each+10)
				if err != nil {
					t.Fatal(err)
				}
				if len(ms) != senders*each {
					t.Fatalf("channel holds %d messages, want %d", len(ms), senders*each)
				}
				for i, m := range ms {
					if m.Seq != uint64(i+1) || bySeq[m.Seq] != m.Body {
						t.Fatalf("message %d: seq %d body %q, acked %q", i, m.Seq, m.Body, bySeq[m.Seq])
					}
				}
			}
			if b, n := l.Commits(); b == 0 || n <= b {
				t.Fatalf("%d messages in %d group commits: nothing was grouped", n, b)
			} else {
				t.Logf("%d messages in %d group commits", n, b)
			}
		})
	}
}

// TestPipelineConflicts: many appends of one channel in flight while another
// writer (a second node) takes seqs right after the last stored one. Each taken seq
// fails one queued message and sends the channel's later ones back to be
// numbered again; at the end the channel holds every acknowledged message
// once and the other writer's, with seqs 1..n and no gap.
func TestPipelineConflicts(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgresql"} {
		t.Run(backend, func(t *testing.T) {
			st := storetest.OpenTest(t, backend)
			l, ctx := runningLog(t, st)
			ch := testChannel()
			author := model.UserID(model.NewID())
			state := l.state(ch.ID)

			const nSenders, each, foreign = 8, 25, 12
			var (
				mu          sync.Mutex
				acked       = map[uint64]string{}
				taken       = map[uint64]string{}
				wg          sync.WaitGroup
				errs        = make(chan error, nSenders+1)
				sending     = make(chan struct{})
				senders     sync.WaitGroup
				sendersDone = make(chan struct{})
			)
			for w := range nSenders {
				senders.Go(func() {
					<-sending
					for i := range each {
						body := fmt.Sprintf("message %d de %d", i, w)
						v, created, err := l.Append(ctx, ch, newMessage(ch, author, uuid.NewString(), body))
						if err != nil || !created {
							errs <- fmt.Errorf("send: created %v, %v", created, err)
							return
						}
						mu.Lock()
						if prev, dup := acked[v.Seq]; dup {
							errs <- fmt.Errorf("seq %d acked twice (%q, %q)", v.Seq, prev, body)
						}
						acked[v.Seq] = body
						mu.Unlock()
					}
				})
			}
			go func() { senders.Wait(); close(sendersDone) }()
			wg.Go(func() {
				close(sending)
				for i := 0; i < foreign; {
					// Right after the last stored seq, as another node
					// that saw it would write: it races the messages this
					// node has in flight there.
					state.mu.Lock()
					seq := state.last + 1
					state.mu.Unlock()
					select {
					case <-sendersDone:
						return // only while the senders have messages in flight
					default:
					}
					body := fmt.Sprintf("autre nœud %d", i)
					m := newMessage(ch, author, uuid.NewString(), body)
					m.Seq, m.ID = seq, model.MessageIDOf(ch.ID, seq)
					if err := st.Messages.Insert(ctx, m); err == nil {
						mu.Lock()
						taken[seq] = body
						mu.Unlock()
						i++
					}
					time.Sleep(200 * time.Microsecond)
				}
			})
			wg.Wait()
			<-sendersDone
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if len(taken) == 0 {
				t.Fatal("the other writer took no seq: nothing was tested")
			}
			want := nSenders*each + len(taken)
			ms, err := st.Messages.Range(ctx, ch.ID, 1, uint64(want+10))
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != want {
				t.Fatalf("channel holds %d messages, want %d (%d sent, %d by the other writer)", len(ms), want, nSenders*each, len(taken))
			}
			for i, m := range ms {
				body, ok := acked[m.Seq]
				if !ok {
					body = taken[m.Seq]
				}
				if m.Seq != uint64(i+1) || body != m.Body {
					for _, m := range ms[max(0, i-5):min(len(ms), i+5)] {
						t.Logf("seq %d %q", m.Seq, m.Body)
					}
					t.Fatalf("message %d: seq %d body %q, want %q", i, m.Seq, m.Body, body)
				}
			}
			batches, _ := l.Commits()
			t.Logf("%d sends, %d seqs taken by the other writer, %d group commits", nSenders*each, len(taken), batches)
		})
	}
}

// TestStoredHook: Options.Stored hears of every stored message exactly
// once, with its channel, a group commit's messages in one call (core
// writes them to the search outbox in one insert); repeats are not
// stored, so not reported. Without the committer each send reports its
// own.
func TestStoredHook(t *testing.T) {
	st := storetest.OpenTest(t, "sqlite")
	var mu sync.Mutex
	calls := 0
	got := map[model.MessageID]model.ChannelID{}
	hook := func(_ context.Context, chans []model.Channel, ms []model.Message) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if len(chans) != len(ms) {
			t.Errorf("%d channels for %d messages", len(chans), len(ms))
			return
		}
		for i, m := range ms {
			if _, dup := got[m.ID]; dup {
				t.Errorf("%s reported twice", m.ID)
			}
			if m.ChannelID != chans[i].ID || m.Body == "" {
				t.Errorf("%s reported with channel %s, body %q", m.ID, chans[i].ID, m.Body)
			}
			got[m.ID] = chans[i].ID
		}
	}
	author := model.UserID(model.NewID())

	t.Run("group commit", func(t *testing.T) {
		l := New(Options{Messages: st.Messages, Seqs: st.ChannelSeqs, Stored: hook, Logger: storetest.Logger()})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { l.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		chs := []model.Channel{testChannel(), testChannel()}
		const senders, each = 8, 10
		var wg sync.WaitGroup
		for _, ch := range chs {
			for range senders {
				wg.Go(func() {
					for i := range each {
						id := uuid.NewString()
						m := newMessage(ch, author, id, fmt.Sprintf("message %d", i))
						if _, created, err := l.Append(ctx, ch, m); err != nil || !created {
							t.Errorf("send: %v %v", created, err)
						}
						if _, created, err := l.Append(ctx, ch, m); err != nil || created {
							t.Errorf("repeat: %v %v", created, err)
						}
					}
				})
			}
		}
		wg.Wait()
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		if want := len(chs) * senders * each; len(got) != want {
			t.Fatalf("%d messages reported, want %d", len(got), want)
		}
		batches, _ := l.Commits()
		if int64(calls) > batches || calls >= len(got) {
			t.Fatalf("%d calls for %d messages in %d group commits: not one call per batch", calls, len(got), batches)
		}
		for _, ch := range chs {
			for seq := uint64(1); seq <= senders*each; seq++ {
				if got[model.MessageIDOf(ch.ID, seq)] != ch.ID {
					t.Fatalf("%s seq %d not reported", ch.ID, seq)
				}
			}
		}
	})

	t.Run("no committer", func(t *testing.T) {
		mu.Lock()
		calls, got = 0, map[model.MessageID]model.ChannelID{}
		mu.Unlock()
		l := New(Options{Messages: st.Messages, Seqs: st.ChannelSeqs, Stored: hook, Logger: storetest.Logger()})
		ch := testChannel()
		for i := range 3 {
			if _, _, err := l.Append(context.Background(), ch, newMessage(ch, author, uuid.NewString(), fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if calls != 3 || len(got) != 3 {
			t.Fatalf("%d calls, %d messages reported, want 3 and 3", calls, len(got))
		}
	})
}

// TestStoredHookDoesNotHoldCommits: while Options.Stored runs, sends go
// on being stored and answered; what they store comes in the next call,
// in one piece, and Run returns only once it was told.
func TestStoredHookDoesNotHoldCommits(t *testing.T) {
	st := storetest.OpenTest(t, "sqlite")
	release := make(chan struct{})
	var mu sync.Mutex
	var calls [][]model.Message
	hook := func(_ context.Context, _ []model.Channel, ms []model.Message) {
		mu.Lock()
		first := len(calls) == 0
		calls = append(calls, slices.Clone(ms))
		mu.Unlock()
		if first {
			<-release
		}
	}
	l := New(Options{Messages: st.Messages, Seqs: st.ChannelSeqs, Stored: hook, Logger: storetest.Logger()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	ch := testChannel()
	author := model.UserID(model.NewID())
	send := func(i int) {
		t.Helper()
		if _, _, err := l.Append(ctx, ch, newMessage(ch, author, uuid.NewString(), fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	send(0)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		n := len(calls)
		mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Stored was not called")
		}
	}
	// The hook is blocked: these five are stored and answered all the same.
	for i := 1; i <= 5; i++ {
		send(i)
	}
	close(release)
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 2 || len(calls[0]) != 1 || len(calls[1]) != 5 {
		sizes := []int{}
		for _, c := range calls {
			sizes = append(sizes, len(c))
		}
		t.Fatalf("calls of %v messages, want [1 5]", sizes)
	}
	for i, m := range calls[1] {
		if m.Seq != uint64(i+2) {
			t.Fatalf("second call: message %d has seq %d", i, m.Seq)
		}
	}
}
