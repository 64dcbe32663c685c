package clusters_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/corosync"
)

// randomSimCase builds a random running cluster on the simulator and a
// declaration that differs from it (links, addresses, priorities, votes, an
// undeclared powered-off member), as the planner's property test does on
// values. Every node has both its old and its new addresses configured.
func randomSimCase(r *rand.Rand) (*sim.Model, func(*api.Cluster), []string) {
	n := 2 + r.IntN(4)
	links := []corosync.Interface{{Number: 0}}
	if r.IntN(2) == 0 {
		links = append(links, corosync.Interface{Number: 1, Priority: r.IntN(3) * 10})
	}
	var specs []sim.NodeSpec
	for i := 1; i <= n; i++ {
		s := sim.NodeSpec{Name: fmt.Sprintf("pve%d", i), NodeID: i, Votes: 1, Addrs: map[int]string{}, HostIP: fmt.Sprintf("192.0.2.%d", i)}
		for _, l := range []int{0, 1, 2} {
			s.Interfaces = append(s.Interfaces, fmt.Sprintf("10.%d.10.%d", 10+10*l, i), fmt.Sprintf("10.%d.99.%d", 10+10*l, i))
		}
		for _, l := range links {
			s.Addrs[l.Number] = fmt.Sprintf("10.%d.10.%d", 10+10*l.Number, i)
		}
		if r.IntN(4) == 0 {
			s.Votes = 2
		}
		specs = append(specs, s)
	}
	m := sim.NewCluster("prop", links, specs, uint64(1+r.IntN(30)))
	var down []string
	for _, s := range specs {
		if s.NodeID > 1 && r.IntN(5) == 0 {
			down = append(down, s.Name)
			continue
		}
		m.PowerOn(s.Name)
	}
	// The declaration's changes.
	moveLink := -1
	if r.IntN(3) == 0 {
		moveLink = 0
	}
	addLink := r.IntN(3) == 0
	dropLink1 := len(links) == 2 && r.IntN(3) == 0
	newPrio := r.IntN(3) * 10
	changePrio := len(links) == 2 && r.IntN(3) == 0
	votes := map[string]int{}
	for _, s := range specs {
		if r.IntN(4) == 0 {
			votes[s.Name] = 1 + r.IntN(2)
		}
	}
	removeDown := len(down) > 0 && r.IntN(2) == 0
	mutate := func(d *api.Cluster) {
		d.Spec.Policy.RemoveAbsentMembers = removeDown
		if addLink && len(d.Spec.Links) == 1 {
			d.Spec.Links = append(d.Spec.Links, api.Link{Number: 2, Priority: newPrio})
		}
		if changePrio {
			for i := range d.Spec.Links {
				if d.Spec.Links[i].Number == 1 {
					d.Spec.Links[i].Priority = newPrio + 5
				}
			}
		}
		if dropLink1 {
			var keep []api.Link
			for _, l := range d.Spec.Links {
				if l.Number != 1 {
					keep = append(keep, l)
				}
			}
			d.Spec.Links = keep
		}
		var members []api.Member
		for _, mem := range d.Spec.Members {
			if removeDown && mem.Name == down[0] {
				continue
			}
			var addrs []api.LinkAddress
			for _, l := range d.Spec.Links {
				third := 10
				if l.Number == moveLink || l.Number == 2 {
					third = 99
				}
				addrs = append(addrs, api.LinkAddress{Link: l.Number, Address: fmt.Sprintf("10.%d.%d.%d", 10+10*l.Number, third, mem.NodeID)})
			}
			mem.Addresses = addrs
			if v, ok := votes[mem.Name]; ok {
				mem.Votes = v
			}
			members = append(members, mem)
		}
		d.Spec.Members = members
	}
	return m, mutate, down
}

// TestPlanApplyPropertiesOnSimulator: for random clusters and declarations,
// applying quorate's plans on the simulator never leaves the cluster
// inquorate at any observation, never fails a step or a postcondition, and
// converges whenever every declared node is up (issue #3 property).
func TestPlanApplyPropertiesOnSimulator(t *testing.T) {
	cases := 10000
	if testing.Short() {
		cases = 200
	}
	r := rand.New(rand.NewPCG(11, 22))
	converged, blockedByDown := 0, 0
	applied := map[reconciler.Kind]int{}
	for i := 0; i < cases; i++ {
		m, mutate, down := randomSimCase(r)
		decl, remote, _ := inMemory(t, m)
		mutate(decl)
		ctx := context.Background()
		start, err := remote.Observe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		quorate := start.Authority() != nil
		var last reconciler.Changeset
		for round := 0; round < 8; round++ {
			obs, err := remote.Observe(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if quorate && obs.Authority() == nil {
				t.Fatalf("case %d round %d: the cluster lost quorum", i, round)
			}
			last = reconciler.Plan(decl, obs, t0)
			if len(last.Actions) == 0 {
				break
			}
			for _, a := range last.Actions {
				applied[a.Kind]++
			}
			w := &quorumWatch{remote: remote, t: t, must: quorate, label: fmt.Sprintf("case %d round %d", i, round)}
			if _, err := reconciler.Apply(ctx, w, &last, reconciler.ApplyOptions{Clock: &instantClock{t: t0}}); err != nil {
				t.Fatalf("case %d round %d: %v\nplan:\n%s", i, round, err, last.Text())
			}
		}
		switch {
		case last.Converged():
			converged++
		case len(down) > 0:
			blockedByDown++
		default:
			t.Fatalf("case %d: all nodes up but not converged:\n%s", i, last.Text())
		}
	}
	t.Logf("%d cases: %d converged, %d left blocked by powered-off members; applied %v", cases, converged, blockedByDown, applied)
	for _, k := range []reconciler.Kind{reconciler.AddLink, reconciler.RemoveLink, reconciler.SetLinkPriority, reconciler.SetVotes, reconciler.RemoveMember, reconciler.CleanupRemovedNode} {
		if applied[k] == 0 {
			t.Errorf("no %s applied in %d cases", k, cases)
		}
	}
	if converged < cases/3 {
		t.Errorf("only %d of %d cases converged: the generator is too hostile to say much", converged, cases)
	}
}

// quorumWatch fails the test if an observation during apply shows no quorate
// node.
type quorumWatch struct {
	remote interface {
		reconciler.Cluster
	}
	t     *testing.T
	must  bool
	label string
}

func (q *quorumWatch) Observe(ctx context.Context) (*state.Cluster, error) {
	obs, err := q.remote.Observe(ctx)
	if err == nil && q.must && obs.Authority() == nil {
		q.t.Fatalf("%s: an observation during apply shows no quorate node", q.label)
	}
	return obs, err
}

func (q *quorumWatch) Exec(ctx context.Context, s reconciler.Step) error {
	return q.remote.Exec(ctx, s)
}
