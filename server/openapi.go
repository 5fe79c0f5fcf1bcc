package server

import (
	_ "embed"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// openAPIDocument is the committed description of the REST API. It is
// generated from apiRoutes() and schemas below by
// `go test ./server -run TestOpenAPI -update`; the same test fails when
// the committed file and the routes drift apart.
//
//go:embed openapi.json
var openAPIDocument []byte

func (s *Server) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(openAPIDocument)
}

var paramPattern = regexp.MustCompile(`:([a-z_]+)`)

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func str() obj             { return obj{"type": "string"} }
func arr(items obj) obj    { return obj{"type": "array", "items": items} }
func boolean() obj         { return obj{"type": "boolean"} }
func enum(v ...string) obj { return obj{"type": "string", "enum": v} }
func object(required []string, props obj) obj {
	o := obj{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// schemas of request and response bodies, by name.
func schemas() obj {
	id := obj{"type": "string", "pattern": "^[0-9a-f]{24}$"}
	role := enum("coordinateur", "membre", "partenaire")
	// Why can_post is false (absent when it is true): core.PostRefusal.
	postRefusal := enum("archived", "not_member", "read_only", "announcement_only", "forbidden")
	user := obj{"type": "object", "properties": obj{
		"id": id, "email": str(), "name": str(), "profession": str(), "profession_label": str(),
		"rpps": str(), "adeli": str(), "commune": str(), "admin": boolean(), "created_at": str(),
	}}
	member := obj{"type": "object", "properties": obj{"user": ref("User"), "role": role, "status": enum("pending", "active"), "created_at": str()}}
	cpts := obj{"type": "object", "properties": obj{
		"id": id, "name": str(), "department": str(), "communes": arr(str()), "status": str(),
		"missions": arr(str()), "my_role": role, "my_status": str(), "can_manage": boolean(), "created_at": str(),
	}}
	group := obj{"type": "object", "properties": obj{
		"id": id, "name": str(), "description": str(), "owner_cpts_id": id, "cpts_ids": arr(id),
		"cpts":       arr(obj{"type": "object", "properties": obj{"id": id, "name": str()}}),
		"inter_cpts": boolean(), "my_role": role, "can_manage": boolean(), "created_by": id, "created_at": str(),
	}}
	channel := obj{"type": "object", "properties": obj{
		"id": id, "name": str(), "topic": str(), "kind": enum("standard", "announcement", "direct"),
		"visibility": enum("public", "private"), "cpts_id": id, "group_id": id, "archived": boolean(),
		"member": boolean(), "can_post": boolean(), "post_refusal": postRefusal, "can_manage": boolean(), "created_by": id, "created_at": str(),
	}}
	invitation := obj{"type": "object", "properties": obj{"id": id, "email": str(), "cpts_id": id, "role": role, "created_at": str(), "expires_at": str()}}
	wrap := func(key string, o obj) obj { return obj{"type": "object", "properties": obj{key: o}} }
	return obj{
		"Error": obj{"type": "object", "required": []string{"error"}, "properties": obj{"error": obj{
			"type": "object", "required": []string{"code", "message"},
			"properties": obj{"code": str(), "message": str(), "field": str()},
		}}},
		"User": user, "Member": member, "CPTS": cpts, "Group": group, "Channel": channel, "Invitation": invitation,
		"Meta":               obj{"type": "object", "properties": obj{"professions": arr(obj{"type": "object"}), "missions": arr(obj{"type": "object"}), "roles": arr(obj{"type": "object"})}},
		"LoginRequest":       object([]string{"email", "password"}, obj{"email": str(), "password": str()}),
		"LoginResponse":      obj{"type": "object", "properties": obj{"user": ref("User"), "csrf_token": str()}},
		"Me":                 obj{"type": "object", "properties": obj{"user": ref("User"), "csrf_token": str(), "memberships": arr(obj{"type": "object", "properties": obj{"cpts_id": id, "cpts_name": str(), "role": role, "status": str()}})}},
		"ProfilePatch":       object(nil, obj{"name": str(), "profession": str(), "rpps": str(), "adeli": str(), "commune": str()}),
		"UserResponse":       wrap("user", ref("User")),
		"PasswordChange":     object([]string{"current_password", "new_password"}, obj{"current_password": str(), "new_password": str()}),
		"CPTSList":           wrap("cpts", arr(ref("CPTS"))),
		"CPTSCatalog":        wrap("cpts", arr(obj{"type": "object", "properties": obj{"id": id, "name": str(), "department": str()}})),
		"CPTSCreate":         object([]string{"name", "department"}, obj{"name": str(), "department": str(), "communes": arr(str()), "missions": arr(str())}),
		"CPTSResponse":       wrap("cpts", ref("CPTS")),
		"Members":            wrap("members", arr(ref("Member"))),
		"MemberResponse":     wrap("member", ref("Member")),
		"RolePatch":          object([]string{"role"}, obj{"role": role}),
		"Invitations":        wrap("invitations", arr(ref("Invitation"))),
		"InvitationCreate":   object([]string{"email", "role"}, obj{"email": str(), "role": role}),
		"InvitationResponse": wrap("invitation", ref("Invitation")),
		"InvitationInfo":     obj{"type": "object", "properties": obj{"email": str(), "cpts_name": str(), "role": role, "invited_by_name": str(), "expires_at": str(), "existing_account": boolean()}},
		"InvitationAccept":   object(nil, obj{"name": str(), "profession": str(), "rpps": str(), "adeli": str(), "commune": str(), "password": str()}),
		"InvitationAccepted": obj{"type": "object", "properties": obj{"user": ref("User"), "csrf_token": str(), "membership": obj{"type": "object"}}},
		"Groups":             wrap("groups", arr(ref("Group"))),
		"GroupCreate":        object([]string{"name", "cpts_id"}, obj{"name": str(), "description": str(), "cpts_id": id, "invited_cpts_ids": arr(id)}),
		"GroupResponse":      wrap("group", ref("Group")),
		"GroupPatch":         object(nil, obj{"name": str(), "description": str()}),
		"GroupCPTS":          object([]string{"cpts_id"}, obj{"cpts_id": id}),
		"GroupMemberAdd":     object([]string{"user_id"}, obj{"user_id": id, "role": enum("coordinateur", "membre")}),
		"Channels":           wrap("channels", arr(ref("Channel"))),
		"ChannelCreate":      object([]string{"name"}, obj{"name": str(), "topic": str(), "cpts_id": id, "group_id": id, "visibility": enum("public", "private"), "kind": enum("standard", "announcement")}),
		"ChannelResponse":    wrap("channel", ref("Channel")),
		"ChannelPatch":       object(nil, obj{"name": str(), "topic": str(), "archived": boolean()}),
		"ChannelMemberAdd":   object([]string{"user_id"}, obj{"user_id": id}),
		"Message": obj{"type": "object", "properties": obj{
			"id": str(), "channel_id": id, "seq": obj{"type": "integer"}, "author_id": id,
			"author": obj{"type": "object", "properties": obj{"id": id, "name": str(), "profession": str(), "profession_label": str(), "commune": str()}},
			"body":   str(), "html": str(), "thread_id": str(), "client_id": str(), "created_at": str(), "edited_at": str(),
			"deleted": boolean(), "reply_count": obj{"type": "integer"}, "last_reply_at": str(),
			"reactions": arr(obj{"type": "object", "properties": obj{"emoji": str(), "count": obj{"type": "integer"}, "user_ids": arr(id)}}),
			"mentions":  arr(id), "mention_channel": boolean(),
		}},
		"Messages":             obj{"type": "object", "properties": obj{"messages": arr(ref("Message")), "last_seq": obj{"type": "integer"}}},
		"MessagePost":          object([]string{"body", "client_id"}, obj{"body": str(), "client_id": str(), "thread_id": str()}),
		"MessagePatch":         object([]string{"body"}, obj{"body": str()}),
		"MessageResponse":      wrap("message", ref("Message")),
		"EditHistory":          wrap("edits", arr(obj{"type": "object", "properties": obj{"body": str(), "edited_at": str()}})),
		"Thread":               obj{"type": "object", "properties": obj{"root": ref("Message"), "replies": arr(ref("Message")), "following": boolean()}},
		"SeqBody":              object([]string{"seq"}, obj{"seq": obj{"type": "integer", "minimum": 0}}),
		"Unread":               obj{"type": "object", "properties": obj{"channels": arr(obj{"type": "object"}), "threads": arr(obj{"type": "object"})}},
		"Threads":              wrap("threads", arr(obj{"type": "object", "properties": obj{"root": ref("Message"), "unread": obj{"type": "integer"}, "reply_count": obj{"type": "integer"}, "last_reply_at": str()}})),
		"Conversation":         obj{"type": "object", "properties": obj{"id": id, "kind": str(), "name": str(), "participants": arr(ref("User")), "last_seq": obj{"type": "integer"}, "created_at": str(), "can_post": boolean(), "post_refusal": postRefusal}},
		"Conversations":        wrap("conversations", arr(ref("Conversation"))),
		"ConversationOpen":     object([]string{"user_ids"}, obj{"user_ids": arr(id)}),
		"ConversationResponse": wrap("conversation", ref("Conversation")),
		"Presence":             wrap("online", arr(id)),
		"AuditPage": obj{"type": "object", "properties": obj{
			"entries": arr(obj{"type": "object", "properties": obj{
				"id": id, "at": str(), "actor_id": id, "action": enum("cpts_created", "invitation_created", "invitation_revoked",
					"invitation_accepted", "member_validated", "member_refused", "member_removed", "member_left", "role_changed",
					"group_member_added", "group_member_removed"),
				"cpts_id": id, "group_id": id, "target_id": id, "invitation_id": id, "role": role,
			}}),
			"next": id,
		}},
		"Directory": wrap("members", arr(obj{"type": "object", "properties": obj{
			"id": id, "name": str(), "profession": str(), "profession_label": str(), "commune": str(),
			"cpts": arr(obj{"type": "object", "properties": obj{"id": id, "name": str(), "role": role}}),
		}})),
	}
}

// buildOpenAPI renders the document from the route table.
func buildOpenAPI(routes []route) ([]byte, error) {
	paths := obj{}
	errResp := func(desc string) obj {
		return obj{"description": desc, "content": obj{"application/json": obj{"schema": ref("Error")}}}
	}
	for _, r := range routes {
		p := "/api/v1" + paramPattern.ReplaceAllString(r.Path, "{$1}")
		op := obj{"summary": r.Summary, "operationId": strings.ToLower(r.Method) + strings.NewReplacer("/", "_", ":", "", ".", "_", "-", "_").Replace(r.Path)}
		var params []obj
		for _, m := range paramPattern.FindAllStringSubmatch(r.Path, -1) {
			params = append(params, obj{"name": m[1], "in": "path", "required": true, "schema": str()})
		}
		for _, q := range r.Query {
			params = append(params, obj{"name": q, "in": "query", "required": false, "schema": str()})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if r.Req != "" {
			op["requestBody"] = obj{"required": true, "content": obj{"application/json": obj{"schema": ref(r.Req)}}}
		}
		responses := obj{"default": errResp("Erreur ({\"error\":{\"code\",\"message\"}})")}
		switch {
		case r.Resp != "":
			responses[strconv.Itoa(r.Status)] = obj{"description": "Succès", "content": obj{"application/json": obj{"schema": ref(r.Resp)}}}
		case r.Status == 204:
			responses["204"] = obj{"description": "Fait"}
		default:
			responses[strconv.Itoa(r.Status)] = obj{"description": "Succès"}
		}
		op["responses"] = responses
		if r.Auth {
			op["security"] = []obj{{"session": []string{}}}
		}
		item, _ := paths[p].(obj)
		if item == nil {
			item = obj{}
		}
		item[strings.ToLower(r.Method)] = op
		paths[p] = item
	}
	doc := obj{
		"openapi": "3.1.0",
		"info": obj{
			"title": "e-CPTS API", "version": "1",
			"description": "API REST d'e-CPTS. Les méthodes non sûres d'une session exigent l'en-tête X-CSRF-Token. " +
				"Les erreurs ont toujours la forme {\"error\":{\"code\":\"…\",\"message\":\"…\"}}.",
		},
		"paths": paths,
		"components": obj{
			"schemas":         schemas(),
			"securitySchemes": obj{"session": obj{"type": "apiKey", "in": "cookie", "name": SessionCookie}},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}
