package api

import (
	"encoding"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The schema walk checks the YAML tree against the Go types before anything is
// decoded. yaml.v3's own strict decode (which Load also runs) reports unknown
// fields, duplicate keys and type mismatches too, but with Go type names
// ("field adress not found in type api.Member"), a line and no path, and it
// aborts on the first Duration it cannot parse. Walking the tree ourselves
// gives every problem its YAML path and position, and lets us record which
// fields were written at all, which defaulting needs: "votes: 0" is an error,
// while leaving votes out means 1.

// maxNodes bounds the walk. Aliases are followed, so a small file can expand
// into a huge tree ("billion laughs"); no real declaration comes near this.
const maxNodes = 100000

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// document is one parsed declaration plus what the walk learned about it.
type document struct {
	file string
	root *yaml.Node // the top-level mapping
	// pos maps a path to the node a problem at that path points at: the value
	// for scalars and list items, the key for fields holding a mapping or list.
	pos map[string]*yaml.Node
	// present holds the paths of fields written with a non-null value.
	present map[string]bool
}

// walker carries the state of one schema walk.
type walker struct {
	doc     *document
	errs    []FieldError
	visited int
}

// maxProblems caps what one walk reports: past it, the file is more likely
// something else than a declaration with many mistakes.
const maxProblems = 50

func (w *walker) problem(n *yaml.Node, path, msg, hint string) {
	switch {
	case len(w.errs) > maxProblems:
		return
	case len(w.errs) == maxProblems:
		w.errs = append(w.errs, FieldError{File: w.doc.file, Message: fmt.Sprintf("more than %d problems; stopped looking", maxProblems), Hint: "is this a quorate cluster declaration?"})
		return
	}
	w.errs = append(w.errs, FieldError{File: w.doc.file, Line: n.Line, Column: n.Column, Path: path, Message: msg, Hint: hint})
}

// walk checks value node n against type t at path. key is the mapping key
// that introduced n (nil for list items and the root).
func (w *walker) walk(n *yaml.Node, t reflect.Type, path string, key *yaml.Node) {
	w.visited++
	if w.visited > maxNodes {
		if w.visited == maxNodes+1 {
			w.problem(n, path, fmt.Sprintf("the document expands to more than %d values (too many aliases?)", maxNodes), "write the declaration out without nested aliases")
		}
		return
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	at := n
	if key != nil && (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) {
		at = key
	}
	w.doc.pos[path] = at
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "field:" with no value is the same as leaving it out
	}
	w.doc.present[path] = true

	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case reflect.PointerTo(t).Implements(textUnmarshalerType), t.Kind() != reflect.Struct && t.Kind() != reflect.Slice:
		w.scalar(n, at, t, path)
	case t.Kind() == reflect.Struct:
		w.mapping(n, at, t, path)
	default:
		w.sequence(n, at, t, path)
	}
}

func (w *walker) scalar(n, at *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode {
		w.problem(at, path, fmt.Sprintf("expected %s, found %s", typeWord(t), kindWord(n)), "")
		return
	}
	// Decode with yaml.v3's own rules so that what passes here also passes the
	// real decode (0x10 and 1_000 are integers, "no" is a string, ...).
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		msg := fmt.Sprintf("%q is not %s", n.Value, typeWord(t))
		hint := ""
		switch {
		case t == reflect.TypeFor[Duration]():
			hint = "write a duration such as 10s, 90s or 2m"
		case t.Kind() == reflect.Int:
			hint = "write a plain number without quotes"
		case t.Kind() == reflect.Bool:
			hint = "write true or false"
		}
		w.problem(n, path, msg, hint)
	}
}

func (w *walker) sequence(n, at *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.SequenceNode {
		w.problem(at, path, fmt.Sprintf("expected a list, found %s", kindWord(n)), "write one item per line, each starting with \"- \"")
		return
	}
	for i, item := range n.Content {
		w.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), nil)
	}
}

func (w *walker) mapping(n, at *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.MappingNode {
		w.problem(at, path, fmt.Sprintf("expected a mapping (name: value lines), found %s", kindWord(n)), "")
		return
	}
	fields := yamlFields(t)
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := k.Value
		child := joinPath(path, name)
		switch {
		case k.Kind != yaml.ScalarNode:
			w.problem(k, path, "a key must be a plain name", "")
			continue
		case k.Tag == "!!merge":
			w.problem(k, path, "merge keys (<<) are not supported", "write the fields out in full")
			continue
		case seen[name] != nil:
			w.problem(k, child, fmt.Sprintf("%q is set twice (first at line %d)", name, seen[name].Line), "remove one of them")
			continue
		}
		seen[name] = k
		ft, ok := fields[name]
		if !ok {
			w.problem(k, child, fmt.Sprintf("unknown field %q", name), unknownFieldHint(name, path, fields))
			continue
		}
		w.walk(v, ft, child, k)
	}
}

// yamlFields maps the YAML names of t's fields to their types, as yaml.v3 sees
// them (tag name before the comma; fields tagged "-" are not part of the file).
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name) // yaml.v3's default
		}
		out[name] = f.Type
	}
	return out
}

func unknownFieldHint(name, path string, fields map[string]reflect.Type) string {
	if strings.EqualFold(name, "secret") && path == "spec.access.api.token" {
		return "secrets are never written in this file; put the token secret in a file (secretFile) or an environment variable (secretEnv)"
	}
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	best, bestDist := "", 3 // suggest only close matches (typos, wrong case)
	for _, f := range names {
		d := editDistance(strings.ToLower(name), strings.ToLower(f))
		if strings.EqualFold(name, f) {
			d = 0
		}
		if d < bestDist {
			best, bestDist = f, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q? (field names are case-sensitive)", best)
	}
	return "fields allowed here: " + strings.Join(names, ", ")
}

// editDistance is the Levenshtein distance between a and b (bytes; field
// names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// parentPath strips the last ".name" or "[i]" from path ("" for a top-level
// field).
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

func typeWord(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[Duration]():
		return "a duration"
	case t.Kind() == reflect.Int:
		return "a whole number"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.String:
		return "a single value"
	case t.Kind() == reflect.Slice:
		return "a list"
	}
	return "a mapping"
}

func kindWord(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	}
	return "something else"
}
