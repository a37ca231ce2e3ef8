// Package atomicfile writes a file so that the target name either does not
// exist or holds the complete output. Data goes to a file in the target's
// folder that has no name yet (Linux O_TMPFILE) or a hidden temporary name
// (elsewhere), is synced, and only then gets the target name: by a hard link
// when the target must not be replaced, by a rename otherwise. A process
// killed while writing leaves no file at the target name — and, with
// O_TMPFILE, no file at all.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists is returned when the target exists and overwriting was not
// allowed.
var ErrExists = errors.New("output file already exists")

// File is a pending output file. Write to it through its *os.File methods,
// then call Commit, or Abort to discard it. Abort after Commit is a no-op, so
// `defer f.Abort()` is safe.
type File struct {
	*os.File
	target    string
	overwrite bool
	anonymous bool // opened with O_TMPFILE: no name until Commit
	done      bool
}

// Create starts writing target. Unless overwrite is true, Create fails with
// ErrExists when target exists (and Commit fails if it appears meanwhile).
func Create(target string, overwrite bool) (*File, error) {
	if !overwrite {
		if _, err := os.Lstat(target); err == nil {
			return nil, fmt.Errorf("%w: %s", ErrExists, target)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	dir := filepath.Dir(target)
	if f, err := openAnonymous(dir); err == nil {
		return &File{File: f, target: target, overwrite: overwrite, anonymous: true}, nil
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create temporary file next to %s: %w", target, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &File{File: f, target: target, overwrite: overwrite}, nil
}

// Commit syncs the data and gives it the target name.
func (f *File) Commit() error {
	if f.done {
		return errors.New("atomicfile: already committed or aborted")
	}
	if err := f.Sync(); err != nil {
		f.Abort()
		return fmt.Errorf("sync %s: %w", f.target, err)
	}
	var err error
	if f.anonymous {
		err = f.commitAnonymous()
	} else {
		err = f.commitNamed()
	}
	f.done = true
	if err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(f.target)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func (f *File) commitNamed() error {
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if f.overwrite {
		return os.Rename(tmp, f.target)
	}
	// A hard link fails if the target exists: no race with another writer.
	if err := os.Link(tmp, f.target); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s", ErrExists, f.target)
		}
		return err
	}
	return nil
}

func (f *File) commitAnonymous() error {
	defer f.Close()
	if !f.overwrite {
		err := linkAnonymous(f.File, f.target)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s", ErrExists, f.target)
		}
		return err
	}
	// Link under a temporary name, then rename over the target.
	for i := 0; i < 100; i++ {
		tmp := filepath.Join(filepath.Dir(f.target), fmt.Sprintf(".%s.%d.%d.tmp", filepath.Base(f.target), os.Getpid(), i))
		err := linkAnonymous(f.File, tmp)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := os.Rename(tmp, f.target); err != nil {
			os.Remove(tmp)
			return err
		}
		return nil
	}
	return errors.New("atomicfile: no free temporary name")
}

// Abort discards the output.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	if !f.anonymous {
		os.Remove(f.Name())
	}
}
