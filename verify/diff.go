package verify

// Modification analysis: what changed in a PDF after a signature, and
// whether the change is permitted.
//
// The analysis compares the document as it was saved in the signed revision
// ("old") with the final document ("new"). Every object that is in use in
// the old revision and differs in the new one is classified by the roles it
// plays in BOTH versions of the document (page content, resources, form
// field, appearance of field X, signature dictionary, DSS, …). A role is
// found by walking the object graph from the trailer: the catalog, the page
// tree, the pages' annotations, the interactive form and the other catalog
// entries. An object may play several roles (a font used by a page and by a
// field appearance, an appearance stream also referenced from an unknown
// catalog key); a change is allowed only when every role allows it. Changes
// to containers (catalog, AcroForm, page /Annots, field dictionaries) are
// judged key by key, and the things they newly refer to (new signature
// fields, new annotations) are judged there. Everything that no rule allows
// is disallowed.
//
// Rules follow pyHanko and EU DSS, with two stricter rules needed against
// shadow attacks: a field's appearance may change only together with its
// value, and a field that displayed something when signed may not be made to
// display something else without its value changing (appearance objects,
// appearance states, widget flags, shared resources).

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"segel/pdf"
)

// Change is one difference between a signed revision and the final file.
type Change struct {
	Object      string `json:"object"`         // e.g. "12 0 R"; "trailer" or "document" for changes not tied to one object
	Page        int    `json:"page,omitempty"` // 1-based page the object belongs to, 0 if none/unknown
	Kind        string `json:"kind"`           // "signature", "dss", "timestamp", "metadata", "form-fill", "annotation", "page-content", "page-tree", "resources", "signature-dictionary", "catalog", "acroform", "freed", "other"
	Allowed     bool   `json:"allowed"`
	Description string `json:"description"` // one plain sentence, e.g. "content stream of page 1 replaced"
}

// ModificationResult summarises the changes after one signature.
type ModificationResult struct {
	Level    string   // "none" (signed revision is the final one / nothing changed), "allowed", "disallowed"
	Changes  []Change // in a stable order: field and structure changes, then objects by number
	Warnings []string // e.g. "annotation added after an approval signature"
}

// FieldLock is a FieldMDP lock from a signature field's /Lock (or a SigRef
// with TransformMethod FieldMDP).
type FieldLock struct {
	Action string   // "All", "Include", "Exclude"
	Fields []string // fully qualified names
}

// Modification levels.
const (
	modLevelNone       = "none"
	modLevelAllowed    = "allowed"
	modLevelDisallowed = "disallowed"
)

// Change kinds.
const (
	modKindSignature    = "signature"
	modKindDSS          = "dss"
	modKindTimestamp    = "timestamp"
	modKindMetadata     = "metadata"
	modKindFormFill     = "form-fill"
	modKindAnnotation   = "annotation"
	modKindPageContent  = "page-content"
	modKindPageTree     = "page-tree"
	modKindResources    = "resources"
	modKindSigDict      = "signature-dictionary"
	modKindCatalog      = "catalog"
	modKindAcroForm     = "acroform"
	modKindFreed        = "freed"
	modKindOther        = "other"
	modMaxVisits        = 4_000_000 // objects fetched while walking one revision's graph
	modMaxStreamCompare = 1 << 30   // larger streams at different offsets count as changed
)

// analyzeModifications compares revision `signed` of doc with the final revision.
// docMDP is the certification level in force for this signature (0 = document not certified, else 1, 2 or 3).
// locks are the FieldMDP locks in force for this signature (its own /Lock and FieldMDP references).
// The signature dictionaries that exist in the signed revision are found in
// it (the /V of its signature fields); any change to them is disallowed.
//
// Revisions whose cross-reference section lies inside the signed bytes and
// that the signed file's own startxref names (the first-page section of a
// linearized file) count as part of the signed state. When the signed
// revision's newest section is not the one the signed bytes' startxref
// names, sections that were not part of the signed file are in effect in
// it (a planted section activated by a later /Prev), and the result is
// disallowed.
func analyzeModifications(doc *pdf.Document, signed int, docMDP int, locks []FieldLock) (ModificationResult, error) {
	if doc == nil {
		return ModificationResult{}, fmt.Errorf("verify: no document")
	}
	revs := doc.Revisions()
	if signed < 0 || signed >= len(revs) {
		return ModificationResult{}, fmt.Errorf("verify: no revision %d (the file has %d)", signed, len(revs))
	}
	if docMDP < 0 || docMDP > 3 {
		return ModificationResult{}, fmt.Errorf("verify: invalid DocMDP level %d", docMDP)
	}
	s := modEffectiveSigned(doc, revs, signed)
	last := len(revs) - 1
	foreign := ""
	if start, ok := modStartXrefBefore(doc.ReaderAt(), revs[signed].EOF); ok {
		if d := start - revs[s].XRefOffset; d < -64 || d > 64 {
			foreign = fmt.Sprintf("the signed bytes end with startxref %d, but the signed revision as the file now chains it starts with the cross-reference section at %d, which was not part of the signed file", start, revs[s].XRefOffset)
		}
	}
	if s == last && foreign == "" {
		return ModificationResult{Level: modLevelNone}, nil
	}
	oldV, err := doc.Revision(s)
	if err != nil {
		return ModificationResult{}, err
	}
	newV, err := doc.Revision(last)
	if err != nil {
		return ModificationResult{}, err
	}
	a := &modAnalysis{
		oldV: oldV, newV: newV, docMDP: docMDP, locks: locks,
		states:     map[pdf.Ref]*modFieldState{},
		seenChange: map[string]bool{}, seenWarn: map[string]bool{},
	}
	if foreign != "" {
		a.add(Change{Object: "trailer", Kind: modKindOther, Description: foreign})
	}
	a.oldState = modEntries(revs[:s+1])
	a.newState = modEntries(revs)
	var cand []uint32
	seen := map[uint32]bool{}
	for _, r := range revs[s+1:] {
		for _, list := range [][]pdf.Ref{r.Objects, r.Freed} {
			for _, ref := range list {
				if !seen[ref.Num] {
					seen[ref.Num] = true
					cand = append(cand, ref.Num)
				}
			}
		}
	}
	sort.Slice(cand, func(i, j int) bool { return cand[i] < cand[j] })
	a.run(cand)
	return a.res, nil
}

// modEffectiveSigned returns the index of the newest revision that was part
// of the signed file: normally `signed` itself, but when the startxref that
// ends the signed bytes names a section saved physically earlier (the
// first-page section of a linearized file), that section's revision.
func modEffectiveSigned(doc *pdf.Document, revs []pdf.Revision, signed int) int {
	eof := revs[signed].EOF
	if eof <= 0 {
		return signed
	}
	start, ok := modStartXrefBefore(doc.ReaderAt(), eof)
	if !ok || start == revs[signed].XRefOffset {
		return signed
	}
	for k := signed + 1; k < len(revs); k++ {
		r := revs[k]
		if r.XRefOffset >= eof || (r.EOF > eof) {
			break
		}
		if r.XRefOffset == start {
			return k
		}
	}
	return signed
}

// modStartXrefBefore reads the value of the last "startxref" before end.
func modStartXrefBefore(r io.ReaderAt, end int64) (int64, bool) {
	if end <= 0 {
		return 0, false
	}
	from := end - 1024
	if from < 0 {
		from = 0
	}
	buf := make([]byte, end-from)
	n, _ := r.ReadAt(buf, from)
	buf = buf[:n]
	i := bytes.LastIndex(buf, []byte("startxref"))
	if i < 0 {
		return 0, false
	}
	rest := bytes.TrimLeft(buf[i+9:], " \t\r\n\f\x00")
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	v, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}

type modEntry struct {
	inUse bool
	gen   uint16
}

// modEntries gives the effective cross-reference state of each object
// number after the given revisions (oldest first).
func modEntries(revs []pdf.Revision) map[uint32]modEntry {
	m := map[uint32]modEntry{}
	for _, r := range revs {
		for _, ref := range r.Objects {
			m[ref.Num] = modEntry{true, ref.Gen}
		}
		for _, ref := range r.Freed {
			m[ref.Num] = modEntry{false, ref.Gen}
		}
	}
	return m
}

// ---------------------------------------------------------------------------
// Object roles

type modRoleKind uint8

// Role kinds, most specific first (the order decides which allowed change
// is reported for an object with several roles).
const (
	modRoleCatalog modRoleKind = iota + 1
	modRolePageTree
	modRolePage
	modRoleAnnots // an indirect /Annots array
	modRoleContent
	modRoleResources
	modRolePageOther
	modRoleAcroForm
	modRoleFieldsArray
	modRoleFormDR
	modRoleFormOther
	modRoleFieldNode
	modRoleField
	modRoleWidget
	modRoleSigValue
	modRoleAppearance
	modRoleFieldValue
	modRoleFieldOther
	modRoleAnnotation
	modRoleNames
	modRoleNamesAP
	modRoleNamesOther
	modRolePerms
	modRoleOC
	modRoleCatalogOther
	modRoleCatalogExt // /Extensions, /MarkInfo, /Version
	modRoleDSS
	modRoleMetadata
	modRoleInfo
	modRoleStructure
	modRoleTrailerOther
	modRoleEncrypt
)

type modRole struct {
	kind  modRoleKind
	owner pdf.Ref // the field, annotation or page the role belongs to
	page  int
	key   string // the dictionary key that leads to the object, for descriptions
}

type modRoleKey struct {
	ref   pdf.Ref
	kind  modRoleKind
	owner pdf.Ref
	key   string
}

type modField struct {
	ref     pdf.Ref
	name    string
	ft      pdf.Name
	dict    pdf.Dict
	value   pdf.Object // effective /V (inherited from ancestors if absent)
	widgets []pdf.Ref
}

type modPage struct {
	ref  pdf.Ref
	dict pdf.Dict
	num  int
}

type modDangling struct {
	ref  pdf.Ref
	role modRole
}

// diffGraph holds the roles of the objects of one revision.
type diffGraph struct {
	v         *pdf.Document
	budget    int
	aborted   bool
	roles     map[pdf.Ref][]modRole
	hasRole   map[modRoleKey]bool
	seen      map[modRoleKey]bool
	primary   map[pdf.Ref]bool // objects whose roles come from the structured walk only
	errs      map[pdf.Ref]error
	nulls     []modDangling // references that resolved to nothing
	problems  []string
	trailer   pdf.Dict
	catalog   pdf.Dict
	pages     []modPage
	nodes     []pdf.Ref // page tree nodes
	annotPage map[pdf.Ref]int
	fields    map[pdf.Ref]*modField
	fieldList []*modField
	fieldNode map[pdf.Ref]pdf.Dict
	widgetOf  map[pdf.Ref]pdf.Ref
	acroForm  pdf.Dict
	names     pdf.Dict
}

func diffBuildGraph(v *pdf.Document) *diffGraph {
	g := &diffGraph{
		v: v, budget: modMaxVisits,
		roles: map[pdf.Ref][]modRole{}, hasRole: map[modRoleKey]bool{}, seen: map[modRoleKey]bool{},
		primary: map[pdf.Ref]bool{}, errs: map[pdf.Ref]error{},
		annotPage: map[pdf.Ref]int{}, fields: map[pdf.Ref]*modField{},
		fieldNode: map[pdf.Ref]pdf.Dict{}, widgetOf: map[pdf.Ref]pdf.Ref{},
	}
	g.build()
	return g
}

func (g *diffGraph) problem(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	for _, p := range g.problems {
		if p == s {
			return
		}
	}
	g.problems = append(g.problems, s)
}

// fetch reads ref; nil when it is free, missing, null or unreadable (an
// unreadable object is recorded in errs, a missing one in nulls).
func (g *diffGraph) fetch(ref pdf.Ref, role modRole) pdf.Object {
	if g.budget <= 0 {
		g.aborted = true
		return nil
	}
	g.budget--
	o, err := g.v.Get(ref)
	if err != nil {
		g.errs[ref] = err
		return nil
	}
	if _, ok := o.(pdf.Null); ok || o == nil {
		g.nulls = append(g.nulls, modDangling{ref, role})
		return nil
	}
	return o
}

func (g *diffGraph) resolve(o pdf.Object, role modRole) pdf.Object {
	for hops := 0; hops < 8; hops++ {
		r, ok := o.(pdf.Ref)
		if !ok {
			return o
		}
		o = g.fetch(r, role)
	}
	return nil
}

func (g *diffGraph) dict(o pdf.Object, role modRole) pdf.Dict {
	switch x := g.resolve(o, role).(type) {
	case pdf.Dict:
		return x
	case *pdf.Stream:
		return x.Dict
	}
	return nil
}

func (g *diffGraph) addRole(ref pdf.Ref, r modRole) {
	k := modRoleKey{ref, r.kind, r.owner, r.key}
	if g.hasRole[k] {
		return
	}
	g.hasRole[k] = true
	g.roles[ref] = append(g.roles[ref], r)
}

// modOwnerMatters lists the roles whose verdict depends on their owner (a
// field's fill, an annotation); for the others one role per object is
// enough, keeping the first page it was found on.
func modOwnerMatters(k modRoleKind) bool {
	switch k {
	case modRoleContent, modRoleResources, modRolePageOther, modRoleFormDR, modRoleFormOther,
		modRoleNamesAP, modRoleNamesOther, modRolePerms, modRoleOC, modRoleCatalogOther, modRoleCatalogExt,
		modRoleDSS, modRoleMetadata, modRoleInfo, modRoleStructure, modRoleTrailerOther, modRoleEncrypt:
		return false
	}
	return true
}

// mark gives a primary object its structural role.
func (g *diffGraph) mark(o pdf.Object, r modRole) {
	if ref, ok := o.(pdf.Ref); ok {
		g.primary[ref] = true
		g.addRole(ref, r)
	}
}

// modSkipKey lists back-references that the generic walk does not follow:
// they lead to objects whose roles come from their own structure.
func modSkipKey(k pdf.Name) bool {
	return k == "Parent" || k == "P" || k == "IRT"
}

// descend gives role r to every object reachable from o. References found
// directly in o get the role even when they are primary objects; deeper
// primary objects (pages, annotations, fields reached through generic
// references) are left to their own structure.
func (g *diffGraph) descend(o pdf.Object, r modRole) {
	type frame struct {
		o     pdf.Object
		first bool
	}
	if !modOwnerMatters(r.kind) {
		r.owner = pdf.Ref{}
	}
	stack := []frame{{o, true}}
	for len(stack) > 0 && !g.aborted {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch x := f.o.(type) {
		case pdf.Ref:
			if g.primary[x] {
				// A page, annotation or field used directly as content,
				// resources or an appearance keeps that role too.
				if f.first && modRenderRole(r.kind) {
					g.addRole(x, r)
				}
				continue
			}
			k := modRoleKey{x, r.kind, r.owner, r.key}
			if g.seen[k] {
				continue
			}
			g.seen[k] = true
			g.addRole(x, r)
			if obj := g.fetch(x, r); obj != nil {
				stack = append(stack, frame{obj, false})
			}
		case pdf.Dict:
			for k, v := range x {
				if !modSkipKey(k) {
					stack = append(stack, frame{v, f.first})
				}
			}
		case pdf.Array:
			for _, v := range x {
				stack = append(stack, frame{v, f.first})
			}
		case *pdf.Stream:
			stack = append(stack, frame{x.Dict, f.first})
		}
	}
}

// modRenderRole lists the roles whose objects are drawn.
func modRenderRole(k modRoleKind) bool {
	switch k {
	case modRoleContent, modRoleResources, modRolePageOther, modRoleAppearance, modRoleSigValue:
		return true
	}
	return false
}

func (g *diffGraph) build() {
	g.trailer = g.v.Trailer()
	catRole := modRole{kind: modRoleCatalog}
	root := g.trailer["Root"]
	g.mark(root, catRole)
	g.catalog = g.dict(root, catRole)
	if g.catalog == nil {
		g.problem("the document catalog cannot be read")
	}
	cat := g.catalog
	g.walkPages(cat["Pages"])
	g.walkForm(cat["AcroForm"])
	g.walkOrphanWidgets()
	g.walkPageContents()
	g.walkFieldContents()
	for k, v := range cat {
		switch k {
		case "Type", "Pages", "AcroForm":
		case "DSS":
			g.descend(v, modRole{kind: modRoleDSS})
		case "Metadata":
			g.descend(v, modRole{kind: modRoleMetadata})
		case "StructTreeRoot":
			g.descend(v, modRole{kind: modRoleStructure})
		case "OCProperties":
			g.descend(v, modRole{kind: modRoleOC})
		case "Perms":
			g.descend(v, modRole{kind: modRolePerms})
		case "Extensions", "MarkInfo", "Version":
			g.descend(v, modRole{kind: modRoleCatalogExt, key: string(k)})
		case "Names":
			nr := modRole{kind: modRoleNames}
			g.mark(v, nr)
			g.names = g.dict(v, nr)
			for nk, nv := range g.names {
				if nk == "AP" {
					g.descend(nv, modRole{kind: modRoleNamesAP})
				} else {
					g.descend(nv, modRole{kind: modRoleNamesOther, key: string(nk)})
				}
			}
		default:
			g.descend(v, modRole{kind: modRoleCatalogOther, key: string(k)})
		}
	}
	for k, v := range g.trailer {
		switch k {
		case "Root", "Size", "Prev", "XRefStm", "ID", "Type", "W", "Index", "Filter", "DecodeParms", "Length":
		case "Info":
			g.descend(v, modRole{kind: modRoleInfo})
		case "Encrypt":
			g.descend(v, modRole{kind: modRoleEncrypt})
		default:
			g.descend(v, modRole{kind: modRoleTrailerOther, key: string(k)})
		}
	}
}

func (g *diffGraph) walkPages(root pdf.Object) {
	maxDepth := g.v.Limits().MaxDepth
	seen := map[pdf.Ref]bool{}
	var walk func(o pdf.Object, depth int)
	walk = func(o pdf.Object, depth int) {
		if g.aborted {
			return
		}
		ref, ok := o.(pdf.Ref)
		if !ok {
			g.problem("a page tree node is not an indirect object")
			return
		}
		if seen[ref] || depth > maxDepth {
			g.problem("the page tree has a cycle or is too deep at %v", ref)
			return
		}
		seen[ref] = true
		node := g.dict(ref, modRole{kind: modRolePageTree})
		if node == nil {
			g.problem("page tree node %v cannot be read", ref)
			return
		}
		typ, _ := node["Type"].(pdf.Name)
		kids, hasKids := node["Kids"]
		if typ == "Page" || (!hasKids && typ != "Pages") {
			num := len(g.pages) + 1
			g.mark(ref, modRole{kind: modRolePage, owner: ref, page: num})
			g.pages = append(g.pages, modPage{ref: ref, dict: node, num: num})
			ar := modRole{kind: modRoleAnnots, owner: ref, page: num}
			g.mark(node["Annots"], ar)
			arr, _ := g.resolve(node["Annots"], ar).(pdf.Array)
			for _, a := range arr {
				if r, ok := a.(pdf.Ref); ok {
					g.primary[r] = true
					if _, dup := g.annotPage[r]; !dup {
						g.annotPage[r] = num
					}
				}
			}
			return
		}
		g.mark(ref, modRole{kind: modRolePageTree, owner: ref})
		g.nodes = append(g.nodes, ref)
		kr := modRole{kind: modRolePageTree, owner: ref}
		g.mark(kids, kr)
		ka, _ := g.resolve(kids, kr).(pdf.Array)
		for _, k := range ka {
			walk(k, depth+1)
		}
	}
	if root == nil {
		g.problem("the catalog has no page tree")
		return
	}
	walk(root, 0)
}

func (g *diffGraph) walkForm(af pdf.Object) {
	if af == nil {
		return
	}
	role := modRole{kind: modRoleAcroForm}
	g.mark(af, role)
	g.acroForm = g.dict(af, role)
	if g.acroForm == nil {
		return
	}
	fr := modRole{kind: modRoleFieldsArray}
	g.mark(g.acroForm["Fields"], fr)
	top, _ := g.resolve(g.acroForm["Fields"], fr).(pdf.Array)
	seen := map[pdf.Ref]bool{}
	for _, f := range top {
		g.walkField(f, "", "", nil, 0, seen)
	}
}

// walkField follows the same rules as pdf.Document.Fields: kids with /T
// are fields, kids without are widgets.
func (g *diffGraph) walkField(o pdf.Object, parentName string, ft pdf.Name, inherited pdf.Object, depth int, seen map[pdf.Ref]bool) {
	if g.aborted {
		return
	}
	ref, ok := o.(pdf.Ref)
	if !ok {
		g.problem("a form field is not an indirect object")
		return
	}
	if seen[ref] || depth > g.v.Limits().MaxDepth {
		g.problem("form field %v appears twice", ref)
		return
	}
	seen[ref] = true
	role := modRole{kind: modRoleField, owner: ref}
	fd := g.dict(ref, role)
	if fd == nil {
		return
	}
	g.primary[ref] = true
	name := parentName
	if t := pdf.Text(fd["T"]); t != "" || fd["T"] != nil {
		if name != "" {
			name += "."
		}
		name += t
	}
	if t, ok := fd["FT"].(pdf.Name); ok {
		ft = t
	}
	value := inherited
	if v, ok := fd["V"]; ok && !modIsNull(v) {
		value = v
	}
	kr := modRole{kind: modRoleFieldOther, owner: ref, key: "Kids"}
	g.mark(fd["Kids"], kr)
	kids, _ := g.resolve(fd["Kids"], kr).(pdf.Array)
	var widgets []pdf.Ref
	var children []pdf.Object
	for _, k := range kids {
		kd := g.dict(k, kr)
		if kd == nil {
			continue
		}
		if _, hasT := kd["T"]; hasT {
			children = append(children, k)
		} else if r, ok := k.(pdf.Ref); ok {
			widgets = append(widgets, r)
		}
	}
	if len(children) > 0 {
		g.addRole(ref, modRole{kind: modRoleFieldNode, owner: ref})
		g.fieldNode[ref] = fd
		for _, c := range children {
			g.walkField(c, name, ft, value, depth+1, seen)
		}
		if len(widgets) == 0 {
			return
		}
	}
	if len(widgets) == 0 {
		if st, _ := fd["Subtype"].(pdf.Name); st == "Widget" || len(kids) == 0 {
			widgets = []pdf.Ref{ref}
		}
	}
	for _, w := range widgets {
		if p := g.annotPage[w]; p > 0 {
			role.page = p
			break
		}
	}
	g.addRole(ref, role)
	f := &modField{ref: ref, name: name, ft: ft, dict: fd, value: value, widgets: widgets}
	g.fields[ref] = f
	g.fieldList = append(g.fieldList, f)
	for _, w := range widgets {
		g.widgetOf[w] = ref
		if w != ref {
			g.mark(w, modRole{kind: modRoleWidget, owner: ref, page: g.annotPage[w]})
		}
	}
}

// walkOrphanWidgets treats widget annotations that are on a page but not
// in the form's field tree as fields of their own: viewers draw them like
// fields, so the same rules apply to them.
func (g *diffGraph) walkOrphanWidgets() {
	for _, p := range g.pages {
		arr, _ := g.resolve(p.dict["Annots"], modRole{kind: modRoleAnnots, owner: p.ref, page: p.num}).(pdf.Array)
		for _, a := range arr {
			ref, ok := a.(pdf.Ref)
			if !ok {
				continue
			}
			if _, known := g.widgetOf[ref]; known {
				continue
			}
			if _, known := g.fieldNode[ref]; known {
				continue
			}
			role := modRole{kind: modRoleField, owner: ref, page: p.num}
			d := g.dict(ref, role)
			if st, _ := d["Subtype"].(pdf.Name); st != "Widget" {
				continue
			}
			// Name and type, inherited along /Parent as for fields.
			var parts []string
			ft, _ := d["FT"].(pdf.Name)
			value := d["V"]
			cur := d
			for depth := 0; cur != nil && depth < 32; depth++ {
				if t := pdf.Text(cur["T"]); t != "" || cur["T"] != nil {
					parts = append([]string{t}, parts...)
				}
				if ft == "" {
					ft, _ = cur["FT"].(pdf.Name)
				}
				if modIsNull(value) {
					value = cur["V"]
				}
				if depth > 0 && modIsNull(cur["Parent"]) {
					break
				}
				cur = g.dict(cur["Parent"], role)
			}
			name := strings.Join(parts, ".")
			if name == "" {
				name = fmt.Sprintf("widget %d", ref.Num)
			}
			g.addRole(ref, role)
			f := &modField{ref: ref, name: name, ft: ft, dict: d, value: value, widgets: []pdf.Ref{ref}}
			g.fields[ref] = f
			g.fieldList = append(g.fieldList, f)
			g.widgetOf[ref] = ref
		}
	}
}

// walkPageContents gives roles to what pages, page tree nodes and
// non-widget annotations refer to.
func (g *diffGraph) walkPageContents() {
	for _, ref := range g.nodes {
		node := g.dict(ref, modRole{kind: modRolePageTree})
		for k, v := range node {
			switch k {
			case "Kids", "Parent", "Type", "Count":
			case "Resources":
				g.descend(v, modRole{kind: modRoleResources})
			default:
				g.descend(v, modRole{kind: modRolePageTree, owner: ref, key: string(k)})
			}
		}
	}
	for _, p := range g.pages {
		for k, v := range p.dict {
			switch k {
			case "Parent", "Type", "Annots":
			case "Contents":
				g.descend(v, modRole{kind: modRoleContent, owner: p.ref, page: p.num})
			case "Resources":
				g.descend(v, modRole{kind: modRoleResources, owner: p.ref, page: p.num})
			default:
				g.descend(v, modRole{kind: modRolePageOther, owner: p.ref, page: p.num, key: string(k)})
			}
		}
		arr, _ := g.resolve(p.dict["Annots"], modRole{kind: modRoleAnnots, owner: p.ref, page: p.num}).(pdf.Array)
		for _, a := range arr {
			r, isRef := a.(pdf.Ref)
			if isRef {
				if _, ok := g.widgetOf[r]; ok {
					continue
				}
				if _, ok := g.fields[r]; ok {
					continue
				}
				if _, ok := g.fieldNode[r]; ok {
					continue
				}
			}
			role := modRole{kind: modRoleAnnotation, owner: r, page: p.num}
			if isRef {
				g.addRole(r, role)
				k := modRoleKey{r, role.kind, role.owner, ""}
				if g.seen[k] {
					continue
				}
				g.seen[k] = true
			}
			ad, _ := g.resolve(a, role).(pdf.Dict)
			for k, v := range ad {
				if !modSkipKey(k) && k != "Popup" {
					g.descend(v, role)
				}
			}
		}
	}
}

// walkFieldContents gives roles to what fields and widgets refer to.
func (g *diffGraph) walkFieldContents() {
	if g.acroForm != nil {
		for k, v := range g.acroForm {
			switch k {
			case "Fields":
			case "DR":
				g.descend(v, modRole{kind: modRoleFormDR})
			default:
				g.descend(v, modRole{kind: modRoleFormOther, key: string(k)})
			}
		}
	}
	for ref, fd := range g.fieldNode {
		if _, terminal := g.fields[ref]; terminal {
			continue
		}
		for k, v := range fd {
			switch k {
			case "Kids", "Parent":
			case "V":
				g.descend(v, modRole{kind: modRoleFieldValue, owner: ref})
			default:
				g.descend(v, modRole{kind: modRoleFieldOther, owner: ref, key: string(k)})
			}
		}
	}
	for _, f := range g.fieldList {
		page := 0
		for _, w := range f.widgets {
			if p := g.annotPage[w]; p > 0 {
				page = p
				break
			}
		}
		for k, v := range f.dict {
			switch k {
			case "Kids", "Parent", "P":
			case "V":
				if f.ft == "Sig" {
					g.descend(v, modRole{kind: modRoleSigValue, owner: f.ref, page: page})
				} else {
					g.descend(v, modRole{kind: modRoleFieldValue, owner: f.ref, page: page})
				}
			case "AP":
				g.descend(v, modRole{kind: modRoleAppearance, owner: f.ref, page: page})
			default:
				g.descend(v, modRole{kind: modRoleFieldOther, owner: f.ref, page: page, key: string(k)})
			}
		}
		for _, w := range f.widgets {
			if w == f.ref {
				continue
			}
			wp := g.annotPage[w]
			wd := g.dict(w, modRole{kind: modRoleWidget, owner: f.ref, page: wp})
			for k, v := range wd {
				switch k {
				case "Parent", "P":
				case "AP":
					g.descend(v, modRole{kind: modRoleAppearance, owner: f.ref, page: wp})
				default:
					g.descend(v, modRole{kind: modRoleFieldOther, owner: f.ref, page: wp, key: string(k)})
				}
			}
		}
	}
}

// ---------------------------------------------------------------------------
// The analysis

type modFieldState struct {
	name      string
	sig       bool
	isNew     bool
	filled    bool // the value changed (or an empty signature field was signed)
	sigFilled bool // an empty signature field was signed now
	allowed   bool // the fill is permitted
	timestamp bool
	page      int
}

type modAnalysis struct {
	oldV, newV         *pdf.Document
	old, new           *diffGraph
	docMDP             int
	locks              []FieldLock
	oldState, newState map[uint32]modEntry
	states             map[pdf.Ref]*modFieldState
	objStms            map[uint32]bool // object streams holding objects of the signed revision
	res                ModificationResult
	seenChange         map[string]bool
	seenWarn           map[string]bool
}

func (a *modAnalysis) add(c Change) {
	k := c.Object + "\x00" + c.Kind + "\x00" + c.Description
	if a.seenChange[k] {
		return
	}
	a.seenChange[k] = true
	a.res.Changes = append(a.res.Changes, c)
}

func (a *modAnalysis) warn(w string) {
	if !a.seenWarn[w] {
		a.seenWarn[w] = true
		a.res.Warnings = append(a.res.Warnings, w)
	}
}

func (a *modAnalysis) run(cand []uint32) {
	a.old = diffBuildGraph(a.oldV)
	a.new = diffBuildGraph(a.newV)
	for _, g := range []*diffGraph{a.old, a.new} {
		if g.aborted {
			a.add(Change{Object: "document", Kind: modKindOther, Description: "the document is too large to analyse completely, so changes cannot be ruled out"})
		}
	}
	for _, p := range a.new.problems {
		if !modContains(a.old.problems, p) {
			a.add(Change{Object: "document", Kind: modKindOther, Description: "after signing, " + p})
		}
	}
	a.checkTrailer()
	a.checkFields()
	var newObjs []pdf.Ref
	for _, num := range cand {
		oe, ne := a.oldState[num], a.newState[num]
		oldIn, newIn := a.oldV.Has(num), a.newV.Has(num)
		switch {
		case !oldIn && !newIn:
		case oldIn && !newIn:
			ref := pdf.Ref{Num: num, Gen: oe.gen}
			a.add(Change{Object: ref.String(), Page: a.pageOf(ref), Kind: modKindFreed,
				Description: fmt.Sprintf("object %d, in use when signed, was freed", num)})
		case !oldIn && newIn:
			newObjs = append(newObjs, pdf.Ref{Num: num, Gen: ne.gen})
		default:
			if oe.gen != ne.gen {
				ref := pdf.Ref{Num: num, Gen: oe.gen}
				a.add(Change{Object: ref.String(), Page: a.pageOf(ref), Kind: modKindFreed,
					Description: fmt.Sprintf("object %d was replaced by a new object with generation %d", num, ne.gen)})
				continue
			}
			a.compareObject(pdf.Ref{Num: num, Gen: oe.gen})
		}
	}
	a.checkHidden()
	a.checkNewObjects(newObjs)
	if a.docMDP == 1 {
		// Safety net: fills and annotations are never permitted by P=1.
		for i, c := range a.res.Changes {
			switch c.Kind {
			case modKindFormFill, modKindAnnotation:
				if c.Allowed {
					a.res.Changes[i].Allowed = false
					a.res.Changes[i].Description += " (the certification permits no changes)"
				}
			}
		}
	}
	a.res.Level = modLevelNone
	for _, c := range a.res.Changes {
		if !c.Allowed {
			a.res.Level = modLevelDisallowed
			break
		}
		a.res.Level = modLevelAllowed
	}
}

func (a *modAnalysis) pageOf(ref pdf.Ref) int {
	for _, g := range []*diffGraph{a.old, a.new} {
		page := 0
		for _, r := range g.roles[ref] {
			if r.page > 0 && (page == 0 || r.page < page) {
				page = r.page
			}
		}
		if p := g.annotPage[ref]; p > 0 && (page == 0 || p < page) {
			page = p
		}
		if page > 0 {
			return page
		}
	}
	return 0
}

func (a *modAnalysis) checkTrailer() {
	ot, nt := a.oldV.Trailer(), a.newV.Trailer()
	if !pdf.Equal(ot["Root"], nt["Root"]) {
		a.add(Change{Object: "trailer", Kind: modKindCatalog, Description: "the trailer's /Root now names a different document catalog"})
	}
	if !pdf.Equal(ot["Encrypt"], nt["Encrypt"]) {
		a.add(Change{Object: "trailer", Kind: modKindOther, Description: "the trailer's /Encrypt dictionary changed"})
	}
	if !pdf.Equal(ot["Info"], nt["Info"]) {
		a.add(Change{Object: "trailer", Kind: modKindMetadata, Allowed: true, Description: "the document information dictionary (/Info) was replaced"})
	}
}

// ---------------------------------------------------------------------------
// Fields: fills, new and removed fields

func (a *modAnalysis) locked(name string) bool {
	for _, l := range a.locks {
		in := false
		for _, f := range l.Fields {
			if name == f || strings.HasPrefix(name, f+".") {
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
			return true // unknown action: be strict
		}
	}
	return false
}

// modFieldPage is the page of a field's first widget that is on a page.
func modFieldPage(g *diffGraph, f *modField) int {
	for _, w := range f.widgets {
		if p := g.annotPage[w]; p > 0 {
			return p
		}
	}
	return 0
}

// modVisible reports whether an annotation dictionary has an area and is
// not hidden.
func modVisible(g *diffGraph, d pdf.Dict) bool {
	rect, _ := g.resolve(d["Rect"], modRole{kind: modRoleFieldOther}).(pdf.Array)
	if len(rect) != 4 {
		return false
	}
	var v [4]float64
	for i, x := range rect {
		switch n := x.(type) {
		case pdf.Int:
			v[i] = float64(n)
		case pdf.Real:
			v[i] = float64(n)
		default:
			return false
		}
	}
	if (v[2]-v[0])*(v[3]-v[1]) == 0 {
		return false
	}
	f, _ := d["F"].(pdf.Int)
	return f&(2|32) == 0 // Hidden, NoView
}

func (a *modAnalysis) fieldVisible(g *diffGraph, f *modField) bool {
	for _, w := range f.widgets {
		var d pdf.Dict
		if w == f.ref {
			d = f.dict
		} else {
			d = g.dict(w, modRole{kind: modRoleWidget, owner: f.ref})
		}
		if d != nil && modVisible(g, d) {
			return true
		}
	}
	return false
}

// sigValue checks the value of a newly signed signature field: an
// indirect signature dictionary that was not part of the signed document.
// It returns whether it is a document timestamp, and a problem if any.
func (a *modAnalysis) sigValue(f *modField) (timestamp bool, problem string) {
	r, ok := f.value.(pdf.Ref)
	if !ok {
		return false, fmt.Sprintf("the value of signature field %q is not an indirect signature dictionary", f.name)
	}
	if a.oldV.Has(r.Num) && len(a.old.roles[r]) > 0 {
		return false, fmt.Sprintf("signature field %q now uses object %d, which was already part of the signed document, as its signature", f.name, r.Num)
	}
	o, err := a.newV.Get(r)
	if err != nil {
		return false, fmt.Sprintf("the signature dictionary %v of field %q cannot be read: %v", r, f.name, err)
	}
	d, _ := o.(pdf.Dict)
	if d == nil {
		return false, fmt.Sprintf("the value of signature field %q is not a signature dictionary", f.name)
	}
	typ, _ := d["Type"].(pdf.Name)
	sub, _ := d["SubFilter"].(pdf.Name)
	switch typ {
	case "DocTimeStamp":
		return true, ""
	case "Sig", "":
		return typ == "" && sub == "ETSI.RFC3161", ""
	}
	return false, fmt.Sprintf("the value of signature field %q has /Type /%s", f.name, typ)
}

func (a *modAnalysis) checkFields() {
	for _, of := range a.old.fieldList {
		st := &modFieldState{name: of.name, sig: of.ft == "Sig", page: modFieldPage(a.old, of)}
		a.states[of.ref] = st
		obj := of.ref.String()
		nf := a.new.fields[of.ref]
		if nf == nil {
			a.add(Change{Object: obj, Page: st.page, Kind: modKindAcroForm, Description: fmt.Sprintf("form field %q was removed", of.name)})
			continue
		}
		if nf.name != of.name {
			a.add(Change{Object: obj, Page: st.page, Kind: modKindAcroForm, Description: fmt.Sprintf("form field %q was renamed to %q", of.name, nf.name)})
		}
		if nf.ft != of.ft {
			a.add(Change{Object: obj, Page: st.page, Kind: modKindAcroForm, Description: fmt.Sprintf("the type of form field %q changed from %s to %s", of.name, of.ft, nf.ft)})
		}
		oldVal := a.old.resolve(of.value, modRole{kind: modRoleFieldValue, owner: of.ref})
		newVal := a.new.resolve(nf.value, modRole{kind: modRoleFieldValue, owner: of.ref})
		if st.sig {
			oldEmpty, newEmpty := modIsNull(oldVal), modIsNull(newVal)
			switch {
			case oldEmpty && !newEmpty:
				st.filled, st.sigFilled = true, true
				ts, prob := a.sigValue(nf)
				st.timestamp = ts
				kind, what := modKindSignature, "signature added to empty signature field %q"
				if ts {
					kind, what = modKindTimestamp, "document timestamp added to empty signature field %q"
				}
				desc := fmt.Sprintf(what, of.name)
				switch {
				case prob != "":
					desc = prob
				case a.docMDP == 1 && !ts:
					desc += " (the certification permits no changes)"
				case a.locked(of.name) && !ts:
					desc += " (the field is locked by a FieldMDP lock)"
				default:
					st.allowed = true
				}
				a.add(Change{Object: obj, Page: st.page, Kind: kind, Allowed: st.allowed, Description: desc})
			case !oldEmpty && newEmpty:
				a.add(Change{Object: obj, Page: st.page, Kind: modKindSignature, Description: fmt.Sprintf("the signature in field %q was removed", of.name)})
			case !oldEmpty && !pdf.Equal(of.value, nf.value):
				a.add(Change{Object: obj, Page: st.page, Kind: modKindSigDict, Description: fmt.Sprintf("signature field %q now points to a different signature dictionary", of.name)})
			}
			continue
		}
		same, err := a.sameValue(oldVal, newVal)
		if err != nil {
			a.add(Change{Object: obj, Page: st.page, Kind: modKindFormFill, Description: fmt.Sprintf("the value of field %q cannot be read: %v", of.name, err)})
			continue
		}
		if !same {
			st.filled = true
			desc := fmt.Sprintf("value of form field %q changed", of.name)
			switch {
			case a.docMDP == 1:
				desc += " (the certification permits no changes)"
			case a.locked(of.name):
				desc += " (the field is locked by a FieldMDP lock)"
			default:
				st.allowed = true
			}
			a.add(Change{Object: obj, Page: st.page, Kind: modKindFormFill, Allowed: st.allowed, Description: desc})
		}
	}
	for _, nf := range a.new.fieldList {
		if _, ok := a.old.fields[nf.ref]; ok {
			continue
		}
		st := &modFieldState{name: nf.name, sig: nf.ft == "Sig", isNew: true, page: modFieldPage(a.new, nf)}
		a.states[nf.ref] = st
		obj := nf.ref.String()
		if a.oldV.Has(nf.ref.Num) && len(a.old.roles[nf.ref]) > 0 {
			a.add(Change{Object: obj, Page: st.page, Kind: modKindAcroForm, Description: fmt.Sprintf("object %d, already part of the signed document, became form field %q", nf.ref.Num, nf.name)})
			continue
		}
		if !st.sig {
			a.add(Change{Object: obj, Page: st.page, Kind: modKindFormFill, Description: fmt.Sprintf("form field %q was added", nf.name)})
			continue
		}
		bad := ""
		for _, w := range nf.widgets {
			if w != nf.ref && a.oldV.Has(w.Num) && len(a.old.roles[w]) > 0 {
				bad = fmt.Sprintf("signature field %q uses object %d, already part of the signed document, as its widget", nf.name, w.Num)
			}
		}
		signed := !modIsNull(a.new.resolve(nf.value, modRole{kind: modRoleSigValue, owner: nf.ref}))
		kind, desc := modKindSignature, fmt.Sprintf("signature field %q added", nf.name)
		if signed {
			st.filled, st.sigFilled = true, true
			ts, prob := a.sigValue(nf)
			st.timestamp = ts
			if ts {
				kind, desc = modKindTimestamp, fmt.Sprintf("document timestamp added in new field %q", nf.name)
			} else {
				desc += " and signed"
			}
			if prob != "" && bad == "" {
				bad = prob
			}
		}
		visible := a.fieldVisible(a.new, nf)
		switch {
		case bad != "":
			desc = bad
		case a.docMDP == 1 && !st.timestamp:
			desc += " (the certification permits no changes)"
		default:
			st.allowed = true
			if a.docMDP > 0 && visible && !st.timestamp {
				a.warn(fmt.Sprintf("visible signature field %q added after a certification signature", nf.name))
			}
		}
		a.add(Change{Object: obj, Page: st.page, Kind: kind, Allowed: st.allowed, Description: desc})
	}
}

// ---------------------------------------------------------------------------
// Object comparison

// sameValue compares two values from the old and the new revision: streams
// by dictionary (ignoring /Length) and raw bytes, everything else with
// pdf.Equal (references by identity).
func (a *modAnalysis) sameValue(o, n pdf.Object) (bool, error) {
	os, ok1 := o.(*pdf.Stream)
	ns, ok2 := n.(*pdf.Stream)
	if !ok1 || !ok2 {
		if ok1 != ok2 {
			return false, nil
		}
		return pdf.Equal(o, n), nil
	}
	if pdf.Equal(os, ns) {
		return true, nil
	}
	od, nd := pdf.Dict{}, pdf.Dict{}
	for k, v := range os.Dict {
		if k != "Length" {
			od[k] = v
		}
	}
	for k, v := range ns.Dict {
		if k != "Length" {
			nd[k] = v
		}
	}
	if !pdf.Equal(od, nd) || os.Length != ns.Length {
		return false, nil
	}
	if os.Length > modMaxStreamCompare {
		return false, nil
	}
	return modSameReader(a.oldV.RawStream(os), a.newV.RawStream(ns), os.Length)
}

func modSameReader(x, y io.Reader, n int64) (bool, error) {
	const chunk = 64 << 10
	bx, by := make([]byte, chunk), make([]byte, chunk)
	for n > 0 {
		m := int64(chunk)
		if n < m {
			m = n
		}
		if _, err := io.ReadFull(x, bx[:m]); err != nil {
			return false, err
		}
		if _, err := io.ReadFull(y, by[:m]); err != nil {
			return false, err
		}
		if !bytes.Equal(bx[:m], by[:m]) {
			return false, nil
		}
		n -= m
	}
	return true, nil
}

func modIsNull(o pdf.Object) bool {
	switch o.(type) {
	case nil, pdf.Null:
		return true
	}
	return false
}

func modContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// compareObject judges an object that is in use in both revisions.
func (a *modAnalysis) compareObject(ref pdf.Ref) {
	obj := ref.String()
	oo, err := a.oldV.Get(ref)
	if err != nil {
		a.add(Change{Object: obj, Page: a.pageOf(ref), Kind: modKindOther, Description: fmt.Sprintf("object %d cannot be read in the signed revision: %v", ref.Num, err)})
		return
	}
	no, err := a.newV.Get(ref)
	if err != nil {
		a.add(Change{Object: obj, Page: a.pageOf(ref), Kind: modKindOther, Description: fmt.Sprintf("object %d cannot be read: %v", ref.Num, err)})
		return
	}
	same, err := a.sameValue(oo, no)
	if err != nil {
		a.add(Change{Object: obj, Page: a.pageOf(ref), Kind: modKindOther, Description: fmt.Sprintf("object %d cannot be read: %v", ref.Num, err)})
		return
	}
	if same {
		return
	}
	if a.holdsOldObjects(ref.Num) {
		a.add(Change{Object: obj, Kind: modKindOther, Description: fmt.Sprintf("object stream %d, which holds objects of the signed revision, was rewritten", ref.Num)})
		return
	}
	a.judge(ref, oo, no)
}

// holdsOldObjects reports whether object num is an object stream that holds
// objects in use in the signed revision. Rewriting one changes those
// objects without their cross-reference entries changing.
func (a *modAnalysis) holdsOldObjects(num uint32) bool {
	if a.objStms == nil {
		a.objStms = map[uint32]bool{}
		for n, e := range a.oldState {
			if e.inUse {
				if loc := a.oldV.Locate(n); loc.Ok && loc.Offset < 0 {
					a.objStms[loc.InStream] = true
				}
			}
		}
	}
	return a.objStms[num]
}

// rolesOf returns the distinct roles of ref in both revisions, most
// specific first.
func (a *modAnalysis) rolesOf(ref pdf.Ref) []modRole {
	var out []modRole
	for _, g := range []*diffGraph{a.old, a.new} {
		for _, r := range g.roles[ref] {
			dup := false
			for i, x := range out {
				if x.kind == r.kind && x.owner == r.owner && x.key == r.key {
					if out[i].page == 0 {
						out[i].page = r.page
					}
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, r)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return modRoleLess(out[i], out[j]) })
	return out
}

// modRoleLess orders roles by kind (most specific first), then owner, key
// and page, so that reports do not depend on map iteration order.
func modRoleLess(x, y modRole) bool {
	switch {
	case x.kind != y.kind:
		return x.kind < y.kind
	case x.owner.Num != y.owner.Num:
		return x.owner.Num < y.owner.Num
	case x.key != y.key:
		return x.key < y.key
	}
	return x.page < y.page
}

func (a *modAnalysis) judge(ref pdf.Ref, oo, no pdf.Object) {
	roles := a.rolesOf(ref)
	obj := ref.String()
	if len(roles) == 0 {
		a.add(Change{Object: obj, Kind: modKindOther, Allowed: true, Description: fmt.Sprintf("object %d, not used by the document, was changed", ref.Num)})
		return
	}
	var allowed, denied []Change
	first := true
	for _, r := range roles {
		cs := a.judgeRole(ref, r, oo, no)
		for _, c := range cs {
			if c.Object == "" {
				c.Object = obj
			}
			if c.Page == 0 {
				c.Page = r.page
			}
			if c.Allowed {
				if first {
					allowed = append(allowed, c)
				}
			} else {
				denied = append(denied, c)
			}
		}
		first = false
	}
	if len(denied) > 0 {
		for _, c := range denied {
			a.add(c)
		}
		return
	}
	for _, c := range allowed {
		a.add(c)
	}
}

func modDict(o pdf.Object) pdf.Dict {
	switch x := o.(type) {
	case pdf.Dict:
		return x
	case *pdf.Stream:
		return x.Dict
	}
	return nil
}

// changedKeys lists the keys whose (unresolved) values differ, sorted.
func modChangedKeys(o, n pdf.Dict) []pdf.Name {
	var keys []pdf.Name
	for k, v := range o {
		if !pdf.Equal(v, n[k]) {
			keys = append(keys, k)
		}
	}
	for k, v := range n {
		if _, ok := o[k]; !ok && !modIsNull(v) {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

func modVerb(o, n pdf.Dict, k pdf.Name) string {
	_, had := o[k]
	_, has := n[k]
	switch {
	case had && modIsNull(o[k]):
		had = false
	case has && modIsNull(n[k]):
		has = false
	}
	switch {
	case !had && has:
		return "added"
	case had && !has:
		return "removed"
	}
	return "changed"
}

func modObjectType(o pdf.Object) string {
	d := modDict(o)
	typ, _ := d["Type"].(pdf.Name)
	sub, _ := d["Subtype"].(pdf.Name)
	switch {
	case typ == "Font" || typ == "FontDescriptor" || sub == "Type1" || sub == "TrueType" || sub == "Type0" || sub == "CIDFontType2":
		return "font"
	case sub == "Image":
		return "image"
	case sub == "Form":
		return "form XObject"
	case typ == "ExtGState":
		return "graphics state"
	}
	if _, ok := o.(*pdf.Stream); ok {
		return "stream"
	}
	return "object"
}

func (a *modAnalysis) annotationChange(obj string, page int, desc string) Change {
	allowed := a.docMDP == 0 || a.docMDP == 3
	switch a.docMDP {
	case 0:
		a.warn(desc + " after an approval signature")
	case 1, 2:
		desc += fmt.Sprintf(" (the certification (P=%d) does not permit annotation changes)", a.docMDP)
	}
	return Change{Object: obj, Page: page, Kind: modKindAnnotation, Allowed: allowed, Description: desc}
}

func (a *modAnalysis) state(owner pdf.Ref) *modFieldState {
	if st := a.states[owner]; st != nil {
		return st
	}
	return &modFieldState{name: fmt.Sprintf("object %d", owner.Num)}
}

func (a *modAnalysis) judgeRole(ref pdf.Ref, r modRole, oo, no pdf.Object) []Change {
	od, nd := modDict(oo), modDict(no)
	n := ref.Num
	switch r.kind {
	case modRoleCatalog:
		return a.judgeCatalog(od, nd)
	case modRolePageTree:
		return []Change{{Kind: modKindPageTree, Description: fmt.Sprintf("page tree node %d changed (pages added, removed or reordered)", n)}}
	case modRolePage:
		return a.judgePage(r.page, od, nd)
	case modRoleAnnots:
		oa, _ := oo.(pdf.Array)
		na, _ := no.(pdf.Array)
		return a.judgeAnnots(r.page, oa, na)
	case modRoleContent:
		return []Change{{Kind: modKindPageContent, Description: fmt.Sprintf("content stream %d of page %d changed", n, r.page)}}
	case modRoleResources:
		if r.page > 0 {
			return []Change{{Kind: modKindResources, Description: fmt.Sprintf("%s %d used by page %d changed", modObjectType(oo), n, r.page)}}
		}
		return []Change{{Kind: modKindResources, Description: fmt.Sprintf("%s %d used by the pages' resources changed", modObjectType(oo), n)}}
	case modRolePageOther:
		return []Change{{Kind: modKindPageContent, Description: fmt.Sprintf("object %d used by page %d (/%s) changed", n, r.page, r.key)}}
	case modRoleAcroForm:
		return a.judgeAcroForm(od, nd)
	case modRoleFieldsArray:
		oa, _ := oo.(pdf.Array)
		na, _ := no.(pdf.Array)
		return a.judgeFieldsArray(oa, na)
	case modRoleFormDR:
		return []Change{{Kind: modKindAcroForm, Description: fmt.Sprintf("%s %d of the form's default resources changed", modObjectType(oo), n)}}
	case modRoleFormOther:
		return []Change{{Kind: modKindAcroForm, Description: fmt.Sprintf("object %d used by the form's /%s changed", n, r.key)}}
	case modRoleFieldNode:
		if _, terminal := a.old.fields[ref]; terminal {
			return nil // judged as a field
		}
		keys := modChangedKeys(od, nd)
		return []Change{{Kind: modKindAcroForm, Description: fmt.Sprintf("form field node %d changed (%s)", n, modKeyList(keys))}}
	case modRoleField:
		return a.judgeField(ref, r.owner, od, nd, true)
	case modRoleWidget:
		return a.judgeField(ref, r.owner, od, nd, false)
	case modRoleAppearance:
		st := a.state(r.owner)
		if st.isNew && st.allowed {
			return []Change{{Kind: modKindSignature, Allowed: true, Description: fmt.Sprintf("appearance object %d reused by new signature field %q", n, st.name)}}
		}
		if st.filled {
			if st.allowed {
				kind := modKindFormFill
				if st.sig {
					kind = modKindSignature
				}
				return []Change{{Kind: kind, Allowed: true, Description: fmt.Sprintf("appearance object %d of field %q updated with its value", n, st.name)}}
			}
			return nil // the fill itself is reported as not permitted
		}
		return []Change{{Kind: modKindFormFill, Description: fmt.Sprintf("appearance object %d of field %q changed while its value stayed the same", n, st.name)}}
	case modRoleFieldValue:
		st := a.state(r.owner)
		if st.filled {
			return nil // reported with the field
		}
		return []Change{{Kind: modKindFormFill, Description: fmt.Sprintf("value object %d of field %q changed", n, st.name)}}
	case modRoleSigValue:
		st := a.state(r.owner)
		if st.sigFilled && st.allowed {
			return []Change{{Kind: modKindSignature, Allowed: true, Description: fmt.Sprintf("signature dictionary %d of field %q written", n, st.name)}}
		}
		return []Change{{Kind: modKindSigDict, Description: fmt.Sprintf("signature dictionary %d of field %q changed", n, st.name)}}
	case modRoleFieldOther:
		st := a.state(r.owner)
		return []Change{{Kind: modKindFormFill, Description: fmt.Sprintf("object %d used by field %q (/%s) changed", n, st.name, r.key)}}
	case modRoleAnnotation:
		return []Change{a.annotationChange("", r.page, fmt.Sprintf("annotation %d on page %d modified", n, r.page))}
	case modRoleNames:
		return a.judgeNames(od, nd)
	case modRoleNamesAP:
		return []Change{a.annotationChange("", 0, fmt.Sprintf("named appearance stream %d for annotations modified", n))}
	case modRoleNamesOther:
		return []Change{{Kind: modKindCatalog, Description: fmt.Sprintf("object %d of the /%s name tree changed", n, r.key)}}
	case modRolePerms:
		return []Change{{Kind: modKindCatalog, Description: fmt.Sprintf("object %d of the document permissions (/Perms) changed", n)}}
	case modRoleOC:
		return []Change{{Kind: modKindOther, Description: fmt.Sprintf("optional content object %d changed", n)}}
	case modRoleCatalogOther:
		return []Change{{Kind: modKindCatalog, Description: fmt.Sprintf("object %d used by catalog /%s changed", n, r.key)}}
	case modRoleCatalogExt:
		return []Change{{Kind: modKindCatalog, Allowed: true, Description: fmt.Sprintf("catalog /%s object %d updated", r.key, n)}}
	case modRoleDSS:
		return []Change{{Kind: modKindDSS, Allowed: true, Description: fmt.Sprintf("document security store object %d updated", n)}}
	case modRoleMetadata:
		return []Change{{Kind: modKindMetadata, Allowed: true, Description: "XMP metadata stream updated"}}
	case modRoleInfo:
		return []Change{{Kind: modKindMetadata, Allowed: true, Description: "document information dictionary (/Info) updated"}}
	case modRoleStructure:
		return []Change{{Kind: modKindOther, Allowed: a.docMDP != 1, Description: fmt.Sprintf("logical structure object %d updated", n)}}
	case modRoleTrailerOther:
		return []Change{{Kind: modKindOther, Description: fmt.Sprintf("object %d used by the trailer's /%s changed", n, r.key)}}
	case modRoleEncrypt:
		return []Change{{Kind: modKindOther, Description: fmt.Sprintf("encryption dictionary object %d changed", n)}}
	}
	return []Change{{Kind: modKindOther, Description: fmt.Sprintf("object %d changed", n)}}
}

func modKeyList(keys []pdf.Name) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = "/" + string(k)
	}
	return strings.Join(s, ", ")
}

func (a *modAnalysis) judgeCatalog(od, nd pdf.Dict) []Change {
	var out []Change
	for _, k := range modChangedKeys(od, nd) {
		verb := modVerb(od, nd, k)
		switch k {
		case "AcroForm":
			o := a.old.dict(od[k], modRole{kind: modRoleAcroForm})
			n := a.new.dict(nd[k], modRole{kind: modRoleAcroForm})
			if o == nil {
				o = pdf.Dict{}
			}
			if n == nil {
				out = append(out, Change{Kind: modKindAcroForm, Description: "the interactive form (/AcroForm) was removed"})
				continue
			}
			out = append(out, a.judgeAcroForm(o, n)...)
		case "DSS":
			out = append(out, Change{Kind: modKindDSS, Allowed: true, Description: "document security store (/DSS) " + verb})
		case "Metadata":
			out = append(out, Change{Kind: modKindMetadata, Allowed: true, Description: "catalog /Metadata " + verb})
		case "Extensions", "Version", "MarkInfo":
			out = append(out, Change{Kind: modKindCatalog, Allowed: true, Description: "catalog /" + string(k) + " " + verb})
		case "StructTreeRoot":
			out = append(out, Change{Kind: modKindOther, Allowed: a.docMDP != 1, Description: "logical structure tree root " + verb})
		case "Names":
			o := a.old.dict(od[k], modRole{kind: modRoleNames})
			n := a.new.dict(nd[k], modRole{kind: modRoleNames})
			out = append(out, a.judgeNames(o, n)...)
		case "Perms":
			out = append(out, Change{Kind: modKindCatalog, Description: "document permissions (/Perms) " + verb + " after signing"})
		case "Pages":
			out = append(out, Change{Kind: modKindPageTree, Description: "the catalog's page tree (/Pages) was replaced"})
		case "OCProperties":
			out = append(out, Change{Kind: modKindOther, Description: "optional content properties (/OCProperties) " + verb})
		default:
			out = append(out, Change{Kind: modKindCatalog, Description: "catalog /" + string(k) + " " + verb})
		}
	}
	return out
}

func (a *modAnalysis) judgeNames(od, nd pdf.Dict) []Change {
	if od == nil {
		od = pdf.Dict{}
	}
	if nd == nil {
		nd = pdf.Dict{}
	}
	var out []Change
	for _, k := range modChangedKeys(od, nd) {
		if k == "AP" {
			out = append(out, a.annotationChange("", 0, "named appearance streams for annotations (/Names /AP) "+modVerb(od, nd, k)))
			continue
		}
		out = append(out, Change{Kind: modKindCatalog, Description: "name dictionary /" + string(k) + " " + modVerb(od, nd, k)})
	}
	return out
}

func (a *modAnalysis) judgeAcroForm(od, nd pdf.Dict) []Change {
	var out []Change
	for _, k := range modChangedKeys(od, nd) {
		verb := modVerb(od, nd, k)
		switch k {
		case "Fields":
			oa, _ := a.old.resolve(od[k], modRole{kind: modRoleFieldsArray}).(pdf.Array)
			na, _ := a.new.resolve(nd[k], modRole{kind: modRoleFieldsArray}).(pdf.Array)
			out = append(out, a.judgeFieldsArray(oa, na)...)
		case "SigFlags":
			out = append(out, Change{Kind: modKindAcroForm, Allowed: true, Description: "form /SigFlags " + verb})
		case "DR", "DA", "Q":
			out = append(out, Change{Kind: modKindAcroForm, Allowed: true, Description: "form default appearance settings (/" + string(k) + ") " + verb})
		case "NeedAppearances":
			if b, _ := nd[k].(pdf.Bool); b {
				if ob, _ := od[k].(pdf.Bool); !ob {
					out = append(out, Change{Kind: modKindAcroForm, Description: "form /NeedAppearances set: viewers would regenerate field appearances"})
					continue
				}
			}
			out = append(out, Change{Kind: modKindAcroForm, Allowed: true, Description: "form /NeedAppearances " + verb})
		default:
			out = append(out, Change{Kind: modKindAcroForm, Description: "form /" + string(k) + " " + verb})
		}
	}
	return out
}

// judgeFieldsArray checks the form's top-level field list: fields may be
// added (they are judged as new fields), none may go.
func (a *modAnalysis) judgeFieldsArray(oa, na pdf.Array) []Change {
	var out []Change
	have := map[pdf.Ref]bool{}
	for _, x := range na {
		if r, ok := x.(pdf.Ref); ok {
			have[r] = true
		} else {
			out = append(out, Change{Kind: modKindAcroForm, Description: "a direct object was added to the form's /Fields"})
		}
	}
	added := 0
	old := map[pdf.Ref]bool{}
	for _, x := range oa {
		r, ok := x.(pdf.Ref)
		if !ok {
			continue
		}
		old[r] = true
		if !have[r] {
			name := fmt.Sprintf("object %d", r.Num)
			if f := a.old.fields[r]; f != nil {
				name = fmt.Sprintf("%q", f.name)
			}
			out = append(out, Change{Kind: modKindAcroForm, Description: "form field " + name + " removed from the form's /Fields"})
		}
	}
	for r := range have {
		if !old[r] {
			added++
		}
	}
	if len(out) == 0 && added > 0 {
		// The new fields themselves are judged in checkFields.
		out = append(out, Change{Kind: modKindAcroForm, Allowed: true, Description: fmt.Sprintf("%d field(s) added to the form's /Fields", added)})
	}
	return out
}

func (a *modAnalysis) judgePage(page int, od, nd pdf.Dict) []Change {
	var out []Change
	for _, k := range modChangedKeys(od, nd) {
		verb := modVerb(od, nd, k)
		switch k {
		case "Annots":
			role := modRole{kind: modRoleAnnots, page: page}
			oa, _ := a.old.resolve(od[k], role).(pdf.Array)
			na, _ := a.new.resolve(nd[k], role).(pdf.Array)
			out = append(out, a.judgeAnnots(page, oa, na)...)
		case "Contents":
			out = append(out, Change{Kind: modKindPageContent, Description: fmt.Sprintf("content of page %d %s", page, modVerbPast(verb, "replaced"))})
		case "Resources":
			out = append(out, Change{Kind: modKindResources, Description: fmt.Sprintf("resources of page %d %s", page, modVerbPast(verb, "replaced"))})
		case "Parent", "Type":
			out = append(out, Change{Kind: modKindPageTree, Description: fmt.Sprintf("page %d /%s %s", page, k, verb)})
		default:
			out = append(out, Change{Kind: modKindPageContent, Description: fmt.Sprintf("page %d /%s %s", page, k, verb)})
		}
	}
	return out
}

func modVerbPast(verb, changed string) string {
	if verb == "changed" {
		return changed
	}
	return verb
}

// judgeAnnots compares a page's annotation lists.
func (a *modAnalysis) judgeAnnots(page int, oa, na pdf.Array) []Change {
	var out []Change
	count := func(arr pdf.Array) map[string]int {
		m := map[string]int{}
		for _, x := range arr {
			m[pdf.Format(x)]++
		}
		return m
	}
	oc, nc := count(oa), count(na)
	membership := false
	for _, x := range oa {
		k := pdf.Format(x)
		if nc[k] > 0 {
			nc[k]--
			continue
		}
		membership = true
		r, isRef := x.(pdf.Ref)
		if isRef {
			if f, ok := a.old.widgetOf[r]; ok {
				out = append(out, Change{Object: r.String(), Kind: modKindFormFill, Description: fmt.Sprintf("widget of field %q removed from page %d", a.state(f).name, page)})
				continue
			}
		}
		out = append(out, a.annotationChange(modObjName(x), page, fmt.Sprintf("annotation removed from page %d", page)))
	}
	for _, x := range na {
		k := pdf.Format(x)
		if oc[k] > 0 {
			oc[k]--
			continue
		}
		membership = true
		r, isRef := x.(pdf.Ref)
		if !isRef {
			out = append(out, a.annotationChange("", page, fmt.Sprintf("annotation added to page %d", page)))
			continue
		}
		if f, ok := a.new.widgetOf[r]; ok {
			st := a.state(f)
			if st.isNew {
				continue // judged with the new field
			}
			out = append(out, Change{Object: r.String(), Kind: modKindFormFill, Description: fmt.Sprintf("widget of existing field %q added to page %d", st.name, page)})
			continue
		}
		sub := ""
		if d := a.new.dict(r, modRole{kind: modRoleAnnotation, owner: r}); d != nil {
			if s, ok := d["Subtype"].(pdf.Name); ok {
				sub = " (" + string(s) + ")"
			}
		}
		out = append(out, a.annotationChange(r.String(), page, fmt.Sprintf("annotation%s added to page %d", sub, page)))
	}
	if !membership && !pdf.Equal(oa, na) {
		out = append(out, a.annotationChange("", page, fmt.Sprintf("annotations of page %d reordered", page)))
	}
	return out
}

func modObjName(x pdf.Object) string {
	if r, ok := x.(pdf.Ref); ok {
		return r.String()
	}
	return ""
}

// judgeField checks a field dictionary (field is true; it may be merged
// with its widget) or a separate widget of field owner.
func (a *modAnalysis) judgeField(ref, owner pdf.Ref, od, nd pdf.Dict, field bool) []Change {
	st := a.state(owner)
	kind := modKindFormFill
	if st.sig {
		kind = modKindSignature
	}
	if od == nil || nd == nil {
		return []Change{{Kind: kind, Description: fmt.Sprintf("field %q: object %d is no longer a dictionary", st.name, ref.Num)}}
	}
	var out []Change
	var items []string
	for _, k := range modChangedKeys(od, nd) {
		verb := modVerb(od, nd, k)
		item := "/" + string(k) + " " + verb
		switch k {
		case "V":
			if field && (st.filled || st.sig) {
				continue // checkFields reports fills and changes to signatures
			}
		case "AP", "AS":
			if !st.filled {
				what := "appearance"
				if k == "AS" {
					what = "appearance state"
				}
				out = append(out, Change{Kind: modKindFormFill, Description: fmt.Sprintf("%s of field %q changed while its value stayed the same", what, st.name)})
				continue
			}
			if k == "AP" {
				if r, ok := od[k].(pdf.Ref); ok {
					if shared := a.sharedOutside(r, owner); shared != "" {
						out = append(out, Change{Kind: kind, Description: fmt.Sprintf("appearance dictionary %d of field %q, replaced in the fill, is also used by %s", r.Num, st.name, shared)})
					}
				}
			}
			continue
		case "DA", "Q":
			if st.filled {
				continue // regenerated with the value
			}
		case "F":
			if st.sigFilled {
				continue // flags of a signature widget set when it is signed
			}
			item = "annotation flags (/F) " + verb
		case "Ff":
			o, _ := od[k].(pdf.Int)
			n, _ := nd[k].(pdf.Int)
			if (o^n)&^1 == 0 {
				continue // only the read-only flag, which signing tools set
			}
			item = "field flags (/Ff) " + verb
		case "Type":
			if t, _ := nd[k].(pdf.Name); t == "Annot" && verb == "added" {
				continue
			}
		}
		items = append(items, item)
	}
	if len(items) > 0 {
		what := "field"
		if !field {
			what = "widget of field"
		}
		out = append(out, Change{Kind: kind, Description: fmt.Sprintf("%s %q changed: %s", what, st.name, strings.Join(items, ", "))})
	}
	return out
}

// sharedOutside describes a role of ref other than being the appearance of
// field owner, or "".
func (a *modAnalysis) sharedOutside(ref, owner pdf.Ref) string {
	for _, r := range a.old.roles[ref] {
		if r.kind == modRoleAppearance && r.owner == owner {
			continue
		}
		switch r.kind {
		case modRoleAppearance:
			return fmt.Sprintf("field %q", a.state(r.owner).name)
		case modRoleCatalogOther:
			return "the catalog's /" + r.key
		case modRoleTrailerOther:
			return "the trailer's /" + r.key
		default:
			return fmt.Sprintf("another part of the document (%s)", modRoleName(r.kind))
		}
	}
	return ""
}

func modRoleName(k modRoleKind) string {
	switch k {
	case modRoleContent:
		return "page content"
	case modRoleResources:
		return "page resources"
	case modRoleAnnotation:
		return "an annotation"
	case modRoleFieldOther:
		return "a form field"
	case modRoleStructure:
		return "the structure tree"
	}
	return "role " + strconv.Itoa(int(k))
}

// checkHidden finds references that pointed to nothing when signed and
// now resolve to an object.
func (a *modAnalysis) checkHidden() {
	done := map[pdf.Ref]bool{}
	list := append([]modDangling(nil), a.old.nulls...)
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].ref != list[j].ref {
			return list[i].ref.Num < list[j].ref.Num || list[i].ref.Num == list[j].ref.Num && list[i].ref.Gen < list[j].ref.Gen
		}
		return modRoleLess(list[i].role, list[j].role)
	})
	for _, d := range list {
		if done[d.ref] {
			continue
		}
		switch d.role.kind {
		case modRoleDSS, modRoleMetadata, modRoleInfo, modRoleStructure, modRoleCatalogExt:
			continue // any change there is allowed anyway
		}
		done[d.ref] = true
		if oe, ok := a.oldState[d.ref.Num]; ok && oe.inUse && oe.gen == d.ref.Gen {
			continue // defined (as null) when signed: an ordinary object
		}
		if !a.newV.Has(d.ref.Num) {
			continue
		}
		o, err := a.newV.Get(d.ref)
		if err == nil && modIsNull(o) {
			continue
		}
		kind := modKindOther
		switch d.role.kind {
		case modRoleContent, modRolePageOther:
			kind = modKindPageContent
		case modRoleResources:
			kind = modKindResources
		case modRoleAnnots, modRoleAnnotation:
			kind = modKindAnnotation
		case modRolePageTree, modRolePage:
			kind = modKindPageTree
		case modRoleCatalog, modRoleCatalogOther:
			kind = modKindCatalog
		case modRoleField, modRoleWidget, modRoleAppearance, modRoleFieldValue, modRoleFieldOther:
			kind = modKindFormFill
		case modRoleAcroForm, modRoleFieldsArray:
			kind = modKindAcroForm
		}
		a.add(Change{Object: d.ref.String(), Page: d.role.page, Kind: kind,
			Description: fmt.Sprintf("reference %v pointed to a free object number when signed and now resolves to a new object (hidden reference)", d.ref)})
	}
}

// checkNewObjects reports new objects that cannot be read, and summarises
// new objects that nothing in the document uses.
func (a *modAnalysis) checkNewObjects(refs []pdf.Ref) {
	orphans := 0
	for _, r := range refs {
		if err, ok := a.new.errs[r]; ok {
			a.add(Change{Object: r.String(), Page: a.pageOf(r), Kind: modKindOther, Description: fmt.Sprintf("object %d cannot be read: %v", r.Num, err)})
			continue
		}
		if len(a.new.roles[r]) > 0 {
			continue // judged through the objects that refer to it
		}
		o, err := a.newV.Get(r)
		if err != nil {
			continue // nothing uses it
		}
		if st, ok := o.(*pdf.Stream); ok {
			if t, _ := st.Dict["Type"].(pdf.Name); t == "XRef" || t == "ObjStm" {
				continue
			}
		}
		orphans++
	}
	if orphans > 0 {
		a.add(Change{Object: "document", Kind: modKindOther, Allowed: true,
			Description: fmt.Sprintf("%d new object(s) added that nothing in the document uses", orphans)})
	}
}
