package metrics_test

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/quorate/quorate/reconciler/controller/metrics"
	"github.com/quorate/quorate/state"
)

// One observation of a two-node cluster where pve2's corosync answered with
// votequorum's view: quorate with no vote to spare.
func ExampleMetrics_ObserveCluster() {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "cluster")
	obs := &state.Cluster{Name: "lab", Nodes: []state.Node{
		{Name: "pve1", API: state.Reach{OK: true}, SSH: state.Reach{Error: "connection refused"}},
		{Name: "pve2", API: state.Reach{OK: true}, SSH: state.Reach{OK: true},
			Quorum: &state.Quorum{Quorate: true, ExpectedVotes: 2, TotalVotes: 1, Quorum: 1, Flags: []string{"2Node", "Quorate", "WaitForAll"}}},
	}}
	m.ObserveCluster(nil, obs, time.Now())
	out, err := testutil.GatherAndFormat(reg, expfmt.TypeTextPlain, "quorate_cluster_quorate", "quorate_cluster_quorum_margin_votes", "quorate_node_reachable")
	if err != nil {
		panic(err)
	}
	fmt.Print(string(out))
	// Output:
	// # HELP quorate_cluster_quorate Whether an observed member's votequorum reports the cluster quorate (1/0; 0 when no member's corosync answered).
	// # TYPE quorate_cluster_quorate gauge
	// quorate_cluster_quorate{cluster="lab"} 1
	// # HELP quorate_cluster_quorum_margin_votes Votes present minus quorum: how many votes may be lost while staying quorate.
	// # TYPE quorate_cluster_quorum_margin_votes gauge
	// quorate_cluster_quorum_margin_votes{cluster="lab"} 0
	// # HELP quorate_node_reachable Whether the node's API (via=api) or SSH (via=ssh) answered in the last observation (1/0).
	// # TYPE quorate_node_reachable gauge
	// quorate_node_reachable{cluster="lab",node="pve1",via="api"} 1
	// quorate_node_reachable{cluster="lab",node="pve1",via="ssh"} 0
	// quorate_node_reachable{cluster="lab",node="pve2",via="api"} 1
	// quorate_node_reachable{cluster="lab",node="pve2",via="ssh"} 1
}
