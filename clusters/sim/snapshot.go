package sim

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/corosync"
)

// Snapshot returns the model's ground truth in the observed-state form, as a
// perfect observer would record it: a powered-off node has SSH and API not
// OK and Unknown services; everything else is read from the model directly.
// Shared is read from the authority (state.Cluster.Authority) when there is
// one.
func (m *Model) Snapshot() state.Cluster {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := state.Cluster{FormatVersion: state.FormatVersion, Name: m.name, ObservedAt: m.now()}
	for _, n := range m.sortedNodes() {
		c.Nodes = append(c.Nodes, m.snapshotNode(n))
	}
	c.Shared = m.snapshotShared(c.Authority())
	return c
}

var cmapLineRE = regexp.MustCompile(`Received config version \((\d+)\) is different than my config version \((\d+)\)! Exiting`)

func (m *Model) snapshotNode(n *node) state.Node {
	sn := state.Node{Name: n.spec.Name, Corosync: state.Unknown, PVECluster: state.Unknown}
	if !n.powered {
		sn.API = state.Reach{Error: "connection refused: node is powered off"}
		sn.SSH = state.Reach{Error: "connection refused: node is powered off"}
		return sn
	}
	sn.SSH = state.Reach{OK: true}
	sn.Corosync, sn.PVECluster = n.units[unitCorosync], n.units[unitPVECluster]
	if b, err := m.readPath(n, clusterConf); err == nil {
		sn.ClusterConf = state.NewConfCopy(b)
	}
	if b, err := m.readPath(n, localConf); err == nil {
		sn.LocalConf = state.NewConfCopy(b)
	}
	if p := n.cs; p != nil {
		v := p.cfg.version
		sn.RuntimeVersion = &v
		q := &state.Quorum{Nodes: len(p.qv.members), NodeID: n.nodeID(), RingID: p.ring, Quorate: p.qv.quorate,
			ExpectedVotes: p.qv.expected, HighestExpected: p.qv.highest, TotalVotes: p.qv.total, Quorum: p.qv.quorum,
			Flags: append([]string{}, p.qv.flags...)}
		for _, mb := range p.qv.members {
			q.Members = append(q.Members, state.Member{NodeID: mb.id, Votes: mb.votes, Qdevice: mb.qdev, Name: mb.name, Local: mb.id == n.nodeID()})
		}
		if p.qv.qdevice { // the device row as corosync-quorumtool prints it (§3.6)
			votes := 0
			if p.qv.devCast {
				votes = p.qv.devVotes
			}
			q.Members = append(q.Members, state.Member{NodeID: 0, Votes: votes, Name: "Qdevice"})
		}
		sn.Quorum = q
		for _, l := range sortedLinks(p.bound) {
			link := state.Link{Number: l, Addr: p.bound[l]}
			for _, e := range p.cfg.nodes {
				st := "disconnected"
				if e.id == n.nodeID() {
					st = "localhost"
				} else if peer := m.peerNode(n, e.id); peer != nil && linkUp(n, peer, l) {
					st = "connected"
				}
				link.Peers = append(link.Peers, state.LinkPeer{NodeID: e.id, Status: st})
			}
			sn.Links = append(sn.Links, link)
		}
	}
	sn.QDevice = m.snapshotQDevice(n)
	if n.cfs != nil {
		sn.API = state.Reach{OK: true}
		sn.PVE = m.pveStatus(n)
	} else {
		sn.API = state.Reach{Error: strings.TrimSpace(notMounted)}
	}
	for _, l := range n.corosyncSinceStart() {
		if mm := cmapLineRE.FindStringSubmatch(l.msg); mm != nil {
			x, _ := strconv.ParseUint(mm[1], 10, 64)
			y, _ := strconv.ParseUint(mm[2], 10, 64)
			sn.CMAPRejection = &state.CMAPRejection{Received: x, Mine: y, Line: l.text}
		}
	}
	return sn
}

func (m *Model) pveStatus(n *node) *state.PVEStatus {
	cl := m.members(n)
	if cl == nil {
		return &state.PVEStatus{Quorate: true, Nodes: []state.PVENode{{Name: n.spec.Name, Online: true, Local: true, IP: n.spec.HostIP}}}
	}
	st := &state.PVEStatus{ClusterName: cl.clusterName, Version: cl.version, Quorate: n.cfs.quorate}
	for _, e := range cl.nodes {
		st.Nodes = append(st.Nodes, state.PVENode{Name: e.name, NodeID: e.id, Online: n.sees(e.name),
			Local: e.name == n.spec.Name, IP: m.hostIP(e.name)})
	}
	sort.Slice(st.Nodes, func(i, j int) bool { return st.Nodes[i].Name < st.Nodes[j].Name })
	return st
}

// FromSnapshot rebuilds a model from an observed snapshot. Per node it
// restores both corosync.conf copies (the /etc/pve copy as the node's pmxcfs
// DB, with a DB version derived from the file's config_version), a shared
// authkey, the host IP (from any node's /cluster/status), and then boots what
// ran: every node SSH answered on is powered on, pve-cluster is started where
// it was active, then corosync where it was active — as already past its
// first sync, with the observed runtime config_version, so a running node
// whose file moved on stays running (reference §5.1 LAB note).
//
// Shared, when present, is written into every node's DB (restoreShared);
// without it every DB gets NewCluster's layout for the snapshot's nodes.
//
// qdevice (restoreQDevices): a missing package is restored, an active
// daemon is enabled and started with a client NSS DB, and a qnetd host is
// added (up, with the cluster's certificate signed) at the configured
// device host when some node reached it.
//
// Limits: cable cuts, -e overrides, ring ids, wait_for_all history and DB
// contents other than corosync.conf are not in a snapshot and are not
// restored; nor is a registration left by a failed qdevice daemon (its
// members show NR instead of NA); a node SSH did not reach is powered off; a recorded CMAP
// rejection is replayed into the journal as a start that exited; authkeys
// are assumed equal everywhere.
func FromSnapshot(s state.Cluster) (*Model, error) {
	if s.Name == "" {
		return nil, fmt.Errorf("sim: snapshot has no cluster name")
	}
	m := &Model{name: s.Name, nodes: map[string]*node{}}
	hostIPs := map[string]string{}
	for _, sn := range s.Nodes {
		if sn.PVE != nil {
			for _, pn := range sn.PVE.Nodes {
				if pn.IP != "" {
					hostIPs[pn.Name] = pn.IP
				}
			}
		}
	}
	for _, sn := range s.Nodes {
		spec := NodeSpec{Name: sn.Name, HostIP: hostIPs[sn.Name], Addrs: map[int]string{}}
		for _, cp := range []state.ConfCopy{sn.LocalConf, sn.ClusterConf} {
			cfg, err := cp.Parsed()
			if err != nil {
				continue
			}
			for _, cn := range cfg.Nodes() {
				if cn.Name == sn.Name && spec.NodeID == 0 {
					spec.NodeID, spec.Votes, spec.Addrs = cn.NodeID, cn.Votes, cn.Addrs
				}
			}
		}
		if spec.HostIP == "" && len(spec.Addrs) > 0 {
			spec.HostIP = (&rtNode{addrs: spec.Addrs}).firstAddr()
		}
		n := m.addNode(spec)
		if sn.LocalConf.Present {
			n.files[localConf] = []byte(sn.LocalConf.Content)
		}
		if sn.ClusterConf.Present {
			v, _ := corosync.VersionOf([]byte(sn.ClusterConf.Content))
			n.db = newDB(100+v, time.Time{})
			n.db.files[clusterConf] = []byte(sn.ClusterConf.Content)
			if s.Shared != nil {
				restoreShared(n.db, s.Shared)
			}
		}
		if sn.LocalConf.Present || sn.ClusterConf.Present {
			n.files[authkeyPath] = Authkey(s.Name)
		}
	}
	if s.Shared == nil {
		var specs []NodeSpec
		for _, nm := range m.order {
			specs = append(specs, m.nodes[nm].spec)
		}
		for _, n := range m.nodes {
			if n.db != nil {
				seedLayout(n.db, specs, n.db.mtime)
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, sn := range s.Nodes {
		n := m.nodes[sn.Name]
		if !sn.SSH.OK && !sn.API.OK {
			continue
		}
		n.powered = true
		if sn.PVECluster == state.Active {
			m.startPmxcfs(n)
		}
	}
	m.settle()
	for _, sn := range s.Nodes {
		n := m.nodes[sn.Name]
		if !n.powered {
			continue
		}
		if r := sn.CMAPRejection; r != nil {
			pid := m.nextPID()
			m.csLog(n, pid, "MAIN", "Corosync Cluster Engine "+corosyncVersion+" starting up")
			m.csLog(n, pid, "CMAP", fmt.Sprintf("Received config version (%d) is different than my config version (%d)! Exiting", r.Received, r.Mine))
			m.csLog(n, pid, "MAIN", "Corosync Cluster Engine exiting normally")
		}
		if sn.Corosync == state.Active {
			m.startCorosync(n)
			if n.cs != nil {
				n.cs.firstSyncDone = true
				if sn.RuntimeVersion != nil {
					n.cs.cfg.version = *sn.RuntimeVersion
				}
			}
		} else if sn.Corosync == state.Failed {
			n.units[unitCorosync] = state.Failed
		}
	}
	m.restoreQDevices(s)
	m.commit()
	return m, nil
}
