package core

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/ecpts/ecpts/internal/store/storetest"
)

// TestConcurrentThreadReplies: replies to one root sent at once, several
// in flight, all counted on the root with their seqs in order.
func TestConcurrentThreadReplies(t *testing.T) {
	st := storetest.OpenTest(t, "postgresql")
	c, ctx := runningCore(t, st)
	s, ch := benchChannel(t, st)
	root, _, err := c.SendMessage(ctx, s, SendInput{Channel: ch, ClientID: uuid.NewString(), Body: "question"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 24
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, _, err := c.SendMessage(ctx, s, SendInput{Channel: ch, ClientID: uuid.NewString(), Body: fmt.Sprintf("réponse %d", i), ThreadID: root.ID})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Messages.ByID(ctx, root.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ReplyCount != n || len(got.ReplySeqs) != n {
		t.Fatalf("root counts %d replies (%d seqs), want %d", got.ReplyCount, len(got.ReplySeqs), n)
	}
	for i, seq := range got.ReplySeqs {
		if seq != uint64(i+2) {
			t.Fatalf("reply seqs %v, want 2..%d", got.ReplySeqs, n+1)
		}
	}
}
