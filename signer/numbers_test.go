package signer_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"

	"segel/internal/devca"
	"segel/signer"
)

// TestUnusableRectangles: every way a new field gets its rectangle — a
// visible signature's Rect, a stamp's AnchorSize, AddFields — refuses
// numbers that cannot be written (NaN, infinities), that no viewer shows
// (wider than 14,400 points, a corner far off the page) and sizes under
// 10 points, with ErrBadOptions and nothing written. (A NaN corner was
// written as 0, an invisible field; 1e308 as a 309-digit number.)
func TestUnusableRectangles(t *testing.T) {
	pks := readTestdata(t, "pks.pdf")
	id := identity(t, devca.ECDSAP256, "Bupati Tuban")
	bad := map[string][4]float64{
		"NaN corner":            {math.NaN(), 100, 200, 80},
		"infinite corner":       {100, math.Inf(1), 200, 80},
		"far corner":            {1e308, 100, 200, 80},
		"NaN width":             {100, 100, math.NaN(), 80},
		"huge size":             {10, 10, 1e308, 1e308},
		"wider than 200 inches": {10, 10, 14401, 80},
		"too small":             {100, 100, 9, 80},
		"negative width":        {100, 100, -200, 80},
	}
	for name, r := range bad {
		out := &memOut{}
		_, err := signer.Sign(context.Background(), bytes.NewReader(pks), int64(len(pks)), out,
			signer.Options{Signer: id.Key, Chain: id.Chain, Page: 1, Rect: r})
		if !errors.Is(err, signer.ErrBadOptions) || len(out.b) != 0 {
			t.Errorf("Rect %s: %v (%d bytes written), want ErrBadOptions", name, err, len(out.b))
		}
		var fields bytes.Buffer
		err = signer.AddFields(context.Background(), bytes.NewReader(pks), int64(len(pks)), &fields,
			[]signer.NewField{{Name: "SigBaru", Page: 1, X: r[0], Y: r[1], W: r[2], H: r[3]}})
		if !errors.Is(err, signer.ErrBadOptions) || fields.Len() != 0 {
			t.Errorf("AddFields %s: %v, want ErrBadOptions", name, err)
		}
		if r[0] != 100 && r[0] != 10 || r[1] != 100 && r[1] != 10 {
			continue // anchor sizes only
		}
		out = &memOut{}
		_, err = signer.Sign(context.Background(), bytes.NewReader(pks), int64(len(pks)), out,
			signer.Options{Signer: id.Key, Chain: id.Chain, Anchor: "PERJANJIAN", AnchorSize: [2]float64{r[2], r[3]}})
		if !errors.Is(err, signer.ErrBadOptions) || len(out.b) != 0 {
			t.Errorf("AnchorSize %s: %v, want ErrBadOptions", name, err)
		}
	}
	// A usable rectangle next to them signs.
	sign(t, pks, id, signer.Options{Page: 1, Rect: [4]float64{100, 100, 200, 80}})
}

// TestParseNumbers: what a command line or request gives as X,Y,W,H or
// W,H.
func TestParseNumbers(t *testing.T) {
	if v, err := signer.ParseNumbers(" 60, 90.5 ,220,-8e1", 4); err != nil || v[1] != 90.5 || v[3] != -80 {
		t.Fatalf("%v %v", v, err)
	}
	for _, s := range []string{"NaN,1", "1,Inf", "-Inf,1", "1", "1,2,3", "a,b", "1,,", "0x10,1e400"} {
		if _, err := signer.ParseNumbers(s, 2); !errors.Is(err, signer.ErrBadOptions) {
			t.Errorf("%q: %v, want ErrBadOptions", s, err)
		}
	}
}
