package signer

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseNumbers reads n numbers separated by commas ("60,90,220,80"), as
// rectangles and sizes are written on a command line or in a request.
// NaN and infinities are refused; the error wraps ErrBadOptions.
func ParseNumbers(spec string, n int) ([]float64, error) {
	parts := strings.Split(spec, ",")
	if len(parts) != n {
		return nil, fmt.Errorf("signer: %w: %q is not %d numbers separated by commas", ErrBadOptions, spec, n)
	}
	out := make([]float64, n)
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("signer: %w: %q in %q is not a number", ErrBadOptions, strings.TrimSpace(p), spec)
		}
		out[i] = v
	}
	return out, nil
}

// Limits of a new field's rectangle, in points: at least 10 × 10, at
// most the largest page PDF viewers show (14,400 points, 200 inches), its
// corner within maxCoord of the page's origin.
const (
	minFieldSide = 10
	maxFieldSide = 14400
	maxCoord     = 1e5
)

// checkBox tells whether a new field at x, y of w × h points can be
// written (finite numbers inside the limits above).
func checkBox(what string, x, y, w, h float64) error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if !finite(x) || !finite(y) || math.Abs(x) > maxCoord || math.Abs(y) > maxCoord {
		return fmt.Errorf("signer: %w: %s at %g,%g is not on a page", ErrBadOptions, what, x, y)
	}
	if !(w >= minFieldSide && h >= minFieldSide && w <= maxFieldSide && h <= maxFieldSide) {
		return fmt.Errorf("signer: %w: %s needs at least %d × %d points and at most %d × %d (have %g × %g)", ErrBadOptions, what, minFieldSide, minFieldSide, maxFieldSide, maxFieldSide, w, h)
	}
	return nil
}
