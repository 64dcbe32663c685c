package metrics

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/state"
)

// sample is one series ObserveCluster sets.
type sample struct {
	vec    *prometheus.GaugeVec
	labels []string
	value  float64
}

func (s sample) key(vecs map[*prometheus.GaugeVec]int) string {
	return strconv.Itoa(vecs[s.vec]) + "\xff" + strings.Join(s.labels, "\xff")
}

// ObserveCluster sets the cluster's gauges from one observation taken at
// now; decl supplies the cluster name and the temporary expected-votes
// override (either may be nil; the name then comes from obs). Series the
// previous observation set and this one does not support are deleted: a
// node that stops answering loses its versions and links, a node that left
// loses everything. A nil obs (the observation failed) keeps only what decl
// alone supports and sets quorate_cluster_quorate to 0.
func (m *Metrics) ObserveCluster(decl *api.Cluster, obs *state.Cluster, now time.Time) {
	cluster := ""
	switch {
	case decl != nil:
		cluster = decl.Metadata.Name
	case obs != nil:
		cluster = obs.Name
	}
	if cluster == "" {
		return
	}
	samples := m.derive(cluster, decl, obs, now)
	vecs := map[*prometheus.GaugeVec]int{}
	for i, v := range []*prometheus.GaugeVec{m.nodeReachable, m.quorate, m.votes, m.expectedVotes, m.quorumVotes,
		m.quorumMargin, m.configVersion, m.configSkew, m.linkConnected, m.tempExpected} {
		vecs[v] = i
	}
	next := make(map[string]sample, len(samples))
	for _, s := range samples {
		next[s.key(vecs)] = s
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	for k, s := range m.observed[cluster] {
		if _, keep := next[k]; !keep {
			s.vec.DeleteLabelValues(s.labels...)
		}
	}
	for _, s := range next {
		s.vec.WithLabelValues(s.labels...).Set(s.value)
	}
	m.observed[cluster] = next
	m.lastObserved[cluster] = now
}

// derive computes every observation-derived series of cluster. It is pure:
// the same inputs give the same samples.
func (m *Metrics) derive(cluster string, decl *api.Cluster, obs *state.Cluster, now time.Time) []sample {
	var out []sample
	add := func(vec *prometheus.GaugeVec, value float64, labels ...string) {
		out = append(out, sample{vec: vec, labels: append([]string{cluster}, labels...), value: value})
	}
	if decl != nil && decl.Spec.Quorum.TemporaryExpectedVotes != nil {
		left := decl.Spec.Quorum.TemporaryExpectedVotes.Expires.Sub(now).Seconds()
		add(m.tempExpected, max(0, left))
	}
	if obs == nil {
		add(m.quorate, 0)
		return out
	}

	names := peerNames(decl, obs)
	var skewMin, skewMax uint64
	skewSeen := false
	for i := range obs.Nodes {
		n := &obs.Nodes[i]
		add(m.nodeReachable, b2f(n.API.OK), n.Name, "api")
		add(m.nodeReachable, b2f(n.SSH.OK), n.Name, "ssh")
		// SSH carries every fact below; a node it did not fully answer
		// for exports none of them rather than a half-read or old value.
		if !n.SSH.OK {
			continue
		}
		if n.ClusterConf.Present {
			add(m.configVersion, float64(n.ClusterConf.Version), n.Name, "cluster")
		}
		if n.LocalConf.Present {
			add(m.configVersion, float64(n.LocalConf.Version), n.Name, "local")
			// A node still to join may hold another cluster's file, or an
			// old one of ours; it is not judged by corosync yet.
			if n.Joiner == nil {
				v := n.LocalConf.Version
				if !skewSeen || v < skewMin {
					skewMin = v
				}
				if !skewSeen || v > skewMax {
					skewMax = v
				}
				skewSeen = true
			}
		}
		if n.RuntimeVersion != nil {
			add(m.configVersion, float64(*n.RuntimeVersion), n.Name, "runtime")
		}
		for _, l := range n.Links {
			for _, p := range l.Peers {
				if p.Status == "localhost" {
					continue
				}
				add(m.linkConnected, b2f(p.Status == "connected"), n.Name, names.of(p.NodeID), strconv.Itoa(l.Number))
			}
		}
	}
	if skewSeen {
		add(m.configSkew, float64(skewMax-skewMin))
	}
	if q := quorumView(obs); q != nil {
		add(m.quorate, b2f(q.Quorate))
		add(m.votes, float64(q.TotalVotes))
		add(m.expectedVotes, float64(q.ExpectedVotes))
		add(m.quorumVotes, float64(q.Quorum))
		add(m.quorumMargin, float64(q.TotalVotes-q.Quorum))
	} else {
		add(m.quorate, 0)
	}
	return out
}

// quorumView picks the votequorum view that speaks for the cluster: a
// quorate member's (all members of the quorate partition agree; the first
// by name), else the largest partition's (most votes, then first by name),
// so that one isolated node does not speak for the rest. Only nodes whose
// SSH fully answered count. nil when none reported.
func quorumView(obs *state.Cluster) *state.Quorum {
	nodes := make([]*state.Node, 0, len(obs.Nodes))
	for i := range obs.Nodes {
		if n := &obs.Nodes[i]; n.SSH.OK && n.Quorum != nil {
			nodes = append(nodes, n)
		}
	}
	sort.SliceStable(nodes, func(i, j int) bool {
		a, b := nodes[i], nodes[j]
		if a.Quorum.Quorate != b.Quorum.Quorate {
			return a.Quorum.Quorate
		}
		if a.Quorum.TotalVotes != b.Quorum.TotalVotes {
			return a.Quorum.TotalVotes > b.Quorum.TotalVotes
		}
		return a.Name < b.Name
	})
	if len(nodes) == 0 {
		return nil
	}
	return nodes[0].Quorum
}

// nodeNames maps corosync nodeids to node names.
type nodeNames map[int]string

// of returns nodeid's name, or "nodeid:N" when nothing named it.
func (nn nodeNames) of(id int) string {
	if name, ok := nn[id]; ok {
		return name
	}
	return fmt.Sprintf("nodeid:%d", id)
}

// peerNames resolves the nodeids corosync-cfgtool prints. The nodelist of
// the cluster's corosync.conf is what those ids mean, so it comes first (the
// authority's copy, then every answering node's copies); then the names
// votequorum and the API report; the declaration last, as it may name
// nodeids the cluster does not use yet.
func peerNames(decl *api.Cluster, obs *state.Cluster) nodeNames {
	nn := nodeNames{}
	set := func(id int, name string) {
		if _, ok := nn[id]; !ok && id > 0 && name != "" {
			nn[id] = name
		}
	}
	fromConf := func(c state.ConfCopy) {
		if !c.Present || c.ParseError != "" {
			return
		}
		conf, err := c.Parsed()
		if err != nil {
			return
		}
		for _, node := range conf.Main.Section("nodelist").List("node") {
			name, _ := node.Value("name")
			idText, _ := node.Value("nodeid")
			if id, err := strconv.Atoi(idText); err == nil {
				set(id, name)
			}
		}
	}
	if a := obs.Authority(); a != nil {
		fromConf(a.ClusterConf)
	}
	for _, n := range obs.Nodes {
		if n.SSH.OK {
			fromConf(n.ClusterConf)
			fromConf(n.LocalConf)
		}
	}
	for _, n := range obs.Nodes {
		if n.Quorum != nil {
			for _, mem := range n.Quorum.Members {
				set(mem.NodeID, mem.Name)
			}
		}
		if n.PVE != nil {
			for _, p := range n.PVE.Nodes {
				set(p.NodeID, p.Name)
			}
		}
	}
	if decl != nil {
		for _, mem := range decl.Spec.Members {
			set(mem.NodeID, mem.Name)
		}
	}
	return nn
}
