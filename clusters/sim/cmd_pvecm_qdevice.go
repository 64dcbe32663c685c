package sim

import (
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/quorate/quorate/state/corosync"
)

// pvecm qdevice setup|remove (reference §3.9, §3.10, §4.6). Errors end the
// command with exit 255 after whatever was already printed, as pvecm's die
// does. Not reproduced: the certutil tools' own chatter (their errors are
// ignored by pvecm anyway) and scp's progress; ssh-copy-id's lines are
// representative.

// pvecmQDevice dispatches `pvecm qdevice SUB ...`.
func (m *Model) pvecmQDevice(n *node, args []string) *result {
	if len(args) == 0 {
		return (&result{}).fail(255, "ERROR: no command specified")
	}
	switch args[0] {
	case "setup":
		return m.qdeviceSetup(n, args[1:])
	case "remove":
		return m.qdeviceRemove(n, args[1:])
	}
	return (&result{}).fail(255, "ERROR: unknown command 'pvecm qdevice %s' (not modelled by the simulator)", args[0])
}

// qdMembers is step 1 of both commands: the conf must exist and every node
// of .members must be online in this node's view. It returns the member
// names, sorted (pvecm walks .members in sorted order).
func (m *Model) qdMembers(n *node) ([]string, error) {
	if _, err := m.readPath(n, clusterConf); err != nil || n.cfs == nil {
		return nil, fmt.Errorf("Error: Corosync config '%s' does not exist - is this node part of a cluster?", clusterConf)
	}
	cl := m.members(n)
	if cl == nil {
		return nil, fmt.Errorf("Error: Corosync config '%s' does not exist - is this node part of a cluster?", clusterConf)
	}
	var names []string
	for _, e := range cl.nodes {
		names = append(names, e.name)
	}
	sort.Strings(names)
	for _, nm := range names {
		if !n.sees(nm) {
			return nil, fmt.Errorf("All nodes must be online! Node %s is offline, aborting.", nm)
		}
	}
	return names, nil
}

// sshCmd is how pvecm reaches a member (reference §3.9, SSHInfo): by its
// .members ip, pinned to its known_hosts file when that exists.
func (m *Model) sshCmd(n *node, name, cmd string) string {
	s := "/usr/bin/ssh -e none -o 'BatchMode=yes' -o 'HostKeyAlias=" + name + "'"
	if _, ok := m.cfsRead(n, nodesDir+"/"+name+"/ssh_known_hosts"); ok {
		s += " -o 'UserKnownHostsFile=" + nodesDir + "/" + name + "/ssh_known_hosts' -o 'GlobalKnownHostsFile=none'"
	}
	return s + " root@" + m.hostIP(name) + " -- " + cmd
}

// clusterConfParsed reads and parses n's /etc/pve/corosync.conf.
func (m *Model) clusterConfParsed(n *node) (*corosync.Config, error) {
	raw, err := m.readPath(n, clusterConf)
	if err != nil {
		return nil, fmt.Errorf("Error: Corosync config '%s' does not exist - is this node part of a cluster?", clusterConf)
	}
	return corosync.Parse(raw)
}

// qdeviceSetup is `pvecm qdevice setup ADDRESS [--force]` (reference §3.9
// steps 1-16).
func (m *Model) qdeviceSetup(n *node, args []string) *result {
	r := &result{}
	opts, pos := pvecmOpts(args)
	if len(pos) != 1 {
		return r.fail(255, "400 wrong number of arguments\npvecm qdevice setup <address> [OPTIONS]")
	}
	addr, force := pos[0], opts["force"] == "1" || opts["force"] == "true"
	if net.ParseIP(addr) == nil {
		return r.fail(255, "400 Parameter verification failed.\naddress: value does not look like a valid IP address\npvecm qdevice setup <address> [OPTIONS]")
	}
	names, err := m.qdMembers(n) // 1
	if err != nil {
		return r.fail(255, "%v", err)
	}
	cfg, err := m.clusterConfParsed(n)
	if err != nil {
		return r.fail(255, "%v", err)
	}
	if cfg.Main.Section("quorum").Section("device") != nil && !force { // 2
		return r.fail(255, "QDevice already configured!")
	}
	algorithm := "ffsplit" // 3
	if len(names)%2 == 1 {
		if !force {
			return r.fail(255, "Clusters with an odd node count are not officially supported!")
		}
		algorithm = "lms"
	}
	if msg := m.sshCopyID(n, addr, r); msg != "" { // 4
		return r.fail(255, "%s", msg)
	}
	if n.dirExists(nssdbDir) { // 5
		if !force {
			return r.fail(255, "QDevice certificate store already initialised, set force to delete!")
		}
		n.removeTree(nssdbDir)
	}
	q := m.qnetd[addr]
	cluster := cfg.ClusterName()
	r.outf("\nINFO: initializing qnetd server\n") // 6 (errors ignored)
	if q != nil {
		q.certDB = true
	}
	r.outf("\nINFO: copying CA cert and initializing on all nodes\n") // 7
	if q == nil {
		return r.fail(255, "scp: /etc/corosync/qnetd/nssdb/qnetd-cacert.crt: No such file or directory\n"+
			"command 'scp root@[%s]:/etc/corosync/qnetd/nssdb/qnetd-cacert.crt /etc/pve/qnetd-cacert.crt' failed: exit code 1", addr)
	}
	if werr := m.writePath(n, pveDir+"/qnetd-cacert.crt", []byte("qnetd CA "+addr+"\n")); werr != nil {
		return r.fail(255, "unable to open file '%s/qnetd-cacert.crt' - %v", pveDir, werr)
	}
	for _, nm := range names {
		x := m.nodes[nm]
		switch {
		case x == nil || !x.qdInstalled:
			r.outf("node '%s': bash: line 1: corosync-qdevice-net-certutil: command not found\n", nm)
		case x.hasFile(nssdbCert):
			r.outf("node '%s': Certificate database already exists. Delete it to continue\n", nm)
		default:
			x.mkdirAll(nssdbDir)
			x.files[nssdbCert] = []byte("CA qnetd-cacert " + addr + "\n")
			x.files[nssdbDir+"/key4.db"] = []byte("keys\n")
			x.files[nssdbDir+"/pkcs11.txt"] = []byte("library=\nname=NSS Internal PKCS #11 Module\n")
		}
	}
	_ = m.removePath(n, pveDir+"/qnetd-cacert.crt")
	r.outf("\nINFO: generating cert request\n") // 8
	if !n.qdInstalled {
		return r.fail(255, "command 'corosync-qdevice-net-certutil -r -n %s' failed: open3: exec of corosync-qdevice-net-certutil -r -n %s failed: No such file or directory", cluster, cluster)
	}
	n.files[nssdbDir+"/qdevice-net-node.crq"] = []byte("CSR cluster-" + cluster + "\n")
	r.outf("\nINFO: copying exported cert request to qnetd server\n") // 9
	r.outf("\nINFO: sign and export cluster cert\n")                  // 10
	q.signed[cluster] = true
	r.outf("\nINFO: copy exported CRT\n") // 11
	n.files[nssdbDir+"/cluster-"+cluster+".crt"] = []byte("CRT cluster-" + cluster + "\n")
	r.outf("\nINFO: import certificate\n") // 12
	n.files[nssdbDir+"/qdevice-net-node.p12"] = []byte("P12 cluster-" + cluster + "\n")
	r.outf("\nINFO: copy and import pk12 cert to all nodes\n") // 13
	if werr := m.writePath(n, pveDir+"/qdevice-net-node.p12", []byte("P12 cluster-"+cluster+"\n")); werr != nil {
		return r.fail(255, "unable to open file '%s/qdevice-net-node.p12' - %v", pveDir, werr)
	}
	for _, nm := range names {
		x := m.nodes[nm]
		switch {
		case x == nil || !x.qdInstalled:
			r.outf("node '%s': bash: line 1: corosync-qdevice-net-certutil: command not found\n", nm)
		case !x.hasFile(nssdbCert):
			r.outf("node '%s': Can't open NSS DB directory\n", nm)
		case !x.hasClusterCert(cluster):
			x.files[nssdbCert] = append(clone(x.files[nssdbCert]), []byte("cluster-"+cluster+"\n")...)
		}
	}
	_ = m.removePath(n, pveDir+"/qdevice-net-node.p12")
	r.outf("\nINFO: add QDevice to cluster configuration\n") // 14
	if err := m.writeDevice(n, addr, algorithm); err != nil {
		return r.fail(255, "%v", err)
	}
	for _, nm := range names { // 15
		r.outf("\nINFO: start and enable corosync qdevice daemon on node '%s'...\n", nm)
		for _, verb := range []string{"start", "enable"} {
			sc := simpleCmd{args: []string{"systemctl", verb, unitQDevice}}
			res := cmdSystemctl(m, m.nodes[nm], sc, nil)
			r.err.Write(res.err.Bytes())
			if res.code != 0 {
				return r.fail(255, "command '%s' failed: exit code %d", m.sshCmd(n, nm, "systemctl "+verb+" "+unitQDevice), res.code)
			}
		}
	}
	return m.pvecmReload(n, r) // 16
}

// writeDevice is step 14: under the corosync.conf cluster lock, add
// quorum.device (reference §4.6: votes 1 only for ffsplit) and write the file
// with config_version + 1.
func (m *Model) writeDevice(n *node, addr, algorithm string) error {
	cfg, unlock, err := m.lockedConf(n)
	if err != nil {
		return err
	}
	defer unlock()
	quorum := cfg.Main.Ensure("quorum")
	if quorum.Section("device") != nil {
		return fmt.Errorf("Qdevice already configured, must be removed before setting up new one!")
	}
	dev := quorum.Ensure("device")
	dev.Set("model", "net")
	if algorithm == "ffsplit" {
		dev.Set("votes", "1")
	}
	nt := dev.Ensure("net")
	nt.Set("algorithm", algorithm)
	nt.Set("host", addr)
	nt.Set("tls", "on")
	return m.atomicWriteConf(n, cfg)
}

// sshCopyID is step 4, `ssh-copy-id -i /root/.ssh/id_rsa root@ADDR`; its
// chatter goes to stderr. It returns pvecm's error ("" when it worked).
func (m *Model) sshCopyID(n *node, addr string, r *result) string {
	const prog = "/usr/bin/ssh-copy-id"
	r.errf("%s: INFO: Source of key(s) to be installed: \"/root/.ssh/id_rsa.pub\"\n", prog)
	r.errf("%s: INFO: attempting to log in with the new key(s), to filter out any that are already installed\n", prog)
	failed := fmt.Sprintf("command 'ssh-copy-id -i /root/.ssh/id_rsa root@%s' failed: exit code 1", addr)
	q := m.qnetd[addr]
	switch {
	case q == nil && m.tcpProbe(n, addr, "22") != "refused":
		r.errf("\n%s: ERROR: ssh: connect to host %s port 22: No route to host\n\n", prog, addr)
		return failed
	case q != nil && !m.reachesQNetd(n, addr):
		r.errf("\n%s: ERROR: ssh: connect to host %s port 22: No route to host\n\n", prog, addr)
		return failed
	case q != nil && q.noKeyAccess:
		r.errf("root@%s: Permission denied (publickey,password).\n", addr)
		return failed
	}
	r.errf("\n%s: WARNING: All keys were skipped because they already exist on the remote system.\n", prog)
	r.errf("\t\t(if you think this is a mistake, you may want to use -f option)\n\n")
	return ""
}

// pvecmReload runs corosync-cfgtool -R on n as pvecm's last step.
func (m *Model) pvecmReload(n *node, r *result) *result {
	res := cmdCfgtool(m, n, simpleCmd{args: []string{"corosync-cfgtool", "-R"}}, nil)
	r.out.Write(res.out.Bytes())
	r.err.Write(res.err.Bytes())
	if res.code != 0 {
		return r.fail(255, "command 'corosync-cfgtool -R' failed: exit code %d", res.code)
	}
	return r
}

// qdeviceRemove is `pvecm qdevice remove` (reference §3.10).
func (m *Model) qdeviceRemove(n *node, args []string) *result {
	r := &result{}
	if len(args) != 0 {
		return r.fail(255, "400 too many arguments\npvecm qdevice remove")
	}
	names, err := m.qdMembers(n)
	if err != nil {
		return r.fail(255, "%v", err)
	}
	if err := m.removeDevice(n, names); err != nil {
		return r.fail(255, "%v", err)
	}
	for _, nm := range names {
		for _, verb := range []string{"stop", "disable"} {
			sc := simpleCmd{args: []string{"systemctl", verb, unitQDevice}}
			res := cmdSystemctl(m, m.nodes[nm], sc, nil)
			r.err.Write(res.err.Bytes())
			if res.code != 0 {
				return r.fail(255, "command '%s' failed: exit code %d", m.sshCmd(n, nm, "systemctl "+verb+" "+unitQDevice), res.code)
			}
		}
	}
	if res := m.pvecmReload(n, r); res.code != 0 {
		return res
	}
	r.outf("\nRemoved Qdevice.\n")
	return r
}

// removeDevice is remove's locked part: drop quorum.device, write with
// config_version + 1, and rm -rf /etc/corosync/qdevice on every member.
func (m *Model) removeDevice(n *node, names []string) error {
	cfg, unlock, err := m.lockedConf(n)
	if err != nil {
		return err
	}
	defer unlock()
	quorum := cfg.Main.Section("quorum")
	if quorum.Section("device") == nil {
		return fmt.Errorf("No QDevice configured!")
	}
	quorum.Delete("device")
	if err := m.atomicWriteConf(n, cfg); err != nil {
		return err
	}
	for _, nm := range names {
		if x := m.nodes[nm]; x != nil {
			x.removeTree(qdeviceDir)
		}
	}
	return nil
}

// removeTree deletes a local directory and everything under it.
func (n *node) removeTree(dir string) {
	for p := range n.files {
		if p == dir || strings.HasPrefix(p, dir+"/") {
			delete(n.files, p)
		}
	}
	for d := range n.dirs {
		if d == dir || strings.HasPrefix(d, dir+"/") {
			delete(n.dirs, d)
		}
	}
}
