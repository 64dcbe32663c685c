package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/quorate/quorate/state"
)

var observedNames = []string{"quorate_node_reachable", "quorate_cluster_quorate", "quorate_cluster_votes",
	"quorate_cluster_expected_votes", "quorate_cluster_quorum_votes", "quorate_cluster_quorum_margin_votes",
	"quorate_node_config_version", "quorate_cluster_config_version_skew", "quorate_link_connected",
	"quorate_temporary_expected_votes_remaining_seconds"}

// TestObserveCluster: 3 members, pve3 stale at config_version 4 (reference
// §5.1 "LAB": runtime and local copy behind the cluster copy), link 0
// between pve1 and pve3 down, a temporary override 90 s from expiry.
func TestObserveCluster(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, "cluster")
	m.ObserveCluster(labDecl(), labObservation(), now)
	want := `
# HELP quorate_cluster_config_version_skew Highest minus lowest config_version of the local corosync.conf of the members that answered.
# TYPE quorate_cluster_config_version_skew gauge
quorate_cluster_config_version_skew{cluster="lab"} 1
# HELP quorate_cluster_expected_votes votequorum Expected votes in the observed partition.
# TYPE quorate_cluster_expected_votes gauge
quorate_cluster_expected_votes{cluster="lab"} 3
# HELP quorate_cluster_quorate Whether an observed member's votequorum reports the cluster quorate (1/0; 0 when no member's corosync answered).
# TYPE quorate_cluster_quorate gauge
quorate_cluster_quorate{cluster="lab"} 1
# HELP quorate_cluster_quorum_margin_votes Votes present minus quorum: how many votes may be lost while staying quorate.
# TYPE quorate_cluster_quorum_margin_votes gauge
quorate_cluster_quorum_margin_votes{cluster="lab"} 1
# HELP quorate_cluster_quorum_votes votequorum Quorum: the votes needed to be quorate.
# TYPE quorate_cluster_quorum_votes gauge
quorate_cluster_quorum_votes{cluster="lab"} 2
# HELP quorate_cluster_votes Votes present (votequorum Total votes) in the observed partition.
# TYPE quorate_cluster_votes gauge
quorate_cluster_votes{cluster="lab"} 3
# HELP quorate_link_connected Whether corosync on node reports peer connected on the knet link (1/0).
# TYPE quorate_link_connected gauge
quorate_link_connected{cluster="lab",link="0",node="pve1",peer="pve2"} 1
quorate_link_connected{cluster="lab",link="0",node="pve1",peer="pve3"} 0
quorate_link_connected{cluster="lab",link="0",node="pve2",peer="pve1"} 1
quorate_link_connected{cluster="lab",link="0",node="pve2",peer="pve3"} 1
quorate_link_connected{cluster="lab",link="0",node="pve3",peer="pve1"} 0
quorate_link_connected{cluster="lab",link="0",node="pve3",peer="pve2"} 1
quorate_link_connected{cluster="lab",link="1",node="pve1",peer="pve2"} 1
quorate_link_connected{cluster="lab",link="1",node="pve1",peer="pve3"} 1
quorate_link_connected{cluster="lab",link="1",node="pve2",peer="pve1"} 1
quorate_link_connected{cluster="lab",link="1",node="pve2",peer="pve3"} 1
quorate_link_connected{cluster="lab",link="1",node="pve3",peer="pve1"} 1
quorate_link_connected{cluster="lab",link="1",node="pve3",peer="pve2"} 1
# HELP quorate_node_config_version totem.config_version of one corosync.conf copy on a node (copy=cluster|local|runtime).
# TYPE quorate_node_config_version gauge
quorate_node_config_version{cluster="lab",copy="cluster",node="pve1"} 5
quorate_node_config_version{cluster="lab",copy="cluster",node="pve2"} 5
quorate_node_config_version{cluster="lab",copy="cluster",node="pve3"} 5
quorate_node_config_version{cluster="lab",copy="local",node="pve1"} 5
quorate_node_config_version{cluster="lab",copy="local",node="pve2"} 5
quorate_node_config_version{cluster="lab",copy="local",node="pve3"} 4
quorate_node_config_version{cluster="lab",copy="runtime",node="pve1"} 5
quorate_node_config_version{cluster="lab",copy="runtime",node="pve2"} 5
quorate_node_config_version{cluster="lab",copy="runtime",node="pve3"} 4
# HELP quorate_node_reachable Whether the node's API (via=api) or SSH (via=ssh) answered in the last observation (1/0).
# TYPE quorate_node_reachable gauge
quorate_node_reachable{cluster="lab",node="pve1",via="api"} 1
quorate_node_reachable{cluster="lab",node="pve1",via="ssh"} 1
quorate_node_reachable{cluster="lab",node="pve2",via="api"} 1
quorate_node_reachable{cluster="lab",node="pve2",via="ssh"} 1
quorate_node_reachable{cluster="lab",node="pve3",via="api"} 1
quorate_node_reachable{cluster="lab",node="pve3",via="ssh"} 1
# HELP quorate_temporary_expected_votes_remaining_seconds Seconds until the declared temporary expected-votes override expires (0 once expired).
# TYPE quorate_temporary_expected_votes_remaining_seconds gauge
quorate_temporary_expected_votes_remaining_seconds{cluster="lab"} 90
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), observedNames...); err != nil {
		t.Error(err)
	}
}

// TestNodeStopsAnswering: when pve3's SSH fails, its versions and links are
// deleted (not left at their last value), its reachability reads 0, the
// skew is recomputed without it, and what the other nodes say about their
// link to pve3 stays.
func TestNodeStopsAnswering(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, "cluster")
	m.ObserveCluster(labDecl(), labObservation(), now)

	obs := labObservation()
	pve3 := obs.Node("pve3")
	// A partial read: the connection answered once, then failed. The facts
	// it did read must not be exported as if current.
	pve3.SSH = state.Reach{Error: "corosync-cfgtool -s: connection reset"}
	pve3.API = state.Reach{Error: "dial tcp 192.0.2.3:8006: i/o timeout"}
	obs.Node("pve1").Links = links(1, map[int]int{0: 3, 1: 3})
	obs.Node("pve2").Links = links(2, map[int]int{0: 3, 1: 3})
	m.ObserveCluster(labDecl(), obs, now.Add(time.Minute))

	got := strings.Join(series(t, reg, "lab"), "\n")
	for _, gone := range []string{`node="pve3",peer=`, `copy="local",node="pve3"`, `copy="runtime",node="pve3"`, `copy="cluster",node="pve3"`} {
		if strings.Contains(got, gone) {
			t.Errorf("stale series %s still exported:\n%s", gone, got)
		}
	}
	for _, want := range []string{
		`quorate_node_reachable{cluster="lab",node="pve3",via="ssh"} 0`,
		`quorate_node_reachable{cluster="lab",node="pve3",via="api"} 0`,
		`quorate_cluster_config_version_skew{cluster="lab"} 0`,
		`quorate_link_connected{cluster="lab",link="1",node="pve1",peer="pve3"} 0`,
		`quorate_link_connected{cluster="lab",link="1",node="pve2",peer="pve1"} 1`,
		`quorate_temporary_expected_votes_remaining_seconds{cluster="lab"} 30`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in:\n%s", want, got)
		}
	}

	// pve3 answers again: its series come back.
	m.ObserveCluster(labDecl(), labObservation(), now.Add(2*time.Minute))
	if n := testutil.CollectAndCount(m.configVersion); n != 9 {
		t.Errorf("config_version series after pve3 is back = %d, want 9", n)
	}
}

// TestNodeLeaves: a node absent from the observation (removed from the
// declaration and the cluster) loses every series, reachability included.
func TestNodeLeaves(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, "cluster")
	m.ObserveCluster(labDecl(), labObservation(), now)
	obs := labObservation()
	obs.Nodes = obs.Nodes[:2]
	m.ObserveCluster(labDecl(), obs, now)
	for _, s := range series(t, reg, "lab") {
		if strings.Contains(s, `node="pve3"`) {
			t.Errorf("series of the departed node: %s", s)
		}
	}
	if n := testutil.CollectAndCount(m.nodeReachable); n != 4 {
		t.Errorf("reachable series = %d, want 4", n)
	}
}

// TestQuorumView: which member's votequorum speaks for the cluster.
func TestQuorumView(t *testing.T) {
	q := func(quorate bool, total, quorum int) *state.Quorum {
		return &state.Quorum{Quorate: quorate, TotalVotes: total, ExpectedVotes: 3, Quorum: quorum}
	}
	node := func(name string, sshOK bool, qu *state.Quorum) state.Node {
		return state.Node{Name: name, SSH: state.Reach{OK: sshOK}, Quorum: qu}
	}
	tests := []struct {
		name        string
		nodes       []state.Node
		wantQuorate float64
		wantVotes   int // -1: series absent
		wantMargin  int
	}{
		{name: "quorate member wins over an isolated one listed first",
			nodes:       []state.Node{node("a", true, q(false, 1, 2)), node("b", true, q(true, 2, 2))},
			wantQuorate: 1, wantVotes: 2, wantMargin: 0},
		{name: "no quorate member: the largest partition",
			nodes:       []state.Node{node("a", true, q(false, 1, 3)), node("b", true, q(false, 2, 3)), node("c", true, q(false, 2, 3))},
			wantQuorate: 0, wantVotes: 2, wantMargin: -1},
		{name: "a partly read node does not speak",
			nodes:       []state.Node{node("a", false, q(true, 3, 2)), node("b", true, q(false, 1, 2))},
			wantQuorate: 0, wantVotes: 1, wantMargin: -1},
		{name: "no corosync answered: quorate 0, votes unknown",
			nodes:       []state.Node{node("a", true, nil), node("b", false, nil)},
			wantQuorate: 0, wantVotes: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := New(prometheus.NewRegistry(), "cluster")
			m.ObserveCluster(nil, &state.Cluster{Name: "lab", Nodes: tc.nodes}, now)
			if got := testutil.ToFloat64(m.quorate.WithLabelValues("lab")); got != tc.wantQuorate {
				t.Errorf("quorate = %g, want %g", got, tc.wantQuorate)
			}
			if tc.wantVotes < 0 {
				if n := testutil.CollectAndCount(m.votes) + testutil.CollectAndCount(m.quorumMargin); n != 0 {
					t.Errorf("%d vote series exported without a votequorum view", n)
				}
				return
			}
			if got := testutil.ToFloat64(m.votes.WithLabelValues("lab")); got != float64(tc.wantVotes) {
				t.Errorf("votes = %g, want %d", got, tc.wantVotes)
			}
			if got := testutil.ToFloat64(m.quorumMargin.WithLabelValues("lab")); got != float64(tc.wantMargin) {
				t.Errorf("margin = %g, want %d", got, tc.wantMargin)
			}
		})
	}
}

// TestFailedObservation: a nil observation drops every node series and
// reports the cluster not quorate; the declared override stays.
func TestFailedObservation(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, "cluster")
	m.ObserveCluster(labDecl(), labObservation(), now)
	m.ObserveCluster(labDecl(), nil, now)
	got := series(t, reg, "lab")
	want := []string{
		`quorate_cluster_quorate{cluster="lab"} 0`,
		`quorate_temporary_expected_votes_remaining_seconds{cluster="lab"} 90`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("series after a failed observation:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestTemporaryOverride(t *testing.T) {
	tests := []struct {
		name    string
		expires time.Duration // from now; 0 = none declared
		want    int           // -1 = absent
	}{
		{name: "running", expires: time.Hour, want: 3600},
		{name: "expired reads 0", expires: -time.Minute, want: 0},
		{name: "none declared is absent", want: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := New(prometheus.NewRegistry(), "cluster")
			d := labDecl()
			if tc.expires == 0 {
				d.Spec.Quorum.TemporaryExpectedVotes = nil
			} else {
				d.Spec.Quorum.TemporaryExpectedVotes.Expires = now.Add(tc.expires)
			}
			m.ObserveCluster(d, labObservation(), now)
			if tc.want < 0 {
				if n := testutil.CollectAndCount(m.tempExpected); n != 0 {
					t.Errorf("%d series, want none", n)
				}
				return
			}
			if got := testutil.ToFloat64(m.tempExpected.WithLabelValues("lab")); got != float64(tc.want) {
				t.Errorf("remaining = %g, want %d", got, tc.want)
			}
		})
	}
}

// TestPeerNames: cfgtool's nodeids are named from the corosync.conf
// nodelist first; an id nothing names reads "nodeid:N".
func TestPeerNames(t *testing.T) {
	obs := labObservation()
	// The declaration disagrees with the cluster about nodeid 2: the
	// cluster's own nodelist is what corosync's ids mean.
	d := labDecl()
	d.Spec.Members[1].NodeID = 7
	d.Spec.Members = append(d.Spec.Members, d.Spec.Members[1])
	d.Spec.Members[3].Name, d.Spec.Members[3].NodeID = "pve4", 2
	obs.Node("pve1").Links[0].Peers = append(obs.Node("pve1").Links[0].Peers, state.LinkPeer{NodeID: 9, Status: "disconnected"})
	nn := peerNames(d, obs)
	tests := []struct {
		id   int
		want string
	}{{1, "pve1"}, {2, "pve2"}, {3, "pve3"}, {7, "pve2"}, {9, "nodeid:9"}}
	for _, tc := range tests {
		if got := nn.of(tc.id); got != tc.want {
			t.Errorf("nodeid %d = %q, want %q", tc.id, got, tc.want)
		}
	}
	m := New(prometheus.NewRegistry(), "cluster")
	m.ObserveCluster(d, obs, now)
	if got := testutil.ToFloat64(m.linkConnected.WithLabelValues("lab", "pve1", "nodeid:9", "0")); got != 0 {
		t.Errorf("unknown peer = %g", got)
	}
}
