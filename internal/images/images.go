// Package images turns an uploaded image into what e-CPTS stores: the
// image re-encoded without any metadata, turned upright, and a thumbnail.
//
// Why re-encode: a phone photo carries EXIF (camera make and model, date,
// GPS position of the consulting room or the patient's home), XMP and
// IPTC blocks, and PNG text chunks may hold the same. Encoding the decoded
// pixels again with the standard library's encoders writes none of them.
// The EXIF orientation is applied to the pixels first
// (github.com/disintegration/imaging), since the tag that told viewers to
// rotate is gone.
//
// Per type:
//
//   - JPEG → JPEG (quality 90 by default);
//   - PNG (and animated PNG, first frame) → PNG;
//   - GIF → GIF of its first frame: Go's GIF decoder has no bound on the
//     memory all the frames of an untrusted animation take;
//   - WebP → PNG when it has transparency, otherwise JPEG (Go has no WebP
//     encoder).
//
// Colour profiles (ICC) go with the rest: wide-gamut photos look a little
// duller. Decoding is bounded: the dimensions are read from the header
// first and an image over Options.MaxPixels (40 megapixels by default) is
// refused before any pixel is decoded, and at most Options.Concurrency
// images are decoded at once (a 40-megapixel photo takes about 160 MB
// while it is turned upright).
package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/disintegration/imaging"
	"golang.org/x/image/webp"

	"github.com/ecpts/ecpts/internal/filetype"
	"github.com/ecpts/ecpts/internal/model"
)

// Options tune a Processor; zero fields take the defaults.
type Options struct {
	MaxPixels   int64 // largest width × height decoded; default DefaultMaxPixels
	ThumbWidth  int   // thumbnail width; default 320
	ThumbHeight int   // thumbnail height bound, for tall images; default 2 × ThumbWidth
	Quality     int   // JPEG quality of the stored image; default 90 (thumbnails: 80)
	Concurrency int   // images decoded at once; default 2
}

// DefaultMaxPixels is 40 megapixels: more than any phone's default photo
// (12 to 24 MP in 2026), less than what would exhaust a small server.
const DefaultMaxPixels = 40_000_000

// Processor re-encodes images and makes thumbnails. It is safe for
// concurrent use.
type Processor struct {
	o   Options
	sem chan struct{}
}

// New returns a Processor.
func New(o Options) *Processor {
	if o.MaxPixels <= 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	if o.ThumbWidth <= 0 {
		o.ThumbWidth = 320
	}
	if o.ThumbHeight <= 0 {
		o.ThumbHeight = 2 * o.ThumbWidth
	}
	if o.Quality <= 0 || o.Quality > 100 {
		o.Quality = 90
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 2
	}
	return &Processor{o: o, sem: make(chan struct{}, o.Concurrency)}
}

// Result is a processed image: what to store in place of the upload, and
// its thumbnail.
type Result struct {
	Image         []byte // re-encoded, upright, no metadata
	ImageType     string // its media type (a WebP becomes PNG or JPEG)
	Width, Height int

	Thumb                   []byte // at most ThumbWidth × ThumbHeight, never enlarged
	ThumbType               string // image/jpeg, or image/png when it has transparency
	ThumbWidth, ThumbHeight int
}

// Errors. A refusal unwraps to a *model.InvalidError (field "file") with
// code "image_too_large" or "image_invalid" and a French message.
var (
	ErrTooManyPixels = errors.New("images: too many pixels")
	ErrUndecodable   = errors.New("images: cannot decode")
)

type refusal struct {
	kind   error
	detail string
	inv    *model.InvalidError
}

func (e *refusal) Error() string        { return e.kind.Error() + ": " + e.detail }
func (e *refusal) Is(target error) bool { return target == e.kind }
func (e *refusal) Unwrap() error        { return e.inv }
func undecodable(detail string) error   { return &refusal{ErrUndecodable, detail, invalidImage} }
func (p *Processor) tooLarge(w, h int) error {
	return &refusal{ErrTooManyPixels, fmt.Sprintf("%d×%d", w, h), model.Invalid("file", "image_too_large",
		fmt.Sprintf("L'image est trop grande (%d × %d pixels) : au plus %d mégapixels. Réduisez-la avant de l'envoyer.",
			w, h, p.o.MaxPixels/1_000_000))}
}

var invalidImage = model.Invalid("file", "image_invalid", "L'image est illisible ou endommagée.")

// Process reads the image of media type mediaType (an image type of
// internal/filetype, as filetype.Check found it) from r and returns what
// to store. It refuses, before decoding, an image over MaxPixels
// (ErrTooManyPixels), and an image that does not decode
// (ErrUndecodable). It waits for a decoding slot, or for ctx to end.
func (p *Processor) Process(ctx context.Context, r io.ReadSeeker, mediaType string) (*Result, error) {
	var config func(io.Reader) (image.Config, error)
	switch mediaType {
	case filetype.JPEG:
		config = jpeg.DecodeConfig
	case filetype.PNG:
		config = png.DecodeConfig
	case filetype.GIF:
		config = gif.DecodeConfig
	case filetype.WebP:
		config = webp.DecodeConfig
	default:
		return nil, fmt.Errorf("images: %s is not an image type", mediaType)
	}
	cfg, err := config(r)
	if err != nil {
		return nil, undecodable(err.Error())
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, undecodable("empty image")
	}
	if int64(cfg.Width)*int64(cfg.Height) > p.o.MaxPixels {
		return nil, p.tooLarge(cfg.Width, cfg.Height)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("images: rewind: %w", err)
	}

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case p.sem <- struct{}{}:
		defer func() { <-p.sem }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Only JPEG carries the orientation imaging reads; the format was
	// checked by the DecodeConfig above, so image.Decode inside picks the
	// same decoder. A GIF decodes to its first frame.
	img, err := imaging.Decode(r, imaging.AutoOrientation(true))
	if err != nil {
		return nil, undecodable(err.Error())
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	res := &Result{Width: img.Bounds().Dx(), Height: img.Bounds().Dy()}
	var buf bytes.Buffer
	switch {
	case mediaType == filetype.JPEG || (mediaType == filetype.WebP && opaque(img)):
		res.ImageType = filetype.JPEG
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: p.o.Quality})
	case mediaType == filetype.GIF:
		res.ImageType = filetype.GIF
		err = gif.Encode(&buf, img, nil)
	default: // PNG, WebP with transparency
		res.ImageType = filetype.PNG
		err = png.Encode(&buf, img)
	}
	if err != nil {
		return nil, fmt.Errorf("images: encode %s: %w", res.ImageType, err)
	}
	res.Image = buf.Bytes()

	thumb := imaging.Fit(img, p.o.ThumbWidth, p.o.ThumbHeight, imaging.Lanczos)
	res.ThumbWidth, res.ThumbHeight = thumb.Bounds().Dx(), thumb.Bounds().Dy()
	var tb bytes.Buffer
	if thumb.Opaque() {
		res.ThumbType = filetype.JPEG
		err = jpeg.Encode(&tb, thumb, &jpeg.Options{Quality: 80})
	} else {
		res.ThumbType = filetype.PNG
		err = png.Encode(&tb, thumb)
	}
	if err != nil {
		return nil, fmt.Errorf("images: encode thumbnail: %w", err)
	}
	res.Thumb = tb.Bytes()
	return res, nil
}

func opaque(img image.Image) bool {
	o, ok := img.(interface{ Opaque() bool })
	return ok && o.Opaque()
}
