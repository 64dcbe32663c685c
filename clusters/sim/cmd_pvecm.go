package sim

import (
	"fmt"
	"strings"

	"github.com/quorate/quorate/state/corosync"
)

// cmdPvecm: pvecm status | nodes | expected N | apiver | delnode | addnode |
// add | qdevice setup|remove (reference §3.3-3.7, §3.11). status, nodes and expected first check that /etc/pve/corosync.conf
// exists, then exec corosync-quorumtool (-siH, -l, -e N) and return its exit
// status.
func cmdPvecm(m *Model, n *node, c simpleCmd, stdin []byte) *result {
	r := &result{}
	if len(c.args) < 2 {
		return r.fail(255, "ERROR: no command specified")
	}
	sub := c.args[1]
	if sub == "apiver" {
		r.outf("1\n")
		return r
	}
	switch sub {
	case "status", "nodes", "expected":
	case "delnode":
		return m.pvecmDelnode(n, c.args[2:])
	case "addnode":
		return m.pvecmAddnode(n, c.args[2:])
	case "add":
		return m.pvecmAdd(n, c.args[2:], stdin)
	case "qdevice":
		return m.pvecmQDevice(n, c.args[2:])
	default:
		return r.fail(255, "ERROR: unknown command 'pvecm %s' (not modelled by the simulator)", sub)
	}
	conf, err := m.readPath(n, clusterConf)
	if err != nil {
		return r.fail(255, "Error: Corosync config '%s' does not exist - is this node part of a cluster?", clusterConf)
	}
	var qt simpleCmd
	switch sub {
	case "status":
		r.out.WriteString(clusterInfoBlock(conf))
		qt = simpleCmd{args: []string{"corosync-quorumtool", "-siH"}}
	case "nodes":
		qt = simpleCmd{args: []string{"corosync-quorumtool", "-l"}}
	case "expected":
		if len(c.args) != 3 {
			return r.fail(255, "400 wrong number of arguments\npvecm expected <expected>")
		}
		qt = simpleCmd{args: []string{"corosync-quorumtool", "-e", c.args[2]}}
	}
	q := cmdQuorumtool(m, n, qt, stdin)
	r.out.Write(q.out.Bytes())
	r.err.Write(q.err.Bytes())
	r.code = q.code
	return r
}

// clusterInfoBlock is the "Cluster information" header of pvecm status, from
// the totem section of /etc/pve/corosync.conf (fallbacks as in pvecm.pm,
// including the "UNKOWN?" spelling). Empty when the file does not parse.
func clusterInfoBlock(raw []byte) string {
	cfg, err := corosync.Parse(raw)
	if err != nil {
		return ""
	}
	t := cfg.Main.Section("totem")
	if t == nil {
		return ""
	}
	get := func(k, def string) string {
		if v, ok := t.Value(k); ok {
			return v
		}
		return def
	}
	var b strings.Builder
	b.WriteString("Cluster information\n-------------------\n")
	line := func(label, v string) { fmt.Fprintf(&b, "%-17s %s\n", label+":", v) }
	line("Name", get("cluster_name", "UNKOWN?"))
	line("Config Version", get("config_version", "-1"))
	line("Transport", get("transport", "knet"))
	line("Secure auth", get("secauth", "off"))
	b.WriteString("\n")
	return b.String()
}
