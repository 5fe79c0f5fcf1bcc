package core

import (
	"context"
	"fmt"

	"github.com/ecpts/ecpts/internal/model"
)

// ProfileCard is what a click on a person's name shows: who they are,
// where they practise, their CPTS (those the caller may know of), their
// RPPS to those who share a CPTS with them, and whether the caller may
// write to them.
type ProfileCard struct {
	User       UserView      `json:"user"`
	CPTS       []ProfileCPTS `json:"cpts"`
	CanMessage bool          `json:"can_message"`
}

// ProfileCPTS is one CPTS of a profile card, with the person's role named
// in the form they chose.
type ProfileCPTS struct {
	ID        model.CPTSID           `json:"id"`
	Name      string                 `json:"name"`
	Role      model.Role             `json:"role"`
	RoleLabel string                 `json:"role_label"`
	Status    model.MembershipStatus `json:"status"`
}

var errUserNotFound = notFound("Ce professionnel est introuvable.")

// Profile returns the card of user id. Someone the caller may not see
// answers exactly as an unknown id.
func (c *Core) Profile(ctx context.Context, s model.Session, id model.UserID) (ProfileCard, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return ProfileCard{}, err
	}
	t, err := c.actorOf(ctx, id)
	if isNotFound(err) {
		return ProfileCard{}, errUserNotFound
	}
	if err != nil {
		return ProfileCard{}, err
	}
	if err := c.loadScopes(ctx, a, t); err != nil {
		return ProfileCard{}, err
	}
	groups := make([]model.Group, 0, len(a.groupDocs))
	for _, g := range a.groupDocs {
		groups = append(groups, g)
	}
	if !a.CanSeeProfile(t) {
		return ProfileCard{}, errUserNotFound
	}
	card := ProfileCard{User: userView(t.User, false), CPTS: []ProfileCPTS{}, CanMessage: a.CanMessage(t)}
	if !a.CanSeeRPPS(t) {
		card.User.RPPS, card.User.ADELI = "", ""
	}
	var shown []model.Membership
	ids := make([]model.CPTSID, 0, len(t.cpts))
	for _, m := range t.cpts {
		if a.CanSeeProfileCPTS(m, groups) {
			shown = append(shown, m)
			ids = append(ids, m.CPTSID)
		}
	}
	cs, err := c.st.CPTS.ByIDs(ctx, ids)
	if err != nil {
		return ProfileCard{}, fmt.Errorf("core: profile %s: %w", id, err)
	}
	byID := make(map[model.CPTSID]model.Membership, len(shown))
	for _, m := range shown {
		byID[m.CPTSID] = m
	}
	for _, x := range cs { // ordered by name
		m := byID[x.ID]
		card.CPTS = append(card.CPTS, ProfileCPTS{ID: x.ID, Name: x.Name, Role: m.Role, RoleLabel: m.Role.LabelFor(t.User.TitleForm), Status: m.Status})
	}
	return card, nil
}
