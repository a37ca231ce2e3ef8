package cms

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// requireOpenSSL returns the openssl binary, skipping the test when it is
// absent unless CI=true (then the test fails).
func requireOpenSSL(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("openssl not found and CI=true: %v", err)
		}
		t.Skip("openssl not found")
	}
	return path
}

func runOpenSSL(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

// TestOpenSSLVerify has OpenSSL, an independent implementation, verify our
// signatures (including the ESS signing-certificate-v2 check that OpenSSL 3
// performs in CMS_verify).
func TestOpenSSLVerify(t *testing.T) {
	bin := requireOpenSSL(t)
	for _, tc := range signCases {
		t.Run(tc.String(), func(t *testing.T) {
			pki := newPKI(t, tc.key)
			content := randomContent(t)
			blob, err := SignDetached(digestOf(tc.hash, content), SignOptions{
				Signer: pki.leafKey, Chain: pki.chain(), Hash: tc.hash, PSS: tc.pss,
			})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			sig := writeFile(t, dir, "sig.der", blob)
			cont := writeFile(t, dir, "content.bin", content)
			root := writeFile(t, dir, "root.pem", certPEM(pki.root))
			verify := func(contentPath string) (string, error) {
				return runOpenSSL(t, bin, "cms", "-verify", "-binary", "-inform", "DER", "-in", sig,
					"-content", contentPath, "-CAfile", root, "-purpose", "any", "-out", os.DevNull)
			}
			out, err := verify(cont)
			if err != nil || !strings.Contains(out, "Verification successful") {
				t.Fatalf("openssl cms -verify failed: %v\n%s", err, out)
			}
			// The judge must be able to fail: other content.
			content[0] ^= 1
			bad := writeFile(t, dir, "bad.bin", content)
			if out, err := verify(bad); err == nil {
				t.Fatalf("openssl accepted modified content:\n%s", out)
			}
		})
	}
}

// TestOpenSSLProduced parses and verifies signatures made by OpenSSL,
// including streamed (indefinite-length BER) output, RSASSA-PSS, ECDSA and
// signatures without signed attributes.
func TestOpenSSLProduced(t *testing.T) {
	bin := requireOpenSSL(t)
	cases := []struct {
		name    string
		key     string
		hash    crypto.Hash
		args    []string
		wantBER bool
		attrs   bool
	}{
		{"rsa-stream", "rsa2048", crypto.SHA256, []string{"-stream"}, true, true},
		{"rsa-stream-nodetach", "rsa2048", crypto.SHA256, []string{"-stream", "-nodetach"}, true, true},
		// OpenSSL 3.0 cannot stream RSASSA-PSS ("illegal zero content").
		{"rsa-pss", "rsa2048", crypto.SHA384, []string{"-md", "sha384", "-keyopt", "rsa_padding_mode:pss"}, false, true},
		{"rsa-pss-saltlen", "rsa3072", crypto.SHA256, []string{"-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:max"}, false, true},
		{"rsa-der-detached", "rsa3072", crypto.SHA512, []string{"-md", "sha512"}, false, true},
		{"p256-stream", "p256", crypto.SHA256, []string{"-stream"}, true, true},
		{"p384-sha384", "p384", crypto.SHA384, []string{"-md", "sha384"}, false, true},
		{"rsa-noattr", "rsa2048", crypto.SHA256, []string{"-noattr"}, false, false},
		{"p256-noattr-stream", "p256", crypto.SHA256, []string{"-noattr", "-stream"}, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pki := newPKI(t, tc.key)
			dir := t.TempDir()
			content := randomContent(t)
			cont := writeFile(t, dir, "content.bin", content)
			signer := writeFile(t, dir, "signer.pem", certPEM(pki.leaf))
			key := writeFile(t, dir, "key.pem", keyPEM(t, pki.leafKey))
			extra := writeFile(t, dir, "chain.pem", certPEM(pki.inter))
			out := dir + "/sig.der"
			args := append([]string{"cms", "-sign", "-binary", "-outform", "DER", "-in", cont,
				"-signer", signer, "-inkey", key, "-certfile", extra, "-out", out}, tc.args...)
			if msg, err := runOpenSSL(t, bin, args...); err != nil {
				t.Fatalf("openssl cms -sign: %v\n%s", err, msg)
			}
			blob, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			sd, err := Parse(blob)
			if err != nil {
				t.Fatal(err)
			}
			if sd.BER != tc.wantBER {
				t.Errorf("BER = %v, want %v", sd.BER, tc.wantBER)
			}
			if sd.EContent != nil && !bytes.Equal(sd.EContent, content) {
				t.Errorf("eContent differs from the signed content")
			}
			if len(sd.Signers) != 1 {
				t.Fatalf("%d signers", len(sd.Signers))
			}
			si := sd.Signers[0]
			if si.HasSignedAttributes != tc.attrs || si.DigestAlgorithm != tc.hash {
				t.Fatalf("signed attributes %v, digest %v", si.HasSignedAttributes, si.DigestAlgorithm)
			}
			if tc.attrs && si.SigningTime == nil {
				t.Error("OpenSSL's signingTime attribute not parsed")
			}
			cert, err := sd.SignerCertificate(si)
			if err != nil {
				t.Fatal(err)
			}
			if !cert.Equal(pki.leaf) {
				t.Fatal("wrong signer certificate")
			}
			digest := digestOf(tc.hash, content)
			if err := si.CheckDigest(digest); err != nil {
				t.Errorf("CheckDigest: %v", err)
			}
			if err := si.CheckSigningCertificate(cert); err != nil {
				t.Errorf("CheckSigningCertificate: %v", err)
			}
			if err := si.VerifySignature(cert, digest); err != nil {
				t.Errorf("VerifySignature: %v", err)
			}
			bad := bytes.Clone(digest)
			bad[0] ^= 0x80
			if tc.attrs {
				if err := si.CheckDigest(bad); !errors.Is(err, ErrDigestMismatch) {
					t.Errorf("CheckDigest(bad) = %v", err)
				}
			} else if err := si.VerifySignature(cert, bad); !errors.Is(err, ErrSignatureInvalid) {
				t.Errorf("VerifySignature(bad digest, no attributes) = %v", err)
			}
		})
	}
}

// TestOpenSSLTimestamp parses and verifies an RFC 3161 token made by
// "openssl ts -reply" over our signature value.
func TestOpenSSLTimestamp(t *testing.T) {
	bin := requireOpenSSL(t)
	pki := newPKI(t, "p256")
	tsaCert, tsaKey := pki.newTSA(t, "rsa2048#tsa")
	dir := t.TempDir()
	blob, err := SignDetached(make([]byte, 32), SignOptions{Signer: pki.leafKey, Chain: pki.chain()})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := Parse(blob)
	if err != nil {
		t.Fatal(err)
	}
	sigValue := writeFile(t, dir, "sigvalue.bin", sd.Signers[0].Signature)
	writeFile(t, dir, "tsa.pem", certPEM(tsaCert))
	writeFile(t, dir, "tsakey.pem", keyPEM(t, tsaKey))
	writeFile(t, dir, "chain.pem", certPEM(pki.inter))
	writeFile(t, dir, "serial", []byte("1000\n"))
	cnf := writeFile(t, dir, "tsa.cnf", []byte(`
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = `+dir+`
serial = $dir/serial
signer_cert = $dir/tsa.pem
signer_key = $dir/tsakey.pem
certs = $dir/chain.pem
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500, microsecs:100
ordering = yes
tsa_name = yes
ess_cert_id_alg = sha256
ess_cert_id_chain = no
`))
	query := dir + "/req.tsq"
	if msg, err := runOpenSSL(t, bin, "ts", "-query", "-data", sigValue, "-sha256", "-cert", "-out", query); err != nil {
		t.Fatalf("ts -query: %v\n%s", err, msg)
	}
	tokenPath := dir + "/token.der"
	if msg, err := runOpenSSL(t, bin, "ts", "-reply", "-config", cnf, "-queryfile", query,
		"-token_out", "-out", tokenPath); err != nil {
		t.Skipf("openssl ts -reply unavailable: %v\n%s", err, msg)
	}
	token, err := os.ReadFile(tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := Parse(token)
	if err != nil {
		t.Fatal(err)
	}
	if !ts.EContentType.Equal(OIDTSTInfo) || len(ts.Signers) != 1 {
		t.Fatalf("token: eContentType %v, %d signers", ts.EContentType, len(ts.Signers))
	}
	info, err := ParseTSTInfo(ts.EContent)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(sd.Signers[0].Signature)
	if info.Version != 1 || info.MessageImprint.HashAlgorithm != crypto.SHA256 ||
		!bytes.Equal(info.MessageImprint.HashedMessage, want[:]) || info.Policy.String() != "1.2.3.4.1" {
		t.Errorf("TSTInfo = %+v", info)
	}
	if !info.Ordering || info.Nonce == nil || info.TSARaw == nil || info.SerialNumber == nil {
		t.Errorf("TSTInfo optional fields: ordering %v nonce %v tsa %x", info.Ordering, info.Nonce, info.TSARaw)
	}
	if info.Accuracy.String() != "1.5001s" {
		t.Errorf("accuracy %v", info.Accuracy)
	}
	si := ts.Signers[0]
	cert, err := ts.SignerCertificate(si)
	if err != nil {
		t.Fatal(err)
	}
	if !cert.Equal(tsaCert) {
		t.Fatal("wrong TSA certificate")
	}
	if err := si.CheckDigest(digestOf(si.DigestAlgorithm, ts.EContent)); err != nil {
		t.Errorf("CheckDigest: %v", err)
	}
	if err := si.VerifySignature(cert, nil); err != nil {
		t.Errorf("VerifySignature: %v", err)
	}
	if err := si.CheckSigningCertificate(cert); err != nil {
		t.Errorf("CheckSigningCertificate: %v", err)
	}
	if len(si.SigningCertificateV2) == 0 && len(si.SigningCertificateV1) == 0 {
		t.Error("no ESS signing certificate attribute in the token")
	}
}
