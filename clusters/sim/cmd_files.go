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

var errIsDir = errors.New("Is a directory")

func (m *Model) readPath(n *node, p string) ([]byte, error) {
	if isPVE(p) && n.cfs != nil {
		if p == pveDir {
			return nil, errIsDir
		}
		if b, ok := m.cfsRead(n, p); ok {
			return b, nil
		}
		return nil, errNoEnt
	}
	if b, ok := n.files[p]; ok {
		return b, nil
	}
	if n.dirExists(p) {
		return nil, errIsDir
	}
	return nil, errNoEnt
}

func (m *Model) writePath(n *node, p string, b []byte) error {
	if isPVE(p) && n.cfs != nil {
		if err := m.cfsWritable(n); err != nil {
			return err
		}
		m.cfsCommit(n, p == clusterConf, func(d *pveDB) { d.files[p] = clone(b) })
		return nil
	}
	if n.dirExists(p) {
		return errIsDir
	}
	if !n.dirExists(parentDir(p)) {
		return errNoEnt
	}
	n.files[p] = clone(b)
	return nil
}

func (m *Model) removePath(n *node, p string) error {
	if isPVE(p) && n.cfs != nil {
		if _, ok := m.cfsRead(n, p); !ok {
			return errNoEnt
		}
		if err := m.cfsWritable(n); err != nil {
			return err
		}
		m.cfsCommit(n, false, func(d *pveDB) { delete(d.files, p) })
		return nil
	}
	if _, ok := n.files[p]; !ok {
		return errNoEnt
	}
	delete(n.files, p)
	return nil
}

// renamePath is rename(2) within one filesystem, copy+unlink across.
func (m *Model) renamePath(n *node, src, dst string) error {
	b, err := m.readPath(n, src)
	if err != nil {
		return err
	}
	if isPVE(src) && isPVE(dst) && n.cfs != nil {
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

func cmdCp(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	_, ops, _ := splitFlags(c.args[1:])
	if len(ops) != 2 {
		return r.fail(1, "cp: missing destination file operand after '%s'\nTry 'cp --help' for more information.", strings.Join(ops, " "))
	}
	src, dst := ops[0], ops[1]
	b, err := m.readPath(n, src)
	if err == errIsDir {
		return r.fail(1, "cp: -r not specified; omitting directory '%s'", src)
	}
	if err != nil {
		return r.fail(1, "cp: cannot stat '%s': %s", src, err)
	}
	if _, derr := m.readPath(n, dst); derr == errIsDir {
		dst = path.Join(dst, path.Base(src))
	}
	if err := m.writePath(n, dst, b); err != nil {
		return r.fail(1, "cp: cannot create regular file '%s': %s", dst, err)
	}
	return r
}

func cmdMv(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	_, ops, _ := splitFlags(c.args[1:])
	if len(ops) != 2 {
		return r.fail(1, "mv: missing destination file operand after '%s'\nTry 'mv --help' for more information.", strings.Join(ops, " "))
	}
	src, dst := ops[0], ops[1]
	if _, err := m.readPath(n, src); err != nil {
		return r.fail(1, "mv: cannot stat '%s': %s", src, err)
	}
	if _, derr := m.readPath(n, dst); derr == errIsDir {
		dst = path.Join(dst, path.Base(src))
	}
	if err := m.renamePath(n, src, dst); err != nil {
		return r.fail(1, "mv: cannot move '%s' to '%s': %s", src, dst, err)
	}
	return r
}

func cmdMkdir(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	flags, ops, _ := splitFlags(c.args[1:])
	if len(ops) == 0 {
		return r.fail(1, "mkdir: missing operand\nTry 'mkdir --help' for more information.")
	}
	for _, d := range ops {
		d = path.Clean(d)
		if isPVE(d) && n.cfs != nil {
			// pmxcfs directories are not tracked; creating one needs quorum.
			if err := m.cfsWritable(n); err != nil {
				return r.fail(1, "mkdir: cannot create directory '%s': %s", d, err)
			}
			continue
		}
		if n.dirExists(d) {
			if !flags['p'] {
				return r.fail(1, "mkdir: cannot create directory '%s': File exists", d)
			}
			continue
		}
		if _, isFile := n.files[d]; isFile {
			return r.fail(1, "mkdir: cannot create directory '%s': File exists", d)
		}
		if !flags['p'] && !n.dirExists(parentDir(d)) {
			return r.fail(1, "mkdir: cannot create directory '%s': No such file or directory", d)
		}
		n.mkdirAll(d)
	}
	return r
}

func cmdRm(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	flags, ops, _ := splitFlags(c.args[1:])
	if len(ops) == 0 && !flags['f'] {
		return r.fail(1, "rm: missing operand\nTry 'rm --help' for more information.")
	}
	for _, f := range ops {
		err := m.removePath(n, f)
		if err == errNoEnt && flags['f'] {
			continue
		}
		if err != nil {
			r.errf("rm: cannot remove '%s': %s\n", f, err)
			r.code = 1
		}
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
