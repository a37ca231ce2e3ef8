// Package atomicfile writes a file so that the target name either does not
// exist or holds the complete output: data goes to a temporary file in the
// target's folder, is synced, and is then renamed (or hard-linked, when the
// target must not be replaced) into place.
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
	done      bool
}

// Create starts writing target. Unless overwrite is true, Create fails with
// ErrExists when target exists (and Commit fails if it appears meanwhile).
func Create(target string, overwrite bool) (*File, error) {
	if !overwrite {
		if _, err := os.Lstat(target); err == nil {
			return nil, fmt.Errorf("%w: %s (use --force to replace it)", ErrExists, target)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	dir := filepath.Dir(target)
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

// Commit syncs the data and moves it to the target name.
func (f *File) Commit() error {
	if f.done {
		return errors.New("atomicfile: already committed or aborted")
	}
	tmp := f.Name()
	if err := f.Sync(); err != nil {
		f.Abort()
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		f.Abort()
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if f.overwrite {
		if err := os.Rename(tmp, f.target); err != nil {
			os.Remove(tmp)
			f.done = true
			return err
		}
	} else {
		// A hard link fails if the target exists: no race with another writer.
		if err := os.Link(tmp, f.target); err != nil {
			os.Remove(tmp)
			f.done = true
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%w: %s", ErrExists, f.target)
			}
			return err
		}
		os.Remove(tmp)
	}
	f.done = true
	if d, err := os.Open(filepath.Dir(f.target)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Abort discards the temporary file.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}
