package quorate

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestPackageDocs: every package has its package comment in doc.go and only
// there, and every exported name has a doc comment starting with its name
// (STYLE.md "Files, names, comments").
func TestPackageDocs(t *testing.T) {
	dirs := map[string]bool{}
	filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dirs[filepath.Dir(path)] = true
		}
		return nil
	})
	if len(dirs) < 8 {
		t.Fatalf("found only %d packages", len(dirs))
	}
	for dir := range dirs {
		fset := token.NewFileSet()
		pkgs, err := parser.ParseDir(fset, dir, func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, pkg := range pkgs {
			var withDoc []string
			for name, f := range pkg.Files {
				if f.Doc != nil {
					withDoc = append(withDoc, filepath.Base(name))
				}
				if pkg.Name != "main" {
					checkExported(t, fset, f)
				}
			}
			if pkg.Name == "main" {
				continue
			}
			if len(withDoc) != 1 || withDoc[0] != "doc.go" {
				t.Errorf("%s: package comment in %v, want only doc.go", dir, withDoc)
			}
		}
	}
}

func checkExported(t *testing.T, fset *token.FileSet, f *ast.File) {
	t.Helper()
	check := func(name string, doc *ast.CommentGroup, pos token.Pos) {
		if !ast.IsExported(name) {
			return
		}
		if doc == nil {
			t.Errorf("%s: exported %s has no doc comment", fset.Position(pos), name)
		}
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if d.Recv != nil && len(d.Recv.List) > 0 {
				if !exportedRecv(d.Recv.List[0].Type) {
					continue
				}
			}
			check(d.Name.Name, d.Doc, d.Pos())
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					doc := s.Doc
					if doc == nil {
						doc = d.Doc
					}
					check(s.Name.Name, doc, s.Pos())
				case *ast.ValueSpec:
					doc := s.Doc
					if doc == nil {
						doc = d.Doc
					}
					for _, n := range s.Names {
						check(n.Name, doc, n.Pos())
					}
				}
			}
		}
	}
}

func exportedRecv(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.StarExpr:
		return exportedRecv(x.X)
	case *ast.Ident:
		return ast.IsExported(x.Name)
	case *ast.IndexExpr:
		return exportedRecv(x.X)
	}
	return true
}
