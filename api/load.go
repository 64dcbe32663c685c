package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads the declaration in the YAML file at path, applies defaults,
// validates it and resolves relative secretFile, privateKeyFile and
// knownHostsFile paths against the file's directory. It reads nothing but
// path: the files named inside need not exist yet, and no secret is read
// (see TokenSecret).
//
// A file that cannot be read gives the os error, wrapped. Every problem with
// the content (YAML syntax, more than one document, an empty file, unknown
// fields, duplicate keys, wrong types, and every Validate rule) comes back
// together as *Errors, each with file:line, sorted by line.
func Load(path string) (*Cluster, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read cluster declaration: %w", err)
	}
	return LoadBytes(path, b)
}

// LoadBytes is Load for content already in memory. name is used in error
// messages and as Cluster.Source; when it has a directory part ("conf/a.yaml"),
// relative paths in spec.access are resolved against that directory, otherwise
// they are kept as written.
func LoadBytes(name string, b []byte) (*Cluster, error) {
	doc, errs := parse(name, b, reflect.TypeFor[Cluster]())
	if doc == nil {
		return nil, asErrors(errs)
	}
	c := &Cluster{Source: name}
	checkRules := true
	if len(errs) == 0 {
		if errs := strictDecode(doc, b, c); len(errs) > 0 {
			return nil, asErrors(errs)
		}
	} else {
		// Schema problems (unknown fields, wrong types) are reported together
		// with the rule violations of what did decode, so an operator sees
		// every problem in one run. Rules about a field that already has a
		// schema problem are left out: they would only repeat it.
		checkRules = lenientDecode(b, c)
	}
	applyDefaults(c, func(path string) bool { return doc.present[path] })
	rules := Validate(c)
	for i := range rules {
		doc.locate(&rules[i])
	}
	if checkRules && len(errs) <= maxProblems {
		errs = append(errs, withoutRepeats(rules, errs)...)
	}
	if len(errs) > 0 {
		return nil, asErrors(errs)
	}
	normalize(c)
	if dir := filepath.Dir(name); name != "" && dir != "." {
		resolvePaths(c, dir)
	}
	return c, nil
}

// parse reads the single YAML document in b into a node tree and walks it
// against the root type (Cluster or Controller).
func parse(file string, b []byte, root reflect.Type) (*document, []FieldError) {
	doc := &document{file: file, pos: map[string]*yaml.Node{}, present: map[string]bool{}}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var first yaml.Node
	switch err := dec.Decode(&first); {
	case errors.Is(err, io.EOF):
		return nil, []FieldError{{File: file, Message: "the file is empty", Hint: "see examples/clusters/lab.yaml for a complete cluster declaration"}}
	case err != nil:
		return nil, []FieldError{syntaxError(file, err)}
	}
	// A second document is an error even when it would decode: sigs.k8s.io/yaml
	// silently ignores it (dependencies.md §3), and an operator who appended a
	// second cluster would see it ignored. A trailing "---" with nothing after
	// it is harmless and accepted.
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, []FieldError{syntaxError(file, err)}
	case !emptyDocument(&next):
		return nil, []FieldError{{File: file, Line: next.Line, Column: next.Column,
			Message: "a second YAML document starts here", Hint: "a file holds one cluster; move other clusters to files of their own"}}
	}
	if emptyDocument(&first) {
		return nil, []FieldError{{File: file, Line: first.Line, Message: "the document is empty", Hint: "see examples/clusters/lab.yaml for a complete cluster declaration"}}
	}
	doc.root = first.Content[0]
	w := &walker{doc: doc}
	w.walk(doc.root, root, "", nil)
	return doc, w.errs
}

func emptyDocument(n *yaml.Node) bool {
	if n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
		return true
	}
	c := n.Content[0]
	return c.Kind == yaml.ScalarNode && c.Tag == "!!null"
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 parse error ("yaml: line 3: did not find
// expected key") into a FieldError with that line.
func syntaxError(file string, err error) FieldError {
	msg := err.Error()
	fe := FieldError{File: file, Message: "YAML syntax error: " + strings.TrimPrefix(msg, "yaml: "),
		Hint: "check the indentation (spaces only, no tabs) and quoting around this line"}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		fe.Line, _ = strconv.Atoi(m[1])
		fe.Message = "YAML syntax error: " + m[2]
	}
	return fe
}

// strictDecode decodes b into c with unknown fields refused. After a clean
// schema walk it is not expected to fail; if it does, yaml.v3's own messages
// are passed on with their lines rather than lost.
func strictDecode(doc *document, b []byte, c any) []FieldError {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err := dec.Decode(c)
	if err == nil {
		return nil
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return []FieldError{{File: doc.file, Message: "cannot decode: " + strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	out := make([]FieldError, 0, len(te.Errors))
	for _, e := range te.Errors {
		fe := FieldError{File: doc.file, Message: e}
		if m := yamlLineRE.FindStringSubmatch(e); m != nil {
			fe.Line, _ = strconv.Atoi(m[1])
			fe.Message = m[2]
		}
		out = append(out, fe)
	}
	return out
}

// lenientDecode decodes what it can; type errors were already reported by the
// schema walk. It reports false when decoding stopped early (a value whose own
// parser failed, such as a duration), so the rest cannot be checked.
func lenientDecode(b []byte, c any) bool {
	err := yaml.NewDecoder(bytes.NewReader(b)).Decode(c)
	var te *yaml.TypeError
	return err == nil || errors.As(err, &te)
}

// withoutRepeats keeps the rule violations of objects that decoded cleanly:
// a rule about a mapping that holds a schema problem (or lies below one)
// would mostly restate it ("address is required" next to an unknown field
// "adress"). A schema problem at the top level suppresses only its own
// field's subtree.
func withoutRepeats(rules, schema []FieldError) []FieldError {
	under := func(p, prefix string) bool {
		return prefix == "" || p == prefix || strings.HasPrefix(p, prefix+".") || strings.HasPrefix(p, prefix+"[")
	}
	var out []FieldError
	for _, r := range rules {
		repeat := false
		for _, s := range schema {
			scope := parentPath(s.Path)
			if scope == "" {
				scope = s.Path
			}
			if s.Path == "" || under(r.Path, scope) {
				repeat = true
				break
			}
		}
		if !repeat {
			out = append(out, r)
		}
	}
	return out
}

// locate fills in e's file and position from the node at e.Path, or from the
// nearest enclosing node that exists when the field was left out.
func (d *document) locate(e *FieldError) {
	e.File = d.file
	for p := e.Path; ; p = parentPath(p) {
		if n := d.pos[p]; n != nil {
			e.Line, e.Column = n.Line, n.Column
			return
		}
		if p == "" {
			return
		}
	}
}

func asErrors(errs []FieldError) *Errors {
	sortErrors(errs)
	out := Errors(errs)
	return &out
}

// resolvePaths makes relative file paths in spec.access relative to dir, so
// that they mean the same whatever directory quorate runs in.
func resolvePaths(c *Cluster, dir string) {
	paths := []*string{&c.Spec.Access.API.Token.SecretFile, &c.Spec.Access.SSH.PrivateKeyFile, &c.Spec.Access.SSH.KnownHostsFile}
	if c.Spec.Access.RootPassword != nil {
		paths = append(paths, &c.Spec.Access.RootPassword.File)
	}
	for _, p := range paths {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
}

// normalize rewrites valid values into the one form the rest of quorate
// compares against: fingerprints in upper case, as Proxmox prints them
// (reference §1.1).
func normalize(c *Cluster) {
	for i := range c.Spec.Members {
		m := &c.Spec.Members[i].Management
		m.Fingerprint = strings.ToUpper(m.Fingerprint)
	}
}
