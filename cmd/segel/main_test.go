package main

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"segel/internal/devca"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"segel": func() { os.Exit(run(os.Args, os.Stdout, os.Stderr)) },
		// mkpki DIR writes a development PKI with good and bad identities.
		"mkpki": func() { os.Exit(mkpki(os.Args[1])) },
		// flipbyte FILE OFFSET flips one byte of FILE in place.
		"flipbyte": func() { os.Exit(flipbyte(os.Args[1], os.Args[2])) },
	})
}

func TestScripts(t *testing.T) {
	td, err := filepath.Abs(filepath.Join("..", "..", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(e *testscript.Env) error {
			e.Setenv("TESTDATA", td)
			e.Setenv("SEGEL_KEY_PASSWORD", "")
			return nil
		},
	})
}

func mkpki(dir string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "mkpki:", err); return 1 }
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	ca, err := devca.New(devca.Options{})
	if err != nil {
		return fail(err)
	}
	if err := ca.WriteRootPEM(filepath.Join(dir, "root.pem")); err != nil {
		return fail(err)
	}
	ids := []struct {
		name string
		req  devca.LeafRequest
	}{
		{"good", devca.LeafRequest{CommonName: "Bupati Tuban", KeyType: devca.ECDSAP256}},
		{"other", devca.LeafRequest{CommonName: "Orang Lain", KeyType: devca.ECDSAP256}},
		{"expired", devca.LeafRequest{CommonName: "Pejabat Lama", KeyType: devca.ECDSAP256,
			NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}},
		{"encipher", devca.LeafRequest{CommonName: "Kunci Enkripsi", KeyType: devca.RSA2048, KeyUsage: x509.KeyUsageKeyEncipherment}},
	}
	for _, id := range ids {
		ident, err := ca.Issue(id.req)
		if err != nil {
			return fail(err)
		}
		if err := ident.WriteP12(filepath.Join(dir, id.name+".p12"), "rahasia-"+id.name, false, true); err != nil {
			return fail(err)
		}
		if err := os.WriteFile(filepath.Join(dir, id.name+".pass"), []byte("rahasia-"+id.name+"\n"), 0o600); err != nil {
			return fail(err)
		}
		if err := ident.WritePEM(filepath.Join(dir, id.name+".key"), filepath.Join(dir, id.name+".chain.pem"), true); err != nil {
			return fail(err)
		}
	}
	return 0
}

func flipbyte(path, offset string) int {
	var off int64
	if _, err := fmt.Sscan(offset, &off); err != nil {
		fmt.Fprintln(os.Stderr, "flipbyte:", err)
		return 1
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "flipbyte:", err)
		return 1
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		fmt.Fprintln(os.Stderr, "flipbyte:", err)
		return 1
	}
	b[0] ^= 0x01
	if _, err := f.WriteAt(b, off); err != nil {
		fmt.Fprintln(os.Stderr, "flipbyte:", err)
		return 1
	}
	return 0
}
