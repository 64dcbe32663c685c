package reconciler

import (
	"slices"
	"strings"
	"testing"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/state"
)

// withJoiner adds a standalone node to obs: reachable, pmxcfs in local mode
// (no /etc/pve/corosync.conf), corosync stopped, its addresses configured.
func withJoiner(obs *state.Cluster, name string, id int, guests ...int) {
	obs.Nodes = append(obs.Nodes, state.Node{Name: name, SSH: state.Reach{OK: true}, API: state.Reach{OK: true},
		Corosync: state.Inactive, PVECluster: state.Active,
		Joiner: &state.JoinerFacts{Interfaces: []string{"127.0.0.1", defaultAddr(0, id)}, Guests: guests}})
	obs.Sort()
}

func joinDecl(nodes []fixNode) *api.Cluster {
	d := decl(nodes, map[int]int{0: 0}, defaultAddr)
	d.Spec.Access.RootPassword = &api.SecretRef{File: "root.password"}
	for i := range d.Spec.Members {
		d.Spec.Members[i].Management.Fingerprint = strings.Repeat("AB:", 31) + "CD"
	}
	return d
}

func TestPlanJoin(t *testing.T) {
	tests := []struct {
		name    string
		cluster topo
		joiner  func(*state.Cluster)
		decl    func() *api.Cluster
		want    []string
		blocked string
	}{
		{name: "a joinable node joins",
			cluster: topo{nodes: four[:3], links: map[int]int{0: 0}, addr: defaultAddr, version: 4},
			joiner:  func(o *state.Cluster) { withJoiner(o, "pve4", 4) },
			decl:    func() *api.Cluster { return joinDecl(four) },
			want:    []string{"JoinMember pve4"}},
		{name: "a join that would cost quorum is refused",
			cluster: topo{nodes: four[:3], links: map[int]int{0: 0}, addr: defaultAddr, version: 4, down: map[string]bool{"pve3": true}},
			joiner:  func(o *state.Cluster) { withJoiner(o, "pve4", 4) },
			decl:    func() *api.Cluster { return joinDecl(four) },
			blocked: "joining now would cost quorum"},
		{name: "removing the absent member first, then joining (reordered)",
			cluster: topo{nodes: four[:3], links: map[int]int{0: 0}, addr: defaultAddr, version: 4, down: map[string]bool{"pve3": true}},
			joiner:  func(o *state.Cluster) { withJoiner(o, "pve4", 4) },
			decl: func() *api.Cluster {
				d := joinDecl([]fixNode{four[0], four[1], four[3]})
				d.Spec.Policy.RemoveAbsentMembers = true
				return d
			},
			want:    []string{"RemoveMember pve3", "CleanupRemovedNode pve3"},
			blocked: "waits for the membership change above"},
		{name: "a node with guests cannot join",
			cluster: topo{nodes: four[:3], links: map[int]int{0: 0}, addr: defaultAddr, version: 4},
			joiner:  func(o *state.Cluster) { withJoiner(o, "pve4", 4, 100, 101) },
			decl:    func() *api.Cluster { return joinDecl(four) },
			blocked: "already contains virtual guests (100, 101)"},
		{name: "a link address missing on the node",
			cluster: topo{nodes: four[:3], links: map[int]int{0: 0}, addr: defaultAddr, version: 4},
			joiner: func(o *state.Cluster) {
				withJoiner(o, "pve4", 4)
				o.Node("pve4").Joiner.Interfaces = []string{"127.0.0.1"}
			},
			decl:    func() *api.Cluster { return joinDecl(four) },
			blocked: "link0: cannot use IP '10.10.10.4', not found on local node!"},
		{name: "no root password declared",
			cluster: topo{nodes: four[:3], links: map[int]int{0: 0}, addr: defaultAddr, version: 4},
			joiner:  func(o *state.Cluster) { withJoiner(o, "pve4", 4) },
			decl: func() *api.Cluster {
				d := joinDecl(four)
				d.Spec.Access.RootPassword = nil
				return d
			},
			blocked: "spec.access.rootPassword is not set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obs := tc.cluster.observe()
			tc.joiner(obs)
			cs := Plan(tc.decl(), obs, testNow)
			if got := kindsOf(cs); !slices.Equal(got, tc.want) {
				t.Fatalf("actions %q, want %q\n%s", got, tc.want, cs.Text())
			}
			if tc.blocked != "" && !strings.Contains(cs.Text(), tc.blocked) {
				t.Errorf("plan does not say %q:\n%s", tc.blocked, cs.Text())
			}
			for _, a := range cs.Actions {
				if a.Kind == JoinMember {
					if a.Votes.Before.Expected != 3 || a.Votes.After.Expected != 4 || a.Votes.After.Quorum != 3 {
						t.Errorf("vote arithmetic %s → %s", a.Votes.Before, a.Votes.After)
					}
					j := a.Steps[0]
					if j.Kind != StepJoin || j.Node != "pve4" || j.NodeID != 4 || len(j.Links) != 1 || j.Links[0].Address != "10.10.10.4" {
						t.Errorf("join step %+v", j)
					}
				}
			}
		})
	}
}

// TestHARiskRefusesCorosyncRestart: resyncing a running member restarts its
// corosync; with HA-managed guests on it the plan refuses unless the policy
// acknowledges the fencing risk.
func TestHARiskRefusesCorosyncRestart(t *testing.T) {
	cl := topo{nodes: four[:3], links: map[int]int{0: 0}, addr: defaultAddr, version: 4}
	obs := cl.observe()
	n := obs.Node("pve3")
	n.PVECluster = state.Inactive // pmxcfs down, so its file stayed old
	n.LocalConf = state.NewConfCopy([]byte(topo{nodes: four[:3], links: map[int]int{0: 0}, addr: defaultAddr, version: 3}.conf()))
	obs.Shared.Guests = []state.Guest{{VMID: 300, Type: "qemu", Node: "pve3"}}
	obs.Shared.HAResources = []state.HAResource{{SID: "vm:300"}}
	d := decl(four[:3], map[int]int{0: 0}, defaultAddr)
	cs := Plan(d, obs, testNow)
	if len(cs.Actions) != 0 || !strings.Contains(cs.Text(), "HA-managed guests run on it (vm:300)") {
		t.Fatalf("plan:\n%s", cs.Text())
	}
	d.Spec.Policy.AcknowledgeHARisk = true
	if cs := Plan(d, obs, testNow); len(cs.Actions) != 1 || cs.Actions[0].Kind != ResyncCorosyncConf {
		t.Fatalf("with the risk acknowledged:\n%s", cs.Text())
	}
}

// TestHARiskBracketedOnPVE92: where every running member has Proxmox VE 9.2
// or later, the restart is bracketed by disarm-ha/arm-ha instead of refused.
func TestHARiskBracketedOnPVE92(t *testing.T) {
	cl := topo{nodes: four[:3], links: map[int]int{0: 0}, addr: defaultAddr, version: 4}
	obs := cl.observe()
	for i := range obs.Nodes {
		obs.Nodes[i].PVEVersion = "9.2.1"
	}
	n := obs.Node("pve3")
	n.PVECluster = state.Inactive
	n.LocalConf = state.NewConfCopy([]byte(topo{nodes: four[:3], links: map[int]int{0: 0}, addr: defaultAddr, version: 3}.conf()))
	obs.Shared.Guests = []state.Guest{{VMID: 300, Type: "qemu", Node: "pve3"}}
	obs.Shared.HAResources = []state.HAResource{{SID: "vm:300"}}
	cs := Plan(decl(four[:3], map[int]int{0: 0}, defaultAddr), obs, testNow)
	if len(cs.Actions) != 1 {
		t.Fatalf("plan:\n%s", cs.Text())
	}
	steps := cs.Actions[0].Steps
	if steps[0].Kind != StepHADisarm || steps[len(steps)-1].Kind != StepHAArm || !steps[len(steps)-1].Always {
		t.Errorf("steps not bracketed: %v", steps)
	}
	// One member on 8.4: no bracket, refused.
	obs.Node("pve1").PVEVersion = "8.4.1"
	if cs := Plan(decl(four[:3], map[int]int{0: 0}, defaultAddr), obs, testNow); len(cs.Actions) != 0 {
		t.Errorf("with a pre-9.2 member:\n%s", cs.Text())
	}
}
