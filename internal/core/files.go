package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gabriel-vasile/mimetype"

	"github.com/ecpts/ecpts/internal/blob"
	"github.com/ecpts/ecpts/internal/clamav"
	"github.com/ecpts/ecpts/internal/filetype"
	"github.com/ecpts/ecpts/internal/images"
	"github.com/ecpts/ecpts/internal/model"
)

// Files: uploads, their attachment to messages, posts, protocol versions
// and materials, and their downloads.
//
// An upload goes, streaming, through these steps; any refusal or failure
// removes every byte stored so far (no orphan blob) and stores no
// metadata:
//
//  1. the first bytes are sniffed (filetype.Sniff): an executable, HTML or
//     SVG is refused before anything is stored;
//  2. the stream is stored in the blob store under its size limit
//     (blob.TooLargeError: file_too_large); a stream that breaks off (the
//     client went away, a truncated body) is file_truncated;
//  3. the whole stored file is checked (filetype.Check: zip directories,
//     macros);
//  4. when a scanner is configured, the file is scanned (ClamAV INSTREAM):
//     infected → file_infected, no verdict → scan_failed (never let
//     through);
//  5. an image is re-encoded without its metadata (EXIF: GPS position,
//     camera) and upright, and its thumbnail made (internal/images): what
//     is stored is the re-encoded image, never the upload;
//  6. the metadata is stored (store.Files), unattached.
//
// Then the uploader attaches it (AttachFiles, once, where it was uploaded)
// or it is removed by the orphan cleanup (CleanOrphans) after OrphanAge.
//
// Every download (OpenFile) is authorised on the request: an unattached
// file by its uploader only, an attached one by the read rule of what it
// is attached to (canReadAttachment).

// FileWhere is where a file is uploaded: exactly one of a CPTS, a group or
// a channel (a direct conversation is a channel). Attaching checks that
// the target lives there too.
type FileWhere struct {
	CPTS    model.CPTSID    `json:"cpts_id,omitempty"`
	Group   model.GroupID   `json:"group_id,omitempty"`
	Channel model.ChannelID `json:"channel_id,omitempty"`
}

func (w FileWhere) count() int {
	n := 0
	for _, s := range []string{string(w.CPTS), string(w.Group), string(w.Channel)} {
		if s != "" {
			n++
		}
	}
	return n
}

func (w FileWhere) of(f model.File) bool {
	return w.CPTS == f.CPTSID && w.Group == f.GroupID && w.Channel == f.ChannelID
}

// FileView is a file as clients see it: in message payloads, posts,
// protocol versions and materials, and as the answer to an upload.
type FileView struct {
	ID          model.FileID  `json:"id"`
	Name        string        `json:"name"`
	ContentType string        `json:"content_type"`
	Kind        filetype.Kind `json:"kind"` // image, pdf, text, document
	Size        int64         `json:"size"`
	// URL downloads the file; ThumbURL (images) its thumbnail.
	URL          string       `json:"url"`
	ThumbURL     string       `json:"thumb_url,omitempty"`
	HasThumbnail bool         `json:"has_thumbnail"`
	UploaderID   model.UserID `json:"uploader_id"`
	CreatedAt    time.Time    `json:"created_at"`
}

// FileViewOf is the view of f.
func FileViewOf(f model.File) FileView {
	v := FileView{
		ID: f.ID, Name: f.Name, ContentType: f.ContentType, Size: f.Size, HasThumbnail: f.HasThumbnail,
		URL: "/api/v1/files/" + string(f.ID), UploaderID: f.UploaderID, CreatedAt: f.CreatedAt,
		Kind: filetype.KindDocument,
	}
	if t, ok := filetype.Lookup(f.ContentType); ok {
		v.Kind = t.Kind
	}
	if f.HasThumbnail {
		v.ThumbURL = v.URL + "?thumb=1"
	}
	return v
}

// Errors of files, each with its own code.
var (
	errFileNotFound  = notFound("Ce fichier est introuvable.")
	errFileWhere     = model.Invalid("where", "file_where_required", "Indiquez où le fichier est déposé : une CPTS, un groupe ou un canal (un seul).")
	errFileTruncated = model.Invalid("file", "file_truncated", "Le fichier n'a pas été reçu en entier : renvoyez-le.")
	errFileName      = model.Invalid("name", "file_name_invalid", "Le nom du fichier est trop long.")
	errScanFailed    = model.Coded(model.ErrUpstream, "scan_failed", "L'analyse antivirus du fichier n'a pas pu être faite : réessayez plus tard.")
	errFileAttached  = model.InvalidAs(model.ErrConflict, "file_ids", "file_already_attached", "Ce fichier est déjà joint ailleurs : déposez-le de nouveau.")
	errFileElsewhere = model.Invalid("file_ids", "file_wrong_place", "Ce fichier a été déposé ailleurs : déposez-le ici.")
	errTooManyFiles  = model.Invalid("file_ids", "too_many_files", fmt.Sprintf("Au plus %d fichiers par envoi.", MaxFilesPerItem))
	errFileIDs       = model.Invalid("file_ids", "invalid_file_id", "Identifiant de fichier non valide.")
)

func errFileInfected(signature string) error {
	_ = signature // named in the log, not to the user
	return model.Invalid("file", "file_infected", "Ce fichier contient un virus ou un logiciel malveillant : il a été refusé.")
}

// MaxFilesPerItem bounds the files of one message, post, version or material.
const MaxFilesPerItem = 10

// DefaultOrphanAge is how long an unattached upload is kept before the
// cleanup removes it: time enough to finish writing a message or a
// protocol, and to send it again after a failure.
const DefaultOrphanAge = 24 * time.Hour

// maxNameInput bounds the name a client gives (SafeName then cuts it).
const maxNameInput = 1024

// files is what core needs for uploads.
type files struct {
	blobs     blob.Store
	images    *images.Processor
	scanner   clamav.Scanner // nil: not scanned
	maxUpload int64
	orphanAge time.Duration
}

func newFiles(d Deps) files {
	f := files{blobs: d.Blobs, images: d.Images, scanner: d.Scanner, maxUpload: d.MaxUpload, orphanAge: d.OrphanAge}
	if f.images == nil {
		f.images = images.New(images.Options{})
	}
	if f.maxUpload <= 0 {
		f.maxUpload = 25 << 20
	}
	if f.orphanAge <= 0 {
		f.orphanAge = DefaultOrphanAge
	}
	return f
}

// MaxUpload is the largest file accepted, in bytes.
func (c *Core) MaxUpload() int64 { return c.content.files.maxUpload }

func thumbID(id model.FileID) string { return string(id) + "-thumb" }
func origID(id model.FileID) string  { return string(id) + "-orig" }

// readWatch records the error of the upload's reader, to tell a broken
// stream (the client's fault) from a storage failure.
type readWatch struct {
	r   io.Reader
	err error
}

func (w *readWatch) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if err != nil && err != io.EOF {
		w.err = err
	}
	return n, err
}

// checkWhere authorises an upload where: the actor may post there.
func (c *Core) checkWhere(ctx context.Context, a *Actor, w FileWhere) error {
	if w.count() != 1 {
		return errFileWhere
	}
	switch {
	case w.Channel != "":
		ch, g, err := c.channel(ctx, a, w.Channel)
		if err != nil {
			return err
		}
		if err := c.loadPeers(ctx, a, ch); err != nil {
			return err
		}
		if r := a.PostRefusal(ch, g); r != PostAllowed {
			return postError(r)
		}
	case w.Group != "":
		g, err := c.st.Groups.ByID(ctx, w.Group)
		if isNotFound(err) || err == nil && !a.CanSeeGroup(g) {
			return errGroupNotFound
		}
		if err != nil {
			return fmt.Errorf("core: group %s: %w", w.Group, err)
		}
		if !a.CanUploadToGroup(g) {
			return errForbidden
		}
	default:
		if !a.CanSeeCPTS(w.CPTS) || !a.CanSeeCPTSMembers(w.CPTS) {
			return errCPTSNotFound
		}
		if !a.CanUploadToCPTS(w.CPTS) {
			return errForbidden
		}
	}
	return nil
}

// Upload stores the file read from r, named name, uploaded where, and
// returns its view. See the steps above. r is read to its end (or to the
// first byte past the limit); the caller closes it.
func (c *Core) Upload(ctx context.Context, s model.Session, where FileWhere, name string, r io.Reader) (FileView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return FileView{}, err
	}
	if c.content.files.blobs == nil {
		return FileView{}, model.Coded(model.ErrNotConfigured, "files_not_configured", "Le dépôt de fichiers n'est pas configuré sur ce serveur.")
	}
	if len(name) > maxNameInput {
		return FileView{}, errFileName
	}
	if err := c.checkWhere(ctx, a, where); err != nil {
		return FileView{}, err
	}
	f, err := c.store(ctx, a, where, name, r)
	if err != nil {
		return FileView{}, err
	}
	return FileViewOf(f), nil
}

// store runs the upload pipeline; on error nothing of it remains.
func (c *Core) store(ctx context.Context, a *Actor, where FileWhere, name string, r io.Reader) (f model.File, err error) {
	id := model.FileID(model.NewID())
	var stored []string // blob ids to remove on failure
	defer func() {
		if err == nil {
			return
		}
		// The request's context may be what ended: clean up regardless.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		for _, b := range stored {
			if derr := c.content.files.blobs.Delete(cctx, b); derr != nil && !errors.Is(derr, blob.ErrNotFound) {
				c.log.Error("remove refused upload", "blob", b, "err", derr)
			}
		}
	}()

	// 1. Sniff the first bytes.
	w := &readWatch{r: r}
	head := make([]byte, filetype.SniffLen)
	n, rerr := io.ReadFull(w, head)
	head = head[:n]
	if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
		return f, c.uploadReadError(ctx, w, rerr)
	}
	if w.err != nil {
		return f, c.uploadReadError(ctx, w, w.err)
	}
	if err := filetype.Sniff(head); err != nil {
		return f, err
	}
	image := false
	if t, ok := filetype.Lookup(mimetype.Detect(head).String()); ok && t.Kind == filetype.KindImage {
		image = true
	}

	// 2. Store the stream: an image under a temporary id (what is kept is
	// its re-encoding), anything else under its own.
	target := string(id)
	if image {
		target = origID(id)
	}
	info, err := c.content.files.blobs.Put(ctx, target, io.MultiReader(bytes.NewReader(head), w), c.content.files.maxUpload)
	if err != nil {
		if errors.Is(err, blob.ErrTooLarge) {
			return f, err
		}
		if w.err != nil || ctx.Err() != nil {
			return f, c.uploadReadError(ctx, w, cmpErr(w.err, ctx.Err()))
		}
		return f, fmt.Errorf("core: store upload: %w", err)
	}
	stored = append(stored, target)

	// 3. Check the whole file.
	obj, err := c.content.files.blobs.Open(ctx, target)
	if err != nil {
		return f, fmt.Errorf("core: open upload: %w", err)
	}
	defer obj.Close()
	t, err := filetype.Check(obj, obj.Size())
	if err != nil {
		return f, err
	}

	// 4. Scan.
	scan := model.ScanSkipped
	if c.content.files.scanner != nil {
		if _, err := obj.Seek(0, io.SeekStart); err != nil {
			return f, fmt.Errorf("core: rewind upload: %w", err)
		}
		clean, sig, err := c.content.files.scanner.Scan(ctx, obj)
		if err != nil {
			c.log.Error("virus scan failed", "file_id", id, "err", err)
			return f, errScanFailed
		}
		if !clean {
			c.log.Warn("upload refused: infected", "file_id", id, "uploader_id", a.ID(), "signature", sig)
			return f, errFileInfected(sig)
		}
		scan = model.ScanClean
	}

	// 5. Images: store the re-encoding and the thumbnail.
	hasThumb := false
	if t.Kind == filetype.KindImage {
		if !image {
			// Check saw an image the sniffing did not: refuse rather than
			// keep the bytes as uploaded.
			return f, model.Invalid("file", "image_invalid", "L'image est illisible ou endommagée.")
		}
		if _, err := obj.Seek(0, io.SeekStart); err != nil {
			return f, fmt.Errorf("core: rewind upload: %w", err)
		}
		res, err := c.content.files.images.Process(ctx, obj, t.MIME)
		if err != nil {
			return f, err
		}
		info, err = c.content.files.blobs.Put(ctx, string(id), bytes.NewReader(res.Image), blob.NoLimit)
		if err != nil {
			return f, fmt.Errorf("core: store image: %w", err)
		}
		stored = append(stored, string(id))
		if _, err := c.content.files.blobs.Put(ctx, thumbID(id), bytes.NewReader(res.Thumb), blob.NoLimit); err != nil {
			return f, fmt.Errorf("core: store thumbnail: %w", err)
		}
		stored = append(stored, thumbID(id))
		hasThumb = true
		if nt, ok := filetype.Lookup(res.ImageType); ok {
			t = nt
		}
	} else if image {
		return f, model.Invalid("file", "image_invalid", "L'image est illisible ou endommagée.")
	}

	// 6. The metadata.
	f = model.File{
		ID: id, UploaderID: a.ID(), Name: filetype.SafeName(name, t), ContentType: t.MIME, Size: info.Size, SHA256: info.SHA256,
		CreatedAt: c.now().UTC().Truncate(time.Millisecond), CPTSID: where.CPTS, GroupID: where.Group, ChannelID: where.Channel,
		HasThumbnail: hasThumb, Scan: scan,
	}
	f, err = c.st.Files.Insert(ctx, f)
	if err != nil {
		return f, fmt.Errorf("core: file metadata: %w", err)
	}
	if image {
		// The upload as sent (with its EXIF) goes; a failure here leaves
		// bytes nobody can reach, which is logged.
		obj.Close()
		if err := c.content.files.blobs.Delete(ctx, origID(id)); err != nil {
			c.log.Error("remove original of re-encoded image", "file_id", id, "err", err)
		}
	}
	return f, nil
}

func cmpErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// uploadReadError: the upload's stream broke off. The client's fault
// (file_truncated) unless the server is stopping.
func (c *Core) uploadReadError(ctx context.Context, w *readWatch, err error) error {
	var tl *blob.TooLargeError
	if errors.As(err, &tl) {
		return err
	}
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		return err // the HTTP layer's own refusal (e.g. a multipart error)
	}
	return errFileTruncated
}

// loadFiles reads the files of ids the actor may attach to att, living in
// where: their own uploads, unattached, made there. Duplicates are
// dropped; the order is kept.
func (c *Core) loadFiles(ctx context.Context, a *Actor, ids []model.FileID, where FileWhere) ([]model.File, error) {
	if len(ids) > MaxFilesPerItem {
		return nil, errTooManyFiles
	}
	seen := make(map[model.FileID]bool, len(ids))
	uniq := make([]model.FileID, 0, len(ids))
	for _, id := range ids {
		if !model.ValidID(string(id)) {
			return nil, errFileIDs
		}
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	fs, err := c.st.Files.ByIDs(ctx, uniq)
	if err != nil {
		return nil, fmt.Errorf("core: files: %w", err)
	}
	if len(fs) != len(uniq) {
		return nil, model.Invalid("file_ids", "file_not_found", "Un des fichiers joints est introuvable : déposez-le de nouveau.")
	}
	for _, f := range fs {
		switch {
		case f.UploaderID != a.ID():
			// Someone else's upload is not even known to exist.
			return nil, model.Invalid("file_ids", "file_not_found", "Un des fichiers joints est introuvable : déposez-le de nouveau.")
		case !a.CanAttachFile(f):
			return nil, errFileAttached
		case !where.of(f):
			return nil, errFileElsewhere
		}
	}
	return fs, nil
}

// AttachFiles attaches the actor's own unattached uploads ids, made in
// where, to att (a message, a post, a protocol version "<id>:<n>", a
// material): for the use cases that create those, after checking that
// the actor may create them there. It checks every file before
// attaching any; of two concurrent attachments of one file, one wins and
// the other gets file_already_attached. It returns the files, in the
// order of ids.
func (c *Core) AttachFiles(ctx context.Context, a *Actor, ids []model.FileID, att model.Attachment, where FileWhere) ([]model.File, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if !att.Kind.Valid() || att.ID == "" {
		return nil, fmt.Errorf("core: attach files: invalid target %q %q", att.Kind, att.ID)
	}
	fs, err := c.loadFiles(ctx, a, ids, where)
	if err != nil {
		return nil, err
	}
	if err := c.attachLoaded(ctx, fs, att); err != nil {
		return nil, err
	}
	return fs, nil
}

// attachLoaded attaches checked files; on a conflict it detaches those it
// attached, so that nothing is half-attached.
func (c *Core) attachLoaded(ctx context.Context, fs []model.File, att model.Attachment) error {
	if att.At.IsZero() {
		att.At = c.now().UTC().Truncate(time.Millisecond)
	}
	for i, f := range fs {
		err := c.st.Files.Attach(ctx, f.ID, att)
		if err == nil {
			fs[i].AttachedTo = &att
			continue
		}
		for _, done := range fs[:i] {
			if derr := c.st.Files.Detach(context.WithoutCancel(ctx), done.ID); derr != nil {
				c.log.Error("undo file attachment", "file_id", done.ID, "err", derr)
			}
		}
		if errors.Is(err, model.ErrConflict) {
			return errFileAttached
		}
		if isNotFound(err) {
			return model.Invalid("file_ids", "file_not_found", "Un des fichiers joints est introuvable : déposez-le de nouveau.")
		}
		return fmt.Errorf("core: attach file %s: %w", f.ID, err)
	}
	return nil
}

// DetachFiles detaches ids (what they were attached to is gone) and
// removes them at once, in the background: a deleted message's files are
// not kept until the orphan cleanup.
func (c *Core) DetachFiles(ctx context.Context, ids []model.FileID) {
	if len(ids) == 0 {
		return
	}
	c.later(ctx, func(ctx context.Context) {
		for _, id := range ids {
			if err := c.st.Files.Detach(ctx, id); err != nil {
				c.log.Error("detach file", "file_id", id, "err", err)
				continue
			}
			if _, err := c.removeFile(ctx, id); err != nil {
				c.log.Error("remove detached file", "file_id", id, "err", err)
			}
		}
	})
}

// attachmentReader answers whether the actor may read what a file is
// attached to (target: the attachment's id): nil, or an error (not found
// for what the actor may not know).
type attachmentReader func(c *Core, ctx context.Context, a *Actor, target string) error

// attachmentReaders holds the read rule of each attachment kind but
// messages (canReadAttachment has it), each registered by an init
// function beside its feature (posts.go, materials.go; protocol versions
// at the end of this file). A kind without a reader is denied.
var attachmentReaders = map[model.AttachmentKind]attachmentReader{}

// canReadAttachment: the actor may read what att is attached to.
func (c *Core) canReadAttachment(ctx context.Context, a *Actor, att model.Attachment) error {
	switch att.Kind {
	case model.AttachMessage:
		return c.canReadMessageAttachment(ctx, a, model.MessageID(att.ID))
	case model.AttachPost, model.AttachProtocolVersion, model.AttachMaterial:
		if r := attachmentReaders[att.Kind]; r != nil {
			return r(c, ctx, a, att.ID)
		}
	}
	return errFileNotFound
}

// canReadMessageAttachment: the channel or conversation read rule
// (CanSeeChannel), and the message is still there.
func (c *Core) canReadMessageAttachment(ctx context.Context, a *Actor, id model.MessageID) error {
	chID, _, ok := id.Parse()
	if !ok {
		return errFileNotFound
	}
	ch, _, err := c.channel(ctx, a, chID)
	if err != nil {
		return errFileNotFound
	}
	m, err := c.msgs.Get(ctx, ch, id)
	if err != nil || m.Deleted() {
		return errFileNotFound
	}
	return nil
}

// FileDownload is an opened file, authorised: its metadata, the bytes to
// send and how to send them. The caller closes Object.
type FileDownload struct {
	File        model.File
	Object      ObjectReader
	ContentType string // of what Object holds (the thumbnail's own type)
	Name        string
}

// ObjectReader is what a download streams (blob.Object).
type ObjectReader interface {
	io.ReadSeekCloser
	Size() int64
}

// OpenFile authorises (on every request) and opens file id, or its
// thumbnail. A file the actor may not read is not found.
func (c *Core) OpenFile(ctx context.Context, s model.Session, id model.FileID, thumb bool) (FileDownload, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return FileDownload{}, err
	}
	if c.content.files.blobs == nil {
		return FileDownload{}, errFileNotFound
	}
	f, err := c.st.Files.ByID(ctx, id)
	if isNotFound(err) {
		return FileDownload{}, errFileNotFound
	}
	if err != nil {
		return FileDownload{}, fmt.Errorf("core: file %s: %w", id, err)
	}
	if f.AttachedTo == nil {
		if !a.CanReadUnattachedFile(f) {
			return FileDownload{}, errFileNotFound
		}
	} else if err := c.canReadAttachment(ctx, a, *f.AttachedTo); err != nil {
		return FileDownload{}, err
	}
	key, ct, name := string(f.ID), f.ContentType, f.Name
	if thumb {
		if !f.HasThumbnail {
			return FileDownload{}, notFound("Ce fichier n'a pas de vignette.")
		}
		key = thumbID(f.ID)
	}
	obj, err := c.content.files.blobs.Open(ctx, key)
	if isNotFound(err) {
		return FileDownload{}, errFileNotFound
	}
	if err != nil {
		return FileDownload{}, fmt.Errorf("core: open file %s: %w", id, err)
	}
	if thumb {
		t, err := filetype.Check(obj, obj.Size())
		if err == nil {
			_, err = obj.Seek(0, io.SeekStart)
		}
		if err != nil {
			obj.Close()
			return FileDownload{}, fmt.Errorf("core: thumbnail of %s: %w", id, err)
		}
		ct = t.MIME
		base := strings.TrimSuffix(name, pathExt(name))
		name = filetype.SafeName(base+"-vignette", t)
	}
	return FileDownload{File: f, Object: obj, ContentType: ct, Name: name}, nil
}

func pathExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[i:]
	}
	return ""
}

// filesOf returns the views of the files of messages ms, by id (one read
// for the page).
func (c *Core) filesOf(ctx context.Context, ids []model.FileID) (map[model.FileID]FileView, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	fs, err := c.st.Files.ByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("core: files of messages: %w", err)
	}
	out := make(map[model.FileID]FileView, len(fs))
	for _, f := range fs {
		out[f.ID] = FileViewOf(f)
	}
	return out, nil
}

// removeFile claims an orphan, deletes its blobs, then its metadata.
// removed is false when it got attached meanwhile.
func (c *Core) removeFile(ctx context.Context, id model.FileID) (removed bool, err error) {
	ok, err := c.st.Files.ClaimOrphan(ctx, id, c.now())
	if err != nil || !ok {
		return false, err
	}
	for _, b := range []string{string(id), thumbID(id), origID(id)} {
		if err := c.content.files.blobs.Delete(ctx, b); err != nil && !errors.Is(err, blob.ErrNotFound) {
			return false, fmt.Errorf("core: delete blob %s: %w", b, err)
		}
	}
	if err := c.st.Files.Delete(ctx, id); err != nil {
		return false, err
	}
	return true, nil
}

// CleanOrphans removes the uploads never attached (or detached) older
// than the orphan age: up to 1,000 a call. It returns how many it removed.
func (c *Core) CleanOrphans(ctx context.Context) (int, error) {
	if c.content.files.blobs == nil {
		return 0, nil
	}
	fs, err := c.st.Files.Orphans(ctx, c.now().Add(-c.content.files.orphanAge), 1000)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range fs {
		ok, err := c.removeFile(ctx, f.ID)
		if err != nil {
			c.log.Error("remove orphan file", "file_id", f.ID, "err", err)
			continue
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// orphanSweepEvery is how often Run looks for orphans.
const orphanSweepEvery = time.Hour

// Posts and materials register their read rules in their own files
// (posts.go, materials.go); protocol versions here.
func init() {
	attachmentReaders[model.AttachProtocolVersion] = (*Core).canReadProtocolVersionAttachment
}

// canReadProtocolVersionAttachment: target is "<protocol id>:<n>". Who
// sees the protocol's drafts reads every version's files; anyone else who
// sees it (a shared protocol, a partenaire) only those of its validated
// version.
func (c *Core) canReadProtocolVersionAttachment(ctx context.Context, a *Actor, target string) error {
	id, nStr, ok := strings.Cut(target, ":")
	if !ok {
		return errFileNotFound
	}
	n, err := strconv.Atoi(nStr)
	if err != nil || n < 1 {
		return errFileNotFound
	}
	p, err := c.getProtocol(ctx, a, model.ProtocolID(id))
	if err != nil {
		return errFileNotFound
	}
	switch {
	case a.CanSeeProtocolDrafts(p) && n <= p.CurrentVersion:
		return nil
	case n == p.ValidatedVersion:
		return nil
	case p.ValidatedVersion > n:
		// A PDF is attached to the version that brought it and carried
		// to the next ones: the validated version may carry version n's.
		vn, err := c.st.ProtocolVersions.Get(ctx, p.ID, n)
		if err != nil || vn.PDF == "" {
			return errFileNotFound
		}
		vv, err := c.st.ProtocolVersions.Get(ctx, p.ID, p.ValidatedVersion)
		if err == nil && vv.PDF == vn.PDF {
			return nil
		}
	}
	return errFileNotFound
}
