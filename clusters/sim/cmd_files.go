package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path"
	"strings"
)

// File commands. Paths under /etc/pve go through pmxcfs when pve-cluster runs
// (reads from its DB, writes need quorum and replicate); when it does not,
// they hit the bare mount point on local disk, as on a real node. Everything
// else is the node's local disk.

var (
	errIsDir    = errors.New("Is a directory")
	errNotDir   = errors.New("Not a directory")
	errExists   = errors.New("File exists")
	errNotEmpty = errors.New("Directory not empty")
	errBusy     = errors.New("Device or resource busy")
)

// entryKind is what a path names.
type entryKind int

const (
	noEntry entryKind = iota
	fileEntry
	dirEntry
)

// inCfs reports whether p is served by n's pmxcfs (mounted /etc/pve).
func inCfs(n *node, p string) bool { return isPVE(p) && n.cfs != nil }

// kindOf is stat(2) on n.
func (m *Model) kindOf(n *node, p string) entryKind {
	if inCfs(n, p) {
		return n.db.kind(p)
	}
	if _, ok := n.files[p]; ok {
		return fileEntry
	}
	if n.dirExists(p) {
		return dirEntry
	}
	return noEntry
}

// listDir returns a directory's entry names, sorted.
func (m *Model) listDir(n *node, dir string) []string {
	if inCfs(n, dir) {
		return n.db.list(dir)
	}
	return childNames(dir, func(yield func(string)) {
		for p := range n.files {
			yield(p)
		}
		for p := range n.dirs {
			yield(p)
		}
	})
}

func (m *Model) readPath(n *node, p string) ([]byte, error) {
	switch m.kindOf(n, p) {
	case dirEntry:
		return nil, errIsDir
	case noEntry:
		return nil, errNoEnt
	}
	if inCfs(n, p) {
		b, _ := m.cfsRead(n, p)
		return b, nil
	}
	return n.files[p], nil
}

// writePath creates or replaces a file. In /etc/pve the parent must exist
// (the VFS looks it up before pmxcfs sees the write), then quorum is needed.
func (m *Model) writePath(n *node, p string, b []byte) error {
	if m.kindOf(n, p) == dirEntry {
		return errIsDir
	}
	if m.kindOf(n, parentDir(p)) != dirEntry {
		return errNoEnt
	}
	if inCfs(n, p) {
		if err := m.cfsWritable(n); err != nil {
			return err
		}
		m.cfsCommit(n, p == clusterConf, func(d *pveDB) { d.files[p] = clone(b) })
		return nil
	}
	n.files[p] = clone(b)
	return nil
}

// removePath is unlink(2): files only.
func (m *Model) removePath(n *node, p string) error {
	switch m.kindOf(n, p) {
	case noEntry:
		return errNoEnt
	case dirEntry:
		return errIsDir
	}
	if inCfs(n, p) {
		if err := m.cfsWritable(n); err != nil {
			return err
		}
		m.cfsCommit(n, false, func(d *pveDB) { delete(d.files, p) })
		return nil
	}
	delete(n.files, p)
	return nil
}

// renamePath is rename(2) within one filesystem, copy+unlink across. Only
// files are renamed (pmxcfs refuses non-empty directories, reference §6.3;
// quorate never renames a directory).
func (m *Model) renamePath(n *node, src, dst string) error {
	b, err := m.readPath(n, src)
	if err != nil {
		return err
	}
	if inCfs(n, src) && inCfs(n, dst) {
		if m.kindOf(n, dst) == dirEntry {
			return errIsDir
		}
		if m.kindOf(n, parentDir(dst)) != dirEntry {
			return errNoEnt
		}
		if err := m.cfsWritable(n); err != nil {
			return err
		}
		m.cfsCommit(n, dst == clusterConf, func(d *pveDB) {
			d.files[dst] = d.files[src]
			delete(d.files, src)
		})
		return nil
	}
	if err := m.writePath(n, dst, b); err != nil {
		return err
	}
	return m.removePath(n, src)
}

// splitFlags separates leading -x flags from operands.
func splitFlags(args []string) (flags map[byte]bool, ops []string, bad string) {
	flags = map[byte]bool{}
	for i, a := range args {
		if a == "--" {
			return flags, args[i+1:], ""
		}
		if len(a) > 1 && a[0] == '-' {
			for _, c := range []byte(a[1:]) {
				flags[c] = true
			}
			continue
		}
		ops = append(ops, a)
	}
	return flags, ops, bad
}

func cmdCat(m *Model, n *node, c simpleCmd, stdin []byte) *result {
	r := &result{}
	_, files, _ := splitFlags(c.args[1:])
	var content []byte
	if len(files) == 0 {
		content = stdin
	}
	for _, f := range files {
		b, err := m.readPath(n, f)
		if err != nil {
			r.errf("cat: %s: %s\n", f, err)
			r.code = 1
			continue
		}
		content = append(content, b...)
	}
	if c.redirect == "" {
		r.out.Write(content)
		return r
	}
	// bash opens the redirection target before cat runs, so its errors are
	// bash's.
	if err := m.writePath(n, c.redirect, content); err != nil {
		return (&result{}).fail(1, "bash: line 1: %s: %s", c.redirect, err)
	}
	return r
}

func cmdMv(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	_, ops, _ := splitFlags(c.args[1:])
	if len(ops) != 2 {
		return r.fail(1, "mv: missing destination file operand after '%s'\nTry 'mv --help' for more information.", strings.Join(ops, " "))
	}
	srcOp, dstOp := ops[0], ops[1]
	src, dst := m.abs(srcOp), m.abs(dstOp)
	if m.kindOf(n, src) == noEntry {
		return r.fail(1, "mv: cannot stat '%s': No such file or directory", srcOp)
	}
	if m.kindOf(n, dst) == dirEntry {
		dst = path.Join(dst, path.Base(src))
		dstOp = path.Join(dstOp, path.Base(src))
	}
	if err := m.renamePath(n, src, dst); err != nil {
		return r.fail(1, "mv: cannot move '%s' to '%s': %s", srcOp, dstOp, err)
	}
	return r
}

func cmdSha256sum(m *Model, n *node, c simpleCmd, stdin []byte) *result {
	r := &result{}
	_, files, _ := splitFlags(c.args[1:])
	if len(files) == 0 {
		sum := sha256.Sum256(stdin)
		r.outf("%s  -\n", hex.EncodeToString(sum[:]))
		return r
	}
	for _, f := range files {
		b, err := m.readPath(n, f)
		if err != nil {
			r.errf("sha256sum: %s: %s\n", f, err)
			r.code = 1
			continue
		}
		sum := sha256.Sum256(b)
		r.outf("%s  %s\n", hex.EncodeToString(sum[:]), f)
	}
	return r
}
