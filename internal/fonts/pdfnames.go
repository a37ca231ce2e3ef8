package fonts

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"
	"unicode/utf16"
)

// Name is the PDF name of the subset of base: six capitals that differ
// between subsets (viewers tell subsets of one font apart by them), "+"
// and base.
func (s *Subset) Name(base string) string {
	sum := sha256.Sum256(append([]byte(base), s.Data...))
	var tag [6]byte
	for i := range tag {
		tag[i] = 'A' + sum[i]%26
	}
	return string(tag[:]) + "+" + base
}

// ToUnicodeCMap is a ToUnicode CMap mapping character codes of width
// bytes (1 for a simple font, 2 for Identity-H) to the text they show.
func ToUnicodeCMap(width int, codes map[uint16]rune) []byte {
	var cm strings.Builder
	cm.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n")
	if width == 1 {
		cm.WriteString("1 begincodespacerange\n<00> <FF>\nendcodespacerange\n")
	} else {
		cm.WriteString("1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	}
	keys := make([]int, 0, len(codes))
	for c := range codes {
		keys = append(keys, int(c))
	}
	sort.Ints(keys)
	for len(keys) > 0 { // at most 100 mappings per block
		n := min(len(keys), 100)
		fmt.Fprintf(&cm, "%d beginbfchar\n", n)
		for _, c := range keys[:n] {
			fmt.Fprintf(&cm, "<%0*X> <", 2*width, c)
			for _, u := range utf16.Encode([]rune{codes[uint16(c)]}) {
				fmt.Fprintf(&cm, "%04X", u)
			}
			cm.WriteString(">\n")
		}
		cm.WriteString("endbfchar\n")
		keys = keys[n:]
	}
	cm.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return []byte(cm.String())
}
