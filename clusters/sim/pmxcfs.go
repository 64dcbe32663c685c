package sim

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/quorate/quorate/state/corosync"
)

// pveDB is one node's copy of the replicated pmxcfs database
// (/var/lib/pve-cluster/config.db): /etc/pve files and directories by full
// path, a version counter bumped by every write, and the time of the last
// write. /etc/pve itself is the root and always exists; every other entry's
// parent directory is in dirs (pmxcfs_dirs.go keeps that true).
type pveDB struct {
	files   map[string][]byte
	dirs    map[string]time.Time // directory -> mtime (lock expiry, reference §6.6)
	version uint64
	mtime   time.Time
}

// newDB returns an empty DB at version v.
func newDB(v uint64, mtime time.Time) *pveDB {
	return &pveDB{files: map[string][]byte{}, dirs: map[string]time.Time{}, version: v, mtime: mtime}
}

func (d *pveDB) clone() *pveDB {
	c := newDB(d.version, d.mtime)
	for k, v := range d.files {
		c.files[k] = clone(v)
	}
	for k, v := range d.dirs {
		c.dirs[k] = v
	}
	return c
}

func (d *pveDB) equal(o *pveDB) bool {
	if d.version != o.version || len(d.files) != len(o.files) || len(d.dirs) != len(o.dirs) {
		return false
	}
	for k, v := range d.files {
		if ov, ok := o.files[k]; !ok || !bytes.Equal(v, ov) {
			return false
		}
	}
	for k, v := range d.dirs {
		if ov, ok := o.dirs[k]; !ok || !v.Equal(ov) {
			return false
		}
	}
	return true
}

// pmxcfs is a running pve-cluster.service.
type pmxcfs struct {
	pid   int
	local bool     // local mode: no corosync.conf in the DB (reference §5.3)
	cpg   []string // names in its CPG group; nil when not connected
	// quorate is the quorum pmxcfs uses for write access (always true in
	// local mode; reference §6.1, §6.2).
	quorate bool
	// clinfo is the cluster info last read from the local corosync's cmap,
	// kept while corosync is down (what .members and /cluster/status show).
	clinfo *rtConf
}

// Errors of /etc/pve operations, mapped to the shell's messages.
var (
	errNoEnt  = errors.New("No such file or directory")
	errAccess = errors.New("Permission denied")
)

// startPmxcfs starts pve-cluster.service (reference §5.3): without a DB it
// imports /etc/corosync/corosync.conf into a new one (or runs in local mode
// when there is none); with corosync.conf in the DB it runs in cluster mode
// and runs the copy rule once with notify=true.
func (m *Model) startPmxcfs(n *node) {
	if n.cfs != nil || !n.powered {
		return
	}
	m.sdLog(n, unitPVECluster, "Starting "+unitDescription(unitPVECluster)+"...")
	n.cfs = &pmxcfs{pid: m.nextPID()}
	if n.db == nil {
		n.db = newDB(1, m.now())
		if raw, ok := n.files[localConf]; ok {
			n.db.files[clusterConf] = clone(raw)
		}
	}
	if ip := n.spec.HostIP; ip != "" {
		m.cfsLog(n, "main", "notice", fmt.Sprintf("resolved node name '%s' to '%s' for default node IP address", n.spec.Name, ip))
	}
	if len(n.db.files[clusterConf]) == 0 {
		n.cfs.local = true
		n.cfs.quorate = true
	}
	m.sdLog(n, unitPVECluster, "Started "+unitDescription(unitPVECluster)+".")
	n.units[unitPVECluster] = "active"
	if n.cfs.local {
		_ = m.updateNodeFiles(n, false) // ExecStartPost: pvecm updatecerts --silent
	}
	if !n.cfs.local {
		m.copyRule(n, true)
	}
}

// stopPmxcfs is `systemctl stop pve-cluster`: /etc/pve is unmounted.
func (m *Model) stopPmxcfs(n *node) {
	if n.cfs == nil {
		return
	}
	m.sdLog(n, unitPVECluster, "Stopping "+unitDescription(unitPVECluster)+"...")
	m.cfsLog(n, "main", "notice", "teardown filesystem")
	m.cfsLog(n, "main", "notice", "exit proxmox configuration filesystem (0)")
	n.cfs = nil
	m.sdLog(n, unitPVECluster, "pve-cluster.service: Deactivated successfully.")
	m.sdLog(n, unitPVECluster, "Stopped "+unitDescription(unitPVECluster)+".")
	n.units[unitPVECluster] = "inactive"
}

// copyRule is pmxcfs's dcdb_sync_corosync_conf, reference §5.1 steps 1-7.
// With notify (this node originated the change) and a pre-existing local
// file, a write is followed by a cluster-wide reload (the 1 s sleep skipped).
func (m *Model) copyRule(n *node, notify bool) {
	dbConf := n.db.files[clusterConf]
	if len(dbConf) == 0 {
		return // 1
	}
	newV, ok := corosync.VersionOf(dbConf)
	if !ok || newV == 0 {
		m.cfsLog(n, "dcdb", "crit", "unable to parse cluster config_version") // 2
		return
	}
	local, had := n.files[localConf] // 3
	var oldV uint64
	if had {
		oldV, _ = corosync.VersionOf(local)
	}
	if bytes.Equal(local, dbConf) && had {
		return // 4
	}
	if newV < oldV {
		m.cfsLog(n, "dcdb", "crit", "local corosync.conf is newer") // 5
		return
	}
	n.files[localConf] = clone(dbConf) // 6 (equal versions included)
	m.cfsLog(n, "dcdb", "notice", fmt.Sprintf("wrote new corosync config '%s' (version = %d)", localConf, newV))
	if notify && oldV != 0 { // 7
		if rc := m.reload(n); rc != 0 {
			m.cfsLog(n, "dcdb", "crit", fmt.Sprintf("corosync-cfgtool -R failed with exit code %d", rc))
		}
	}
}

// cpgGroup returns the pmxcfs instances n's pmxcfs shares a CPG group with
// (itself included), or nil when it is not connected.
func (m *Model) cpgGroup(n *node) []*node {
	if n.cfs == nil || n.cfs.local || n.cs == nil {
		return nil
	}
	return cpgMembers(m.partitionOf(n))
}

// cpgMembers is the part of a corosync partition whose pmxcfs is in cluster
// mode: one CPG group (nil when none).
func cpgMembers(part []*node) []*node {
	var g []*node
	for _, x := range part {
		if x.cfs != nil && !x.cfs.local {
			g = append(g, x)
		}
	}
	return g
}

// syncPmxcfs updates every pmxcfs's CPG group, cluster info and quorum, given
// the current corosync partitions. A group whose set changed resyncs: the
// member with the highest DB version (ties: later mtime, then lowest nodeid)
// leads and the others' DBs are replaced; then each member runs the copy
// rule with notify=false (§5.1, §6.7).
func (m *Model) syncPmxcfs(parts [][]*node) {
	inPart := make(map[*node]bool, len(m.nodes))
	for _, part := range parts {
		for _, x := range part {
			inPart[x] = true
		}
	}
	for _, n := range m.sortedNodes() {
		if n.cfs == nil {
			continue
		}
		if n.cs != nil {
			n.cfs.clinfo = n.cs.cfg
		}
		q := n.cfs.local || (n.cs != nil && n.cs.quorate)
		if q != n.cfs.quorate {
			if q {
				m.cfsLog(n, "status", "notice", "node has quorum")
			} else {
				m.cfsLog(n, "status", "notice", "node lost quorum")
			}
			n.cfs.quorate = q
		}
		// Not connected: what cpgGroup reports as nil.
		connected := !n.cfs.local && n.cs != nil && inPart[n]
		if !connected && n.cfs.cpg != nil {
			m.cfsLog(n, "dcdb", "crit", "cpg_dispatch failed: 2")
			n.cfs.cpg = nil
		}
	}
	for _, part := range parts {
		g := cpgMembers(part)
		if len(g) == 0 {
			continue
		}
		names := make([]string, len(g))
		for i, x := range g {
			names[i] = x.spec.Name
		}
		want := strings.Join(names, ",")
		changed := false
		for _, x := range g {
			if strings.Join(x.cfs.cpg, ",") != want {
				changed = true
				break
			}
		}
		if changed {
			m.resync(g, names)
		}
	}
}

func (m *Model) resync(g []*node, names []string) {
	leader := g[0]
	for _, x := range g[1:] {
		if x.db.version > leader.db.version || (x.db.version == leader.db.version && x.db.mtime.After(leader.db.mtime)) {
			leader = x
		}
	}
	ids := make([]string, len(g))
	for i, x := range g {
		ids[i] = fmt.Sprintf("%d/%d", x.nodeID(), x.cfs.pid)
	}
	sort.Strings(ids)
	for _, x := range g {
		m.cfsLog(x, "dcdb", "notice", "members: "+strings.Join(ids, ", "))
		m.cfsLog(x, "dcdb", "notice", "starting data syncronisation")
		m.cfsLog(x, "dcdb", "notice", "received sync request (epoch "+fmt.Sprintf("%d/%d/%08X", leader.nodeID(), leader.cfs.pid, m.ringSeq)+")")
		m.cfsLog(x, "dcdb", "notice", fmt.Sprintf("leader is %d/%d", leader.nodeID(), leader.cfs.pid))
		if x != leader && !x.db.equal(leader.db) {
			m.cfsLog(x, "dcdb", "notice", "waiting for updates from leader")
			x.db = leader.db.clone()
			m.cfsLog(x, "dcdb", "notice", fmt.Sprintf("update complete - trying to commit (got %d inode updates)", len(x.db.files)+len(x.db.dirs)))
		} else {
			m.cfsLog(x, "dcdb", "notice", "synced members: "+strings.Join(ids, ", "))
		}
		m.cfsLog(x, "dcdb", "notice", "all data is up to date")
		x.cfs.cpg = names
	}
	for _, x := range g {
		m.copyRule(x, false)
	}
}

// cfsWritable returns nil when n may write /etc/pve: pmxcfs running and
// quorate (reference §6.1).
func (m *Model) cfsWritable(n *node) error {
	if n.cfs == nil {
		return errNoEnt
	}
	if !n.cfs.quorate {
		return errAccess
	}
	return nil
}

// cfsCommit applies a change to n's DB and replicates it to n's CPG group
// (or only n's DB in local mode), then runs the copy rule everywhere when
// corosync.conf was written, created or renamed onto, with notify on n only.
// change returns false when it did nothing.
func (m *Model) cfsCommit(n *node, touchesConf bool, change func(d *pveDB)) {
	group := m.cpgGroup(n)
	if group == nil {
		group = []*node{n}
	}
	version := n.db.version + 1
	now := m.now()
	for _, x := range group {
		change(x.db)
		x.db.version = version
		x.db.mtime = now
	}
	if !touchesConf || n.cfs.local {
		return
	}
	for _, x := range group {
		if x != n {
			m.copyRule(x, false)
		}
	}
	m.copyRule(n, true)
}

// cfsRead reads an /etc/pve path on n: the pmxcfs view when mounted, else
// the bare mount point on local disk.
func (m *Model) cfsRead(n *node, path string) ([]byte, bool) {
	if n.cfs == nil {
		b, ok := n.files[path]
		return b, ok
	}
	b, ok := n.db.files[path]
	return b, ok
}
