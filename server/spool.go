package server

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// spool holds one document: in memory up to a limit, then in an unlinked
// temporary file. It is written sequentially (Write) and may be patched
// (WriteAt) and read (ReadAt) anywhere, so it serves both as the input
// of signer.Sign (io.ReaderAt) and as its output (signer.Output).
type spool struct {
	dir    string
	memMax int64
	buf    []byte
	f      *os.File
	name   string // the temporary file's name while it still exists
	size   int64
}

func newSpool(dir string, memMax int64) *spool {
	return &spool{dir: dir, memMax: memMax}
}

// Write appends p.
func (s *spool) Write(p []byte) (int, error) {
	n, err := s.WriteAt(p, s.size)
	return n, err
}

// WriteAt writes p at off, growing the spool as needed.
func (s *spool) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("spool: negative offset")
	}
	end := off + int64(len(p))
	if s.f == nil && end > s.memMax {
		if err := s.toFile(); err != nil {
			return 0, err
		}
	}
	if s.f != nil {
		n, err := s.f.WriteAt(p, off)
		if int64(n)+off > s.size {
			s.size = int64(n) + off
		}
		return n, err
	}
	if end > int64(len(s.buf)) {
		if end > int64(cap(s.buf)) {
			nb := make([]byte, end, max(end, min(2*int64(cap(s.buf)), s.memMax)))
			copy(nb, s.buf)
			s.buf = nb
		} else {
			s.buf = s.buf[:end]
		}
	}
	copy(s.buf[off:], p)
	if end > s.size {
		s.size = end
	}
	return len(p), nil
}

// toFile moves the buffered bytes to a temporary file.
func (s *spool) toFile() error {
	f, err := os.CreateTemp(s.dir, "segel-*.pdf.tmp")
	if err != nil {
		return fmt.Errorf("temporary file: %w", err)
	}
	// Unlink at once where the system allows it, so that nothing is left
	// behind even if the process dies.
	if os.Remove(f.Name()) != nil {
		s.name = f.Name()
	}
	if _, err := f.WriteAt(s.buf[:s.size], 0); err != nil {
		f.Close()
		if s.name != "" {
			os.Remove(s.name)
		}
		return fmt.Errorf("temporary file: %w", err)
	}
	s.f, s.buf = f, nil
	return nil
}

// ReadAt implements io.ReaderAt.
func (s *spool) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("spool: negative offset")
	}
	if off >= s.size {
		return 0, io.EOF
	}
	want := len(p)
	if rest := s.size - off; int64(want) > rest {
		p = p[:rest]
	}
	var n int
	var err error
	if s.f != nil {
		n, err = s.f.ReadAt(p, off)
	} else {
		n = copy(p, s.buf[off:s.size])
	}
	if err == nil && n < want {
		err = io.EOF
	}
	return n, err
}

// Size returns the number of bytes held.
func (s *spool) Size() int64 { return s.size }

// Reader returns a reader of the whole content.
func (s *spool) Reader() io.Reader { return io.NewSectionReader(s, 0, s.size) }

// Close releases the memory or the temporary file.
func (s *spool) Close() error {
	s.buf = nil
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	if s.name != "" {
		os.Remove(s.name)
	}
	s.f = nil
	return err
}
