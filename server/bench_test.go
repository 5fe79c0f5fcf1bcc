package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/auth"
	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/storetest"
	"github.com/prometheus/client_golang/prometheus"
)

// reportLatencies adds p50/p99 (ms) of the measured durations.
func reportLatencies(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	p := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
}

// seedChannels makes one CPTS with a member in 50 channels, among 20 other
// members and 200 channels, and returns the member's session.
func seedChannels(b *testing.B, st *store.Store, c *core.Core) model.Session {
	ctx := context.Background()
	now := time.Now().UTC()
	x := model.CPTS{ID: model.CPTSID(model.NewID()), Name: "CPTS Bench", Department: "41", Status: "active", CreatedAt: now}
	if err := st.CPTS.Insert(ctx, x); err != nil {
		b.Fatal(err)
	}
	var users []model.UserID
	for i := 0; i < 21; i++ {
		u := model.User{ID: model.UserID(model.NewID()), Email: fmt.Sprintf("bench%d@exemple.fr", i), Name: fmt.Sprintf("Membre %d", i), Profession: "infirmier", CreatedAt: now}
		if err := st.Users.Insert(ctx, u); err != nil {
			b.Fatal(err)
		}
		if err := st.Memberships.Insert(ctx, model.Membership{CPTSID: x.ID, UserID: u.ID, Role: model.RoleMembre, Status: model.StatusActive, CreatedAt: now}); err != nil {
			b.Fatal(err)
		}
		users = append(users, u.ID)
	}
	for i := 0; i < 200; i++ {
		vis := model.VisibilityPublic
		if i%2 == 1 {
			vis = model.VisibilityPrivate
		}
		ch := model.Channel{ID: model.ChannelID(model.NewID()), Name: fmt.Sprintf("canal-%03d", i), Kind: model.KindStandard, Visibility: vis, CPTSID: x.ID, CreatedAt: now}
		if err := st.Channels.Insert(ctx, ch); err != nil {
			b.Fatal(err)
		}
		for j, u := range users {
			// users[0] is in 50 channels; the others in a spread of them.
			if (j == 0 && i < 50) || (j > 0 && (i+j)%4 == 0) {
				if err := st.ChannelMembers.Insert(ctx, model.ChannelMember{ChannelID: ch.ID, UserID: u, JoinedAt: now}); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	tok := auth.NewToken()
	s := model.Session{ID: auth.HashToken(tok), UserID: users[0], CSRFToken: auth.NewToken(), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := st.Sessions.Insert(ctx, s); err != nil {
		b.Fatal(err)
	}
	s.ID = tok // the benchmark sends the cookie token
	return s
}

// BenchmarkListChannels: GET /api/v1/channels through the whole stack
// (session lookup, actor, policy, JSON) for a user in 50 channels.
func BenchmarkListChannels(b *testing.B) { benchGet(b, "/api/v1/channels", false) }

// BenchmarkUnread: GET /api/v1/unread for a user in 50 channels (each
// channel's true last seq, the user's read markers, followed threads).
// cold: a fresh core for every request, as the first request after a
// start, when no channel's last seq is in memory.
func BenchmarkUnread(b *testing.B) {
	b.Run("warm", func(b *testing.B) { benchGet(b, "/api/v1/unread", false) })
	b.Run("cold", func(b *testing.B) { benchGet(b, "/api/v1/unread", true) })
}

func benchGet(b *testing.B, path string, cold bool) {
	for _, backend := range []string{"sqlite", "postgresql"} {
		b.Run(backend, func(b *testing.B) {
			st := storetest.OpenTest(b, backend)
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			c := core.New(core.Deps{Store: st, Logger: log})
			s := seedChannels(b, st, c)
			srv := New(Deps{Core: c, Logger: log, Registry: prometheus.NewRegistry()})
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if cold {
					b.StopTimer()
					c = core.New(core.Deps{Store: st, Logger: log})
					srv = New(Deps{Core: c, Logger: log, Registry: prometheus.NewRegistry()})
					b.StartTimer()
				}
				req := httptest.NewRequest("GET", path, nil)
				req.AddCookie(&http.Cookie{Name: SessionCookie, Value: s.ID})
				t0 := time.Now()
				res, err := srv.App().Test(req, -1)
				if err != nil || res.StatusCode != 200 {
					b.Fatalf("status %v %v", res, err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			reportLatencies(b, lat)
		})
	}
}

// BenchmarkLogin: POST /api/v1/auth/login with the production argon2id
// parameters (auth.DefaultParams), one login at a time.
func BenchmarkLogin(b *testing.B) {
	st := storetest.OpenTest(b, "sqlite")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := auth.HashPassword("un-bon-mot-de-passe-7", auth.DefaultParams)
	if err != nil {
		b.Fatal(err)
	}
	u := model.User{ID: model.UserID(model.NewID()), Email: "login@exemple.fr", Name: "Login", Profession: "infirmier", PasswordHash: h, CreatedAt: time.Now()}
	if err := st.Users.Insert(context.Background(), u); err != nil {
		b.Fatal(err)
	}
	c := core.New(core.Deps{Store: st, Logger: log})
	srv := New(Deps{Core: c, Logger: log, Registry: prometheus.NewRegistry()})
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"email":"login@exemple.fr","password":"un-bon-mot-de-passe-7"}`))
		req.Header.Set("Content-Type", "application/json")
		t0 := time.Now()
		res, err := srv.App().Test(req, -1)
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("login: %v %v", res, err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportLatencies(b, lat)
}
