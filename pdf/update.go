package pdf

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"sort"
	"strconv"
)

// Update collects the objects of one incremental update.
type Update struct {
	d     *Document
	objs  map[uint32]pendingObject
	order []uint32
	next  uint32
}

type pendingObject struct {
	ref Ref
	obj Object
	raw []byte
}

// NewUpdate starts an incremental update of the newest revision of d.
func (d *Document) NewUpdate() *Update {
	return &Update{d: d, objs: map[uint32]pendingObject{}, next: d.MaxObjectNumber() + 1}
}

// Alloc reserves a new object number.
func (u *Update) Alloc() Ref {
	r := Ref{Num: u.next}
	u.next++
	return r
}

// Add stores o as a new object and returns its reference.
func (u *Update) Add(o Object) Ref {
	r := u.Alloc()
	u.Set(r, o)
	return r
}

// Set stores o under ref, replacing the object the file had there.
func (u *Update) Set(ref Ref, o Object) {
	if _, ok := u.objs[ref.Num]; !ok {
		u.order = append(u.order, ref.Num)
	}
	u.objs[ref.Num] = pendingObject{ref: ref, obj: o}
}

// SetRaw stores body, already in PDF syntax, as the object ref (the bytes
// between "N G obj" and "endobj").
func (u *Update) SetRaw(ref Ref, body []byte) {
	if _, ok := u.objs[ref.Num]; !ok {
		u.order = append(u.order, ref.Num)
	}
	u.objs[ref.Num] = pendingObject{ref: ref, raw: body}
}

// Written is an update in serialised form.
type Written struct {
	// Bytes are to be appended to the file.
	Bytes []byte
	// Offsets gives, for each object written, the offset of its body (just
	// after "N G obj\n") within Bytes.
	Offsets map[Ref]int
}

// Write serialises the update, to be appended right after the current end
// of the file.
func (u *Update) Write() (*Written, error) {
	d := u.d
	base := d.s.size
	var b bytes.Buffer
	// Start on a fresh line.
	var last [1]byte
	if base > 0 {
		if _, err := d.s.r.ReadAt(last[:], base-1); err != nil {
			return nil, fmt.Errorf("pdf: read end of file: %w", err)
		}
		if last[0] != '\n' && last[0] != '\r' {
			b.WriteByte('\n')
		}
	}
	w := &Written{Offsets: map[Ref]int{}}
	offsets := map[uint32]int64{}
	nums := append([]uint32(nil), u.order...)
	for _, num := range nums {
		p := u.objs[num]
		offsets[num] = base + int64(b.Len())
		fmt.Fprintf(&b, "%d %d obj\n", p.ref.Num, p.ref.Gen)
		w.Offsets[p.ref] = b.Len()
		if p.raw != nil {
			b.Write(p.raw)
		} else {
			b.Write(serialise(p.obj))
		}
		b.WriteString("\nendobj\n")
	}
	prev := d.StartXRef()
	old := d.Trailer()
	size := u.next
	if sz, ok := old["Size"].(Int); ok && int64(sz) > int64(size) && int64(sz) <= int64(d.s.lim.MaxObjects) {
		size = uint32(sz)
	}
	trailer := Dict{"Size": Int(size), "Prev": Int(prev)}
	for _, k := range []Name{"Root", "Info"} {
		if v, ok := old[k]; ok {
			trailer[k] = v
		}
	}
	trailer["ID"] = newID(old["ID"], b.Bytes())
	xrefStart := base + int64(b.Len())
	if d.XRefStream() {
		xr := u.Alloc()
		if xr.Num+1 > size {
			size = xr.Num + 1
		}
		trailer["Size"] = Int(size)
		offsets[xr.Num] = xrefStart
		nums = append(nums, xr.Num)
		sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
		var data []byte
		var index Array
		gen := func(n uint32) uint16 {
			if n == xr.Num {
				return 0
			}
			return u.objs[n].ref.Gen
		}
		for i := 0; i < len(nums); {
			j := i
			for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
				j++
			}
			index = append(index, Int(nums[i]), Int(j-i+1))
			for k := i; k <= j; k++ {
				off := offsets[nums[k]]
				g := gen(nums[k])
				data = append(data, 1, byte(off>>32), byte(off>>24), byte(off>>16), byte(off>>8), byte(off), byte(g>>8), byte(g))
			}
			i = j + 1
		}
		trailer["Type"] = Name("XRef")
		trailer["W"] = Array{Int(1), Int(5), Int(2)}
		trailer["Index"] = index
		fmt.Fprintf(&b, "%d 0 obj\n", xr.Num)
		b.Write(serialise(NewStream(trailer, data)))
		b.WriteString("\nendobj\n")
	} else {
		sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
		b.WriteString("xref\n")
		for i := 0; i < len(nums); {
			j := i
			for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
				j++
			}
			fmt.Fprintf(&b, "%d %d\n", nums[i], j-i+1)
			for k := i; k <= j; k++ {
				fmt.Fprintf(&b, "%010d %05d n\r\n", offsets[nums[k]], u.objs[nums[k]].ref.Gen)
			}
			i = j + 1
		}
		b.WriteString("trailer\n")
		b.Write(serialise(trailer))
		b.WriteString("\n")
	}
	b.WriteString("startxref\n")
	b.WriteString(strconv.FormatInt(xrefStart, 10))
	b.WriteString("\n%%EOF\n")
	w.Bytes = b.Bytes()
	return w, nil
}

// serialise writes an object body; streams get their /Length.
func serialise(o Object) []byte {
	if s, ok := o.(*Stream); ok {
		d := Dict{}
		for k, v := range s.Dict {
			d[k] = v
		}
		d["Length"] = Int(len(s.data))
		b := appendObject(nil, d)
		b = append(b, "\nstream\n"...)
		b = append(b, s.data...)
		return append(b, "\nendstream"...)
	}
	return appendObject(nil, o)
}

// newID keeps the first element of the file identifier and derives a new
// second one from the update's bytes.
func newID(old Object, update []byte) Array {
	sum := md5.Sum(update)
	second := String{Value: sum[:], Hex: true, Pos: -1, End: -1}
	if a, ok := old.(Array); ok && len(a) == 2 {
		if first, ok := a[0].(String); ok {
			first.Hex, first.Pos, first.End = true, -1, -1
			return Array{first, second}
		}
	}
	return Array{second, second}
}
