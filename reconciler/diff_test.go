package reconciler

import (
	"regexp"
	"strings"
	"testing"
)

// TestUnifiedDiffHunkNumbers: every hunk header numbers both sides the way
// `diff -u` does. The case has insertions early and a change late, which is
// what a corosync.conf edit looks like (nodes first, totem last).
func TestUnifiedDiffHunkNumbers(t *testing.T) {
	var a, b strings.Builder
	for i := 1; i <= 30; i++ {
		a.WriteString("x\n")
		b.WriteString("x\n")
		if i%6 == 3 {
			b.WriteString("added\n")
		}
	}
	for i := 0; i < 10; i++ {
		a.WriteString("tail\n")
		b.WriteString("tail\n")
	}
	a.WriteString("v: 7\nend\n")
	b.WriteString("v: 8\nend\n")
	got := regexp.MustCompile(`(?m)^@@.*@@$`).FindAllString(unifiedDiff("a", "b", a.String(), b.String()), -1)
	// As printed by GNU diff -u for the same files.
	want := []string{"@@ -1,30 +1,35 @@", "@@ -38,5 +43,5 @@"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("hunks %q, want %q", got, want)
	}
	if unifiedDiff("a", "b", "same\n", "same\n") != "" {
		t.Errorf("identical inputs give a diff")
	}
}
