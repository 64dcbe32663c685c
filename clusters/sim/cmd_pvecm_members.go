package sim

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/quorate/quorate/state/corosync"
)

// pvecmOpts parses PVE CLI options (--name value, --name=value) and
// positional arguments.
func pvecmOpts(args []string) (opts map[string]string, pos []string) {
	opts = map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			pos = append(pos, a)
			continue
		}
		k := strings.TrimLeft(a, "-")
		if name, v, ok := strings.Cut(k, "="); ok {
			opts[name] = v
			continue
		}
		if i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			opts[k] = args[i+1]
			i++
		} else {
			opts[k] = "1"
		}
	}
	return opts, pos
}

// clusterWriteGate is what addnode and delnode check before touching the
// file: pmxcfs quorum (`cluster not ready - no quorum?`, reference §2.6 step
// 2) and a parsable /etc/pve/corosync.conf.
func (m *Model) clusterWriteGate(n *node) (*corosync.Config, error) {
	raw, err := m.readPath(n, clusterConf)
	if err != nil {
		return nil, fmt.Errorf("Error: Corosync config '%s' does not exist - is this node part of a cluster?", clusterConf)
	}
	if n.cfs == nil || !n.cfs.quorate {
		return nil, fmt.Errorf("cluster not ready - no quorum?")
	}
	return corosync.Parse(raw)
}

// confLockID is the cluster lock of corosync.conf edits (reference §6.6).
const confLockID = "file-corosync_conf"

// cfsLock takes the cluster lock id on n the way PVE::Cluster's cfs_lock
// does: mkdir of /etc/pve/priv/lock/<id> (after creating lock/ itself). The
// model does not wait: a held lock fails at once with the message real
// Proxmox prints after its 10 s acquire timeout.
func (m *Model) cfsLock(n *node, id string) error {
	_ = m.mkdir(n, lockDir, true)
	if err := m.mkdir(n, lockDir+"/"+id, false); err != nil {
		switch err.err {
		case errExists:
			return fmt.Errorf("cfs-lock '%s' error: got lock request timeout", id)
		case errAccess:
			return fmt.Errorf("cfs-lock '%s' error: no quorum!", id)
		}
		return fmt.Errorf("cfs-lock '%s' error: %v", id, err.err)
	}
	return nil
}

// cfsUnlock releases the lock (rmdir); failures are ignored, as Proxmox does.
func (m *Model) cfsUnlock(n *node, id string) { _ = m.rmdir(n, lockDir+"/"+id) }

// atomicWriteConf is Proxmox's atomic_write_conf (reference §4.3): bump
// config_version, write corosync.conf.new, rename it onto corosync.conf.
func (m *Model) atomicWriteConf(n *node, cfg *corosync.Config) error {
	if _, err := cfg.BumpVersion(); err != nil {
		return err
	}
	if err := m.writePath(n, clusterConf+".new", cfg.Bytes()); err != nil {
		return fmt.Errorf("activating corosync.conf.new failed - %v", err)
	}
	if err := m.renamePath(n, clusterConf+".new", clusterConf); err != nil {
		return fmt.Errorf("activating corosync.conf.new failed - %v", err)
	}
	return nil
}

// pvecmDelnode is `pvecm delnode NODE` (reference §2.7, §3.4): under the
// file-corosync_conf cluster lock it drops the node's section, runs
// corosync-cfgtool -k on its nodeid (ignoring failure; a running member is
// killed) and writes the file with config_version + 1. Like the real
// command it leaves /etc/pve/nodes/NODE, the node's SSH keys and
// known_hosts lines, guests, HA and replication entries in place.
func (m *Model) pvecmDelnode(n *node, args []string) *result {
	r := &result{}
	_, pos := pvecmOpts(args)
	if len(pos) != 1 {
		return r.fail(255, "400 wrong number of arguments\npvecm delnode <node>")
	}
	target := pos[0]
	if target == n.spec.Name {
		return r.fail(255, "Cannot delete myself from cluster!")
	}
	cfg, err := m.clusterWriteGate(n)
	if err != nil {
		return r.fail(255, "%v", err)
	}
	if err := m.cfsLock(n, confLockID); err != nil {
		return r.fail(255, "%v", err)
	}
	defer m.cfsUnlock(n, confLockID)
	nl := cfg.Main.Section("nodelist")
	var keep []*corosync.Section
	nodeid := ""
	for _, s := range nl.List("node") {
		name, _ := s.Value("name")
		r0, _ := s.Value("ring0_addr")
		r1, _ := s.Value("ring1_addr")
		if nodeid == "" && (name == target || r0 == target || r1 == target) {
			nodeid, _ = s.Value("nodeid")
			continue
		}
		keep = append(keep, s)
	}
	if nodeid == "" {
		return r.fail(255, "Node/IP: %s is not a known host of the cluster.", target)
	}
	nl.SetList("node", keep)
	// corosync-cfgtool -k, failure ignored.
	k := cmdCfgtool(m, n, simpleCmd{args: []string{"corosync-cfgtool", "-k", nodeid}}, nil)
	r.out.Write(k.out.Bytes())
	r.err.Write(k.err.Bytes())
	if err := m.atomicWriteConf(n, cfg); err != nil {
		return r.fail(255, "%v", err)
	}
	return r
}

var linkOptRE = regexp.MustCompile(`^link([0-7])$`)

// pvecmAddnode is `pvecm addnode NODE [--nodeid N] [--votes N] [--force 1]
// [--new_node_ip IP] [--linkN ADDR[,priority=P]]` (reference §2.6, §3.3).
func (m *Model) pvecmAddnode(n *node, args []string) *result {
	r := &result{}
	opts, pos := pvecmOpts(args)
	if len(pos) != 1 {
		return r.fail(255, "400 wrong number of arguments\npvecm addnode <node> [OPTIONS]")
	}
	name := pos[0]
	cfg, err := m.clusterWriteGate(n)
	if err != nil {
		return r.fail(255, "%v", err)
	}
	if err := m.cfsLock(n, confLockID); err != nil {
		return r.fail(255, "%v", err)
	}
	defer m.cfsUnlock(n, confLockID)
	links := map[int]string{}
	for k, v := range opts {
		if mm := linkOptRE.FindStringSubmatch(k); mm != nil {
			l, _ := strconv.Atoi(mm[1])
			addr, _, _ := strings.Cut(v, ",") // priority is ignored here (§2.6)
			links[l] = strings.TrimPrefix(addr, "address=")
		}
	}
	existing := cfg.Nodes()
	clusterLinks := map[int]bool{}
	for _, e := range existing {
		for l := range e.Addrs {
			clusterLinks[l] = true
		}
	}
	if len(links) == 0 {
		ip := opts["new_node_ip"]
		if ip == "" {
			return r.fail(255, "no links and no fallback ip (new_node_ip) given, cannot join cluster")
		}
		if len(clusterLinks) > 1 {
			return r.fail(255, "no links given but multiple links found on other nodes, fallback only supported on single-link clusters")
		}
		for l := range clusterLinks {
			links[l] = ip
		}
	}
	// Duplicate-address check against other nodes (step 5).
	for l, a := range links {
		for _, e := range existing {
			if e.Name == name {
				continue
			}
			for el, ea := range e.Addrs {
				if ea == a {
					return r.fail(255, "corosync: address '%s' already used on link ring%d_addr by node '%s'", a, el, e.Name)
				}
			}
		}
		if !clusterLinks[l] {
			return r.fail(255, "corosync: link %d specified for new node doesn't exist in cluster config", l)
		}
	}
	for l := range clusterLinks {
		if _, ok := links[l]; !ok {
			return r.fail(255, "corosync: link %d exists in cluster config but wasn't specified for new node", l)
		}
	}
	nodeid, votes := opts["nodeid"], opts["votes"]
	nl := cfg.Main.Section("nodelist")
	var keep []*corosync.Section
	for _, s := range nl.List("node") {
		if v, _ := s.Value("name"); v != name {
			keep = append(keep, s)
			continue
		}
		oldID, _ := s.Value("nodeid")
		oldVotes, _ := s.Value("quorum_votes")
		if nodeid == "" {
			nodeid = oldID
		}
		if votes == "" {
			votes = oldVotes
		}
		if nodeid != oldID || votes != oldVotes || opts["force"] != "1" {
			return r.fail(255, "can't add existing node '%s'", name)
		}
		r.outf("forcing overwrite of configured node '%s'\n", name)
	}
	if nodeid == "" {
		used := map[int]bool{}
		for _, e := range existing {
			used[e.NodeID] = true
		}
		id := 1
		for used[id] {
			id++
		}
		nodeid = strconv.Itoa(id)
	}
	if votes == "" {
		votes = "1"
	}
	ns := corosync.NewSection()
	ns.Set("name", name)
	ns.Set("nodeid", nodeid)
	if votes != "0" { // quorum_votes only when non-zero (step 10)
		ns.Set("quorum_votes", votes)
	}
	var ls []int
	for l := range links {
		ls = append(ls, l)
	}
	sort.Ints(ls)
	for _, l := range ls {
		ns.Set(fmt.Sprintf("ring%d_addr", l), links[l])
	}
	nl.SetList("node", append(keep, ns))
	if err := m.atomicWriteConf(n, cfg); err != nil {
		return r.fail(255, "%v", err)
	}
	return r
}
