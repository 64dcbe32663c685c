package sim

import (
	"fmt"
	"strings"
	"time"
)

// journalLine is one systemd journal entry of the current boot.
type journalLine struct {
	t     time.Time
	unit  string // the unit it belongs to (journalctl -u)
	ident string // syslog identifier: corosync, pmxcfs, systemd
	pid   int
	msg   string
	text  string // format(host of the node it was logged on), rendered once
}

// format renders the line as `journalctl -o short` does:
// "Nov 22 02:04:38 pve3 corosync[1234]:   [CMAP  ] ...".
func (l journalLine) format(host string) string {
	return fmt.Sprintf("%s %s %s[%d]: %s", l.t.Format(time.Stamp), host, l.ident, l.pid, l.msg)
}

func (m *Model) journal(n *node, unit, ident string, pid int, msg string) {
	l := journalLine{t: m.now(), unit: unit, ident: ident, pid: pid, msg: msg}
	// journalctl reads lines far more often than they are written.
	l.text = l.format(n.spec.Name)
	n.journal = append(n.journal, l)
}

// csLog logs a corosync line in its default format `[%6g] %b`: subsystem
// left-justified in 6 columns, after two spaces (reference §5.2).
func (m *Model) csLog(n *node, pid int, subsys, msg string) {
	m.journal(n, unitCorosync, "corosync", pid, fmt.Sprintf("  [%-6s] %s", subsys, msg))
}

// cfsLog logs a pmxcfs line: "[dcdb] crit: local corosync.conf is newer".
func (m *Model) cfsLog(n *node, domain, level, msg string) {
	pid := 0
	if n.cfs != nil {
		pid = n.cfs.pid
	}
	m.journal(n, unitPVECluster, "pmxcfs", pid, fmt.Sprintf("[%s] %s: %s", domain, level, msg))
}

// sdLog logs a systemd line about a unit.
func (m *Model) sdLog(n *node, unit, msg string) {
	m.journal(n, unit, "systemd", 1, msg)
}

// unitDescription is the unit's Description= as systemd prints it.
func unitDescription(unit string) string {
	switch unit {
	case unitCorosync:
		return "corosync.service - Corosync Cluster Engine"
	case unitPVECluster:
		return "pve-cluster.service - The Proxmox VE cluster filesystem"
	case unitQDevice:
		return "corosync-qdevice.service - Corosync Qdevice daemon"
	}
	return unit + ".service"
}

// journalFor returns the unit's lines of this boot, oldest first, at most
// last lines when last > 0.
func (n *node) journalFor(unit string, last int) []string {
	var out []string
	for _, l := range n.journal {
		if l.unit == unit {
			out = append(out, l.text)
		}
	}
	if last > 0 && len(out) > last {
		out = out[len(out)-last:]
	}
	return out
}

// lastCorosyncStart returns the journal lines of corosync since its last
// "Corosync Cluster Engine ... starting up" line.
func (n *node) corosyncSinceStart() []journalLine {
	start := -1
	var lines []journalLine
	for _, l := range n.journal {
		if l.unit == unitCorosync {
			lines = append(lines, l)
		}
	}
	for i, l := range lines {
		if strings.Contains(l.msg, "Corosync Cluster Engine") && strings.Contains(l.msg, "starting up") {
			start = i
		}
	}
	if start < 0 {
		return nil
	}
	return lines[start:]
}
