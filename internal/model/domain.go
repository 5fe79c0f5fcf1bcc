package model

import (
	"strings"
	"time"
)

// Role is a member's role in a CPTS (and, for groups, coordinateur/membre).
type Role string

const (
	RoleCoordinateur Role = "coordinateur"
	RoleMembre       Role = "membre"
	RolePartenaire   Role = "partenaire"
)

// MembershipStatus: an accepted invitation makes a pending member; a
// coordinator validates it into an active one. Only active members see
// anything of the CPTS.
type MembershipStatus string

const (
	StatusPending MembershipStatus = "pending"
	StatusActive  MembershipStatus = "active"
)

// User is an account. Email is stored lowercased and is unique.
type User struct {
	ID           UserID     `json:"id"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	Profession   Profession `json:"profession"`
	RPPS         string     `json:"rpps,omitempty"`
	ADELI        string     `json:"adeli,omitempty"`
	Commune      string     `json:"commune,omitempty"`
	TitleForm    TitleForm  `json:"title_form,omitempty"`
	Admin        bool       `json:"admin"`
	PasswordHash string     `json:"-"`
	// SetupHash is the SHA-256 (hex) of a set-password link's token (an
	// administrator created on the command line); SetupExpiresAt its end.
	SetupHash      string    `json:"-"`
	SetupExpiresAt time.Time `json:"-"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// CPTS is a Communauté professionnelle territoriale de santé.
type CPTS struct {
	ID         CPTSID    `json:"id"`
	Name       string    `json:"name"`
	Department string    `json:"department"` // "41", "2A"…
	Communes   []string  `json:"communes"`
	Status     string    `json:"status"` // "projet", "active"
	Missions   []Mission `json:"missions"`
	CreatedAt  time.Time `json:"created_at"`
}

// CPTSWithArticle is the name of a CPTS as a French sentence says it:
// "la CPTS Loire Nord" (rejoindre la CPTS Loire Nord). A name that already
// starts with an article is kept; one that does not say "CPTS" gets it.
func CPTSWithArticle(name string) string {
	name = strings.TrimSpace(name)
	lower := strings.ToLower(name)
	switch {
	case strings.HasPrefix(lower, "la ") || strings.HasPrefix(lower, "l'") || strings.HasPrefix(lower, "l’"):
		return name
	case lower == "cpts" || strings.HasPrefix(lower, "cpts ") || strings.HasPrefix(lower, "communauté "):
		return "la " + name
	}
	return "la CPTS " + name
}

// Mission is one of the ACI missions of a CPTS.
type Mission string

const (
	MissionAcces      Mission = "acces_aux_soins"
	MissionParcours   Mission = "parcours"
	MissionPrevention Mission = "prevention"
	MissionQualite    Mission = "qualite"
	MissionStagiaires Mission = "stagiaires"
	MissionCrise      Mission = "crise"
)

// Missions lists every mission with its French label, in display order.
var Missions = []struct {
	Code  Mission
	Label string
}{
	{MissionAcces, "Accès aux soins (médecin traitant, soins non programmés)"},
	{MissionParcours, "Parcours de soins"},
	{MissionPrevention, "Prévention"},
	{MissionQualite, "Qualité et pertinence des soins"},
	{MissionStagiaires, "Accueil des stagiaires"},
	{MissionCrise, "Réponse aux crises sanitaires"},
}

// ValidMission reports whether m is a known mission.
func ValidMission(m Mission) bool {
	for _, x := range Missions {
		if x.Code == m {
			return true
		}
	}
	return false
}

// Membership links a user to a CPTS with a role.
type Membership struct {
	CPTSID      CPTSID           `json:"cpts_id"`
	UserID      UserID           `json:"user_id"`
	Role        Role             `json:"role"`
	Status      MembershipStatus `json:"status"`
	CreatedAt   time.Time        `json:"created_at"`
	ValidatedAt *time.Time       `json:"validated_at,omitempty"`
	ValidatedBy UserID           `json:"validated_by,omitempty"`
}

// Group is a groupe interprofessionnel / groupe de travail. It is owned by
// one CPTS and may invite others (inter-CPTS group); CPTSIDs always holds
// the owner first, then the invited CPTS.
type Group struct {
	ID          GroupID   `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	OwnerCPTS   CPTSID    `json:"owner_cpts_id"`
	CPTSIDs     []CPTSID  `json:"cpts_ids"`
	CreatedBy   UserID    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// InterCPTS reports whether the group spans several CPTS.
func (g Group) InterCPTS() bool { return len(g.CPTSIDs) > 1 }

// HasCPTS reports whether c participates in the group.
func (g Group) HasCPTS(c CPTSID) bool {
	for _, x := range g.CPTSIDs {
		if x == c {
			return true
		}
	}
	return false
}

// GroupMember links a user to a group. Role is coordinateur (animates the
// group) or membre.
type GroupMember struct {
	GroupID   GroupID   `json:"group_id"`
	UserID    UserID    `json:"user_id"`
	Role      Role      `json:"role"`
	AddedBy   UserID    `json:"added_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// ChannelKind: a standard channel, an announcement channel where only
// coordinators post, a direct conversation, or the comments of a post.
type ChannelKind string

const (
	KindStandard     ChannelKind = "standard"
	KindAnnouncement ChannelKind = "announcement"
	KindDirect       ChannelKind = "direct"
	// KindComments is the channel holding the comments of one feed post
	// (Post.CommentsChannel), created with the post, in the post's CPTS or
	// group (CPTSID or GroupID set as for a standard channel). The store
	// gives it a scope of its own ("comments:<channel id>"), so it is never
	// listed by Channels.ByCPTS or ByGroup, i.e. never in a sidebar, and its
	// name needs no uniqueness. Who may read and write it follows from the
	// post and its feed (core's policy), not from channel members.
	KindComments ChannelKind = "comments"
)

// Visibility of a channel.
type Visibility string

const (
	VisibilityPublic  Visibility = "public"
	VisibilityPrivate Visibility = "private"
)

// Channel lives in exactly one CPTS or one group (or is a direct
// conversation, with neither).
type Channel struct {
	ID         ChannelID   `json:"id"`
	Name       string      `json:"name"`
	Topic      string      `json:"topic"`
	Kind       ChannelKind `json:"kind"`
	Visibility Visibility  `json:"visibility"`
	CPTSID     CPTSID      `json:"cpts_id,omitempty"`
	GroupID    GroupID     `json:"group_id,omitempty"`
	Archived   bool        `json:"archived"`
	CreatedBy  UserID      `json:"created_by"`
	CreatedAt  time.Time   `json:"created_at"`
	// Key is the wrapped encryption key of a direct conversation.
	Key []byte `json:"-"`
}

// ChannelMember: the user joined (public) or was invited into (private)
// the channel.
type ChannelMember struct {
	ChannelID ChannelID `json:"channel_id"`
	UserID    UserID    `json:"user_id"`
	JoinedAt  time.Time `json:"joined_at"`
}

// Session is a server-side login session. ID is the SHA-256 (hex) of the
// cookie token, so a database dump yields no usable cookie.
type Session struct {
	ID        string    `json:"-"`
	UserID    UserID    `json:"-"`
	CSRFToken string    `json:"-"`
	CreatedAt time.Time `json:"-"`
	ExpiresAt time.Time `json:"-"`
}

// Invitation to join a CPTS. TokenHash is the SHA-256 (hex) of the token
// sent by e-mail; the token itself is never stored.
type Invitation struct {
	ID         string     `json:"id"`
	TokenHash  string     `json:"-"`
	Email      string     `json:"email"`
	CPTSID     CPTSID     `json:"cpts_id"`
	Role       Role       `json:"role"`
	InvitedBy  UserID     `json:"invited_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
	AcceptedBy UserID     `json:"accepted_by,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}
