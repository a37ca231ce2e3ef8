package main

import (
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"segel/internal/devca"
)

// TestKillWhileSigning kills "segel sign" with SIGKILL at random points and
// checks that the input is byte-identical afterwards and that the target
// name holds either nothing or a complete signed file.
func TestKillWhileSigning(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and writes 30 MB files")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "segel")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ca, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(devca.LeafRequest{CommonName: "Penguji", KeyType: devca.ECDSAP256})
	if err != nil {
		t.Fatal(err)
	}
	p12 := filepath.Join(dir, "id.p12")
	if err := id.WriteP12(p12, "pw", false, false); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, largePDF(30<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	before := fileSum(t, in)
	rng := rand.New(rand.NewPCG(7, 11))
	complete, absent := 0, 0
	for i := 0; i < 25; i++ {
		out := filepath.Join(dir, "out.pdf")
		os.Remove(out)
		cmd := exec.Command(bin, "sign", "--key", "file:"+p12, "-o", out, in)
		cmd.Env = append(os.Environ(), "SEGEL_KEY_PASSWORD=pw")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(250)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if got := fileSum(t, in); got != before {
			t.Fatalf("run %d: the input changed", i)
		}
		_, err := os.Stat(out)
		switch {
		case os.IsNotExist(err):
			absent++
		case err != nil:
			t.Fatal(err)
		default:
			// It finished before the kill: it must be whole and valid.
			complete++
			vout, verr := exec.Command(bin, "verify", out).CombinedOutput()
			if !bytes.Contains(vout, []byte("intact=true valid=true")) {
				t.Fatalf("run %d: a file at the target name is not a whole signed PDF (%v):\n%s", i, verr, vout)
			}
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".tmp") {
				t.Errorf("run %d: temporary file left behind: %s", i, e.Name())
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
	t.Logf("25 kills: %d before the output appeared, %d after it was complete", absent, complete)
	if absent == 0 {
		t.Errorf("no kill landed while writing; the test did not test anything")
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// largePDF is a one-page PDF with an n-byte content stream.
func largePDF(n int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	var off []int
	obj := func(s string) { off = append(off, b.Len()); b.WriteString(s) }
	obj("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	obj("2 0 obj\n<< /Type /Pages /Count 1 /Kids [3 0 R] >>\nendobj\n")
	obj("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Contents 4 0 R >>\nendobj\n")
	obj("4 0 obj\n<< /Length " + strconv.Itoa(n) + " >>\nstream\n")
	b.Write(bytes.Repeat([]byte("% filler\n"), n/9))
	b.Write(bytes.Repeat([]byte{' '}, n-9*(n/9)))
	b.WriteString("\nendstream\nendobj\n")
	x := b.Len()
	b.WriteString("xref\n0 5\n0000000000 65535 f\r\n")
	for _, o := range off {
		s := strconv.Itoa(o)
		b.WriteString(strings.Repeat("0", 10-len(s)) + s + " 00000 n\r\n")
	}
	b.WriteString("trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n" + strconv.Itoa(x) + "\n%%EOF\n")
	return b.Bytes()
}
