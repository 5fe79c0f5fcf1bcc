package core

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ecpts/ecpts/internal/model"
)

// channelWide are the tokens that mention everyone in the channel.
var channelWide = map[string]bool{"channel": true, "canal": true, "tous": true, "all": true, "here": true}

// resolveMentions turns @tokens into users of the channel: @channel (and
// its French forms), @<profession plural> (@pharmaciens), @prénom.nom or
// @prénom (accents and case folded). Only members of the channel are ever
// mentioned; the author is never notified of their own message.
func (c *Core) resolveMentions(ctx context.Context, ch model.Channel, tokens []string, author model.UserID) ([]model.UserID, bool, error) {
	if len(tokens) == 0 {
		return nil, false, nil
	}
	all := false
	for _, t := range tokens {
		if channelWide[t] {
			all = true
		}
	}
	ids, err := c.mentionable(ctx, ch)
	if err != nil {
		return nil, false, fmt.Errorf("core: mentions in %s: %w", ch.ID, err)
	}
	if ch.Kind == model.KindComments {
		// The comments of a post mention people, never the whole feed.
		all = false
	}
	users, err := c.usersByID(ctx, ids)
	if err != nil {
		return nil, false, fmt.Errorf("core: mentions in %s: %w", ch.ID, err)
	}
	byProfession := map[string]model.Profession{}
	for _, p := range model.Professions {
		byProfession[p.Mention] = p.Code
	}
	var out []model.UserID
	add := func(id model.UserID) {
		if id != author && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, t := range tokens {
		if channelWide[t] {
			continue
		}
		tok := fold(t)
		if p, ok := byProfession[tok]; ok {
			for _, u := range users {
				if u.Profession == p {
					add(u.ID)
				}
			}
			continue
		}
		for _, u := range users {
			full := strings.Join(strings.Fields(fold(u.Name)), ".")
			first, _, _ := strings.Cut(full, ".")
			if tok == full || tok == first || strings.ReplaceAll(tok, "-", ".") == full {
				add(u.ID)
			}
		}
	}
	slices.Sort(out)
	return out, all, nil
}

// mentionable lists who may be mentioned in ch: its members, or, in the
// comments of a post, the readers of the post's feed.
func (c *Core) mentionable(ctx context.Context, ch model.Channel) ([]model.UserID, error) {
	if ch.Kind == model.KindComments {
		scope := model.FeedScope{CPTSID: ch.CPTSID, GroupID: ch.GroupID}
		if ch.GroupID != "" {
			scope = model.GroupFeed(ch.GroupID)
			g, err := c.st.Groups.ByID(ctx, ch.GroupID)
			if err != nil {
				return nil, err
			}
			return c.feedAudience(ctx, scope, &g)
		}
		return c.feedAudience(ctx, scope, nil)
	}
	cms, err := c.st.ChannelMembers.ByChannel(ctx, ch.ID)
	if err != nil {
		return nil, err
	}
	ids := make([]model.UserID, 0, len(cms))
	for _, m := range cms {
		ids = append(ids, m.UserID)
	}
	return ids, nil
}
