package server

import (
	"reflect"
	"slices"

	"github.com/ecpts/ecpts/internal/core"

	"github.com/gofiber/fiber/v2"
)

// route is one REST endpoint with what the OpenAPI document says of it.
// The table is the single source: routes() registers it and openapi.go
// describes it, its schemas derived from Req and Resp (a test keeps the
// committed openapi.json in step).
type route struct {
	Method  string
	Path    string // Fiber syntax, relative to /api/v1
	Summary string
	Auth    bool         // needs a session
	Req     reflect.Type // request body (nil: none)
	ReqOpt  bool         // the body may be left out
	Resp    reflect.Type // response body (nil: none), or the value under Key
	Key     string       // the response is {Key: value}
	Status  int          // success status
	Query   []string
	// QueryDoc describes query parameters in the OpenAPI document, by name.
	QueryDoc map[string]string
	// Multipart: the body is multipart/form-data (an upload), described
	// by hand in the document; Binary: the answer is the file's bytes.
	Multipart bool
	Binary    bool
	// Produces is the media type of a response that is not JSON (a
	// calendar, a CSV export).
	Produces string
	handler  fiber.Handler
}

// option adjusts a route built by endpoint.
type option func(*route)

// public: no session needed.
func public(r *route) { r.Auth = false }

// created: the route answers 201 (200 when its result says it repeated
// an earlier request, see repeatable).
func created(r *route) { r.Status = fiber.StatusCreated }

// under: the result is sent under key, as {"key": result}.
func under(key string) option { return func(r *route) { r.Key = key } }

// optionalBody: the request body may be empty.
func optionalBody(r *route) { r.ReqOpt = true }

// query names the query parameters the route reads.
func query(names ...string) option { return func(r *route) { r.Query = names } }

// queryDoc names the query parameters the route reads with their
// descriptions, as name, description pairs.
func queryDoc(pairs ...string) option {
	return func(r *route) {
		r.Query, r.QueryDoc = nil, map[string]string{}
		for i := 0; i+1 < len(pairs); i += 2 {
			r.Query = append(r.Query, pairs[i])
			r.QueryDoc[pairs[i]] = pairs[i+1]
		}
	}
}

// endpoint builds a route whose handler is handle(fn): its request and
// response types are fn's, so the document cannot drift from the handler.
func endpoint[In, Out any](method, path, summary string, fn call[In, Out], opts ...option) route {
	for _, m := range paramPattern.FindAllStringSubmatch(path, -1) {
		if !slices.Contains(pathParams, m[1]) {
			panic("server: " + path + ": readParams has no rule for :" + m[1])
		}
	}
	r := route{Method: method, Path: path, Summary: summary, Auth: true, Status: fiber.StatusOK}
	if t := reflect.TypeFor[In](); t != reflect.TypeFor[none]() {
		r.Req = t
	}
	if t := reflect.TypeFor[Out](); t != reflect.TypeFor[none]() {
		r.Resp = t
	} else {
		r.Status = fiber.StatusNoContent
	}
	for _, o := range opts {
		o(&r)
	}
	if r.Resp != nil && r.Key == "" && r.Resp.Kind() != reflect.Struct {
		panic("server: " + path + ": a " + r.Resp.String() + " result needs a key (under)")
	}
	r.handler = handle(fn, r.Status, r.ReqOpt, r.Key)
	return r
}

func (s *Server) apiRoutes() []route {
	const get, post, patch, put, del = "GET", "POST", "PATCH", "PUT", "DELETE"
	return []route{
		endpoint(get, "/meta", "Listes de référence : professions, missions, rôles", s.meta, public),
		endpoint(post, "/auth/login", "Connexion (pose le cookie de session)", s.login, public),
		endpoint(get, "/password-setup/:token", "Décrire un lien pour choisir son mot de passe (compte créé par « ecpts admin create »)", s.passwordSetupInfo, public),
		endpoint(post, "/password-setup/:token", "Choisir son mot de passe par ce lien (ouvre une session)", s.completePasswordSetup, public),
		endpoint(post, "/auth/logout", "Déconnexion", s.logout),
		endpoint(get, "/me", "Moi : profil, jeton CSRF, adhésions", s.me),
		endpoint(patch, "/me", "Modifier mon profil", s.updateMe, under("user")),
		endpoint(get, "/home", "Ce qui m'attend : mentions non lues, fils avec de nouvelles réponses, membres à valider", s.home),
		endpoint(get, "/users/:id", "Fiche d'un professionnel (nom, profession, commune, CPTS)", s.userProfile),
		endpoint(post, "/me/password", "Changer mon mot de passe (ferme mes autres sessions)", s.changePassword),

		endpoint(get, "/cpts", "Mes CPTS (toutes pour un administrateur)", s.listCPTS, under("cpts")),
		endpoint(get, "/cpts/catalog", "Noms de toutes les CPTS (pour inviter une CPTS dans un groupe)", s.cptsCatalog, under("cpts")),
		endpoint(post, "/cpts", "Créer une CPTS (administrateur)", s.createCPTS, under("cpts"), created),
		endpoint(get, "/cpts/:id", "Une CPTS", s.getCPTS, under("cpts")),
		endpoint(patch, "/cpts/:id", "Modifier une CPTS : nom, département, communes, missions, statut (administrateur)", s.updateCPTS, under("cpts")),
		endpoint(get, "/cpts/:id/members", "Membres d'une CPTS", s.cptsMembers, under("members")),
		endpoint(post, "/cpts/:id/members/:user_id/validate", "Valider l'adhésion d'un membre", s.validateMember, under("member")),
		endpoint(post, "/cpts/:id/members/:user_id/refuse", "Refuser une adhésion en attente de validation", s.refuseMember),
		endpoint(patch, "/cpts/:id/members/:user_id", "Changer le rôle d'un membre", s.setMemberRole, under("member")),
		endpoint(del, "/cpts/:id/members/:user_id", "Retirer un membre (ou quitter la CPTS)", s.removeMember),
		endpoint(get, "/cpts/:id/invitations", "Invitations en attente", s.listInvitations, under("invitations")),
		endpoint(post, "/cpts/:id/invitations", "Inviter un professionnel par e-mail", s.invite, under("invitation"), created),
		endpoint(del, "/cpts/:id/invitations/:inv_id", "Révoquer une invitation", s.revokeInvitation),
		endpoint(get, "/cpts/:id/audit", "Journal d'audit d'une CPTS (coordination), du plus récent au plus ancien", s.auditPage, query("before", "limit")),
		endpoint(get, "/admin/cpts", "Toutes les CPTS et leurs effectifs, sans leur contenu (administrateur)", s.adminCPTS, under("cpts")),
		endpoint(get, "/admin/audit", "Journal d'audit de la plateforme (administrateur), du plus récent au plus ancien", s.auditPage, query("before", "limit")),

		endpoint(get, "/invitations/:token", "Décrire une invitation (le jeton fait foi)", s.invitationInfo, public),
		endpoint(post, "/invitations/:token/accept", "Accepter une invitation (crée le compte)", s.acceptInvitation, public, optionalBody),

		endpoint(get, "/groups", "Mes groupes", s.listGroups, under("groups")),
		endpoint(post, "/groups", "Créer un groupe (éventuellement inter-CPTS)", s.createGroup, under("group"), created),
		endpoint(get, "/groups/:id", "Un groupe", s.getGroup, under("group")),
		endpoint(patch, "/groups/:id", "Renommer ou décrire un groupe", s.updateGroup, under("group")),
		endpoint(post, "/groups/:id/cpts", "Inviter une autre CPTS dans le groupe", s.inviteCPTSToGroup, under("group")),
		endpoint(get, "/groups/:id/members", "Membres d'un groupe", s.groupMembers, under("members")),
		endpoint(post, "/groups/:id/members", "Ajouter un membre au groupe", s.addGroupMember, under("member"), created),
		endpoint(del, "/groups/:id/members/:user_id", "Retirer un membre du groupe (ou le quitter)", s.removeGroupMember),

		endpoint(get, "/channels", "Mes canaux et les canaux publics que je peux rejoindre", s.listChannels, under("channels"), query("archived")),
		endpoint(post, "/channels", "Créer un canal", s.createChannel, under("channel"), created),
		endpoint(get, "/channels/:id", "Un canal", s.getChannel, under("channel")),
		endpoint(patch, "/channels/:id", "Renommer, changer le sujet, archiver, rendre privé ou public", s.updateChannel, under("channel")),
		endpoint(post, "/channels/:id/join", "Rejoindre un canal public", s.joinChannel, under("channel")),
		endpoint(post, "/channels/:id/leave", "Quitter un canal", s.leaveChannel),
		endpoint(get, "/channels/:id/members", "Membres d'un canal", s.channelMembers, under("members")),
		endpoint(post, "/channels/:id/members", "Ajouter un membre (canal privé)", s.addChannelMember, under("member"), created),
		endpoint(del, "/channels/:id/members/:user_id", "Retirer un membre d'un canal", s.removeChannelMember),

		endpoint(get, "/channels/:id/messages", "Historique d'un canal (par pages de seq)", s.listMessages, query("after_seq", "before_seq", "limit")),
		endpoint(post, "/channels/:id/messages", "Envoyer un message (idempotent par client_id)", s.postMessage, created),
		endpoint(post, "/channels/:id/read", "Marquer un canal comme lu jusqu'à seq", s.markRead),
		endpoint(patch, "/messages/:id", "Modifier un message (historique conservé)", s.editMessage, under("message")),
		endpoint(del, "/messages/:id", "Supprimer un message", s.deleteMessage),
		endpoint(get, "/messages/:id/history", "Versions précédentes d'un message", s.messageHistory, under("edits")),
		endpoint(put, "/messages/:id/reactions/:emoji", "Ajouter une réaction", s.react(true), under("message")),
		endpoint(del, "/messages/:id/reactions/:emoji", "Retirer ma réaction", s.react(false), under("message")),
		endpoint(get, "/messages/:id/thread", "Un fil de discussion", s.thread),
		endpoint(put, "/messages/:id/follow", "Suivre un fil", s.follow(true)),
		endpoint(del, "/messages/:id/follow", "Ne plus suivre un fil", s.follow(false)),
		endpoint(post, "/messages/:id/thread-read", "Marquer un fil comme lu jusqu'à seq", s.markThreadRead),
		endpoint(get, "/unread", "Non-lus par canal et par fil", s.unread),
		endpoint(get, "/threads", "Fils suivis", s.threads, under("threads")),
		endpoint(get, "/replies", "Réponses à mes messages", s.replies, under("messages")),
		endpoint(get, "/conversations", "Mes conversations directes", s.conversations, under("conversations")),
		endpoint(post, "/conversations", "Ouvrir une conversation directe (1 à 7 personnes)", s.openConversation, created),
		endpoint(post, "/conversations/:id/leave", "Quitter une conversation", s.leaveConversation),
		endpoint(get, "/presence", "Qui est en ligne", s.presence, query("user_ids")),
		endpoint(get, "/search", "Recherche (messages, canaux, personnes…) dans ce que je peux voir", s.search,
			queryDoc(
				"q", "Le texte tapé, avec ses opérateurs : de:@nom, dans:~canal, cpts:, groupe:, type:, profession:, mission:, campagne:, statut:, avant:AAAA-MM-JJ, après:AAAA-MM-JJ, le:AAAA-MM-JJ, \"expression exacte\", -exclure. 2 000 octets au plus ; au moins 2 caractères sans autre filtre.",
				"type", "Types de résultats, séparés par des virgules : message, post, protocol, material, person, channel.",
				"cpts", "Identifiants de CPTS, séparés par des virgules (parmi ce que l'appelant peut lire).",
				"group", "Identifiants de groupes, séparés par des virgules (parmi ce que l'appelant peut lire).",
				"profession", "Profession de l'auteur : codes, libellés ou synonymes (kiné, IDEL…), séparés par des virgules.",
				"mission", "Missions de la CPTS : codes ou libellés, séparés par des virgules.",
				"campaign", "Campagnes de prévention (codes de /materials/catalog), séparées par des virgules.",
				"status", "Statuts de protocole, séparés par des virgules : brouillon, relecture, valide, archive.",
				"from", "Depuis ce jour inclus (AAAA-MM-JJ) ou cet instant (RFC 3339).",
				"to", "Jusqu'à ce jour inclus (AAAA-MM-JJ) ou cet instant exclu (RFC 3339) ; après from.",
				"page", "Page, à partir de 1 (au plus 100 000 ; au-delà de 5 000 résultats, pages vides avec le total).",
				"per_page", "Résultats par page, de 1 à 100 (20 par défaut).",
				"facets", "1 : compter toutes les facettes (CPTS, professions, missions, campagnes, statuts) ; sinon les types seuls.")),
		endpoint(get, "/directory", "Annuaire : qui fait quoi sur mon territoire", s.directory, under("members"), query("profession", "commune", "cpts_id", "q")),

		endpoint(get, "/protocols", "Bibliothèque de protocoles (filtres : CPTS, mission, profession, statut, révision à prévoir ; par pages)", s.listProtocols,
			query("cpts_id", "mission", "profession", "status", "review_due", "after", "limit")),
		endpoint(get, "/protocols/template", "Modèle d'un protocole pluriprofessionnel (Markdown)", s.protocolTemplate),
		endpoint(post, "/protocols/preview", "Aperçu d'un contenu Markdown tel que la bibliothèque l'affichera", s.previewProtocol),
		endpoint(post, "/protocols", "Écrire un protocole (brouillon, version 1)", s.createProtocol, under("protocol"), created),
		endpoint(get, "/protocols/:id", "Un protocole : version affichée, relecteurs, droits", s.getProtocol, under("protocol")),
		endpoint(patch, "/protocols/:id", "Modifier un protocole (un nouveau contenu crée une version)", s.updateProtocol, under("protocol")),
		endpoint(get, "/protocols/:id/versions", "Versions d'un protocole", s.protocolVersions, under("versions")),
		endpoint(get, "/protocols/:id/versions/:n", "Une version d'un protocole, avec son contenu", s.protocolVersion, under("version")),
		endpoint(post, "/protocols/:id/submit", "Envoyer en relecture (ou changer les relecteurs)", s.submitProtocol, under("protocol")),
		endpoint(post, "/protocols/:id/reviews", "Avis d'un relecteur : approuver ou demander des modifications", s.reviewProtocol, under("protocol")),
		endpoint(post, "/protocols/:id/validate", "Valider la version en relecture (coordination)", s.validateProtocol, under("protocol")),
		endpoint(post, "/protocols/:id/archive", "Archiver un protocole (coordination)", s.archiveProtocol, under("protocol")),
		endpoint(post, "/protocols/:id/ack", "J'ai lu et j'applique (version validée en vigueur)", s.ackProtocol, under("protocol")),
		endpoint(get, "/protocols/:id/acks", "Qui a confirmé la lecture, par profession (coordination)", s.protocolAcks, query("cpts_id")),
		endpoint(post, "/protocols/:id/remind", "Relancer par e-mail ceux qui n'ont pas confirmé (coordination)", s.remindProtocol, query("cpts_id")),
		endpoint(get, "/materials", "Supports de prévention (filtres : CPTS, thème, campagne, public, en cours de validité ; par pages)", s.listMaterials,
			query("cpts_id", "theme", "campaign", "audience", "current", "after", "limit")),
		endpoint(get, "/materials/catalog", "Thèmes, campagnes, et campagnes en cours et à venir", s.materialCatalog),
		endpoint(post, "/materials", "Ajouter un support de prévention (fichier déposé ou lien)", s.createMaterial, under("material"), created),
		endpoint(get, "/materials/:id", "Un support de prévention", s.getMaterial, under("material")),
		endpoint(patch, "/materials/:id", "Modifier un support de prévention (son auteur, la coordination)", s.updateMaterial, under("material")),
		endpoint(del, "/materials/:id", "Supprimer un support de prévention (son fichier avec)", s.deleteMaterial),
		{Method: post, Path: "/files", Summary: "Déposer un fichier (multipart : cpts_id, group_id, channel_id ou conversation_id, puis file)",
			Auth: true, Multipart: true, Resp: reflect.TypeFor[core.FileView](), Key: "file", Status: fiber.StatusCreated, handler: s.uploadFile},
		{Method: get, Path: "/files/:id", Summary: "Télécharger un fichier (?thumb=1 : sa vignette), autorisé à chaque requête",
			Auth: true, Binary: true, Query: []string{"thumb"}, Status: fiber.StatusOK, handler: s.downloadFile},

		endpoint(get, "/posts", "Une page du fil d'une CPTS ou d'un groupe (épinglés d'abord)", s.listPosts, query("cpts_id", "group_id", "before", "limit")),
		endpoint(post, "/posts", "Publier une annonce ou un événement (coordination)", s.createPost, under("post"), created),
		endpoint(get, "/posts/:id", "Une publication", s.getPost, under("post")),
		endpoint(patch, "/posts/:id", "Modifier une publication", s.editPost, under("post")),
		endpoint(del, "/posts/:id", "Supprimer une publication", s.deletePost),
		endpoint(put, "/posts/:id/pin", "Épingler une publication", s.pinPost(true), under("post")),
		endpoint(del, "/posts/:id/pin", "Désépingler une publication", s.pinPost(false), under("post")),
		endpoint(put, "/posts/:id/reactions/:emoji", "Réagir à une publication", s.reactPost(true), under("post")),
		endpoint(del, "/posts/:id/reactions/:emoji", "Retirer ma réaction", s.reactPost(false), under("post")),
		endpoint(post, "/posts/:id/rsvp", "Répondre à un événement (oui, non, peut_etre)", s.rsvp),
		endpoint(get, "/posts/:id/rsvps", "Liste des réponses par profession (organisateur)", s.rsvpList),
		{Method: get, Path: "/posts/:id/rsvps.csv", Summary: "Liste des réponses en CSV (organisateur)", Auth: true, Status: fiber.StatusOK, Produces: "text/csv", handler: s.rsvpCSV},
		{Method: get, Path: "/posts/:id/event.ics", Summary: "L'événement au format iCalendar (.ics)", Auth: true, Status: fiber.StatusOK, Produces: "text/calendar", handler: s.eventICS},
		endpoint(get, "/feeds/unread", "Publications non lues par fil", s.feedsUnread, under("feeds")),
		endpoint(get, "/me/calendar", "Mon agenda privé : actif, depuis quand", s.calendarFeed),
		endpoint(post, "/me/calendar", "Créer (ou remplacer) l'adresse de mon agenda privé", s.rotateCalendar, created),
		endpoint(del, "/me/calendar", "Révoquer l'adresse de mon agenda privé", s.revokeCalendar),
		{Method: get, Path: "/calendar/:token", Summary: "Agenda privé (iCalendar) : le jeton seul l'autorise", Status: fiber.StatusOK, Produces: "text/calendar", handler: s.calendarByToken},
		{Method: get, Path: "/openapi.json", Summary: "Ce document", Status: fiber.StatusOK, handler: s.openAPI},
	}
}
