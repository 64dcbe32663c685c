package reconciler

import (
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// unifiedDiff renders a unified diff (3 lines of context) of a → b, as
// `diff -u` prints it. go-udiff v0.4.1 was tried first and misnumbers the new
// side of every hunk after the first (see diff_test.go), so go-difflib is used.
func unifiedDiff(fromLabel, toLabel, a, b string) string {
	if a == b {
		return ""
	}
	s, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: lines(a), B: lines(b), FromFile: fromLabel, ToFile: toLabel, Context: 3,
	})
	if err != nil {
		return ""
	}
	return s
}

// lines splits text after each newline, without difflib.SplitLines' extra
// empty last line.
func lines(s string) []string {
	out := strings.SplitAfter(s, "\n")
	if len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}
