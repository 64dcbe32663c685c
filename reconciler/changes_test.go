package reconciler

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/state"
)

// topo describes a cluster for the change tests: nodes, links with an address
// function, votes and which nodes run.
type topo struct {
	nodes   []fixNode
	links   map[int]int // link → priority
	addr    func(link, nodeid int) string
	votes   map[string]int
	down    map[string]bool
	version uint64
}

func defaultAddr(link, id int) string { return fmt.Sprintf("10.%d.10.%d", 10+link*10, id) }

func (t topo) conf() string {
	var b strings.Builder
	b.WriteString("logging {\n  debug: off\n  to_syslog: yes\n}\n\nnodelist {\n")
	for _, n := range t.nodes {
		v := 1
		if t.votes[n.name] != 0 {
			v = t.votes[n.name]
		}
		fmt.Fprintf(&b, "  node {\n    name: %s\n    nodeid: %d\n    quorum_votes: %d\n", n.name, n.nodeid, v)
		for _, l := range sortedKeys(t.links) {
			fmt.Fprintf(&b, "    ring%d_addr: %s\n", l, t.addr(l, n.nodeid))
		}
		b.WriteString("  }\n")
	}
	fmt.Fprintf(&b, "}\n\nquorum {\n  provider: corosync_votequorum\n}\n\ntotem {\n  cluster_name: prod\n  config_version: %d\n", t.version)
	for _, l := range sortedKeys(t.links) {
		b.WriteString("  interface {\n")
		if t.links[l] != 0 {
			fmt.Fprintf(&b, "    knet_link_priority: %d\n", t.links[l])
		}
		fmt.Fprintf(&b, "    linknumber: %d\n  }\n", l)
	}
	b.WriteString("  ip_version: ipv4-6\n  link_mode: passive\n  secauth: on\n  version: 2\n}\n\n")
	return b.String()
}

func sortedKeys(m map[int]int) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// observe builds the observation of t: running nodes see each other on every
// link; Shared is read from the first running node and lists every node's
// directory and key.
func (t topo) observe() *state.Cluster {
	conf := t.conf()
	var up []fixNode
	expected := 0
	for _, n := range t.nodes {
		v := 1
		if t.votes[n.name] != 0 {
			v = t.votes[n.name]
		}
		expected += v
		if !t.down[n.name] {
			up = append(up, n)
		}
	}
	obs := &state.Cluster{FormatVersion: state.FormatVersion, Name: "prod", ObservedAt: testNow}
	for _, n := range t.nodes {
		if t.down[n.name] {
			obs.Nodes = append(obs.Nodes, state.Node{Name: n.name, SSH: state.Reach{Error: "connection refused"}, Corosync: state.Unknown, PVECluster: state.Unknown})
			continue
		}
		node := healthyNode(n, conf, up)
		q := node.Quorum
		q.TotalVotes = 0
		for i := range q.Members {
			v := 1
			if t.votes[q.Members[i].Name] != 0 {
				v = t.votes[q.Members[i].Name]
			}
			q.Members[i].Votes = v
			q.TotalVotes += v
		}
		q.ExpectedVotes, q.HighestExpected, q.Quorum = expected, expected, expected/2+1
		q.Quorate = q.TotalVotes >= q.Quorum
		for _, l := range sortedKeys(t.links) {
			link := state.Link{Number: l, Addr: t.addr(l, n.nodeid)}
			for _, m := range up {
				st := "connected"
				if m == n {
					st = "localhost"
				}
				link.Peers = append(link.Peers, state.LinkPeer{NodeID: m.nodeid, Status: st})
			}
			node.Links = append(node.Links, link)
		}
		obs.Nodes = append(obs.Nodes, node)
	}
	sh := &state.Shared{From: up[0].name, Guests: []state.Guest{}, HAResources: []state.HAResource{}, HAGroups: []state.HAGroup{}, Replication: []state.ReplicationJob{}}
	var keys, known strings.Builder
	for _, n := range t.nodes {
		sh.NodeDirs = append(sh.NodeDirs, n.name)
		fmt.Fprintf(&keys, "ssh-rsa AAAAB3Nza%s root@%s\n", n.name, n.name)
		fmt.Fprintf(&known, "%s ssh-rsa AAAAB3Nzb%s\n", n.name, n.name)
	}
	sh.AuthorizedKeys = state.NewFileCopy([]byte(keys.String()))
	sh.KnownHosts = state.NewFileCopy([]byte(known.String()))
	obs.Shared = sh
	obs.Sort()
	return obs
}

// decl declares the nodes on the given links with addr.
func decl(nodes []fixNode, links map[int]int, addr func(l, id int) string) *api.Cluster {
	c := declared()
	for _, l := range sortedKeys(links) {
		c.Spec.Links = append(c.Spec.Links, api.Link{Number: l, Priority: links[l]})
	}
	c.Spec.Links = c.Spec.Links[1:] // declared() adds link 0 by default
	for _, n := range nodes {
		m := api.Member{Name: n.name, NodeID: n.nodeid, Votes: 1}
		for _, l := range sortedKeys(links) {
			m.Addresses = append(m.Addresses, api.LinkAddress{Link: l, Address: addr(l, n.nodeid)})
		}
		c.Spec.Members = append(c.Spec.Members, m)
	}
	return c
}

var four = []fixNode{{"pve1", 1}, {"pve2", 2}, {"pve3", 3}, {"pve4", 4}}

func kindsOf(cs Changeset) []string {
	var out []string
	for _, a := range cs.Actions {
		out = append(out, a.Kind.String()+" "+a.Target)
	}
	return out
}

// checkChain asserts every edit starts from the bytes the previous one wrote
// and that config_version rises by one each time.
func checkChain(t *testing.T, obs *state.Cluster, cs Changeset) {
	t.Helper()
	auth := obs.Authority()
	if auth == nil {
		if len(cs.Actions) > 0 {
			t.Errorf("actions planned without an authority:\n%s", cs.Text())
		}
		return
	}
	digest, version := auth.ClusterConf.Digest, auth.ClusterConf.Version
	for i, a := range cs.Actions {
		for _, s := range a.Steps {
			if s.Kind != StepEditClusterConf {
				continue
			}
			if s.BaseDigest != digest || s.Version != version+1 {
				t.Errorf("action %d (%s) edits base %s to v%d, want base %s to v%d", i+1, a.Summary(), short(s.BaseDigest), s.Version, short(digest), version+1)
			}
			digest, version = s.Digest, s.Version
		}
	}
}

func TestPlanChanges(t *testing.T) {
	newNet := func(l, id int) string {
		if l == 0 {
			return fmt.Sprintf("10.30.30.%d", id)
		}
		return defaultAddr(l, id)
	}
	tests := []struct {
		name    string
		cluster topo
		desired *api.Cluster
		want    []string
		blocked []string
	}{
		{name: "add a redundant link",
			cluster: topo{nodes: four[:3], links: map[int]int{0: 0}, addr: defaultAddr, version: 4},
			desired: decl(four[:3], map[int]int{0: 0, 1: 10}, defaultAddr),
			want:    []string{"AddLink link 1"}},
		{name: "remove a link while another connects",
			cluster: topo{nodes: four[:3], links: map[int]int{0: 0, 1: 0}, addr: defaultAddr, version: 4},
			desired: decl(four[:3], map[int]int{0: 0}, defaultAddr),
			want:    []string{"RemoveLink link 1"}},
		{name: "change link priority",
			cluster: topo{nodes: four[:3], links: map[int]int{0: 0, 1: 0}, addr: defaultAddr, version: 4},
			desired: decl(four[:3], map[int]int{0: 0, 1: 20}, defaultAddr),
			want:    []string{"SetLinkPriority link 1"}},
		{name: "move ring0 of a one-link cluster through a temporary link",
			cluster: topo{nodes: four, links: map[int]int{0: 0}, addr: defaultAddr, version: 7},
			desired: decl(four, map[int]int{0: 0}, newNet),
			want:    []string{"AddLink link 1", "RemoveLink link 0", "AddLink link 0", "RemoveLink link 1"}},
		{name: "a move stopped after its first step continues with the temporary link in place",
			cluster: topo{nodes: four, links: map[int]int{0: 0, 1: 0}, version: 8, addr: func(l, id int) string {
				if l == 1 {
					return newNet(0, id) // the temporary link already on the new addresses
				}
				return defaultAddr(l, id)
			}},
			desired: decl(four, map[int]int{0: 0}, newNet),
			want:    []string{"RemoveLink link 0", "AddLink link 0", "RemoveLink link 1"}},
		{name: "move ring0 while link 1 carries the cluster",
			cluster: topo{nodes: four, links: map[int]int{0: 0, 1: 0}, addr: defaultAddr, version: 7},
			desired: decl(four, map[int]int{0: 0, 1: 0}, newNet),
			want:    []string{"RemoveLink link 0", "AddLink link 0"}},
		{name: "change votes",
			cluster: topo{nodes: four[:3], links: map[int]int{0: 0}, addr: defaultAddr, version: 4},
			desired: func() *api.Cluster {
				c := decl(four[:3], map[int]int{0: 0}, defaultAddr)
				c.Spec.Members[0].Votes = 2
				return c
			}(),
			want: []string{"SetVotes pve1"}},
		{name: "votes change that would cost quorum is refused",
			cluster: topo{nodes: four[:3], links: map[int]int{0: 0}, addr: defaultAddr, version: 4, down: map[string]bool{"pve3": true}},
			desired: func() *api.Cluster {
				c := decl(four[:3], map[int]int{0: 0}, defaultAddr)
				c.Spec.Members[2].Votes = 3 // expected 5, quorum 3, present 2
				return c
			}(),
			blocked: []string{"would lose quorum: 2 of 5 votes present, quorum 3", "not reachable over SSH"}},
		{name: "powered-off undeclared member is removed and cleaned up",
			cluster: topo{nodes: four, links: map[int]int{0: 0}, addr: defaultAddr, version: 5, down: map[string]bool{"pve4": true}},
			desired: func() *api.Cluster {
				c := decl(four[:3], map[int]int{0: 0}, defaultAddr)
				c.Spec.Policy.RemoveAbsentMembers = true
				return c
			}(),
			want: []string{"RemoveMember pve4", "CleanupRemovedNode pve4"}},
		{name: "removal needs the policy",
			cluster: topo{nodes: four, links: map[int]int{0: 0}, addr: defaultAddr, version: 5, down: map[string]bool{"pve4": true}},
			desired: decl(four[:3], map[int]int{0: 0}, defaultAddr),
			blocked: []string{"but not declared"}},
		{name: "an online member is never removed",
			cluster: topo{nodes: four, links: map[int]int{0: 0}, addr: defaultAddr, version: 5},
			desired: func() *api.Cluster {
				c := decl(four[:3], map[int]int{0: 0}, defaultAddr)
				c.Spec.Policy.RemoveAbsentMembers = true
				return c
			}(),
			blocked: []string{"never removes an online node"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obs := tc.cluster.observe()
			cs := Plan(tc.desired, obs, testNow)
			if got := kindsOf(cs); !slices.Equal(got, tc.want) {
				t.Fatalf("actions %q, want %q\n%s", got, tc.want, cs.Text())
			}
			checkChain(t, obs, cs)
			for _, want := range tc.blocked {
				found := false
				for _, b := range cs.Blocked {
					found = found || strings.Contains(b.Reason, want)
				}
				if !found {
					t.Errorf("no blocked reason contains %q:\n%s", want, cs.Text())
				}
			}
			if len(tc.blocked) == 0 && len(cs.Blocked) > 0 {
				t.Errorf("unexpected blocked entries:\n%s", cs.Text())
			}
			for _, a := range cs.Actions {
				if a.Votes != nil && a.Votes.Before.Quorate && !a.Votes.After.Quorate {
					t.Errorf("%s loses quorum: %s → %s", a.Summary(), a.Votes.Before, a.Votes.After)
				}
			}
		})
	}
}

func TestRemovalRefusedWhileReferenced(t *testing.T) {
	cl := topo{nodes: four, links: map[int]int{0: 0}, addr: defaultAddr, version: 5, down: map[string]bool{"pve4": true}}
	d := decl(four[:3], map[int]int{0: 0}, defaultAddr)
	d.Spec.Policy.RemoveAbsentMembers = true
	obs := cl.observe()
	obs.Shared.Guests = []state.Guest{{VMID: 104, Type: "qemu", Node: "pve4"}}
	obs.Shared.HAGroups = []state.HAGroup{{Group: "g1", Nodes: []string{"pve1", "pve4"}}}
	obs.Shared.Replication = []state.ReplicationJob{{ID: "101-0", Guest: 101, Target: "pve4", Source: "pve1"}}
	cs := Plan(d, obs, testNow)
	if len(cs.Actions) != 0 {
		t.Fatalf("planned %q despite references", kindsOf(cs))
	}
	text := cs.Text()
	for _, want := range []string{"qemu 104", "HA group g1", "replication job 101-0"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan does not list %q:\n%s", want, text)
		}
	}
	obs.Shared.APIError = "403 Permission check failed"
	if cs := Plan(d, obs, testNow); len(cs.Actions) != 0 || !strings.Contains(cs.Text(), "could not be read") {
		t.Errorf("unknown references must block removal:\n%s", cs.Text())
	}
}

// TestChangesWaitForRepairs: a stale node is repaired alone; the declared
// changes are listed as waiting for the next round.
func TestChangesWaitForRepairs(t *testing.T) {
	obs := staleStory()
	d := declared(storyNodes...)
	d.Spec.Members[0].Votes = 2
	cs := Plan(d, obs, testNow)
	if got := kindsOf(cs); !slices.Equal(got, []string{"ResyncCorosyncConf pve14"}) {
		t.Fatalf("actions %q", got)
	}
	if !strings.Contains(cs.Text(), "once the actions above are done") {
		t.Errorf("the votes change is not reported as waiting:\n%s", cs.Text())
	}
}

// TestMoveRing0Golden pins the plan text of the four-step address move,
// including the vote arithmetic per step.
func TestMoveRing0Golden(t *testing.T) {
	cl := topo{nodes: four, links: map[int]int{0: 0}, addr: defaultAddr, version: 7}
	d := decl(four, map[int]int{0: 0}, func(l, id int) string { return fmt.Sprintf("10.30.30.%d", id) })
	cs := Plan(d, cl.observe(), testNow)
	golden(t, "move-ring0.plan.txt", cs.Text())
}

// TestRemovalRefusedByHARule: on Proxmox VE 9 an HA node-affinity rule that
// lists the node is a reference too.
func TestRemovalRefusedByHARule(t *testing.T) {
	cl := topo{nodes: four, links: map[int]int{0: 0}, addr: defaultAddr, version: 5, down: map[string]bool{"pve4": true}}
	d := decl(four[:3], map[int]int{0: 0}, defaultAddr)
	d.Spec.Policy.RemoveAbsentMembers = true
	obs := cl.observe()
	obs.Shared.HARules = []state.HARule{{Rule: "prefer-4", Type: "node-affinity", Nodes: []string{"pve4", "pve1"}}}
	cs := Plan(d, obs, testNow)
	if len(cs.Actions) != 0 || !strings.Contains(cs.Text(), "HA rule prefer-4") {
		t.Fatalf("plan:\n%s", cs.Text())
	}
}
