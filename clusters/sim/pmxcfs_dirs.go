package sim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Directories in the pmxcfs DB (reference §6.3). pmxcfs is strict where the
// local disk of the model is loose: a file or directory can only be created
// in an existing directory, and a directory exists only when created.

// isDir reports whether p is a directory in the DB (/etc/pve always is).
func (d *pveDB) isDir(p string) bool {
	if p == pveDir {
		return true
	}
	_, ok := d.dirs[p]
	return ok
}

// kind is what p is in the DB.
func (d *pveDB) kind(p string) entryKind {
	if d.isDir(p) {
		return dirEntry
	}
	if _, ok := d.files[p]; ok {
		return fileEntry
	}
	return noEntry
}

// mkdirAll creates d and its missing parents with the given mtime (for
// scenario building and seeding; commands go through cfsMkdir).
func (d *pveDB) mkdirAll(dir string, t time.Time) {
	for dir != pveDir && isPVE(dir) {
		if _, ok := d.dirs[dir]; !ok {
			d.dirs[dir] = t
		}
		dir = parentDir(dir)
	}
}

// list returns the names of dir's entries, sorted bytewise.
func (d *pveDB) list(dir string) []string {
	return childNames(dir, func(yield func(string)) {
		for p := range d.files {
			yield(p)
		}
		for p := range d.dirs {
			yield(p)
		}
	})
}

// tree returns p and every path under it, parents before children.
func (d *pveDB) tree(p string) []string {
	var out []string
	for q := range d.files {
		if q == p || strings.HasPrefix(q, p+"/") {
			out = append(out, q)
		}
	}
	for q := range d.dirs {
		if q == p || strings.HasPrefix(q, p+"/") {
			out = append(out, q)
		}
	}
	sort.Strings(out) // a parent sorts before its children ('/' < any name byte that follows)
	return out
}

// childNames returns the distinct first path components below dir among the
// paths each yields, sorted bytewise (GNU ls in the C locale; real nodes sort
// by the locale's collation, which agrees for node names and file names of
// letters, digits, '-' and '.').
func childNames(dir string, each func(yield func(string))) []string {
	prefix := dir + "/"
	if dir == "/" {
		prefix = "/"
	}
	seen := map[string]bool{}
	each(func(p string) {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok || rest == "" {
			return
		}
		name, _, _ := strings.Cut(rest, "/")
		seen[name] = true
	})
	out := make([]string, 0, len(seen))
	for nm := range seen {
		out = append(out, nm)
	}
	sort.Strings(out)
	return out
}

// Paths of the shared files (reference §6.3, §9).
const (
	nodesDir       = "/etc/pve/nodes"
	privDir        = "/etc/pve/priv"
	lockDir        = "/etc/pve/priv/lock"
	authorizedKeys = "/etc/pve/priv/authorized_keys"
	knownHosts     = "/etc/pve/priv/known_hosts"
)

// nodeSubdirs are what gen_local_dirs creates under nodes/<name> (openvz is
// left out: PVE 8 no longer has it in practice).
var nodeSubdirs = []string{"qemu-server", "lxc", "priv"}

// seedLayout gives a new cluster's DB what `pvecm create` and each join
// would have left (reference §6.3, §9): per node nodes/<name>/ with its
// subdirectories, pve-ssl.pem and ssh_known_hosts; priv/ with
// authorized_keys (one root key per node), the legacy known_hosts (name and
// host IP lines per node) and lock/.
func seedLayout(d *pveDB, nodes []NodeSpec, t time.Time) {
	d.mkdirAll(lockDir, t)
	d.mkdirAll(nodesDir, t)
	var keys, known strings.Builder
	for _, s := range nodes {
		addNodeLayout(d, s.Name, t)
		fmt.Fprintf(&keys, "%s root@%s\n", RootSSHKey(s.Name), s.Name)
		fmt.Fprintf(&known, "%s %s\n", s.Name, SSHHostKey(s.Name))
		if s.HostIP != "" {
			fmt.Fprintf(&known, "%s %s\n", s.HostIP, SSHHostKey(s.Name))
		}
	}
	d.files[authorizedKeys] = []byte(keys.String())
	d.files[knownHosts] = []byte(known.String())
}

// addNodeLayout creates nodes/<name>/ as gen_local_dirs and the join's
// certificate and host-key pinning leave it.
func addNodeLayout(d *pveDB, name string, t time.Time) {
	base := nodesDir + "/" + name
	for _, sub := range nodeSubdirs {
		d.mkdirAll(base+"/"+sub, t)
	}
	d.files[base+"/pve-ssl.pem"] = []byte(certPEM(name, 0))
	d.files[base+"/ssh_known_hosts"] = []byte(name + " " + SSHHostKey(name) + "\n")
}

// fakeRSA returns "ssh-rsa AAAAB3NzaC1yc2E..." whose blob starts like a real
// RSA public key (the "ssh-rsa" string) followed by bytes derived from seed.
func fakeRSA(seed string) string {
	blob := binary.BigEndian.AppendUint32(nil, 7)
	blob = append(blob, "ssh-rsa"...)
	blob = binary.BigEndian.AppendUint32(blob, 3)
	blob = append(blob, 1, 0, 1)
	blob = binary.BigEndian.AppendUint32(blob, 64)
	for i := 0; i < 2; i++ {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", seed, i)))
		blob = append(blob, sum[:]...)
	}
	return "ssh-rsa " + base64.StdEncoding.EncodeToString(blob)
}

// SSHHostKey returns the node's deterministic fake RSA host key as
// "ssh-rsa AAAA...", the form /etc/pve/nodes/NAME/ssh_known_hosts and the
// legacy /etc/pve/priv/known_hosts hold after a name or IP (reference §9).
func SSHHostKey(name string) string { return fakeRSA("host:" + name) }

// RootSSHKey returns the node's deterministic fake root public key as
// "ssh-rsa AAAA..."; /etc/pve/priv/authorized_keys holds it followed by
// " root@NAME" (reference §9).
func RootSSHKey(name string) string { return fakeRSA("root:" + name) }
