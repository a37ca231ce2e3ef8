package attacks

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/digitorus/timestamp"

	"segel/internal/cms"
	"segel/internal/devca"
)

// sigReserve is the number of bytes reserved for a signature's /Contents.
const sigReserve = 6144

// rangeSlot is the /ByteRange placeholder, patched once the update's bytes
// are known.
const rangeSlot = "[0 ______________________________________]"

// sigObject is the body of a signature dictionary of the given type ("Sig"
// or "DocTimeStamp") with placeholders for /ByteRange and /Contents (see
// signedUpdate).
func sigObject(typ string) string {
	sub := "/Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M (D:20250116090000+07'00') /Reason (Menyetujui)"
	if typ == "DocTimeStamp" {
		sub = "/Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161"
	}
	return fmt.Sprintf("<< /Type /%s %s /ByteRange %s /Contents <%s> >>", typ, sub, rangeSlot, strings.Repeat("0", 2*sigReserve))
}

// contentsFunc makes the /Contents bytes for the digest (SHA-256) of the
// signed byte ranges.
type contentsFunc func(digest []byte) []byte

// cmsBy signs with id: a detached CMS (ETSI.CAdES.detached).
func cmsBy(id *devca.Identity) contentsFunc {
	return func(digest []byte) []byte {
		der, err := cms.SignDetached(digest, cms.SignOptions{Signer: id.Key, Chain: id.Chain})
		if err != nil {
			panic(fmt.Sprintf("attacks: CMS: %v", err))
		}
		return der
	}
}

// tokenBy returns an RFC 3161 timestamp token of tsa over the digest.
func (e Env) tokenBy() contentsFunc {
	return func(digest []byte) []byte {
		ts := timestamp.Timestamp{HashAlgorithm: crypto.SHA256, HashedMessage: digest, Time: time.Now().UTC().Truncate(time.Second),
			Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, AddTSACertificate: true, Certificates: e.TSA.Chain[1:]}
		resp, err := ts.CreateResponseWithOpts(e.TSA.Cert, e.TSA.Key, crypto.SHA256)
		if err != nil {
			panic(fmt.Sprintf("attacks: timestamp: %v", err))
		}
		parsed, err := timestamp.ParseResponse(resp)
		if err != nil {
			panic(fmt.Sprintf("attacks: timestamp: %v", err))
		}
		return parsed.RawToken
	}
}

// garbage is a /Contents of random bytes (a fake token).
func garbage(digest []byte) []byte {
	b := make([]byte, 512)
	rand.Read(b)
	return append([]byte{0x30, 0x82, 0x01, 0xfc}, b[:508]...)
}

// signedUpdate writes the objects of an update with write (which must
// put one signature dictionary made with [sigObject]), then a standard
// cross-reference table and trailer, and signs: the /ByteRange covers the
// whole resulting file except the /Contents string.
func signedUpdate(base []byte, write func(u *upd), mk contentsFunc) []byte {
	u := newUpd(base)
	write(u)
	b := u.finish("")
	return patchSignature(b, u.base, mk)
}

// patchSignature fills the placeholders found after from in b.
func patchSignature(b []byte, from int, mk contentsFunc) []byte {
	cs := bytes.Index(b[from:], []byte("<"+strings.Repeat("0", 2*sigReserve)+">"))
	if cs < 0 {
		panic("attacks: no reserved /Contents")
	}
	cs += from
	ce := cs + 2*sigReserve + 2
	rs := bytes.Index(b[from:], []byte(rangeSlot))
	if rs < 0 {
		panic("attacks: no /ByteRange placeholder")
	}
	rs += from
	br := fmt.Sprintf("0 %d %d %d", cs, ce, len(b)-ce)
	if len(br)+2 > len(rangeSlot) {
		panic("attacks: /ByteRange does not fit")
	}
	copy(b[rs:], "["+br+strings.Repeat(" ", len(rangeSlot)-len(br)-2)+"]")
	h := sha256.New()
	h.Write(b[:cs])
	h.Write(b[ce:])
	der := mk(h.Sum(nil))
	if 2*len(der) > 2*sigReserve {
		panic("attacks: signature larger than reserved")
	}
	enc := hex.EncodeToString(der)
	copy(b[cs+1:], strings.ToUpper(enc))
	return b
}
