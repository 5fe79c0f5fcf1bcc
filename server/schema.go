package server

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/filetype"
	"github.com/ecpts/ecpts/internal/model"
)

// The JSON schemas of openapi.json, derived from the Go request and response
// types by reflection, the way encoding/json sees them:
//
//   - a field is required unless tagged omitempty (or omitzero);
//   - a pointer, slice or map that is not omitempty may be null (a nil
//     slice is encoded as null);
//   - embedded structs are flattened; json:"-" and unexported fields skipped;
//   - time.Time is a date-time string; the typed ids carry their pattern;
//   - a string type with a fixed set of values (enums) is an enum;
//   - a field's openapi tag says what its type cannot: openapi:"enum=a|b"
//     narrows a string to those values, openapi:"nonnull" marks a slice,
//     map or pointer the code never leaves nil;
//   - a named struct or enum type is a component, named after the Go type
//     (a core "…View" suffix dropped); request types are strict
//     (additionalProperties false, as decode refuses unknown fields).
//
// Two types with the same component name make schemaSet panic: the test
// that builds the document then fails.

const idPattern = `^[0-9a-f]{24}$`

// patterns of the typed ids.
var patterns = map[reflect.Type]string{
	reflect.TypeFor[model.UserID]():    idPattern,
	reflect.TypeFor[model.CPTSID]():    idPattern,
	reflect.TypeFor[model.GroupID]():   idPattern,
	reflect.TypeFor[model.ChannelID](): idPattern,
	reflect.TypeFor[model.MessageID](): `^[0-9a-f]{24}-[0-9]{10}$`,
	reflect.TypeFor[model.FileID]():    idPattern,
}

// enums are the string types with a fixed set of values.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[model.Role]():             values(model.Roles...),
	reflect.TypeFor[model.MembershipStatus](): values(model.StatusPending, model.StatusActive),
	reflect.TypeFor[model.ChannelKind]():      values(model.KindStandard, model.KindAnnouncement, model.KindDirect),
	reflect.TypeFor[model.Visibility]():       values(model.VisibilityPublic, model.VisibilityPrivate),
	reflect.TypeFor[model.Mission]():          missionCodes(),
	reflect.TypeFor[model.Profession]():       professionCodes(),
	reflect.TypeFor[model.TitleForm]():        values(model.TitleFeminine, model.TitleMasculine, model.TitleInclusive),
	reflect.TypeFor[model.AuditAction](): values(model.AuditCPTSCreated, model.AuditInvitationCreated, model.AuditInvitationRevoked,
		model.AuditInvitationAccepted, model.AuditMemberValidated, model.AuditMemberRefused, model.AuditMemberRemoved,
		model.AuditMemberLeft, model.AuditRoleChanged, model.AuditGroupMemberAdded, model.AuditGroupMemberRemoved,
		model.AuditCPTSUpdated, model.AuditAdminCreated),
	reflect.TypeFor[filetype.Kind](): values(filetype.KindImage, filetype.KindPDF, filetype.KindText, filetype.KindDocument),
	reflect.TypeFor[core.PostRefusal](): values(core.RefusedArchived, core.RefusedNotMember, core.RefusedReadOnly,
		core.RefusedAnnouncementOnly, core.RefusedForbidden),
}

func values[T ~string](vs ...T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func missionCodes() []string {
	var out []string
	for _, m := range model.Missions {
		out = append(out, string(m.Code))
	}
	return out
}

func professionCodes() []string {
	var out []string
	for _, p := range model.Professions {
		out = append(out, string(p.Code))
	}
	return out
}

// schemaSet collects the components while it derives schemas.
type schemaSet struct {
	defs   obj
	owner  map[string]reflect.Type
	strict map[string]bool
}

func newSchemaSet() *schemaSet {
	return &schemaSet{defs: obj{}, owner: map[string]reflect.Type{}, strict: map[string]bool{}}
}

// componentName is the name of t's component.
func componentName(t reflect.Type) string {
	n := strings.TrimSuffix(t.Name(), "View")
	r, size := utf8.DecodeRuneInString(n)
	return string(unicode.ToUpper(r)) + n[size:]
}

// of returns the schema of t: a reference for a named struct or an enum,
// inline otherwise. strict marks request types.
func (s *schemaSet) of(t reflect.Type, strict bool) obj {
	if p, ok := patterns[t]; ok {
		return obj{"type": "string", "pattern": p}
	}
	if vs, ok := enums[t]; ok {
		return s.component(t, strict, func() obj { return obj{"type": "string", "enum": vs} })
	}
	if t == reflect.TypeFor[time.Time]() {
		return obj{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.String:
		return obj{"type": "string"}
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return obj{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return obj{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return obj{"type": "number"}
	case reflect.Pointer:
		return s.of(t.Elem(), strict)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return obj{"type": "string", "contentEncoding": "base64"}
		}
		return obj{"type": "array", "items": s.of(t.Elem(), strict)}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			panic("openapi: map key of " + t.String() + " is not a string")
		}
		return obj{"type": "object", "additionalProperties": s.of(t.Elem(), strict)}
	case reflect.Struct:
		if t.Name() == "" {
			return s.object(t, strict)
		}
		return s.component(t, strict, func() obj { return s.object(t, strict) })
	case reflect.Interface:
		return obj{}
	}
	panic("openapi: no schema for " + t.String())
}

// component defines t's component once and returns a reference to it.
func (s *schemaSet) component(t reflect.Type, strict bool, build func() obj) obj {
	name := componentName(t)
	ref := obj{"$ref": "#/components/schemas/" + name}
	if prev, ok := s.owner[name]; ok {
		if prev != t {
			panic(fmt.Sprintf("openapi: %v and %v are both named %s", prev, t, name))
		}
		if s.strict[name] != strict && t.Kind() == reflect.Struct {
			panic(fmt.Sprintf("openapi: %v is both a request and a response type", t))
		}
		return ref
	}
	s.owner[name], s.strict[name] = t, strict
	s.defs[name] = obj{} // placeholder: recursive types end here
	s.defs[name] = build()
	return ref
}

// object is a struct's schema: its JSON fields, embedded structs
// flattened.
func (s *schemaSet) object(t reflect.Type, strict bool) obj {
	props, required := obj{}, []string{}
	s.fields(t, strict, props, &required)
	o := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	if strict {
		o["additionalProperties"] = false
	}
	return o
}

func (s *schemaSet) fields(t reflect.Type, strict bool, props obj, required *[]string) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				s.fields(ft, strict, props, required)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := props[name]; dup {
			panic(fmt.Sprintf("openapi: %v has two fields named %q", t, name))
		}
		optional := slices.Contains(strings.Split(opts, ","), "omitempty") || slices.Contains(strings.Split(opts, ","), "omitzero")
		sch := s.of(ft, strict)
		nonnull := false
		for _, o := range strings.Split(f.Tag.Get("openapi"), ",") {
			switch key, val, _ := strings.Cut(o, "="); key {
			case "":
			case "enum":
				sch = s.narrow(t, f, strings.Split(val, "|"))
			case "nonnull":
				nonnull = true
			default:
				panic(fmt.Sprintf("openapi: %v.%s: unknown openapi tag %q", t, f.Name, o))
			}
		}
		if !optional {
			*required = append(*required, name)
			switch ft.Kind() {
			case reflect.Pointer, reflect.Slice, reflect.Map:
				if !nonnull {
					sch = nullable(sch)
				}
			}
		}
		props[name] = sch
	}
}

// narrow is the schema of a string field tagged openapi:"enum=a|b": those
// values, which must be values of the field's own enum type when it has one.
func (s *schemaSet) narrow(t reflect.Type, f reflect.StructField, vs []string) obj {
	if f.Type.Kind() != reflect.String {
		panic(fmt.Sprintf("openapi: %v.%s: enum tag on a %v", t, f.Name, f.Type))
	}
	if all, ok := enums[f.Type]; ok {
		for _, v := range vs {
			if !slices.Contains(all, v) {
				panic(fmt.Sprintf("openapi: %v.%s: %q is not a %v", t, f.Name, v, f.Type))
			}
		}
	}
	return obj{"type": "string", "enum": vs}
}

// nullable lets a schema be null as well.
func nullable(sch obj) obj {
	if typ, ok := sch["type"].(string); ok && sch["enum"] == nil {
		out := obj{}
		for k, v := range sch {
			out[k] = v
		}
		out["type"] = []string{typ, "null"}
		return out
	}
	return obj{"anyOf": []obj{sch, {"type": "null"}}}
}

// envelope is the schema of {key: value of t}, a route's result sent
// under its key (see under).
func (s *schemaSet) envelope(key string, t reflect.Type) obj {
	sch := s.of(t, false)
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		sch = nullable(sch)
	}
	return obj{"type": "object", "properties": obj{key: sch}, "required": []string{key}}
}
