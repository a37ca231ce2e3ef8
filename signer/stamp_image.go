package signer

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"

	"segel/pdf"
)

// ErrBadImage means a stamp's image cannot be used: not a PNG or JPEG
// that decodes, more than MaxImageSide pixels on a side, or a CMYK JPEG.
var ErrBadImage = errors.New("unusable stamp image")

// MaxImageSide is the most pixels a stamp image may have on each side.
const MaxImageSide = 4000

// stampImage is a checked stamp image, ready to be written as an Image
// XObject.
type stampImage struct {
	w, h int
	xobj *pdf.Stream // the image
	mask *pdf.Stream // its soft mask (alpha), or nil
}

// loadStampImage checks b (a PNG, with or without alpha, or a JPEG) and
// turns it into an Image XObject: a JPEG is kept as it is (DCTDecode)
// once it decodes; a PNG is decoded and written Flate-compressed as gray
// or RGB samples, its alpha as a soft mask. Nil without an image.
func loadStampImage(b []byte) (*stampImage, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var (
		cfg    image.Config
		format string
		err    error
	)
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		format = "PNG"
		cfg, err = png.DecodeConfig(bytes.NewReader(b))
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8}):
		format = "JPEG"
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(b))
	default:
		return nil, fmt.Errorf("signer: %w: neither PNG nor JPEG", ErrBadImage)
	}
	if err != nil {
		return nil, fmt.Errorf("signer: %w: %s: %v", ErrBadImage, format, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide {
		return nil, fmt.Errorf("signer: %w: %d × %d pixels (at most %d on each side)", ErrBadImage, cfg.Width, cfg.Height, MaxImageSide)
	}
	if format == "JPEG" {
		return jpegImage(b, cfg)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("signer: %w: PNG: %v", ErrBadImage, err)
	}
	return pngImage(img), nil
}

func jpegImage(b []byte, cfg image.Config) (*stampImage, error) {
	var cs pdf.Name
	switch cfg.ColorModel {
	case color.GrayModel:
		cs = "DeviceGray"
	case color.YCbCrModel:
		cs = "DeviceRGB"
	default:
		return nil, fmt.Errorf("signer: %w: a CMYK JPEG", ErrBadImage)
	}
	// The whole image must decode: viewers would otherwise show a broken
	// seal on a signed document.
	if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
		return nil, fmt.Errorf("signer: %w: JPEG: %v", ErrBadImage, err)
	}
	x := pdf.NewStream(pdf.Dict{
		"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"),
		"Width": pdf.Int(cfg.Width), "Height": pdf.Int(cfg.Height),
		"ColorSpace": cs, "BitsPerComponent": pdf.Int(8), "Filter": pdf.Name("DCTDecode"),
	}, b)
	return &stampImage{w: cfg.Width, h: cfg.Height, xobj: x}, nil
}

func pngImage(img image.Image) *stampImage {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	at := func(x, y int) color.NRGBA { return color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA) }
	// Two passes rather than a copy of the pixels: gray or colour,
	// opaque or not, then the samples.
	gray, opaque := true, true
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := at(x, y)
			gray = gray && c.R == c.G && c.G == c.B
			opaque = opaque && c.A == 0xFF
		}
	}
	n, cs := 3, pdf.Name("DeviceRGB")
	if gray {
		n, cs = 1, "DeviceGray"
	}
	samples := make([]byte, 0, w*h*n)
	var alpha []byte
	if !opaque {
		alpha = make([]byte, 0, w*h)
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := at(x, y)
			if gray {
				samples = append(samples, c.R)
			} else {
				samples = append(samples, c.R, c.G, c.B)
			}
			if !opaque {
				alpha = append(alpha, c.A)
			}
		}
	}
	si := &stampImage{w: w, h: h}
	si.xobj = pdf.NewStream(pdf.Dict{
		"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"),
		"Width": pdf.Int(w), "Height": pdf.Int(h),
		"ColorSpace": cs, "BitsPerComponent": pdf.Int(8), "Filter": pdf.Name("FlateDecode"),
	}, deflate(samples))
	if !opaque {
		si.mask = pdf.NewStream(pdf.Dict{
			"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"),
			"Width": pdf.Int(w), "Height": pdf.Int(h),
			"ColorSpace": pdf.Name("DeviceGray"), "BitsPerComponent": pdf.Int(8), "Filter": pdf.Name("FlateDecode"),
		}, deflate(alpha))
	}
	return si
}

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	zw.Write(b) // writes to a bytes.Buffer do not fail
	zw.Close()
	return buf.Bytes()
}

// add writes the image (and its soft mask) to u and returns its reference.
func (si *stampImage) add(u *pdf.Update) pdf.Ref {
	if si.mask != nil {
		si.xobj.Dict["SMask"] = u.Add(si.mask)
	}
	return u.Add(si.xobj)
}

// fit returns the size of the image scaled to fit a maxW × maxH box,
// keeping its aspect.
func (si *stampImage) fit(maxW, maxH float64) (float64, float64) {
	if maxW <= 0 || maxH <= 0 {
		return 0, 0
	}
	s := min(maxW/float64(si.w), maxH/float64(si.h))
	return float64(si.w) * s, float64(si.h) * s
}

// CheckStampImage tells whether b can be a stamp's image (Stamp.Image):
// nil, or an error wrapping ErrBadImage.
func CheckStampImage(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("signer: %w: empty", ErrBadImage)
	}
	_, err := loadStampImage(b)
	return err
}
