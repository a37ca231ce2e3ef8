// Command gensigned writes N small signed PDFs (the sample PKS with
// different dates, each signed once) and the keys the benchmarks use:
//
//	go run ./bench/gensigned -n 2000 -dir bench/out/signed -keys bench/out/keys
//
// keys/ receives root.pem, signer.p12 (password "bench"), signer.key
// (PKCS#8) and signer-chain.pem.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"segel/internal/devca"
	"segel/internal/sample"
	"segel/signer"
)

func main() {
	n := flag.Int("n", 2000, "number of signed PDFs")
	dir := flag.String("dir", "", "output folder for the signed PDFs")
	keys := flag.String("keys", "", "output folder for the keys")
	flag.Parse()
	if err := run(*n, *dir, *keys); err != nil {
		fmt.Fprintln(os.Stderr, "gensigned:", err)
		os.Exit(1)
	}
}

func run(n int, dir, keys string) error {
	if dir == "" || keys == "" {
		return fmt.Errorf("-dir and -keys are required")
	}
	for _, d := range []string{dir, keys} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	ca, err := devca.New(devca.Options{})
	if err != nil {
		return err
	}
	id, err := ca.Issue(devca.LeafRequest{CommonName: "Benchmark Signer", Organization: "segel bench", KeyType: devca.RSA2048})
	if err != nil {
		return err
	}
	if err := ca.WriteRootPEM(filepath.Join(keys, "root.pem")); err != nil {
		return err
	}
	if err := id.WriteP12(filepath.Join(keys, "signer.p12"), "bench", false, true); err != nil {
		return err
	}
	if err := id.WritePEM(filepath.Join(keys, "signer.key"), filepath.Join(keys, "signer-chain.pem"), true); err != nil {
		return err
	}
	os.WriteFile(filepath.Join(keys, "signer.pass"), []byte("bench\n"), 0o600)
	base := time.Date(2025, 1, 1, 9, 0, 0, 0, time.FixedZone("WIB", 7*3600))
	for i := 0; i < n; i++ {
		var in bytes.Buffer
		if err := sample.PKS(&in, sample.PKSOptions{Date: base.Add(time.Duration(i) * time.Hour)}); err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("pks-%04d.pdf", i)))
		if err != nil {
			return err
		}
		_, err = signer.Sign(context.Background(), bytes.NewReader(in.Bytes()), int64(in.Len()), f,
			signer.Options{Signer: id.Key, Chain: id.Chain, Field: "SigKabupaten", Time: base.Add(time.Duration(i) * time.Hour)})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
