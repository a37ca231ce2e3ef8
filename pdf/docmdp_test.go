package pdf

import "testing"

func TestDocMDPPermission(t *testing.T) {
	d := &Document{s: &shared{cache: map[xrefEntry]Object{}, stms: map[int64]*objStm{}, busy: map[xrefEntry]bool{}, sections: []*section{{entries: map[uint32]xrefEntry{}}}}}
	ref := func(params Object) Dict {
		sr := Dict{"Type": Name("SigRef"), "TransformMethod": Name("DocMDP")}
		if params != nil {
			sr["TransformParams"] = params
		}
		return Dict{"Reference": Array{sr}}
	}
	cases := []struct {
		sig  Dict
		want int
	}{
		{Dict{}, 0},
		{Dict{"Reference": Array{Dict{"TransformMethod": Name("FieldMDP")}}}, 0},
		{ref(Dict{"P": Int(1)}), 1},
		{ref(Dict{"P": Int(3)}), 3},
		{ref(Dict{"P": Int(9)}), 2},
		{ref(nil), 2},
	}
	for i, c := range cases {
		if got := d.DocMDPPermission(c.sig); got != c.want {
			t.Errorf("case %d: got %d, want %d", i, got, c.want)
		}
	}
}
