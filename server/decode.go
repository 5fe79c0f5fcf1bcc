package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/gofiber/fiber/v2"
)

// decode reads a JSON body strictly: unknown fields, trailing data, wrong
// types and malformed JSON each get their own clear error. encoding/json
// copies strings, so the result does not alias Fiber's buffers.
func decode(c *fiber.Ctx, dst any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return model.Invalid("", "invalid_json", "Le corps de la requête est vide : un objet JSON est attendu.")
	}
	if ct := c.Get(fiber.HeaderContentType); ct != "" && !strings.HasPrefix(strings.ToLower(ct), fiber.MIMEApplicationJSON) {
		return fiber.ErrUnsupportedMediaType
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return model.Invalid("", "invalid_json", "Le corps de la requête contient des données après l’objet JSON.")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return model.Invalid("", "invalid_json", "JSON mal formé (position "+strconv.FormatInt(syn.Offset, 10)+").")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return model.Invalid("", "invalid_json", "Un objet JSON est attendu.")
		}
		return model.Invalid(field, "invalid_type", "Le champ « "+field+" » n’a pas le bon type ("+frenchType(typ.Type.Kind().String())+" attendu).")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return model.Invalid(field, "unknown_field", "Champ inconnu : « "+field+" ».")
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return model.Invalid("", "invalid_json", "JSON incomplet.")
	}
	return model.Invalid("", "invalid_json", "JSON mal formé.")
}

func frenchType(kind string) string {
	switch kind {
	case "string":
		return "texte"
	case "bool":
		return "booléen"
	case "slice", "array":
		return "liste"
	case "struct", "map":
		return "objet"
	}
	return "nombre"
}
