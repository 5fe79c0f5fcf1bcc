package server

import (
	_ "embed"
	"encoding/json"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// openAPIDocument is the committed description of the REST API. It is
// generated from apiRoutes() — paths from the table, schemas from each
// route's Go request and response types (schema.go) — by
// `go test ./server -run TestOpenAPI -update`; the same test fails when
// the committed file drifts from the routes or the types. The UI's types
// (frontend/src/lib/api-types.ts) are generated from it.
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

// buildOpenAPI renders the document from the route table.
func buildOpenAPI(routes []route) ([]byte, error) {
	set := newSchemaSet()
	paths := obj{}
	jsonBody := func(sch obj) obj { return obj{"application/json": obj{"schema": sch}} }
	errResp := obj{"description": "Erreur ({\"error\":{\"code\",\"message\"}})", "content": jsonBody(set.of(reflect.TypeFor[errorBody](), false))}
	for _, r := range routes {
		p := "/api/v1" + paramPattern.ReplaceAllString(r.Path, "{$1}")
		op := obj{"summary": r.Summary, "operationId": strings.ToLower(r.Method) + strings.NewReplacer("/", "_", ":", "", ".", "_", "-", "_").Replace(r.Path)}
		var params []obj
		for _, m := range paramPattern.FindAllStringSubmatch(r.Path, -1) {
			params = append(params, obj{"name": m[1], "in": "path", "required": true, "schema": obj{"type": "string"}})
		}
		for _, q := range r.Query {
			param := obj{"name": q, "in": "query", "required": false, "schema": obj{"type": "string"}}
			if d := r.QueryDoc[q]; d != "" {
				param["description"] = d
			}
			params = append(params, param)
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if r.Req != nil {
			op["requestBody"] = obj{"required": !r.ReqOpt, "content": jsonBody(set.of(r.Req, true))}
		}
		if r.Multipart {
			id := obj{"type": "string", "pattern": idPattern}
			op["requestBody"] = obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": obj{
				"type": "object", "required": []string{"file"}, "additionalProperties": false,
				"properties": obj{"cpts_id": id, "group_id": id, "channel_id": id, "conversation_id": id,
					"file": obj{"type": "string", "format": "binary"}},
			}}}}
		}
		responses := obj{"default": errResp}
		switch {
		case r.Resp != nil:
			sch := set.of(r.Resp, false)
			if r.Key != "" {
				sch = set.envelope(r.Key, r.Resp)
			}
			responses[strconv.Itoa(r.Status)] = obj{"description": "Succès", "content": jsonBody(sch)}
			if r.Resp.Implements(reflect.TypeFor[repeatable]()) {
				responses["200"] = obj{"description": "Déjà fait (requête répétée)", "content": jsonBody(sch)}
			}
		case r.Binary:
			responses[strconv.Itoa(r.Status)] = obj{"description": "Le fichier", "content": obj{"application/octet-stream": obj{"schema": obj{"type": "string", "format": "binary"}}}}
			responses["206"] = obj{"description": "Une plage d'octets du fichier (Range)"}
			responses["304"] = obj{"description": "Inchangé (If-None-Match)"}
		case r.Produces != "":
			responses[strconv.Itoa(r.Status)] = obj{"description": "Succès", "content": obj{r.Produces: obj{"schema": obj{"type": "string"}}}}
		case r.Status == fiber.StatusNoContent:
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
			"schemas":         set.defs,
			"securitySchemes": obj{"session": obj{"type": "apiKey", "in": "cookie", "name": SessionCookie}},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}
