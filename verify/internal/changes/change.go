// Package changes judges what changed in a PDF after a signature: the
// modification analysis of the verifier.
//
// # How it judges
//
// The revisions after the signed one are compared pairwise, each with the
// one before it. For each revision the package builds the object graph as
// lenient readers resolve it (references by number whatever their
// generation, page attributes inherited through /Parent even from nodes
// outside /Kids, fields through their /Parent chain, widgets that are only
// on a page) and gives every object each context in which some path
// reaches it: page content, a field's appearance, a signature dictionary,
// the /DSS, and so on. Every object whose value differs between the two
// revisions (its dictionary key by key, its stream bytes, an object moved
// out of a rewritten object stream) is then judged: the change is allowed
// only when the rule of EVERY context of the object, in either revision,
// covers every changed key and the stream bytes. A new object is allowed
// only when each reference to it comes from a change that was allowed, or
// from a context that may only grow (the /DSS, metadata). An object that
// no path reaches may change unjudged only when no object anywhere names
// its number.
//
// The rules, by DocMDP level, are in docs/verify-policy.md.
package changes

import (
	"encoding/json"

	"segel/pdf"
)

// Change is one difference between a signed revision and a later one.
type Change struct {
	// Revision is the revision in which the change was made, counted from
	// 0 (the original file); JSON counts from 1, as the reports do.
	Revision int `json:"revision"`
	// Object is the object concerned ("12 0 R"), or "trailer" or
	// "document" for changes not tied to one object.
	Object string `json:"object"`
	// Page is the 1-based page the object belongs to, 0 if none.
	Page int `json:"page,omitempty"`
	// Kind classifies the change; see the Kind constants.
	Kind    string `json:"kind"`
	Allowed bool   `json:"allowed"`
	// Description is one plain English sentence.
	Description string `json:"description"`
}

// Change kinds.
const (
	KindSignature    = "signature"
	KindDSS          = "dss"
	KindTimestamp    = "timestamp"
	KindMetadata     = "metadata"
	KindFormFill     = "form-fill"
	KindAnnotation   = "annotation"
	KindPageContent  = "page-content"
	KindPageTree     = "page-tree"
	KindResources    = "resources"
	KindSigDict      = "signature-dictionary"
	KindCatalog      = "catalog"
	KindAcroForm     = "acroform"
	KindFreed        = "freed"
	KindStructure    = "structure"
	KindHiddenRef    = "hidden-reference"
	KindOther        = "other"
	kindUnusedObject = "unused-object"
)

// Levels of a Result.
const (
	// LevelNone: nothing changed after the signature.
	LevelNone = "none"
	// LevelAllowed: every change is permitted.
	LevelAllowed = "allowed"
	// LevelDisallowed: at least one change is not permitted.
	LevelDisallowed = "disallowed"
)

// Result is the verdict on the changes made after one signature.
type Result struct {
	Level    string
	Changes  []Change
	Warnings []string
}

// Reason is the first disallowed change's description, or "".
func (r Result) Reason() string {
	for _, c := range r.Changes {
		if !c.Allowed {
			return c.Description
		}
	}
	return ""
}

// Lock is a FieldMDP lock: a signature field's /Lock, or a FieldMDP
// transform of its signature dictionary.
type Lock struct {
	Action string   // "All", "Include", "Exclude"
	Fields []string // fully qualified names
}

// Policy is what a signature permits to change after it.
type Policy struct {
	// DocMDP is the certification level in force: 0 when the document is
	// not certified, else 1 (no changes), 2 (form filling and signing) or
	// 3 (also annotations).
	DocMDP int
	// Locks are the signature's FieldMDP locks.
	Locks []Lock
}

func (p Policy) annotationsAllowed() bool { return p.DocMDP == 0 || p.DocMDP == 3 }

// locked reports whether the policy's locks forbid filling field name.
func (p Policy) locked(name string) bool {
	for _, l := range p.Locks {
		in := false
		for _, f := range l.Fields {
			if name == f || len(name) > len(f) && name[:len(f)] == f && name[len(f)] == '.' {
				in = true
				break
			}
		}
		switch l.Action {
		case "All":
			return true
		case "Include":
			if in {
				return true
			}
		case "Exclude":
			if !in {
				return true
			}
		default:
			return true // unknown action: strict
		}
	}
	return false
}

func refName(num uint32, gen uint16) string { return pdf.Ref{Num: num, Gen: gen}.String() }

// MarshalJSON writes the change with its revision counted from 1, as the
// readable report and the web page count.
func (c Change) MarshalJSON() ([]byte, error) {
	type plain Change
	p := plain(c)
	p.Revision++
	return json.Marshal(p)
}
