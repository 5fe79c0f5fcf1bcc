package msglog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/storetest"
)

// runningLog is a Log on st with its committer running (as in
// production) until the test ends.
func runningLog(tb testing.TB, st *store.Store) (*Log, context.Context) {
	l := New(Options{Messages: st.Messages, Seqs: st.ChannelSeqs, Logger: storetest.Logger()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	tb.Cleanup(func() { cancel(); <-done })
	return l, ctx
}

func testChannel() model.Channel {
	return model.Channel{ID: model.ChannelID(model.NewID()), Name: "test", Kind: model.KindStandard, Visibility: model.VisibilityPublic}
}

// newMessage is a message to append (no seq yet).
func newMessage(ch model.Channel, author model.UserID, clientID, body string) model.Message {
	return model.Message{ChannelID: ch.ID, AuthorID: author, ClientID: clientID, Body: body, HTML: "<p>" + body + "</p>", Text: body, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
}

// reversing seals a message by moving its body, reversed, into Sealed: the
// store must hold it that way, the log hand it back plain.
type reversing struct{}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

func (reversing) Seal(_ model.Channel, m model.Message) (model.Message, error) {
	m.Sealed, m.Body = []byte(reverse(m.Body)), ""
	return m, nil
}

func (reversing) Open(_ model.Channel, m model.Message) (model.Message, error) {
	if len(m.Sealed) == 0 {
		return m, errors.New("not sealed")
	}
	m.Body, m.Sealed = reverse(string(m.Sealed)), nil
	return m, nil
}

// TestLogCodec: the store holds what the codec sealed; every read of the
// log gives the message back plain, from the window as from the store.
func TestLogCodec(t *testing.T) {
	st := storetest.OpenTest(t, "sqlite")
	ctx := context.Background()
	ch := testChannel()
	author := model.UserID(model.NewID())
	l := New(Options{Messages: st.Messages, Seqs: st.ChannelSeqs, Codec: reversing{}, Logger: storetest.Logger()})
	var ids []model.MessageID
	for i := range 3 {
		m, created, err := l.Append(ctx, ch, newMessage(ch, author, uuid.NewString(), fmt.Sprintf("message %d", i)))
		if err != nil || !created || m.Body != fmt.Sprintf("message %d", i) || m.Seq != uint64(i+1) {
			t.Fatalf("append %d: %+v, created %v, %v", i, m, created, err)
		}
		ids = append(ids, m.ID)
	}
	raw, err := st.Messages.ByID(ctx, ids[1])
	if err != nil || raw.Body != "" || string(raw.Sealed) != "1 egassem" {
		t.Fatalf("stored %q sealed %q (%v), want it sealed", raw.Body, raw.Sealed, err)
	}
	for name, l := range map[string]*Log{
		"window": l,
		"store":  New(Options{Messages: st.Messages, Seqs: st.ChannelSeqs, Codec: reversing{}, Logger: storetest.Logger()}),
	} {
		m, err := l.Get(ctx, ch, ids[1])
		if err != nil || m.Body != "message 1" {
			t.Fatalf("%s: get %q, %v", name, m.Body, err)
		}
		page, last, err := l.Page(ctx, ch, 0, false, 0, 50)
		if err != nil || last != 3 || len(page) != 3 || page[2].Body != "message 2" {
			t.Fatalf("%s: page %+v, last %d, %v", name, page, last, err)
		}
		ms, err := l.BySeqs(ctx, ch, []uint64{1, 3})
		if err != nil || len(ms) != 2 || ms[0].Body != "message 0" || ms[1].Body != "message 2" {
			t.Fatalf("%s: by seqs %+v, %v", name, ms, err)
		}
	}
}

// TestLogUpdate: Update writes back only what change reports changed,
// returns change's error as it is, and tells a missing message apart.
func TestLogUpdate(t *testing.T) {
	st := storetest.OpenTest(t, "sqlite")
	ctx := context.Background()
	ch := testChannel()
	l := New(Options{Messages: st.Messages, Seqs: st.ChannelSeqs, Logger: storetest.Logger()})
	m, _, err := l.Append(ctx, ch, newMessage(ch, model.UserID(model.NewID()), uuid.NewString(), "avant"))
	if err != nil {
		t.Fatal(err)
	}
	errNo := errors.New("refusé")
	if _, changed, err := l.Update(ctx, ch, m.ID, func(m *model.Message) (bool, error) {
		m.Body = "jamais écrit"
		return true, errNo
	}); !errors.Is(err, errNo) || changed {
		t.Fatalf("change failing: changed %v, %v", changed, err)
	}
	if got, changed, err := l.Update(ctx, ch, m.ID, func(m *model.Message) (bool, error) {
		return false, nil
	}); err != nil || changed || got.Body != "avant" {
		t.Fatalf("no change: %q, changed %v, %v", got.Body, changed, err)
	}
	got, changed, err := l.Update(ctx, ch, m.ID, func(m *model.Message) (bool, error) {
		m.Body = "après"
		return true, nil
	})
	if err != nil || !changed || got.Body != "après" {
		t.Fatalf("change: %q, changed %v, %v", got.Body, changed, err)
	}
	for name, read := range map[string]func() (model.Message, error){
		"log":   func() (model.Message, error) { return l.Get(ctx, ch, m.ID) },
		"store": func() (model.Message, error) { return st.Messages.ByID(ctx, m.ID) },
	} {
		if m, err := read(); err != nil || m.Body != "après" {
			t.Fatalf("%s holds %q, %v", name, m.Body, err)
		}
	}
	for _, id := range []model.MessageID{model.MessageIDOf(ch.ID, 9), model.MessageIDOf(testChannel().ID, 1), "pas-un-id"} {
		if _, _, err := l.Update(ctx, ch, id, func(*model.Message) (bool, error) { return true, nil }); !errors.Is(err, ErrNotFound) {
			t.Fatalf("update %s: %v, want ErrNotFound", id, err)
		}
		if _, err := l.Get(ctx, ch, id); !errors.Is(err, ErrNotFound) || !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("get %s: %v, want ErrNotFound", id, err)
		}
	}
}

// TestLogSince: a resume gets the messages after its seq, nothing when it
// is up to date, and ErrTooFarBehind with the last seq beyond MaxReplay.
func TestLogSince(t *testing.T) {
	st := storetest.OpenTest(t, "sqlite")
	ctx := context.Background()
	ch := testChannel()
	author := model.UserID(model.NewID())
	// MaxReplay+5 messages stored before this node started.
	n := uint64(MaxReplay + 5)
	for first := uint64(1); first <= n; first += store.MaxInsertBatch {
		var ms []model.Message
		for seq := first; seq < first+store.MaxInsertBatch && seq <= n; seq++ {
			m := newMessage(ch, author, uuid.NewString(), fmt.Sprintf("message %d", seq))
			m.Seq, m.ID = seq, model.MessageIDOf(ch.ID, seq)
			ms = append(ms, m)
		}
		for _, err := range st.Messages.InsertMany(ctx, ms) {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	l, ctx := runningLog(t, st)
	if last, err := l.Last(ctx, ch.ID); err != nil || last != n {
		t.Fatalf("last %d, %v; want %d", last, err, n)
	}
	if _, last, err := l.Since(ctx, ch, 0); !errors.Is(err, ErrTooFarBehind) || last != n {
		t.Fatalf("since 0: last %d, %v; want %d, ErrTooFarBehind", last, err, n)
	}
	ms, last, err := l.Since(ctx, ch, 5)
	if err != nil || last != n || uint64(len(ms)) != n-5 || ms[0].Seq != 6 || ms[len(ms)-1].Seq != n {
		t.Fatalf("since 5: %d messages, last %d, %v", len(ms), last, err)
	}
	if ms, last, err := l.Since(ctx, ch, n); err != nil || last != n || len(ms) != 0 {
		t.Fatalf("since last: %d messages, last %d, %v", len(ms), last, err)
	}
	m, created, err := l.Append(ctx, ch, newMessage(ch, author, uuid.NewString(), "nouveau"))
	if err != nil || !created || m.Seq != n+1 {
		t.Fatalf("append after the stored ones: seq %d, created %v, %v", m.Seq, created, err)
	}
	ms, last, err = l.Since(ctx, ch, n)
	if err != nil || last != n+1 || len(ms) != 1 || !strings.Contains(ms[0].Body, "nouveau") {
		t.Fatalf("since %d: %+v, last %d, %v", n, ms, last, err)
	}
}
