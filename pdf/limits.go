package pdf

import (
	"errors"
	"fmt"
)

// Limits bound the resources spent on one file. The zero value of a field
// selects its default from [DefaultLimits].
type Limits struct {
	// MaxDepth is the deepest nesting of arrays and dictionaries.
	MaxDepth int
	// MaxObjects is the largest object number accepted in a cross-reference
	// section, and the largest number of objects in one object stream.
	MaxObjects int
	// MaxRevisions is the longest chain of cross-reference sections.
	MaxRevisions int
	// MaxTokenLen is the longest single token (string, name, number).
	MaxTokenLen int
	// MaxDecoded is the largest decoded size of one stream that is decoded
	// in memory (object streams, cross-reference streams, appearance
	// streams).
	MaxDecoded int64
	// MaxRatio is the largest ratio of decoded to encoded size of a stream
	// before it is treated as a compression bomb (only checked past 1 MiB of
	// output).
	MaxRatio int64
}

// DefaultLimits are the limits applied when a field of [Limits] is zero.
var DefaultLimits = Limits{
	MaxDepth:     64,
	MaxObjects:   10_000_000,
	MaxRevisions: 10_000,
	MaxTokenLen:  32 << 20,
	MaxDecoded:   256 << 20,
	MaxRatio:     1000,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxObjects > 0 {
		d.MaxObjects = l.MaxObjects
	}
	if l.MaxRevisions > 0 {
		d.MaxRevisions = l.MaxRevisions
	}
	if l.MaxTokenLen > 0 {
		d.MaxTokenLen = l.MaxTokenLen
	}
	if l.MaxDecoded > 0 {
		d.MaxDecoded = l.MaxDecoded
	}
	if l.MaxRatio > 0 {
		d.MaxRatio = l.MaxRatio
	}
	return d
}

// Errors returned for files that exceed a limit or are malformed. They are
// wrapped; test with errors.Is.
var (
	// ErrNotPDF means the input has no %PDF- header near its start.
	ErrNotPDF = errors.New("not a PDF file")
	// ErrMalformed means the file breaks the PDF syntax in a way the reader
	// does not recover from.
	ErrMalformed = errors.New("malformed PDF")
	// ErrLimit means a resource limit was reached.
	ErrLimit = errors.New("limit exceeded")
	// ErrEncrypted means the file is encrypted.
	ErrEncrypted = errors.New("PDF is encrypted")
	// ErrCycle means a chain of references or cross-reference sections
	// points back to itself.
	ErrCycle = errors.New("reference cycle")
)

// LimitError reports which limit was exceeded. It matches ErrLimit.
type LimitError struct {
	What  string
	Limit int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("pdf: %s exceeds the limit of %d", e.What, e.Limit)
}

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

func malformed(format string, args ...any) error {
	return fmt.Errorf("pdf: %w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}
