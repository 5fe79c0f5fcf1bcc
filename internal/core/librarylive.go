package core

import (
	"context"
	"slices"

	"github.com/ecpts/ecpts/internal/model"
)

// Live updates of the library: after a protocol or a material changes
// (created, edited, new version, sent to review, reviewed, validated,
// archived, acknowledged, shared otherwise, deleted), the open tabs of
// whoever may see it are told its id and CPTS, and re-read what they
// show. The frame carries nothing else: a user who may no longer see the
// item learns only that it changed, and re-reading tells them it is gone.

// LibraryPublisher is what a Publisher may add to reach the readers of
// the library (cmd/ecpts's does, through the realtime hub): frames for a
// list of users, built by the realtime package. Without it the library is
// not live.
type LibraryPublisher interface {
	// PublishProtocol says protocol id of CPTS cpts changed.
	PublishProtocol(ctx context.Context, users []model.UserID, id model.ProtocolID, cpts model.CPTSID) error
	// PublishMaterial says material id of CPTS cpts changed (deleted:
	// it is gone).
	PublishMaterial(ctx context.Context, users []model.UserID, id model.MaterialID, cpts model.CPTSID, deleted bool) error
}

// libraryAudience lists the users who may see a library item in one of
// its states: the active members of the CPTS the states name (the owner,
// the listed CPTS; every CPTS when one is platform-wide), each kept when
// sees (a rule of policy.go) holds for one state. An actor is built from
// the memberships of those CPTS only, which is all those rules read.
func (c *Core) libraryAudience(ctx context.Context, cpts []model.CPTSID, platform bool, sees func(*Actor) bool) ([]model.UserID, error) {
	if platform {
		all, err := c.st.CPTS.List(ctx)
		if err != nil {
			return nil, err
		}
		for _, x := range all {
			cpts = append(cpts, x.ID)
		}
	}
	slices.Sort(cpts)
	cpts = slices.Compact(cpts)
	byUser := map[model.UserID][]model.Membership{}
	for _, id := range cpts {
		ms, err := c.st.Memberships.ByCPTS(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if m.Status == model.StatusActive {
				byUser[m.UserID] = append(byUser[m.UserID], m)
			}
		}
	}
	var out []model.UserID
	for u, ms := range byUser {
		if sees(NewActor(model.User{ID: u}, ms, nil, nil)) {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out, nil
}

// liveCPTS: the CPTS a library item's sharing names, and whether it is
// platform-wide.
func liveCPTS(owner model.CPTSID, vis model.Sharing, shared []model.CPTSID) ([]model.CPTSID, bool) {
	out := []model.CPTSID{owner}
	if vis == model.SharingListed {
		out = append(out, shared...)
	}
	return out, vis == model.SharingPlatform
}

// publishProtocol reaches, after the change is stored, whoever may see
// the protocol in one of states (before and after the change: who lost
// it too).
func (c *Core) publishProtocol(ctx context.Context, states ...model.Protocol) {
	c.publishProtocolTo(ctx, states, func(a *Actor) bool { return slices.ContainsFunc(states, a.CanSeeProtocol) })
}

// publishProtocolAck reaches, after an acknowledgement of p by user, those
// whose view of p it changes: the coordinators who follow the
// acknowledgements (CanSeeProtocolAcks, through AckCPTS) and the user.
func (c *Core) publishProtocolAck(ctx context.Context, p model.Protocol, user model.UserID) {
	c.publishProtocolTo(ctx, []model.Protocol{p}, func(a *Actor) bool {
		return a.CanSeeProtocol(p) && (a.ID() == user || a.AckCPTS(p) != "")
	})
}

func (c *Core) publishProtocolTo(ctx context.Context, states []model.Protocol, sees func(*Actor) bool) {
	publishLibrary(c, ctx, states, sees, libraryItem[model.Protocol]{
		kind: "protocol",
		id:   func(p model.Protocol) any { return p.ID },
		sharing: func(p model.Protocol) (model.CPTSID, model.Sharing, []model.CPTSID) {
			return p.CPTSID, p.Visibility, p.SharedWith
		},
		publish: func(ctx context.Context, lp LibraryPublisher, users []model.UserID, p model.Protocol) error {
			return lp.PublishProtocol(ctx, users, p.ID, p.CPTSID)
		},
	})
}

// publishMaterial is publishProtocol for a material; the last state says
// whether it is deleted.
func (c *Core) publishMaterial(ctx context.Context, states ...model.Material) {
	publishLibrary(c, ctx, states, func(a *Actor) bool { return slices.ContainsFunc(states, a.CanSeeMaterial) }, libraryItem[model.Material]{
		kind: "material",
		id:   func(m model.Material) any { return m.ID },
		sharing: func(m model.Material) (model.CPTSID, model.Sharing, []model.CPTSID) {
			return m.CPTSID, m.Visibility, m.SharedWith
		},
		publish: func(ctx context.Context, lp LibraryPublisher, users []model.UserID, m model.Material) error {
			return lp.PublishMaterial(ctx, users, m.ID, m.CPTSID, m.Deleted())
		},
	})
}

// libraryItem is how publishLibrary reads one kind of library item (a
// protocol, a material): its name and id in the logs, its sharing, and
// the LibraryPublisher method that announces it.
type libraryItem[T any] struct {
	kind    string
	id      func(T) any
	sharing func(T) (owner model.CPTSID, vis model.Sharing, shared []model.CPTSID)
	publish func(ctx context.Context, lp LibraryPublisher, users []model.UserID, last T) error
}

// publishLibrary reaches, after the change is stored, the audience of an
// item in one of states (the members of the CPTS each state's sharing
// names, kept when sees holds) and announces the last state to them.
func publishLibrary[T any](c *Core, ctx context.Context, states []T, sees func(*Actor) bool, item libraryItem[T]) {
	lp, ok := c.pub.(LibraryPublisher)
	if !ok || len(states) == 0 {
		return
	}
	c.later(ctx, func(ctx context.Context) {
		var cpts []model.CPTSID
		platform := false
		for _, s := range states {
			cs, all := liveCPTS(item.sharing(s))
			cpts, platform = append(cpts, cs...), platform || all
		}
		last := states[len(states)-1]
		users, err := c.libraryAudience(ctx, cpts, platform, sees)
		if err != nil {
			c.log.Warn(item.kind+" audience", item.kind+"_id", item.id(last), "err", err)
			return
		}
		if err := item.publish(ctx, lp, users, last); err != nil {
			c.log.Warn("publish "+item.kind, item.kind+"_id", item.id(last), "err", err)
		}
	})
}
