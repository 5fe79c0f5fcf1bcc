package core

import (
	"context"
	"strings"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/search"
)

// The library in the search: protocols and prevention materials, two
// producers (see searchProducer). A protocol is indexed at its validated
// version, with the scopes of those who read it (ProtocolScopes); one
// never validated is indexed at its current draft for the owner CPTS's
// coordinateurs and membres only. A material carries the scopes of its
// library (MaterialScopes). Every hit is checked again with
// CanSeeProtocol / CanSeeMaterial.

func init() {
	searchProducers[search.TypeProtocol] = libraryProducer(store.OutboxProtocol, deriveProtocol,
		func(st *store.Store) func(context.Context) ([]model.ProtocolID, error) { return st.Protocols.IDs },
		func(ctx context.Context, st *store.Store, id model.ProtocolID) (model.Protocol, error) {
			return st.Protocols.Get(ctx, id)
		},
		func(a *Actor, p model.Protocol) (bool, model.CPTSID) { return a.CanSeeProtocol(p), p.CPTSID })
	searchProducers[search.TypeMaterial] = libraryProducer(store.OutboxMaterial, deriveMaterial,
		func(st *store.Store) func(context.Context) ([]model.MaterialID, error) { return st.Materials.IDs },
		func(ctx context.Context, st *store.Store, id model.MaterialID) (model.Material, error) {
			return st.Materials.ByID(ctx, id)
		},
		func(a *Actor, m model.Material) (bool, model.CPTSID) { return a.CanSeeMaterial(m), m.CPTSID })
}

// libraryProducer is the producer of a library item X with ids I: all
// walks the ids list returns; check reads the item with get (gone: not
// seen) and asks can whether the actor sees it, and its owner CPTS.
func libraryProducer[I ~string, X any](
	kind store.OutboxKind,
	derive func(ctx context.Context, c *Core, id string) (search.Document, bool, error),
	list func(*store.Store) func(context.Context) ([]I, error),
	get func(context.Context, *store.Store, I) (X, error),
	can func(*Actor, X) (bool, model.CPTSID),
) searchProducer {
	return searchProducer{
		kind:   kind,
		derive: derive,
		all:    eachID(list),
		check: func(ctx context.Context, c *Core, a *Actor, id string) (bool, model.CPTSID, error) {
			x, err := get(ctx, c.st, I(id))
			if ok, err := found(err, "search check %s %s", kind, id); !ok {
				return false, "", err
			}
			ok, owner := can(a, x)
			return ok, owner, nil
		},
	}
}

// eachID is a producer's all: fn for each id the store's list returns.
func eachID[I ~string](list func(*store.Store) func(context.Context) ([]I, error)) func(context.Context, *Core, func(string) error) error {
	return func(ctx context.Context, c *Core, fn func(string) error) error {
		ids, err := list(c.st)(ctx)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := fn(string(id)); err != nil {
				return err
			}
		}
		return nil
	}
}

// libraryCPTS lists the owner and the CPTS a library item is shared with
// (the cpts facet and filter).
func libraryCPTS(owner model.CPTSID, vis model.Sharing, shared []model.CPTSID) []string {
	out := []string{string(owner)}
	if vis == model.SharingListed {
		for _, c := range shared {
			if c != owner {
				out = append(out, string(c))
			}
		}
	}
	return out
}

func (c *Core) searchAuthor(ctx context.Context, doc *search.Document, id model.UserID) {
	if us, err := c.usersByID(ctx, []model.UserID{id}); err == nil {
		if u, ok := us[id]; ok {
			doc.AuthorName, doc.AuthorProfession = u.Name, string(u.Profession)
		}
	}
}

func deriveProtocol(ctx context.Context, c *Core, id string) (search.Document, bool, error) {
	p, err := c.st.Protocols.Get(ctx, model.ProtocolID(id))
	if ok, err := found(err, "index protocol %s", id); !ok {
		return search.Document{}, false, err
	}
	n := p.ValidatedVersion
	if n == 0 {
		n = p.CurrentVersion
	}
	v, err := c.st.ProtocolVersions.Get(ctx, p.ID, n)
	if ok, err := found(err, "index protocol %s version %d", id, n); !ok {
		return search.Document{}, false, err
	}
	// The target professions are searchable words ("vaccination grippe
	// infirmier"); the missions are facets.
	var words []string
	for _, pr := range p.Professions {
		words = append(words, pr.Label())
	}
	missions := make([]string, 0, len(p.Missions))
	for _, m := range p.Missions {
		missions = append(missions, string(m))
	}
	doc := search.Document{
		ID: search.DocID(search.TypeProtocol, id), Type: search.TypeProtocol, Title: p.Title, Text: v.Text,
		AuthorID: string(p.AuthorID), CPTSIDs: libraryCPTS(p.CPTSID, p.Visibility, p.SharedWith),
		Missions: missions, Theme: strings.Join(words, " "), Status: string(p.Status),
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Scopes: ProtocolScopes(p), Version: int64(p.Rev),
	}
	c.searchAuthor(ctx, &doc, p.AuthorID)
	return doc, true, nil
}

func deriveMaterial(ctx context.Context, c *Core, id string) (search.Document, bool, error) {
	m, err := c.st.Materials.ByID(ctx, model.MaterialID(id))
	if ok, err := found(err, "index material %s", id); !ok {
		return search.Document{}, false, err
	}
	scopes := MaterialScopes(m)
	if len(scopes) == 0 {
		return search.Document{}, false, nil
	}
	theme := m.Theme.Label() + " " + m.Audience.Label()
	var campaign string
	if m.Campaign != "" {
		campaign = m.Campaign.Label()
	}
	doc := search.Document{
		ID: search.DocID(search.TypeMaterial, id), Type: search.TypeMaterial, Title: m.Title, Text: m.Description,
		AuthorID: string(m.AuthorID), CPTSIDs: libraryCPTS(m.CPTSID, m.Visibility, m.SharedWith),
		Campaign: campaign, Theme: theme, Missions: []string{string(model.MissionPrevention)},
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Scopes: scopes, Version: m.UpdatedAt.UnixNano(),
	}
	c.searchAuthor(ctx, &doc, m.AuthorID)
	return doc, true, nil
}
