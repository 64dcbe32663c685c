package sim

import (
	"path"
	"strings"
)

// Directory commands: ls -1, mkdir [-p], rmdir, rm [-rf], cp [-a|-r|-p], with
// GNU coreutils' wording and exit codes. In /etc/pve (pmxcfs mounted) every
// change needs quorum (EACCES otherwise, reference §6.1) and replicates; a
// multi-entry change (mkdir -p, rm -rf, cp -a) is one DB version, where real
// pmxcfs bumps the version once per entry.

// isLockDir reports whether p is a cluster lock, /etc/pve/priv/lock/<id>
// (what pmxcfs's memdb treats specially when it is a directory; see
// pmxcfs_lock.go).
func isLockDir(p string) bool { return parentDir(p) == lockDir }

// cmdLs is `ls [-1] PATH...`: one name per line, directories' entries
// sorted; files listed as given, first; exit 2 when an operand is missing.
func cmdLs(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	_, ops, _ := splitFlags(c.args[1:])
	if len(ops) == 0 {
		ops = []string{"."}
	}
	var files, dirs []string
	for _, op := range ops {
		switch m.kindOf(n, m.abs(op)) {
		case noEntry:
			r.errf("ls: cannot access '%s': No such file or directory\n", op)
			r.code = 2
		case fileEntry:
			files = append(files, op)
		case dirEntry:
			dirs = append(dirs, op)
		}
	}
	for _, f := range files {
		r.outf("%s\n", f)
	}
	for i, d := range dirs {
		if len(ops) > 1 {
			if i > 0 || len(files) > 0 {
				r.outf("\n")
			}
			r.outf("%s:\n", d)
		}
		for _, e := range m.listDir(n, m.abs(d)) {
			r.outf("%s\n", e)
		}
	}
	return r
}

// abs cleans p against root's home, the shell's working directory.
func (m *Model) abs(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/root/" + p
	}
	return path.Clean(p)
}

// cmdMkdir is `mkdir [-p] DIR...`. In /etc/pve/priv/lock it is the cluster
// lock's atomic acquire (reference §6.6): EEXIST whenever the directory
// exists, expired or not (pmxcfs's memdb_mkdir). An expired lock goes away
// only when someone asks for it with an unlock request, `touch -m -d @0`
// (cmd_touch.go, pmxcfs_lock.go), as PVE::Cluster's cfs_lock does while it
// waits; the next mkdir then succeeds.
func cmdMkdir(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	flags, ops, _ := splitFlags(c.args[1:])
	if len(ops) == 0 {
		return r.fail(1, "mkdir: missing operand\nTry 'mkdir --help' for more information.")
	}
	for _, op := range ops {
		if err := m.mkdir(n, m.abs(op), flags['p']); err != nil {
			r.errf("mkdir: cannot create directory '%s': %s\n", err.path(op), err.err)
			r.code = 1
		}
	}
	return r
}

// pathError is an error about one path (the operand or a parent of it).
type pathError struct {
	p   string // "" = the operand itself
	err error
}

func (e *pathError) path(op string) string {
	if e.p == "" {
		return op
	}
	return e.p
}

// mkdir creates d (and with parents its missing ancestors).
func (m *Model) mkdir(n *node, d string, parents bool) *pathError {
	switch m.kindOf(n, d) {
	case dirEntry:
		if parents {
			return nil
		}
		return &pathError{err: errExists}
	case fileEntry:
		return &pathError{err: errExists}
	}
	var missing []string // d and its missing ancestors, deepest first
	for p := d; m.kindOf(n, p) == noEntry; p = parentDir(p) {
		missing = append(missing, p)
	}
	if len(missing) > 1 && !parents {
		return &pathError{err: errNoEnt}
	}
	if m.kindOf(n, parentDir(missing[len(missing)-1])) != dirEntry {
		return &pathError{p: parentDir(missing[len(missing)-1]), err: errNotDir}
	}
	if inCfs(n, d) {
		if err := m.cfsWritable(n); err != nil {
			if top := missing[len(missing)-1]; top != d {
				return &pathError{p: top, err: err}
			}
			return &pathError{err: err}
		}
		now := m.now()
		m.cfsCommit(n, false, func(db *pveDB) {
			for _, p := range missing {
				db.dirs[p] = now
			}
		})
		for _, p := range missing {
			if isLockDir(p) {
				m.noteLock(p, cfsWriter(n), now)
			}
		}
		return nil
	}
	n.mkdirAll(d)
	return nil
}

// cmdRmdir is `rmdir DIR...`: empty directories only.
func cmdRmdir(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	_, ops, _ := splitFlags(c.args[1:])
	if len(ops) == 0 {
		return r.fail(1, "rmdir: missing operand\nTry 'rmdir --help' for more information.")
	}
	for _, op := range ops {
		if err := m.rmdir(n, m.abs(op)); err != nil {
			r.errf("rmdir: failed to remove '%s': %s\n", op, err)
			r.code = 1
		}
	}
	return r
}

func (m *Model) rmdir(n *node, d string) error {
	switch m.kindOf(n, d) {
	case noEntry:
		return errNoEnt
	case fileEntry:
		return errNotDir
	}
	if inCfs(n, d) {
		// pmxcfs checks quorum before it looks at the directory.
		if err := m.cfsWritable(n); err != nil {
			return err
		}
	}
	if len(m.listDir(n, d)) > 0 {
		return errNotEmpty
	}
	if inCfs(n, d) {
		m.cfsCommit(n, false, func(db *pveDB) { delete(db.dirs, d) })
		m.forgetLock(d)
		return nil
	}
	delete(n.dirs, d)
	return nil
}

// cmdRm is `rm [-f] [-r] PATH...`.
func cmdRm(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	flags, ops, _ := splitFlags(c.args[1:])
	if len(ops) == 0 && !flags['f'] {
		return r.fail(1, "rm: missing operand\nTry 'rm --help' for more information.")
	}
	recursive := flags['r'] || flags['R']
	for _, op := range ops {
		p := m.abs(op)
		switch m.kindOf(n, p) {
		case noEntry:
			if !flags['f'] {
				r.errf("rm: cannot remove '%s': No such file or directory\n", op)
				r.code = 1
			}
			continue
		case fileEntry:
			if err := m.removePath(n, p); err != nil {
				r.errf("rm: cannot remove '%s': %s\n", op, err)
				r.code = 1
			}
			continue
		}
		if !recursive {
			r.errf("rm: cannot remove '%s': Is a directory\n", op)
			r.code = 1
			continue
		}
		if err := m.removeTree(n, p); err != nil {
			// GNU rm reports each entry it could not remove and skips
			// their ancestors quietly: the files and the empty
			// directories of the tree.
			for _, q := range m.treeLeaves(n, p) {
				r.errf("rm: cannot remove '%s': %s\n", op+strings.TrimPrefix(q, p), err)
			}
			r.code = 1
		}
	}
	return r
}

// treePaths returns p and everything under it, parents first.
func (m *Model) treePaths(n *node, p string) []string {
	if inCfs(n, p) {
		return n.db.tree(p)
	}
	var out []string
	var walk func(q string)
	walk = func(q string) {
		out = append(out, q)
		if m.kindOf(n, q) == dirEntry {
			for _, c := range m.listDir(n, q) {
				walk(q + "/" + c)
			}
		}
	}
	walk(p)
	return out
}

// treeLeaves are the files and empty directories of p's tree, deepest last.
func (m *Model) treeLeaves(n *node, p string) []string {
	var out []string
	for _, q := range m.treePaths(n, p) {
		if m.kindOf(n, q) == fileEntry || len(m.listDir(n, q)) == 0 {
			out = append(out, q)
		}
	}
	return out
}

// removeTree removes a directory tree: in /etc/pve in one DB change.
func (m *Model) removeTree(n *node, p string) error {
	paths := m.treePaths(n, p)
	if inCfs(n, p) {
		if p == pveDir {
			return errBusy
		}
		if err := m.cfsWritable(n); err != nil {
			return err
		}
		m.cfsCommit(n, false, func(db *pveDB) {
			for _, q := range paths {
				delete(db.files, q)
				delete(db.dirs, q)
			}
		})
		for _, q := range paths {
			m.forgetLock(q)
		}
		return nil
	}
	for _, q := range paths {
		delete(n.files, q)
		delete(n.dirs, q)
	}
	return nil
}

// cmdCp is `cp [-a|-r|-R] [-p] SRC DST`: a file, or with -a/-r a directory
// tree, between the local disk and /etc/pve in either direction. Modes,
// owners and times are not modelled.
func cmdCp(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	flags, ops, _ := splitFlags(c.args[1:])
	if len(ops) != 2 {
		return r.fail(1, "cp: missing destination file operand after '%s'\nTry 'cp --help' for more information.", strings.Join(ops, " "))
	}
	srcOp, dstOp := ops[0], ops[1]
	src, dst := m.abs(srcOp), m.abs(dstOp)
	recursive := flags['a'] || flags['r'] || flags['R']
	kind := m.kindOf(n, src)
	switch {
	case kind == noEntry:
		return r.fail(1, "cp: cannot stat '%s': No such file or directory", srcOp)
	case kind == dirEntry && !recursive:
		return r.fail(1, "cp: -r not specified; omitting directory '%s'", srcOp)
	}
	if m.kindOf(n, dst) == dirEntry {
		dst = path.Join(dst, path.Base(src))
		dstOp = path.Join(dstOp, path.Base(src))
	}
	if kind == fileEntry {
		b, _ := m.readPath(n, src)
		if err := m.writePath(n, dst, b); err != nil {
			return r.fail(1, "cp: cannot create regular file '%s': %s", dstOp, err)
		}
		return r
	}
	if dst == src || strings.HasPrefix(dst, src+"/") {
		return r.fail(1, "cp: cannot copy a directory, '%s', into itself, '%s'", srcOp, dstOp)
	}
	if m.kindOf(n, dst) == fileEntry {
		return r.fail(1, "cp: cannot overwrite non-directory '%s' with directory '%s'", dstOp, srcOp)
	}
	if err := m.copyTree(n, src, dst); err != nil {
		return r.fail(1, "cp: cannot create directory '%s': %s", dstOp, err)
	}
	return r
}

// copyTree copies the tree at src to dst (dst's parent must exist; dst
// itself may exist as a directory, then the trees merge).
func (m *Model) copyTree(n *node, src, dst string) error {
	if m.kindOf(n, parentDir(dst)) != dirEntry {
		return errNoEnt
	}
	type entry struct {
		rel  string
		dir  bool
		data []byte
	}
	var entries []entry
	for _, q := range m.treePaths(n, src) {
		e := entry{rel: strings.TrimPrefix(q, src), dir: m.kindOf(n, q) == dirEntry}
		if !e.dir {
			e.data, _ = m.readPath(n, q)
		}
		entries = append(entries, e)
	}
	if inCfs(n, dst) {
		if err := m.cfsWritable(n); err != nil {
			return err
		}
		now := m.now()
		m.cfsCommit(n, false, func(db *pveDB) {
			for _, e := range entries {
				if e.dir {
					db.dirs[dst+e.rel] = now
				} else {
					db.files[dst+e.rel] = clone(e.data)
				}
			}
		})
		return nil
	}
	for _, e := range entries {
		if e.dir {
			n.mkdirAll(dst + e.rel)
		} else {
			n.files[dst+e.rel] = clone(e.data)
		}
	}
	return nil
}
