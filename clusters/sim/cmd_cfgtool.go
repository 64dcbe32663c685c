package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// cmdCfgtool: corosync-cfgtool -R | -s | -n | -k ID (reference §7.6, lab §1).
func cmdCfgtool(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	opts, vals, _, err := getopt(c.args[1:], "kai")
	if err != nil {
		return r.fail(1, "corosync-cfgtool: %v", err)
	}
	switch {
	case has(opts, 'R'):
		r.outf("Reloading corosync.conf...\n")
		if n.cs == nil {
			return r.fail(1, "Could not initialize corosync configuration API error CS_ERR_LIBRARY")
		}
		// corosync 3.1.7 returns the cs_error (7) on a rejected reload
		// (lab §1a); 3.1.9+ would exit 0 (reference §7.6).
		if rc := m.reload(n); rc != 0 {
			return r.fail(rc, "Could not reload configuration. Error CS_ERR_INVALID_PARAM")
		}
		r.outf("Done\n")
		return r
	case has(opts, 'k'):
		id, err := strconv.Atoi(vals['k'])
		if err != nil {
			return r.fail(1, "Invalid nodeid '%s'", vals['k'])
		}
		r.outf("Killing node %d\n", id)
		if n.cs == nil {
			return r.fail(1, "Could not initialize corosync configuration API error 2")
		}
		for _, x := range m.partitionOf(n) {
			if x.nodeID() == id {
				m.killCorosync(x, n.nodeID())
				m.settle()
				return r
			}
		}
		return r.fail(1, "Could not kill node (error = CS_ERR_NOT_EXIST)")
	case has(opts, 's'), has(opts, 'n'):
		if n.cs == nil {
			return r.fail(1, "Could not initialize corosync configuration API error 2")
		}
		if has(opts, 'n') {
			r.out.WriteString(m.nodeStatusText(n))
		} else {
			r.out.WriteString(m.linkStatusText(n))
		}
		return r
	}
	r.outf("corosync-cfgtool [[-i <interface ip>] [-b] -s] [-R] [-L] [-k nodeid] [-a nodeid] [-h] [-H]\n")
	r.code = 1
	return r
}

// peerNode finds the machine that runs nodeid id in n's runtime view.
func (m *Model) peerNode(n *node, id int) *node {
	e := n.cs.cfg.byID(id)
	if e == nil {
		return nil
	}
	return m.nodes[e.name]
}

// linkStatusText is `corosync-cfgtool -s`: per link the local address and
// each configured nodeid's status on it.
func (m *Model) linkStatusText(n *node) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Local node ID %d, transport %s\n", n.nodeID(), n.cs.cfg.transport)
	for _, l := range sortedLinks(n.cs.bound) {
		fmt.Fprintf(&b, "LINK ID %d udp\n\taddr\t= %s\n\tstatus:\n", l, n.cs.bound[l])
		for _, e := range n.cs.cfg.nodes {
			st := "disconnected"
			if e.id == n.nodeID() {
				st = "localhost"
			} else if peer := m.peerNode(n, e.id); peer != nil && linkUp(n, peer, l) {
				st = "connected"
			}
			fmt.Fprintf(&b, "\t\tnodeid: %10d:\t%s\n", e.id, st)
		}
	}
	return b.String()
}

// nodeStatusText is `corosync-cfgtool -n`: reachable remote nodes only, in
// the lab build's format (no onwire part).
func (m *Model) nodeStatusText(n *node) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Local node ID %d, transport %s\n", n.nodeID(), n.cs.cfg.transport)
	for _, e := range n.cs.cfg.nodes {
		peer := m.peerNode(n, e.id)
		if e.id == n.nodeID() || peer == nil || !connected(n, peer) {
			continue
		}
		fmt.Fprintf(&b, "nodeid: %d reachable\n", e.id)
		for _, l := range sortedLinks(n.cs.bound) {
			if linkUp(n, peer, l) {
				fmt.Fprintf(&b, "   LINK: %d udp (%s->%s) enabled connected mtu: 1397\n", l, n.cs.bound[l], peer.cs.bound[l])
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
