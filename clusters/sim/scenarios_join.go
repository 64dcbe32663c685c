package sim

import (
	"sort"

	"github.com/quorate/quorate/api"
)

// Scenarios whose declaration adds a member (issue: join). The joiner is a
// freshly installed, powered-on machine: pmxcfs in local mode with its own
// DB, no corosync.conf, corosync not started.

func init() {
	scenarios["join-member"] = scenarioJoinMember
	scenarios["join-would-lose-quorum"] = scenarioJoinWouldLoseQuorum
}

// joinerSpec is pve4 as installed: host IP 192.0.2.4 on the management
// interface and 10.10.10.4 on the cluster network, not in any cluster.
func joinerSpec() NodeSpec {
	return NodeSpec{Name: "pve4", HostIP: "192.0.2.4", Interfaces: []string{"192.0.2.4", "10.10.10.4"}}
}

// withMember is the intent "add this member".
func withMember(mem api.Member) func(*api.Cluster) {
	return func(d *api.Cluster) {
		d.Spec.Members = append(d.Spec.Members, mem)
		sort.Slice(d.Spec.Members, func(i, j int) bool { return d.Spec.Members[i].Name < d.Spec.Members[j].Name })
	}
}

// joinIntent declares pve4 with nodeid 4, one vote, link0 10.10.10.4.
var joinIntent = withMember(api.Member{Name: "pve4", NodeID: 4, Votes: 1,
	Addresses: []api.LinkAddress{{Link: 0, Address: "10.10.10.4"}}})

// scenarioJoinMember: cluster "lab" pve1..pve3 at version 4, all running;
// pve4 is a standalone machine, powered on; the declaration adds it
// (reference §2.9, §3.2).
func scenarioJoinMember() (*Model, error) {
	m := NewCluster("lab", link0, labNodes("pve", 1, 2, 3), 4)
	if err := powerAll(m, m.Nodes()...); err != nil {
		return nil, err
	}
	m.AddNode(joinerSpec())
	if err := m.PowerOn("pve4"); err != nil {
		return nil, err
	}
	m.intent = joinIntent
	return m, nil
}

// scenarioJoinWouldLoseQuorum: join-member with pve3 powered off. pve1 and
// pve2 hold 2 of 3 votes (quorum 2); the join raises expected votes to 4 at
// once (quorum 3, reference §2.6, §11.14, lab §1(b)), so the cluster would
// be inquorate until pve4 counts: quorate must refuse.
func scenarioJoinWouldLoseQuorum() (*Model, error) {
	m, err := scenarioJoinMember()
	if err != nil {
		return nil, err
	}
	if err := m.PowerOff("pve3"); err != nil {
		return nil, err
	}
	return m, nil
}
