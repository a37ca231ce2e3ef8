package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"segel/internal/attacks"
	"segel/internal/devca"
	"segel/signer"
)

// TestCacheSameReports verifies every file of the attack suite (as signed,
// as attacked, and the class-6 evidence) without a cache, then with one
// cache shared by all files in order, in reverse order and from four
// goroutines at once: every report must be the same. The suite's files
// share a PKI, so the cache is hit for every file after the first.
func TestCacheSameReports(t *testing.T) {
	env, err := attacks.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := attacks.Cases(env)
	if err != nil {
		t.Fatalf("cases: %v", err)
	}
	var files [][]byte
	for _, c := range cases {
		files = append(files, c.Signed, c.File)
		if c.Evidence != nil {
			files = append(files, c.Evidence)
		}
	}
	at := env.Now.Add(time.Hour)
	report := func(b []byte, c *Cache) string {
		rep, err := File(context.Background(), "f.pdf", bytes.NewReader(b), int64(len(b)), Options{Roots: env.Roots, Time: at, Cache: c})
		if err != nil {
			t.Fatal(err)
		}
		j, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		return string(j)
	}
	want := make([]string, len(files))
	for i, b := range files {
		want[i] = report(b, nil)
	}
	check := func(how string, i int, got string) {
		if got != want[i] {
			t.Errorf("%s: file %d: the report with a cache differs:\n got %s\nwant %s", how, i, got, want[i])
		}
	}
	c := NewCache()
	for i, b := range files {
		check("in order", i, report(b, c))
	}
	if len(c.chains) == 0 || len(c.certs) == 0 {
		t.Fatalf("the cache kept nothing (%d chains, %d certificates): the test proves nothing", len(c.chains), len(c.certs))
	}
	for i := len(files) - 1; i >= 0; i-- {
		check("reverse order", i, report(files[i], c))
	}
	c = NewCache()
	var wg sync.WaitGroup
	got := make([]string, len(files))
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(files); i += 4 {
				got[i] = report(files[i], c)
			}
		}(w)
	}
	wg.Wait()
	for i := range files {
		check("concurrent", i, got[i])
	}
}

// TestCacheChainTimes: a chain found while every certificate was valid is
// not reused at a time when one of them is not: the same file, after its
// signer's certificate expired, is INDETERMINATE/EXPIRED with the cache as
// without it; and a cached chain is not used for another set of
// intermediates or roots.
func TestCacheChainTimes(t *testing.T) {
	ca, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := ca.Now()
	id, err := ca.Issue(devca.LeafRequest{CommonName: "Bupati Tuban", KeyType: devca.ECDSAP256,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	bb := segelSign(t, testdataFile(t, "pks.pdf"), id, signer.Options{Field: "SigKabupaten"})
	roots := ca.RootPool() // the same pool throughout, as in a run
	c := NewCache()
	check := func(name string, opts Options, ind, sub string) {
		t.Helper()
		opts.Cache = c
		rep := verifyBytes(t, bb, opts)
		if rep.Indication != ind || rep.SubIndication != sub {
			t.Errorf("%s: %s/%s, want %s/%s: %v", name, rep.Indication, rep.SubIndication, ind, sub, rep.Signatures[0].Errors)
		}
	}
	check("now", Options{Roots: roots}, TotalPassed, "")
	if len(c.chains) == 0 {
		t.Fatal("no chain was cached")
	}
	check("after expiry", Options{Roots: roots, Time: now.Add(60 * 24 * time.Hour)}, Indeterminate, Expired)
	check("before issue", Options{Roots: roots, Time: now.Add(-2 * time.Hour)}, Indeterminate, NotYetValid)
	other, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	check("other roots", Options{Roots: other.RootPool()}, Indeterminate, NoCertificateChainFound)
	check("now again", Options{Roots: roots}, TotalPassed, "")
}

// TestHashPrefixReuse: hashRanges resumes a later signature's first range
// from the prefix hashed for an earlier one; every digest must equal the
// SHA-256 of its ranges computed afresh, in file order and in reverse
// (where nothing can be resumed), and a byte flipped inside the first
// signature's /Contents (outside its own ranges, inside the second's)
// must change only the second digest.
func TestHashPrefixReuse(t *testing.T) {
	ca, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(devca.LeafRequest{CommonName: "Bupati Tuban", KeyType: devca.ECDSAP256})
	if err != nil {
		t.Fatal(err)
	}
	one := segelSign(t, testdataFile(t, "pks.pdf"), id, signer.Options{Field: "SigKabupaten"})
	two := segelSign(t, one, id, signer.Options{Field: "SigProvinsi"})
	var ranges [][2][2]int64
	// The two /ByteRange arrays, in file order.
	rest, base := two, 0
	for len(ranges) < 2 {
		i := bytes.Index(rest, []byte("/ByteRange"))
		if i < 0 {
			t.Fatalf("found %d byte ranges", len(ranges))
		}
		var a, b, c, d int64
		arr := rest[i+len("/ByteRange"):]
		arr = arr[bytes.IndexByte(arr, '[')+1 : bytes.IndexByte(arr, ']')]
		if _, err := fmt.Sscan(string(arr), &a, &b, &c, &d); err != nil {
			t.Fatalf("byte range at %d: %v", base+i, err)
		}
		ranges = append(ranges, [2][2]int64{{a, a + b}, {c, c + d}})
		rest, base = rest[i+1:], base+i+1
	}
	fresh := func(file []byte, rg [2][2]int64) string {
		h := sha256.New()
		h.Write(file[rg[0][0]:rg[0][1]])
		h.Write(file[rg[1][0]:rg[1][1]])
		return hex.EncodeToString(h.Sum(nil))
	}
	digests := func(file []byte, order []int) []string {
		v := &verifier{ctx: context.Background(), r: bytes.NewReader(file), size: int64(len(file))}
		out := make([]string, len(ranges))
		for _, i := range order {
			d, err := v.hashRanges(crypto.SHA256, ranges[i])
			if err != nil {
				t.Fatal(err)
			}
			out[i] = hex.EncodeToString(d)
		}
		return out
	}
	for _, order := range [][]int{{0, 1}, {1, 0}, {0, 1, 0, 1}} {
		got := digests(two, order)
		for i, rg := range ranges {
			if want := fresh(two, rg); got[i] != want {
				t.Errorf("order %v: signature %d: %s, want %s", order, i+1, got[i], want)
			}
		}
	}
	bad := bytes.Clone(two)
	bad[ranges[0][0][1]+10] ^= 1 // inside the first /Contents hex string
	got, want := digests(bad, []int{0, 1}), digests(two, []int{0, 1})
	if got[0] != want[0] || got[1] == want[1] || got[1] != fresh(bad, ranges[1]) {
		t.Errorf("after a change in the first /Contents: %v, before %v", got, want)
	}
}
