package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ecpts/ecpts/internal/blob"
	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/filetype"
	"github.com/ecpts/ecpts/internal/model"
)

// Files over HTTP.
//
// POST /api/v1/files takes multipart/form-data: the place fields first
// (cpts_id, group_id, channel_id or conversation_id: one of them), then the
// part "file". The body is streamed (fiber.Config.StreamRequestBody): the
// file goes from the socket to the blob store through core.Upload, never
// held whole in memory; a Content-Length past the limit is refused before
// anything is read (413), and so is the first byte past it.
//
// GET /api/v1/files/{id} (?thumb=1 for an image's thumbnail) is
// authorised on every request (core.OpenFile) and served with the
// allow-listed Content-Type, a Content-Disposition (inline only for images
// and PDF), X-Content-Type-Options: nosniff and a Content-Security-Policy
// that sandboxes the response (no script, whatever it is), an ETag (the
// content's SHA-256) and single byte ranges.

// multipartSlack is what a multipart envelope may add to the file itself
// (boundaries, part headers, the place field).
const multipartSlack = 64 << 10

// maxFieldBytes bounds a place field's value.
const maxFieldBytes = 128

var (
	errMultipart      = model.Invalid("file", "multipart_required", "Envoyez le fichier en multipart/form-data, dans le champ « file ».")
	errFileMissing    = model.Invalid("file", "file_missing", "Aucun fichier reçu (champ « file »).")
	errMultipartBroke = model.Invalid("file", "file_truncated", "Le fichier n'a pas été reçu en entier : renvoyez-le.")
)

// uploadResponse is the answer to an upload.
type uploadResponse struct {
	File core.FileView `json:"file"`
}

// isUpload reports the upload route, whose body is streamed and has its
// own limit.
func isUpload(c *fiber.Ctx) bool {
	return c.Method() == fiber.MethodPost && strings.TrimSuffix(c.Path(), "/") == "/api/v1/files"
}

// limitBody holds every other request to the JSON body limit. With
// StreamRequestBody, fasthttp reads at most bodyLimit bytes before calling
// the handler and leaves the rest on the socket: a larger body is refused
// (413) and the connection closed, since its rest was never read.
func (s *Server) limitBody(c *fiber.Ctx) error {
	if isUpload(c) {
		return c.Next()
	}
	n := c.Request().Header.ContentLength()
	switch {
	case n > bodyLimit:
		c.Context().SetConnectionClose()
		return fiber.ErrRequestEntityTooLarge
	case n == -1: // chunked: read it here, within the limit
		stream := c.Context().RequestBodyStream()
		if stream == nil {
			break
		}
		b, err := io.ReadAll(io.LimitReader(stream, bodyLimit+1))
		if err != nil {
			c.Context().SetConnectionClose()
			return fiber.ErrBadRequest
		}
		if len(b) > bodyLimit {
			c.Context().SetConnectionClose()
			return fiber.ErrRequestEntityTooLarge
		}
		c.Request().SetBodyRaw(b)
	}
	return c.Next()
}

// uploadFile is POST /api/v1/files.
func (s *Server) uploadFile(c *fiber.Ctx) (err error) {
	sess, _ := sessionOf(c)
	// Whatever happens before the body's end, the rest of it is still on
	// the socket: the connection cannot serve another request.
	done := false
	defer func() {
		if !done {
			c.Context().SetConnectionClose()
		}
	}()
	mt, ps, perr := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if perr != nil || mt != fiber.MIMEMultipartForm || ps["boundary"] == "" {
		return errMultipart
	}
	max := s.deps.Core.MaxUpload()
	if n := c.Request().Header.ContentLength(); n > 0 && int64(n) > max+multipartSlack {
		return &blob.TooLargeError{Limit: max}
	}
	stream := c.Context().RequestBodyStream()
	if stream == nil {
		return errMultipart
	}
	mr := multipart.NewReader(stream, ps["boundary"])
	var where core.FileWhere
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return errFileMissing
		}
		if err != nil {
			return errMultipartBroke
		}
		name := part.FormName()
		if name == "file" {
			if part.FileName() == "" {
				return errFileMissing
			}
			v, err := s.deps.Core.Upload(c.UserContext(), sess, where, part.FileName(), part)
			if err != nil {
				// A refusal (type, virus, place) before the body's end: read
				// the rest, within the limit, so that the browser gets the
				// answer rather than a reset connection.
				if !errors.Is(err, blob.ErrTooLarge) && !errors.Is(err, model.ErrTooLarge) {
					if _, derr := io.Copy(io.Discard, io.LimitReader(stream, max+multipartSlack)); derr == nil {
						done = true
					}
				}
				return err
			}
			// Read what follows (the closing boundary) so that the
			// connection can serve the next request; a long tail closes it.
			if n, err := io.Copy(io.Discard, io.LimitReader(stream, multipartSlack+1)); err == nil && n <= multipartSlack {
				done = true
			}
			return c.Status(fiber.StatusCreated).JSON(uploadResponse{File: v})
		}
		value, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
		if err != nil {
			return errMultipartBroke
		}
		if len(value) > maxFieldBytes {
			return model.Invalid(name, "invalid_"+name, "Identifiant non valide : « "+name+" ».")
		}
		id := strings.TrimSpace(string(value))
		if !model.ValidID(id) {
			switch name {
			case "cpts_id", "group_id", "channel_id", "conversation_id":
				return model.Invalid(name, "invalid_"+name, "Identifiant non valide : « "+name+" ».")
			}
		}
		switch name {
		case "cpts_id":
			where.CPTS = model.CPTSID(id)
		case "group_id":
			where.Group = model.GroupID(id)
		case "channel_id", "conversation_id":
			if where.Channel != "" {
				return model.Invalid(name, "file_where_required", "Indiquez où le fichier est déposé : une CPTS, un groupe ou un canal (un seul).")
			}
			where.Channel = model.ChannelID(id)
		default:
			return model.Invalid(name, "unknown_field", "Champ inconnu : « "+name+" ».")
		}
	}
}

// fileCSP sandboxes a download shown in the browser: no script, no form,
// no plugin, a unique origin; an image or a PDF displays, nothing runs.
const fileCSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"

// downloadFile is GET /api/v1/files/{id}.
func (s *Server) downloadFile(c *fiber.Ctx) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	sess, _ := sessionOf(c)
	thumb := false
	switch c.Query("thumb") {
	case "", "0", "false":
	case "1", "true":
		thumb = true
	default:
		return model.Invalid("thumb", "invalid_thumb", "Le paramètre « thumb » vaut 1 ou 0.")
	}
	dl, err := s.deps.Core.OpenFile(c.UserContext(), sess, model.FileID(p.id), thumb)
	if err != nil {
		return err
	}
	ct, cd := filetype.Headers(dl.ContentType, dl.Name)
	etag := `"` + dl.File.SHA256
	if thumb {
		etag += "-t"
	}
	etag += `"`
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderContentDisposition, cd)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Content-Security-Policy", fileCSP)
	c.Set("Cross-Origin-Resource-Policy", "same-origin")
	// Private to the user, and asked again each time: the right to read it
	// is checked on every request (an ETag makes that cheap).
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatch(inm, etag) {
		dl.Object.Close()
		return c.SendStatus(fiber.StatusNotModified)
	}
	size := dl.Object.Size()
	start, end, ranged, ok := parseRange(c.Get(fiber.HeaderRange), size)
	if ranged && (c.Get(fiber.HeaderIfRange) == "" || c.Get(fiber.HeaderIfRange) == etag) {
		if !ok {
			dl.Object.Close()
			c.Set(fiber.HeaderContentRange, "bytes */"+strconv.FormatInt(size, 10))
			return c.Status(fiber.StatusRequestedRangeNotSatisfiable).JSON(errorBody{apiError{Code: "invalid_range", Message: "Plage d'octets non valide."}})
		}
		if _, err := dl.Object.Seek(start, io.SeekStart); err != nil {
			dl.Object.Close()
			return fmt.Errorf("server: seek file: %w", err)
		}
		n := end - start + 1
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", start, end, size))
		c.Status(fiber.StatusPartialContent)
		c.Context().SetBodyStream(readCloser{io.LimitReader(dl.Object, n), dl.Object}, int(n))
		return nil
	}
	c.Status(fiber.StatusOK)
	c.Context().SetBodyStream(dl.Object, int(size))
	return nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "W/"))
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// parseRange reads a single "bytes=a-b", "bytes=a-" or "bytes=-n" range.
// ranged: a Range header was given in bytes; ok: it is satisfiable. A
// multi-range asks for the whole file (ranged false).
func parseRange(h string, size int64) (start, end int64, ranged, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, false
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, true, false
	}
	switch {
	case a == "":
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 || size == 0 {
			return 0, 0, true, false
		}
		return max(size-n, 0), size - 1, true, true
	default:
		s, err := strconv.ParseInt(a, 10, 64)
		if err != nil || s < 0 || s >= size {
			return 0, 0, true, false
		}
		e := size - 1
		if b != "" {
			v, err := strconv.ParseInt(b, 10, 64)
			if err != nil || v < s {
				return 0, 0, true, false
			}
			e = min(v, size-1)
		}
		return s, e, true, true
	}
}
