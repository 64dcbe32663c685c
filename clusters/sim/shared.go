package sim

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/quorate/quorate/state"
)

// Guests, HA and replication (issue #3, removal preconditions; reference §9
// "What removal leaves behind"). They are /etc/pve files, so they replicate
// like everything else; the API reads them back as pmxcfs and the Perl
// side would.

const (
	haDir           = "/etc/pve/ha"
	haResourcesPath = "/etc/pve/ha/resources.cfg"
	haGroupsPath    = "/etc/pve/ha/groups.cfg"
	replicationPath = "/etc/pve/replication.cfg"
)

// guestDirs maps a guest type to its directory under nodes/<name>/.
var guestDirs = map[string]string{"qemu": "qemu-server", "lxc": "lxc"}

// writeShared runs write on the first node (by name) whose pmxcfs is in
// cluster mode and quorate, as one model operation; it fails when there is
// none, as every write to /etc/pve would.
func (m *Model) writeShared(write func(n *node) error) error {
	return m.writeSharedFor("", write)
}

// writeSharedFor is writeShared, except that when the machine named owner is
// standalone (powered, pmxcfs in local mode) the write goes into its own DB:
// its /etc/pve is not the cluster's (reference §6.2).
func (m *Model) writeSharedFor(owner string, write func(n *node) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.settled = false
	defer m.commit()
	m.settle()
	if o := m.nodes[owner]; o != nil && o.powered && o.cfs != nil && o.cfs.local {
		return write(o)
	}
	for _, n := range m.sortedNodes() {
		if n.powered && n.cfs != nil && !n.cfs.local && n.cfs.quorate {
			return write(n)
		}
	}
	return fmt.Errorf("sim: no node with a quorate pmxcfs to write /etc/pve through")
}

// sharedErr words a failed /etc/pve write for the helpers.
func sharedErr(n *node, p string, err error) error {
	return fmt.Errorf("sim: %s: cannot write %s: %v", n.spec.Name, p, err)
}

// AddGuest creates guest vmid of type typ ("qemu" or "lxc") on node name: the
// file /etc/pve/nodes/NAME/qemu-server/VMID.conf (or lxc/VMID.conf), written
// through a quorate node. The VMID must be unused in the cluster. On a
// standalone machine (powered on, pmxcfs in local mode) it goes into the
// machine's own DB, and the VMID must be unused there.
func (m *Model) AddGuest(name string, vmid int, typ string) error {
	sub, ok := guestDirs[typ]
	if !ok {
		return fmt.Errorf("sim: AddGuest: type %q is not qemu or lxc", typ)
	}
	return m.writeSharedFor(name, func(n *node) error {
		for _, g := range m.guests(n) {
			if g.VMID == vmid {
				return fmt.Errorf("sim: AddGuest: VMID %d already exists (%s on %s)", vmid, g.Type, g.Node)
			}
		}
		dir := nodesDir + "/" + name + "/" + sub
		if err := m.mkdir(n, dir, true); err != nil {
			return sharedErr(n, dir, err.err)
		}
		p := fmt.Sprintf("%s/%d.conf", dir, vmid)
		conf := guestConf(typ, vmid, "")
		if err := m.writePath(n, p, []byte(conf)); err != nil {
			return sharedErr(n, p, err)
		}
		return nil
	})
}

// guestConf is a minimal guest config; name "" means vmVMID / ctVMID.
func guestConf(typ string, vmid int, name string) string {
	if typ == "qemu" {
		if name == "" {
			name = fmt.Sprintf("vm%d", vmid)
		}
		return fmt.Sprintf("boot: order=scsi0\ncores: 1\nmemory: 2048\nname: %s\nscsi0: local-lvm:vm-%d-disk-0,size=8G\n", name, vmid)
	}
	if name == "" {
		name = fmt.Sprintf("ct%d", vmid)
	}
	return fmt.Sprintf("arch: amd64\nhostname: %s\nmemory: 512\nostype: debian\nrootfs: local-lvm:vm-%d-disk-0,size=4G\n", name, vmid)
}

// restoreShared writes what a snapshot's Shared records into a DB
// (FromSnapshot): node directories (with the standard layout), the key
// files, guest configs, HA and replication sections. HA group priorities
// are not in a snapshot and are lost.
func restoreShared(d *pveDB, sh *state.Shared) {
	d.mkdirAll(lockDir, d.mtime)
	d.mkdirAll(nodesDir, d.mtime)
	for _, nm := range sh.NodeDirs {
		addNodeLayout(d, nm, d.mtime)
	}
	if sh.AuthorizedKeys.Present {
		d.files[authorizedKeys] = []byte(sh.AuthorizedKeys.Content)
	}
	if sh.KnownHosts.Present {
		d.files[knownHosts] = []byte(sh.KnownHosts.Content)
	}
	for _, g := range sh.Guests {
		if sub, ok := guestDirs[g.Type]; ok {
			dir := fmt.Sprintf("%s/%s/%s", nodesDir, g.Node, sub)
			d.mkdirAll(dir, d.mtime)
			d.files[fmt.Sprintf("%s/%d.conf", dir, g.VMID)] = []byte(guestConf(g.Type, g.VMID, g.Name))
		}
	}
	var res, groups, repl []section
	for _, r := range sh.HAResources {
		typ, id, _ := strings.Cut(r.SID, ":")
		s := section{typ: typ, id: id}
		if r.Group != "" {
			s.props = append(s.props, [2]string{"group", r.Group})
		}
		if r.State != "" && r.State != "started" {
			s.props = append(s.props, [2]string{"state", r.State})
		}
		res = append(res, s)
	}
	for _, g := range sh.HAGroups {
		groups = append(groups, section{typ: "group", id: g.Group, props: [][2]string{{"nodes", strings.Join(g.Nodes, ",")}}})
	}
	for _, j := range sh.Replication {
		repl = append(repl, section{typ: "local", id: j.ID, props: [][2]string{{"target", j.Target}}})
	}
	for p, secs := range map[string][]section{haResourcesPath: res, haGroupsPath: groups, replicationPath: repl} {
		if len(secs) > 0 {
			d.mkdirAll(parentDir(p), d.mtime)
			d.files[p] = formatSections(secs)
		}
	}
}

// appendSection adds a section to a section-config file under /etc/pve,
// refusing a duplicate TYPE: ID.
func (m *Model) appendSection(n *node, p string, s section) error {
	if err := m.mkdir(n, parentDir(p), true); err != nil {
		return sharedErr(n, parentDir(p), err.err)
	}
	raw, _ := m.readPath(n, p)
	secs := parseSections(raw)
	for _, x := range secs {
		if x.typ == s.typ && x.id == s.id {
			return fmt.Errorf("sim: %s already has %s: %s", p, s.typ, s.id)
		}
	}
	if err := m.writePath(n, p, formatSections(append(secs, s))); err != nil {
		return sharedErr(n, p, err)
	}
	return nil
}

// AddHAGroup adds HA group name to /etc/pve/ha/groups.cfg; nodes are
// "NAME" or "NAME:PRIORITY".
func (m *Model) AddHAGroup(name string, nodes ...string) error {
	return m.writeShared(func(n *node) error {
		return m.appendSection(n, haGroupsPath, section{typ: "group", id: name,
			props: [][2]string{{"nodes", strings.Join(nodes, ",")}}})
	})
}

// AddHAResource adds resource sid ("vm:100" or "ct:101") to
// /etc/pve/ha/resources.cfg, in group (none when "").
func (m *Model) AddHAResource(sid, group string) error {
	typ, id, ok := strings.Cut(sid, ":")
	if !ok || (typ != "vm" && typ != "ct") {
		return fmt.Errorf("sim: AddHAResource: SID %q is not vm:VMID or ct:VMID", sid)
	}
	s := section{typ: typ, id: id}
	if group != "" {
		s.props = append(s.props, [2]string{"group", group})
	}
	return m.writeShared(func(n *node) error { return m.appendSection(n, haResourcesPath, s) })
}

var replIDRE = regexp.MustCompile(`^(\d+)-(\d+)$`)

// AddReplication adds storage replication job id ("GUEST-JOBNUM") of guest
// to target to /etc/pve/replication.cfg.
func (m *Model) AddReplication(id string, guest int, target string) error {
	mm := replIDRE.FindStringSubmatch(id)
	if mm == nil || mm[1] != strconv.Itoa(guest) {
		return fmt.Errorf("sim: AddReplication: job ID %q must be %d-N", id, guest)
	}
	return m.writeShared(func(n *node) error {
		return m.appendSection(n, replicationPath, section{typ: "local", id: id,
			props: [][2]string{{"target", target}}})
	})
}

// guestInfo is one guest found under /etc/pve/nodes.
type guestInfo struct {
	VMID int
	Type string // qemu or lxc
	Node string
	Name string
}

var guestConfRE = regexp.MustCompile(`^/etc/pve/nodes/([^/]+)/(qemu-server|lxc)/(\d+)\.conf$`)

// guests is pmxcfs's vmlist as n sees it: every guest config under
// /etc/pve/nodes, by VMID.
func (m *Model) guests(n *node) []guestInfo {
	var out []guestInfo
	for p, raw := range n.db.files {
		mm := guestConfRE.FindStringSubmatch(p)
		if mm == nil {
			continue
		}
		g := guestInfo{Node: mm[1], Type: "qemu"}
		g.VMID, _ = strconv.Atoi(mm[3])
		key := "name"
		if mm[2] == "lxc" {
			g.Type, key = "lxc", "hostname"
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if v, ok := strings.CutPrefix(line, key+": "); ok {
				g.Name = strings.TrimSpace(v)
			}
		}
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].VMID < out[j].VMID })
	return out
}

// apiResources is GET /cluster/resources[?type=vm|node|storage|sdn]: guests
// (status "running" when their node's pmxcfs is in n's group, else
// "unknown"; the model does not run guests) and node entries from n's
// .members. Storage and SDN entries are not modelled.
func (m *Model) apiResources(n *node, form url.Values) (int, []byte) {
	typ := form.Get("type")
	switch typ {
	case "", "vm", "node", "storage", "sdn":
	default:
		return apiError(400, fmt.Sprintf("Parameter verification failed.\ntype: value '%s' does not have a value in the enumeration 'vm, storage, node, sdn'\n", typ))
	}
	out := []map[string]any{}
	online := func(name string) bool { return name == n.spec.Name || n.sees(name) }
	if typ == "" || typ == "vm" {
		for _, g := range m.guests(n) {
			st := "unknown"
			if online(g.Node) {
				st = "running"
			}
			out = append(out, map[string]any{"id": fmt.Sprintf("%s/%d", g.Type, g.VMID), "vmid": g.VMID,
				"type": g.Type, "node": g.Node, "name": g.Name, "status": st, "template": 0})
		}
	}
	if typ == "" || typ == "node" {
		names := []string{n.spec.Name}
		if cl := m.members(n); cl != nil {
			names = names[:0]
			for _, e := range cl.nodes {
				names = append(names, e.name)
			}
		}
		for _, nm := range names {
			st := "offline"
			if online(nm) {
				st = "online"
			}
			out = append(out, map[string]any{"id": "node/" + nm, "type": "node", "node": nm, "status": st, "level": ""})
		}
	}
	return apiReply(out)
}

// readSections parses a section-config file of n's DB (none when absent).
func (m *Model) readSections(n *node, p string) []section {
	raw, _ := m.cfsRead(n, p)
	return parseSections(raw)
}

// apiHAResources is GET /cluster/ha/resources (state defaults to started).
func (m *Model) apiHAResources(n *node, _ url.Values) (int, []byte) {
	out := []map[string]any{}
	for _, s := range m.readSections(n, haResourcesPath) {
		e := map[string]any{"sid": s.typ + ":" + s.id, "type": s.typ, "state": "started"}
		if v := s.get("state"); v != "" {
			e["state"] = v
		}
		if v := s.get("group"); v != "" {
			e["group"] = v
		}
		out = append(out, e)
	}
	return apiReply(out)
}

// apiHAGroups is GET /cluster/ha/groups.
func (m *Model) apiHAGroups(n *node, _ url.Values) (int, []byte) {
	out := []map[string]any{}
	for _, s := range m.readSections(n, haGroupsPath) {
		e := map[string]any{"group": s.id, "type": s.typ, "nodes": s.get("nodes"), "restricted": 0, "nofailback": 0}
		for _, k := range []string{"restricted", "nofailback"} {
			if v, err := strconv.Atoi(s.get(k)); err == nil {
				e[k] = v
			}
		}
		out = append(out, e)
	}
	return apiReply(out)
}

// apiReplication is GET /cluster/replication: guest and jobnum from the job
// ID, source from where the guest is now (omitted when the guest is gone).
func (m *Model) apiReplication(n *node, _ url.Values) (int, []byte) {
	where := map[int]string{}
	for _, g := range m.guests(n) {
		where[g.VMID] = g.Node
	}
	out := []map[string]any{}
	for _, s := range m.readSections(n, replicationPath) {
		mm := replIDRE.FindStringSubmatch(s.id)
		if mm == nil {
			continue
		}
		guest, _ := strconv.Atoi(mm[1])
		job, _ := strconv.Atoi(mm[2])
		e := map[string]any{"id": s.id, "type": s.typ, "guest": guest, "jobnum": job, "target": s.get("target")}
		if src, ok := where[guest]; ok {
			e["source"] = src
		}
		out = append(out, e)
	}
	return apiReply(out)
}

// snapshotShared is state.Shared as a perfect observer reads it from the
// authority's pmxcfs; nil when there is no authority.
func (m *Model) snapshotShared(from *state.Node) *state.Shared {
	if from == nil {
		return nil
	}
	n := m.nodes[from.Name]
	if n == nil || n.cfs == nil {
		return nil
	}
	sh := &state.Shared{From: from.Name, NodeDirs: n.db.list(nodesDir),
		Guests: []state.Guest{}, HAResources: []state.HAResource{}, HAGroups: []state.HAGroup{},
		Replication: []state.ReplicationJob{}}
	if b, ok := n.db.files[authorizedKeys]; ok {
		sh.AuthorizedKeys = state.NewFileCopy(b)
	}
	if b, ok := n.db.files[knownHosts]; ok {
		sh.KnownHosts = state.NewFileCopy(b)
	}
	where := map[int]string{}
	for _, g := range m.guests(n) {
		where[g.VMID] = g.Node
		sh.Guests = append(sh.Guests, state.Guest{VMID: g.VMID, Type: g.Type, Node: g.Node, Name: g.Name})
	}
	for _, s := range m.readSections(n, haResourcesPath) {
		st := s.get("state")
		if st == "" {
			st = "started"
		}
		sh.HAResources = append(sh.HAResources, state.HAResource{SID: s.typ + ":" + s.id, Group: s.get("group"), State: st})
	}
	for _, s := range m.readSections(n, haGroupsPath) {
		g := state.HAGroup{Group: s.id}
		for _, e := range strings.Split(s.get("nodes"), ",") {
			if name, _, _ := strings.Cut(strings.TrimSpace(e), ":"); name != "" {
				g.Nodes = append(g.Nodes, name)
			}
		}
		sh.HAGroups = append(sh.HAGroups, g)
	}
	for _, s := range m.readSections(n, replicationPath) {
		mm := replIDRE.FindStringSubmatch(s.id)
		if mm == nil {
			continue
		}
		guest, _ := strconv.Atoi(mm[1])
		sh.Replication = append(sh.Replication, state.ReplicationJob{ID: s.id, Guest: guest, Target: s.get("target"), Source: where[guest]})
	}
	return sh
}
