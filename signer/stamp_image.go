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

// StampImage is a logo or seal checked and encoded once (see
// [ParseStampImage]), to be drawn on any number of stamps: a server's
// seal or a batch's --stamp-image is not decoded and compressed again for
// every signature.
type StampImage struct {
	w, h int
	dict pdf.Dict // the Image XObject's dictionary, without /SMask
	data []byte   // its encoded samples
	mask []byte   // the Flate-encoded alpha samples (DeviceGray), or nil
}

// ParseStampImage checks b (a PNG, with or without alpha, or a JPEG) and
// encodes it as an Image XObject: a JPEG is kept as it is (DCTDecode)
// once it decodes; a PNG is decoded and written Flate-compressed as gray
// or RGB samples, its alpha as a soft mask. Errors wrap ErrBadImage.
func ParseStampImage(b []byte) (*StampImage, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("signer: %w: empty", ErrBadImage)
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

func jpegImage(b []byte, cfg image.Config) (*StampImage, error) {
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
	return &StampImage{w: cfg.Width, h: cfg.Height, dict: imageDict(cfg.Width, cfg.Height, cs, "DCTDecode"), data: b}, nil
}

// imageDict is an Image XObject's dictionary with 8-bit samples.
func imageDict(w, h int, cs, filter pdf.Name) pdf.Dict {
	return pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"), "Width": pdf.Int(w), "Height": pdf.Int(h),
		"ColorSpace": cs, "BitsPerComponent": pdf.Int(8), "Filter": filter}
}

func pngImage(img image.Image) *StampImage {
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
	si := &StampImage{w: w, h: h, dict: imageDict(w, h, cs, "FlateDecode"), data: deflate(samples)}
	if !opaque {
		si.mask = deflate(alpha)
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

// add writes the image (and its soft mask) to u and returns its
// reference. The encoded samples are shared, the dictionaries are new.
func (si *StampImage) add(u *pdf.Update) pdf.Ref {
	d := pdf.Dict{}
	for k, v := range si.dict {
		d[k] = v
	}
	if si.mask != nil {
		d["SMask"] = u.Add(pdf.NewStream(imageDict(si.w, si.h, "DeviceGray", "FlateDecode"), si.mask))
	}
	return u.Add(pdf.NewStream(d, si.data))
}

// fit returns the size of the image scaled to fit a maxW × maxH box,
// keeping its aspect.
func (si *StampImage) fit(maxW, maxH float64) (float64, float64) {
	if maxW <= 0 || maxH <= 0 {
		return 0, 0
	}
	s := min(maxW/float64(si.w), maxH/float64(si.h))
	return float64(si.w) * s, float64(si.h) * s
}
