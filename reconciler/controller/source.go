package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/quorate/quorate/api"
)

// declared is one file of the clusters directory as last read.
type declared struct {
	File string
	// Name is the cluster's name, or the file's base name when it did not
	// load.
	Name string
	// Generation is the first 12 hex digits of the content's SHA-256: what
	// status conditions refer to.
	Generation string
	Decl       *api.Cluster
	Err        error
}

// scanDir reads every *.yaml / *.yml file of dir (not recursive, hidden files
// skipped). Two files declaring the same cluster are both reported invalid:
// acting on either would fight the other.
func scanDir(dir string) ([]declared, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read the clusters directory: %w", err)
	}
	var out []declared
	for _, e := range entries {
		name := e.Name()
		ext := filepath.Ext(name)
		if e.IsDir() || strings.HasPrefix(name, ".") || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		path := filepath.Join(dir, name)
		d := declared{File: path, Name: strings.TrimSuffix(name, ext)}
		b, err := os.ReadFile(path)
		if err != nil {
			d.Err = err
			out = append(out, d)
			continue
		}
		sum := sha256.Sum256(b)
		d.Generation = hex.EncodeToString(sum[:])[:12]
		d.Decl, d.Err = api.LoadBytes(path, b)
		if d.Decl != nil {
			d.Name = d.Decl.Metadata.Name
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	byName := map[string][]int{}
	for i, d := range out {
		if d.Decl != nil {
			byName[d.Name] = append(byName[d.Name], i)
		}
	}
	for name, idx := range byName {
		if len(idx) < 2 {
			continue
		}
		files := make([]string, len(idx))
		for k, i := range idx {
			files[k] = filepath.Base(out[i].File)
		}
		for _, i := range idx {
			out[i].Decl = nil
			out[i].Name = strings.TrimSuffix(filepath.Base(out[i].File), filepath.Ext(out[i].File))
			out[i].Err = fmt.Errorf("cluster %q is declared by %d files (%s); keep exactly one", name, len(idx), strings.Join(files, ", "))
		}
	}
	return out, nil
}

// errNoClusters is reported (not fatal) when the directory holds no file.
var errNoClusters = errors.New("the clusters directory holds no *.yaml file")

// gitRevision returns the commit checked out in the Git work tree that holds
// dir ("" when dir is not in one, or the repository cannot be read). It reads
// .git directly (HEAD, loose refs, packed-refs) instead of running git: the
// controller runs no local commands.
func gitRevision(dir string) string {
	d, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		gitDir := filepath.Join(d, ".git")
		if fi, err := os.Stat(gitDir); err == nil {
			if !fi.IsDir() { // a worktree or submodule: "gitdir: PATH"
				b, err := os.ReadFile(gitDir)
				if err != nil {
					return ""
				}
				p := strings.TrimSpace(strings.TrimPrefix(string(b), "gitdir:"))
				if !filepath.IsAbs(p) {
					p = filepath.Join(d, p)
				}
				gitDir = p
			}
			return headCommit(gitDir)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

// headCommit resolves HEAD in a .git directory.
func headCommit(gitDir string) string {
	b, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return ""
	}
	head := strings.TrimSpace(string(b))
	ref, ok := strings.CutPrefix(head, "ref: ")
	if !ok {
		return validCommit(head)
	}
	if b, err := os.ReadFile(filepath.Join(gitDir, filepath.FromSlash(ref))); err == nil {
		return validCommit(strings.TrimSpace(string(b)))
	}
	// A linked worktree keeps shared refs in its commondir.
	common := gitDir
	if b, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		c := strings.TrimSpace(string(b))
		if !filepath.IsAbs(c) {
			c = filepath.Join(gitDir, c)
		}
		common = c
		if b, err := os.ReadFile(filepath.Join(common, filepath.FromSlash(ref))); err == nil {
			return validCommit(strings.TrimSpace(string(b)))
		}
	}
	packed, err := os.ReadFile(filepath.Join(common, "packed-refs"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(packed), "\n") {
		if sha, name, ok := strings.Cut(line, " "); ok && name == ref {
			return validCommit(sha)
		}
	}
	return ""
}

func validCommit(s string) string {
	if len(s) != 40 && len(s) != 64 {
		return ""
	}
	if _, err := hex.DecodeString(s); err != nil {
		return ""
	}
	return s
}
