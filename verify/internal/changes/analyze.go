package changes

import (
	"fmt"
	"sort"

	"segel/pdf"
)

// Analyzer judges the changes after the signatures of one document. It
// builds each revision's object graph once, however many signatures are
// judged.
type Analyzer struct {
	doc    *pdf.Document
	revs   []pdf.Revision
	graphs map[int]*graph
	inUse  map[int][]uint32
}

// New returns an Analyzer of doc.
func New(doc *pdf.Document) *Analyzer {
	a := &Analyzer{doc: doc, graphs: map[int]*graph{}, inUse: map[int][]uint32{}}
	if doc != nil {
		a.revs = doc.Revisions()
	}
	return a
}

func (a *Analyzer) graph(i int) (*graph, error) {
	if g := a.graphs[i]; g != nil {
		return g, nil
	}
	v, err := a.doc.Revision(i)
	if err != nil {
		return nil, err
	}
	g := buildGraph(v)
	a.graphs[i] = g
	return g, nil
}

// Dangling returns the object numbers that the final revision refers to
// although they are free or missing, from a context that decides what is
// shown (references from the /DSS, metadata, the structure tree or unused
// trailer entries are left out).
func (a *Analyzer) Dangling() []uint32 {
	g, err := a.graph(len(a.revs) - 1)
	if err != nil {
		return nil
	}
	out := make([]uint32, 0, len(g.dangling))
	for n, edges := range g.dangling {
		for _, e := range edges {
			if !passive(e.c.k) {
				out = append(out, n)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// After judges every change made after revision signed (the revision whose
// end the signature's byte range reaches) under policy p. Each later
// revision is compared with the one before it.
func (a *Analyzer) After(signed int, p Policy) (Result, error) {
	if a.doc == nil {
		return Result{}, fmt.Errorf("changes: no document")
	}
	if signed < 0 || signed >= len(a.revs) {
		return Result{}, fmt.Errorf("changes: no revision %d (the file has %d)", signed, len(a.revs))
	}
	if p.DocMDP < 0 || p.DocMDP > 3 {
		return Result{}, fmt.Errorf("changes: invalid DocMDP level %d", p.DocMDP)
	}
	s := effectiveSigned(a.revs, signed)
	last := len(a.revs) - 1
	var res Result
	seenWarn := map[string]bool{}
	if start := a.revs[signed].StartXRef; start >= 0 {
		if d := start - a.revs[s].XRefOffset; d < -64 || d > 64 {
			res.Changes = append(res.Changes, Change{Revision: s, Object: "trailer", Kind: KindOther,
				Description: fmt.Sprintf("the signed bytes end with startxref %d, but the signed revision as the file now chains it starts with the cross-reference section at %d, which was not part of the signed file", start, a.revs[s].XRefOffset)})
		}
	}
	for r := s + 1; r <= last; r++ {
		st, err := a.newStep(r, p)
		if err != nil {
			return Result{}, err
		}
		st.run()
		res.Changes = append(res.Changes, st.changes...)
		for _, w := range st.warnings {
			if !seenWarn[w] {
				seenWarn[w] = true
				res.Warnings = append(res.Warnings, w)
			}
		}
	}
	res.Level = LevelNone
	for _, c := range res.Changes {
		if !c.Allowed {
			res.Level = LevelDisallowed
			break
		}
		res.Level = LevelAllowed
	}
	return res, nil
}

// step compares revision rev with the one before it.
type step struct {
	a          *Analyzer
	p          Policy
	rev        int
	oldV, newV *pdf.Document
	old, new   *graph
	fields     map[uint32]*fieldState
	changes    []Change
	seenChange map[string]bool
	warnings   []string
	seenWarn   map[string]bool
	// verdict holds, for each changed existing object, whether its change
	// is allowed.
	verdict map[uint32]bool
}

func (a *Analyzer) newStep(rev int, p Policy) (*step, error) {
	og, err := a.graph(rev - 1)
	if err != nil {
		return nil, err
	}
	ng, err := a.graph(rev)
	if err != nil {
		return nil, err
	}
	return &step{a: a, p: p, rev: rev, oldV: og.v, newV: ng.v, old: og, new: ng,
		fields: map[uint32]*fieldState{}, seenChange: map[string]bool{}, seenWarn: map[string]bool{},
		verdict: map[uint32]bool{}}, nil
}

func (s *step) add(c Change) {
	c.Revision = s.rev
	if c.Object == "" {
		c.Object = "document"
	}
	k := c.Object + "\x00" + c.Kind + "\x00" + c.Description
	if s.seenChange[k] {
		return
	}
	s.seenChange[k] = true
	s.changes = append(s.changes, c)
}

func (s *step) warn(w string) {
	if !s.seenWarn[w] {
		s.seenWarn[w] = true
		s.warnings = append(s.warnings, w)
	}
}

func (s *step) objName(num uint32) string {
	if r, ok := s.newV.Entry(num); ok {
		return r.String()
	}
	if r, ok := s.oldV.Entry(num); ok {
		return r.String()
	}
	return refName(num, 0)
}

func (s *step) pageOf(num uint32) int {
	p := s.new.pageOf[num]
	if q := s.old.pageOf[num]; q > 0 && (p == 0 || q < p) {
		p = q
	}
	return p
}

func (s *step) run() {
	for _, g := range []*graph{s.old, s.new} {
		if g.aborted {
			s.add(Change{Kind: KindOther, Description: "the document is too large to analyse completely, so changes cannot be ruled out"})
		}
	}
	for _, p := range s.new.problems {
		if !contains(s.old.problems, p) {
			s.add(Change{Kind: KindOther, Description: "in this revision, " + p})
		}
	}
	s.checkTrailer()
	s.checkFields()
	s.checkDSS()

	changed, freed, created := s.candidates()
	var orphans []uint32
	for _, num := range changed {
		if !s.judgeChanged(num) {
			orphans = append(orphans, num)
		}
	}
	for _, num := range freed {
		if !s.judgeFreed(num) {
			orphans = append(orphans, num)
		}
	}
	orphans = append(orphans, s.judgeNew(created)...)
	s.judgeOrphans(orphans)
	if s.p.DocMDP == 1 {
		// Safety net: fills and annotations are never permitted by P=1.
		for i, c := range s.changes {
			if c.Allowed && (c.Kind == KindFormFill || c.Kind == KindAnnotation) {
				s.changes[i].Allowed = false
				s.changes[i].Description += " (the certification permits no changes)"
			}
		}
	}
}

func contains(list []string, x string) bool {
	for _, y := range list {
		if y == x {
			return true
		}
	}
	return false
}

// candidates sorts the objects this revision touched: existing objects
// whose value changed (including objects of a rewritten object stream),
// objects freed, and new objects.
func (s *step) candidates() (changed, freed, created []uint32) {
	r := s.a.revs[s.rev]
	touched := map[uint32]bool{}
	for _, list := range [][]pdf.Ref{r.Objects, r.Freed} {
		for _, ref := range list {
			touched[ref.Num] = true
		}
	}
	// Objects of the old revision stored in an object stream that this
	// revision rewrote or freed change without an entry of their own.
	stms := map[uint32]bool{}
	for num := range touched {
		if st, ok := s.old.get(num).(*pdf.Stream); ok && st.Dict["Type"] == pdf.Name("ObjStm") {
			stms[num] = true
		}
	}
	if len(stms) > 0 {
		for _, num := range s.a.objects(s.rev - 1) {
			if loc := s.oldV.Locate(num); loc.Ok && loc.Offset < 0 && stms[loc.InStream] {
				touched[num] = true
			}
		}
	}
	nums := make([]uint32, 0, len(touched))
	for n := range touched {
		nums = append(nums, n)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	for _, num := range nums {
		oe, oldIn := s.oldV.Entry(num)
		ne, newIn := s.newV.Entry(num)
		switch {
		case oldIn && newIn:
			if oe.Gen != ne.Gen {
				changed = append(changed, num)
				continue
			}
			oo, err1 := s.oldV.Get(oe)
			no, err2 := s.newV.Get(ne)
			if err1 != nil || err2 != nil {
				changed = append(changed, num)
				continue
			}
			if same, err := s.sameValue(oo, no); err != nil || !same {
				changed = append(changed, num)
			}
		case oldIn:
			freed = append(freed, num)
		case newIn:
			created = append(created, num)
		}
	}
	return changed, freed, created
}

// objects lists the numbers of the objects in use in revision i.
func (a *Analyzer) objects(i int) []uint32 {
	if l, ok := a.inUse[i]; ok {
		return l
	}
	state := map[uint32]bool{}
	for _, r := range a.revs[:i+1] {
		for _, ref := range r.Objects {
			state[ref.Num] = true
		}
		for _, ref := range r.Freed {
			state[ref.Num] = false
		}
	}
	var out []uint32
	for n, in := range state {
		if in {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	a.inUse[i] = out
	return out
}

// contexts returns the contexts of num in both revisions.
func (s *step) contexts(num uint32) []ctx {
	var out []ctx
	seen := map[ctx]bool{}
	for _, g := range []*graph{s.old, s.new} {
		for _, c := range g.ctxs[num] {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].k != out[j].k {
			return out[i].k < out[j].k
		}
		return out[i].owner < out[j].owner
	})
	return out
}

// structural reports whether o is a cross-reference or object stream,
// which no path reaches but which are judged through the objects they
// hold.
func structural(o pdf.Object) bool {
	st, ok := o.(*pdf.Stream)
	if !ok {
		return false
	}
	t := st.Dict["Type"]
	return t == pdf.Name("XRef") || t == pdf.Name("ObjStm")
}

// judgeChanged judges an existing object whose value changed under every
// context it has. It returns false when no path reaches the object.
func (s *step) judgeChanged(num uint32) bool {
	oe, _ := s.oldV.Entry(num)
	ne, _ := s.newV.Entry(num)
	oo, err1 := s.oldV.Get(oe)
	no, err2 := s.newV.Get(ne)
	obj := s.objName(num)
	cs := s.contexts(num)
	if err1 != nil || err2 != nil {
		err := err1
		if err == nil {
			err = err2
		}
		s.verdict[num] = false
		s.add(Change{Object: obj, Page: s.pageOf(num), Kind: KindOther, Description: fmt.Sprintf("object %d cannot be read: %v", num, err)})
		return true
	}
	if len(cs) == 0 {
		if structural(oo) && structural(no) {
			s.verdict[num] = true
			return true
		}
		return false
	}
	if oe.Gen != ne.Gen {
		s.verdict[num] = false
		s.add(Change{Object: obj, Page: s.pageOf(num), Kind: KindFreed, Description: fmt.Sprintf("object %d was replaced by a new object with generation %d (references to the old generation now resolve differently in different readers)", num, ne.Gen)})
		return true
	}
	var allowed, denied []Change
	for i, c := range cs {
		for _, ch := range s.judge(num, c, oo, no) {
			if ch.Object == "" {
				ch.Object = obj
			}
			if ch.Allowed {
				if i == 0 {
					allowed = append(allowed, ch)
				}
			} else {
				denied = append(denied, ch)
			}
		}
	}
	s.verdict[num] = len(denied) == 0
	if len(denied) > 0 {
		for _, ch := range denied {
			s.add(ch)
		}
		return true
	}
	for _, ch := range allowed {
		s.add(ch)
	}
	return true
}

// judgeFreed judges an object in use before this revision and free now:
// like a change to nothing, under every context it had; and nothing may
// still refer to it. It returns false when no path reached the object.
func (s *step) judgeFreed(num uint32) bool {
	oe, _ := s.oldV.Entry(num)
	oo, err := s.oldV.Get(oe)
	obj := s.objName(num)
	cs := s.old.ctxs[num]
	if err != nil || len(cs) == 0 {
		if err == nil && structural(oo) {
			return true
		}
		return err != nil
	}
	if refs := s.new.dangling[num]; len(refs) > 0 {
		s.add(Change{Object: obj, Page: s.pageOf(num), Kind: KindFreed, Description: fmt.Sprintf("object %d was freed, but the document still refers to it", num)})
		return true
	}
	ok := true
	var kept []Change
	for _, c := range cs {
		for _, ch := range s.judge(num, c, oo, nil) {
			if !ch.Allowed {
				ok = false
				ch.Kind = KindFreed
				ch.Description = fmt.Sprintf("object %d, in use when signed, was freed (%s)", num, ch.Description)
				kept = append(kept, ch)
			}
		}
	}
	if ok {
		kept = []Change{{Object: obj, Kind: KindFreed, Allowed: true, Description: fmt.Sprintf("object %d, no longer used after an allowed change, was freed", num)}}
	}
	for _, ch := range kept {
		if ch.Object == "" {
			ch.Object = obj
		}
		s.add(ch)
	}
	return true
}

// passive lists the contexts that never decide what a viewer shows.
func passive(k kind) bool {
	switch k {
	case kDSS, kMetadata, kInfo, kCatalogExt, kTrailerOther, kStruct:
		return true
	}
	return false
}

// additive lists contexts that may gain objects through a reference that
// did not change (a reference that pointed to nothing now resolves).
func (s *step) additive(k kind) bool {
	switch k {
	case kDSS, kMetadata, kInfo, kCatalogExt, kTrailerOther:
		return true
	case kStruct:
		return s.p.DocMDP != 1
	}
	return false
}

// keyChanged reports whether the value under key of object num differs
// between the revisions ("" compares the whole object).
func (s *step) keyChanged(num uint32, key pdf.Name) bool {
	oe, ok1 := s.oldV.Entry(num)
	ne, ok2 := s.newV.Entry(num)
	if !ok1 || !ok2 {
		return true
	}
	oo, err1 := s.oldV.Get(oe)
	no, err2 := s.newV.Get(ne)
	if err1 != nil || err2 != nil {
		return true
	}
	if key == "" {
		return !pdf.Equal(oo, no)
	}
	return !pdf.Equal(dictOf(oo)[key], dictOf(no)[key])
}

// judgeNew judges the objects new in this revision: each reference to a
// new object must come from an allowed change of the referring key, from
// another permitted new object, or from a context that may only grow.
// A reference that did not change and now finds an object (it pointed to a
// free number when signed) is a hidden reference. It returns the new
// objects that no path reaches.
func (s *step) judgeNew(created []uint32) []uint32 {
	isNew := map[uint32]bool{}
	for _, n := range created {
		isNew[n] = true
	}
	ok := map[uint32]bool{}
	for _, n := range created {
		ok[n] = true
	}
	blame := map[uint32]string{}
	blameKind := map[uint32]kind{}
	for changed := true; changed; {
		changed = false
		for _, num := range created {
			if !ok[num] {
				continue
			}
			for _, e := range s.new.edges[num] {
				fine, why := s.edgeFine(e, isNew, ok)
				if !fine {
					ok[num] = false
					blame[num] = why
					blameKind[num] = e.c.k
					changed = true
					break
				}
			}
		}
	}
	var orphans []uint32
	for _, num := range created {
		if len(s.new.edges[num]) == 0 {
			orphans = append(orphans, num)
			continue
		}
		if why := blame[num]; why != "" {
			s.add(Change{Object: s.objName(num), Page: s.pageOf(num), Kind: hiddenKind(blameKind[num]), Description: why})
		}
	}
	return orphans
}

// hiddenKind classifies a hidden reference by the context it was found in.
func hiddenKind(k kind) string {
	switch k {
	case kContent:
		return KindPageContent
	case kPage, kPageNode:
		return KindPageTree
	case kAnnot, kAnnotAP, kAnnotOther, kAnnots:
		return KindAnnotation
	case kField, kWidget, kValue, kAP, kAPRes, kFieldOther, kKids, kFieldNode:
		return KindFormFill
	case kAcroForm, kFieldsArray, kFormDR, kFormOther:
		return KindAcroForm
	case kSigDict, kSigContent:
		return KindSigDict
	case kCatalog, kCatalogOther, kNames, kNamesAP, kPerms:
		return KindCatalog
	}
	return KindHiddenRef
}

// edgeFine decides whether one reference may lead to a new object; when
// not, the reason is "" if the referrer's own change is already reported
// as not permitted.
func (s *step) edgeFine(e edge, isNew, ok map[uint32]bool) (bool, string) {
	switch {
	case e.from == trailerRef:
		if e.key == "Info" || s.additive(e.c.k) {
			return true, ""
		}
		return false, ""
	case isNew[e.from]:
		return ok[e.from], ""
	case s.additive(e.c.k):
		return true, ""
	case !s.old.inUse(e.from):
		return false, ""
	}
	if !s.keyChanged(e.from, e.key) {
		key := "/" + string(e.key)
		if e.key == "" {
			key = "an element"
		}
		return false, fmt.Sprintf("object %d's %s refers to a number that was free before this revision and now holds a new object (a hidden reference activated)", e.from, key)
	}
	if allowed, judged := s.verdict[e.from]; judged && !allowed {
		return false, ""
	}
	if _, judged := s.verdict[e.from]; !judged {
		// The referrer's key changed but its change was not judged as a
		// whole (it has no context): strict.
		return false, fmt.Sprintf("object %d refers to new object through a change that was not judged", e.from)
	}
	return true, ""
}

// judgeOrphans: objects no path reaches in either revision may change
// unjudged only if no object anywhere names their number.
func (s *step) judgeOrphans(nums []uint32) {
	if len(nums) == 0 {
		return
	}
	want := map[uint32]bool{}
	var unjudged []uint32
	for _, n := range nums {
		if o := s.new.get(n); o != nil && structural(o) {
			continue
		}
		want[n] = true
		unjudged = append(unjudged, n)
	}
	if len(unjudged) == 0 {
		return
	}
	named := s.namers(want)
	free := 0
	for _, n := range unjudged {
		if by, ok := named[n]; ok {
			s.add(Change{Object: s.objName(n), Kind: KindOther, Description: fmt.Sprintf("object %d changed; no path from the catalog reaches it, but object %d refers to it, so a viewer may use it", n, by)})
			continue
		}
		free++
	}
	if free > 0 {
		s.add(Change{Kind: kindUnusedObject, Allowed: true, Description: fmt.Sprintf("%d object(s) that nothing in the document uses or names were added or changed", free)})
	}
}

// namers finds, for each wanted number, an object of either revision that
// refers to it.
func (s *step) namers(want map[uint32]bool) map[uint32]uint32 {
	out := map[uint32]uint32{}
	for _, gv := range []struct {
		g   *graph
		rev int
	}{{s.old, s.rev - 1}, {s.new, s.rev}} {
		for _, num := range s.a.objects(gv.rev) {
			o := gv.g.get(num)
			if o == nil {
				continue
			}
			gv.g.refsIn(o, func(r pdf.Ref) {
				if want[r.Num] && r.Num != num {
					if _, done := out[r.Num]; !done {
						out[r.Num] = num
					}
				}
			})
		}
		if len(out) == len(want) {
			break
		}
	}
	return out
}

// checkTrailer compares the trailers: /Info may change, /Root and
// /Encrypt may not, nor any other entry a reader uses.
func (s *step) checkTrailer() {
	ot, nt := s.oldV.Trailer(), s.newV.Trailer()
	keys := map[pdf.Name]bool{}
	for k := range ot {
		keys[k] = true
	}
	for k := range nt {
		keys[k] = true
	}
	var names []string
	for k := range keys {
		names = append(names, string(k))
	}
	sort.Strings(names)
	for _, name := range names {
		k := pdf.Name(name)
		if pdf.Equal(ot[k], nt[k]) {
			continue
		}
		switch k {
		case "Size", "Prev", "XRefStm", "ID", "Type", "W", "Index", "Filter", "DecodeParms", "Length":
		case "Info":
			s.add(Change{Object: "trailer", Kind: KindMetadata, Allowed: true, Description: "the document information dictionary (/Info) was replaced"})
		case "Root":
			s.add(Change{Object: "trailer", Kind: KindCatalog, Description: "the trailer's /Root now names a different document catalog"})
		case "Encrypt":
			s.add(Change{Object: "trailer", Kind: KindOther, Description: "the trailer's /Encrypt dictionary changed"})
		default:
			// Readers use no other trailer entry (/DocChecksum and the
			// like): what they refer to is judged as an unused object.
			s.add(Change{Object: "trailer", Kind: KindOther, Allowed: true, Description: "the trailer's /" + name + ", which readers do not use, changed"})
		}
	}
}

// sameValue compares two values of the two revisions: streams by
// dictionary (/Length aside) and bytes, everything else with pdf.Equal
// (references by identity).
func (s *step) sameValue(o, n pdf.Object) (bool, error) { return s.newV.Same(o, n) }

// effectiveSigned returns the index of the newest revision that was part
// of the signed file: normally signed itself, but when the startxref that
// ends the signed bytes names a section saved physically earlier (the
// first-page section of a linearized file), that section's revision.
func effectiveSigned(revs []pdf.Revision, signed int) int {
	eof, start := revs[signed].EOF, revs[signed].StartXRef
	if eof <= 0 || start < 0 || start == revs[signed].XRefOffset {
		return signed
	}
	for k := signed + 1; k < len(revs); k++ {
		r := revs[k]
		if r.XRefOffset >= eof || r.EOF > eof {
			break
		}
		if r.XRefOffset == start {
			return k
		}
	}
	return signed
}
