package changes

import (
	"fmt"

	"segel/pdf"
)

// kind is the context in which a path reaches an object.
type kind uint8

const (
	kCatalog      kind = iota + 1
	kPageNode          // a page-tree node, reached through /Kids or a page's /Parent chain
	kPage              // a page
	kAnnots            // an indirect /Annots array
	kContent           // what a page or page-tree node draws or inherits: contents, resources, fonts, XObjects
	kAnnot             // a non-widget annotation
	kAnnotAP           // an annotation's appearance and what it draws
	kAnnotOther        // other things an annotation refers to (actions, popups)
	kAcroForm          // the interactive form dictionary
	kFieldsArray       // an indirect /Fields array
	kFormDR            // the form's default resources (/DR), used when viewers draw fields
	kFormOther         // other form entries (/CO, /XFA, an indirect /DA)
	kFieldNode         // a non-terminal field, reached through /Kids or a field's /Parent chain
	kKids              // an indirect /Kids array of a field
	kField             // a terminal field (merged with its widget, or with widget kids)
	kWidget            // a widget of a field, not merged with it
	kValue             // a field's value (/V) object
	kAP                // a field's appearance dictionary, state dictionaries and streams
	kAPRes             // what a field's appearance streams draw with (resources, fonts, XObjects)
	kSigDict           // a signature field's signature dictionary
	kSigContent        // objects inside a signature dictionary
	kFieldOther        // other field and widget entries (/MK, /A, /AA, /Lock, /DV…)
	kDSS               // the document security store
	kMetadata          // the catalog's XMP metadata
	kInfo              // the trailer's document information dictionary
	kStruct            // the logical structure tree
	kOC                // optional content properties
	kPerms             // the catalog's /Perms
	kNames             // the catalog's name dictionary
	kNamesAP           // the /AP name tree (appearances for annotations)
	kCatalogOther      // other catalog entries (/OpenAction, /Outlines, /AA, …)
	kCatalogExt        // /Extensions, /MarkInfo, /Version
	kEncrypt           // the encryption dictionary
	kTrailerOther      // other trailer entries
)

// drawn reports whether objects in context k decide what a viewer draws:
// such contexts reach every object they refer to, even a page, a field or
// an annotation used as an XObject. The other contexts only refer to such
// objects, which are judged by their own structure.
func (k kind) drawn() bool {
	switch k {
	case kContent, kAnnotAP, kFormDR, kAP, kAPRes:
		return true
	}
	return false
}

// owned reports whether the context belongs to one field (its owner).
func (k kind) owned() bool {
	switch k {
	case kField, kWidget, kValue, kAP, kSigDict, kAnnot:
		return true
	}
	return false
}

type ctx struct {
	k     kind
	owner uint32 // the field or annotation, for owned contexts
}

// trailerRef is the referrer number of edges from the trailer.
const trailerRef = ^uint32(0)

// edge is one reference to an object: from object num (or the trailer)
// under its top-level key, in context c.
type edge struct {
	from uint32
	key  pdf.Name // top-level key of the referrer ("" for array elements)
	c    ctx
}

type field struct {
	num     uint32
	name    string
	ft      pdf.Name
	dict    pdf.Dict
	value   pdf.Object // effective /V (inherited along /Parent)
	widgets []uint32
	orphan  bool // a widget only on a page, not in the field tree
}

type page struct {
	num  uint32
	dict pdf.Dict
	n    int
}

// graph is the object graph of one revision, with every context of every
// object.
type graph struct {
	v       *pdf.Document
	budget  int
	aborted bool

	ctxs    map[uint32][]ctx
	seen    map[visit]bool
	edges   map[uint32][]edge
	pageOf  map[uint32]int
	primary map[uint32]bool
	errs    map[uint32]error
	// dangling lists references to numbers that are free or missing.
	dangling map[uint32][]edge
	problems []string

	trailer, catalog, acroForm pdf.Dict
	pages                      []page
	nodes                      []uint32
	annots                     map[uint32]int // non-widget annotation → page
	widgetPage                 map[uint32]int // widget → page
	fields                     map[uint32]*field
	fieldList                  []*field
	widgetOf                   map[uint32]uint32
	fieldNodes                 map[uint32]pdf.Dict

	work     []item
	dssCache *dssContent
}

type visit struct {
	num   uint32
	k     kind
	owner uint32
}

type item struct {
	num  uint32
	c    ctx
	page int
}

// maxVisits bounds the objects fetched while walking one revision.
const maxVisits = 4_000_000

func buildGraph(v *pdf.Document) *graph {
	g := &graph{
		v: v, budget: maxVisits,
		ctxs: map[uint32][]ctx{}, seen: map[visit]bool{}, edges: map[uint32][]edge{},
		pageOf: map[uint32]int{}, primary: map[uint32]bool{}, errs: map[uint32]error{},
		dangling: map[uint32][]edge{}, annots: map[uint32]int{}, widgetPage: map[uint32]int{},
		fields: map[uint32]*field{}, widgetOf: map[uint32]uint32{}, fieldNodes: map[uint32]pdf.Dict{},
	}
	g.build()
	return g
}

func (g *graph) problem(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	for _, p := range g.problems {
		if p == s {
			return
		}
	}
	g.problems = append(g.problems, s)
}

// get reads object num as lenient readers do: by number, whatever the
// generation of the reference. nil when free, missing or unreadable.
func (g *graph) get(num uint32) pdf.Object {
	if g.budget <= 0 {
		g.aborted = true
		return nil
	}
	g.budget--
	ref, ok := g.v.Entry(num)
	if !ok {
		return nil
	}
	o, err := g.v.Get(ref)
	if err != nil {
		g.errs[num] = err
		return nil
	}
	if _, null := o.(pdf.Null); null {
		return nil
	}
	return o
}

// resolve follows references; nil for null, free or unreadable objects.
func (g *graph) resolve(o pdf.Object) pdf.Object {
	for hops := 0; hops < 16; hops++ {
		r, ok := o.(pdf.Ref)
		if !ok {
			if _, null := o.(pdf.Null); null {
				return nil
			}
			return o
		}
		o = g.get(r.Num)
		if o == nil {
			return nil
		}
	}
	return nil
}

func (g *graph) dict(o pdf.Object) pdf.Dict { return dictOf(g.resolve(o)) }

func dictOf(o pdf.Object) pdf.Dict {
	switch x := o.(type) {
	case pdf.Dict:
		return x
	case *pdf.Stream:
		return x.Dict
	}
	return nil
}

func (g *graph) array(o pdf.Object) pdf.Array {
	a, _ := g.resolve(o).(pdf.Array)
	return a
}

// inUse reports whether num is an object of this revision.
func (g *graph) inUse(num uint32) bool {
	_, ok := g.v.Entry(num)
	return ok
}

// note records that num is reached in context c from the given referrer,
// and queues it for propagation. It returns false if the pair was seen.
func (g *graph) note(num uint32, c ctx, e edge, pg int) bool {
	if !c.k.owned() {
		c.owner = 0
	}
	e.c = c
	g.edges[num] = append(g.edges[num], e)
	if !g.inUse(num) {
		g.dangling[num] = append(g.dangling[num], e)
	}
	if pg > 0 {
		if p, ok := g.pageOf[num]; !ok || pg < p {
			g.pageOf[num] = pg
		}
	}
	vk := visit{num, c.k, c.owner}
	if g.seen[vk] {
		return false
	}
	g.seen[vk] = true
	g.ctxs[num] = append(g.ctxs[num], c)
	return true
}

// mark gives a structural object its context (if o is a reference) and
// makes it primary; its entries are propagated later.
func (g *graph) mark(o pdf.Object, c ctx, e edge, pg int) {
	if r, ok := o.(pdf.Ref); ok {
		g.primary[r.Num] = true
		g.note(r.Num, c, e, pg)
	}
}

// child queues what o (an entry of the object from, under key) refers to
// in context c.
func (g *graph) child(o pdf.Object, from uint32, key pdf.Name, c ctx, pg int) {
	g.refsIn(o, func(r pdf.Ref) {
		if !c.k.drawn() && g.primary[r.Num] {
			return // a reference to a page, field or annotation: judged as such
		}
		if g.note(r.Num, c, edge{from: from, key: key}, pg) {
			g.work = append(g.work, item{r.Num, c, pg})
		}
	})
}

// refsIn calls fn for every reference in the direct object o.
func (g *graph) refsIn(o pdf.Object, fn func(pdf.Ref)) {
	switch x := o.(type) {
	case pdf.Ref:
		fn(x)
	case pdf.Array:
		for _, e := range x {
			g.refsIn(e, fn)
		}
	case pdf.Dict:
		for _, v := range x {
			g.refsIn(v, fn)
		}
	case *pdf.Stream:
		g.refsIn(x.Dict, fn)
	}
}

// backRef lists keys that point back up a structure; following them would
// give an object the context of its own children.
func backRef(k pdf.Name) bool { return k == "Parent" || k == "P" || k == "IRT" }

// propagate empties the work list: each queued object passes its context
// on to what it refers to.
func (g *graph) propagate() {
	for len(g.work) > 0 && !g.aborted {
		it := g.work[len(g.work)-1]
		g.work = g.work[:len(g.work)-1]
		o := g.get(it.num)
		if o == nil {
			continue
		}
		next := it.c
		if it.c.k == kSigDict {
			next = ctx{k: kSigContent}
		}
		switch x := o.(type) {
		case *pdf.Stream:
			if it.c.k == kAP {
				next = ctx{k: kAPRes}
			}
			for k, v := range x.Dict {
				if !backRef(k) {
					g.child(v, it.num, k, next, it.page)
				}
			}
		case pdf.Dict:
			for k, v := range x {
				if !backRef(k) {
					g.child(v, it.num, k, next, it.page)
				}
			}
		default:
			g.child(o, it.num, "", next, it.page)
		}
	}
}

func (g *graph) build() {
	g.trailer = g.v.Trailer()
	root := g.trailer["Root"]
	g.mark(root, ctx{k: kCatalog}, edge{from: trailerRef, key: "Root"}, 0)
	g.catalog = g.dict(root)
	if g.catalog == nil {
		g.problem("the document catalog cannot be read")
	}
	catNum := refNum(root)
	g.walkPages(g.catalog["Pages"], catNum)
	g.walkForm(g.catalog["AcroForm"], catNum)
	g.walkPageAnnots()
	// Everything else hangs off the structure found so far.
	for k, v := range g.catalog {
		c := ctx{k: kCatalogOther}
		switch k {
		case "Type", "Pages", "AcroForm":
			continue
		case "DSS":
			c.k = kDSS
		case "Metadata":
			c.k = kMetadata
		case "StructTreeRoot":
			c.k = kStruct
		case "OCProperties":
			c.k = kOC
		case "Perms":
			c.k = kPerms
		case "Extensions", "MarkInfo", "Version":
			c.k = kCatalogExt
		case "Names":
			g.mark(v, ctx{k: kNames}, edge{from: catNum, key: k}, 0)
			nd := g.dict(v)
			from, key := refNum(v), pdf.Name("")
			if from == 0 {
				from, key = catNum, k
			}
			for nk, nv := range nd {
				nc := ctx{k: kCatalogOther}
				if nk == "AP" {
					nc.k = kNamesAP
				}
				if key == "" {
					g.child(nv, from, nk, nc, 0)
				} else {
					g.child(nv, from, key, nc, 0)
				}
			}
			continue
		}
		g.child(v, catNum, k, c, 0)
	}
	for k, v := range g.trailer {
		c := ctx{k: kTrailerOther}
		switch k {
		case "Root", "Size", "Prev", "XRefStm", "ID", "Type", "W", "Index", "Filter", "DecodeParms", "Length":
			continue
		case "Info":
			c.k = kInfo
		case "Encrypt":
			c.k = kEncrypt
		}
		g.child(v, trailerRef, k, c, 0)
	}
	g.walkContents()
	g.propagate()
}

// refNum is the object number of a reference, 0 for a direct object.
func refNum(o pdf.Object) uint32 {
	if r, ok := o.(pdf.Ref); ok {
		return r.Num
	}
	return 0
}

// walkPages walks the page tree from /Kids, and from each page up its
// /Parent chain: viewers inherit attributes from every node on it, even a
// node that no /Kids lists.
func (g *graph) walkPages(root pdf.Object, catNum uint32) {
	maxDepth := g.v.Limits().MaxDepth
	onPath := map[uint32]bool{}
	done := map[uint32]bool{}
	var walk func(o pdf.Object, from uint32, key pdf.Name, depth int)
	walk = func(o pdf.Object, from uint32, key pdf.Name, depth int) {
		if g.aborted {
			return
		}
		ref, ok := o.(pdf.Ref)
		if !ok {
			g.problem("a page-tree node is not an indirect object")
			return
		}
		if onPath[ref.Num] || depth > maxDepth {
			g.problem("the page tree has a cycle or is too deep at object %d", ref.Num)
			return
		}
		node := g.dict(ref)
		if node == nil {
			g.note(ref.Num, ctx{k: kPageNode}, edge{from: from, key: key}, 0)
			g.problem("page-tree node %d cannot be read", ref.Num)
			return
		}
		typ, _ := node["Type"].(pdf.Name)
		kids, hasKids := node["Kids"]
		if typ == "Page" || (!hasKids && typ != "Pages") {
			if done[ref.Num] {
				g.problem("page %d appears twice in the page tree", ref.Num)
				g.mark(ref, ctx{k: kPage}, edge{from: from, key: key}, 0)
				return
			}
			done[ref.Num] = true
			n := len(g.pages) + 1
			g.mark(ref, ctx{k: kPage}, edge{from: from, key: key}, n)
			g.pages = append(g.pages, page{num: ref.Num, dict: node, n: n})
			return
		}
		g.mark(ref, ctx{k: kPageNode}, edge{from: from, key: key}, 0)
		if done[ref.Num] {
			return
		}
		done[ref.Num] = true
		g.nodes = append(g.nodes, ref.Num)
		onPath[ref.Num] = true
		kr := refNum(kids)
		g.mark(kids, ctx{k: kPageNode}, edge{from: ref.Num, key: "Kids"}, 0)
		for _, k := range g.array(kids) {
			if kr != 0 {
				walk(k, kr, "", depth+1)
			} else {
				walk(k, ref.Num, "Kids", depth+1)
			}
		}
		delete(onPath, ref.Num)
	}
	if root == nil {
		g.problem("the catalog has no page tree")
		return
	}
	walk(root, catNum, "Pages", 0)
	// /Parent chains: nodes outside /Kids still give pages their
	// inherited attributes.
	for _, p := range g.pages {
		cur, from := p.dict, p.num
		for depth := 0; depth < maxDepth && !g.aborted; depth++ {
			pr, ok := cur["Parent"].(pdf.Ref)
			if !ok {
				break
			}
			g.mark(pr, ctx{k: kPageNode}, edge{from: from, key: "Parent"}, 0)
			if done[pr.Num] {
				break
			}
			done[pr.Num] = true
			g.nodes = append(g.nodes, pr.Num)
			cur, from = g.dict(pr), pr.Num
			if cur == nil {
				break
			}
		}
	}
}

// walkForm walks the field tree from /Fields, with the same rules as
// pdf.Document.Fields (kids with /T are fields, kids without are
// widgets), each node once, and each terminal field's /Parent chain.
func (g *graph) walkForm(af pdf.Object, catNum uint32) {
	if af == nil {
		return
	}
	g.mark(af, ctx{k: kAcroForm}, edge{from: catNum, key: "AcroForm"}, 0)
	g.acroForm = g.dict(af)
	if g.acroForm == nil {
		return
	}
	// Edges name the top-level key of the referring object: the form's
	// own key when it is an object, the catalog's /AcroForm when it is
	// direct.
	afFrom, afKey := refNum(af), pdf.Name("Fields")
	if afFrom == 0 {
		afFrom, afKey = catNum, "AcroForm"
	}
	fr := g.acroForm["Fields"]
	g.mark(fr, ctx{k: kFieldsArray}, edge{from: afFrom, key: afKey}, 0)
	done := map[uint32]bool{}
	from, key := refNum(fr), pdf.Name("")
	if from == 0 {
		from, key = afFrom, afKey
	}
	for _, f := range g.array(fr) {
		g.walkField(f, from, key, "", "", nil, 0, done)
	}
}

func (g *graph) walkField(o pdf.Object, from uint32, key pdf.Name, parentName string, ft pdf.Name, inherited pdf.Object, depth int, done map[uint32]bool) {
	if g.aborted {
		return
	}
	ref, ok := o.(pdf.Ref)
	if !ok {
		g.problem("a form field is not an indirect object")
		return
	}
	if depth > g.v.Limits().MaxDepth {
		g.problem("the field tree is too deep at object %d", ref.Num)
		return
	}
	fd := g.dict(ref)
	if fd == nil {
		g.note(ref.Num, ctx{k: kFieldNode}, edge{from: from, key: key}, 0)
		return
	}
	if done[ref.Num] {
		// Listed twice (in /Fields and as a kid, or under two parents):
		// one field, visited once.
		if c := g.fieldCtx(ref.Num); c.k != 0 {
			g.note(ref.Num, c, edge{from: from, key: key}, 0)
		}
		return
	}
	done[ref.Num] = true
	g.primary[ref.Num] = true
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
	if v, ok := fd["V"]; ok && !isNull(v) {
		value = v
	}
	kids := g.array(fd["Kids"])
	var widgets []uint32
	var children []pdf.Object
	for _, k := range kids {
		kd := g.dict(k)
		if kd == nil {
			continue
		}
		if _, hasT := kd["T"]; hasT {
			children = append(children, k)
		} else if r, ok := k.(pdf.Ref); ok {
			widgets = append(widgets, r.Num)
		}
	}
	kr := refNum(fd["Kids"])
	kidFrom, kidKey := kr, pdf.Name("")
	if kr == 0 {
		kidFrom, kidKey = ref.Num, "Kids"
	}
	if len(children) > 0 {
		g.note(ref.Num, ctx{k: kFieldNode}, edge{from: from, key: key}, 0)
		g.mark(fd["Kids"], ctx{k: kFieldNode}, edge{from: ref.Num, key: "Kids"}, 0)
		g.fieldNodes[ref.Num] = fd
		for _, c := range children {
			g.walkField(c, kidFrom, kidKey, name, ft, value, depth+1, done)
		}
		if len(widgets) == 0 {
			return
		}
	}
	if len(widgets) == 0 && (fd["Subtype"] == pdf.Name("Widget") || len(kids) == 0) {
		widgets = []uint32{ref.Num}
	}
	g.note(ref.Num, ctx{k: kField, owner: ref.Num}, edge{from: from, key: key}, 0)
	if kr != 0 {
		g.mark(fd["Kids"], ctx{k: kKids, owner: ref.Num}, edge{from: ref.Num, key: "Kids"}, 0)
	}
	f := &field{num: ref.Num, name: name, ft: ft, dict: fd, value: value, widgets: widgets}
	g.fields[ref.Num] = f
	g.fieldList = append(g.fieldList, f)
	for _, w := range widgets {
		g.widgetOf[w] = ref.Num
		if w != ref.Num {
			g.primary[w] = true
			g.note(w, ctx{k: kWidget, owner: ref.Num}, edge{from: kidFrom, key: kidKey}, 0)
		}
	}
	g.walkFieldParents(fd, ref.Num)
}

// fieldCtx returns the structural context already given to a field
// object, or the zero ctx.
func (g *graph) fieldCtx(num uint32) ctx {
	for _, c := range g.ctxs[num] {
		switch c.k {
		case kField, kFieldNode, kWidget:
			return c
		}
	}
	return ctx{}
}

// walkFieldParents gives every node on a field's /Parent chain the
// field-node context: fields inherit /FT, /V, /DA, /Ff from them.
func (g *graph) walkFieldParents(fd pdf.Dict, from uint32) {
	cur := fd
	for depth := 0; depth < g.v.Limits().MaxDepth && !g.aborted; depth++ {
		pr, ok := cur["Parent"].(pdf.Ref)
		if !ok {
			return
		}
		if _, known := g.fieldNodes[pr.Num]; known {
			g.note(pr.Num, ctx{k: kFieldNode}, edge{from: from, key: "Parent"}, 0)
			return
		}
		g.primary[pr.Num] = true
		g.note(pr.Num, ctx{k: kFieldNode}, edge{from: from, key: "Parent"}, 0)
		cur = g.dict(pr)
		if cur == nil {
			return
		}
		g.fieldNodes[pr.Num] = cur
		from = pr.Num
	}
}

// walkPageAnnots walks each page's /Annots: widgets of known fields get
// their page; other widgets (on a page but not in the field tree) become
// fields of their own, as viewers draw them; everything else is an
// annotation.
func (g *graph) walkPageAnnots() {
	for _, p := range g.pages {
		ar := p.dict["Annots"]
		from, key := refNum(ar), pdf.Name("")
		if from == 0 {
			from, key = p.num, "Annots"
		}
		g.mark(ar, ctx{k: kAnnots}, edge{from: p.num, key: "Annots"}, p.n)
		for _, a := range g.array(ar) {
			r, ok := a.(pdf.Ref)
			if !ok {
				continue // a direct annotation: judged with the array
			}
			ad := g.dict(r)
			if _, isField := g.widgetOf[r.Num]; isField || ad["Subtype"] == pdf.Name("Widget") {
				if _, known := g.widgetOf[r.Num]; !known {
					g.orphanWidget(r.Num, ad, from, key)
				}
				if _, seen := g.widgetPage[r.Num]; !seen {
					g.widgetPage[r.Num] = p.n
				}
				owner := g.widgetOf[r.Num]
				c := ctx{k: kWidget, owner: owner}
				if owner == r.Num {
					c.k = kField
				}
				g.note(r.Num, c, edge{from: from, key: key}, p.n)
				continue
			}
			g.primary[r.Num] = true
			if _, seen := g.annots[r.Num]; !seen {
				g.annots[r.Num] = p.n
			}
			g.note(r.Num, ctx{k: kAnnot, owner: r.Num}, edge{from: from, key: key}, p.n)
		}
	}
}

// orphanWidget makes a widget that is on a page but not in the field tree
// a field of its own, with its name and type inherited along /Parent.
func (g *graph) orphanWidget(num uint32, d pdf.Dict, from uint32, key pdf.Name) {
	g.primary[num] = true
	// A widget whose /Parent chain reaches a field of the tree is drawn as
	// a widget of that field, although the field's /Kids omit it.
	cur := d
	for depth := 0; cur != nil && depth < 32; depth++ {
		pr, ok := cur["Parent"].(pdf.Ref)
		if !ok {
			break
		}
		if f := g.fields[pr.Num]; f != nil {
			f.widgets = append(f.widgets, num)
			g.widgetOf[num] = f.num
			return
		}
		cur = g.dict(pr)
	}
	var parts []string
	ft, _ := d["FT"].(pdf.Name)
	value := d["V"]
	cur = d
	for depth := 0; cur != nil && depth < 32; depth++ {
		if t := pdf.Text(cur["T"]); t != "" || cur["T"] != nil {
			parts = append([]string{t}, parts...)
		}
		if ft == "" {
			ft, _ = cur["FT"].(pdf.Name)
		}
		if isNull(value) {
			value = cur["V"]
		}
		if depth > 0 && isNull(cur["Parent"]) {
			break
		}
		cur = g.dict(cur["Parent"])
	}
	name := ""
	for i, p := range parts {
		if i > 0 {
			name += "."
		}
		name += p
	}
	if name == "" {
		name = fmt.Sprintf("widget %d", num)
	}
	f := &field{num: num, name: name, ft: ft, dict: d, value: value, widgets: []uint32{num}, orphan: true}
	g.fields[num] = f
	g.fieldList = append(g.fieldList, f)
	g.widgetOf[num] = num
	g.walkFieldParents(d, num)
}

// walkContents passes the structural objects' contexts on to what they
// refer to.
func (g *graph) walkContents() {
	for _, n := range g.nodes {
		nd := g.dict(pdf.Ref{Num: n})
		for k, v := range nd {
			switch k {
			case "Kids", "Parent", "Type", "Count":
			default:
				g.child(v, n, k, ctx{k: kContent}, 0)
			}
		}
	}
	for _, p := range g.pages {
		for k, v := range p.dict {
			switch k {
			case "Parent", "Type", "Annots":
			default:
				g.child(v, p.num, k, ctx{k: kContent}, p.n)
			}
		}
	}
	for num, pg := range g.annots {
		ad := g.dict(pdf.Ref{Num: num})
		for k, v := range ad {
			if backRef(k) {
				continue
			}
			c := ctx{k: kAnnotOther}
			if k == "AP" {
				c.k = kAnnotAP
			}
			g.child(v, num, k, c, pg)
		}
	}
	if g.acroForm != nil {
		afNum := refNum(g.catalog["AcroForm"])
		from, key := afNum, pdf.Name("")
		for k, v := range g.acroForm {
			if afNum == 0 {
				from, key = refNum(g.trailer["Root"]), "AcroForm"
			} else {
				key = k
			}
			switch k {
			case "Fields":
			case "DR":
				g.child(v, from, key, ctx{k: kFormDR}, 0)
			default:
				g.child(v, from, key, ctx{k: kFormOther}, 0)
			}
		}
	}
	for num, fd := range g.fieldNodes {
		if _, terminal := g.fields[num]; terminal {
			continue
		}
		for k, v := range fd {
			switch k {
			case "Kids", "Parent":
			default:
				g.child(v, num, k, ctx{k: kFieldOther}, 0)
			}
		}
	}
	for _, f := range g.fieldList {
		pg := g.fieldPage(f)
		for k, v := range f.dict {
			switch k {
			case "Kids", "Parent", "P":
			case "V":
				if f.ft == "Sig" {
					g.child(v, f.num, k, ctx{k: kSigDict, owner: f.num}, pg)
				} else {
					g.child(v, f.num, k, ctx{k: kValue, owner: f.num}, pg)
				}
			case "AP":
				g.child(v, f.num, k, ctx{k: kAP, owner: f.num}, pg)
			default:
				g.child(v, f.num, k, ctx{k: kFieldOther}, pg)
			}
		}
		for _, w := range f.widgets {
			if w == f.num {
				continue
			}
			wd := g.dict(pdf.Ref{Num: w})
			for k, v := range wd {
				switch k {
				case "Parent", "P":
				case "AP":
					g.child(v, w, k, ctx{k: kAP, owner: f.num}, g.widgetPage[w])
				default:
					g.child(v, w, k, ctx{k: kFieldOther}, g.widgetPage[w])
				}
			}
		}
	}
}

// fieldPage is the page of a field's first widget that is on a page.
func (g *graph) fieldPage(f *field) int {
	for _, w := range f.widgets {
		if p := g.widgetPage[w]; p > 0 {
			return p
		}
	}
	return 0
}

func isNull(o pdf.Object) bool {
	switch o.(type) {
	case nil, pdf.Null:
		return true
	}
	return false
}
