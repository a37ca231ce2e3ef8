package signer_test

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"segel/internal/devca"
	"segel/internal/memkey"
	"segel/keystore"
	"segel/signer"
	"segel/verify"
)

var memKeys int

// memKey makes an in-memory key certified by the test CA and opens it.
func memKey(t *testing.T, o memkey.Options) (*memkey.Key, keystore.Key) {
	t.Helper()
	o.CA = ca(t)
	memKeys++
	mk := memkey.MustNew(t, fmt.Sprintf("%s-%d", t.Name(), memKeys), o)
	k, err := keystore.Open(context.Background(), mk.Ref(), keystore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return mk, k
}

// testDoc is a Document in memory that records how it was ended.
type testDoc struct {
	in       []byte
	out      memOut
	openErr  error
	closeErr error
	opened   int
	closed   int
	res      *signer.Result
}

func (d *testDoc) Open() (io.ReaderAt, int64, signer.Output, error) {
	if d.openErr != nil {
		return nil, 0, nil, d.openErr
	}
	d.opened++
	return bytes.NewReader(d.in), int64(len(d.in)), &d.out, nil
}

func (d *testDoc) Close(res *signer.Result) error {
	d.closed++
	d.res = res
	if res != nil {
		return d.closeErr
	}
	return nil
}

func docs(t *testing.T, n int) ([]*testDoc, []signer.Document) {
	pks := readTestdata(t, "pks.pdf")
	var ts []*testDoc
	var ds []signer.Document
	for range n {
		d := &testDoc{in: pks}
		ts = append(ts, d)
		ds = append(ds, d)
	}
	return ts, ds
}

func verified(t *testing.T, b []byte) {
	t.Helper()
	rep, err := verify.File(context.Background(), "signed.pdf", bytes.NewReader(b), int64(len(b)), verify.Options{Roots: ca(t).RootPool()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Indication != verify.TotalPassed || len(rep.Signatures) != 1 {
		t.Fatalf("verify: %s/%s, %d signatures", rep.Indication, rep.SubIndication, len(rep.Signatures))
	}
}

// TestSignAllBatches: a batch-signing key gets one call per batch, every
// document is signed, verifies and is closed once with its result.
func TestSignAllBatches(t *testing.T) {
	mk, key := memKey(t, memkey.Options{})
	ts, ds := docs(t, 5)
	var calls []signer.Call
	res, err := signer.SignAll(context.Background(), key, ds, signer.AllOptions{
		Options: signer.Options{Field: "SigKabupaten", Reason: "Menyetujui"}, BatchSize: 2,
		AfterCall: func(c signer.Call) { calls = append(calls, c) },
	})
	if err != nil {
		t.Fatal(err)
	}
	st := mk.Stats()
	if st.Batches != 3 || st.BatchDigests != 5 || st.Signs+st.ContextSigns != 0 {
		t.Fatalf("stats %+v, want 3 batches", st)
	}
	if len(calls) != 3 || calls[0].Digests != 2 || calls[2].Digests != 1 || calls[2].Done != 4 {
		t.Fatalf("calls %+v", calls)
	}
	for i, r := range res {
		if r.Err != nil || r.Result == nil || r.Result.Field != "SigKabupaten" {
			t.Fatalf("document %d: %+v", i, r)
		}
		if ts[i].opened != 1 || ts[i].closed != 1 || ts[i].res != r.Result {
			t.Fatalf("document %d opened %d, closed %d times", i, ts[i].opened, ts[i].closed)
		}
		verified(t, ts[i].out.b)
	}
}

// TestSignAllOnePerDocument: without SignBatch (or with batch size 1)
// every document is one call, with the context when the signer takes one,
// else through crypto.Signer.
func TestSignAllOnePerDocument(t *testing.T) {
	for _, tc := range []struct {
		name  string
		o     memkey.Options
		batch int
		ctx   bool
	}{
		{"no batch", memkey.Options{NoBatch: true}, 0, true},
		{"batch size 1", memkey.Options{}, 1, true},
		{"plain signer", memkey.Options{Plain: true}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mk, key := memKey(t, tc.o)
			ts, ds := docs(t, 3)
			res, err := signer.SignAll(context.Background(), key, ds, signer.AllOptions{BatchSize: tc.batch})
			if err != nil {
				t.Fatal(err)
			}
			st := mk.Stats()
			if st.Batches != 0 || (tc.ctx && st.ContextSigns != 3) || (!tc.ctx && st.Signs != 3) {
				t.Fatalf("stats %+v", st)
			}
			for i, r := range res {
				if r.Err != nil {
					t.Fatalf("document %d: %v", i, r.Err)
				}
				verified(t, ts[i].out.b)
			}
		})
	}
}

// TestSignAllStops: the first failure stops the run; documents signed
// before it are kept, the others are closed without a result.
func TestSignAllStops(t *testing.T) {
	t.Run("key fails in the second batch", func(t *testing.T) {
		mk, key := memKey(t, memkey.Options{})
		mk.FailAfter(1, keystore.ErrCredentialsExpired)
		ts, ds := docs(t, 5)
		res, err := signer.SignAll(context.Background(), key, ds, signer.AllOptions{BatchSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []error{nil, nil, keystore.ErrCredentialsExpired, keystore.ErrCredentialsExpired, signer.ErrSkipped} {
			if !errors.Is(res[i].Err, want) || (want == nil) != (res[i].Result != nil) {
				t.Errorf("document %d: %+v, want %v", i, res[i], want)
			}
		}
		if !errors.Is(res[2].Err, signer.ErrKey) || errors.Is(res[4].Err, signer.ErrKey) {
			t.Errorf("ErrKey: %v / %v", res[2].Err, res[4].Err)
		}
		if ts[2].closed != 1 || ts[2].res != nil || ts[4].opened != 0 || ts[4].closed != 0 {
			t.Errorf("failed batch closed %d (%v); the rest opened %d", ts[2].closed, ts[2].res, ts[4].opened)
		}
	})
	t.Run("a document cannot be opened", func(t *testing.T) {
		mk, key := memKey(t, memkey.Options{})
		ts, ds := docs(t, 4)
		ts[2].openErr = errors.New("tidak bisa dibuka")
		res, _ := signer.SignAll(context.Background(), key, ds, signer.AllOptions{BatchSize: 3})
		if res[0].Err != signer.ErrSkipped || res[1].Err != signer.ErrSkipped || res[2].Err != ts[2].openErr || res[3].Err != signer.ErrSkipped {
			t.Fatalf("results %+v", res)
		}
		if ts[0].closed != 1 || ts[0].res != nil || mk.Stats().Batches != 0 {
			t.Fatalf("the prepared documents of the batch were signed or not closed")
		}
	})
	t.Run("a document is not a PDF", func(t *testing.T) {
		_, key := memKey(t, memkey.Options{NoBatch: true})
		ts, ds := docs(t, 3)
		ts[1].in = []byte("bukan PDF")
		res, _ := signer.SignAll(context.Background(), key, ds, signer.AllOptions{})
		if res[0].Result == nil || res[1].Err == nil || errors.Is(res[1].Err, signer.ErrKey) || res[2].Err != signer.ErrSkipped {
			t.Fatalf("results %+v", res)
		}
	})
	t.Run("publishing fails", func(t *testing.T) {
		_, key := memKey(t, memkey.Options{})
		ts, ds := docs(t, 3)
		ts[1].closeErr = errors.New("disk penuh")
		res, _ := signer.SignAll(context.Background(), key, ds, signer.AllOptions{})
		if res[0].Result == nil || res[1].Err != ts[1].closeErr || res[2].Err != signer.ErrSkipped || ts[2].closed != 1 || ts[2].res != nil {
			t.Fatalf("results %+v", res)
		}
	})
}

// TestSignAllRefuses: an unusable certificate or bad options open no
// document.
func TestSignAllRefuses(t *testing.T) {
	old := devca.LeafRequest{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}
	mk, key := memKey(t, memkey.Options{Leaf: old})
	ts, ds := docs(t, 2)
	_, err := signer.SignAll(context.Background(), key, ds, signer.AllOptions{})
	var ce *keystore.CertificateError
	if !errors.As(err, &ce) || ce.Reason != keystore.Expired || ts[0].opened != 0 || mk.Stats().Batches != 0 {
		t.Fatalf("expired certificate: %v", err)
	}
	_, key = memKey(t, memkey.Options{Leaf: devca.LeafRequest{CommonName: "Sah"}})
	for name, o := range map[string]signer.AllOptions{
		"signer set": {Options: signer.Options{Signer: key.Signer()}},
		"batch":      {BatchSize: keystore.MaxBatch + 1},
		"certify":    {Options: signer.Options{Certify: 4}},
	} {
		if _, err := signer.SignAll(context.Background(), key, ds, o); !errors.Is(err, signer.ErrBadOptions) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A time-stamping authority that cannot be reached fails the run
	// before any document is opened or the key signs.
	if _, err := signer.SignAll(context.Background(), key, ds, signer.AllOptions{Timestamper: noTSA{}}); !errors.Is(err, signer.ErrTimestamp) {
		t.Errorf("unreachable TSA: %v", err)
	}
	if ts[0].opened != 0 {
		t.Error("a document was opened")
	}
}

type noTSA struct{}

func (noTSA) Timestamp(context.Context, [][]byte, crypto.Hash) ([][]byte, error) {
	return nil, fmt.Errorf("no TSA")
}
