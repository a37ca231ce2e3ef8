package keystore

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// memKey is a Key for test backends.
type memKey struct {
	signer crypto.Signer
	chain  []*x509.Certificate
	closed *bool
}

func (k memKey) Signer() crypto.Signer      { return k.signer }
func (k memKey) Chain() []*x509.Certificate { return k.chain }
func (k memKey) Close() error               { *k.closed = true; return nil }

func TestOpenReferences(t *testing.T) {
	ctx := context.Background()

	t.Run("unknown scheme", func(t *testing.T) {
		_, err := Open(ctx, "vault:transit/kepala-dinas", Options{})
		var use *UnknownSchemeError
		if !errors.As(err, &use) {
			t.Fatalf("got %T %v, want *UnknownSchemeError", err, err)
		}
		if use.Scheme != "vault" || !slices.Contains(use.Known, "file") {
			t.Errorf("got %+v", use)
		}
		if !strings.Contains(err.Error(), "file") || !strings.HasPrefix(err.Error(), "keystore: ") {
			t.Errorf("message %q should list the known schemes", err)
		}
	})

	for _, ref := range []string{"kunci.p12", "./kunci.p12", "/etc/segel/kunci.p12", `C:\Segel\kunci.pfx`, "C:/Segel/kunci.pfx", "/tmp/a:b.p12"} {
		t.Run("no scheme "+ref, func(t *testing.T) {
			_, err := Open(ctx, ref, Options{})
			if err == nil || !strings.Contains(err.Error(), "file:"+ref) {
				t.Fatalf("got %v, want a hint to write file:%s", err, ref)
			}
			var use *UnknownSchemeError
			if errors.As(err, &use) {
				t.Errorf("a missing scheme should not be reported as unknown scheme %q", use.Scheme)
			}
		})
	}

	t.Run("empty", func(t *testing.T) {
		for _, ref := range []string{"", "  ", "file:"} {
			if _, err := Open(ctx, ref, Options{}); err == nil || !strings.Contains(err.Error(), "file:PATH") {
				t.Errorf("Open(%q): got %v", ref, err)
			}
		}
	})

	t.Run("canceled context", func(t *testing.T) {
		c, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := Open(c, "file:/nonexistent", Options{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("missing file", func(t *testing.T) {
		_, err := Open(ctx, "file:"+filepath.Join(t.TempDir(), "nope.p12"), Options{})
		if err == nil || !strings.HasPrefix(err.Error(), "keystore: ") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("scheme case and URI form", func(t *testing.T) {
		pki := newPKI(t, "Root")
		key := newEC(t, elliptic.P256())
		leaf := pki.issue(t, "URI", key.Public(), nil)
		p12, err := pkcs12.Modern.Encode(key, leaf, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		path := writeFile(t, t.TempDir(), "k.p12", p12)
		for _, ref := range []string{"FILE:" + path, "file://" + path, "file://localhost" + path} {
			k, err := Open(ctx, ref, Options{})
			if err != nil {
				t.Fatalf("Open(%q): %v", ref, err)
			}
			checkSignVerify(t, k)
		}
		if _, err := Open(ctx, "file://server"+path, Options{}); err == nil {
			t.Error("a file URI with a remote host should fail")
		}
	})
}

var registryRuns int

func TestRegistry(t *testing.T) {
	pki := newPKI(t, "Root")
	key := newEC(t, elliptic.P256())
	leaf := pki.issue(t, "Memory", key.Public(), nil)
	other := pki.issue(t, "Other", newEC(t, elliptic.P256()).Public(), nil)

	// Unique scheme names, so that -count=N can re-run this test.
	registryRuns++
	sc := func(s string) string { return fmt.Sprintf("memtest%d-%s", registryRuns, s) }

	var gotRest string
	var gotOpts Options
	closed := false
	Register(strings.ToUpper(sc("ok")), func(ctx context.Context, rest string, opts Options) (Key, error) {
		gotRest, gotOpts = rest, opts
		return memKey{key, []*x509.Certificate{leaf, pki.inter}, &closed}, nil
	})
	Register(sc("mismatch"), func(ctx context.Context, rest string, opts Options) (Key, error) {
		return memKey{key, []*x509.Certificate{other}, &closed}, nil
	})
	Register(sc("nil"), func(ctx context.Context, rest string, opts Options) (Key, error) {
		return nil, nil
	})
	Register(sc("empty"), func(ctx context.Context, rest string, opts Options) (Key, error) {
		return memKey{key, nil, &closed}, nil
	})
	backendErr := errors.New("keystore: vault is sealed")
	Register(sc("err"), func(ctx context.Context, rest string, opts Options) (Key, error) {
		return nil, backendErr
	})

	s := Schemes()
	if !slices.IsSorted(s) {
		t.Errorf("Schemes() = %v, not sorted", s)
	}
	for _, want := range []string{"file", sc("ok"), sc("mismatch")} {
		if !slices.Contains(s, want) {
			t.Errorf("Schemes() = %v, lacks %q", s, want)
		}
	}

	k, err := Open(context.Background(), sc("ok")+":transit/Kepala:Dinas", Options{CertFile: "x.pem"})
	if err != nil {
		t.Fatal(err)
	}
	if gotRest != "transit/Kepala:Dinas" || gotOpts.CertFile != "x.pem" {
		t.Errorf("backend got rest %q, opts %+v", gotRest, gotOpts)
	}
	checkSignVerify(t, k)

	closed = false
	if _, err := Open(context.Background(), sc("mismatch")+":x", Options{}); !errors.Is(err, ErrCertificateMismatch) {
		t.Errorf("mismatching backend key: got %v", err)
	}
	if !closed {
		t.Error("a rejected key was not closed")
	}
	if _, err := Open(context.Background(), sc("nil")+":x", Options{}); err == nil {
		t.Error("nil key accepted")
	}
	if _, err := Open(context.Background(), sc("empty")+":x", Options{}); err == nil {
		t.Error("key without chain accepted")
	}
	if _, err := Open(context.Background(), sc("err")+":x", Options{}); err != backendErr {
		t.Errorf("backend error not passed through: %v", err)
	}

	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	noop := func(context.Context, string, Options) (Key, error) { return nil, nil }
	mustPanic("duplicate", func() { Register("file", noop) })
	mustPanic("duplicate other case", func() { Register(strings.ToUpper(sc("ok")), noop) })
	mustPanic("empty scheme", func() { Register("", noop) })
	mustPanic("bad scheme", func() { Register("my scheme", noop) })
	mustPanic("nil opener", func() { Register(sc("nilopener"), nil) })
}

func TestSplitRef(t *testing.T) {
	cases := []struct {
		ref, scheme, rest string
		ok                bool
	}{
		{"file:a.p12", "file", "a.p12", true},
		{"File:a.p12", "file", "a.p12", true},
		{"vault:secret/signing/kadis", "vault", "secret/signing/kadis", true},
		{"pkcs11:token=x;object=y", "pkcs11", "token=x;object=y", true},
		{"file:C:\\a.p12", "file", "C:\\a.p12", true},
		{"C:\\a.p12", "", "", false},
		{"c:/a.p12", "", "", false},
		{"a.p12", "", "", false},
		{"1file:a", "", "", false},
		{":a", "", "", false},
	}
	for _, c := range cases {
		s, r, ok := splitRef(c.ref)
		if s != c.scheme || r != c.rest || ok != c.ok {
			t.Errorf("splitRef(%q) = %q, %q, %v; want %q, %q, %v", c.ref, s, r, ok, c.scheme, c.rest, c.ok)
		}
	}
}
