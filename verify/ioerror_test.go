package verify

import (
	"bytes"
	"context"
	"errors"
	"syscall"
	"testing"

	"segel/internal/devca"
	"segel/pdf"
	"segel/signer"
)

// failingReader fails every read that touches [from, to).
type failingReader struct {
	b        []byte
	from, to int64
}

func (f *failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off < f.to && off+int64(len(p)) > f.from {
		return 0, syscall.EIO
	}
	return bytes.NewReader(f.b).ReadAt(p, off)
}

// TestIOErrorIsNotAVerdict: a read error anywhere — in the cross-reference
// data, in an object, in the signed bytes — is returned as an error
// wrapping pdf.ErrIO, never as TOTAL_FAILED/FORMAT_FAILURE: an archive run
// on a failing disk must not condemn good documents.
func TestIOErrorIsNotAVerdict(t *testing.T) {
	p := newPKI(t, devca.ECDSAP256)
	b := segelSign(t, testdataFile(t, "pks.pdf"), p.id, signer.Options{Field: "SigKabupaten"})
	size := int64(len(b))
	for _, c := range []struct {
		name     string
		from, to int64
	}{
		{"header", 0, 10},
		{"end of the file", size - 20, size},
		{"middle of the signed bytes", size / 3, size/3 + 1},
		{"everything", 0, size},
	} {
		rep, err := File(context.Background(), "x.pdf", &failingReader{b: b, from: c.from, to: c.to}, size, Options{Roots: p.pool(p.ca.Root)})
		if !errors.Is(err, pdf.ErrIO) || !errors.Is(err, syscall.EIO) || rep != nil {
			t.Errorf("%s: report %v, err %v; want an error wrapping pdf.ErrIO", c.name, rep, err)
		}
	}
	// Without the failure, the same bytes pass.
	if rep := verifyBytes(t, b, Options{Roots: p.pool(p.ca.Root)}); rep.Indication != TotalPassed {
		t.Fatalf("baseline: %s", rep.Indication)
	}
}
