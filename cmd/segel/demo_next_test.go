package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// shellWords splits a command line on spaces, keeping "double-quoted"
// words together (enough for the commands the demo and README print).
func shellWords(line string) []string {
	var out []string
	var cur strings.Builder
	inq, have := false, false
	for _, r := range line {
		switch {
		case r == '"':
			inq, have = !inq, true
		case r == ' ' && !inq:
			if have {
				out = append(out, cur.String())
			}
			cur.Reset()
			have = false
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

// commandsIn returns the "segel …" commands in text, continuation lines
// (ending in a backslash) joined, comments dropped.
func commandsIn(text string) [][]string {
	var cmds [][]string
	var acc string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if acc == "" && !strings.HasPrefix(l, "segel ") {
			continue
		}
		if i := strings.Index(l, " #"); i >= 0 {
			l = strings.TrimSpace(l[:i])
		}
		if strings.HasSuffix(l, "\\") {
			acc += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		cmds = append(cmds, shellWords(acc + l)[1:])
		acc = ""
	}
	return cmds
}

// TestDemoNextSteps runs every command the demo suggests at its end, and
// the README's signing example, on the files the demo wrote.
func TestDemoNextSteps(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	r := mustSegel(t, "demo")
	i := strings.Index(r.stderr, "next steps")
	if i < 0 {
		t.Fatalf("the demo ends without next steps:\n%s", r.stderr)
	}
	cmds := commandsIn(r.stderr[i:])
	if len(cmds) < 4 {
		t.Fatalf("only %d commands in the next steps:\n%s", len(cmds), r.stderr[i:])
	}
	sawServe := false
	for _, c := range cmds {
		if c[0] == "serve" {
			sawServe = true
			continue // TestDemoConfigChecks checks this configuration
		}
		mustSegel(t, c...)
	}
	if !sawServe {
		t.Error("the next steps do not mention segel serve with the demo configuration")
	}

	j := strings.Index(string(readme), "cd segel-demo\n")
	if j < 0 {
		t.Fatal("README's signing example does not start in segel-demo")
	}
	block := string(readme)[j:]
	block = block[:strings.Index(block, "```")]
	t.Chdir("segel-demo")
	os.Remove("pks-1.pdf") // written by the next steps above, as by the README's example
	ex := commandsIn(block)
	if len(ex) != 3 {
		t.Fatalf("README example: %d commands, want 3:\n%s", len(ex), block)
	}
	for _, c := range ex {
		mustSegel(t, c...)
	}
	if _, err := os.Stat("pks-2.pdf"); err != nil {
		t.Fatal(err)
	}
}
