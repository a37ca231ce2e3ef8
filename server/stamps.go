package server

import (
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"

	"segel/signer"
)

// StampsConfig is what the server's stamps may use besides the built-in
// layouts (qr-left and text).
type StampsConfig struct {
	// Layouts maps a name to a layout file (YAML, see docs/stamp.md): a
	// request's stamp option may give the name.
	Layouts map[string]string `yaml:"layouts"`
	// Image is a PNG or JPEG file (the agency's seal or logo) drawn on
	// every stamp the server makes, where the layout puts it.
	Image string `yaml:"image"`
	// Official is the layout of official mode's stamps: qr-left (the
	// default), text or a name from Layouts.
	Official string `yaml:"official"`
}

// stampAssets are the configured layouts and image, read at start.
type stampAssets struct {
	layouts map[string]*signer.Layout
	image   *signer.StampImage // encoded once, drawn on every stamp
}

// loadStamps reads and checks the configured layout files and image.
func (c *Config) loadStamps() (*stampAssets, error) {
	a := &stampAssets{layouts: map[string]*signer.Layout{}}
	if c.Stamps == nil {
		return a, nil
	}
	for name, file := range c.Stamps.Layouts {
		if name == "qr-left" || name == "text" || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("stamps: layouts: %q is a built-in layout's name or empty", name)
		}
		b, err := os.ReadFile(c.path(file))
		if err != nil {
			return nil, fmt.Errorf("stamps: layout %s: %w", name, err)
		}
		l, err := signer.ParseLayout(b)
		if err != nil {
			return nil, fmt.Errorf("stamps: layout %s (%s): %w", name, file, err)
		}
		a.layouts[name] = l
	}
	if o := c.Stamps.Official; o != "" && o != "qr-left" && o != "text" && a.layouts[o] == nil {
		return nil, fmt.Errorf("stamps: official: %q is neither qr-left, text nor a name under layouts", o)
	}
	if c.Stamps.Image != "" {
		b, err := os.ReadFile(c.path(c.Stamps.Image))
		if err != nil {
			return nil, fmt.Errorf("stamps: image: %w", err)
		}
		if a.image, err = signer.ParseStampImage(b); err != nil {
			return nil, fmt.Errorf("stamps: image %s: %w", c.Stamps.Image, err)
		}
	}
	return a, nil
}

// stampLayout sets st's layout from a request's stamp option (a built-in
// layout or a configured one) and puts the configured image on it.
func (s *Server) stampLayout(name string, st *signer.Stamp) *apiError {
	var a stampAssets
	if s.stamps != nil {
		a = *s.stamps
	}
	switch l, ok := a.layouts[name]; {
	case ok:
		st.Custom = l
	case name == "qr-left" || name == "text":
		st.Layout = name
	default:
		names := []string{"qr-left", "text"}
		for n := range a.layouts {
			names = append(names, n)
		}
		sort.Strings(names[2:])
		return errorf(http.StatusBadRequest, "bad_option", "stamp must be one of %s", strings.Join(names, ", "))
	}
	st.Image = a.image
	return nil
}

// officialLayout is the layout name of official mode's stamps.
func (s *Server) officialLayout() string {
	if s.cfg.Stamps != nil && s.cfg.Stamps.Official != "" {
		return s.cfg.Stamps.Official
	}
	return "qr-left"
}
