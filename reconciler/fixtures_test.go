package reconciler

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/state"
)

// testNow is the fixed clock of every planning test.
var testNow = time.Date(2026, 11, 22, 3, 45, 0, 0, time.UTC)

type fixNode struct {
	name   string
	nodeid int
}

// confText builds a corosync.conf in Proxmox's layout (reference §4.5) for the
// cluster "prod" at the given version.
func confText(version uint64, nodes ...fixNode) string {
	var b strings.Builder
	b.WriteString("logging {\n  debug: off\n  to_syslog: yes\n}\n\nnodelist {\n")
	for _, n := range nodes {
		fmt.Fprintf(&b, "  node {\n    name: %s\n    nodeid: %d\n    quorum_votes: 1\n    ring0_addr: 10.10.10.%d\n  }\n", n.name, n.nodeid, 10+n.nodeid)
	}
	fmt.Fprintf(&b, "}\n\nquorum {\n  provider: corosync_votequorum\n}\n\ntotem {\n  cluster_name: prod\n  config_version: %d\n  interface {\n    linknumber: 0\n  }\n  ip_version: ipv4-6\n  link_mode: passive\n  secauth: on\n  version: 2\n}\n\n", version)
	return b.String()
}

var storyNodes = []fixNode{{"pve11", 1}, {"pve12", 2}, {"pve13", 3}, {"pve14", 4}, {"pve15", 5}}

// declared returns a declaration of the given nodes on link 0.
func declared(nodes ...fixNode) *api.Cluster {
	c := &api.Cluster{APIVersion: api.APIVersion, Kind: api.KindCluster, Metadata: api.Metadata{Name: "prod"}}
	c.Spec.Links = []api.Link{{Number: 0}}
	for _, n := range nodes {
		c.Spec.Members = append(c.Spec.Members, api.Member{Name: n.name, NodeID: n.nodeid, Votes: 1,
			Addresses: []api.LinkAddress{{Link: 0, Address: fmt.Sprintf("10.10.10.%d", 10+n.nodeid)}}})
	}
	return c
}

// healthyNode is a running member of a quorate cluster with every node in it.
func healthyNode(n fixNode, conf string, members []fixNode) state.Node {
	v := state.NewConfCopy([]byte(conf))
	rv := v.Version
	q := &state.Quorum{Nodes: len(members), NodeID: n.nodeid, Quorate: true,
		ExpectedVotes: len(members), HighestExpected: len(members), TotalVotes: len(members),
		Quorum: len(members)/2 + 1, Flags: []string{"Quorate"}}
	for _, m := range members {
		q.Members = append(q.Members, state.Member{NodeID: m.nodeid, Votes: 1, Name: m.name, Local: m == n})
	}
	return state.Node{Name: n.name, API: state.Reach{OK: true}, SSH: state.Reach{OK: true},
		Corosync: state.Active, PVECluster: state.Active, ClusterConf: v, LocalConf: v,
		RuntimeVersion: &rv, Quorum: q}
}

// staleStory is the user story: pve14 was off while pve15 joined
// (v31 → v32); its corosync now exits with the CMAP refusal.
func staleStory() *state.Cluster {
	c32 := confText(32, storyNodes...)
	c31 := confText(31, storyNodes[:4]...)
	up := []fixNode{storyNodes[0], storyNodes[1], storyNodes[2], storyNodes[4]}
	obs := &state.Cluster{FormatVersion: state.FormatVersion, Name: "prod", ObservedAt: testNow}
	for _, n := range up {
		node := healthyNode(n, c32, up)
		node.Quorum.ExpectedVotes, node.Quorum.HighestExpected, node.Quorum.Quorum = 5, 5, 3
		obs.Nodes = append(obs.Nodes, node)
	}
	stale := state.Node{Name: "pve14", API: state.Reach{OK: true}, SSH: state.Reach{OK: true},
		Corosync: state.Inactive, PVECluster: state.Active,
		ClusterConf: state.NewConfCopy([]byte(c31)), LocalConf: state.NewConfCopy([]byte(c31)),
		CMAPRejection: &state.CMAPRejection{Received: 32, Mine: 31,
			Line: "Nov 22 03:40:02 pve14 corosync[2211]:   [CMAP  ] Received config version (32) is different than my config version (31)! Exiting"}}
	obs.Nodes = append(obs.Nodes, stale)
	obs.Sort()
	return obs
}

func mustNode(t *testing.T, c *state.Cluster, name string) *state.Node {
	n := c.Node(name)
	if n == nil {
		panic("fixture has no node " + name)
	}
	return n
}

// healthyStory is the story's cluster once pve14 is back: five members at v32.
func healthyStory() *state.Cluster {
	c32 := confText(32, storyNodes...)
	obs := &state.Cluster{FormatVersion: state.FormatVersion, Name: "prod", ObservedAt: testNow}
	for _, n := range storyNodes {
		obs.Nodes = append(obs.Nodes, healthyNode(n, c32, storyNodes))
	}
	return obs
}
