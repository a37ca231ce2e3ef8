package pdf

import (
	"time"
)

// ParseDate parses a PDF date string (D:YYYYMMDDHHmmSSOHH'mm').
func ParseDate(s string) (time.Time, bool) {
	if len(s) >= 2 && s[:2] == "D:" {
		s = s[2:]
	}
	if len(s) < 4 {
		return time.Time{}, false
	}
	digits := func(i, n int, def int) (int, bool) {
		if i+n > len(s) {
			return def, true
		}
		v := 0
		for k := i; k < i+n; k++ {
			if s[k] < '0' || s[k] > '9' {
				return 0, false
			}
			v = v*10 + int(s[k]-'0')
		}
		return v, true
	}
	y, ok1 := digits(0, 4, 0)
	mo, ok2 := digits(4, 2, 1)
	d, ok3 := digits(6, 2, 1)
	h, ok4 := digits(8, 2, 0)
	mi, ok5 := digits(10, 2, 0)
	se, ok6 := digits(12, 2, 0)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	loc := time.UTC
	if len(s) > 14 {
		switch s[14] {
		case '+', '-':
			oh, _ := digits(15, 2, 0)
			om := 0
			if len(s) >= 20 {
				om, _ = digits(18, 2, 0)
			}
			off := oh*3600 + om*60
			if s[14] == '-' {
				off = -off
			}
			loc = time.FixedZone("", off)
		}
	}
	return time.Date(y, time.Month(mo), d, h, mi, se, 0, loc), true
}
