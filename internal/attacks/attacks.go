// Package attacks generates an attack suite against PDF signature
// verification: documents prepared by an attacker, signed for real with
// segel by a victim, then changed after signing so that a PDF viewer shows
// another contract amount ([NewAmount] instead of [OldAmount]) while the
// signed bytes stay untouched.
//
// The cases are grouped in seven classes:
//
//  1. role shortcuts: an object that plays an allowed role (form field,
//     field appearance, metadata, /Info, annotation, /DSS) also plays a
//     rendering role, and is changed through the allowed one;
//  2. unreachable means harmless: viewers reach objects (through /Parent,
//     references with a wrong generation, references to free objects,
//     optional content, hidden flags) that a graph walk may not;
//  3. form-level settings: /NeedAppearances, /DA and /DR of the AcroForm;
//  4. anything calling itself a signature field: unsigned visible fields,
//     visible document timestamps, odd subtypes, actions, several widgets;
//  5. parser tolerance that viewers do not share: cross-reference sections
//     read differently by different readers;
//  6. removable evidence: revocation data in a later /DSS deleted again;
//  7. blind spots: widgets and signatures outside the form, damaged final
//     trailers, the signature field removed.
//
// A case is a pair of files: Signed, as the victim signed it (it verifies
// TOTAL_PASSED with [Env.Roots]), and File, the attacked file, which must
// verify TOTAL_FAILED. Except for class 6, a case counts when a viewer
// ([Viewers]) shows Shown in File but not in Signed.
package attacks

import (
	"bytes"
	"errors"
	"fmt"
	"runtime/debug"
)

// Case is one attack.
type Case struct {
	// Name is a stable identifier, e.g. "c1-field-is-page-xobject".
	Name string
	// Class is the attack class, 1 to 7.
	Class int
	// Title says in one sentence what the attacker did.
	Title string
	// Signed is the file exactly as the victim signed it.
	Signed []byte
	// File is the attacked file: Signed followed by the attacker's bytes.
	File []byte
	// Shown is the text a viewer shows in File but not in Signed; empty for
	// class 6, which has no visible change.
	Shown string
	// Evidence is, for class 6, the file before the attacker deleted the
	// revocation evidence: it must verify TOTAL_FAILED/REVOKED.
	Evidence []byte
}

// spec describes how to build one case.
type spec struct {
	name, title string
	build       func(e Env, c *Case)
}

// classes lists the specs of each class, index 0 is class 1.
func classes() [][]spec {
	return [][]spec{class1(), class2(), class3(), class4(), class5(), class6(), class7()}
}

// Cases builds every case with the PKI of env. Cases that could not be
// built are left out and reported in the error; the others are returned.
func Cases(env Env) ([]Case, error) {
	var out []Case
	var errs []error
	for i, specs := range classes() {
		for _, s := range specs {
			c, err := build(env, i+1, s)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, c)
		}
	}
	return out, errors.Join(errs...)
}

// build runs one spec, turning a panic of the helpers into an error and
// checking that the attacked file keeps the signed bytes.
func build(env Env, class int, s spec) (c Case, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: %v\n%s", s.name, p, debug.Stack())
		}
	}()
	c = Case{Name: s.name, Class: class, Title: s.title, Shown: NewAmount}
	if class == 6 {
		c.Shown = ""
	}
	s.build(env, &c)
	if len(c.Signed) == 0 || len(c.File) <= len(c.Signed) || !bytes.Equal(c.File[:len(c.Signed)], c.Signed) {
		return c, fmt.Errorf("%s: the attacked file does not extend the signed file", s.name)
	}
	if class == 6 && len(c.Evidence) == 0 {
		return c, fmt.Errorf("%s: no evidence file", s.name)
	}
	return c, nil
}
