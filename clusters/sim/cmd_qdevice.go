package sim

import (
	"fmt"
	"strings"
)

// sbinTools are the commands the model knows that live in /usr/sbin.
var sbinTools = map[string]bool{
	"corosync-quorumtool": true, "corosync-cmapctl": true, "corosync-cfgtool": true,
	"corosync-qdevice": true, "corosync-qdevice-tool": true, "ip": true,
}

// cmdCommand is bash's `command -v NAME...`: the path of each command found
// (the builtin's name for builtins), exit 1 when the last one is not found,
// silently. corosync-qdevice and its tool exist only where the package is
// installed (reference §3.9 prerequisites).
func cmdCommand(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	if len(c.args) < 3 || c.args[1] != "-v" {
		return r.fail(2, "bash: command: the simulator supports only command -v NAME")
	}
	for _, name := range c.args[2:] {
		r.code = 0
		switch {
		case name == "true" || name == "command":
			r.outf("%s\n", name)
		case name == "corosync-qdevice" || name == "corosync-qdevice-tool":
			if !n.qdInstalled {
				r.code = 1
				continue
			}
			r.outf("/usr/sbin/%s\n", name)
		case sbinTools[name]:
			r.outf("/usr/sbin/%s\n", name)
		case commands[name] != nil:
			r.outf("/usr/bin/%s\n", name)
		default:
			r.code = 1
		}
	}
	return r
}

// cmdQDeviceTool: corosync-qdevice-tool -s, the daemon's status over its
// socket (lab §4, exact layout with tabs). Without the package it is
// "command not found"; without a running daemon it cannot connect to the
// socket (representative wording of the tool's err()).
func cmdQDeviceTool(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	if !n.qdInstalled {
		return r.fail(127, "bash: line 1: %s: command not found", c.args[0])
	}
	opts, _, _, err := getopt(c.args[1:], "")
	if err != nil || !has(opts, 's') {
		return r.fail(1, "usage: corosync-qdevice-tool [-Hhsv] [-p qdevice_ipc_socket_path]")
	}
	if n.qd == nil || n.cs == nil {
		// Exit 3, as corosync-qdevice-tool 3.0.3 (lab, qdevice conformance).
		return r.fail(3, "corosync-qdevice-tool: Can't connect to QDevice socket (is QDevice running?): No such file or directory")
	}
	r.out.WriteString(qdeviceStatusText(n))
	return r
}

// qdeviceStatusText is `corosync-qdevice-tool -s` on a node whose daemon
// runs (lab §4).
func qdeviceStatusText(n *node) string {
	p := n.cs
	d := p.cfg.device
	var b strings.Builder
	b.WriteString("Qdevice information\n-------------------\n")
	fmt.Fprintf(&b, "Model:\t\t\tNet\n")
	fmt.Fprintf(&b, "Node ID:\t\t%d\n", n.nodeID())
	fmt.Fprintf(&b, "Configuration version:\t%d\n", p.cfg.version)
	b.WriteString("Configured node list:\n")
	for i, e := range p.cfg.nodes {
		fmt.Fprintf(&b, "    %d\tNode ID = %d\n", i, e.id)
	}
	ids := make([]string, len(p.members))
	for i, id := range p.members {
		ids[i] = fmt.Sprint(id)
	}
	fmt.Fprintf(&b, "Membership node list:\t%s\n", strings.Join(ids, ", "))
	b.WriteString("\nQdevice-net information\n----------------------\n")
	fmt.Fprintf(&b, "Cluster name:\t\t%s\n", p.cfg.clusterName)
	fmt.Fprintf(&b, "QNetd host:\t\t%s\n", d.hostPort())
	fmt.Fprintf(&b, "Algorithm:\t\t%s\n", d.algorithmName())
	fmt.Fprintf(&b, "Tie-breaker:\t\t%s\n", d.tieBreakerName())
	fmt.Fprintf(&b, "State:\t\t\t%s\n", n.qd.state)
	return b.String()
}
