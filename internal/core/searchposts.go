package core

import (
	"context"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/search"
)

// The feed's posts in the search: a producer (see searchProducer). A post
// of a CPTS feed carries "cpts:<id>" (its active coordinateurs and
// membres, who see the feed), a group's "group:<id>"; a hit is checked
// again with CanSeeFeed.

func init() {
	searchProducers[search.TypePost] = searchProducer{
		kind:   store.OutboxPost,
		derive: derivePost,
		all:    eachID(func(st *store.Store) func(context.Context) ([]model.PostID, error) { return st.Posts.IDs }),
		check: func(ctx context.Context, c *Core, a *Actor, id string) (bool, model.CPTSID, error) {
			p, g, ok, err := c.searchPost(ctx, model.PostID(id))
			if err != nil || !ok {
				return false, "", err
			}
			return a.CanSeeFeed(p.Scope(), g), "", nil
		},
	}
}

// searchPost loads a live post and its group (ok false: gone or deleted).
func (c *Core) searchPost(ctx context.Context, id model.PostID) (model.Post, *model.Group, bool, error) {
	p, err := c.st.Posts.ByID(ctx, id)
	if ok, err := found(err, "search post %s", id); !ok {
		return model.Post{}, nil, false, err
	}
	if p.Deleted() {
		return model.Post{}, nil, false, nil
	}
	var g *model.Group
	if p.GroupID != "" {
		gg, err := c.st.Groups.ByID(ctx, p.GroupID)
		if ok, err := found(err, "search post %s group", id); !ok {
			return model.Post{}, nil, false, err
		}
		g = &gg
	}
	return p, g, true, nil
}

// PostScopes are the search scopes of a post (policy: CanSeeFeed).
func postScopes(p model.Post) []string {
	switch {
	case p.GroupID != "":
		return []string{"group:" + string(p.GroupID)}
	case p.CPTSID != "":
		return []string{"cpts:" + string(p.CPTSID)}
	}
	return nil
}

func derivePost(ctx context.Context, c *Core, id string) (search.Document, bool, error) {
	p, g, ok, err := c.searchPost(ctx, model.PostID(id))
	if err != nil || !ok {
		return search.Document{}, false, err
	}
	scopes := postScopes(p)
	if len(scopes) == 0 {
		return search.Document{}, false, nil
	}
	var cpts []string
	if p.CPTSID != "" {
		cpts = []string{string(p.CPTSID)}
	} else if g != nil {
		for _, x := range g.CPTSIDs {
			cpts = append(cpts, string(x))
		}
	}
	updated := p.CreatedAt
	if p.EditedAt != nil {
		updated = *p.EditedAt
	}
	doc := search.Document{
		ID: search.DocID(search.TypePost, id), Type: search.TypePost, Title: p.Title, Text: p.Text,
		AuthorID: string(p.AuthorID), CPTSIDs: cpts, GroupID: string(p.GroupID),
		CreatedAt: p.CreatedAt, UpdatedAt: updated, Scopes: scopes,
	}
	if us, err := c.usersByID(ctx, []model.UserID{p.AuthorID}); err == nil {
		if u, ok := us[p.AuthorID]; ok {
			doc.AuthorName, doc.AuthorProfession = u.Name, string(u.Profession)
		}
	}
	return doc, true, nil
}
