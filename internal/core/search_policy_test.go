package core

import (
	"slices"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// The search scopes mirror CanSeeChannel and the directory: a document is
// found only by those the rules let read it.
func TestSearchScopes(t *testing.T) {
	const ln, vc = model.CPTSID("ln"), model.CPTSID("vc")
	g := model.Group{ID: "g", OwnerCPTS: ln, CPTSIDs: []model.CPTSID{ln, vc}}
	pubLN := model.Channel{ID: "pub", Kind: model.KindStandard, Visibility: model.VisibilityPublic, CPTSID: ln}
	privLN := model.Channel{ID: "priv", Kind: model.KindStandard, Visibility: model.VisibilityPrivate, CPTSID: ln}
	pubG := model.Channel{ID: "pubg", Kind: model.KindStandard, Visibility: model.VisibilityPublic, GroupID: g.ID}
	dm := model.Channel{ID: "dm", Kind: model.KindDirect}
	active := func(c model.CPTSID, r model.Role) model.Membership {
		return model.Membership{CPTSID: c, Role: r, Status: model.StatusActive}
	}
	meets := func(doc, actor []string) bool {
		for _, s := range doc {
			if slices.Contains(actor, s) {
				return true
			}
		}
		return false
	}
	if ChannelScopes(dm) != nil {
		t.Fatal("a direct conversation has search scopes: it would reach the shared index")
	}
	membre := NewActor(model.User{ID: "m"}, []model.Membership{active(ln, model.RoleMembre)}, nil, nil)
	partner := NewActor(model.User{ID: "p"}, []model.Membership{active(ln, model.RolePartenaire)}, nil, []model.ChannelMember{{ChannelID: privLN.ID}})
	pending := NewActor(model.User{ID: "x"}, []model.Membership{{CPTSID: ln, Role: model.RoleMembre, Status: model.StatusPending}}, nil, nil)
	other := NewActor(model.User{ID: "o"}, []model.Membership{active(vc, model.RoleMembre)}, []model.GroupMember{{GroupID: g.ID}}, nil)
	admin := NewActor(model.User{ID: "a", Admin: true}, nil, nil, nil)
	chans := []model.Channel{pubLN, privLN, pubG, dm}
	groups := []model.Group{g}
	for _, c := range []struct {
		name  string
		a     *Actor
		ch    model.Channel
		finds bool
	}{
		{"membre, public channel of its CPTS", membre, pubLN, true},
		{"membre, private channel it is not in", membre, privLN, false},
		{"partenaire, public channel it was not added to", partner, pubLN, false},
		{"partenaire, private channel it was added to", partner, privLN, true},
		{"pending member, public channel", pending, pubLN, false},
		{"other CPTS, public channel of LN", other, pubLN, false},
		{"other CPTS in the group, group channel", other, pubG, true},
		{"membre of LN not in the group, group channel", membre, pubG, false},
		{"platform admin, public channel", admin, pubLN, false},
	} {
		got := meets(ChannelScopes(c.ch), c.a.SearchScopes(chans, groups))
		if got != c.finds {
			t.Errorf("%s: finds %v, want %v", c.name, got, c.finds)
		}
		if got != c.a.CanSeeChannel(c.ch, &g) && c.ch.GroupID != "" || c.ch.GroupID == "" && got != c.a.CanSeeChannel(c.ch, nil) {
			t.Errorf("%s: scopes and CanSeeChannel disagree", c.name)
		}
	}
	// Posts: the readers of their feed.
	for _, a := range []*Actor{membre, partner, pending, other, admin} {
		for _, post := range []model.Post{{ID: "p1", CPTSID: ln}, {ID: "p2", GroupID: g.ID}} {
			var gp *model.Group
			if post.GroupID != "" {
				gp = &g
			}
			if got, want := meets(postScopes(post), a.SearchScopes(chans, groups)), a.CanSeeFeed(post.Scope(), gp); got != want {
				t.Errorf("%s, post %s: finds %v, CanSeeFeed %v", a.ID(), post.ID, got, want)
			}
		}
	}
	// Protocols and materials: CanSeeProtocol (drafts for the owner's
	// coordinateurs and membres, the validated version where it is
	// shared) and CanSeeMaterial, for every role and every sharing.
	const third = model.CPTSID("tc")
	coord := NewActor(model.User{ID: "c"}, []model.Membership{active(ln, model.RoleCoordinateur)}, nil, nil)
	vcPartner := NewActor(model.User{ID: "vp"}, []model.Membership{active(vc, model.RolePartenaire)}, nil, nil)
	thirdM := NewActor(model.User{ID: "t"}, []model.Membership{active(third, model.RoleMembre)}, nil, nil)
	nobody := NewActor(model.User{ID: "n"}, nil, nil, nil)
	actors := []*Actor{coord, membre, partner, pending, other, vcPartner, thirdM, admin, nobody}
	sharings := []struct {
		vis    model.Sharing
		shared []model.CPTSID
	}{{model.SharingCPTS, nil}, {model.SharingListed, []model.CPTSID{vc}}, {model.SharingPlatform, nil}}
	for _, sh := range sharings {
		for _, validated := range []int{0, 1} {
			for _, status := range []model.ProtocolStatus{model.ProtocolDraft, model.ProtocolValidated} {
				p := model.Protocol{ID: "pr", CPTSID: ln, Status: status, Visibility: sh.vis, SharedWith: sh.shared, ValidatedVersion: validated, CurrentVersion: 1 + validated}
				for _, a := range actors {
					if got, want := meets(ProtocolScopes(p), a.SearchScopes(chans, groups)), a.CanSeeProtocol(p); got != want {
						t.Errorf("%s, protocol %s validated %d (%s): finds %v, CanSeeProtocol %v", a.ID(), sh.vis, validated, status, got, want)
					}
				}
			}
		}
		for _, deleted := range []bool{false, true} {
			m := model.Material{ID: "ma", CPTSID: ln, Visibility: sh.vis, SharedWith: sh.shared}
			if deleted {
				now := time.Now()
				m.DeletedAt = &now
			}
			for _, a := range actors {
				if got, want := meets(MaterialScopes(m), a.SearchScopes(chans, groups)), a.CanSeeMaterial(m); got != want {
					t.Errorf("%s, material %s deleted %v: finds %v, CanSeeMaterial %v", a.ID(), sh.vis, deleted, got, want)
				}
			}
		}
	}
	// A draft is not read by a partenaire of the owner, nor by a CPTS it
	// is shared with; the validated version is.
	draft := model.Protocol{ID: "d", CPTSID: ln, Visibility: model.SharingPlatform, CurrentVersion: 1}
	if meets(ProtocolScopes(draft), partner.SearchScopes(nil, nil)) || meets(ProtocolScopes(draft), other.SearchScopes(nil, nil)) {
		t.Error("a draft protocol is found outside the owner's coordinateurs and membres")
	}
	// People: the directories that list them.
	nurseMs := []model.Membership{active(ln, model.RoleMembre)}
	person := PersonScopes(nurseMs, nil)
	if !meets(person, membre.SearchScopes(nil, nil)) || !membre.CanFindPerson(nurseMs, nil, nil) {
		t.Error("a membre does not find a colleague of its CPTS")
	}
	if meets(person, other.SearchScopes(nil, groups)) || other.CanFindPerson(nurseMs, nil, groups) {
		t.Error("a member of another CPTS of a shared group finds an LN member outside the group")
	}
	inGroup := PersonScopes(nurseMs, []model.GroupMember{{GroupID: g.ID}})
	if !meets(inGroup, other.SearchScopes(nil, groups)) || !other.CanFindPerson(nurseMs, []model.GroupMember{{GroupID: g.ID}}, groups) {
		t.Error("a group member does not find another member of the group")
	}
	if PersonScopes([]model.Membership{{CPTSID: ln, Status: model.StatusPending}}, nil) != nil {
		t.Error("a pending member is findable")
	}
}
