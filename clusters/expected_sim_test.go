package clusters_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state/corosync"
)

// TestStoryTemporaryExpectedVotes: a two-node cluster with one node down is
// read-only (reference §7.2: Proxmox sets no two_node). A declared override
// makes the survivor quorate with `pvecm expected 1`; at its expiry quorate
// clears it with a reload, as declared (reference §3.5, §7.3, lab §3).
func TestStoryTemporaryExpectedVotes(t *testing.T) {
	specs := []sim.NodeSpec{
		{Name: "pve1", NodeID: 1, Votes: 1, Addrs: map[int]string{0: "10.10.10.1"}, HostIP: "192.0.2.1"},
		{Name: "pve2", NodeID: 2, Votes: 1, Addrs: map[int]string{0: "10.10.10.2"}, HostIP: "192.0.2.2"},
	}
	m := sim.NewCluster("duo", []corosync.Interface{{Number: 0}}, specs, 3)
	m.PowerOn("pve1")
	decl, remote, _ := inMemory(t, m)
	expires := t0.Add(2 * time.Hour)
	decl.Spec.Quorum.TemporaryExpectedVotes = &api.TemporaryExpected{Votes: 1, Reason: "pve2 mainboard swap", Expires: expires}
	ctx := context.Background()

	obs, err := remote.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if obs.Node("pve1").Quorate() {
		t.Fatalf("pve1 alone should be inquorate")
	}
	cs := reconciler.Plan(decl, obs, t0)
	if len(cs.Actions) != 1 || cs.Actions[0].Kind != reconciler.SetExpectedVotes || !strings.Contains(cs.Actions[0].Reason, "mainboard swap") {
		t.Fatalf("plan:\n%s", cs.Text())
	}
	if _, err := reconciler.Apply(ctx, remote, &cs, reconciler.ApplyOptions{Clock: &instantClock{t: t0}}); err != nil {
		t.Fatal(err)
	}
	obs, _ = remote.Observe(ctx)
	if n := obs.Node("pve1"); !n.Quorate() || n.Quorum.ExpectedVotes != 1 {
		t.Fatalf("pve1 after the override: %+v", n.Quorum)
	}
	// While it is in force, nothing more is planned for it (pve2 is still
	// unreachable and reported as such).
	cs = reconciler.Plan(decl, obs, t0.Add(time.Hour))
	for _, a := range cs.Actions {
		t.Errorf("unexpected action while the override holds: %s", a.Summary())
	}
	// At expiry it is cleared, and pve1 is read-only again, as declared.
	cs = reconciler.Plan(decl, obs, expires)
	if len(cs.Actions) != 1 || cs.Actions[0].Kind != reconciler.ClearExpectedVotes {
		t.Fatalf("plan at expiry:\n%s", cs.Text())
	}
	if _, err := reconciler.Apply(ctx, remote, &cs, reconciler.ApplyOptions{Clock: &instantClock{t: expires}}); err != nil {
		t.Fatal(err)
	}
	obs, _ = remote.Observe(ctx)
	if n := obs.Node("pve1"); n.Quorate() || n.Quorum.ExpectedVotes != 2 {
		t.Fatalf("pve1 after expiry: %+v", n.Quorum)
	}
	// And a lapsed override is not set again.
	if cs := reconciler.Plan(decl, obs, expires.Add(time.Minute)); len(cs.Actions) != 0 {
		t.Errorf("plan after expiry:\n%s", cs.Text())
	}
}

// TestStoryQuorumOptions: two_node is written as declared and applies live:
// the survivor of a two-node cluster stays quorate (reference §7.2, lab §3”).
func TestStoryQuorumOptions(t *testing.T) {
	specs := []sim.NodeSpec{
		{Name: "pve1", NodeID: 1, Votes: 1, Addrs: map[int]string{0: "10.10.10.1"}, HostIP: "192.0.2.1"},
		{Name: "pve2", NodeID: 2, Votes: 1, Addrs: map[int]string{0: "10.10.10.2"}, HostIP: "192.0.2.2"},
	}
	m := sim.NewCluster("duo", []corosync.Interface{{Number: 0}}, specs, 3)
	m.PowerOn("pve1")
	m.PowerOn("pve2")
	decl, remote, _ := inMemory(t, m)
	decl.Spec.Quorum.TwoNode = true
	w := &watchedRemote{Remote: remote, t: t}
	plans := converge(t, decl, w)
	if got := strings.Join(kinds(plans), "; "); got != "SetQuorumOptions quorum" {
		t.Fatalf("actions: %s", got)
	}
	a := plans[0].Actions[0]
	if a.Votes.After.Quorum != 1 {
		t.Errorf("two_node quorum after: %s", a.Votes.After)
	}
	m.PowerOff("pve2")
	obs, _ := remote.Observe(context.Background())
	if !obs.Node("pve1").Quorate() {
		t.Errorf("pve1 lost quorum with two_node set: %+v", obs.Node("pve1").Quorum)
	}
}
