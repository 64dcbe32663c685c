package sim

import (
	"bytes"
	"fmt"
	"sort"
)

// corosync-qdevice on the nodes (reference §3.9, §7.4, §7.5, lab §4).
//
// The daemon registers with the local votequorum when it starts, then
// connects to qnetd over TCP 5403 (TLS with the client NSS DB unless
// tls: off). qnetd gives the vote to one partition: the one with the most
// members among those with a connected node; on a tie the tie_breaker
// partition (lowest/highest nodeid, or the one holding that nodeid). Every
// connected node of that partition casts the device's votes into its own
// votequorum; the others do not (lab §4 split: pve1 "A,V", pve2 "A,NV").
// ffsplit and lms differ here only in the device's votes (1 vs N−1, §7.4).

const (
	qdeviceBin = "/usr/sbin/corosync-qdevice"
	qdeviceDir = "/etc/corosync/qdevice"
	// nssdbDir is the client NSS DB (reference §7.5); the model keeps its
	// certificates as lines of text in nssdbCert.
	nssdbDir  = qdeviceDir + "/net/nssdb"
	nssdbCert = nssdbDir + "/cert9.db"
)

// qdeviceProc is a running corosync-qdevice daemon.
type qdeviceProc struct {
	pid   int
	state string // "Connected" or "Connect failed" (corosync-qdevice-tool -s)
}

// SetQDeviceInstalled installs or removes the corosync-qdevice package on a
// node (installed by default, NodeSpec.WithoutQDevice). Removing it stops
// and disables the daemon; the NSS DB under /etc/corosync/qdevice stays, as
// with apt remove (not purge).
func (m *Model) SetQDeviceInstalled(node string, installed bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(node)
	if err != nil {
		return err
	}
	m.settled = false
	if !installed {
		m.stopQDevice(n)
		n.qdEnabled = false
		n.units[unitQDevice] = "inactive"
	}
	n.qdInstalled = installed
	m.commit()
	return nil
}

// qdLog logs a corosync-qdevice line in the daemon's journal unit.
func (m *Model) qdLog(n *node, pid int, msg string) {
	m.journal(n, unitQDevice, "corosync-qdevice", pid, msg)
}

// bootQDevice starts an enabled daemon at boot, after corosync
// (After=/Requires=corosync.service): without a running corosync the job
// fails as a dependency.
func (m *Model) bootQDevice(n *node) {
	if !n.qdEnabled || !n.qdInstalled {
		return
	}
	if n.cs == nil {
		m.sdLog(n, unitQDevice, "Dependency failed for "+unitDescription(unitQDevice)+".")
		return
	}
	m.startQDevice(n)
}

// startQDevice is `systemctl start corosync-qdevice` on a node that has the
// package. Requires=corosync.service: corosync is started first. It returns
// the systemctl error text ("" on success). A daemon that exits before
// READY (Type=notify) fails the job; one that could not open its NSS DB has
// already registered and leaves the registration behind (lab §4: members
// show NA,NV,NMW, the device still counts in expected votes).
func (m *Model) startQDevice(n *node) string {
	if n.qd != nil {
		return ""
	}
	if n.cs == nil {
		if !m.startCorosync(n) || n.cs == nil {
			m.sdLog(n, unitQDevice, "Dependency failed for "+unitDescription(unitQDevice)+".")
			return "A dependency job for corosync-qdevice.service failed. See 'journalctl -xe' for details."
		}
		m.settle()
		if n.cs == nil { // exited on the CMAP check
			m.sdLog(n, unitQDevice, "Dependency failed for "+unitDescription(unitQDevice)+".")
			return "A dependency job for corosync-qdevice.service failed. See 'journalctl -xe' for details."
		}
	}
	pid := m.nextPID()
	m.sdLog(n, unitQDevice, "Starting "+unitDescription(unitQDevice)+"...")
	fail := func(msg string) string {
		m.qdLog(n, pid, msg)
		m.sdLog(n, unitQDevice, "corosync-qdevice.service: Main process exited, code=exited, status=1/FAILURE")
		m.sdLog(n, unitQDevice, "corosync-qdevice.service: Failed with result 'exit-code'.")
		m.sdLog(n, unitQDevice, "Failed to start "+unitDescription(unitQDevice)+".")
		n.units[unitQDevice] = "failed"
		return "Job for corosync-qdevice.service failed because the control process exited with error code.\n" +
			"See \"systemctl status corosync-qdevice.service\" and \"journalctl -xeu corosync-qdevice.service\" for details."
	}
	p := n.cs
	switch {
	case p.cfg.device == nil:
		return fail("Can't read quorum.device.model cmap key.")
	case !p.cfg.deviceUsable():
		return fail("Can't register votequorum device. Error CS_ERR_INVALID_PARAM")
	}
	p.qdRegistered, p.qdSeen = true, true
	if p.cfg.device.tls != "off" && !n.hasFile(nssdbCert) {
		return fail("Can't init nss (-8174): security library: bad database.")
	}
	n.qd = &qdeviceProc{pid: pid, state: "Connect failed"}
	n.units[unitQDevice] = "active"
	m.sdLog(n, unitQDevice, "Started "+unitDescription(unitQDevice)+".")
	return ""
}

// stopQDevice is `systemctl stop corosync-qdevice`: the daemon unregisters
// and exits. A failed unit stays failed (systemd keeps the result until
// reset-failed or the next start).
func (m *Model) stopQDevice(n *node) {
	if n.qd == nil {
		return
	}
	m.sdLog(n, unitQDevice, "Stopping "+unitDescription(unitQDevice)+"...")
	if n.cs != nil {
		n.cs.qdRegistered = false
	}
	n.qd = nil
	n.units[unitQDevice] = "inactive"
	m.sdLog(n, unitQDevice, "corosync-qdevice.service: Deactivated successfully.")
	m.sdLog(n, unitQDevice, "Stopped "+unitDescription(unitQDevice)+".")
}

// hasFile reports whether a local file exists.
func (n *node) hasFile(p string) bool { _, ok := n.files[p]; return ok }

// hasClusterCert: the client NSS DB holds the cluster's certificate
// (imported from the p12, reference §3.9 step 13).
func (n *node) hasClusterCert(cluster string) bool {
	return bytes.Contains(n.files[nssdbCert], []byte("cluster-"+cluster+"\n"))
}

// reapQDevices runs at the start of settle: a daemon whose corosync is gone
// dies with it (unit failed); a registration whose device left the runtime
// config (a reload without quorum.device) is dropped and the daemon exits
// cleanly.
func (m *Model) reapQDevices() {
	for _, n := range m.sortedNodes() {
		if n.qd != nil && n.cs == nil {
			m.qdLog(n, n.qd.pid, "Connection with corosync lost. Exiting.")
			m.sdLog(n, unitQDevice, "corosync-qdevice.service: Main process exited, code=exited, status=1/FAILURE")
			m.sdLog(n, unitQDevice, "corosync-qdevice.service: Failed with result 'exit-code'.")
			n.units[unitQDevice] = "failed"
			n.qd = nil
		}
		if p := n.cs; p != nil && (p.qdRegistered || p.qdSeen) && !p.cfg.deviceUsable() {
			p.qdRegistered, p.qdSeen = false, false
			if n.qd != nil {
				m.qdLog(n, n.qd.pid, "QDevice model removed from configuration. Exiting.")
				m.sdLog(n, unitQDevice, "corosync-qdevice.service: Deactivated successfully.")
				n.units[unitQDevice] = "inactive"
				n.qd = nil
			}
		}
	}
}

// qdConnected reports whether n's daemon holds a connection to its qnetd:
// running and registered, the qnetd host reachable and, with TLS, the
// client certificate present and signed by that qnetd (reference §3.9).
func (m *Model) qdConnected(n *node) bool {
	p := n.cs
	if n.qd == nil || p == nil || !p.qdRegistered || !p.cfg.deviceUsable() {
		return false
	}
	d := p.cfg.device
	if d.port != 5403 || !m.reachesQNetd(n, d.host) {
		return false
	}
	if d.tls == "off" {
		return true
	}
	q := m.qnetd[d.host]
	return q.certDB && q.signed[p.cfg.clusterName] && n.hasClusterCert(p.cfg.clusterName)
}

// qdCand is one partition with the nodes in it that are connected to a
// given qnetd.
type qdCand struct {
	part []*node
	conn []*node
}

// computeQDeviceVotes decides, per qnetd and cluster, which partition's
// connected nodes cast the device vote (see the comment at the top).
func (m *Model) computeQDeviceVotes(parts [][]*node) {
	byKey := map[string][]*qdCand{}
	var keys []string
	for _, part := range parts {
		per := map[string]*qdCand{}
		for _, n := range part {
			n.cs.qdCast = false
			ok := m.qdConnected(n)
			if n.qd != nil {
				n.qd.state = "Connect failed"
				if ok {
					n.qd.state = "Connected"
				}
			}
			if !ok {
				continue
			}
			key := n.cs.cfg.device.host + "/" + n.cs.cfg.clusterName
			c := per[key]
			if c == nil {
				c = &qdCand{part: part}
				per[key] = c
				if byKey[key] == nil {
					keys = append(keys, key)
				}
				byKey[key] = append(byKey[key], c)
			}
			c.conn = append(c.conn, n)
		}
	}
	sort.Strings(keys)
	for _, key := range keys {
		cands := byKey[key]
		best := 0
		for _, c := range cands {
			best = max(best, len(c.part))
		}
		var tied []*qdCand
		for _, c := range cands {
			if len(c.part) == best {
				tied = append(tied, c)
			}
		}
		win := tieBreak(tied, cands[0].conn[0].cs.cfg.device.tieBreaker)
		for _, n := range win.conn {
			n.cs.qdCast = true
		}
	}
}

// tieBreak picks among equally large partitions by tie_breaker: lowest,
// highest, or a nodeid (reference §7.5); a nodeid in none of them falls back
// to lowest. Partitions are sorted by nodeid, so part[0] is the lowest.
func tieBreak(tied []*qdCand, tb string) *qdCand {
	win := tied[0]
	for _, c := range tied[1:] {
		switch tb {
		case "highest":
			if c.part[len(c.part)-1].nodeID() > win.part[len(win.part)-1].nodeID() {
				win = c
			}
		default:
			if c.part[0].nodeID() < win.part[0].nodeID() {
				win = c
			}
		}
	}
	if tb == "lowest" || tb == "highest" {
		return win
	}
	for _, c := range tied {
		for _, n := range c.part {
			if fmt.Sprint(n.nodeID()) == tb {
				return c
			}
		}
	}
	return win
}
