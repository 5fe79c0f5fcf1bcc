package demo

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/auth"
	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/envelope"
	"github.com/ecpts/ecpts/internal/mailer"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store/storetest"
)

// TestDemoHistorySpreadsOverDays: the demo messages are dated over the
// past days, in Paris working hours for the past ones, in the order of
// their seqs, none in the future.
func TestDemoHistorySpreadsOverDays(t *testing.T) {
	ctx := context.Background()
	st := storetest.OpenTest(t, "sqlite")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	fast := auth.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	// A Wednesday afternoon in Paris.
	now := time.Date(2026, 12, 9, 15, 0, 0, 0, paris)
	if ok, err := Load(ctx, st, log, now, fast); err != nil || !ok {
		t.Fatalf("load: %v %v", ok, err)
	}
	keyring, err := envelope.NewKeyring(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mailer.NewFile(t.TempDir(), "e-CPTS <no-reply@ecpts.invalid>", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	c := core.New(core.Deps{Store: st, Mailer: m, Logger: log, PasswordParams: fast, Now: func() time.Time { return now }, Sealer: keyring})
	if err := LoadMessagesAt(ctx, st, c, now); err != nil {
		t.Fatal(err)
	}
	days := map[string]bool{}
	for _, email := range []string{"coordination@loire-nord.demo", "kine@loire-nord.demo"} {
		u, err := st.Users.ByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		s := model.Session{UserID: u.ID}
		chs, err := c.ListChannels(ctx, s, false)
		if err != nil {
			t.Fatal(err)
		}
		convs, err := c.Conversations(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		ids := []model.ChannelID{}
		for _, ch := range chs {
			ids = append(ids, ch.ID)
		}
		for _, cv := range convs {
			ids = append(ids, cv.ID)
		}
		for _, id := range ids {
			ms, _, err := c.History(ctx, s, id, 0, true, 0, 100)
			if err != nil {
				t.Fatalf("history of %s: %v", id, err)
			}
			var prev time.Time
			for _, msg := range ms {
				at := msg.CreatedAt.In(paris)
				if at.After(now) {
					t.Errorf("%q is dated in the future: %v", msg.Body, at)
				}
				if !at.After(prev) {
					t.Errorf("%q (seq %d) is not dated after the message before", msg.Body, msg.Seq)
				}
				prev = at
				if now.Sub(at) > 24*time.Hour && (at.Hour() < 8 || at.Hour() >= 19 || at.Weekday() == time.Sunday) {
					t.Errorf("%q is dated outside working hours: %v", msg.Body, at)
				}
				days[at.Format("2006-01-02")] = true
			}
		}
	}
	if len(days) < 4 || !days["2026-12-08"] || !days["2026-12-09"] || days["2026-12-06"] {
		t.Fatalf("the history spans several days, yesterday and today included, Sunday left out: %v", days)
	}
}
