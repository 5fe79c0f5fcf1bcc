package server

import (
	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
)

// The request bodies of the API, and the response bodies of more than one
// field, by resource (a single value is sent under the key its route
// names, see under). The OpenAPI schemas are derived from them
// (schema.go). Request fields the client may leave out are omitempty;
// decode refuses unknown ones.

// GET /meta (meta.go).

// missionInfo and roleInfo are entries of GET /meta's lists.
type missionInfo struct {
	Code  model.Mission `json:"code"`
	Label string        `json:"label"`
}

type roleInfo struct {
	Code  model.Role `json:"code"`
	Label string     `json:"label"`
}

type metaResponse struct {
	Missions    []missionInfo          `json:"missions" openapi:"nonnull"`
	Professions []model.ProfessionInfo `json:"professions" openapi:"nonnull"`
	Roles       []roleInfo             `json:"roles" openapi:"nonnull"`
	// Uploads: the largest file accepted (bytes), and the accepted types
	// in words, for the file picker's hint and a check before sending.
	MaxUploadBytes int64  `json:"max_upload_bytes"`
	AcceptedFiles  string `json:"accepted_files"`
}

// Sessions (auth.go).

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginResponse struct {
	CSRFToken string        `json:"csrf_token"`
	User      core.UserView `json:"user"`
}

// passwordSetup chooses the password of a set-password link.
type passwordSetup struct {
	Password string `json:"password"`
}

// Me (me.go).

type profilePatch struct {
	Name       *string           `json:"name,omitempty"`
	Profession *model.Profession `json:"profession,omitempty"`
	RPPS       *string           `json:"rpps,omitempty"`
	ADELI      *string           `json:"adeli,omitempty"`
	Commune    *string           `json:"commune,omitempty"`
	// TitleForm: how the person's profession and role are named
	// (Infirmière, Coordinatrice…).
	TitleForm *model.TitleForm `json:"title_form,omitempty"`
}

type passwordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// CPTS (cpts.go).

type cptsCreate struct {
	Name       string          `json:"name"`
	Department string          `json:"department"`
	Communes   []string        `json:"communes,omitempty"`
	Missions   []model.Mission `json:"missions,omitempty"`
}

// cptsPatch edits a CPTS (platform admins); absent fields are kept.
type cptsPatch struct {
	Name       *string          `json:"name,omitempty"`
	Department *string          `json:"department,omitempty"`
	Communes   *[]string        `json:"communes,omitempty"`
	Missions   *[]model.Mission `json:"missions,omitempty"`
	Status     *string          `json:"status,omitempty"` // "projet" or "active"
}

// Members (of a CPTS, a group or a channel) (cpts.go, groups.go, channels.go).

type rolePatch struct {
	Role model.Role `json:"role"`
}

// Invitations (invitations.go).

type invitationCreate struct {
	Email string     `json:"email"`
	Role  model.Role `json:"role"`
}

// invitationAccept: the profile and password of a new account; empty (or
// no body) for an existing account, which must be the caller's.
type invitationAccept struct {
	Name       string           `json:"name,omitempty"`
	Profession model.Profession `json:"profession,omitempty"`
	RPPS       string           `json:"rpps,omitempty"`
	ADELI      string           `json:"adeli,omitempty"`
	Commune    string           `json:"commune,omitempty"`
	Password   string           `json:"password,omitempty"`
}

// invitationAccepted: the session (the one the acceptance opened for a new
// account, else the caller's) and the new membership.
type invitationAccepted struct {
	loginResponse
	Membership core.MembershipView `json:"membership"`
}

// Groups (groups.go).

type groupCreate struct {
	Name           string         `json:"name"`
	Description    string         `json:"description,omitempty"`
	CPTSID         model.CPTSID   `json:"cpts_id"`
	InvitedCPTSIDs []model.CPTSID `json:"invited_cpts_ids,omitempty"`
}

type groupPatch struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

type groupCPTS struct {
	CPTSID model.CPTSID `json:"cpts_id"`
}

// groupMemberAdd: a group has coordinators and members (no partners); a
// missing role is membre.
type groupMemberAdd struct {
	UserID model.UserID `json:"user_id"`
	Role   model.Role   `json:"role,omitempty" openapi:"enum=coordinateur|membre"`
}

// Channels (channels.go).

// channelCreate: a channel lives in a CPTS or in a group (one of the two).
type channelCreate struct {
	Name       string            `json:"name"`
	Topic      string            `json:"topic,omitempty"`
	CPTSID     model.CPTSID      `json:"cpts_id,omitempty"`
	GroupID    model.GroupID     `json:"group_id,omitempty"`
	Visibility model.Visibility  `json:"visibility,omitempty"`
	Kind       model.ChannelKind `json:"kind,omitempty" openapi:"enum=standard|announcement"`
}

// channelPatch: each field present is changed. Visibility makes a
// channel private (its members alone read it from then on) or public.
type channelPatch struct {
	Name       *string           `json:"name,omitempty"`
	Topic      *string           `json:"topic,omitempty"`
	Archived   *bool             `json:"archived,omitempty"`
	Visibility *model.Visibility `json:"visibility,omitempty"`
}

type channelMemberAdd struct {
	UserID model.UserID `json:"user_id"`
}

// Messages (messages.go).

// messagePage is a page of a channel's history and the channel's last seq.
type messagePage struct {
	LastSeq  uint64             `json:"last_seq"`
	Messages []core.MessageView `json:"messages"`
}

// messageResponse: repeat marks a send that repeated an earlier one (same
// client_id), answered 200 instead of 201.
type messageResponse struct {
	Message core.MessageView `json:"message"`
	repeat  bool
}

type messagePost struct {
	Body     string          `json:"body"`
	ClientID string          `json:"client_id"`
	ThreadID model.MessageID `json:"thread_id,omitempty"`
	// FileIDs are uploads of mine to this channel (POST /files) to attach;
	// with files, the body may be empty.
	FileIDs []model.FileID `json:"file_ids,omitempty"`
}

type messagePatch struct {
	Body string `json:"body"`
}

type seqBody struct {
	Seq uint64 `json:"seq"`
}

func (r messageResponse) repeated() bool { return r.repeat }

// Threads, unread counts, replies (threads.go).

type unreadResponse struct {
	Channels []core.UnreadView       `json:"channels"`
	Threads  []core.ThreadUnreadView `json:"threads"`
}

// Direct conversations (conversations.go).

// conversationResponse: repeat marks an open that found the conversation
// already there, answered 200 instead of 201.
type conversationResponse struct {
	Conversation core.ConversationView `json:"conversation"`
	repeat       bool
}

type conversationOpen struct {
	UserIDs []model.UserID `json:"user_ids"`
}

func (r conversationResponse) repeated() bool { return r.repeat }

// Directory and presence (directory.go).

type presenceResponse struct {
	Online []model.UserID `json:"online" openapi:"nonnull"`
}

// Feed (posts.go).

type rsvpRequest struct {
	Answer model.RSVPAnswer `json:"answer"`
}
