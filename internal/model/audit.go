package model

import "time"

// AuditAction names an administrative or sensitive step on memberships.
type AuditAction string

const (
	AuditCPTSCreated AuditAction = "cpts_created"
	AuditCPTSUpdated AuditAction = "cpts_updated"
	// AuditAdminCreated: a platform administrator created on the command
	// line (ecpts admin create); ActorID and TargetID are the new account.
	AuditAdminCreated       AuditAction = "admin_created"
	AuditInvitationCreated  AuditAction = "invitation_created"
	AuditInvitationRevoked  AuditAction = "invitation_revoked"
	AuditInvitationAccepted AuditAction = "invitation_accepted"
	AuditMemberValidated    AuditAction = "member_validated"
	AuditMemberRefused      AuditAction = "member_refused" // a pending membership removed
	AuditMemberRemoved      AuditAction = "member_removed"
	AuditMemberLeft         AuditAction = "member_left"
	AuditRoleChanged        AuditAction = "role_changed"
	AuditGroupMemberAdded   AuditAction = "group_member_added"
	AuditGroupMemberRemoved AuditAction = "group_member_removed"
)

// AuditEntry is one step of the audit log: who did what, where, to whom.
// It holds ids only: no name, address or message content. CPTSID is the
// CPTS concerned (for a group, its owner); TargetID the user whose
// membership changed (empty for an invitation not yet accepted).
type AuditEntry struct {
	ID           string      `json:"id"`
	At           time.Time   `json:"at"`
	ActorID      UserID      `json:"actor_id"`
	Action       AuditAction `json:"action"`
	CPTSID       CPTSID      `json:"cpts_id,omitempty"`
	GroupID      GroupID     `json:"group_id,omitempty"`
	TargetID     UserID      `json:"target_id,omitempty"`
	InvitationID string      `json:"invitation_id,omitempty"`
	Role         Role        `json:"role,omitempty"`
}
