// Command sha256floor is the speed floor for signing and verifying: it
// hashes IN with SHA-256 and, given OUT, copies IN to OUT at the same time
// (what signing must at least do). With SYNC=1 in the environment it also
// fsyncs OUT, as a signer that never leaves a partial file must.
// sha256floor IN [OUT]
package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: sha256floor IN [OUT]")
		os.Exit(2)
	}
	in, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	h := sha256.New()
	var w io.Writer = h
	if len(os.Args) > 2 {
		out, err := os.Create(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer out.Close()
		w = io.MultiWriter(h, out)
	}
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(w, in, buf); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if len(os.Args) > 2 && os.Getenv("SYNC") == "1" {
		f, err := os.OpenFile(os.Args[2], os.O_WRONLY, 0)
		if err == nil {
			f.Sync()
			f.Close()
		}
	}
	fmt.Printf("%x\n", h.Sum(nil))
}
