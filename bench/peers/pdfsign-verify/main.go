// Command pdfsign-verify verifies a PDF with digitorus/pdfsign, as the peer
// in the benchmarks: pdfsign-verify FILE.pdf. It exits 0 when every
// signature is valid by pdfsign's judgement.
package main

import (
	"fmt"
	"os"

	"github.com/digitorus/pdfsign/verify"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pdfsign-verify FILE.pdf")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "pdfsign-verify:", err)
		os.Exit(1)
	}
	defer f.Close()
	resp, err := verify.VerifyFile(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pdfsign-verify:", err)
		os.Exit(1)
	}
	for _, s := range resp.Signers {
		if !s.ValidSignature {
			fmt.Println("invalid signature:", s.Name)
			os.Exit(1)
		}
	}
	fmt.Printf("%d valid signature(s)\n", len(resp.Signers))
}
