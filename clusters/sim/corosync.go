package sim

import (
	"bytes"
	"fmt"
	"sort"
)

// corosyncVersion is the corosync the journal claims to be (the lab's, and
// the PVE 8 line).
const corosyncVersion = "3.1.7"

// corosyncProc is one running corosync: its runtime cmap and its view of the
// membership and votequorum.
type corosyncProc struct {
	pid     int
	cfg     *rtConf
	bound   map[int]string // link -> local address bound at start/reload
	authkey []byte

	// firstSyncDone is set after the first sync with other members; only the
	// first one runs the config_version check (reference §5.2).
	firstSyncDone bool
	members       []int // nodeids of the current membership, ascending
	ring          string

	reloadStatus int // config.reload_status; 0 = key not present yet
	override     int // runtime expected votes from -e; 0 = none (§7.3)
	wfaWaiting   bool
	quorate      bool
	qv           quorumView // last computed votequorum view

	// qdRegistered: a corosync-qdevice registered with this votequorum and
	// did not unregister (a daemon that died keeps it, lab §4); qdCast: the
	// device casts its vote here (qdevice.go computes it in settle).
	qdRegistered bool
	// qdSeen: a device registered here once and its configuration still
	// stands. Real votequorum keeps showing the Qdevice column and the
	// nodeid-0 row (votes 0, "(votes N)") after the local daemon stopped and
	// unregistered (lab, qdevice conformance: "NR" on the stopped node).
	qdSeen bool
	qdCast bool
}

// ownEntry finds the node's own nodelist entry: by name, else by an address
// equal to the host IP (corosync.conf(5) "name").
func ownEntry(c *rtConf, n *node) *rtNode {
	if e := c.byName(n.spec.Name); e != nil {
		return e
	}
	for i := range c.nodes {
		for _, a := range c.nodes[i].addrs {
			if a != "" && a == n.spec.HostIP {
				return &c.nodes[i]
			}
		}
	}
	return nil
}

// startCorosync starts corosync.service. It returns false when the start job
// failed as systemctl reports it (exit status 8 before READY). A start that
// later exits on the CMAP check is a successful start (reference corosync-lab
// §2': systemd sees a clean stop).
func (m *Model) startCorosync(n *node) bool {
	if n.cs != nil || !n.powered {
		return true
	}
	raw, ok := n.files[localConf]
	if !ok {
		m.sdLog(n, unitCorosync, unitDescription(unitCorosync)+" was skipped because of an unmet condition check (ConditionPathExists=/etc/corosync/corosync.conf).")
		n.units[unitCorosync] = "inactive"
		return true
	}
	pid := m.nextPID()
	m.engineNote(n, "start")
	m.sdLog(n, unitCorosync, "Starting "+unitDescription(unitCorosync)+"...")
	m.csLog(n, pid, "MAIN", "Corosync Cluster Engine "+corosyncVersion+" starting up")
	m.csLog(n, pid, "MAIN", "Corosync built-in features: dbus monitoring watchdog augeas systemd xmlconf vqsim nozzle snmp pie relro bindnow")
	fail := func(msg string) bool {
		m.csLog(n, pid, "MAIN", msg)
		m.csLog(n, pid, "MAIN", "Corosync Cluster Engine exiting with status 8 at main.c:1445.")
		m.sdLog(n, unitCorosync, "corosync.service: Main process exited, code=exited, status=8/n/a")
		m.sdLog(n, unitCorosync, "corosync.service: Failed with result 'exit-code'.")
		m.sdLog(n, unitCorosync, "Failed to start "+unitDescription(unitCorosync)+".")
		n.units[unitCorosync] = "failed"
		return false
	}
	cfg, err := parseRuntime(raw)
	if err != nil {
		return fail("parse error in config: " + err.Error())
	}
	own := ownEntry(cfg, n)
	if own == nil {
		return fail("parse error in config: No valid name found for local host")
	}
	if msg := cfg.quorumConfigError(); msg != "" {
		// votequorum refuses its configuration at start (reference §7.2,
		// §7.4): the quorum service engine fails to load. The lines are
		// corosync's pattern for this; the exit status is representative.
		m.csLog(n, pid, "SERV", "Service engine 'corosync_quorum' failed to load for reason 'configuration error: "+msg+"'")
		m.csLog(n, pid, "MAIN", "Corosync Cluster Engine exiting with status 20 at service.c:356.")
		m.sdLog(n, unitCorosync, "corosync.service: Main process exited, code=exited, status=20/n/a")
		m.sdLog(n, unitCorosync, "corosync.service: Failed with result 'exit-code'.")
		m.sdLog(n, unitCorosync, "Failed to start "+unitDescription(unitCorosync)+".")
		n.units[unitCorosync] = "failed"
		return false
	}
	key, hasKey := n.files[authkeyPath]
	if cfg.secauth == "on" && !hasKey {
		return fail("Could not open /etc/corosync/authkey: No such file or directory")
	}
	p := &corosyncProc{pid: pid, cfg: cfg, bound: map[int]string{}, authkey: clone(key), wfaWaiting: cfg.waitForAll}
	m.csLog(n, pid, "TOTEM", "Initializing transport (Kronosnet).")
	for _, l := range own.links() {
		m.bindLink(n, p, l, own.addrs[l])
	}
	m.csLog(n, pid, "MAIN", "Corosync Cluster Engine started and ready to provide service.")
	m.sdLog(n, unitCorosync, "Started "+unitDescription(unitCorosync)+".")
	n.units[unitCorosync] = "active"
	n.cs = p
	return true
}

// bindLink configures link l on addr for the starting or reloading corosync
// p: bound when the machine has the address, else the link stays down on
// this node (knet cannot bind; the line is representative, reference §8,
// lab §1).
func (m *Model) bindLink(n *node, p *corosyncProc, l int, addr string) {
	if !n.ifaces[addr] {
		m.csLog(n, p.pid, "TOTEM", fmt.Sprintf("knet_link_set_config for link %d (local addr %s) failed: cannot bind: Cannot assign requested address", l, addr))
		return
	}
	p.bound[l] = addr
	m.csLog(n, p.pid, "TOTEM", fmt.Sprintf("Configured link number %d: local addr: %s, port=%d", l, addr, 5405+l))
}

// unloadLines is what corosync 3.1.7 logs while it unloads its service
// engines on the way out (corosync-lab §2: the CMAP line ends up ~23 lines
// from the end of the log).
var unloadLines = [][2]string{
	{"SERV", "Unloading all Corosync service engines."},
	{"QB", "withdrawing server sockets"},
	{"SERV", "Service engine unloaded: corosync vote quorum service v1.0"},
	{"QB", "withdrawing server sockets"},
	{"SERV", "Service engine unloaded: corosync configuration map access"},
	{"QB", "withdrawing server sockets"},
	{"SERV", "Service engine unloaded: corosync configuration service"},
	{"QB", "withdrawing server sockets"},
	{"SERV", "Service engine unloaded: corosync cluster closed process group service v1.01"},
	{"QB", "withdrawing server sockets"},
	{"SERV", "Service engine unloaded: corosync cluster quorum service v0.1"},
	{"SERV", "Service engine unloaded: corosync profile loading service"},
	{"SERV", "Service engine unloaded: corosync resource monitoring service"},
	{"SERV", "Service engine unloaded: corosync watchdog service"},
}

// exitCorosync ends the process with a clean exit: unload lines, "exiting
// normally", unit inactive.
func (m *Model) exitCorosync(n *node) {
	p := n.cs
	for _, l := range unloadLines {
		m.csLog(n, p.pid, l[0], l[1])
	}
	for _, peer := range p.cfg.nodes {
		if peer.name != n.spec.Name {
			m.csLog(n, p.pid, "KNET", fmt.Sprintf("host: host: %d (passive) best link: 0 (pri: 0)", peer.id))
			m.csLog(n, p.pid, "KNET", fmt.Sprintf("host: host: %d has no active links", peer.id))
		}
		if len(p.cfg.nodes) > 4 {
			break // keep the tail near the real ~22 lines
		}
	}
	m.csLog(n, p.pid, "MAIN", "Corosync Cluster Engine exiting normally")
	m.sdLog(n, unitCorosync, "corosync.service: Deactivated successfully.")
	n.units[unitCorosync] = "inactive"
	n.cs = nil
}

// stopCorosync is `systemctl stop corosync` (SIGTERM): peers see a clean
// leave at once (corosync-lab §2 "Graceful stop").
func (m *Model) stopCorosync(n *node) {
	if n.cs == nil {
		return
	}
	m.stopQDevice(n) // Requires=corosync.service: stopped first
	m.engineNote(n, "stop")
	m.sdLog(n, unitCorosync, "Stopping "+unitDescription(unitCorosync)+"...")
	m.csLog(n, n.cs.pid, "MAIN", "Node was shut down by a signal")
	m.exitCorosync(n)
	m.sdLog(n, unitCorosync, "Stopped "+unitDescription(unitCorosync)+".")
}

// cmapExit is the stale-node exit of reference §5.2 / corosync-lab §2.
func (m *Model) cmapExit(n *node, received, mine uint64) {
	m.csLog(n, n.cs.pid, "CMAP", fmt.Sprintf("Received config version (%d) is different than my config version (%d)! Exiting", received, mine))
	m.exitCorosync(n)
}

// killCorosync is the target side of `corosync-cfgtool -k` (reference §2.7:
// LAB showed "Killed by node N : Killed by corosync-cfgtool" and exit -1).
func (m *Model) killCorosync(n *node, by int) {
	p := n.cs
	m.engineNote(n, "kill")
	m.csLog(n, p.pid, "CFG", fmt.Sprintf("Killed by node %d : Killed by corosync-cfgtool", by))
	m.sdLog(n, unitCorosync, "corosync.service: Main process exited, code=exited, status=255/EXCEPTION")
	m.sdLog(n, unitCorosync, "corosync.service: Failed with result 'exit-code'.")
	n.units[unitCorosync] = "failed"
	n.cs = nil
}

// linkUp reports whether a and b reach each other on link l: both powered,
// not cut, both bound on l, and each lists the other at the address the
// other bound (reference §10.1). Authkeys must match, else knet drops the
// packets (corosync-lab §2, mismatched authkey).
func linkUp(a, b *node, l int) bool {
	if a == b || a.cs == nil || b.cs == nil || !a.powered || !b.powered || a.cut || b.cut {
		return false
	}
	if !bytes.Equal(a.cs.authkey, b.cs.authkey) {
		return false
	}
	ab, bb := a.cs.bound[l], b.cs.bound[l]
	if ab == "" || bb == "" {
		return false
	}
	ea, eb := ownEntry(a.cs.cfg, a), ownEntry(b.cs.cfg, b)
	if ea == nil || eb == nil {
		return false
	}
	bInA, aInB := a.cs.cfg.byID(eb.id), b.cs.cfg.byID(ea.id)
	return bInA != nil && aInB != nil && bInA.addrs[l] == bb && aInB.addrs[l] == ab
}

// connected reports whether a and b reach each other on some link.
func connected(a, b *node) bool {
	if a.cs == nil || b.cs == nil {
		return false
	}
	for l := range a.cs.bound {
		if linkUp(a, b, l) {
			return true
		}
	}
	return false
}

// nodeID is the node's id in its own running config (0 when not running).
func (n *node) nodeID() int {
	if n.cs == nil {
		return 0
	}
	if e := ownEntry(n.cs.cfg, n); e != nil {
		return e.id
	}
	return 0
}

// partitions returns the connected components of running corosyncs, each
// sorted by nodeid, the list sorted by lowest nodeid.
func (m *Model) partitions() [][]*node {
	var running []*node
	for _, n := range m.sortedNodes() {
		if n.cs != nil && n.powered {
			running = append(running, n)
		}
	}
	seen := map[*node]bool{}
	var parts [][]*node
	for _, start := range running {
		if seen[start] {
			continue
		}
		var part []*node
		queue := []*node{start}
		seen[start] = true
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			part = append(part, cur)
			for _, o := range running {
				if !seen[o] && connected(cur, o) {
					seen[o] = true
					queue = append(queue, o)
				}
			}
		}
		sort.Slice(part, func(i, j int) bool { return part[i].nodeID() < part[j].nodeID() })
		parts = append(parts, part)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i][0].nodeID() < parts[j][0].nodeID() })
	return parts
}

// partitionOf returns n's partition (nil when corosync is not running). A
// settled model answers from the partitions its last settle computed.
func (m *Model) partitionOf(n *node) []*node {
	parts := m.parts
	if !m.settled {
		parts = m.partitions()
	}
	for _, p := range parts {
		for _, x := range p {
			if x == n {
				return p
			}
		}
	}
	return nil
}
