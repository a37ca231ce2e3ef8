package judge

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// SignatureBytes is what a raw scan finds for one signature: its
// /ByteRange, the signed bytes and the CMS blob from /Contents.
type SignatureBytes struct {
	// ByteRange is [a b c d]: the signed bytes are file[a:a+b] and
	// file[c:c+d]; /Contents' hex string fills the gap file[a+b:c].
	ByteRange [4]int64
	// Signed is file[a:a+b] followed by file[c:c+d].
	Signed []byte
	// CMS is the DER signature, trimmed of the zero padding.
	CMS []byte
}

var byteRangeRE = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)

// ExtractSignatures scans the raw bytes of a PDF for /ByteRange arrays, in
// file order, and cuts out each signature's signed bytes and CMS. It is a
// deliberately simple scan that does not parse the PDF, so it judges a
// file independently of segel's parser.
func ExtractSignatures(file []byte) ([]SignatureBytes, error) {
	var out []SignatureBytes
	for i, m := range byteRangeRE.FindAllSubmatch(file, -1) {
		var br [4]int64
		for k := range br {
			v, err := strconv.ParseInt(string(m[k+1]), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("signature %d: bad /ByteRange: %w", i, err)
			}
			br[k] = v
		}
		a, b, c, d := br[0], br[1], br[2], br[3]
		n := int64(len(file))
		if a < 0 || b < 0 || c < a+b || d < 0 || a+b > n || c+d > n {
			return nil, fmt.Errorf("signature %d: /ByteRange %v does not fit the file (%d bytes)", i, br, n)
		}
		cms, err := decodeContents(file[a+b : c])
		if err != nil {
			return nil, fmt.Errorf("signature %d: /Contents: %w", i, err)
		}
		signed := make([]byte, 0, b+d)
		signed = append(signed, file[a:a+b]...)
		signed = append(signed, file[c:c+d]...)
		out = append(out, SignatureBytes{ByteRange: br, Signed: signed, CMS: cms})
	}
	return out, nil
}

// decodeContents decodes the hex string that sits in the /ByteRange gap,
// "<3082...0000>", and trims the padding to the DER length.
func decodeContents(gap []byte) ([]byte, error) {
	gap = bytes.TrimSpace(gap)
	if len(gap) < 2 || gap[0] != '<' || gap[len(gap)-1] != '>' {
		return nil, errors.New("the /ByteRange gap is not a hex string <...>")
	}
	var h []byte
	for _, c := range gap[1 : len(gap)-1] {
		switch c {
		case ' ', '\t', '\r', '\n', '\f', 0:
		default:
			h = append(h, c)
		}
	}
	if len(h)%2 == 1 {
		h = append(h, '0')
	}
	raw := make([]byte, len(h)/2)
	if _, err := hex.Decode(raw, h); err != nil {
		return nil, err
	}
	n, err := derLength(raw)
	if err != nil {
		return nil, err
	}
	return raw[:n], nil
}

// derLength returns the total length of the BER/DER element at the start
// of b, which must be a SEQUENCE. Definite and indefinite lengths (NSS, and
// so pdfsig, writes the latter) are both handled.
func derLength(b []byte) (int, error) {
	if len(b) < 2 || b[0] != 0x30 {
		if len(b) == 0 {
			return 0, errors.New("empty signature")
		}
		return 0, fmt.Errorf("signature does not start with a SEQUENCE (0x%02x)", b[0])
	}
	return berLength(b, 0)
}

// berLength returns the length of the BER element at the start of b.
func berLength(b []byte, depth int) (int, error) {
	if depth > 64 {
		return 0, errors.New("BER nested too deeply")
	}
	if len(b) < 2 {
		return 0, errors.New("truncated BER element")
	}
	i := 1
	if b[0]&0x1f == 0x1f { // high tag number form
		for i < len(b) && b[i]&0x80 != 0 {
			i++
		}
		i++
	}
	if i >= len(b) {
		return 0, errors.New("truncated BER tag")
	}
	l := int(b[i])
	i++
	switch {
	case l < 0x80:
	case l == 0x80: // indefinite: constructed content up to end-of-contents
		if b[0]&0x20 == 0 {
			return 0, errors.New("indefinite length on a primitive BER element")
		}
		for {
			if i+2 > len(b) {
				return 0, errors.New("BER end-of-contents missing")
			}
			if b[i] == 0 && b[i+1] == 0 {
				return i + 2, nil
			}
			n, err := berLength(b[i:], depth+1)
			if err != nil {
				return 0, err
			}
			i += n
		}
	default:
		k := l & 0x7f
		if k > 4 || i+k > len(b) {
			return 0, errors.New("bad BER length")
		}
		l = 0
		for _, c := range b[i : i+k] {
			l = l<<8 | int(c)
		}
		i += k
	}
	if i+l > len(b) {
		return 0, fmt.Errorf("BER length %d exceeds the %d bytes of /Contents", i+l, len(b))
	}
	return i + l, nil
}

// OpenSSLCMSVerify verifies the sigIndex-th signature (0-based, in the order
// of /ByteRange occurrences in the file) of pdfPath with OpenSSL:
//
//	openssl cms -verify -binary -inform DER -in sig.der -content signed.bin \
//	    -CAfile root.pem -purpose any -out /dev/null
//
// The CMS must be a valid detached signature over the signed bytes whose
// signer chains to the root in rootPEM, through the certificates the CMS
// carries. Signers such as mutool 1.21 and podofosign embed only the signer
// certificate; for those pass the intermediates' PEM files as untrusted:
// then the signature is checked with -noverify and the signer certificate
// separately with `openssl verify -CAfile root -untrusted ...`, so the
// intermediates are not made trust anchors. It returns nil on success and
// an error carrying openssl's output otherwise.
func OpenSSLCMSVerify(t testing.TB, pdfPath string, sigIndex int, rootPEM string, untrusted ...string) error {
	t.Helper()
	Require(t, "openssl")
	file, err := os.ReadFile(pdfPath)
	if err != nil {
		return err
	}
	sigs, err := ExtractSignatures(file)
	if err != nil {
		return err
	}
	if sigIndex < 0 || sigIndex >= len(sigs) {
		return fmt.Errorf("%s has %d signatures (/ByteRange), no index %d", pdfPath, len(sigs), sigIndex)
	}
	dir := t.TempDir()
	sigPath := filepath.Join(dir, "sig.der")
	signedPath := filepath.Join(dir, "signed.bin")
	if err := os.WriteFile(sigPath, sigs[sigIndex].CMS, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(signedPath, sigs[sigIndex].Signed, 0o600); err != nil {
		return err
	}
	cms := []string{"cms", "-verify", "-binary", "-inform", "DER", "-in", sigPath, "-content", signedPath}
	if len(untrusted) == 0 {
		return openssl(t, append(cms, "-CAfile", rootPEM, "-purpose", "any", "-out", os.DevNull)...)
	}
	signerPath := filepath.Join(dir, "signer.pem")
	if err := openssl(t, append(cms, "-noverify", "-signer", signerPath, "-out", os.DevNull)...); err != nil {
		return err
	}
	// Untrusted pool: the given intermediates plus what the CMS carries.
	pool := filepath.Join(dir, "untrusted.pem")
	r := run(t, "openssl", "pkcs7", "-inform", "DER", "-in", sigPath, "-print_certs")
	if r.err != nil || r.code != 0 {
		return fmt.Errorf("openssl pkcs7 -print_certs: %v %s", r.err, r.combined())
	}
	all := []byte(r.stdout)
	for _, u := range untrusted {
		b, err := os.ReadFile(u)
		if err != nil {
			return err
		}
		all = append(append(all, '\n'), b...)
	}
	if err := os.WriteFile(pool, all, 0o600); err != nil {
		return err
	}
	return openssl(t, "verify", "-CAfile", rootPEM, "-untrusted", pool, "-purpose", "any", signerPath)
}

// openssl runs openssl and turns a non-zero exit into an error with its
// output.
func openssl(t testing.TB, args ...string) error {
	t.Helper()
	r := run(t, "openssl", args...)
	if r.err != nil {
		return r.err
	}
	if r.code != 0 {
		return fmt.Errorf("openssl %s failed (exit %d): %s", args[0], r.code, r.combined())
	}
	return nil
}
