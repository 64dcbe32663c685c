package sim

import (
	"bytes"
	"strings"
)

// Node files in /etc/pve that `pvecm updatecerts` keeps (reference §6.3,
// §9): nodes/<self>/ with qemu-server, lxc and priv (gen_local_dirs), the
// node certificate pve-ssl.pem, the pinned host key ssh_known_hosts, and the
// node's root key merged into priv/authorized_keys.

// updateNodeFiles is updatecerts_and_ssh on n, through its pmxcfs: it
// creates what is missing and, with forceCert, regenerates the certificate
// (a new generation, see regenerateCert). Everything is one DB change,
// replicated to n's CPG group. It fails like any /etc/pve write without
// quorum.
//
// pve-cluster.service runs `pvecm updatecerts --silent` after every start;
// the model runs it (forceCert false) only when pmxcfs starts in local mode,
// which gives a freshly installed machine its own nodes/<self>/ (a cluster
// member's DB already has it from NewCluster or its join).
func (m *Model) updateNodeFiles(n *node, forceCert bool) error {
	if err := m.cfsWritable(n); err != nil {
		return err
	}
	name := n.spec.Name
	base := nodesDir + "/" + name
	d := n.db
	var dirs []string
	for _, p := range []string{nodesDir, base, base + "/qemu-server", base + "/lxc", base + "/priv", privDir, lockDir} {
		if !d.isDir(p) {
			dirs = append(dirs, p)
		}
	}
	files := map[string][]byte{}
	gen := m.certGen[name]
	if forceCert {
		gen = m.regenerateCert(n)
	}
	if _, ok := d.files[base+"/pve-ssl.pem"]; forceCert || !ok {
		files[base+"/pve-ssl.pem"] = []byte(certPEM(name, gen))
	}
	if known := []byte(name + " " + SSHHostKey(name) + "\n"); !bytes.Equal(d.files[base+"/ssh_known_hosts"], known) {
		files[base+"/ssh_known_hosts"] = known
	}
	if keys, changed := mergeRootKey(d.files[authorizedKeys], name); changed {
		files[authorizedKeys] = keys
	}
	if len(dirs) == 0 && len(files) == 0 {
		return nil
	}
	now := m.now()
	m.cfsCommit(n, false, func(db *pveDB) {
		for _, p := range dirs {
			db.dirs[p] = now
		}
		for p, b := range files {
			db.files[p] = clone(b)
		}
	})
	return nil
}

// mergeRootKey is ssh_merge_keys for one node (reference §9): the node's
// root key is appended as "ssh-rsa KEY root@NAME" unless the same key
// material is already there; nothing is ever removed.
func mergeRootKey(keys []byte, name string) ([]byte, bool) {
	key := RootSSHKey(name)
	material := strings.Fields(key)[1]
	for _, line := range strings.Split(string(keys), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[1] == material {
			return keys, false
		}
	}
	out := append([]byte(nil), keys...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	out = append(out, key+" root@"+name+"\n"...)
	return out, true
}
