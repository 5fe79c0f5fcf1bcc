package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/ecpts/ecpts/internal/model"
)

// Files is the metadata of uploaded files (the bytes are the blob store's,
// under the same id): the files collection, _id = file id, and
// file_attachments, _id = file id, what each file is attached to.
//
// The attachment is a document of its own, inserted once: so attaching a
// file twice at once has one winner, an attachment never races the
// upload pipeline's SetScan or SetThumbnail on the file document (FerretDB
// writes an update back whole), and the cleanup of orphans takes the same
// slot (ClaimOrphan) so that it never deletes a file being attached.
type Files struct {
	coll        collection
	attachments collection
	backend     string
}

// attachDeleting is the attachment of a file ClaimOrphan took for
// deletion: it is no longer found nor attachable.
const attachDeleting model.AttachmentKind = "deleting"

type fileDoc struct {
	ID           model.FileID     `bson:"_id"`
	UploaderID   model.UserID     `bson:"uploader_id"`
	Name         string           `bson:"name"`
	ContentType  string           `bson:"content_type"`
	Size         int64            `bson:"size"`
	SHA256       string           `bson:"sha256"`
	CreatedAt    time.Time        `bson:"created_at"`
	CPTSID       model.CPTSID     `bson:"cpts_id,omitempty"`
	GroupID      model.GroupID    `bson:"group_id,omitempty"`
	ChannelID    model.ChannelID  `bson:"channel_id,omitempty"`
	HasThumbnail bool             `bson:"has_thumbnail"`
	Scan         model.ScanStatus `bson:"scan"`
}

func (d fileDoc) model() model.File {
	return model.File{
		ID: d.ID, UploaderID: d.UploaderID, Name: d.Name, ContentType: d.ContentType, Size: d.Size, SHA256: d.SHA256,
		CreatedAt: d.CreatedAt.UTC(), CPTSID: d.CPTSID, GroupID: d.GroupID, ChannelID: d.ChannelID,
		HasThumbnail: d.HasThumbnail, Scan: d.Scan,
	}
}

type attachmentDoc struct {
	ID       model.FileID         `bson:"_id"`
	Kind     model.AttachmentKind `bson:"kind"`
	TargetID string               `bson:"target_id"`
	Target   string               `bson:"target"` // kind + ":" + target id
	At       time.Time            `bson:"at"`
}

func attachmentTarget(kind model.AttachmentKind, id string) string { return string(kind) + ":" + id }

// EnsureIndexes creates the created_at index of files and the target index
// of file_attachments; idempotent.
func (s *Files) EnsureIndexes(ctx context.Context) error {
	if err := ensureIndexes(ctx, s.coll, index("created_at", "created_at")); err != nil {
		return err
	}
	return ensureIndexes(ctx, s.attachments, index("target", "target"))
}

// Insert stores the metadata of a new upload, not attached (AttachedTo is
// ignored), scan pending unless given; ErrConflict when the id is taken.
func (s *Files) Insert(ctx context.Context, f model.File) (model.File, error) {
	what := "insert file " + string(f.ID)
	if !model.ValidID(string(f.ID)) {
		return model.File{}, fmt.Errorf("store: %s: invalid id", what)
	}
	if f.Scan == "" {
		f.Scan = model.ScanPending
	}
	if !f.Scan.Valid() {
		return model.File{}, fmt.Errorf("store: %s: unknown scan status %q", what, f.Scan)
	}
	d := fileDoc{
		ID: f.ID, UploaderID: f.UploaderID, Name: f.Name, ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256,
		CreatedAt: msUTC(f.CreatedAt), CPTSID: f.CPTSID, GroupID: f.GroupID, ChannelID: f.ChannelID,
		HasThumbnail: f.HasThumbnail, Scan: f.Scan,
	}
	if _, err := s.coll.InsertOne(ctx, d); err != nil {
		return model.File{}, dbErr(err, what)
	}
	return d.model(), nil
}

// ByID returns the file with its attachment; ErrNotFound when absent or
// being deleted.
func (s *Files) ByID(ctx context.Context, id model.FileID) (model.File, error) {
	files, err := s.ByIDs(ctx, []model.FileID{id})
	if err != nil {
		return model.File{}, err
	}
	if len(files) == 0 {
		return model.File{}, notFound("file " + string(id))
	}
	return files[0], nil
}

// ByIDs returns the files among ids that exist and are not being deleted,
// with their attachments, in the order of ids.
func (s *Files) ByIDs(ctx context.Context, ids []model.FileID) ([]model.File, error) {
	what := fmt.Sprintf("files by %d ids", len(ids))
	docs, err := findByIDs[fileDoc](ctx, s.coll, s.backend != BackendMongoDB, ids)
	if err != nil {
		return nil, dbErr(err, what)
	}
	atts, err := findByIDs[attachmentDoc](ctx, s.attachments, s.backend != BackendMongoDB, ids)
	if err != nil {
		return nil, dbErr(err, what)
	}
	byFile := make(map[model.FileID]attachmentDoc, len(atts))
	for _, a := range atts {
		byFile[a.ID] = a
	}
	files := make([]model.File, 0, len(docs))
	for _, d := range docs {
		f := d.model()
		if a, ok := byFile[d.ID]; ok {
			if a.Kind == attachDeleting {
				continue
			}
			f.AttachedTo = &model.Attachment{Kind: a.Kind, ID: a.TargetID, At: a.At.UTC()}
		}
		files = append(files, f)
	}
	return inOrder(ids, files, func(f model.File) model.FileID { return f.ID }), nil
}

// SetScan records the outcome of the virus scan; ErrNotFound when absent.
// Only the upload pipeline writes the file document, one step after the
// other (SetScan, SetThumbnail): they do not race each other.
func (s *Files) SetScan(ctx context.Context, id model.FileID, status model.ScanStatus) error {
	if !status.Valid() {
		return fmt.Errorf("store: scan of file %s: unknown status %q", id, status)
	}
	return s.set(ctx, id, "scan of file", eq("scan", status))
}

// SetThumbnail records whether the blob store holds a thumbnail of the
// file; ErrNotFound when absent.
func (s *Files) SetThumbnail(ctx context.Context, id model.FileID, has bool) error {
	return s.set(ctx, id, "thumbnail of file", eq("has_thumbnail", has))
}

func (s *Files) set(ctx context.Context, id model.FileID, what string, fields bson.D) error {
	what = what + " " + string(id)
	return updateOne(ctx, s.coll, byID(string(id)), setOp(fields), what)
}

// Attach attaches the file to a.Kind/a.ID at a.At. Attaching it again to
// the same target is a no-op; ErrConflict when it is attached to another
// one or being deleted (of concurrent attachments, one wins); ErrNotFound
// when the file is absent. Whether the caller may attach it (uploader,
// scope) is core's rule.
func (s *Files) Attach(ctx context.Context, id model.FileID, a model.Attachment) error {
	what := fmt.Sprintf("attach file %s to %s %s", id, a.Kind, a.ID)
	if !a.Kind.Valid() || a.ID == "" {
		return fmt.Errorf("store: %s: invalid target", what)
	}
	if ok, err := exists(ctx, s.coll, string(id)); err != nil {
		return dbErr(err, what)
	} else if !ok {
		return notFound(what)
	}
	_, err := s.attachments.InsertOne(ctx, attachmentDoc{ID: id, Kind: a.Kind, TargetID: a.ID, Target: attachmentTarget(a.Kind, a.ID), At: msUTC(a.At)})
	if err == nil {
		return nil
	}
	if !isDuplicateKey(err) {
		return dbErr(err, what)
	}
	var cur attachmentDoc
	if err := s.attachments.FindOne(ctx, byID(string(id))).Decode(&cur); err != nil {
		return dbErr(err, what)
	}
	if cur.Kind == a.Kind && cur.TargetID == a.ID {
		return nil
	}
	return fmt.Errorf("store: %s: attached elsewhere: %w", what, model.ErrConflict)
}

// Detach removes the file's attachment (its message, post… is gone): the
// file becomes an orphan that the cleanup removes. No-op when not
// attached.
func (s *Files) Detach(ctx context.Context, id model.FileID) error {
	_, err := s.attachments.DeleteOne(ctx, bson.D{{Key: "_id", Value: string(id)}, {Key: "kind", Value: bson.D{{Key: "$ne", Value: attachDeleting}}}})
	return dbErr(err, "detach file "+string(id))
}

// ByAttachment returns the files attached to the target, oldest first.
func (s *Files) ByAttachment(ctx context.Context, kind model.AttachmentKind, targetID string) ([]model.File, error) {
	what := fmt.Sprintf("files of %s %s", kind, targetID)
	var atts []attachmentDoc
	if err := findAll(ctx, s.attachments, eq("target", attachmentTarget(kind, targetID)), nil, &atts); err != nil {
		return nil, dbErr(err, what)
	}
	files, err := s.ByIDs(ctx, mapSlice(atts, func(a attachmentDoc) model.FileID { return a.ID }))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(files, oldestFirst(func(f model.File) (time.Time, model.FileID) { return f.CreatedAt, f.ID }))
	return files, nil
}

// Orphans returns at most limit (default 100, at most 1,000) files
// uploaded before before that are attached to nothing, oldest first,
// including those whose deletion was claimed but not finished. It reads
// every file older than before on FerretDB: it is for the periodic
// cleanup, not for requests.
func (s *Files) Orphans(ctx context.Context, before time.Time, limit int) ([]model.File, error) {
	limit = pageLimit(limit, 100, 1000)
	var docs []fileDoc
	if err := findAll(ctx, s.coll, bson.D{{Key: "created_at", Value: bson.D{{Key: "$lt", Value: msUTC(before)}}}}, bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}, &docs); err != nil {
		return nil, dbErr(err, "orphan files")
	}
	var out []model.File
	for start := 0; start < len(docs) && len(out) < limit; start += limit {
		batch := docs[start:min(start+limit, len(docs))]
		ids := mapSlice(batch, func(d fileDoc) model.FileID { return d.ID })
		atts, err := findByIDs[attachmentDoc](ctx, s.attachments, s.backend != BackendMongoDB, ids)
		if err != nil {
			return nil, dbErr(err, "orphan files")
		}
		attached := make(map[model.FileID]bool, len(atts))
		for _, a := range atts {
			attached[a.ID] = a.Kind != attachDeleting
		}
		for _, d := range batch {
			if !attached[d.ID] && len(out) < limit {
				out = append(out, d.model())
			}
		}
	}
	return out, nil
}

// ClaimOrphan takes an unattached file for deletion: from then on it is
// not found and cannot be attached. claimed is false when the file got
// attached meanwhile (keep it). Delete the blob, then call Delete.
func (s *Files) ClaimOrphan(ctx context.Context, id model.FileID, at time.Time) (claimed bool, err error) {
	what := "claim orphan file " + string(id)
	_, err = s.attachments.InsertOne(ctx, attachmentDoc{ID: id, Kind: attachDeleting, Target: string(attachDeleting), At: msUTC(at)})
	if err == nil {
		return true, nil
	}
	if !isDuplicateKey(err) {
		return false, dbErr(err, what)
	}
	var cur attachmentDoc
	if err := s.attachments.FindOne(ctx, byID(string(id))).Decode(&cur); err != nil {
		if errors.Is(err, mongo.ErrNoDocuments) {
			return false, nil // detached between the two reads: leave it to the next run
		}
		return false, dbErr(err, what)
	}
	return cur.Kind == attachDeleting, nil
}

// Delete removes the metadata of a file that ClaimOrphan took (its blob
// deleted first), then the claim; ErrConflict when the file was not
// claimed. No-op when absent.
func (s *Files) Delete(ctx context.Context, id model.FileID) error {
	what := "delete file " + string(id)
	var cur attachmentDoc
	err := s.attachments.FindOne(ctx, byID(string(id))).Decode(&cur)
	switch {
	case err == nil && cur.Kind != attachDeleting:
		return fmt.Errorf("store: %s: attached to %s %s: %w", what, cur.Kind, cur.TargetID, model.ErrConflict)
	case errors.Is(err, mongo.ErrNoDocuments):
		if ok, err := exists(ctx, s.coll, string(id)); err != nil {
			return dbErr(err, what)
		} else if ok {
			return fmt.Errorf("store: %s: not claimed: %w", what, model.ErrConflict)
		}
		return nil
	case err != nil:
		return dbErr(err, what)
	}
	if _, err := s.coll.DeleteOne(ctx, byID(string(id))); err != nil {
		return dbErr(err, what)
	}
	_, err = s.attachments.DeleteOne(ctx, byID(string(id)))
	return dbErr(err, what)
}
