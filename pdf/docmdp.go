package pdf

// DocMDPPermission returns the DocMDP permission level of the signature
// dictionary sig: the /P of its /Reference entry with /TransformMethod
// /DocMDP (1 no changes, 2 form filling and signing, 3 also annotations;
// 2 when /P is absent or out of range, as ISO 32000 says), or 0 when sig
// is not a certification signature.
func (d *Document) DocMDPPermission(sig Dict) int {
	refs, _ := d.GetArray(sig["Reference"])
	for _, r := range refs {
		rd, _ := d.GetDict(r)
		if rd == nil {
			continue
		}
		if tm, _ := rd["TransformMethod"].(Name); tm != "DocMDP" {
			continue
		}
		params, _ := d.GetDict(rd["TransformParams"])
		if p, ok := params["P"].(Int); ok && p >= 1 && p <= 3 {
			return int(p)
		}
		return 2
	}
	return 0
}
