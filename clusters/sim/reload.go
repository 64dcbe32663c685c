package sim

import (
	"fmt"
	"sort"
)

// CS_ERR values as corosync-cfgtool and cmap report them.
const (
	csOK           = 1
	csInvalidParam = 7
)

// reload is `corosync-cfgtool -R` run on origin (reference §8, lab §1): every
// corosync in origin's membership re-reads its own local file and applies it
// all-or-nothing. It returns the tool's exit status, which is origin's own
// result: 0, 7 when origin rejected, 1 when origin's corosync is down.
func (m *Model) reload(origin *node) int {
	if origin.cs == nil {
		return 1
	}
	by := origin.nodeID()
	m.engineNote(origin, "reload")
	rc := 0
	for _, n := range m.partitionOf(origin) {
		m.csLog(n, n.cs.pid, "CFG", fmt.Sprintf("Config reload requested by node %d", by))
		if st := m.reloadNode(n); st != csOK && n == origin {
			rc = st
		}
	}
	m.settle()
	return rc
}

// reloadNode applies n's local file to its runtime config and returns the
// reload status it stores in config.reload_status.
func (m *Model) reloadNode(n *node) int {
	p := n.cs
	nc, err := parseRuntime(n.files[localConf])
	if err != nil {
		m.csLog(n, p.pid, "CFG", "Unable to reload config file: "+err.Error())
		p.reloadStatus = csInvalidParam
		return p.reloadStatus
	}
	// check_things_have_not_changed: an existing node's address on an
	// existing link may not change (§8.2). Nothing is applied then.
	own := ownEntry(p.cfg, n)
	rejected := false
	for _, old := range p.cfg.nodes {
		nw := nc.byID(old.id)
		if nw == nil {
			continue
		}
		for _, l := range old.links() {
			na, ok := nw.addrs[l]
			if !ok || na == old.addrs[l] {
				continue
			}
			rejected = true
			// Every node logs it for every changed address: corosync's
			// check_things_have_not_changed compares all nodes' addresses.
			// Seen on real 3.1.7 in lab/ (TestConformanceReloadRejects-
			// AddressChange); corosync-lab §1(a) reported it on the changed
			// node only.
			m.csLog(n, p.pid, "TOTEM", fmt.Sprintf("new config has different address for link %d (addr changed from %s to %s). Internal value was NOT changed.", l, old.addrs[l], na))
		}
	}
	if rejected {
		m.csLog(n, p.pid, "CFG", "Cannot configure new interface definitions: To reconfigure an interface it must be deleted and recreated. A working interface needs to be available to corosync at all times")
		p.reloadStatus = csInvalidParam
		return p.reloadStatus
	}
	// Keys that cannot change at run time keep their old values (§8.3).
	if nc.clusterName != p.cfg.clusterName {
		m.csLog(n, p.pid, "CFG", "Modified entry 'totem.cluster_name' in corosync.conf cannot be changed at run-time")
		nc.clusterName = p.cfg.clusterName
	}
	if nc.transport != p.cfg.transport {
		m.csLog(n, p.pid, "CFG", "Modified entry 'totem.transport' in corosync.conf cannot be changed at run-time")
		nc.transport = p.cfg.transport
	}
	// votequorum's wait_for_all, last_man_standing, auto_tie_breaker and
	// allow_downscale need a restart (votequorum.5).
	nc.waitForAll, nc.lms, nc.atb, nc.downscale = p.cfg.waitForAll, p.cfg.lms, p.cfg.atb, p.cfg.downscale
	// votequorum re-reads its part after the totem reload; a configuration
	// it refuses keeps the runtime quorum data (two_node with a device,
	// §7.2), while bad device votes only disable qdevice operations (§7.4).
	if nc.vqErr != "" {
		m.csLog(n, p.pid, "VOTEQ", "configuration error: "+nc.vqErr)
		m.csLog(n, p.pid, "VOTEQ", "will continue with current runtime data")
		nc.expected, nc.twoNode = p.cfg.expected, p.cfg.twoNode
		nc.device, nc.devVotes, nc.devErr, nc.vqErr = p.cfg.device, p.cfg.devVotes, p.cfg.devErr, ""
	} else if nc.devErr != "" {
		m.csLog(n, p.pid, "VOTEQ", "configuration error: "+nc.devErr)
		m.csLog(n, p.pid, "VOTEQ", "Qdevice operations disabled until the configuration is fixed")
	}
	for _, nw := range nc.nodes {
		if p.cfg.byID(nw.id) == nil && (own == nil || nw.id != own.id) {
			m.csLog(n, p.pid, "KNET", fmt.Sprintf("host: host: %d (passive) best link: 0 (pri: 1)", nw.id))
			m.csLog(n, p.pid, "KNET", fmt.Sprintf("host: host: %d has no active links", nw.id))
		}
	}
	if newOwn := ownEntry(nc, n); newOwn != nil {
		// Whole links come and go with the node's own addresses (§8.1).
		for l := range p.bound {
			if _, ok := newOwn.addrs[l]; !ok {
				delete(p.bound, l)
			}
		}
		// New links are configured; so is a link this node could not
		// bind before (simplification: real knet keeps the failed link
		// configured and may not retry).
		var added []int
		for l := range newOwn.addrs {
			if _, ok := p.bound[l]; !ok {
				added = append(added, l)
			}
		}
		sort.Ints(added)
		for _, l := range added {
			m.csLog(n, p.pid, "TOTEM", fmt.Sprintf("Configuring link %d", l))
			m.bindLink(n, p, l, newOwn.addrs[l])
		}
	} else if len(nc.nodes) == 0 {
		m.csLog(n, p.pid, "VOTEQ", "configuration error: nodelist or quorum.expected_votes must be configured!")
		m.csLog(n, p.pid, "VOTEQ", "will continue with current runtime data")
	}
	p.cfg = nc
	p.override = 0 // votequorum re-derives expected from the file (§7.3 (a))
	p.reloadStatus = csOK
	return p.reloadStatus
}
