package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Every answer the server tests get from /api/v1 is checked against
// openapi.json (harness.doWith calls conformErr): the schemas derived from
// the Go types must describe the JSON the server really writes — no field
// missing that they require, none they do not name, the right types,
// enums and patterns. The UI's types are generated from the same document.

type apiDoc struct {
	Paths      map[string]map[string]apiOp `json:"paths"`
	Components struct {
		Schemas map[string]any `json:"schemas"`
	} `json:"components"`
}

type apiOp struct {
	Responses map[string]apiResponse `json:"responses"`
}

type apiResponse struct {
	Content map[string]struct {
		Schema any `json:"schema"`
	} `json:"content"`
}

type apiRoute struct {
	method string
	re     *regexp.Regexp
	params int
	op     apiOp
}

var (
	docOnce   sync.Once
	docParsed apiDoc
	docRoutes []apiRoute
)

func loadDoc() {
	if err := json.Unmarshal(openAPIDocument, &docParsed); err != nil {
		panic(err)
	}
	for p, ops := range docParsed.Paths {
		segs := strings.Split(p, "/")
		for i, s := range segs {
			if strings.HasPrefix(s, "{") {
				segs[i] = `[^/]+`
			} else {
				segs[i] = regexp.QuoteMeta(s)
			}
		}
		re := regexp.MustCompile("^" + strings.Join(segs, "/") + "$")
		for m, op := range ops {
			docRoutes = append(docRoutes, apiRoute{strings.ToUpper(m), re, strings.Count(p, "{"), op})
		}
	}
	// A literal segment wins over a parameter (/cpts/catalog, /cpts/{id}).
	slices.SortFunc(docRoutes, func(a, b apiRoute) int { return a.params - b.params })
}

// conformErr says how an answer to method target differs from what
// openapi.json documents; nil when it conforms or is not an API answer.
func conformErr(method, target string, res *http.Response, body string) error {
	docOnce.Do(loadDoc)
	u, err := url.Parse(target)
	if err != nil || !strings.HasPrefix(u.Path, "/api/v1/") || res.StatusCode == http.StatusNoContent {
		return nil
	}
	var op *apiOp
	for i := range docRoutes {
		if docRoutes[i].method == method && docRoutes[i].re.MatchString(u.Path) {
			op = &docRoutes[i].op
			break
		}
	}
	var resp apiResponse
	ok := false
	if op != nil {
		resp, ok = op.Responses[strconv.Itoa(res.StatusCode)]
		if !ok && res.StatusCode >= 400 {
			resp, ok = op.Responses["default"]
		}
	} else if res.StatusCode >= 400 {
		// No such route: the error handler's answer.
		return conformBody(map[string]any{"$ref": "#/components/schemas/ErrorBody"}, body)
	}
	if !ok {
		return fmt.Errorf("%s %s: status %d is not documented", method, u.Path, res.StatusCode)
	}
	media, ok := resp.Content["application/json"]
	if !ok {
		return nil // documented without a body (openapi.json itself)
	}
	return conformBody(media.Schema, body)
}

func conformBody(schema any, body string) error {
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	return conforms(schema, v, "$")
}

// conforms checks v against the subset of JSON Schema schema.go writes.
// An object is closed: a property the schema does not name is an error.
func conforms(schema any, v any, at string) error {
	s, _ := schema.(map[string]any)
	if ref, ok := s["$ref"].(string); ok {
		return conforms(docParsed.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")], v, at)
	}
	if alts, ok := s["anyOf"].([]any); ok {
		var errs []string
		for _, alt := range alts {
			err := conforms(alt, v, at)
			if err == nil {
				return nil
			}
			errs = append(errs, err.Error())
		}
		return fmt.Errorf("%s: none of anyOf: %s", at, strings.Join(errs, "; "))
	}
	if types, ok := s["type"]; ok {
		var allowed []string
		switch t := types.(type) {
		case string:
			allowed = []string{t}
		case []any:
			for _, x := range t {
				allowed = append(allowed, x.(string))
			}
		}
		if got := jsonType(v); !slices.Contains(allowed, got) && !(got == "integer" && slices.Contains(allowed, "number")) {
			return fmt.Errorf("%s: %s, want %v", at, got, allowed)
		}
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		return fmt.Errorf("%s: %v is not one of %v", at, v, enum)
	}
	switch x := v.(type) {
	case string:
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(x) {
			return fmt.Errorf("%s: %q does not match %s", at, x, p)
		}
		if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
				return fmt.Errorf("%s: %q is not a date-time", at, x)
			}
		}
	case float64:
		if m, ok := s["minimum"].(float64); ok && x < m {
			return fmt.Errorf("%s: %v < %v", at, x, m)
		}
	case []any:
		for i, item := range x {
			if err := conforms(s["items"], item, at+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		required, _ := s["required"].([]any)
		for _, r := range required {
			if _, ok := x[r.(string)]; !ok {
				return fmt.Errorf("%s: required %q missing", at, r)
			}
		}
		for k, val := range x {
			sub, named := props[k]
			if !named {
				extra, isSchema := s["additionalProperties"].(map[string]any)
				if !isSchema {
					return fmt.Errorf("%s: %q is not in the schema", at, k)
				}
				sub = extra
			}
			if err := conforms(sub, val, at+"."+k); err != nil {
				return err
			}
		}
	}
	return nil
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
