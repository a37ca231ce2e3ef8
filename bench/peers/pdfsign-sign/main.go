// Command pdfsign-sign signs a PDF with digitorus/pdfsign, as the peer in
// the benchmarks: pdfsign-sign KEY.pem CHAIN.pem IN.pdf OUT.pdf.
package main

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"time"

	"github.com/digitorus/pdfsign/sign"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: pdfsign-sign KEY.pem CHAIN.pem IN.pdf OUT.pdf")
		os.Exit(2)
	}
	key, chain, err := load(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "pdfsign-sign:", err)
		os.Exit(1)
	}
	err = sign.SignFile(os.Args[3], os.Args[4], sign.SignData{
		Signature: sign.SignDataSignature{
			CertType: sign.ApprovalSignature,
			Info:     sign.SignDataSignatureInfo{Name: chain[0].Subject.CommonName, Date: time.Now()},
		},
		Signer:            key,
		DigestAlgorithm:   crypto.SHA256,
		Certificate:       chain[0],
		CertificateChains: [][]*x509.Certificate{chain},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pdfsign-sign:", err)
		os.Exit(1)
	}
}

func load(keyPath, chainPath string) (crypto.Signer, []*x509.Certificate, error) {
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	blk, _ := pem.Decode(kb)
	if blk == nil {
		return nil, nil, fmt.Errorf("%s: no PEM", keyPath)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, nil, err
	}
	cb, err := os.ReadFile(chainPath)
	if err != nil {
		return nil, nil, err
	}
	var chain []*x509.Certificate
	for {
		var b *pem.Block
		b, cb = pem.Decode(cb)
		if b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, nil, err
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		return nil, nil, fmt.Errorf("%s: no certificate", chainPath)
	}
	return k.(crypto.Signer), chain, nil
}
