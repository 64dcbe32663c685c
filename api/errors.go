package api

import (
	"sort"
	"strconv"
	"strings"
)

// FieldError is one problem with a declaration.
//
// Path names the field with the YAML names as written in the file
// ("spec.members[2].nodeid"); "" means the document as a whole. File and Line
// are filled in by Load and LoadBytes; Validate leaves them empty. Line (and
// Column, 1-based) point at the offending value, or at its key when the value
// is a mapping or list, or at the enclosing mapping when the field is missing.
// Line 0 means no position is known. Hint, when set, says what to do about it.
type FieldError struct {
	File    string
	Line    int
	Column  int
	Path    string
	Message string
	Hint    string
}

// Error renders the problem on one line:
//
//	cluster.yaml:14: spec.members[2].addresses[0].address: "10.0.0.300" is not an IP address; use the node's address on link 0
//
// Parts that are unknown (file, line, path, hint) are left out.
func (e FieldError) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		b.WriteString(e.File + ":" + strconv.Itoa(e.Line) + ": ")
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Message)
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	return b.String()
}

// Errors is every problem found in one declaration, sorted by line (then
// column, then path) when it comes from Load or LoadBytes. A non-nil *Errors
// returned as an error always holds at least one problem. Get at the list
// with errors.As:
//
//	var problems *api.Errors
//	if errors.As(err, &problems) {
//		for _, p := range *problems { ... }
//	}
type Errors []FieldError

// Error renders one problem per line, in order, without a trailing newline.
func (e *Errors) Error() string {
	lines := make([]string, len(*e))
	for i, fe := range *e {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// sortErrors orders problems by position so an operator reads the file top to
// bottom. Problems without a line (Line 0) go last. The sort is stable, so
// problems at one position keep the order in which the rules found them.
func sortErrors(errs []FieldError) {
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i], errs[j]
		if (a.Line == 0) != (b.Line == 0) {
			return b.Line == 0
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Path < b.Path
	})
}
