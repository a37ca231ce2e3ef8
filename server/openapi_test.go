package server

import (
	"strings"
	"testing"

	"segel/internal/judge"
)

// TestOpenAPILint: /openapi.json passes redocly lint with its recommended
// rules (npm @redocly/cli; .ci/run installs it): no errors.
func TestOpenAPILint(t *testing.T) {
	judge.Require(t, "redocly")
	out, err := judge.Command(t, "redocly", "lint", "--format=summary", "openapi.json")
	if err != nil || !strings.Contains(out, "valid") || strings.Contains(out, "error ") {
		t.Fatalf("redocly lint: %v\n%s", err, out)
	}
}
