package core

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ecpts/ecpts/internal/model"
)

// DirectoryFilter narrows the directory. Empty fields do not filter.
type DirectoryFilter struct {
	Profession model.Profession
	Commune    string
	CPTSID     model.CPTSID
	Query      string
}

// DirectoryEntry is one professional in the directory: named as a
// message's author is, with their CPTS.
type DirectoryEntry struct {
	AuthorView
	CPTS []DirectoryCPTS `json:"cpts"`
}

// DirectoryCPTS is one CPTS of a directory entry.
type DirectoryCPTS struct {
	ID   model.CPTSID `json:"id"`
	Name string       `json:"name"`
	Role model.Role   `json:"role"`
}

// Directory answers "who does what on my territory": the active members
// of the CPTS the caller fully belongs to, and the members of the caller's
// groups. A member's CPTS are shown only where the caller may know them: a
// CPTS of the caller's, or one taking part in a group they share.
func (c *Core) Directory(ctx context.Context, s model.Session, f DirectoryFilter) ([]DirectoryEntry, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, err
	}
	if f.Profession != "" {
		if _, ok := model.LookupProfession(f.Profession); !ok {
			return nil, model.Invalid("profession", "invalid_profession", "Profession inconnue.")
		}
	}
	if len(f.Commune) > 200 || len(f.Query) > 200 {
		return nil, model.Invalid("q", "too_long", "Le texte recherché est trop long.")
	}
	if f.CPTSID != "" && !model.ValidID(string(f.CPTSID)) {
		return nil, model.Invalid("cpts_id", "invalid_cpts", "Cette CPTS est introuvable.")
	}
	// Which CPTS the caller may name, and whose members they see.
	visibleCPTS := map[model.CPTSID]bool{}
	users := map[model.UserID]bool{}
	for _, id := range a.fullCPTS() {
		visibleCPTS[id] = true
	}
	gs, err := c.st.Groups.ByIDs(ctx, slices.Collect(maps.Keys(a.groups)))
	if err != nil {
		return nil, fmt.Errorf("core: directory groups: %w", err)
	}
	for _, g := range gs {
		if !a.inGroup(g) {
			continue
		}
		for _, id := range g.CPTSIDs {
			visibleCPTS[id] = true
		}
		gms, err := c.st.GroupMembers.ByGroup(ctx, g.ID)
		if err != nil {
			return nil, fmt.Errorf("core: directory group %s: %w", g.ID, err)
		}
		for _, gm := range gms {
			users[gm.UserID] = true
		}
	}
	// One query per visible CPTS gives every membership the page shows.
	memberships := map[model.UserID][]model.Membership{}
	for id := range visibleCPTS {
		ms, err := c.st.Memberships.ByCPTS(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("core: directory %s: %w", id, err)
		}
		full := a.fullMember(id)
		for _, m := range ms {
			if !a.CanSeeInDirectory(m, gs) {
				continue
			}
			memberships[m.UserID] = append(memberships[m.UserID], m)
			if full {
				users[m.UserID] = true
			}
		}
	}
	us, err := c.st.Users.ByIDs(ctx, slices.Collect(maps.Keys(users)))
	if err != nil {
		return nil, fmt.Errorf("core: directory users: %w", err)
	}
	cs, err := c.st.CPTS.ByIDs(ctx, slices.Collect(maps.Keys(visibleCPTS)))
	if err != nil {
		return nil, fmt.Errorf("core: directory cpts: %w", err)
	}
	names := make(map[model.CPTSID]string, len(cs))
	for _, x := range cs {
		names[x.ID] = x.Name
	}
	commune, query := fold(strings.TrimSpace(f.Commune)), fold(strings.TrimSpace(f.Query))
	out := make([]DirectoryEntry, 0, len(us))
	for _, u := range us {
		if f.Profession != "" && u.Profession != f.Profession {
			continue
		}
		if commune != "" && !strings.Contains(fold(u.Commune), commune) {
			continue
		}
		if query != "" && !strings.Contains(fold(u.Name+" "+u.Profession.Label()+" "+u.Profession.LabelFor(u.TitleForm)+" "+u.Commune), query) {
			continue
		}
		e := DirectoryEntry{AuthorView: authorView(u), CPTS: []DirectoryCPTS{}}
		inFilter := f.CPTSID == ""
		for _, m := range memberships[u.ID] {
			e.CPTS = append(e.CPTS, DirectoryCPTS{ID: m.CPTSID, Name: names[m.CPTSID], Role: m.Role})
			if m.CPTSID == f.CPTSID {
				inFilter = true
			}
		}
		if !inFilter {
			continue
		}
		sortFolded(e.CPTS, func(x DirectoryCPTS) string { return x.Name })
		out = append(out, e)
	}
	sortFolded(out, func(x DirectoryEntry) string { return x.Name })
	return out, nil
}
