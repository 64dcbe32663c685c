package lab

import (
	"fmt"
	"strings"

	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/state/corosync"
)

// Links are the lab's corosync links: link 0 only, on the lab bridge.
var Links = []corosync.Interface{{Number: 0}}

// Conf returns the lab's corosync.conf at config_version version: the
// Proxmox layout of `pvecm create` plus addnode for all nodes
// (sim.BuildConf, reference §4.5), with the logging block extended by
// to_logfile, logfile (LogPath) and timestamp: hires so each node's log is a
// file in its directory (corosync-lab.md). The bytes are the same for every
// node, as on a Proxmox cluster.
func (l *Lab) Conf(version uint64) []byte {
	return l.confOf(version, l.Specs())
}

// ConfOf is Conf with only the named nodes in the nodelist (in nodeid
// order, whatever order they are given in): the file of a cluster that does
// not yet, or no longer, include the lab's other nodes, whose namespaces
// exist all the same (reference §2.6: a node is added to the nodelist by
// reload before it runs). Unknown names are an error, as is an empty list.
func (l *Lab) ConfOf(version uint64, nodes ...string) ([]byte, error) {
	want := map[string]bool{}
	for _, nm := range nodes {
		if l.nodes[nm] == nil {
			return nil, fmt.Errorf("lab %s: ConfOf: no node %q (nodes: %s)", l.ID, nm, strings.Join(l.names, ", "))
		}
		want[nm] = true
	}
	if len(want) == 0 {
		return nil, fmt.Errorf("lab %s: ConfOf needs at least one node", l.ID)
	}
	var specs []sim.NodeSpec
	for _, s := range l.Specs() {
		if want[s.Name] {
			specs = append(specs, s)
		}
	}
	return l.confOf(version, specs), nil
}

func (l *Lab) confOf(version uint64, specs []sim.NodeSpec) []byte {
	b, err := WithLogfile(sim.BuildConf(l.cluster, Links, specs, version))
	if err != nil {
		// BuildConf's output always parses; a failure is a bug in one of them.
		panic(fmt.Sprintf("lab: sim.BuildConf output does not parse: %v", err))
	}
	return b
}

// WithLogfile returns conf (any corosync.conf) with logging.to_logfile,
// logging.logfile = LogPath and logging.timestamp = hires set, written back
// in Proxmox's layout (state/corosync). Use it for hand-made files that
// should still log into the node's directory.
func WithLogfile(conf []byte) ([]byte, error) {
	c, err := corosync.Parse(conf)
	if err != nil {
		return nil, fmt.Errorf("lab: corosync.conf: %w", err)
	}
	lg := c.Main.Ensure("logging")
	lg.Set("to_logfile", "yes")
	lg.Set("logfile", LogPath)
	lg.Set("timestamp", "hires")
	return c.Bytes(), nil
}
