package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

// hash stands for the SHA-256 hex of a random token, as auth computes it.
func hash() string {
	sum := sha256.Sum256([]byte(id()))
	return hex.EncodeToString(sum[:])
}

func testSessions(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("RoundTripAndExpiry", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		now := time.Now()
		live := model.Session{ID: hash(), UserID: model.UserID(id()), CSRFToken: hash(), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		must(t, s.Sessions.Insert(ctx, live), "insert")
		got, err := s.Sessions.ByID(ctx, live.ID)
		must(t, err, "by id")
		want := live
		want.CreatedAt, want.ExpiresAt = ms(live.CreatedAt), ms(live.ExpiresAt)
		equal(t, got, want, "ByID")
		wantErr(t, s.Sessions.Insert(ctx, live), model.ErrConflict, "same id", live.ID, live.CSRFToken)

		expired := model.Session{ID: hash(), UserID: live.UserID, CSRFToken: hash(), CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Second)}
		must(t, s.Sessions.Insert(ctx, expired), "insert expired")
		_, err = s.Sessions.ByID(ctx, expired.ID)
		wantErr(t, err, model.ErrNotFound, "ByID of an expired session", expired.ID)
		_, err = s.Sessions.ByID(ctx, hash())
		wantErr(t, err, model.ErrNotFound, "ByID of an unknown session")
	})
	t.Run("TouchSlidesExpiry", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		now := time.Now()
		x := model.Session{ID: hash(), UserID: model.UserID(id()), CSRFToken: hash(), CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
		must(t, s.Sessions.Insert(ctx, x), "insert")
		must(t, s.Sessions.Touch(ctx, x.ID, now.Add(48*time.Hour)), "touch forward")
		got, err := s.Sessions.ByID(ctx, x.ID)
		must(t, err, "by id")
		equal(t, got.ExpiresAt, ms(now.Add(48*time.Hour)), "ExpiresAt after Touch")
		must(t, s.Sessions.Touch(ctx, x.ID, now.Add(-time.Minute)), "touch into the past")
		_, err = s.Sessions.ByID(ctx, x.ID)
		wantErr(t, err, model.ErrNotFound, "ByID after expiry moved into the past")
		wantErr(t, s.Sessions.Touch(ctx, hash(), now.Add(time.Hour)), model.ErrNotFound, "Touch of unknown session")
	})
	t.Run("Deletes", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		now := time.Now()
		u, other := model.UserID(id()), model.UserID(id())
		mk := func(user model.UserID, expires time.Duration) model.Session {
			x := model.Session{ID: hash(), UserID: user, CSRFToken: hash(), CreatedAt: now, ExpiresAt: now.Add(expires)}
			must(t, s.Sessions.Insert(ctx, x), "insert")
			return x
		}
		current, a, _ := mk(u, time.Hour), mk(u, time.Hour), mk(u, -time.Hour)
		theirs, _ := mk(other, time.Hour), mk(other, -time.Minute)

		must(t, s.Sessions.Delete(ctx, a.ID), "logout")
		_, err := s.Sessions.ByID(ctx, a.ID)
		wantErr(t, err, model.ErrNotFound, "ByID after Delete")
		must(t, s.Sessions.Delete(ctx, a.ID), "second logout is not an error")

		n, err := s.Sessions.DeleteByUser(ctx, u, current.ID)
		must(t, err, "delete by user")
		if n != 1 { // the expired one; a is gone already
			t.Fatalf("DeleteByUser removed %d, want 1", n)
		}
		if _, err := s.Sessions.ByID(ctx, current.ID); err != nil {
			t.Fatalf("the kept session is gone: %v", err)
		}

		n, err = s.Sessions.DeleteExpired(ctx, now)
		must(t, err, "delete expired")
		if n != 1 { // other's expired one
			t.Fatalf("DeleteExpired removed %d, want 1", n)
		}
		if _, err := s.Sessions.ByID(ctx, theirs.ID); err != nil {
			t.Fatalf("a live session was swept: %v", err)
		}

		n, err = s.Sessions.DeleteByUser(ctx, u, "")
		must(t, err, "delete all of user")
		if n != 1 {
			t.Fatalf("DeleteByUser(all) removed %d, want 1", n)
		}
		_, err = s.Sessions.ByID(ctx, current.ID)
		wantErr(t, err, model.ErrNotFound, "ByID after DeleteByUser")
	})
}

func newInvitation(c model.CPTSID, email string, created time.Time, ttl time.Duration) model.Invitation {
	return model.Invitation{
		ID:        id(),
		TokenHash: hash(),
		Email:     email,
		CPTSID:    c,
		Role:      model.RoleMembre,
		InvitedBy: model.UserID(id()),
		CreatedAt: created,
		ExpiresAt: created.Add(ttl),
	}
}

func storedInvitation(x model.Invitation, email string) model.Invitation {
	x.Email = email
	return stored(x)
}

func testInvitations(t *testing.T, open func(t *testing.T) *store.Store) {
	const week = 7 * 24 * time.Hour
	t.Run("RoundTrip", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		x := newInvitation(model.CPTSID(id()), " Kine@Loire-Nord.Demo", at(0), week)
		must(t, s.Invitations.Insert(ctx, x), "insert")
		want := storedInvitation(x, "kine@loire-nord.demo")
		got, err := s.Invitations.ByID(ctx, x.ID)
		must(t, err, "by id")
		equal(t, got, want, "ByID")
		wantRead(t, "by token hash", "ByTokenHash", want)(s.Invitations.ByTokenHash(ctx, x.TokenHash))
		_, err = s.Invitations.ByID(ctx, id())
		wantErr(t, err, model.ErrNotFound, "ByID unknown")
		unknown := hash()
		_, err = s.Invitations.ByTokenHash(ctx, unknown)
		wantErr(t, err, model.ErrNotFound, "ByTokenHash unknown", unknown)
		dup := newInvitation(x.CPTSID, "autre@cpts.demo", at(0), week)
		dup.TokenHash = x.TokenHash
		wantErr(t, s.Invitations.Insert(ctx, dup), model.ErrConflict, "same token hash", x.TokenHash, "autre@cpts.demo")
	})
	t.Run("PendingByCPTS", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		c := model.CPTSID(id())
		now := at(10 * 24 * time.Hour)
		old := newInvitation(c, "a@cpts.demo", at(5*24*time.Hour), week)      // pending
		recent := newInvitation(c, "b@cpts.demo", at(9*24*time.Hour), week)   // pending, newer
		expired := newInvitation(c, "c@cpts.demo", at(0), week)               // expired at now
		accepted := newInvitation(c, "d@cpts.demo", at(8*24*time.Hour), week) // claimed below
		revoked := newInvitation(c, "e@cpts.demo", at(8*24*time.Hour), week)  // revoked below
		elsewhere := newInvitation(model.CPTSID(id()), "f@cpts.demo", at(9*24*time.Hour), week)
		insertAll(t, ctx, s.Invitations.Insert, old, recent, expired, accepted, revoked, elsewhere)
		must(t, s.Invitations.Claim(ctx, accepted.ID, model.UserID(id()), now), "claim")
		must(t, s.Invitations.Revoke(ctx, revoked.ID, now), "revoke")
		got, err := s.Invitations.PendingByCPTS(ctx, c, now)
		must(t, err, "pending")
		equal(t, ids(got, func(x model.Invitation) model.CPTSID { return model.CPTSID(x.ID) }), []string{recent.ID, old.ID}, "PendingByCPTS, newest first")
		equal(t, got[0], storedInvitation(recent, "b@cpts.demo"), "pending invitation content")
		wantEmpty[model.Invitation](t, "pending of unknown cpts", "PendingByCPTS(unknown)")(s.Invitations.PendingByCPTS(ctx, model.CPTSID(id()), now))
	})
	t.Run("ClaimUnclaimRevoke", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		c := model.CPTSID(id())
		x := newInvitation(c, "claim@cpts.demo", at(0), week)
		must(t, s.Invitations.Insert(ctx, x), "insert")
		u1, u2 := model.UserID(id()), model.UserID(id())

		must(t, s.Invitations.Claim(ctx, x.ID, u1, at(time.Hour)), "claim")
		got, err := s.Invitations.ByID(ctx, x.ID)
		must(t, err, "by id")
		want := storedInvitation(x, "claim@cpts.demo")
		want.AcceptedAt, want.AcceptedBy = msPtr(at(time.Hour)), u1
		equal(t, got, want, "after Claim")
		wantErr(t, s.Invitations.Claim(ctx, x.ID, u2, at(2*time.Hour)), model.ErrConflict, "second Claim")
		wantErr(t, s.Invitations.Revoke(ctx, x.ID, at(2*time.Hour)), model.ErrNotFound, "Revoke of an accepted invitation")

		must(t, s.Invitations.Unclaim(ctx, x.ID), "unclaim")
		wantRead(t, "by id", "after Unclaim: pending again", storedInvitation(x, "claim@cpts.demo"))(s.Invitations.ByID(ctx, x.ID))
		must(t, s.Invitations.Claim(ctx, x.ID, u2, at(3*time.Hour)), "claim after Unclaim")
		got, err = s.Invitations.ByID(ctx, x.ID)
		must(t, err, "by id")
		if got.AcceptedBy != u2 {
			t.Fatalf("AcceptedBy = %s, want %s", got.AcceptedBy, u2)
		}

		expired := newInvitation(c, "late@cpts.demo", at(0), week)
		must(t, s.Invitations.Insert(ctx, expired), "insert")
		wantErr(t, s.Invitations.Claim(ctx, expired.ID, u1, at(week)), model.ErrConflict, "Claim at expiry")
		must(t, s.Invitations.Claim(ctx, expired.ID, u1, at(week-time.Millisecond)), "Claim just before expiry, after a refused one")

		r := newInvitation(c, "revoked@cpts.demo", at(0), week)
		must(t, s.Invitations.Insert(ctx, r), "insert")
		must(t, s.Invitations.Revoke(ctx, r.ID, at(time.Hour)), "revoke")
		must(t, s.Invitations.Revoke(ctx, r.ID, at(2*time.Hour)), "second revoke is a no-op")
		got, err = s.Invitations.ByID(ctx, r.ID)
		must(t, err, "by id")
		want = storedInvitation(r, "revoked@cpts.demo")
		want.RevokedAt = msPtr(at(time.Hour))
		equal(t, got, want, "after Revoke")
		wantErr(t, s.Invitations.Claim(ctx, r.ID, u1, at(3*time.Hour)), model.ErrConflict, "Claim of a revoked invitation")

		unknown := id()
		wantErr(t, s.Invitations.Claim(ctx, unknown, u1, at(0)), model.ErrNotFound, "Claim unknown")
		wantErr(t, s.Invitations.Unclaim(ctx, unknown), model.ErrNotFound, "Unclaim unknown")
		wantErr(t, s.Invitations.Revoke(ctx, unknown, at(0)), model.ErrNotFound, "Revoke unknown")
		// A refused Claim of an unknown invitation leaves no lock behind.
		late := newInvitation(c, "late2@cpts.demo", at(0), week)
		late.ID = unknown
		must(t, s.Invitations.Insert(ctx, late), "insert with the once unknown id")
		must(t, s.Invitations.Claim(ctx, unknown, u1, at(time.Hour)), "claim it")
	})
	t.Run("ClaimRaceOneWinner", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		x := newInvitation(model.CPTSID(id()), "race@cpts.demo", at(0), week)
		must(t, s.Invitations.Insert(ctx, x), "insert")
		const n = 20
		users := make([]model.UserID, n)
		errs := make([]error, n)
		for i := range n {
			users[i] = model.UserID(id())
		}
		atOnce(n, func(i int) { errs[i] = s.Invitations.Claim(ctx, x.ID, users[i], at(time.Hour)) })
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("two winners: %d and %d", winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, model.ErrConflict):
				t.Fatalf("loser %d: %v, want ErrConflict", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no winner")
		}
		got, err := s.Invitations.ByID(ctx, x.ID)
		must(t, err, "by id")
		if got.AcceptedBy != users[winner] {
			t.Fatalf("AcceptedBy = %s, want the winner %s", got.AcceptedBy, users[winner])
		}
	})
	t.Run("ClaimRevokeRace", func(t *testing.T) {
		s, ctx := open(t), ctxT(t)
		x := newInvitation(model.CPTSID(id()), "race2@cpts.demo", at(0), week)
		must(t, s.Invitations.Insert(ctx, x), "insert")
		const n = 10
		claims, revokes := make([]error, n), make([]error, n)
		atOnce(2*n, func(i int) {
			if i < n {
				claims[i] = s.Invitations.Claim(ctx, x.ID, model.UserID(id()), at(time.Hour))
			} else {
				revokes[i-n] = s.Invitations.Revoke(ctx, x.ID, at(time.Hour))
			}
		})
		claimed, revokedOK := 0, 0
		for i := range n {
			if claims[i] == nil {
				claimed++
			}
			if revokes[i] == nil {
				revokedOK++
			}
		}
		got, err := s.Invitations.ByID(ctx, x.ID)
		must(t, err, "by id")
		switch {
		case got.AcceptedAt != nil && got.RevokedAt != nil:
			t.Fatal("invitation both accepted and revoked")
		case got.AcceptedAt != nil && (claimed != 1 || revokedOK != 0):
			t.Fatalf("accepted, yet %d claims and %d revokes succeeded", claimed, revokedOK)
		case got.RevokedAt != nil && claimed != 0:
			t.Fatalf("revoked, yet %d claims succeeded", claimed)
		case got.AcceptedAt == nil && got.RevokedAt == nil:
			t.Fatal("neither accepted nor revoked")
		}
	})
}
