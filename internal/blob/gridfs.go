package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// DefaultBucket is the GridFS bucket e-CPTS uses: collections
// blobs.files, blobs.chunks and blobs.reserved.
const DefaultBucket = "blobs"

// GridFS stores blobs in a GridFS bucket through the MongoDB driver's own
// GridFS API, in 255 KiB chunks, so that every replica on one database
// sees every file.
//
// GridFS writes the chunks first and the files document last, and a
// failed upload is cleaned up by deleting the chunks of its file ID. Two
// uploads of one ID would share that ID's chunks (and one's clean-up would
// delete the other's), so Put first reserves the ID with an insert into
// <bucket>.reserved, whose unique _id lets only one Put at a time hold
// it; Delete frees it last. An upload killed with its process leaves its
// reservation and maybe some chunks: invisible (no files document), and
// the ID stays taken.
type GridFS struct {
	bucket   *mongo.GridFSBucket
	files    *mongo.Collection
	chunks   *mongo.Collection
	reserved *mongo.Collection

	// openUpload serialises OpenUploadStreamWithID: the driver's bucket
	// records its first write in a field without a lock.
	openUpload sync.Mutex
}

// cleanupTimeout bounds the clean-up of a failed Put, which runs even
// when the Put's context has ended.
const cleanupTimeout = 30 * time.Second

// NewGridFS opens the GridFS bucket name (DefaultBucket when empty) of db
// and creates its indexes: GridFS's own, {files_id, n} unique on the
// chunks and {filename, uploadDate} on the files.
func NewGridFS(ctx context.Context, db *mongo.Database, name string) (*GridFS, error) {
	if name == "" {
		name = DefaultBucket
	}
	g := &GridFS{
		bucket:   db.GridFSBucket(options.GridFSBucket().SetName(name)),
		files:    db.Collection(name + ".files"),
		chunks:   db.Collection(name + ".chunks"),
		reserved: db.Collection(name + ".reserved"),
	}
	if _, err := g.chunks.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "files_id", Value: int32(1)}, {Key: "n", Value: int32(1)}},
		Options: options.Index().SetUnique(true),
	}); err != nil {
		return nil, fmt.Errorf("blob: index %s.chunks: %w", name, err)
	}
	if _, err := g.files.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "filename", Value: int32(1)}, {Key: "uploadDate", Value: int32(1)}},
	}); err != nil {
		return nil, fmt.Errorf("blob: index %s.files: %w", name, err)
	}
	return g, nil
}

func eq(v any) bson.D { return bson.D{{Key: "$eq", Value: v}} }

// Put implements Store.
func (g *GridFS) Put(ctx context.Context, id string, r io.Reader, limit int64) (_ Info, err error) {
	if err := checkID(id); err != nil {
		return Info{}, err
	}
	if _, err := g.reserved.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "at", Value: time.Now()}}); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return Info{}, ErrExists
		}
		return Info{}, fmt.Errorf("blob: reserve %s: %w", id, err)
	}
	defer func() {
		if err != nil {
			if cerr := g.cleanup(ctx, id); cerr != nil {
				err = errors.Join(err, cerr)
			}
		}
	}()

	g.openUpload.Lock()
	us, err := g.bucket.OpenUploadStreamWithID(ctx, id, id)
	g.openUpload.Unlock()
	if err != nil {
		return Info{}, fmt.Errorf("blob: upload %s: %w", id, err)
	}
	m := newMeter(ctx, r, limit)
	if _, err := io.Copy(us, m); err != nil {
		_ = us.Abort() // releases the stream; cleanup deletes what it wrote
		return Info{}, err
	}
	if err := us.Close(); err != nil {
		return Info{}, fmt.Errorf("blob: upload %s: %w", id, err)
	}
	return m.info(), nil
}

// cleanup removes whatever a failed Put of id wrote, its reservation
// last. It holds the reservation, so nothing it deletes is another's.
func (g *GridFS) cleanup(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var errs []error
	if _, err := g.chunks.DeleteMany(ctx, bson.D{{Key: "files_id", Value: eq(id)}}); err != nil {
		errs = append(errs, err)
	}
	if _, err := g.files.DeleteOne(ctx, bson.D{{Key: "_id", Value: eq(id)}}); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 { // keep the ID taken while bytes of it may remain
		if _, err := g.reserved.DeleteOne(ctx, bson.D{{Key: "_id", Value: eq(id)}}); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("blob: clean up failed upload %s: %w", id, errors.Join(errs...))
	}
	return nil
}

// Open implements Store. The Object reads through ctx: it must live as
// long as the reading (the HTTP request's context).
func (g *GridFS) Open(ctx context.Context, id string) (Object, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	ds, err := g.openStream(ctx, id)
	if err != nil {
		return nil, err
	}
	return &gridObject{g: g, ctx: ctx, id: id, ds: ds, size: ds.GetFile().Length}, nil
}

func (g *GridFS) openStream(ctx context.Context, id string) (*mongo.GridFSDownloadStream, error) {
	ds, err := g.bucket.OpenDownloadStream(ctx, id)
	if err != nil {
		if errors.Is(err, mongo.ErrFileNotFound) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("blob: open %s: %w", id, err)
	}
	return ds, nil
}

// Stat implements Store.
func (g *GridFS) Stat(ctx context.Context, id string) (int64, error) {
	if err := checkID(id); err != nil {
		return 0, err
	}
	var doc struct {
		Length int64 `bson:"length"`
	}
	err := g.files.FindOne(ctx, bson.D{{Key: "_id", Value: eq(id)}},
		options.FindOne().SetProjection(bson.D{{Key: "length", Value: 1}})).Decode(&doc)
	if err != nil {
		if errors.Is(err, mongo.ErrNoDocuments) {
			return 0, ErrNotFound
		}
		return 0, fmt.Errorf("blob: stat %s: %w", id, err)
	}
	return doc.Length, nil
}

// Delete implements Store: the files document first (the file is gone for
// readers at once), then the chunks, then the reservation.
func (g *GridFS) Delete(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	res, err := g.files.DeleteOne(ctx, bson.D{{Key: "_id", Value: eq(id)}})
	if err != nil {
		return fmt.Errorf("blob: delete %s: %w", id, err)
	}
	if res.DeletedCount == 0 {
		// Not stored, or an upload in progress: its chunks are its own.
		return ErrNotFound
	}
	if _, err := g.chunks.DeleteMany(ctx, bson.D{{Key: "files_id", Value: eq(id)}}); err != nil {
		return fmt.Errorf("blob: delete chunks of %s: %w", id, err)
	}
	if _, err := g.reserved.DeleteOne(ctx, bson.D{{Key: "_id", Value: eq(id)}}); err != nil {
		return fmt.Errorf("blob: free %s: %w", id, err)
	}
	return nil
}

// gridObject adds seeking to the driver's download stream, which can
// only read forward and skip: a Seek only records the position; the next
// Read skips forward to it, or reopens the stream for a position behind.
// So http.ServeContent's Seek(0, io.SeekEnd) costs nothing, and a range
// request reads (and drops) the chunks before its start.
type gridObject struct {
	mu    sync.Mutex
	g     *GridFS
	ctx   context.Context
	id    string
	ds    *mongo.GridFSDownloadStream // nil once closed
	dsPos int64                       // where ds is
	pos   int64                       // where the reader asked to be
	size  int64
}

func (o *gridObject) Size() int64 { return o.size }

func (o *gridObject) Read(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.read(p)
}

func (o *gridObject) read(p []byte) (int, error) {
	if o.ds == nil {
		return 0, errObjectClosed
	}
	if o.pos >= o.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if o.pos < o.dsPos {
		ds, err := o.g.openStream(o.ctx, o.id)
		if err != nil {
			return 0, err
		}
		_ = o.ds.Close()
		o.ds, o.dsPos = ds, 0
	}
	if o.pos > o.dsPos {
		n, err := o.ds.Skip(o.pos - o.dsPos)
		o.dsPos += n
		if err != nil {
			return 0, fmt.Errorf("blob: seek in %s: %w", o.id, err)
		}
	}
	n, err := o.ds.Read(p)
	o.pos += int64(n)
	o.dsPos += int64(n)
	if err == io.EOF && o.pos < o.size {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

var errObjectClosed = errors.New("blob: object closed")

func (o *gridObject) Seek(offset int64, whence int) (int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.seek(offset, whence)
}

func (o *gridObject) seek(offset int64, whence int) (int64, error) {
	if o.ds == nil {
		return 0, errObjectClosed
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = o.pos + offset
	case io.SeekEnd:
		abs = o.size + offset
	default:
		return 0, errors.New("blob: seek: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("blob: seek: negative position")
	}
	o.pos = abs
	return abs, nil
}

// ReadAt reads at off without moving the Read position.
func (o *gridObject) ReadAt(p []byte, off int64) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	saved := o.pos
	defer func() { o.pos = saved }()
	if _, err := o.seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	n := 0
	for n < len(p) {
		m, err := o.read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (o *gridObject) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ds == nil {
		return errObjectClosed
	}
	err := o.ds.Close()
	o.ds = nil
	return err
}
