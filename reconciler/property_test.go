package reconciler

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/quorate/quorate/api"
)

// randomPair draws a cluster and a declaration that differs from it in links,
// addresses, priorities, votes and members, with some nodes down.
func randomPair(r *rand.Rand) (topo, *api.Cluster) {
	n := 2 + r.IntN(5)
	var nodes []fixNode
	for i := 1; i <= n; i++ {
		nodes = append(nodes, fixNode{fmt.Sprintf("pve%d", i), i})
	}
	t := topo{nodes: nodes, links: map[int]int{0: 0}, addr: defaultAddr, version: uint64(1 + r.IntN(40)),
		votes: map[string]int{}, down: map[string]bool{}}
	if r.IntN(2) == 0 {
		t.links[1] = r.IntN(3) * 10
	}
	for _, nd := range nodes {
		if r.IntN(4) == 0 {
			t.votes[nd.name] = 1 + r.IntN(3)
		}
		if r.IntN(4) == 0 {
			t.down[nd.name] = true
		}
	}
	if len(t.down) == len(nodes) {
		delete(t.down, nodes[0].name)
	}
	// The declaration: a subset of the nodes, other links, other addresses,
	// other votes.
	links := map[int]int{}
	for l, p := range t.links {
		if r.IntN(4) != 0 {
			links[l] = p
		}
	}
	if r.IntN(3) == 0 {
		links[r.IntN(3)] = r.IntN(3) * 10
	}
	if len(links) == 0 {
		links[0] = 0
	}
	addr := defaultAddr
	if r.IntN(3) == 0 {
		addr = func(l, id int) string { return fmt.Sprintf("10.%d.99.%d", 10+l*10, id) }
	}
	declNodes := nodes
	if len(nodes) > 2 && r.IntN(3) == 0 {
		declNodes = nodes[:len(nodes)-1]
	}
	d := decl(declNodes, links, addr)
	d.Spec.Policy.RemoveAbsentMembers = r.IntN(2) == 0
	for i := range d.Spec.Members {
		d.Spec.Members[i].Votes = 1
		if r.IntN(4) == 0 {
			d.Spec.Members[i].Votes = 1 + r.IntN(3)
		}
	}
	return t, d
}

// TestPlanProperties: over 10,000 random declared/observed pairs, Plan never
// proposes an action whose vote arithmetic takes a quorate cluster to an
// inquorate one, every corosync.conf edit starts from the bytes the previous
// one leaves with config_version one higher, removals only target members out
// of the membership, and the plan is the same when computed twice
// (STYLE.md "Properties").
func TestPlanProperties(t *testing.T) {
	cases := 10000
	if testing.Short() {
		cases = 500
	}
	r := rand.New(rand.NewPCG(2026, 11))
	actions := map[Kind]int{}
	for i := 0; i < cases; i++ {
		cl, d := randomPair(r)
		obs := cl.observe()
		cs := Plan(d, obs, testNow)
		again := Plan(d, obs, testNow)
		ja, _ := json.Marshal(cs)
		jb, _ := json.Marshal(again)
		if string(ja) != string(jb) {
			t.Fatalf("case %d: plan differs between two runs", i)
		}
		checkChain(t, obs, cs)
		for _, a := range cs.Actions {
			actions[a.Kind]++
			if a.Votes != nil && a.Votes.Before.Quorate && !a.Votes.After.Quorate {
				t.Fatalf("case %d: %s loses quorum: %s → %s\n%s", i, a.Summary(), a.Votes.Before, a.Votes.After, cs.Text())
			}
			if a.Kind == RemoveMember && !cl.down[a.Target] {
				t.Fatalf("case %d: removes running member %s", i, a.Target)
			}
			if a.Kind == RemoveMember && !d.Spec.Policy.RemoveAbsentMembers {
				t.Fatalf("case %d: removes %s without the policy", i, a.Target)
			}
		}
		if t.Failed() {
			t.Fatalf("case %d:\n%s", i, cs.Text())
		}
	}
	// The generator must exercise every kind of change, or the property says
	// little.
	for _, k := range []Kind{AddLink, RemoveLink, SetLinkPriority, SetVotes, RemoveMember, CleanupRemovedNode} {
		if actions[k] == 0 {
			t.Errorf("no %s planned in %d cases", k, cases)
		}
	}
	t.Logf("%d cases; actions planned: %v", cases, actions)
}
