// Command attacks writes the attack suite of internal/attacks to a
// directory for manual inspection: for each case NAME-signed.pdf (the file
// as the victim signed it), NAME.pdf (the attacked file), for class 6 also
// NAME-evidence.pdf (the file before the evidence was deleted), the test
// PKI's root certificate as root.pem, and manifest.json listing every case
// (name, class, title, shown).
//
//	go run ./testdata/attacks -out DIR
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"segel/internal/attacks"
)

// entry is one case in manifest.json.
type entry struct {
	Name     string `json:"name"`
	Class    int    `json:"class"`
	Title    string `json:"title"`
	Shown    string `json:"shown"`
	Signed   string `json:"signed"`
	File     string `json:"file"`
	Evidence string `json:"evidence,omitempty"`
}

func main() {
	out := flag.String("out", "", "directory to write the cases to (created if missing)")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./testdata/attacks -out DIR")
		os.Exit(2)
	}
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "attacks:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	env, err := attacks.NewEnv()
	if err != nil {
		return err
	}
	cases, buildErr := attacks.Cases(env)
	if err := os.WriteFile(filepath.Join(dir, "root.pem"), env.CA.RootPEM(), 0o644); err != nil {
		return err
	}
	var manifest []entry
	for _, c := range cases {
		e := entry{Name: c.Name, Class: c.Class, Title: c.Title, Shown: c.Shown,
			Signed: c.Name + "-signed.pdf", File: c.Name + ".pdf"}
		files := map[string][]byte{e.Signed: c.Signed, e.File: c.File}
		if c.Evidence != nil {
			e.Evidence = c.Name + "-evidence.pdf"
			files[e.Evidence] = c.Evidence
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				return err
			}
		}
		manifest = append(manifest, e)
	}
	j, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), append(j, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %d cases to %s\n", len(cases), dir)
	return buildErr
}
