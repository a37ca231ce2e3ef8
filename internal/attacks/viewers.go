package attacks

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Viewers are the text extractors that judge what a reader of the file
// sees: poppler's pdftotext (page content; it also draws annotation and
// widget appearances) and MuPDF's text device (page content and
// annotation/widget appearances).
var Viewers = []string{"pdftotext", "mutool"}

// ViewerTimeout bounds one extraction.
var ViewerTimeout = 30 * time.Second

// Extract returns the text viewer (one of [Viewers]) shows for file, with
// every run of white space collapsed to one space. dir is a scratch
// directory.
func Extract(viewer string, file []byte, dir string) (string, error) {
	f, err := os.CreateTemp(dir, "view-*.pdf")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(file); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	var args []string
	switch viewer {
	case "pdftotext":
		args = []string{"-layout", f.Name(), "-"}
	case "mutool":
		args = []string{"draw", "-F", "txt", "-o", "-", f.Name()}
	default:
		args = []string{f.Name()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), ViewerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, viewer, args...)
	cmd.Dir = filepath.Dir(f.Name())
	var out bytes.Buffer
	cmd.Stdout = &out
	// Both tools exit non-zero on some damaged files after printing what
	// they could read; the text printed is what a user sees.
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if _, ok := runErr.(*exec.ExitError); runErr != nil && !ok {
		return "", runErr
	}
	return strings.Join(strings.Fields(out.String()), " "), nil
}

// ShownBy returns the viewers that show c.Shown in c.File but not in
// c.Signed. Viewers missing on PATH are skipped and listed in missing.
func ShownBy(c Case, dir string) (shown, missing []string, err error) {
	if c.Shown == "" {
		return nil, nil, nil
	}
	for _, v := range Viewers {
		if _, lerr := exec.LookPath(v); lerr != nil {
			missing = append(missing, v)
			continue
		}
		before, err := Extract(v, c.Signed, dir)
		if err != nil {
			return nil, missing, err
		}
		after, err := Extract(v, c.File, dir)
		if err != nil {
			return nil, missing, err
		}
		if strings.Contains(after, c.Shown) && !strings.Contains(before, c.Shown) {
			shown = append(shown, v)
		}
	}
	return shown, missing, nil
}
