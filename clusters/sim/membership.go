package sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// settle brings every consequence of a change up to date, in the order the
// real daemons would reach it (all instantly; see the package doc):
//  1. corosync memberships: each connected component of running corosyncs
//     whose view changed forms a new ring; a member on its first multi-node
//     sync runs the config_version check and may exit (reference §5.2), which
//     changes the membership again, so this repeats until stable;
//  2. the qdevice daemons (those whose corosync is gone die, qnetd's vote
//     goes to one partition), then votequorum per partition (§7, §7.4);
//  3. pmxcfs CPG groups and their DB sync plus copy rule (§5.1, §6.7).
//
// The partitions are computed once per round: neither forming a ring,
// votequorum nor a pmxcfs resync (whose copy rule never reloads) changes who
// reaches whom, only an exit does. settle records the final partitions in
// m.parts and whether it reached a fixed point in m.stable (see commit).
// Settling a settled model changes nothing and logs nothing.
func (m *Model) settle() {
	var parts [][]*node
	stable := false
	m.reapQDevices()
	for iter := 0; iter < 32; iter++ {
		parts = m.partitions()
		exited := false
		for _, part := range parts {
			if m.formMembership(part) {
				exited = true
			}
		}
		if !exited {
			stable = true
			break
		}
	}
	if !stable {
		parts = m.partitions()
	}
	m.reapQDevices() // a CMAP exit above takes its qdevice daemon along
	m.computeQDeviceVotes(parts)
	for _, part := range parts {
		m.computeQuorum(part)
	}
	m.syncPmxcfs(parts)
	m.parts, m.stable = parts, stable
}

// commit ends an operation that may have changed the model: it settles and,
// when that reached a fixed point, marks the model settled, so that
// read-only commands skip settling (and reuse m.parts) until the next
// change. Every change to what settle reads (power, cable, corosync or
// pve-cluster start/stop/reload/kill, -e, files, DB) happens inside an
// operation that first clears m.settled and ends with commit.
func (m *Model) commit() {
	m.settle()
	m.settled = m.stable
}

// settleIfNeeded settles unless the model is known to be settled.
func (m *Model) settleIfNeeded() {
	if !m.settled {
		m.settle()
	}
}

// formMembership forms a new ring for part when any member's view differs
// from it. It reports whether a member exited on the CMAP check.
func (m *Model) formMembership(part []*node) bool {
	ids := make([]int, len(part))
	changed := false
	for i, n := range part {
		ids[i] = n.nodeID()
	}
	for _, n := range part {
		if !equalInts(n.cs.members, ids) {
			changed = true
		}
	}
	if !changed {
		return false
	}
	m.ringSeq += 4
	ring := fmt.Sprintf("%x.%x", ids[0], m.ringSeq)
	var highest uint64
	for _, n := range part {
		if v := n.cs.cfg.version; v > highest {
			highest = v
		}
	}
	exited := false
	for _, n := range part {
		p := n.cs
		joined, left := diffInts(p.members, ids)
		m.csLog(n, p.pid, "QUORUM", fmt.Sprintf("Sync members[%d]: %s", len(ids), joinInts(ids)))
		if len(joined) > 0 {
			m.csLog(n, p.pid, "QUORUM", fmt.Sprintf("Sync joined[%d]: %s", len(joined), joinInts(joined)))
		}
		if len(left) > 0 {
			m.csLog(n, p.pid, "QUORUM", fmt.Sprintf("Sync left[%d]: %s", len(left), joinInts(left)))
		}
		msg := fmt.Sprintf("A new membership (%s) was formed.", ring)
		switch {
		case len(joined) > 0 && len(left) > 0:
			msg += fmt.Sprintf(" Members joined: %s left: %s", joinInts(joined), joinInts(left))
		case len(joined) > 0:
			msg += " Members joined: " + joinInts(joined)
		case len(left) > 0:
			msg += " Members left: " + joinInts(left)
		}
		m.csLog(n, p.pid, "TOTEM", msg)
		p.members = ids
		p.ring = ring
		// cmap_sync_activate: only on the first sync that has other members,
		// only with a non-zero own version, and only a higher received
		// version differs from the own one (reference §5.2, lab 1g/1h).
		if len(part) > 1 && !p.firstSyncDone {
			p.firstSyncDone = true
			if p.cfg.version != 0 && highest != p.cfg.version {
				m.cmapExit(n, highest, p.cfg.version)
				exited = true
				continue
			}
		}
		m.csLog(n, p.pid, "QUORUM", fmt.Sprintf("Members[%d]: %s", len(ids), joinInts(ids)))
		m.csLog(n, p.pid, "MAIN", "Completed service synchronization, ready to provide service.")
	}
	return exited
}

func equalInts(a, b []int) bool { return slices.Equal(a, b) }

// diffInts returns what is in now but not before (joined) and the reverse.
func diffInts(before, now []int) (joined, left []int) {
	in := func(s []int, v int) bool {
		for _, x := range s {
			if x == v {
				return true
			}
		}
		return false
	}
	for _, v := range now {
		if !in(before, v) {
			joined = append(joined, v)
		}
	}
	for _, v := range before {
		if !in(now, v) {
			left = append(left, v)
		}
	}
	return joined, left
}

func joinInts(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, " ")
}
