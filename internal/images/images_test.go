package images_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"runtime"
	"testing"

	"github.com/ecpts/ecpts/internal/filetype"
	"github.com/ecpts/ecpts/internal/images"
	"github.com/ecpts/ecpts/internal/model"
)

// Strings a phone writes into a photo: none may survive.
var secrets = []string{"CameraMakeXYZ", "ModelSecret-9000", "Exif\x00\x00", "http://ns.adobe.com/xap/1.0/", "GPS", "47.5833"}

// halves returns a w×h image whose left half is red and right half blue.
func halves(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		c := color.NRGBA{230, 20, 20, 255}
		if x >= w/2 {
			c = color.NRGBA{20, 20, 230, 255}
		}
		for y := range h {
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// exifTIFF builds an EXIF TIFF structure (little-endian) with the camera
// make and model, an orientation, and a GPS block at 47°35'N 1°20'E.
func exifTIFF(orientation uint16) []byte {
	le := binary.LittleEndian
	make_ := []byte("CameraMakeXYZ\x00")
	model_ := []byte("ModelSecret-9000\x00")
	const ifd0 = 8
	const ifd0Entries = 4
	dataStart := ifd0 + 2 + ifd0Entries*12 + 4
	makeOff := dataStart
	modelOff := makeOff + len(make_)
	gpsOff := modelOff + len(model_)
	const gpsEntries = 4
	gpsData := gpsOff + 2 + gpsEntries*12 + 4
	latOff, lonOff := gpsData, gpsData+24

	var b bytes.Buffer
	b.WriteString("II")
	binary.Write(&b, le, uint16(42))
	binary.Write(&b, le, uint32(ifd0))
	entry := func(tag, typ uint16, count, value uint32) {
		binary.Write(&b, le, tag)
		binary.Write(&b, le, typ)
		binary.Write(&b, le, count)
		binary.Write(&b, le, value)
	}
	binary.Write(&b, le, uint16(ifd0Entries))
	entry(0x010f, 2, uint32(len(make_)), uint32(makeOff))
	entry(0x0110, 2, uint32(len(model_)), uint32(modelOff))
	entry(0x0112, 3, 1, uint32(orientation))
	entry(0x8825, 4, 1, uint32(gpsOff))
	binary.Write(&b, le, uint32(0))
	b.Write(make_)
	b.Write(model_)
	binary.Write(&b, le, uint16(gpsEntries))
	entry(0x0001, 2, 2, uint32('N'))
	entry(0x0002, 5, 3, uint32(latOff))
	entry(0x0003, 2, 2, uint32('E'))
	entry(0x0004, 5, 3, uint32(lonOff))
	binary.Write(&b, le, uint32(0))
	for _, r := range []uint32{47, 1, 35, 1, 2999, 100, 1, 1, 20, 1, 1234, 100} {
		binary.Write(&b, le, r)
	}
	return b.Bytes()
}

func segment(marker byte, payload []byte) []byte {
	s := []byte{0xff, marker, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(payload)+2))
	return append(s, payload...)
}

// phoneJPEG is a real JPEG of img with what a phone adds after SOI: an
// EXIF APP1 (make, model, orientation, GPS), an XMP APP1 and a comment.
func phoneJPEG(t *testing.T, img image.Image, orientation uint16) []byte {
	t.Helper()
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	raw := enc.Bytes()
	out := append([]byte{}, raw[:2]...) // SOI
	out = append(out, segment(0xe1, append([]byte("Exif\x00\x00"), exifTIFF(orientation)...))...)
	out = append(out, segment(0xe1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:Description exif:GPSLatitude=\"47.5833N\" tiff:Model=\"ModelSecret-9000\"/></x:xmpmeta>"))...)
	out = append(out, segment(0xfe, []byte("ModelSecret-9000 GPS 47.5833"))...)
	return append(out, raw[2:]...)
}

// jpegMarkers lists the markers of a JPEG up to its first scan.
func jpegMarkers(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 4 || b[0] != 0xff || b[1] != 0xd8 {
		t.Fatal("not a JPEG")
	}
	var out []byte
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xff {
			t.Fatalf("no marker at %d", i)
		}
		m := b[i+1]
		out = append(out, m)
		if m == 0xda {
			return out
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	t.Fatal("no scan")
	return nil
}

func assertNoMetadata(t *testing.T, what string, b []byte, typ string) {
	t.Helper()
	for _, s := range secrets {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("%s still holds %q", what, s)
		}
	}
	switch typ {
	case filetype.JPEG:
		for _, m := range jpegMarkers(t, b) {
			if m >= 0xe0 && m <= 0xef || m == 0xfe {
				t.Errorf("%s has a metadata segment (marker FF%02X)", what, m)
			}
		}
	case filetype.PNG:
		for _, c := range pngChunks(t, b) {
			switch c {
			case "IHDR", "PLTE", "tRNS", "IDAT", "IEND":
			default:
				t.Errorf("%s has a %s chunk", what, c)
			}
		}
	}
}

func near(c color.Color, r, g, b uint8) bool {
	cr, cg, cb, _ := c.RGBA()
	d := func(x uint32, y uint8) bool { v := int(x>>8) - int(y); return v > -50 && v < 50 }
	return d(cr, r) && d(cg, g) && d(cb, b)
}

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestJPEGLosesMetadataAndTurnsUpright: a photo taken with the phone on
// its side (EXIF orientation 6) with GPS and camera tags is stored
// upright and without any of them, and so is its thumbnail.
func TestJPEGLosesMetadataAndTurnsUpright(t *testing.T) {
	in := phoneJPEG(t, halves(800, 400), 6)
	for _, s := range secrets {
		if !bytes.Contains(in, []byte(s)) {
			t.Fatalf("test input lacks %q", s)
		}
	}
	if ft, err := filetype.Check(bytes.NewReader(in), int64(len(in))); err != nil || ft.MIME != filetype.JPEG {
		t.Fatalf("filetype.Check of the photo: %v %v", ft.MIME, err)
	}
	res, err := images.New(images.Options{}).Process(context.Background(), bytes.NewReader(in), filetype.JPEG)
	if err != nil {
		t.Fatal(err)
	}
	if res.ImageType != filetype.JPEG || res.ThumbType != filetype.JPEG {
		t.Fatalf("types %s, %s", res.ImageType, res.ThumbType)
	}
	assertNoMetadata(t, "stored image", res.Image, res.ImageType)
	assertNoMetadata(t, "thumbnail", res.Thumb, res.ThumbType)

	// Orientation 6: the stored left (red) edge is the top.
	if res.Width != 400 || res.Height != 800 {
		t.Fatalf("stored %d×%d, want 400×800 (turned upright)", res.Width, res.Height)
	}
	img := decode(t, res.Image)
	if img.Bounds().Dx() != 400 || !near(img.At(200, 100), 230, 20, 20) || !near(img.At(200, 700), 20, 20, 230) {
		t.Fatalf("stored image not upright: top %v, bottom %v", img.At(200, 100), img.At(200, 700))
	}
	if res.ThumbWidth != 320 || res.ThumbHeight != 640 {
		t.Fatalf("thumbnail %d×%d, want 320×640", res.ThumbWidth, res.ThumbHeight)
	}
	th := decode(t, res.Thumb)
	if th.Bounds().Dx() != 320 || !near(th.At(160, 80), 230, 20, 20) || !near(th.At(160, 560), 20, 20, 230) {
		t.Fatalf("thumbnail not upright: top %v, bottom %v", th.At(160, 80), th.At(160, 560))
	}
}

func pngChunks(t *testing.T, b []byte) []string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatal("not a PNG")
	}
	var out []string
	for i := 8; i+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		out = append(out, string(b[i+4:i+8]))
		i += 12 + n
	}
	return out
}

func pngChunk(typ string, data []byte) []byte {
	c := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(c, uint32(len(data)))
	copy(c[4:], typ)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// TestPNGLosesMetadata: text and eXIf chunks are not stored.
func TestPNGLosesMetadata(t *testing.T) {
	var enc bytes.Buffer
	if err := png.Encode(&enc, halves(64, 32)); err != nil {
		t.Fatal(err)
	}
	raw := enc.Bytes()
	ihdrEnd := 8 + 12 + 13
	in := append([]byte{}, raw[:ihdrEnd]...)
	in = append(in, pngChunk("tEXt", []byte("Comment\x00ModelSecret-9000 GPS 47.5833"))...)
	in = append(in, pngChunk("eXIf", exifTIFF(1))...)
	in = append(in, raw[ihdrEnd:]...)
	res, err := images.New(images.Options{}).Process(context.Background(), bytes.NewReader(in), filetype.PNG)
	if err != nil {
		t.Fatal(err)
	}
	if res.ImageType != filetype.PNG || res.Width != 64 || res.Height != 32 {
		t.Fatalf("got %s %d×%d", res.ImageType, res.Width, res.Height)
	}
	assertNoMetadata(t, "stored PNG", res.Image, res.ImageType)
	assertNoMetadata(t, "thumbnail", res.Thumb, res.ThumbType)
	// Smaller than the thumbnail box: never enlarged.
	if res.ThumbWidth != 64 || res.ThumbHeight != 32 {
		t.Fatalf("thumbnail %d×%d, want 64×32", res.ThumbWidth, res.ThumbHeight)
	}
}

// TestBombsRefusedBeforeDecoding: headers announcing 100 and 3,600
// megapixels are refused from the header, without allocating the pixels.
func TestBombsRefusedBeforeDecoding(t *testing.T) {
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, halves(8, 8)); err != nil {
		t.Fatal(err)
	}
	bombPNG := pngBuf.Bytes()
	binary.BigEndian.PutUint32(bombPNG[16:], 10_000) // IHDR width
	binary.BigEndian.PutUint32(bombPNG[20:], 10_000) // IHDR height
	binary.BigEndian.PutUint32(bombPNG[29:], crc32.ChecksumIEEE(bombPNG[12:29]))

	var jpgBuf bytes.Buffer
	if err := jpeg.Encode(&jpgBuf, halves(8, 8), nil); err != nil {
		t.Fatal(err)
	}
	bombJPEG := jpgBuf.Bytes()
	sof := bytes.Index(bombJPEG, []byte{0xff, 0xc0})
	binary.BigEndian.PutUint16(bombJPEG[sof+5:], 60_000) // height
	binary.BigEndian.PutUint16(bombJPEG[sof+7:], 60_000) // width

	p := images.New(images.Options{})
	for _, c := range []struct {
		name, typ string
		data      []byte
	}{{"png 100 MP", filetype.PNG, bombPNG}, {"jpeg 3600 MP", filetype.JPEG, bombJPEG}} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := p.Process(context.Background(), bytes.NewReader(c.data), c.typ)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, images.ErrTooManyPixels) {
			t.Fatalf("%s: %v, want ErrTooManyPixels", c.name, err)
		}
		var inv *model.InvalidError
		if !errors.As(err, &inv) || inv.Code != "image_too_large" {
			t.Fatalf("%s: %v does not unwrap to image_too_large", c.name, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
			t.Errorf("%s: %d bytes allocated to refuse it: it was decoded", c.name, alloc)
		}
	}

	// The bound is MaxPixels, inclusive.
	small := images.New(images.Options{MaxPixels: 100})
	for _, c := range []struct {
		w, h int
		ok   bool
	}{{10, 10, true}, {11, 10, false}} {
		var b bytes.Buffer
		if err := png.Encode(&b, halves(c.w, c.h)); err != nil {
			t.Fatal(err)
		}
		_, err := small.Process(context.Background(), bytes.NewReader(b.Bytes()), filetype.PNG)
		if (err == nil) != c.ok {
			t.Errorf("%d×%d with MaxPixels 100: %v", c.w, c.h, err)
		}
	}
}

// TestExtremeShapes: a one-pixel-high strip and a one-pixel-wide one get
// a thumbnail of at least one pixel.
func TestExtremeShapes(t *testing.T) {
	p := images.New(images.Options{})
	for _, size := range [][2]int{{5000, 1}, {1, 5000}} {
		var b bytes.Buffer
		if err := png.Encode(&b, halves(size[0], size[1])); err != nil {
			t.Fatal(err)
		}
		res, err := p.Process(context.Background(), bytes.NewReader(b.Bytes()), filetype.PNG)
		if err != nil {
			t.Fatalf("%v: %v", size, err)
		}
		if res.ThumbWidth < 1 || res.ThumbHeight < 1 || res.ThumbWidth > 320 || res.ThumbHeight > 640 {
			t.Errorf("%v: thumbnail %d×%d", size, res.ThumbWidth, res.ThumbHeight)
		}
		decode(t, res.Thumb)
	}
}

// TestGIFKeepsFirstFrame: an animation is stored as its first frame.
func TestGIFKeepsFirstFrame(t *testing.T) {
	pal := color.Palette{color.Black, color.White, color.NRGBA{230, 20, 20, 255}}
	anim := &gif.GIF{}
	for i := range 3 {
		f := image.NewPaletted(image.Rect(0, 0, 40, 20), pal)
		for j := range f.Pix {
			f.Pix[j] = uint8(i)
		}
		anim.Image = append(anim.Image, f)
		anim.Delay = append(anim.Delay, 10)
	}
	var in bytes.Buffer
	if err := gif.EncodeAll(&in, anim); err != nil {
		t.Fatal(err)
	}
	res, err := images.New(images.Options{}).Process(context.Background(), bytes.NewReader(in.Bytes()), filetype.GIF)
	if err != nil {
		t.Fatal(err)
	}
	out, err := gif.DecodeAll(bytes.NewReader(res.Image))
	if err != nil {
		t.Fatal(err)
	}
	if res.ImageType != filetype.GIF || len(out.Image) != 1 || out.Image[0].Pix[0] != 0 {
		t.Fatalf("stored %s with %d frames", res.ImageType, len(out.Image))
	}
	if len(res.Thumb) == 0 {
		t.Fatal("no thumbnail")
	}
}

// TestWebPBecomesPNG: Go cannot write WebP; a transparent one is stored
// as PNG.
func TestWebPBecomesPNG(t *testing.T) {
	webp := []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")
	res, err := images.New(images.Options{}).Process(context.Background(), bytes.NewReader(webp), filetype.WebP)
	if err != nil {
		t.Fatal(err)
	}
	if res.ImageType != filetype.PNG || res.ThumbType != filetype.PNG || res.Width != 1 {
		t.Fatalf("got %s/%s %d×%d", res.ImageType, res.ThumbType, res.Width, res.Height)
	}
	decode(t, res.Image)
}

func TestUndecodable(t *testing.T) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, halves(200, 100), nil); err != nil {
		t.Fatal(err)
	}
	truncated := b.Bytes()[:b.Len()/2]
	p := images.New(images.Options{})
	for name, c := range map[string]struct {
		data []byte
		typ  string
	}{
		"garbage after SOI": {[]byte("\xff\xd8\xff\xe0garbage"), filetype.JPEG},
		"truncated JPEG":    {truncated, filetype.JPEG},
		"PNG said JPEG":     {append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 40)...), filetype.JPEG},
	} {
		_, err := p.Process(context.Background(), bytes.NewReader(c.data), c.typ)
		var inv *model.InvalidError
		if !errors.Is(err, images.ErrUndecodable) || !errors.As(err, &inv) || inv.Code != "image_invalid" {
			t.Errorf("%s: %v, want ErrUndecodable (image_invalid)", name, err)
		}
	}
	if _, err := p.Process(context.Background(), bytes.NewReader([]byte("%PDF-1.4")), filetype.PDF); err == nil {
		t.Error("Process accepted a PDF")
	}
}

// TestCancelled: a Process whose context has ended does no work.
func TestCancelled(t *testing.T) {
	p := images.New(images.Options{Concurrency: 1})
	var b bytes.Buffer
	if err := png.Encode(&b, halves(10, 10)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Process(ctx, bytes.NewReader(b.Bytes()), filetype.PNG); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Process: %v, want context.Canceled", err)
	}
}
