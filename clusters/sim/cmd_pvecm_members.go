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

// lockedConf is what every pvecm write of corosync.conf starts with: the
// write gate (conf present, quorum), then the cluster lock file-corosync_conf
// (reference §4.3, §6.6). unlock releases the lock.
func (m *Model) lockedConf(n *node) (cfg *corosync.Config, unlock func(), err error) {
	if cfg, err = m.clusterWriteGate(n); err != nil {
		return nil, nil, err
	}
	if err := m.cfsLock(n, confLockID); err != nil {
		return nil, nil, err
	}
	return cfg, func() { m.cfsUnlock(n, confLockID) }, nil
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
// does: mkdir of /etc/pve/priv/lock/<id> (after creating lock/ itself);
// while it is held, an unlock request (utime 0, which deletes an expired
// lock, pmxcfs_lock.go) and mkdir again. The model does not wait: a lock
// still held after one request fails at once with the message real Proxmox
// prints after its 10 s acquire timeout.
func (m *Model) cfsLock(n *node, id string) error {
	_ = m.mkdir(n, lockDir, true)
	d := lockDir + "/" + id
	err := m.mkdir(n, d, false)
	if err != nil && err.err == errExists {
		m.cfsUnlockRequest(n, d)
		err = m.mkdir(n, d, false)
	}
	if err != nil {
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
	cfg, unlock, err := m.lockedConf(n)
	if err != nil {
		return r.fail(255, "%v", err)
	}
	defer unlock()
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

// addnodeReq is what addnode is asked (reference §2.6 parameters); nodeid
// and votes are "" when not given.
type addnodeReq struct {
	name          string
	nodeid, votes string
	force         bool
	newNodeIP     string
	links         map[int]string // link -> address (priority already dropped)
}

// linkAddress is the address of a link property string
// "[address=]ADDR[,priority=P]" (reference §2.11); priority is ignored by
// addnode (§2.6).
func linkAddress(v string) string {
	addr, _, _ := strings.Cut(v, ",")
	return strings.TrimPrefix(addr, "address=")
}

// pvecmAddnode is `pvecm addnode NODE [--nodeid N] [--votes N] [--force 1]
// [--new_node_ip IP] [--linkN ADDR[,priority=P]]` (reference §2.6, §3.3).
func (m *Model) pvecmAddnode(n *node, args []string) *result {
	r := &result{}
	opts, pos := pvecmOpts(args)
	if len(pos) != 1 {
		return r.fail(255, "400 wrong number of arguments\npvecm addnode <node> [OPTIONS]")
	}
	q := addnodeReq{name: pos[0], nodeid: opts["nodeid"], votes: opts["votes"],
		force: opts["force"] == "1", newNodeIP: opts["new_node_ip"], links: map[int]string{}}
	for k, v := range opts {
		if mm := linkOptRE.FindStringSubmatch(k); mm != nil {
			l, _ := strconv.Atoi(mm[1])
			q.links[l] = linkAddress(v)
		}
	}
	out, err := m.addnode(n, q)
	r.out.WriteString(out)
	if err != nil {
		return r.fail(255, "%v", err)
	}
	return r
}

// addnode is the cluster side of a join, run on member n (reference §2.6,
// steps 2-13): quorum, the corosync.conf lock, the duplicate-address and
// link-set checks, the new_node_ip fallback, existing names (force), the
// nodeid choice, nodes/<name>/ (gen_local_dirs), the node section and the
// write with config_version + 1 (which pmxcfs copies and reloads
// everywhere). out is what it prints ("forcing overwrite ..."); errors
// carry Proxmox's text. Not modelled: the join API version check and the
// legacy single-link fallback of apiversion 0, verify_conf, the cluster log.
func (m *Model) addnode(n *node, q addnodeReq) (out string, err error) {
	name, links := q.name, q.links
	cfg, unlock, err := m.lockedConf(n)
	if err != nil {
		return "", err
	}
	defer unlock()
	existing := cfg.Nodes()
	clusterLinks := map[int]bool{}
	for _, e := range existing {
		for l := range e.Addrs {
			clusterLinks[l] = true
		}
	}
	// Duplicate-address check against other nodes (step 5).
	var ls []int
	for l := range links {
		ls = append(ls, l)
	}
	sort.Ints(ls)
	for _, l := range ls {
		for _, e := range existing {
			if e.Name == name {
				continue
			}
			for el := 0; el <= 7; el++ {
				if ea, ok := e.Addrs[el]; ok && ea == links[l] {
					return "", fmt.Errorf("corosync: address '%s' already used on link ring%d_addr by node '%s'", ea, el, e.Name)
				}
			}
		}
	}
	if len(links) > 0 { // step 6
		for l := 0; l <= 7; l++ {
			if clusterLinks[l] && links[l] == "" {
				return "", fmt.Errorf("corosync: link %d exists in cluster config but wasn't specified for new node", l)
			}
			if !clusterLinks[l] && links[l] != "" {
				return "", fmt.Errorf("corosync: link %d specified for new node doesn't exist in cluster config", l)
			}
		}
	} else { // step 7
		if q.newNodeIP == "" {
			return "", fmt.Errorf("no links and no fallback ip (new_node_ip) given, cannot join cluster")
		}
		if len(clusterLinks) != 1 {
			return "", fmt.Errorf("no links given but multiple links found on other nodes, fallback only supported on single-link clusters")
		}
		links = map[int]string{}
		for l := range clusterLinks {
			links[l] = q.newNodeIP
		}
	}
	nodeid, votes := q.nodeid, q.votes
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
		if nodeid != oldID || votes != oldVotes || !q.force {
			return "", fmt.Errorf("can't add existing node '%s'", name)
		}
		out += fmt.Sprintf("forcing overwrite of configured node '%s'\n", name)
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
	// gen_local_dirs (step 11); the peer's own key is already merged.
	for _, sub := range nodeSubdirs {
		if perr := m.mkdir(n, nodesDir+"/"+name+"/"+sub, true); perr != nil {
			return out, fmt.Errorf("unable to create directory '%s' - %v", nodesDir+"/"+name+"/"+sub, perr.err)
		}
	}
	ns := corosync.NewSection()
	ns.Set("name", name)
	ns.Set("nodeid", nodeid)
	if votes != "0" { // quorum_votes only when non-zero (step 10)
		ns.Set("quorum_votes", votes)
	}
	ls = ls[:0]
	for l := range links {
		ls = append(ls, l)
	}
	sort.Ints(ls)
	for _, l := range ls {
		ns.Set(fmt.Sprintf("ring%d_addr", l), links[l])
	}
	nl.SetList("node", append(keep, ns))
	if err := m.atomicWriteConf(n, cfg); err != nil {
		return out, err
	}
	return out, nil
}
