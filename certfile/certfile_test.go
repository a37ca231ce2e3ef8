package certfile

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newCert(t testing.TB, cn string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestParse(t *testing.T) {
	a, b := newCert(t, "Root A"), newCert(t, "Root B")
	pa, pb := pemOf("CERTIFICATE", a), pemOf("CERTIFICATE", b)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tc := range []struct {
		name string
		data []byte
		want []string // common names
	}{
		{"one PEM", pa, []string{"Root A"}},
		{"bundle", cat(pa, pb), []string{"Root A", "Root B"}},
		{"openssl text around", cat([]byte("subject=CN=Root A\nissuer=CN=Root A\n"), pa, []byte("\n# Root B — komentar\n\n"), pb, []byte("\n")), []string{"Root A", "Root B"}},
		{"CRLF and BOM", cat([]byte("\uFEFF"), bytes.ReplaceAll(pa, []byte("\n"), []byte("\r\n"))), []string{"Root A"}},
		{"old type", pemOf("X509 CERTIFICATE", a), []string{"Root A"}},
		{"one DER", a, []string{"Root A"}},
		{"DER bundle", cat(a, b), []string{"Root A", "Root B"}},
		{"DER with a trailing newline", cat(a, []byte("\n")), []string{"Root A"}},
		{"DER with leading white space", cat([]byte("\r\n "), a), []string{"Root A"}},
	} {
		certs, err := Parse("roots.pem", tc.data)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []string
		for _, c := range certs {
			got = append(got, c.Subject.CommonName)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	a := newCert(t, "Root A")
	pa := pemOf("CERTIFICATE", a)
	key := pemOf("PRIVATE KEY", []byte("not really a key"))
	broken := bytes.Replace(pemOf("CERTIFICATE", a), []byte("M"), []byte("!"), 1)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tc := range []struct {
		name, data string
		want       error
		msg        string
	}{
		{"empty", "", ErrNoCertificate, "roots.pem holds no certificate (PEM or DER expected)"},
		{"white space", " \n\t\n", ErrNoCertificate, "roots.pem holds no certificate"},
		{"text", "hello\n", ErrNoCertificate, "roots.pem holds no certificate"},
		{"a key after the certificate", string(cat(pa, key)), ErrNotCertificate, `roots.pem: PEM block 2 (line 11) is a "PRIVATE KEY", not a certificate`},
		{"a CRL", string(pemOf("X509 CRL", []byte{0x30, 0})), ErrNotCertificate, `PEM block 1 (line 1) is a "X509 CRL", not a certificate`},
		{"trusted certificate", string(pemOf("TRUSTED CERTIFICATE", a)), ErrNotCertificate, `"TRUSTED CERTIFICATE"`},
		{"bad base64", string(cat(broken, pa)), ErrMalformed, "roots.pem: PEM block 1 (line 1): malformed: the PEM block cannot be decoded"},
		{"bad base64 last", string(cat(pa, broken)), ErrMalformed, "PEM block 2 (line 11)"},
		{"no END line", string(cat(pa, []byte("-----BEGIN CERTIFICATE-----\nMIIB\n"))), ErrMalformed, "PEM block 2 (line 11)"},
		{"a stray END line", string(cat(pa, []byte("-----END CERTIFICATE-----\n"))), ErrMalformed, "line 11: malformed: an END line without its BEGIN line"},
		{"not a certificate inside", string(pemOf("CERTIFICATE", []byte{0x30, 3, 1, 1, 0})), ErrMalformed, "PEM block 1 (line 1, CERTIFICATE): malformed: x509:"},
		{"binary between blocks", string(cat(pa, []byte{0, 1, 2, '\n'}, pa)), ErrMalformed, "line 11: malformed: data outside the PEM blocks that is not text"},
		{"DER then junk", string(cat(a, []byte("junk"))), ErrMalformed, "malformed: data after the last DER certificate"},
		{"truncated DER", string(a[:len(a)-1]), ErrMalformed, "roots.pem: DER certificate 1 (byte 0): malformed: a truncated"},
		{"second DER broken", string(cat(a, []byte{0x30, 3, 1, 1, 0})), ErrMalformed, "DER certificate 2 (byte "},
	} {
		certs, err := Parse("roots.pem", []byte(tc.data))
		var e *Error
		switch {
		case err == nil:
			t.Errorf("%s: accepted, %d certificates", tc.name, len(certs))
		case !errors.Is(err, tc.want) || !errors.As(err, &e) || e.Name != "roots.pem":
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		case !strings.Contains(err.Error(), tc.msg):
			t.Errorf("%s: %q does not say %q", tc.name, err, tc.msg)
		}
	}
}

func TestReadPool(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.pem"), filepath.Join(dir, "b.der")
	os.WriteFile(a, pemOf("CERTIFICATE", newCert(t, "Root A")), 0o644)
	os.WriteFile(b, newCert(t, "Root B"), 0o644)
	pool, err := ReadPool(a, b)
	if err != nil || len(pool.Subjects()) != 2 { //nolint:staticcheck // counting is all Subjects is used for
		t.Fatalf("%v", err)
	}
	bad := filepath.Join(dir, "bad.pem")
	os.WriteFile(bad, []byte("hello"), 0o644)
	if _, err := ReadPool(a, bad); !errors.Is(err, ErrNoCertificate) || !strings.Contains(err.Error(), bad) {
		t.Errorf("%v", err)
	}
	if _, err := ReadPool(filepath.Join(dir, "missing.pem")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%v", err)
	}
}

// FuzzParse: Parse never panics, and what it accepts are certificates
// that, written back as PEM, read the same.
func FuzzParse(f *testing.F) {
	a := newCert(f, "Root A")
	f.Add(pemOf("CERTIFICATE", a))
	f.Add(a)
	f.Add(append(pemOf("CERTIFICATE", a), pemOf("PRIVATE KEY", []byte{1})...))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("text\n-----END X-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := Parse("fuzz", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T %v", err, err)
			}
			return
		}
		if len(certs) == 0 {
			t.Fatal("no certificates and no error")
		}
		var out []byte
		for _, c := range certs {
			out = append(out, pemOf("CERTIFICATE", c.Raw)...)
		}
		again, err := Parse("again", out)
		if err != nil || len(again) != len(certs) {
			t.Fatalf("written back: %v", err)
		}
	})
}
