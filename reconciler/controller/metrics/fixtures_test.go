package metrics

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/state"
)

var now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// conf is a Proxmox-shaped corosync.conf of nodes pve1..pveN with nodeids
// 1..N at config_version v (reference §4.5).
func conf(v, n int) state.ConfCopy {
	var b strings.Builder
	b.WriteString("logging {\n  debug: off\n  to_syslog: yes\n}\n\nnodelist {\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  node {\n    name: pve%d\n    nodeid: %d\n    quorum_votes: 1\n    ring0_addr: 10.0.0.%d\n    ring1_addr: 10.1.0.%d\n  }\n", i, i, i, i)
	}
	fmt.Fprintf(&b, "}\n\nquorum {\n  provider: corosync_votequorum\n}\n\ntotem {\n  cluster_name: lab\n  config_version: %d\n  interface {\n    linknumber: 0\n  }\n  interface {\n    linknumber: 1\n  }\n  ip_version: ipv4-6\n  link_mode: passive\n  secauth: on\n  version: 2\n}\n", v)
	return state.NewConfCopy([]byte(b.String()))
}

func u64(v uint64) *uint64 { return &v }

// links is corosync-cfgtool -s on node self of a 3-node cluster: every
// peer connected on links 0 and 1 except those listed in down (link ->
// nodeid).
func links(self int, down map[int]int) []state.Link {
	var out []state.Link
	for l := 0; l < 2; l++ {
		link := state.Link{Number: l, Addr: fmt.Sprintf("10.%d.0.%d", l, self)}
		for id := 1; id <= 3; id++ {
			st := "connected"
			switch {
			case id == self:
				st = "localhost"
			case down[l] == id:
				st = "disconnected"
			}
			link.Peers = append(link.Peers, state.LinkPeer{NodeID: id, Status: st})
		}
		out = append(out, link)
	}
	return out
}

func quorum(self int) *state.Quorum {
	return &state.Quorum{Nodes: 3, NodeID: self, RingID: "1.9", Quorate: true, ExpectedVotes: 3, HighestExpected: 3,
		TotalVotes: 3, Quorum: 2, Flags: []string{"Quorate"},
		Members: []state.Member{{NodeID: 1, Votes: 1, Name: "pve1"}, {NodeID: 2, Votes: 1, Name: "pve2"}, {NodeID: 3, Votes: 1, Name: "pve3"}}}
}

// labObservation is 3 members, all quorate: pve3 is stale (its local
// corosync.conf and runtime are at version 4 while the cluster copy is at
// 5, reference §5.1 "LAB"), and link 0 between pve1 and pve3 is down.
func labObservation() *state.Cluster {
	node := func(i int, local state.ConfCopy, runtime uint64, down map[int]int) state.Node {
		return state.Node{Name: fmt.Sprintf("pve%d", i), API: state.Reach{OK: true}, SSH: state.Reach{OK: true},
			Corosync: state.Active, PVECluster: state.Active, ClusterConf: conf(5, 3), LocalConf: local,
			RuntimeVersion: u64(runtime), Quorum: quorum(i), Links: links(i, down)}
	}
	return &state.Cluster{FormatVersion: state.FormatVersion, Name: "lab", ObservedAt: now, Nodes: []state.Node{
		node(1, conf(5, 3), 5, map[int]int{0: 3}),
		node(2, conf(5, 3), 5, nil),
		node(3, conf(4, 3), 4, map[int]int{0: 1}),
	}}
}

// labDecl declares the three members with secrets referenced the usual way,
// and a temporary expected-votes override expiring in 90 seconds.
func labDecl() *api.Cluster {
	d := &api.Cluster{APIVersion: api.APIVersion, Kind: api.KindCluster, Metadata: api.Metadata{Name: "lab"}}
	d.Spec.Access.API.Token = api.APIToken{ID: "root@pam!quorate-secret-id", SecretFile: "/etc/quorate/secret/lab.token"}
	d.Spec.Access.SSH = api.SSHAccess{User: "root", PrivateKeyFile: "/etc/quorate/secret/id_ed25519", KnownHostsFile: "/etc/quorate/secret/known_hosts"}
	d.Spec.Access.RootPassword = &api.SecretRef{Env: "QUORATE_ROOT_PASSWORD"}
	for i := 1; i <= 3; i++ {
		d.Spec.Members = append(d.Spec.Members, api.Member{Name: fmt.Sprintf("pve%d", i), NodeID: i, Votes: 1,
			Management: api.Management{Host: fmt.Sprintf("192.0.2.%d", i), Fingerprint: "AA:BB"}})
	}
	d.Spec.Quorum.TemporaryExpectedVotes = &api.TemporaryExpected{Votes: 2, Reason: "pve3 maintenance", Expires: now.Add(90 * time.Second)}
	return d
}

// series lists every gathered series as "name{l1="v1",...} value", sorted,
// for one cluster ("" = all).
func series(t *testing.T, g prometheus.Gatherer, cluster string) []string {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if cluster != "" && label(m, "cluster") != cluster {
				continue
			}
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			out = append(out, fmt.Sprintf("%s{%s} %g", mf.GetName(), strings.Join(ls, ","), v))
		}
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
