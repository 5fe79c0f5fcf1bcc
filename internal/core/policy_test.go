package core

import (
	"slices"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// The permission table: every row is an action on an object, with the
// exact set of actors allowed; every other actor must be refused. Two CPTS
// (Loire Nord, Val de Cher), an inter-CPTS group (BPCO: owner LN, with VC)
// and a Loire Nord-only group (Chutes), two direct conversations: one of
// two LN members, one opened by a member since removed from LN (and so
// from BPCO) with a VC member.
func TestPermissionTable(t *testing.T) {
	const (
		ln model.CPTSID = "aaaaaaaaaaaaaaaaaaaaaa01"
		vc model.CPTSID = "aaaaaaaaaaaaaaaaaaaaaa02"
	)
	bpco := model.Group{ID: "bbbbbbbbbbbbbbbbbbbbbb01", OwnerCPTS: ln, CPTSIDs: []model.CPTSID{ln, vc}}
	chutes := model.Group{ID: "bbbbbbbbbbbbbbbbbbbbbb02", OwnerCPTS: ln, CPTSIDs: []model.CPTSID{ln}}
	ch := func(id string, c model.CPTSID, g model.GroupID, vis model.Visibility, kind model.ChannelKind, archived bool) model.Channel {
		return model.Channel{ID: model.ChannelID(id), CPTSID: c, GroupID: g, Visibility: vis, Kind: kind, Archived: archived}
	}
	var (
		lnGeneral  = ch("cccccccccccccccccccccc01", ln, "", model.VisibilityPublic, model.KindStandard, false)
		lnBureau   = ch("cccccccccccccccccccccc02", ln, "", model.VisibilityPrivate, model.KindStandard, false)
		lnAnnonces = ch("cccccccccccccccccccccc03", ln, "", model.VisibilityPublic, model.KindAnnouncement, false)
		lnArchived = ch("cccccccccccccccccccccc04", ln, "", model.VisibilityPublic, model.KindStandard, true)
		lnSortie   = ch("cccccccccccccccccccccc05", ln, "", model.VisibilityPrivate, model.KindStandard, false)
		vcGeneral  = ch("cccccccccccccccccccccc06", vc, "", model.VisibilityPublic, model.KindStandard, false)
		bpcoChan   = ch("cccccccccccccccccccccc07", "", bpco.ID, model.VisibilityPublic, model.KindStandard, false)
		bpcoPriv   = ch("cccccccccccccccccccccc08", "", bpco.ID, model.VisibilityPrivate, model.KindStandard, false)
		chutesChan = ch("cccccccccccccccccccccc09", "", chutes.ID, model.VisibilityPublic, model.KindStandard, false)
		dm         = ch("cccccccccccccccccccccc10", "", "", model.VisibilityPrivate, model.KindDirect, false)
		dmEx       = ch("cccccccccccccccccccccc11", "", "", model.VisibilityPrivate, model.KindDirect, false)
		lnComments = ch("cccccccccccccccccccccc12", ln, "", model.VisibilityPrivate, model.KindComments, false)
		lnGone     = ch("cccccccccccccccccccccc13", ln, "", model.VisibilityPrivate, model.KindComments, true)
		bpcoCommts = ch("cccccccccccccccccccccc14", "", bpco.ID, model.VisibilityPrivate, model.KindComments, false)
	)
	deleted := time.Now()
	lnEvent := model.Post{ID: "aaaaaaaaaaaaaaaaaaaaaa01-0000000001", CPTSID: ln, Kind: model.PostEvent, AuthorID: "u1", Event: &model.EventInfo{}}
	lnNews := model.Post{ID: "aaaaaaaaaaaaaaaaaaaaaa01-0000000002", CPTSID: ln, Kind: model.PostAnnouncement, AuthorID: "u1"}
	lnDeleted := model.Post{ID: "aaaaaaaaaaaaaaaaaaaaaa01-0000000003", CPTSID: ln, Kind: model.PostEvent, AuthorID: "u1", DeletedAt: &deleted}
	bpcoEvent := model.Post{ID: "bbbbbbbbbbbbbbbbbbbbbb01-0000000001", GroupID: bpco.ID, Kind: model.PostEvent, AuthorID: "u3", Event: &model.EventInfo{}}
	active := func(c model.CPTSID, r model.Role) model.Membership {
		return model.Membership{CPTSID: c, Role: r, Status: model.StatusActive}
	}
	gm := func(g model.Group, r model.Role) model.GroupMember { return model.GroupMember{GroupID: g.ID, Role: r} }
	cm := func(chs ...model.Channel) []model.ChannelMember {
		var out []model.ChannelMember
		for _, c := range chs {
			out = append(out, model.ChannelMember{ChannelID: c.ID})
		}
		return out
	}
	actors := map[string]*Actor{
		"coordLN": NewActor(model.User{ID: "u1"}, []model.Membership{active(ln, model.RoleCoordinateur)},
			[]model.GroupMember{gm(bpco, model.RoleCoordinateur), gm(chutes, model.RoleCoordinateur)},
			cm(lnGeneral, lnBureau, lnAnnonces, lnSortie, bpcoChan, chutesChan)),
		"ideLN": NewActor(model.User{ID: "u2"}, []model.Membership{active(ln, model.RoleMembre)},
			[]model.GroupMember{gm(chutes, model.RoleMembre)}, cm(lnGeneral, lnAnnonces, dm, chutesChan)),
		"kineLN": NewActor(model.User{ID: "u3"}, []model.Membership{active(ln, model.RoleMembre)},
			[]model.GroupMember{gm(bpco, model.RoleMembre)}, cm(lnGeneral, bpcoChan, dm)),
		"partLN": NewActor(model.User{ID: "u4"}, []model.Membership{active(ln, model.RolePartenaire)}, nil, cm(lnSortie)),
		"pendLN": NewActor(model.User{ID: "u5"}, []model.Membership{{CPTSID: ln, Role: model.RoleMembre, Status: model.StatusPending}},
			// A stale channel membership must not open anything while pending.
			nil, cm(lnGeneral)),
		"coordVC": NewActor(model.User{ID: "u6"}, []model.Membership{active(vc, model.RoleCoordinateur)}, nil, cm(vcGeneral)),
		"pharmVC": NewActor(model.User{ID: "u7"}, []model.Membership{active(vc, model.RoleMembre)},
			[]model.GroupMember{gm(bpco, model.RoleMembre)}, cm(vcGeneral, bpcoChan, bpcoPriv, dmEx)),
		// A VC partenaire explicitly added to the BPCO group.
		"partVC": NewActor(model.User{ID: "u12"}, []model.Membership{active(vc, model.RolePartenaire)},
			[]model.GroupMember{gm(bpco, model.RoleMembre)}, nil),
		// Removed from Loire Nord (and so from BPCO); still a participant
		// of the conversation opened with the pharmacist before.
		"exLN": NewActor(model.User{ID: "u11"}, nil, nil, cm(dmEx)),
		// Removed from Val de Cher, still listed in the group: no access.
		"exVC":     NewActor(model.User{ID: "u8"}, nil, []model.GroupMember{gm(bpco, model.RoleMembre)}, cm(bpcoChan)),
		"admin":    NewActor(model.User{ID: "u9", Admin: true}, nil, nil, nil),
		"outsider": NewActor(model.User{ID: "u10"}, nil, nil, nil),
	}
	// Reach reads the documents of each actor's channels and groups.
	for _, a := range actors {
		a.withScopes([]model.Channel{lnGeneral, lnBureau, lnAnnonces, lnArchived, lnSortie, vcGeneral, bpcoChan, bpcoPriv, chutesChan, dm, dmEx},
			[]model.Group{bpco, chutes})
	}
	// others are the named actors but a.
	others := func(a *Actor, names ...string) []*Actor {
		var out []*Actor
		for _, n := range names {
			if actors[n].ID() != a.ID() {
				out = append(out, actors[n])
			}
		}
		return out
	}
	// inConv is a as a participant of ch with the named participants:
	// CanPost there reads them.
	inConv := func(a *Actor, ch model.Channel, names ...string) *Actor {
		cp := *a
		cp.peers = nil
		return cp.withPeers(ch.ID, others(a, names...))
	}
	// bare is a without its scopes.
	bare := func(a *Actor) *Actor {
		cp := *a
		cp.scoped, cp.shared, cp.groupDocs = false, nil, nil
		return &cp
	}
	grp := func(g model.Group) *model.Group { return &g }
	pending := func(c model.CPTSID) model.Membership {
		return model.Membership{CPTSID: c, Role: model.RoleMembre, Status: model.StatusPending}
	}
	groups := []model.Group{bpco, chutes}
	names := make([]string, 0, len(actors))
	for n := range actors {
		names = append(names, n)
	}
	slices.Sort(names)
	ms := func(m ...model.Membership) []model.Membership { return m }
	table := []struct {
		action  string
		check   func(a *Actor) bool
		allowed []string
	}{
		{"see CPTS LN", func(a *Actor) bool { return a.CanSeeCPTS(ln) }, []string{"coordLN", "ideLN", "kineLN", "partLN", "pendLN", "admin"}},
		{"see CPTS VC", func(a *Actor) bool { return a.CanSeeCPTS(vc) }, []string{"coordVC", "pharmVC", "partVC", "admin"}},
		{"see LN members", func(a *Actor) bool { return a.CanSeeCPTSMembers(ln) }, []string{"coordLN", "ideLN", "kineLN", "admin"}},
		{"list every CPTS", func(a *Actor) bool { all, _ := a.ListedCPTS(); return all }, []string{"admin"}},
		{"list LN among one's CPTS", func(a *Actor) bool { all, ids := a.ListedCPTS(); return all || slices.Contains(ids, ln) },
			[]string{"coordLN", "ideLN", "kineLN", "partLN", "pendLN", "admin"}},
		{"see an active member in LN's member list", func(a *Actor) bool { return a.CanSeeMember(active(ln, model.RoleMembre)) },
			[]string{"coordLN", "ideLN", "kineLN", "admin"}},
		{"see a pending member in LN's member list", func(a *Actor) bool { return a.CanSeeMember(pending(ln)) }, []string{"coordLN", "admin"}},
		{"see the e-mail addresses of LN's members", func(a *Actor) bool { return a.CanSeeMemberEmails(ln) }, []string{"coordLN", "admin"}},
		{"see an active member of LN in the directory", func(a *Actor) bool { return a.CanSeeInDirectory(active(ln, model.RoleMembre), groups) },
			[]string{"coordLN", "ideLN", "kineLN", "pharmVC", "partVC"}},
		{"see an active member of VC in the directory", func(a *Actor) bool { return a.CanSeeInDirectory(active(vc, model.RoleMembre), groups) },
			[]string{"coordVC", "pharmVC", "partVC", "coordLN", "kineLN"}},
		{"see a pending member of LN in the directory", func(a *Actor) bool { return a.CanSeeInDirectory(pending(ln), groups) }, nil},
		{"manage LN (invite, validate, remove)", func(a *Actor) bool { return a.CanManageCPTS(ln) }, []string{"coordLN", "admin"}},
		{"manage VC", func(a *Actor) bool { return a.CanManageCPTS(vc) }, []string{"coordVC", "admin"}},
		{"invite a coordinateur to LN", func(a *Actor) bool { return a.CanInviteRole(ln, model.RoleCoordinateur) }, []string{"coordLN", "admin"}},
		{"create a CPTS", func(a *Actor) bool { return a.CanCreateCPTS() }, []string{"admin"}},
		{"create a group in LN", func(a *Actor) bool { return a.CanCreateGroup(ln) }, []string{"coordLN", "admin"}},
		{"see group BPCO", func(a *Actor) bool { return a.CanSeeGroup(bpco) }, []string{"coordLN", "kineLN", "coordVC", "pharmVC", "partVC", "admin"}},
		{"see group Chutes", func(a *Actor) bool { return a.CanSeeGroup(chutes) }, []string{"coordLN", "ideLN", "admin"}},
		{"manage group BPCO", func(a *Actor) bool { return a.CanManageGroup(bpco) }, []string{"coordLN", "admin"}},
		{"invite a CPTS into BPCO", func(a *Actor) bool { return a.CanInviteCPTSToGroup(bpco) }, []string{"coordLN", "admin"}},
		{"add a VC member to BPCO", func(a *Actor) bool { return a.CanAddToGroup(bpco, ms(active(vc, model.RoleMembre))) }, []string{"coordLN", "coordVC", "admin"}},
		{"add an LN member to BPCO", func(a *Actor) bool { return a.CanAddToGroup(bpco, ms(active(ln, model.RoleMembre))) }, []string{"coordLN", "admin"}},
		{"add a VC member to Chutes (not participating)", func(a *Actor) bool { return a.CanAddToGroup(chutes, ms(active(vc, model.RoleMembre))) }, nil},
		{"add a pending LN member to BPCO", func(a *Actor) bool {
			return a.CanAddToGroup(bpco, ms(model.Membership{CPTSID: ln, Role: model.RoleMembre, Status: model.StatusPending}))
		}, nil},
		{"add someone to BPCO as its coordinateur", func(a *Actor) bool { return a.CanAddGroupCoordinator(bpco) }, []string{"coordLN", "admin"}},
		{"read LN général", func(a *Actor) bool { return a.CanSeeChannel(lnGeneral, nil) }, []string{"coordLN", "ideLN", "kineLN"}},
		{"join LN général", func(a *Actor) bool { return a.CanJoinChannel(lnGeneral, nil) }, nil},
		{"join LN annonces", func(a *Actor) bool { return a.CanJoinChannel(lnAnnonces, nil) }, []string{"kineLN"}},
		{"read LN bureau (private)", func(a *Actor) bool { return a.CanSeeChannel(lnBureau, nil) }, []string{"coordLN"}},
		{"read LN sortie (private, partenaire invited)", func(a *Actor) bool { return a.CanSeeChannel(lnSortie, nil) }, []string{"coordLN", "partLN"}},
		{"post in LN général", func(a *Actor) bool { return a.CanPost(lnGeneral, nil) }, []string{"coordLN", "ideLN", "kineLN"}},
		{"post in LN annonces", func(a *Actor) bool { return a.CanPost(lnAnnonces, nil) }, []string{"coordLN"}},
		{"read archived LN channel", func(a *Actor) bool { return a.CanSeeChannel(lnArchived, nil) }, []string{"coordLN", "ideLN", "kineLN"}},
		{"post in archived LN channel", func(a *Actor) bool { return a.CanPost(lnArchived, nil) }, nil},
		// Why posting is refused, as views and errors say it (PostRefusal).
		{"told LN archived is archived", func(a *Actor) bool { return a.PostRefusal(lnArchived, nil) == RefusedArchived }, names},
		{"told to join LN général first", func(a *Actor) bool { return a.PostRefusal(lnGeneral, nil) == RefusedNotMember },
			[]string{"partLN", "coordVC", "pharmVC", "partVC", "exLN", "exVC", "admin", "outsider"}},
		{"told LN annonces is for the coordination", func(a *Actor) bool { return a.PostRefusal(lnAnnonces, nil) == RefusedAnnouncementOnly }, []string{"ideLN"}},
		{"told LN général is not theirs (a stale membership)", func(a *Actor) bool { return a.PostRefusal(lnGeneral, nil) == RefusedForbidden }, []string{"pendLN"}},
		{"told the removed member's conversation is read-only", func(a *Actor) bool {
			return inConv(a, dmEx, "exLN", "pharmVC").PostRefusal(dmEx, nil) == RefusedReadOnly
		}, []string{"pharmVC", "exLN"}},
		{"join archived LN channel", func(a *Actor) bool { return a.CanJoinChannel(lnArchived, nil) }, nil},
		{"manage LN général", func(a *Actor) bool { return a.CanManageChannel(lnGeneral, nil) }, []string{"coordLN"}},
		{"create channel in LN", func(a *Actor) bool { return a.CanCreateChannelInCPTS(ln) }, []string{"coordLN"}},
		{"create channel in BPCO", func(a *Actor) bool { return a.CanCreateChannelInGroup(bpco) }, []string{"coordLN"}},
		{"read VC général", func(a *Actor) bool { return a.CanSeeChannel(vcGeneral, nil) }, []string{"coordVC", "pharmVC"}},
		{"read BPCO channel", func(a *Actor) bool { return a.CanSeeChannel(bpcoChan, grp(bpco)) }, []string{"coordLN", "kineLN", "pharmVC", "partVC"}},
		{"read BPCO channel without its group", func(a *Actor) bool { return a.CanSeeChannel(bpcoChan, nil) }, nil},
		{"read BPCO channel with the wrong group", func(a *Actor) bool { return a.CanSeeChannel(bpcoChan, grp(chutes)) }, nil},
		{"post in BPCO channel", func(a *Actor) bool { return a.CanPost(bpcoChan, grp(bpco)) }, []string{"coordLN", "kineLN", "pharmVC"}},
		{"read BPCO private channel", func(a *Actor) bool { return a.CanSeeChannel(bpcoPriv, grp(bpco)) }, []string{"pharmVC"}},
		{"manage BPCO channel", func(a *Actor) bool { return a.CanManageChannel(bpcoChan, grp(bpco)) }, []string{"coordLN"}},
		{"read Chutes channel", func(a *Actor) bool { return a.CanSeeChannel(chutesChan, grp(chutes)) }, []string{"coordLN", "ideLN"}},
		{"read direct conversation", func(a *Actor) bool { return a.CanSeeChannel(dm, nil) }, []string{"ideLN", "kineLN"}},
		{"manage direct conversation", func(a *Actor) bool { return a.CanManageChannel(dm, nil) }, nil},
		// Making a channel private or public again: who may rename it,
		// on a live channel; never a partenaire, an admin as such, or the
		// coordinator of a CPTS that only takes part in the group.
		{"make LN général private", func(a *Actor) bool { return a.CanChangeChannelVisibility(lnGeneral, nil) }, []string{"coordLN"}},
		{"make LN annonces private", func(a *Actor) bool { return a.CanChangeChannelVisibility(lnAnnonces, nil) }, []string{"coordLN"}},
		{"make LN bureau public", func(a *Actor) bool { return a.CanChangeChannelVisibility(lnBureau, nil) }, []string{"coordLN"}},
		{"make LN sortie (partenaire invited) public", func(a *Actor) bool { return a.CanChangeChannelVisibility(lnSortie, nil) }, []string{"coordLN"}},
		{"make an archived LN channel private", func(a *Actor) bool { return a.CanChangeChannelVisibility(lnArchived, nil) }, nil},
		{"make VC général private", func(a *Actor) bool { return a.CanChangeChannelVisibility(vcGeneral, nil) }, []string{"coordVC"}},
		{"make BPCO channel private", func(a *Actor) bool { return a.CanChangeChannelVisibility(bpcoChan, grp(bpco)) }, []string{"coordLN"}},
		{"make BPCO private channel public", func(a *Actor) bool { return a.CanChangeChannelVisibility(bpcoPriv, grp(bpco)) }, []string{"coordLN"}},
		{"make BPCO channel private without its group", func(a *Actor) bool { return a.CanChangeChannelVisibility(bpcoChan, nil) }, nil},
		{"make Chutes channel private", func(a *Actor) bool { return a.CanChangeChannelVisibility(chutesChan, grp(chutes)) }, []string{"coordLN"}},
		{"change the visibility of a direct conversation", func(a *Actor) bool { return a.CanChangeChannelVisibility(dm, nil) }, nil},
		{"change the visibility of an LN post's comments", func(a *Actor) bool { return a.CanChangeChannelVisibility(lnComments, nil) }, nil},
		{"join direct conversation", func(a *Actor) bool { return a.CanJoinChannel(dm, nil) }, nil},
		{"add kine to LN bureau", func(a *Actor) bool { return a.CanAddToChannel(lnBureau, nil, actors["kineLN"]) }, []string{"coordLN"}},
		{"add pharmacist (VC) to LN bureau", func(a *Actor) bool { return a.CanAddToChannel(lnBureau, nil, actors["pharmVC"]) }, nil},
		{"add pharmacist to BPCO private", func(a *Actor) bool { return a.CanAddToChannel(bpcoPriv, grp(bpco), actors["pharmVC"]) }, []string{"coordLN"}},

		// Who may talk to whom (#2, #9): one rule for opening, posting,
		// following live and presence.
		{"message kineLN", func(a *Actor) bool { return a.CanMessage(actors["kineLN"]) }, []string{"coordLN", "ideLN", "pharmVC", "partVC"}},
		{"message coordLN", func(a *Actor) bool { return a.CanMessage(actors["coordLN"]) }, []string{"ideLN", "kineLN", "partLN", "pharmVC", "partVC"}},
		{"message a partenaire of LN (invited into LN sortie)", func(a *Actor) bool { return a.CanMessage(actors["partLN"]) }, []string{"coordLN"}},
		{"message a partenaire of VC added to BPCO", func(a *Actor) bool { return a.CanMessage(actors["partVC"]) }, []string{"coordLN", "kineLN", "pharmVC"}},
		{"message a member removed from VC, still listed in BPCO", func(a *Actor) bool { return a.CanMessage(actors["exVC"]) }, nil},
		{"message a member removed from LN", func(a *Actor) bool { return a.CanMessage(actors["exLN"]) }, nil},
		{"message without scopes: the CPTS rule alone", func(a *Actor) bool { return bare(a).CanMessage(bare(actors["pharmVC"])) }, []string{"coordVC"}},
		{"post in the LN members' conversation", func(a *Actor) bool { return inConv(a, dm, "ideLN", "kineLN").CanPost(dm, nil) }, []string{"ideLN", "kineLN"}},
		{"follow the LN members' conversation live", func(a *Actor) bool { return inConv(a, dm, "ideLN", "kineLN").CanSubscribe(dm, nil) }, []string{"ideLN", "kineLN"}},
		{"react in the LN members' conversation", func(a *Actor) bool { return inConv(a, dm, "ideLN", "kineLN").CanReact(dm, nil) }, []string{"ideLN", "kineLN"}},
		{"post in a conversation whose participants are unknown", func(a *Actor) bool { return a.CanPost(dm, nil) }, nil},
		{"read the removed member's conversation (read-only)", func(a *Actor) bool { return a.CanSeeChannel(dmEx, nil) }, []string{"pharmVC", "exLN"}},
		{"post in the removed member's conversation", func(a *Actor) bool { return inConv(a, dmEx, "exLN", "pharmVC").CanPost(dmEx, nil) }, nil},
		{"follow the removed member's conversation live", func(a *Actor) bool { return inConv(a, dmEx, "exLN", "pharmVC").CanSubscribe(dmEx, nil) }, nil},
		{"react in the removed member's conversation", func(a *Actor) bool { return inConv(a, dmEx, "exLN", "pharmVC").CanReact(dmEx, nil) }, nil},
		{"edit one's message in the removed member's conversation", func(a *Actor) bool {
			return inConv(a, dmEx, "exLN", "pharmVC").CanEditMessage(dmEx, nil, model.Message{AuthorID: a.ID()})
		}, nil},
		{"open a conversation with kineLN and pharmVC", func(a *Actor) bool { return a.CanOpenConversation(others(a, "kineLN", "pharmVC")) },
			[]string{"coordLN", "kineLN", "pharmVC", "partVC"}},
		// The nurse and the pharmacist share nothing: nobody gathers them.
		{"open a conversation with ideLN and pharmVC", func(a *Actor) bool { return a.CanOpenConversation(others(a, "ideLN", "pharmVC")) }, nil},

		// Platform administration is no way into a CPTS (#4).
		{"validate a member's membership of LN", func(a *Actor) bool { return a.CanValidateMember(ln, model.User{ID: "u20"}) }, []string{"coordLN", "admin"}},
		{"validate the platform admin's membership of LN", func(a *Actor) bool { return a.CanValidateMember(ln, actors["admin"].User) }, []string{"coordLN"}},
		{"change the platform admin's role in LN", func(a *Actor) bool { return a.CanChangeRole(ln, actors["admin"].User) }, []string{"coordLN"}},
		{"change a member's role in LN", func(a *Actor) bool { return a.CanChangeRole(ln, actors["ideLN"].User) }, []string{"coordLN", "admin"}},
		{"read the audit log of LN", func(a *Actor) bool { return a.CanReadAudit(ln) }, []string{"coordLN", "admin"}},
		{"read the whole audit log", func(a *Actor) bool { return a.CanReadAllAudit() }, []string{"admin"}},

		// Platform administration (issue 13 #4): CPTS and their counts,
		// never their content.
		{"edit a CPTS", func(a *Actor) bool { return a.CanEditCPTS() }, []string{"admin"}},
		{"see every CPTS's counts", func(a *Actor) bool { return a.CanSeePlatformOverview() }, []string{"admin"}},
		{"name a coordinator of LN (active on acceptance)", func(a *Actor) bool {
			return a.NamesCoordinator(ln, model.RoleCoordinateur, model.User{ID: "u20"})
		}, []string{"admin"}},
		{"name a membre of LN (active on acceptance)", func(a *Actor) bool { return a.NamesCoordinator(ln, model.RoleMembre, model.User{ID: "u20"}) }, nil},
		{"name the platform admin coordinator of LN", func(a *Actor) bool {
			return a.NamesCoordinator(ln, model.RoleCoordinateur, actors["admin"].User)
		}, nil},
		{"refuse a pending member of LN", func(a *Actor) bool { return a.CanRefuseMember(ln, model.User{ID: "u20"}) }, []string{"coordLN", "admin"}},
		{"refuse the platform admin's pending membership of LN", func(a *Actor) bool { return a.CanRefuseMember(ln, actors["admin"].User) }, []string{"coordLN"}},

		// Profile cards (issue 13 #5).
		{"see kineLN's profile card", func(a *Actor) bool { return a.CanSeeProfile(actors["kineLN"]) },
			[]string{"coordLN", "ideLN", "kineLN", "pharmVC", "partVC", "admin"}},
		{"see the LN partenaire's profile card", func(a *Actor) bool { return a.CanSeeProfile(actors["partLN"]) },
			[]string{"coordLN", "ideLN", "kineLN", "partLN", "admin"}},
		{"see the pending LN member's profile card", func(a *Actor) bool { return a.CanSeeProfile(actors["pendLN"]) },
			[]string{"coordLN", "pendLN", "admin"}},
		{"see the removed LN member's profile card", func(a *Actor) bool { return a.CanSeeProfile(actors["exLN"]) }, []string{"exLN", "admin"}},
		{"see no one's profile card", func(a *Actor) bool { return a.CanSeeProfile(nil) }, nil},
		{"see kineLN's RPPS", func(a *Actor) bool { return a.CanSeeRPPS(actors["kineLN"]) }, []string{"coordLN", "ideLN", "kineLN", "partLN"}},
		{"see pharmVC's RPPS", func(a *Actor) bool { return a.CanSeeRPPS(actors["pharmVC"]) }, []string{"coordVC", "pharmVC", "partVC"}},
		{"see the pending LN member's RPPS", func(a *Actor) bool { return a.CanSeeRPPS(actors["pendLN"]) }, []string{"pendLN"}},
		{"name LN on the card of a member of LN", func(a *Actor) bool { return a.CanSeeProfileCPTS(active(ln, model.RoleMembre), groups) },
			[]string{"coordLN", "ideLN", "kineLN", "pharmVC", "partVC", "admin"}},
		// Files (issue 14): uploading where one may post; an unattached
		// upload is its uploader's alone (ideLN's here).
		{"upload to CPTS LN", func(a *Actor) bool { return a.CanUploadToCPTS(ln) }, []string{"coordLN", "ideLN", "kineLN"}},
		{"upload to CPTS VC", func(a *Actor) bool { return a.CanUploadToCPTS(vc) }, []string{"coordVC", "pharmVC"}},
		{"upload to group BPCO", func(a *Actor) bool { return a.CanUploadToGroup(bpco) }, []string{"coordLN", "kineLN", "pharmVC", "partVC"}},
		{"upload to LN général", func(a *Actor) bool { return a.CanUploadToChannel(lnGeneral, nil) }, []string{"coordLN", "ideLN", "kineLN"}},
		{"upload to LN annonces", func(a *Actor) bool { return a.CanUploadToChannel(lnAnnonces, nil) }, []string{"coordLN"}},
		{"upload to archived LN channel", func(a *Actor) bool { return a.CanUploadToChannel(lnArchived, nil) }, nil},
		{"upload to BPCO channel", func(a *Actor) bool { return a.CanUploadToChannel(bpcoChan, grp(bpco)) }, []string{"coordLN", "kineLN", "pharmVC"}},
		{"upload to the LN members' conversation", func(a *Actor) bool { return inConv(a, dm, "ideLN", "kineLN").CanUploadToChannel(dm, nil) }, []string{"ideLN", "kineLN"}},
		{"read ideLN's unattached upload", func(a *Actor) bool { return a.CanReadUnattachedFile(model.File{UploaderID: "u2"}) }, []string{"ideLN"}},
		{"read ideLN's upload once attached (by the attachment's rule)", func(a *Actor) bool {
			return a.CanReadUnattachedFile(model.File{UploaderID: "u2", AttachedTo: &model.Attachment{Kind: model.AttachMessage, ID: "x"}})
		}, nil},
		{"attach ideLN's unattached upload", func(a *Actor) bool { return a.CanAttachFile(model.File{UploaderID: "u2"}) }, []string{"ideLN"}},
		{"attach ideLN's upload again", func(a *Actor) bool {
			return a.CanAttachFile(model.File{UploaderID: "u2", AttachedTo: &model.Attachment{Kind: model.AttachMessage, ID: "x"}})
		}, nil},
		// The feed (#14): posts, events, RSVP, comments.
		{"read LN's feed", func(a *Actor) bool { return a.CanSeeFeed(model.CPTSFeed(ln), nil) }, []string{"coordLN", "ideLN", "kineLN"}},
		{"read VC's feed", func(a *Actor) bool { return a.CanSeeFeed(model.CPTSFeed(vc), nil) }, []string{"coordVC", "pharmVC"}},
		{"read BPCO's feed", func(a *Actor) bool { return a.CanSeeFeed(model.GroupFeed(bpco.ID), grp(bpco)) }, []string{"coordLN", "kineLN", "pharmVC", "partVC"}},
		{"read BPCO's feed without its group", func(a *Actor) bool { return a.CanSeeFeed(model.GroupFeed(bpco.ID), nil) }, nil},
		{"read Chutes's feed", func(a *Actor) bool { return a.CanSeeFeed(model.GroupFeed(chutes.ID), grp(chutes)) }, []string{"coordLN", "ideLN"}},
		{"publish in LN's feed", func(a *Actor) bool { return a.CanPublishIn(model.CPTSFeed(ln), nil) }, []string{"coordLN"}},
		{"publish in VC's feed", func(a *Actor) bool { return a.CanPublishIn(model.CPTSFeed(vc), nil) }, []string{"coordVC"}},
		{"publish in BPCO's feed", func(a *Actor) bool { return a.CanPublishIn(model.GroupFeed(bpco.ID), grp(bpco)) }, []string{"coordLN"}},
		{"edit, pin or delete an LN post", func(a *Actor) bool { return a.CanManagePost(lnNews, nil) }, []string{"coordLN"}},
		{"edit a deleted LN post", func(a *Actor) bool { return a.CanManagePost(lnDeleted, nil) }, nil},
		{"edit, pin or delete a BPCO post", func(a *Actor) bool { return a.CanManagePost(bpcoEvent, grp(bpco)) }, []string{"coordLN"}},
		{"react to an LN post", func(a *Actor) bool { return a.CanReactToPost(lnNews, nil) }, []string{"coordLN", "ideLN", "kineLN"}},
		{"answer an LN event", func(a *Actor) bool { return a.CanRSVP(lnEvent, nil) }, []string{"coordLN", "ideLN", "kineLN"}},
		{"answer an LN announcement", func(a *Actor) bool { return a.CanRSVP(lnNews, nil) }, nil},
		{"answer a deleted LN event", func(a *Actor) bool { return a.CanRSVP(lnDeleted, nil) }, nil},
		{"answer a BPCO event", func(a *Actor) bool { return a.CanRSVP(bpcoEvent, grp(bpco)) }, []string{"coordLN", "kineLN", "pharmVC", "partVC"}},
		{"see the RSVP list of an LN event", func(a *Actor) bool { return a.CanSeeRSVPList(lnEvent, nil) }, []string{"coordLN"}},
		{"see the RSVP list of a BPCO event (its author a member)", func(a *Actor) bool { return a.CanSeeRSVPList(bpcoEvent, grp(bpco)) }, []string{"coordLN", "kineLN"}},
		{"read an LN post's comments", func(a *Actor) bool { return a.CanSeeChannel(lnComments, nil) }, []string{"coordLN", "ideLN", "kineLN"}},
		{"comment an LN post", func(a *Actor) bool { return a.CanPost(lnComments, nil) }, []string{"coordLN", "ideLN", "kineLN"}},
		{"follow an LN post's comments live", func(a *Actor) bool { return a.CanSubscribe(lnComments, nil) }, []string{"coordLN", "ideLN", "kineLN"}},
		{"react to a comment of an LN post", func(a *Actor) bool { return a.CanReact(lnComments, nil) }, []string{"coordLN", "ideLN", "kineLN"}},
		{"delete ideLN's comment of an LN post", func(a *Actor) bool { return a.CanDeleteMessage(lnComments, nil, model.Message{AuthorID: "u2"}) }, []string{"coordLN", "ideLN"}},
		{"comment a deleted LN post", func(a *Actor) bool { return a.CanPost(lnGone, nil) }, nil},
		{"join or manage an LN post's comments channel", func(a *Actor) bool { return a.CanJoinChannel(lnComments, nil) || a.CanManageChannel(lnComments, nil) }, nil},
		{"comment a BPCO post", func(a *Actor) bool { return a.CanPost(bpcoCommts, grp(bpco)) }, []string{"coordLN", "kineLN", "pharmVC", "partVC"}},
		{"read a BPCO post's comments without the group", func(a *Actor) bool { return a.CanSeeChannel(bpcoCommts, nil) }, nil},
	}
	for _, row := range table {
		for _, n := range names {
			want := slices.Contains(row.allowed, n)
			if got := row.check(actors[n]); got != want {
				t.Errorf("%s by %s: got %v, want %v", row.action, n, got, want)
			}
		}
	}
}

func TestMessagePolicy(t *testing.T) {
	const ln, vc model.CPTSID = "aaaaaaaaaaaaaaaaaaaaaa01", "aaaaaaaaaaaaaaaaaaaaaa02"
	g := model.Group{ID: "bbbbbbbbbbbbbbbbbbbbbb01", OwnerCPTS: ln, CPTSIDs: []model.CPTSID{ln, vc}}
	general := model.Channel{ID: "cccccccccccccccccccccc01", CPTSID: ln, Visibility: model.VisibilityPublic, Kind: model.KindStandard}
	ann := model.Channel{ID: "cccccccccccccccccccccc02", CPTSID: ln, Visibility: model.VisibilityPublic, Kind: model.KindAnnouncement}
	act := func(id model.UserID, c model.CPTSID, r model.Role, groups []model.GroupID, chans ...model.ChannelID) *Actor {
		var gms []model.GroupMember
		for _, x := range groups {
			gms = append(gms, model.GroupMember{GroupID: x})
		}
		var cms []model.ChannelMember
		for _, x := range chans {
			cms = append(cms, model.ChannelMember{ChannelID: x})
		}
		return NewActor(model.User{ID: id}, []model.Membership{{CPTSID: c, Role: r, Status: model.StatusActive}}, gms, cms).
			withScopes([]model.Channel{general, ann}, []model.Group{g})
	}
	coord := act("u1", ln, model.RoleCoordinateur, nil, general.ID, ann.ID)
	ide := act("u2", ln, model.RoleMembre, nil, general.ID, ann.ID)
	kine := act("u3", ln, model.RoleMembre, []model.GroupID{g.ID})
	pharma := act("u4", vc, model.RoleMembre, []model.GroupID{g.ID})
	mgVC := act("u5", vc, model.RoleMembre, nil)
	msg := model.Message{AuthorID: "u2"}
	cases := []struct {
		name string
		got  bool
		want bool
	}{
		{"author edits", ide.CanEditMessage(general, nil, msg), true},
		{"other member does not edit", coord.CanEditMessage(general, nil, msg), false},
		{"author deletes", ide.CanDeleteMessage(general, nil, msg), true},
		{"coordinator moderates", coord.CanDeleteMessage(general, nil, msg), true},
		{"outsider cannot delete", pharma.CanDeleteMessage(general, nil, msg), false},
		{"member reacts in announcements", ide.CanReact(ann, nil), true},
		{"member does not post in announcements", ide.CanPost(ann, nil), false},
		{"kine and pharmacist share a group", kine.CanMessage(pharma), true},
		{"ide and pharmacist share nothing", ide.CanMessage(pharma), false},
		{"ide and kine share a CPTS", ide.CanMessage(kine), true},
		{"pharmacist and VC doctor share a CPTS", pharma.CanMessage(mgVC), true},
		{"not with oneself", ide.CanMessage(ide), false},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestAdminMembershipPolicy: a platform admin who is also an active
// coordinator of a CPTS (validated by another) validates other admins
// there, never its own membership, and the admin flag alone validates no
// admin.
func TestAdminMembershipPolicy(t *testing.T) {
	const ln, vc model.CPTSID = "aaaaaaaaaaaaaaaaaaaaaa01", "aaaaaaaaaaaaaaaaaaaaaa02"
	adminCoord := NewActor(model.User{ID: "u1", Admin: true},
		[]model.Membership{{CPTSID: ln, Role: model.RoleCoordinateur, Status: model.StatusActive}}, nil, nil)
	otherAdmin := model.User{ID: "u2", Admin: true}
	for _, c := range []struct {
		name string
		got  bool
		want bool
	}{
		{"validates another admin where it coordinates", adminCoord.CanValidateMember(ln, otherAdmin), true},
		{"does not validate itself", adminCoord.CanValidateMember(ln, adminCoord.User), false},
		{"does not change its own role", adminCoord.CanChangeRole(ln, adminCoord.User), false},
		{"does not validate an admin where it only administers", adminCoord.CanValidateMember(vc, otherAdmin), false},
		{"validates a member where it only administers", adminCoord.CanValidateMember(vc, model.User{ID: "u3"}), true},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestValidEmoji(t *testing.T) {
	for _, c := range []struct {
		emoji string
		want  bool
	}{
		{"👍", true},
		{"❤️", true},      // with variation selector 16
		{"⚠️", true},      // U+26A0 U+FE0F
		{"🩺", true},       // symbols and pictographs extended-A
		{"👍🏽", true},      // skin tone
		{"👩‍⚕️", true},    // ZWJ sequence
		{"🇫🇷", true},      // regional indicators
		{"1️⃣", true},     // keycap
		{"©", true},       // U+00A9
		{"🏴󠁧󠁢󠁳󠁣󠁴󠁿", true}, // tag sequence
		{"", false},
		{"bonjour", false},
		{"42", false},      // digits alone are text
		{"中文", false},      // letters of another script
		{"ＡＢ", false},      // fullwidth Latin
		{"\u200b", false},  // zero-width space: invisible
		{"\u202e👍", false}, // right-to-left override
		{"\u200d\ufe0f", false},
		{"👍👍👍👍👍👍👍👍👍", false}, // too long
	} {
		if got := validEmoji(c.emoji); got != c.want {
			t.Errorf("validEmoji(%q) = %v, want %v", c.emoji, got, c.want)
		}
	}
}

// TestLibraryPermissionTable: the protocol library and prevention
// materials, role × action × object. Loire Nord owns every object; Val de
// Cher is listed on some; a third CPTS (Touraine Est) is listed on none.
func TestLibraryPermissionTable(t *testing.T) {
	const (
		ln model.CPTSID = "aaaaaaaaaaaaaaaaaaaaaa01"
		vc model.CPTSID = "aaaaaaaaaaaaaaaaaaaaaa02"
		te model.CPTSID = "aaaaaaaaaaaaaaaaaaaaaa03"
	)
	active := func(c model.CPTSID, r model.Role) model.Membership {
		return model.Membership{CPTSID: c, Role: r, Status: model.StatusActive}
	}
	actor := func(id string, admin bool, ms ...model.Membership) *Actor {
		return NewActor(model.User{ID: model.UserID(id), Admin: admin}, ms, nil, nil)
	}
	actors := map[string]*Actor{
		"author":   actor("u1", false, active(ln, model.RoleMembre)),
		"reviewer": actor("u2", false, active(ln, model.RoleMembre)),
		"coordLN":  actor("u3", false, active(ln, model.RoleCoordinateur)),
		"memberLN": actor("u4", false, active(ln, model.RoleMembre)),
		"partLN":   actor("u5", false, active(ln, model.RolePartenaire)),
		"pendLN":   actor("u6", false, model.Membership{CPTSID: ln, Role: model.RoleMembre, Status: model.StatusPending}),
		"coordVC":  actor("u7", false, active(vc, model.RoleCoordinateur)),
		"memberVC": actor("u8", false, active(vc, model.RoleMembre)),
		"memberTE": actor("u9", false, active(te, model.RoleMembre)),
		"admin":    actor("u10", true),
		// A former author and reviewer, removed from Loire Nord.
		"exLN": actor("u11", false),
	}
	proto := func(status model.ProtocolStatus, validated int, vis model.Sharing, shared ...model.CPTSID) model.Protocol {
		return model.Protocol{ID: "pppppppppppppppppppppp01", CPTSID: ln, Status: status, Visibility: vis, SharedWith: shared,
			AuthorID: "u1", Reviewers: []model.UserID{"u2", "u11"}, CurrentVersion: max(validated, 1), ValidatedVersion: validated}
	}
	var (
		draftOwn       = proto(model.ProtocolInReview, 0, model.SharingCPTS)
		draftListed    = proto(model.ProtocolDraft, 0, model.SharingListed, vc)
		draftPlatform  = proto(model.ProtocolInReview, 0, model.SharingPlatform)
		validOwn       = proto(model.ProtocolValidated, 1, model.SharingCPTS)
		validListed    = proto(model.ProtocolValidated, 2, model.SharingListed, vc)
		validPlatform  = proto(model.ProtocolValidated, 1, model.SharingPlatform)
		archivedListed = proto(model.ProtocolArchived, 1, model.SharingListed, vc)
	)
	material := func(vis model.Sharing, shared ...model.CPTSID) model.Material {
		return model.Material{ID: "mmmmmmmmmmmmmmmmmmmmmm01", CPTSID: ln, AuthorID: "u1", Visibility: vis, SharedWith: shared}
	}
	now := model.Date("2026-01-01").Time()
	deleted := material(model.SharingPlatform)
	deleted.DeletedAt = &now
	var (
		lnOnly   = []string{"author", "reviewer", "coordLN", "memberLN"}
		lnAll    = []string{"author", "reviewer", "coordLN", "memberLN", "partLN"}
		withVC   = append(slices.Clone(lnAll), "coordVC", "memberVC")
		everyone = append(slices.Clone(withVC), "memberTE", "admin", "exLN", "pendLN")
		members  = append(slices.Clone(withVC), "memberTE") // an active membership somewhere
	)
	table := []struct {
		action  string
		check   func(a *Actor) bool
		allowed []string
	}{
		{"see drafts of own protocol", func(a *Actor) bool { return a.CanSeeProtocolDrafts(draftOwn) }, lnOnly},
		{"see never-validated own protocol", func(a *Actor) bool { return a.CanSeeProtocol(draftOwn) }, lnOnly},
		{"see never-validated listed protocol", func(a *Actor) bool { return a.CanSeeProtocol(draftListed) }, lnOnly},
		{"see never-validated platform protocol", func(a *Actor) bool { return a.CanSeeProtocol(draftPlatform) }, lnOnly},
		{"see validated own protocol", func(a *Actor) bool { return a.CanSeeProtocol(validOwn) }, lnAll},
		{"see validated listed protocol", func(a *Actor) bool { return a.CanSeeProtocol(validListed) }, withVC},
		{"see validated platform protocol", func(a *Actor) bool { return a.CanSeeProtocol(validPlatform) }, everyone},
		{"see archived listed protocol", func(a *Actor) bool { return a.CanSeeProtocol(archivedListed) }, withVC},
		{"create protocol in LN", func(a *Actor) bool { return a.CanCreateProtocol(ln) }, lnOnly},
		{"create protocol in VC", func(a *Actor) bool { return a.CanCreateProtocol(vc) }, []string{"coordVC", "memberVC"}},
		{"edit own-CPTS protocol", func(a *Actor) bool { return a.CanEditProtocol(draftOwn) }, []string{"author", "coordLN"}},
		{"edit listed protocol", func(a *Actor) bool { return a.CanEditProtocol(validListed) }, []string{"author", "coordLN"}},
		{"review protocol", func(a *Actor) bool { return a.CanReviewProtocol(draftOwn) }, []string{"reviewer"}},
		{"validate protocol", func(a *Actor) bool { return a.CanValidateProtocol(draftOwn) }, []string{"coordLN"}},
		{"validate listed protocol", func(a *Actor) bool { return a.CanValidateProtocol(validListed) }, []string{"coordLN"}},
		{"archive protocol", func(a *Actor) bool { return a.CanArchiveProtocol(validPlatform) }, []string{"coordLN"}},
		{"ack never-validated protocol", func(a *Actor) bool { return a.CanAckProtocol(draftPlatform) }, nil},
		{"ack validated own protocol", func(a *Actor) bool { return a.CanAckProtocol(validOwn) }, lnAll},
		{"ack validated listed protocol", func(a *Actor) bool { return a.CanAckProtocol(validListed) }, withVC},
		{"ack validated platform protocol", func(a *Actor) bool { return a.CanAckProtocol(validPlatform) }, members},
		{"see acks of LN members (own)", func(a *Actor) bool { return a.CanSeeProtocolAcks(validOwn, ln) }, []string{"coordLN"}},
		{"see acks of VC members (listed)", func(a *Actor) bool { return a.CanSeeProtocolAcks(validListed, vc) }, []string{"coordVC"}},
		{"see acks of VC members (not listed)", func(a *Actor) bool { return a.CanSeeProtocolAcks(validOwn, vc) }, nil},
		{"see acks of VC members (platform)", func(a *Actor) bool { return a.CanSeeProtocolAcks(validPlatform, vc) }, []string{"coordVC"}},
		{"see acks of VC members (listed, never validated)", func(a *Actor) bool { return a.CanSeeProtocolAcks(draftListed, vc) }, nil},
		{"see own-CPTS material", func(a *Actor) bool { return a.CanSeeMaterial(material(model.SharingCPTS)) }, lnAll},
		{"see listed material", func(a *Actor) bool { return a.CanSeeMaterial(material(model.SharingListed, vc)) }, withVC},
		{"see platform material", func(a *Actor) bool { return a.CanSeeMaterial(material(model.SharingPlatform)) }, everyone},
		{"see deleted material", func(a *Actor) bool { return a.CanSeeMaterial(deleted) }, nil},
		{"create material in LN", func(a *Actor) bool { return a.CanCreateMaterial(ln) }, lnOnly},
		{"edit material", func(a *Actor) bool { return a.CanEditMaterial(material(model.SharingListed, vc)) }, []string{"author", "coordLN"}},
		// DeleteMaterial asks CanEditMaterial too: same row, named for the action.
		{"delete material", func(a *Actor) bool { return a.CanEditMaterial(material(model.SharingListed, vc)) }, []string{"author", "coordLN"}},
	}
	names := make([]string, 0, len(actors))
	for n := range actors {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, row := range table {
		for _, n := range names {
			want := slices.Contains(row.allowed, n)
			if got := row.check(actors[n]); got != want {
				t.Errorf("%s by %s: got %v, want %v", row.action, n, got, want)
			}
		}
	}
	// Who may be named reviewer of an LN protocol: active coordinateurs and
	// membres of LN, not the author.
	p := draftOwn
	for _, c := range []struct {
		u    model.UserID
		m    model.Membership
		want bool
	}{
		{"u2", active(ln, model.RoleMembre), true},
		{"u3", active(ln, model.RoleCoordinateur), true},
		{"u1", active(ln, model.RoleMembre), false},
		{"u5", active(ln, model.RolePartenaire), false},
		{"u6", model.Membership{CPTSID: ln, Role: model.RoleMembre, Status: model.StatusPending}, false},
		{"u8", active(vc, model.RoleMembre), false},
	} {
		if got := CanBeProtocolReviewer(p, c.u, c.m); got != c.want {
			t.Errorf("reviewer %s (%v): got %v, want %v", c.u, c.m, got, c.want)
		}
	}
}
