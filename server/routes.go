package server

import "github.com/gofiber/fiber/v2"

// route is one REST endpoint with what the OpenAPI document says of it.
// The table is the single source: routes() registers it and openapi.go
// describes it (a test keeps the committed openapi.json in step).
type route struct {
	Method  string
	Path    string // Fiber syntax, relative to /api/v1
	Summary string
	Auth    bool   // needs a session
	Req     string // request schema name ("" = none)
	Resp    string // response schema name ("" = 204 No Content)
	Status  int    // success status
	Query   []string
	handler fiber.Handler
}

func (s *Server) apiRoutes() []route {
	h := s
	return []route{
		{"GET", "/meta", "Listes de référence : professions, missions, rôles", false, "", "Meta", 200, nil, h.meta},
		{"POST", "/auth/login", "Connexion (pose le cookie de session)", false, "LoginRequest", "LoginResponse", 200, nil, h.login},
		{"POST", "/auth/logout", "Déconnexion", true, "", "", 204, nil, h.logout},
		{"GET", "/me", "Moi : profil, jeton CSRF, adhésions", true, "", "Me", 200, nil, h.me},
		{"PATCH", "/me", "Modifier mon profil", true, "ProfilePatch", "UserResponse", 200, nil, h.updateMe},
		{"POST", "/me/password", "Changer mon mot de passe (ferme mes autres sessions)", true, "PasswordChange", "", 204, nil, h.changePassword},

		{"GET", "/cpts", "Mes CPTS (toutes pour un administrateur)", true, "", "CPTSList", 200, nil, h.listCPTS},
		{"GET", "/cpts/catalog", "Noms de toutes les CPTS (pour inviter une CPTS dans un groupe)", true, "", "CPTSCatalog", 200, nil, h.cptsCatalog},
		{"POST", "/cpts", "Créer une CPTS (administrateur)", true, "CPTSCreate", "CPTSResponse", 201, nil, h.createCPTS},
		{"GET", "/cpts/:id", "Une CPTS", true, "", "CPTSResponse", 200, nil, h.getCPTS},
		{"GET", "/cpts/:id/members", "Membres d'une CPTS", true, "", "Members", 200, nil, h.cptsMembers},
		{"POST", "/cpts/:id/members/:user_id/validate", "Valider l'adhésion d'un membre", true, "", "MemberResponse", 200, nil, h.validateMember},
		{"PATCH", "/cpts/:id/members/:user_id", "Changer le rôle d'un membre", true, "RolePatch", "MemberResponse", 200, nil, h.setMemberRole},
		{"DELETE", "/cpts/:id/members/:user_id", "Retirer un membre (ou quitter la CPTS)", true, "", "", 204, nil, h.removeMember},
		{"GET", "/cpts/:id/invitations", "Invitations en attente", true, "", "Invitations", 200, nil, h.listInvitations},
		{"POST", "/cpts/:id/invitations", "Inviter un professionnel par e-mail", true, "InvitationCreate", "InvitationResponse", 201, nil, h.invite},
		{"DELETE", "/cpts/:id/invitations/:inv_id", "Révoquer une invitation", true, "", "", 204, nil, h.revokeInvitation},
		{"GET", "/cpts/:id/audit", "Journal d'audit d'une CPTS (coordination), du plus récent au plus ancien", true, "", "AuditPage", 200, []string{"before", "limit"}, h.cptsAudit},
		{"GET", "/admin/audit", "Journal d'audit de la plateforme (administrateur), du plus récent au plus ancien", true, "", "AuditPage", 200, []string{"before", "limit"}, h.adminAudit},

		{"GET", "/invitations/:token", "Décrire une invitation (le jeton fait foi)", false, "", "InvitationInfo", 200, nil, h.invitationInfo},
		{"POST", "/invitations/:token/accept", "Accepter une invitation (crée le compte)", false, "InvitationAccept", "InvitationAccepted", 200, nil, h.acceptInvitation},

		{"GET", "/groups", "Mes groupes", true, "", "Groups", 200, nil, h.listGroups},
		{"POST", "/groups", "Créer un groupe (éventuellement inter-CPTS)", true, "GroupCreate", "GroupResponse", 201, nil, h.createGroup},
		{"GET", "/groups/:id", "Un groupe", true, "", "GroupResponse", 200, nil, h.getGroup},
		{"PATCH", "/groups/:id", "Renommer ou décrire un groupe", true, "GroupPatch", "GroupResponse", 200, nil, h.updateGroup},
		{"POST", "/groups/:id/cpts", "Inviter une autre CPTS dans le groupe", true, "GroupCPTS", "GroupResponse", 200, nil, h.inviteCPTSToGroup},
		{"GET", "/groups/:id/members", "Membres d'un groupe", true, "", "Members", 200, nil, h.groupMembers},
		{"POST", "/groups/:id/members", "Ajouter un membre au groupe", true, "GroupMemberAdd", "MemberResponse", 201, nil, h.addGroupMember},
		{"DELETE", "/groups/:id/members/:user_id", "Retirer un membre du groupe (ou le quitter)", true, "", "", 204, nil, h.removeGroupMember},

		{"GET", "/channels", "Mes canaux et les canaux publics que je peux rejoindre", true, "", "Channels", 200, []string{"archived"}, h.listChannels},
		{"POST", "/channels", "Créer un canal", true, "ChannelCreate", "ChannelResponse", 201, nil, h.createChannel},
		{"GET", "/channels/:id", "Un canal", true, "", "ChannelResponse", 200, nil, h.getChannel},
		{"PATCH", "/channels/:id", "Renommer, changer le sujet, archiver", true, "ChannelPatch", "ChannelResponse", 200, nil, h.updateChannel},
		{"POST", "/channels/:id/join", "Rejoindre un canal public", true, "", "ChannelResponse", 200, nil, h.joinChannel},
		{"POST", "/channels/:id/leave", "Quitter un canal", true, "", "", 204, nil, h.leaveChannel},
		{"GET", "/channels/:id/members", "Membres d'un canal", true, "", "Members", 200, nil, h.channelMembers},
		{"POST", "/channels/:id/members", "Ajouter un membre (canal privé)", true, "ChannelMemberAdd", "MemberResponse", 201, nil, h.addChannelMember},
		{"DELETE", "/channels/:id/members/:user_id", "Retirer un membre d'un canal", true, "", "", 204, nil, h.removeChannelMember},

		{"GET", "/channels/:id/messages", "Historique d'un canal (par pages de seq)", true, "", "Messages", 200, []string{"after_seq", "before_seq", "limit"}, h.listMessages},
		{"POST", "/channels/:id/messages", "Envoyer un message (idempotent par client_id)", true, "MessagePost", "MessageResponse", 201, nil, h.postMessage},
		{"POST", "/channels/:id/read", "Marquer un canal comme lu jusqu'à seq", true, "SeqBody", "", 204, nil, h.markRead},
		{"PATCH", "/messages/:id", "Modifier un message (historique conservé)", true, "MessagePatch", "MessageResponse", 200, nil, h.editMessage},
		{"DELETE", "/messages/:id", "Supprimer un message", true, "", "", 204, nil, h.deleteMessage},
		{"GET", "/messages/:id/history", "Versions précédentes d'un message", true, "", "EditHistory", 200, nil, h.messageHistory},
		{"PUT", "/messages/:id/reactions/:emoji", "Ajouter une réaction", true, "", "MessageResponse", 200, nil, h.react(true)},
		{"DELETE", "/messages/:id/reactions/:emoji", "Retirer ma réaction", true, "", "MessageResponse", 200, nil, h.react(false)},
		{"GET", "/messages/:id/thread", "Un fil de discussion", true, "", "Thread", 200, nil, h.thread},
		{"PUT", "/messages/:id/follow", "Suivre un fil", true, "", "", 204, nil, h.follow(true)},
		{"DELETE", "/messages/:id/follow", "Ne plus suivre un fil", true, "", "", 204, nil, h.follow(false)},
		{"POST", "/messages/:id/thread-read", "Marquer un fil comme lu jusqu'à seq", true, "SeqBody", "", 204, nil, h.markThreadRead},
		{"GET", "/unread", "Non-lus par canal et par fil", true, "", "Unread", 200, nil, h.unread},
		{"GET", "/threads", "Fils suivis", true, "", "Threads", 200, nil, h.threads},
		{"GET", "/replies", "Réponses à mes messages", true, "", "Messages", 200, nil, h.replies},
		{"GET", "/conversations", "Mes conversations directes", true, "", "Conversations", 200, nil, h.conversations},
		{"POST", "/conversations", "Ouvrir une conversation directe (1 à 7 personnes)", true, "ConversationOpen", "ConversationResponse", 201, nil, h.openConversation},
		{"POST", "/conversations/:id/leave", "Quitter une conversation", true, "", "", 204, nil, h.leaveConversation},
		{"GET", "/presence", "Qui est en ligne", true, "", "Presence", 200, []string{"user_ids"}, h.presence},
		{"GET", "/directory", "Annuaire : qui fait quoi sur mon territoire", true, "", "Directory", 200, []string{"profession", "commune", "cpts_id", "q"}, h.directory},
		{"GET", "/openapi.json", "Ce document", false, "", "", 200, nil, h.openAPI},
	}
}
