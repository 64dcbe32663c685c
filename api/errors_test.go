package api

import (
	"errors"
	"fmt"
	"testing"
)

func TestFieldError_Error(t *testing.T) {
	cases := []struct {
		name string
		e    FieldError
		want string
	}{
		{"everything", FieldError{File: "c.yaml", Line: 14, Column: 11, Path: "spec.links", Message: "m", Hint: "h"}, "c.yaml:14: spec.links: m; h"},
		{"no hint", FieldError{File: "c.yaml", Line: 2, Path: "kind", Message: "m"}, "c.yaml:2: kind: m"},
		{"no line", FieldError{File: "c.yaml", Message: "the file is empty"}, "c.yaml: the file is empty"},
		{"no file", FieldError{Line: 3, Path: "kind", Message: "m"}, "line 3: kind: m"},
		{"path only, as from Validate", FieldError{Path: "kind", Message: "m", Hint: "h"}, "kind: m; h"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.e.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestErrors_OneProblemPerLineAndErrorsAs(t *testing.T) {
	errs := Errors{{File: "a", Line: 1, Message: "x"}, {File: "a", Line: 2, Message: "y"}}
	var err error = fmt.Errorf("loading: %w", &errs)
	var got *Errors
	if !errors.As(err, &got) || len(*got) != 2 {
		t.Fatalf("errors.As did not find the *Errors")
	}
	if s := got.Error(); s != "a:1: x\na:2: y" {
		t.Errorf("Error() = %q", s)
	}
}

func TestSortErrors(t *testing.T) {
	errs := []FieldError{
		{Line: 0, Path: "z"},
		{Line: 9, Column: 3, Path: "b"},
		{Line: 9, Column: 3, Path: "a"},
		{Line: 9, Column: 1, Path: "c"},
		{Line: 2, Path: "d"},
	}
	sortErrors(errs)
	var order string
	for _, e := range errs {
		order += e.Path
	}
	if order != "dcabz" {
		t.Errorf("order = %s, want dcabz (line, column, path; no line last)", order)
	}
}
