package signer_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"segel/internal/devca"
	"segel/signer"
)

// TestFooterFirstOnly: a footer is written with the first signature; a
// later signature asking for it is refused, unless FooterFirstOnly says
// to leave it out, as official mode does — then it signs and adds none.
func TestFooterFirstOnly(t *testing.T) {
	pks := readTestdata(t, "pks.pdf")
	id := identity(t, devca.ECDSAP256, "Bupati Tuban")
	one, _, _ := sign(t, pks, id, signer.Options{Field: "SigKabupaten", Footer: signer.DefaultFooter, FooterFirstOnly: true})
	n := bytes.Count(one, []byte("/SegelFooter Do"))
	if n == 0 {
		t.Fatal("the first signature wrote no footer")
	}
	out := &memOut{}
	_, err := signer.Sign(context.Background(), bytes.NewReader(one), int64(len(one)), out,
		signer.Options{Signer: id.Key, Chain: id.Chain, Field: "SigProvinsi", Footer: signer.DefaultFooter})
	if !errors.Is(err, signer.ErrBadOptions) || len(out.b) != 0 {
		t.Errorf("a second footer: %v, want ErrBadOptions", err)
	}
	two, _, _ := sign(t, one, id, signer.Options{Field: "SigProvinsi", Footer: signer.DefaultFooter, FooterFirstOnly: true})
	if got := bytes.Count(two, []byte("/SegelFooter Do")); got != n {
		t.Errorf("the second signature drew the footer again: %d, want %d", got, n)
	}
}
