package store

import (
	"context"

	"github.com/ecpts/ecpts/internal/model"
)

// Access is what one user belongs to: their memberships of CPTS, groups
// and channels, read from the three collections that hold them. Every
// request of the user starts from it (core's Actor).
type Access struct {
	Memberships    []model.Membership
	GroupMembers   []model.GroupMember
	ChannelMembers []model.ChannelMember
}

// Access reads the user's memberships.
func (s *Store) Access(ctx context.Context, user model.UserID) (Access, error) {
	ms, err := s.Memberships.ByUser(ctx, user)
	if err != nil {
		return Access{}, err
	}
	gms, err := s.GroupMembers.ByUser(ctx, user)
	if err != nil {
		return Access{}, err
	}
	cms, err := s.ChannelMembers.ByUser(ctx, user)
	if err != nil {
		return Access{}, err
	}
	return Access{Memberships: ms, GroupMembers: gms, ChannelMembers: cms}, nil
}

// Scopes are the documents of one user's channels other than direct
// conversations, reduced to their kind and scope (fixed at creation) and
// visibility (core drops the scopes of a channel's members when it
// changes), and of their groups: what policy's reach rules read.
type Scopes struct {
	Channels []model.Channel
	Groups   []model.Group
}

// Scopes reads the user's scopes.
func (s *Store) Scopes(ctx context.Context, user model.UserID) (Scopes, error) {
	a, err := s.Access(ctx, user)
	if err != nil {
		return Scopes{}, err
	}
	return ReadScopes(ctx, a, s.Channels, s.Groups)
}

// ReadScopes reads the scopes of the channels and groups a names, through
// channels and groups: the store's collections, or caches of them.
func ReadScopes(ctx context.Context, a Access,
	channels interface {
		ByIDs(context.Context, []model.ChannelID) ([]model.Channel, error)
	},
	groups interface {
		ByIDs(context.Context, []model.GroupID) ([]model.Group, error)
	},
) (Scopes, error) {
	ids := make([]model.ChannelID, 0, len(a.ChannelMembers))
	for _, cm := range a.ChannelMembers {
		ids = append(ids, cm.ChannelID)
	}
	chs, err := channels.ByIDs(ctx, ids)
	if err != nil {
		return Scopes{}, err
	}
	var sc Scopes
	for _, ch := range chs {
		if ch.Kind != model.KindDirect {
			sc.Channels = append(sc.Channels, model.Channel{ID: ch.ID, Kind: ch.Kind, Visibility: ch.Visibility, CPTSID: ch.CPTSID, GroupID: ch.GroupID})
		}
	}
	gids := make([]model.GroupID, 0, len(a.GroupMembers))
	for _, gm := range a.GroupMembers {
		gids = append(gids, gm.GroupID)
	}
	if sc.Groups, err = groups.ByIDs(ctx, gids); err != nil {
		return Scopes{}, err
	}
	return sc, nil
}
