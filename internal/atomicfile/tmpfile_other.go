//go:build !linux

package atomicfile

import (
	"errors"
	"os"
)

func openAnonymous(string) (*os.File, error) { return nil, errors.New("not supported") }

func linkAnonymous(*os.File, string) error { return errors.New("not supported") }
