package core

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store/storetest"
)

// TestGroupCommit sends concurrently in several channels with Run's
// committers on, repeats some client ids, and checks every channel holds
// exactly its messages with seqs 1..n, each acknowledged with its stored
// seq, and that inserts were grouped.
func TestGroupCommit(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgresql"} {
		t.Run(backend, func(t *testing.T) {
			st := storetest.OpenTest(t, backend)
			c, ctx := runningCore(t, st)

			const channels, senders, each = 6, 6, 15
			var mu sync.Mutex
			acked := map[model.ChannelID]map[uint64]string{}
			var wg sync.WaitGroup
			errs := make(chan error, channels*senders)
			type target struct {
				s  model.Session
				ch model.ChannelID
			}
			var targets []target
			for range channels {
				s, ch := benchChannel(t, st)
				acked[ch] = map[uint64]string{}
				targets = append(targets, target{s, ch})
			}
			for _, tg := range targets {
				s, ch := tg.s, tg.ch
				for w := range senders {
					wg.Go(func() {
						for i := range each {
							body := fmt.Sprintf("message %d de %d", i, w)
							id := uuid.NewString()
							v, created, err := c.SendMessage(ctx, s, SendInput{Channel: ch, ClientID: id, Body: body})
							if err != nil || !created {
								errs <- fmt.Errorf("send: created %v, %v", created, err)
								return
							}
							if i%5 == 0 { // a repeat: same ack, nothing stored
								again, created, err := c.SendMessage(ctx, s, SendInput{Channel: ch, ClientID: id, Body: body})
								if err != nil || created || again.Seq != v.Seq {
									errs <- fmt.Errorf("repeat: seq %d then %d, created %v, %v", v.Seq, again.Seq, created, err)
									return
								}
							}
							mu.Lock()
							if prev, dup := acked[ch][v.Seq]; dup {
								errs <- fmt.Errorf("seq %d acked twice (%q, %q)", v.Seq, prev, body)
							}
							acked[ch][v.Seq] = body
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
			if b, n := c.bg.batches.Load(), c.bg.batched.Load(); b == 0 || n <= b {
				t.Fatalf("%d messages in %d group commits: nothing was grouped", n, b)
			} else {
				t.Logf("%d messages in %d group commits", n, b)
			}
		})
	}
}
