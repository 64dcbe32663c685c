package api

import (
	"strings"
	"testing"
)

// ruleCase breaks one thing in validCluster and names the problem Validate
// must report. An empty path means the change is valid.
// The change must cause exactly one problem, unless the case is wrapped in
// many(n, ...), which expects n.
type ruleCase struct {
	name   string
	mutate func(c *Cluster)
	path   string // where the problem is reported; "" = no problem
	msg    string // substring of Message or Hint
}

// countedCase is a ruleCase whose change causes count problems.
type countedCase struct {
	ruleCase
	count int
}

func runRules(t *testing.T, cases []ruleCase) {
	t.Helper()
	cc := make([]countedCase, len(cases))
	for i, c := range cases {
		cc[i] = countedCase{c, 1}
	}
	runCounted(t, cc)
}

func runCounted(t *testing.T, cases []countedCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validCluster()
			tc.mutate(c)
			errs := Validate(c)
			for _, e := range errs {
				if !pathResolves(e.Path) {
					t.Errorf("problem path %q does not name a field of the YAML schema", e.Path)
				}
				if e.Message == "" {
					t.Errorf("problem at %q has no message", e.Path)
				}
			}
			if tc.path == "" {
				if len(errs) != 0 {
					t.Fatalf("want valid, got:\n%s", (*Errors)(&errs).Error())
				}
				return
			}
			if want := tc.count; len(errs) != want {
				t.Errorf("want %d problem(s), got %d:\n%s", want, len(errs), (*Errors)(&errs).Error())
			}
			for _, e := range errs {
				if e.Path == tc.path && strings.Contains(e.Message+"; "+e.Hint, tc.msg) {
					return
				}
			}
			t.Fatalf("no problem at %s mentioning %q; got:\n%s", tc.path, tc.msg, (*Errors)(&errs).Error())
		})
	}
}

func TestValidate_ValidClusterHasNoProblems(t *testing.T) {
	if errs := Validate(validCluster()); len(errs) != 0 {
		t.Fatalf("validCluster is not valid:\n%s", (*Errors)(&errs).Error())
	}
}

func TestValidate_Nil(t *testing.T) {
	if errs := Validate(nil); len(errs) != 1 {
		t.Fatalf("Validate(nil) = %v, want one problem", errs)
	}
}
