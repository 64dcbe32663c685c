package sim

import (
	"fmt"
	"sort"
	"strings"
)

// qnetdPort is corosync-qnetd's TCP port (reference §3.9 prerequisites).
const qnetdPort = "5403"

// qnetdHost is an external machine running corosync-qnetd (reference §3.9,
// lab §4). It is not a cluster node: it is not in Nodes, has no API, and
// quorate never runs commands on it; nodes reach it over TCP 5403 (the
// qdevice daemons, the reachability probe) and root's SSH (pvecm qdevice
// setup).
type qnetdHost struct {
	ip      string
	powered bool
	cut     bool
	// noKeyAccess is true when the nodes' root keys are not authorized on
	// it (ssh-copy-id would need a password, reference §3.9 step 4).
	noKeyAccess bool
	// certDB is true once corosync-qnetd-certutil -i created its NSS DB.
	certDB bool
	// signed lists the clusters whose certificate requests it signed.
	signed map[string]bool
}

// AddQNetd adds a powered-on qnetd host at ip with corosync-qnetd running
// (its NSS DB not yet initialized, as after installing the package) and the
// nodes' root keys already authorized, so pvecm qdevice setup can run
// unattended. Adding an existing ip replaces the host.
func (m *Model) AddQNetd(ip string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.settled = false
	if m.qnetd == nil {
		m.qnetd = map[string]*qnetdHost{}
	}
	m.qnetd[ip] = &qnetdHost{ip: ip, powered: true, signed: map[string]bool{}}
	m.commit()
}

// QNetdHosts returns the qnetd hosts' addresses, sorted.
func (m *Model) QNetdHosts() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for ip := range m.qnetd {
		out = append(out, ip)
	}
	sort.Strings(out)
	return out
}

// PowerOnQNetd and PowerOffQNetd switch the qnetd host at ip. The qnetd
// host is addressed by its IP and kept apart from PowerOn/PowerOff so that
// Nodes (what simnet serves) lists cluster nodes only. The qdevice daemons
// reconnect at once when it comes back (real ones retry every ~8 s, lab §4).
func (m *Model) PowerOnQNetd(ip string) error {
	return m.setQNetd(ip, func(q *qnetdHost) { q.powered = true })
}

// PowerOffQNetd cuts the qnetd host's power; see PowerOnQNetd.
func (m *Model) PowerOffQNetd(ip string) error {
	return m.setQNetd(ip, func(q *qnetdHost) { q.powered = false })
}

// CutQNetd pulls (cut=true) or replugs the qnetd host's network cable.
func (m *Model) CutQNetd(ip string, cut bool) error {
	return m.setQNetd(ip, func(q *qnetdHost) { q.cut = cut })
}

// SetQNetdKeyAccess says whether the nodes' root keys are authorized on the
// qnetd host (default true). Without it pvecm qdevice setup fails at
// ssh-copy-id, which cannot ask for a password without a terminal.
func (m *Model) SetQNetdKeyAccess(ip string, ok bool) error {
	return m.setQNetd(ip, func(q *qnetdHost) { q.noKeyAccess = !ok })
}

func (m *Model) setQNetd(ip string, f func(*qnetdHost)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.qnetd[ip]
	if q == nil {
		return fmt.Errorf("sim: no qnetd host %q (add it with AddQNetd)", ip)
	}
	m.settled = false
	f(q)
	m.commit()
	return nil
}

// reachesQNetd reports whether node n can open TCP to a running qnetd at
// ip: both powered and neither cable cut.
func (m *Model) reachesQNetd(n *node, ip string) bool {
	q := m.qnetd[ip]
	return q != nil && q.powered && !q.cut && n.powered && !n.cut
}

// tcpProbe is what connecting from n to host:port gives: "ok", "refused"
// (a reachable machine without a listener) or "timeout" (nothing answers:
// powered off, cut, or no such machine; ARP fails silently).
func (m *Model) tcpProbe(n *node, host, port string) string {
	if n.cut {
		return "timeout"
	}
	if q := m.qnetd[host]; q != nil {
		switch {
		case !q.powered || q.cut:
			return "timeout"
		case port == qnetdPort:
			return "ok"
		}
		return "refused"
	}
	for _, x := range m.sortedNodes() {
		if x.ifaces[host] {
			if !x.powered || x.cut {
				return "timeout"
			}
			return "refused" // nodes listen on 22 and 8006, never asked here
		}
	}
	return "timeout"
}

// cmdTimeout: `timeout SECS bash -c '</dev/tcp/HOST/PORT'`, the one form
// clusters.CmdQNetdReachable builds. Exit 0 when the port answers; 124 when
// timeout kills the attempt (silent); 1 when refused, with bash 5.2's two
// lines (measured with bash 5.2.15, Debian 12's: "bash: connect: Connection
// refused" then "bash: /dev/tcp/H/P: Connection refused").
func cmdTimeout(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	a := c.args
	if len(a) != 5 || a[2] != "bash" || a[3] != "-c" || !strings.HasPrefix(a[4], "</dev/tcp/") {
		return r.fail(125, "timeout: the simulator supports only: timeout SECS bash -c '</dev/tcp/HOST/PORT'")
	}
	target := strings.TrimPrefix(a[4], "<")
	hp := strings.Split(strings.TrimPrefix(target, "/dev/tcp/"), "/")
	if len(hp) != 2 {
		return r.fail(1, "bash: %s: No such file or directory", target)
	}
	switch m.tcpProbe(n, hp[0], hp[1]) {
	case "ok":
		return r
	case "refused":
		return r.fail(1, "bash: connect: Connection refused\nbash: %s: Connection refused", target)
	}
	r.code = 124
	return r
}
