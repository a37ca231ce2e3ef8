package vault

import (
	"crypto/aes"
	"crypto/subtle"
	"encoding/binary"
	"errors"
)

// AES Key Wrap with Padding (RFC 5649), the wrapping Transit's key import
// uses for the key material.

// kwpAIV is the high half of RFC 5649's alternative initial value.
const kwpAIV = 0xA65959A6

// wrapKWP wraps plaintext (1 to 2^32-1 bytes) with the AES key kek (16,
// 24 or 32 bytes).
func wrapKWP(kek, plaintext []byte) ([]byte, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	if len(plaintext) == 0 || uint64(len(plaintext)) > 0xFFFFFFFF {
		return nil, errors.New("kwp: plaintext must be 1 to 2^32-1 bytes")
	}
	var aiv [8]byte
	binary.BigEndian.PutUint32(aiv[:4], kwpAIV)
	binary.BigEndian.PutUint32(aiv[4:], uint32(len(plaintext)))
	padded := make([]byte, (len(plaintext)+7)/8*8)
	copy(padded, plaintext)
	n := len(padded) / 8

	if n == 1 {
		// One block: encrypt AIV || P with AES directly (RFC 5649 §4.1).
		out := make([]byte, 16)
		copy(out, aiv[:])
		copy(out[8:], padded)
		block.Encrypt(out, out)
		return out, nil
	}
	// RFC 3394's wrapping process with the AIV.
	out := make([]byte, 8+len(padded))
	copy(out[8:], padded)
	a := aiv
	var b [16]byte
	for j := 0; j < 6; j++ {
		for i := 1; i <= n; i++ {
			copy(b[:8], a[:])
			copy(b[8:], out[8*i:8*i+8])
			block.Encrypt(b[:], b[:])
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(a[:], binary.BigEndian.Uint64(b[:8])^t)
			copy(out[8*i:], b[8:])
		}
	}
	copy(out[:8], a[:])
	return out, nil
}

// unwrapKWP reverses wrapKWP and checks the integrity value.
func unwrapKWP(kek, wrapped []byte) ([]byte, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	if len(wrapped) < 16 || len(wrapped)%8 != 0 {
		return nil, errors.New("kwp: wrapped key has a bad length")
	}
	n := len(wrapped)/8 - 1
	var a [8]byte
	var p []byte
	if n == 1 {
		var b [16]byte
		block.Decrypt(b[:], wrapped)
		copy(a[:], b[:8])
		p = append([]byte(nil), b[8:]...)
	} else {
		r := append([]byte(nil), wrapped[8:]...)
		copy(a[:], wrapped[:8])
		var b [16]byte
		for j := 5; j >= 0; j-- {
			for i := n; i >= 1; i-- {
				t := uint64(n*j + i)
				binary.BigEndian.PutUint64(b[:8], binary.BigEndian.Uint64(a[:])^t)
				copy(b[8:], r[8*(i-1):8*i])
				block.Decrypt(b[:], b[:])
				copy(a[:], b[:8])
				copy(r[8*(i-1):], b[8:])
			}
		}
		p = r
	}
	if binary.BigEndian.Uint32(a[:4]) != kwpAIV {
		return nil, errors.New("kwp: integrity check failed")
	}
	mli := int(binary.BigEndian.Uint32(a[4:]))
	if mli > len(p) || mli <= len(p)-8 {
		return nil, errors.New("kwp: integrity check failed")
	}
	pad := p[mli:]
	if subtle.ConstantTimeCompare(pad, make([]byte, len(pad))) != 1 {
		return nil, errors.New("kwp: integrity check failed")
	}
	return p[:mli], nil
}
