package verify_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"segel/internal/attacks"
	"segel/internal/judge"
	"segel/verify"
)

// minCounted is how many cases must count (be visible, or for class 6 have
// evidence that matters) for the suite to be a yardstick at all.
const minCounted = 40

// TestAttackSuite verifies every case of the generated attack suite
// (internal/attacks): the file as signed must verify TOTAL_PASSED, and
// every attacked file that a viewer shows changed (class 6: whose deleted
// evidence said REVOKED) must verify TOTAL_FAILED. It logs a scorecard.
func TestAttackSuite(t *testing.T) {
	for _, tool := range attacks.Viewers {
		judge.Require(t, tool)
	}
	env, err := attacks.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := attacks.Cases(env)
	if err != nil {
		t.Errorf("some cases could not be built:\n%v", err)
	}
	dir := t.TempDir()
	perClass := map[int]int{}
	counted, holes := 0, 0
	var card strings.Builder
	fmt.Fprintf(&card, "%-44s %-2s %-18s %-33s %-10s %s\n", "case", "cl", "visible in", "verdict", "modif.", "first error or change")
	for _, c := range cases {
		perClass[c.Class]++
		signed := verifyFile(t, c.Signed, env)
		if signed.Indication != verify.TotalPassed {
			t.Errorf("%s: broken case: the signed file verifies %s/%s, want TOTAL_PASSED (%s)", c.Name, signed.Indication, signed.SubIndication, firstProblem(signed))
		}
		var visible []string
		isCounted := false
		if c.Class == 6 {
			ev := verifyFile(t, c.Evidence, env)
			if ev.Indication == verify.TotalFailed && ev.SubIndication == verify.Revoked {
				isCounted, visible = true, []string{"(evidence)"}
			} else {
				t.Logf("%s: not counted: the file before the deletion verifies %s/%s, want TOTAL_FAILED/REVOKED", c.Name, ev.Indication, ev.SubIndication)
			}
		} else {
			visible, _, err = attacks.ShownBy(c, dir)
			if err != nil {
				t.Errorf("%s: viewers: %v", c.Name, err)
			}
			isCounted = len(visible) > 0
		}
		rep := verifyFile(t, c.File, env)
		mark := ""
		if isCounted {
			counted++
			if rep.Indication != verify.TotalFailed {
				holes++
				mark = "  <-- HOLE"
				t.Errorf("%s: %s/%s, want TOTAL_FAILED: %s%s", c.Name, rep.Indication, rep.SubIndication, c.Title, allChanges(rep))
			}
		} else {
			mark = "  (not counted: no viewer shows it)"
		}
		vis := strings.Join(visible, ",")
		if vis == "" {
			vis = "-"
		}
		fmt.Fprintf(&card, "%-44s %-2d %-18s %-33s %-10s %s%s\n", c.Name, c.Class, vis,
			rep.Indication+"/"+rep.SubIndication, modification(rep), firstProblem(rep), mark)
	}
	t.Logf("attack suite scorecard (%d cases, %d counted, %d holes):\n%s", len(cases), counted, holes, card.String())
	for class := 1; class <= 7; class++ {
		if perClass[class] < 4 {
			t.Errorf("class %d has %d cases, want at least 4", class, perClass[class])
		}
	}
	if counted < minCounted {
		t.Errorf("%d counted cases, want at least %d", counted, minCounted)
	}
}

func verifyFile(t *testing.T, b []byte, env attacks.Env) *verify.Report {
	t.Helper()
	rep, err := verify.File(context.Background(), "attack.pdf", bytes.NewReader(b), int64(len(b)), verify.Options{Roots: env.Roots})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// modification summarises the modification levels of the signatures.
func modification(rep *verify.Report) string {
	var ms []string
	for _, s := range rep.Signatures {
		ms = append(ms, s.Modification)
	}
	if len(ms) == 0 {
		return "-"
	}
	return strings.Join(ms, ",")
}

// firstProblem is the first error of the report, else the first disallowed
// change, else the first change, else the first warning.
func firstProblem(rep *verify.Report) string {
	if len(rep.Errors) > 0 {
		return rep.Errors[0]
	}
	for _, s := range rep.Signatures {
		if len(s.Errors) > 0 {
			return s.Field + ": " + s.Errors[0]
		}
	}
	for _, s := range rep.Signatures {
		for _, ch := range s.Changes {
			if !ch.Allowed {
				return s.Field + ": " + ch.Object + " " + ch.Kind + ": " + ch.Description
			}
		}
	}
	for _, s := range rep.Signatures {
		for _, ch := range s.Changes {
			return s.Field + ": allowed " + ch.Object + " " + ch.Kind + ": " + ch.Description
		}
	}
	for _, s := range rep.Signatures {
		if len(s.Warnings) > 0 {
			return s.Field + ": warning: " + s.Warnings[0]
		}
	}
	return ""
}

// allChanges lists every signature's modification level and changes, for
// the report of a hole.
func allChanges(rep *verify.Report) string {
	var b strings.Builder
	for _, s := range rep.Signatures {
		fmt.Fprintf(&b, "\n    %s (%s): %s/%s, modification %s", s.Field, s.Kind, s.Indication, s.SubIndication, s.Modification)
		for _, ch := range s.Changes {
			fmt.Fprintf(&b, "\n      %s %s allowed=%v: %s", ch.Object, ch.Kind, ch.Allowed, ch.Description)
		}
		for _, w := range s.Warnings {
			if !strings.HasPrefix(w, "revocation status not checked") {
				fmt.Fprintf(&b, "\n      warning: %s", w)
			}
		}
	}
	return b.String()
}
