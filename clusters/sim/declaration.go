package sim

import (
	"sort"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/state/corosync"
)

// authoritativeConf returns the corosync.conf that speaks for the cluster:
// among nodes whose corosync is quorate and whose pmxcfs shows the file, the
// highest version (ties to the first by name), as state.Cluster.Authority
// picks it; with no quorate node, the highest version found in any DB or
// local copy.
func (m *Model) authoritativeConf() []byte {
	var best []byte
	var bestV uint64
	consider := func(raw []byte) {
		if len(raw) == 0 {
			return
		}
		v, _ := corosync.VersionOf(raw)
		if best == nil || v > bestV {
			best, bestV = raw, v
		}
	}
	for _, n := range m.sortedNodes() {
		if n.cs != nil && n.cs.quorate && n.cfs != nil && !n.cfs.local {
			consider(n.db.files[clusterConf])
		}
	}
	if best != nil {
		return best
	}
	for _, n := range m.sortedNodes() {
		if n.db != nil {
			consider(n.db.files[clusterConf])
		}
		consider(n.files[localConf])
	}
	return best
}

// Declaration returns a desired-state template matching the model's intent:
// metadata.name, spec.links (from the totem interfaces), spec.members
// (name, nodeid, votes, addresses by link) and spec.qdevice (host,
// algorithm, tie-breaker, defaults filled in) from the authoritative
// /etc/pve/corosync.conf, then edited by the scenario's intent when it has
// one (e.g. remove-member drops pve4 and sets policy.removeAbsentMembers).
// Access and each member's Management are left empty for the caller
// (simnet) to fill. Members are sorted by name.
func (m *Model) Declaration() api.Cluster {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.currentDeclaration()
	if m.intent != nil {
		m.intent(&d)
	}
	return d
}

// currentDeclaration is the declaration of the cluster as it is.
func (m *Model) currentDeclaration() api.Cluster {
	d := api.Cluster{APIVersion: api.APIVersion, Kind: api.KindCluster, Metadata: api.Metadata{Name: m.name}}
	raw := m.authoritativeConf()
	cfg, err := corosync.Parse(raw)
	if raw == nil || err != nil {
		return d
	}
	if cn := cfg.ClusterName(); cn != "" {
		d.Metadata.Name = cn
	}
	for _, it := range cfg.Interfaces() {
		d.Spec.Links = append(d.Spec.Links, api.Link{Number: it.Number, Priority: it.Priority})
	}
	rc, _ := parseRuntime(raw)
	for _, cn := range cfg.Nodes() {
		mem := api.Member{Name: cn.Name, NodeID: cn.NodeID, Votes: 1}
		if rc != nil {
			if e := rc.byName(cn.Name); e != nil {
				mem.Votes = e.votes
			}
		}
		var links []int
		for l := range cn.Addrs {
			links = append(links, l)
		}
		sort.Ints(links)
		for _, l := range links {
			mem.Addresses = append(mem.Addresses, api.LinkAddress{Link: l, Address: cn.Addrs[l]})
		}
		d.Spec.Members = append(d.Spec.Members, mem)
	}
	sort.Slice(d.Spec.Members, func(i, j int) bool { return d.Spec.Members[i].Name < d.Spec.Members[j].Name })
	if rc != nil && rc.device != nil {
		d.Spec.QDevice = &api.QDevice{Host: rc.device.host, Algorithm: rc.device.algorithm, TieBreaker: rc.device.tieBreaker}
	}
	return d
}
