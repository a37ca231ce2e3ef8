package pdf

import "fmt"

// Page is one page of the document.
type Page struct {
	// Ref is the page object's reference.
	Ref Ref
	// Dict is the page dictionary (without inherited attributes).
	Dict Dict
}

// Pages returns the pages in order. Cycles in the page tree and trees deeper
// than the depth limit are errors.
func (d *Document) Pages() ([]Page, error) {
	cat, err := d.Catalog()
	if err != nil {
		return nil, err
	}
	root, ok := cat["Pages"].(Ref)
	if !ok {
		return nil, malformed("catalog /Pages is not an indirect reference")
	}
	var out []Page
	seen := map[Ref]bool{}
	var walk func(ref Ref, depth int) error
	walk = func(ref Ref, depth int) error {
		if depth > d.s.lim.MaxDepth {
			return &LimitError{What: "page tree depth", Limit: int64(d.s.lim.MaxDepth)}
		}
		if seen[ref] {
			return fmt.Errorf("pdf: %w: page tree node %v appears twice", ErrCycle, ref)
		}
		seen[ref] = true
		node, err := d.GetDict(ref)
		if err != nil {
			return err
		}
		if node == nil {
			return malformed("page tree node %v is not a dictionary", ref)
		}
		typ, _ := node["Type"].(Name)
		kids, hasKids := node["Kids"]
		if typ == "Page" || (!hasKids && typ != "Pages") {
			if len(out) >= d.s.lim.MaxObjects {
				return &LimitError{What: "number of pages", Limit: int64(d.s.lim.MaxObjects)}
			}
			out = append(out, Page{Ref: ref, Dict: node})
			return nil
		}
		ka, err := d.GetArray(kids)
		if err != nil {
			return err
		}
		for _, k := range ka {
			kr, ok := k.(Ref)
			if !ok {
				return malformed("page tree kid is not an indirect reference")
			}
			if err := walk(kr, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// Field is a terminal field of the interactive form (AcroForm).
type Field struct {
	// Name is the fully qualified field name (partial names joined by ".").
	Name string
	// Ref is the field's object; Dict its dictionary.
	Ref  Ref
	Dict Dict
	// Type is the field type (/FT), inherited from ancestors if needed.
	Type Name
	// Widgets are the widget annotations of the field (the field itself
	// when field and widget are merged).
	Widgets []Ref
}

// Fields returns the terminal fields of the document's AcroForm, in tree
// order, each once (a node listed twice in the tree is visited once). A
// document without a form has no fields.
func (d *Document) Fields() ([]Field, error) {
	cat, err := d.Catalog()
	if err != nil {
		return nil, err
	}
	af, err := d.GetDict(cat["AcroForm"])
	if err != nil || af == nil {
		return nil, err
	}
	top, err := d.GetArray(af["Fields"])
	if err != nil {
		return nil, err
	}
	var out []Field
	seen := map[Ref]bool{}
	var walk func(o Object, parentName string, ft Name, depth int) error
	walk = func(o Object, parentName string, ft Name, depth int) error {
		if depth > d.s.lim.MaxDepth {
			return &LimitError{What: "form field depth", Limit: int64(d.s.lim.MaxDepth)}
		}
		ref, ok := o.(Ref)
		if !ok {
			return nil // fields must be indirect; skip others
		}
		if seen[ref] {
			// A field listed twice (in /Fields and as a kid, or under two
			// parents) is one field: some producers write such trees.
			return nil
		}
		seen[ref] = true
		fd, err := d.GetDict(ref)
		if err != nil || fd == nil {
			return err
		}
		name := parentName
		if t := Text(fd["T"]); t != "" || fd["T"] != nil {
			if name != "" {
				name += "."
			}
			name += t
		}
		if t, ok := fd["FT"].(Name); ok {
			ft = t
		}
		kids, _ := d.GetArray(fd["Kids"])
		// Kids that have a /T are fields; kids without are widgets.
		var widgets []Ref
		var childFields []Object
		for _, k := range kids {
			kd, err := d.GetDict(k)
			if err != nil {
				return err
			}
			if kd == nil {
				continue
			}
			if _, hasT := kd["T"]; hasT {
				childFields = append(childFields, k)
			} else if kr, ok := k.(Ref); ok {
				widgets = append(widgets, kr)
			}
		}
		if len(childFields) > 0 {
			for _, k := range childFields {
				if err := walk(k, name, ft, depth+1); err != nil {
					return err
				}
			}
			if len(widgets) == 0 {
				return nil
			}
		}
		if len(widgets) == 0 {
			if st, _ := fd["Subtype"].(Name); st == "Widget" || len(kids) == 0 {
				widgets = []Ref{ref}
			}
		}
		out = append(out, Field{Name: name, Ref: ref, Dict: fd, Type: ft, Widgets: widgets})
		return nil
	}
	for _, f := range top {
		if err := walk(f, "", "", 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// FieldByName returns the field with the fully qualified name, or false.
func FieldByName(fields []Field, name string) (Field, bool) {
	for _, f := range fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Inherited returns the value of key in page or, for the attributes a
// page inherits (Resources, MediaBox, CropBox, Rotate), in its nearest
// ancestor; nil when none has it. The walk up /Parent stops after 32
// levels.
func (d *Document) Inherited(page Dict, key Name) Object {
	p := page
	for i := 0; i < 32 && p != nil; i++ {
		if v, ok := p[key]; ok {
			return v
		}
		parent, err := d.GetDict(p["Parent"])
		if err != nil {
			return nil
		}
		p = parent
	}
	return nil
}
