package lab

import (
	"fmt"
	"slices"
	"strings"

	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/state/corosync"
)

// Links are the corosync links of a lab with one link: link 0 only, on the
// lab bridge. Lab.Interfaces gives the links of any lab.
var Links = []corosync.Interface{{Number: 0}}

// ConfOptions selects what ConfWith writes. The zero value is what Conf
// writes: every node, every link of the lab, no quorum device.
type ConfOptions struct {
	// Nodes lists the nodes in the nodelist (written in nodeid order
	// whatever the order here); nil means all of them.
	Nodes []string
	// Links is how many links the file configures, counted from link 0
	// (1 = link 0 only, the file before a second link is added by
	// reload, corosync-lab §1(d)); 0 means LinkCount.
	Links int
	// QDevice adds quorum.device for the lab's qnetd host (QDeviceSection);
	// it needs Options.QNetd.
	QDevice bool
}

// Conf returns the lab's corosync.conf at config_version version: the
// Proxmox layout of `pvecm create` plus addnode for all nodes
// (sim.BuildConf, reference §4.5) with one interface section and ringN_addr
// per link, and the logging block extended by to_logfile, logfile (LogPath)
// and timestamp: hires so each node's log is a file in its directory
// (corosync-lab.md). The bytes are the same for every node, as on a Proxmox
// cluster.
func (l *Lab) Conf(version uint64) []byte {
	b, err := l.ConfWith(version, ConfOptions{})
	if err != nil {
		// The zero ConfOptions is always valid; a failure is a bug.
		panic(fmt.Sprintf("lab: Conf: %v", err))
	}
	return b
}

// ConfOf is Conf with only the named nodes in the nodelist (in nodeid
// order, whatever order they are given in): the file of a cluster that does
// not yet, or no longer, include the lab's other nodes, whose namespaces
// exist all the same (reference §2.6: a node is added to the nodelist by
// reload before it runs). Unknown names are an error, as is an empty list.
func (l *Lab) ConfOf(version uint64, nodes ...string) ([]byte, error) {
	if len(nodes) == 0 {
		return nil, fmt.Errorf("lab %s: ConfOf needs at least one node", l.ID)
	}
	return l.ConfWith(version, ConfOptions{Nodes: nodes})
}

// ConfWith returns the lab's corosync.conf at config_version version with
// the nodes, links and quorum device o selects (see ConfOptions), in the
// layout Conf describes. It returns an error for an unknown node name (the
// qnetd host is not a node), a link count the lab does not have, or
// QDevice without a qnetd host.
func (l *Lab) ConfWith(version uint64, o ConfOptions) ([]byte, error) {
	specs := l.Specs()
	if o.Nodes != nil {
		want := map[string]bool{}
		for _, nm := range o.Nodes {
			if !slices.Contains(l.names, nm) {
				return nil, fmt.Errorf("lab %s: ConfWith: no node %q (nodes: %s)", l.ID, nm, strings.Join(l.names, ", "))
			}
			want[nm] = true
		}
		if len(want) == 0 {
			return nil, fmt.Errorf("lab %s: ConfWith: Nodes is empty; nil means all nodes", l.ID)
		}
		specs = slices.DeleteFunc(specs, func(s sim.NodeSpec) bool { return !want[s.Name] })
	}
	links := l.Interfaces()
	if o.Links != 0 {
		if o.Links < 1 || o.Links > len(links) {
			return nil, fmt.Errorf("lab %s: ConfWith: Links = %d, but the lab has %d link(s) (Options.Links)", l.ID, o.Links, len(links))
		}
		links = links[:o.Links]
		for i := range specs {
			for link := range specs[i].Addrs {
				if link >= o.Links {
					delete(specs[i].Addrs, link)
				}
			}
		}
	}
	b, err := WithLogfile(sim.BuildConf(l.cluster, links, specs, version))
	if err != nil {
		// BuildConf's output always parses; a failure is a bug in one of them.
		panic(fmt.Sprintf("lab: sim.BuildConf output does not parse: %v", err))
	}
	if o.QDevice {
		return l.WithQDevice(b)
	}
	return b, nil
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
