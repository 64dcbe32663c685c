package api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestPackageDoc checks that the package comment lives in doc.go only and
// that every exported declaration has a doc comment starting with its name.
func TestPackageDoc(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if isDoc := strings.HasSuffix(name, "doc.go"); (f.Doc != nil) != isDoc {
			t.Errorf("%s: package comment present=%t, want it in doc.go only", name, f.Doc != nil)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Name.IsExported() && !docStartsWith(d.Doc, d.Name.Name) {
					t.Errorf("%s: func %s has no doc comment starting with its name", name, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.IsExported() {
						doc := ts.Doc
						if doc == nil {
							doc = d.Doc
						}
						if !docStartsWith(doc, ts.Name.Name) {
							t.Errorf("%s: type %s has no doc comment starting with its name", name, ts.Name.Name)
						}
					}
				}
			}
		}
	}
}

func docStartsWith(doc *ast.CommentGroup, name string) bool {
	if doc == nil {
		return false
	}
	text := doc.Text()
	return strings.HasPrefix(text, name+" ") || strings.HasPrefix(text, "A "+name+" ") || strings.HasPrefix(text, "An "+name+" ")
}
