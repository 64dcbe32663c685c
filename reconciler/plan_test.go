package reconciler

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quorate/quorate/state"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files in testdata/")

func TestPlan(t *testing.T) {
	c3 := confText(3, storyNodes[:3]...)
	healthy := func() *state.Cluster {
		obs := &state.Cluster{FormatVersion: 1, Name: "prod", ObservedAt: testNow}
		for _, n := range storyNodes[:3] {
			obs.Nodes = append(obs.Nodes, healthyNode(n, c3, storyNodes[:3]))
		}
		return obs
	}
	tests := []struct {
		name     string
		obs      func() *state.Cluster
		decl     []fixNode
		kinds    []Kind
		blocked  []string // substrings of Blocked reasons, in order
		targeted []string
	}{
		{name: "healthy cluster is converged", obs: healthy, decl: storyNodes[:3]},
		{name: "stale node is resynced (story)", obs: staleStory, decl: storyNodes,
			kinds: []Kind{ResyncCorosyncConf}, targeted: []string{"pve14"}},
		{name: "local newer than cluster is never overwritten", decl: storyNodes[:3], obs: func() *state.Cluster {
			obs := healthy()
			n := mustNode(nil, obs, "pve13")
			n.LocalConf = state.NewConfCopy([]byte(confText(9, storyNodes[:3]...)))
			return obs
		}, blocked: []string{"newer than the cluster's"}},
		{name: "same version different content is blocked", decl: storyNodes[:3], obs: func() *state.Cluster {
			obs := healthy()
			n := mustNode(nil, obs, "pve13")
			n.LocalConf = state.NewConfCopy([]byte(strings.Replace(c3, "debug: off", "debug: on", 1)))
			return obs
		}, blocked: []string{"different content"}},
		{name: "inquorate cluster is not acted on", decl: storyNodes, obs: func() *state.Cluster {
			obs := staleStory()
			for i := range obs.Nodes {
				if q := obs.Nodes[i].Quorum; q != nil {
					q.Quorate = false
				}
			}
			return obs
		}, blocked: []string{"no node was observed with a quorate corosync"}},
		{name: "wrong cluster is not touched", decl: storyNodes[:3], obs: func() *state.Cluster {
			obs := healthy()
			for i := range obs.Nodes {
				other := state.NewConfCopy([]byte(strings.Replace(c3, "cluster_name: prod", "cluster_name: lab", 1)))
				obs.Nodes[i].ClusterConf, obs.Nodes[i].LocalConf = other, other
			}
			return obs
		}, blocked: []string{`named "lab"`}},
		{name: "interrupted resync starts the services", decl: storyNodes[:3], obs: func() *state.Cluster {
			obs := healthy()
			n := mustNode(nil, obs, "pve13")
			n.Corosync, n.PVECluster, n.Quorum, n.RuntimeVersion = state.Inactive, state.Inactive, nil, nil
			return obs
		}, kinds: []Kind{StartClusterServices}, targeted: []string{"pve13"}},
		{name: "lagging runtime version is reloaded", decl: storyNodes[:3], obs: func() *state.Cluster {
			obs := healthy()
			old := uint64(2)
			mustNode(nil, obs, "pve13").RuntimeVersion = &old
			return obs
		}, kinds: []Kind{ReloadCorosync}, targeted: []string{"pve13"}},
		{name: "no reload while a running member holds another file", decl: storyNodes[:3], obs: func() *state.Cluster {
			obs := healthy()
			old := uint64(2)
			n := mustNode(nil, obs, "pve13")
			n.RuntimeVersion = &old
			n.LocalConf = state.NewConfCopy([]byte(strings.Replace(c3, "debug: off", "debug: on", 1)))
			return obs
		}, blocked: []string{"different content"}},
		{name: "unreachable member is reported", decl: storyNodes[:3], obs: func() *state.Cluster {
			obs := healthy()
			n := mustNode(nil, obs, "pve12")
			*n = state.Node{Name: "pve12", SSH: state.Reach{Error: "dial tcp: connection refused"}, Corosync: state.Unknown, PVECluster: state.Unknown}
			return obs
		}, blocked: []string{"not reachable over SSH"}},
		{name: "undeclared and missing members are drift", decl: []fixNode{storyNodes[0], storyNodes[1], {"pve19", 9}}, obs: healthy,
			blocked: []string{"cannot join: the node does not answer over SSH", "but not declared"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obs := tc.obs()
			cs := Plan(declared(tc.decl...), obs, testNow)
			var kinds []Kind
			var targets []string
			for _, a := range cs.Actions {
				kinds = append(kinds, a.Kind)
				targets = append(targets, a.Target)
			}
			if !slices.Equal(kinds, tc.kinds) || strings.Join(targets, ",") != strings.Join(tc.targeted, ",") {
				t.Errorf("actions = %v on %v, want %v on %v\n%s", kinds, targets, tc.kinds, tc.targeted, cs.Text())
			}
			if len(cs.Blocked) < len(tc.blocked) || (len(tc.blocked) == 0 && len(cs.Blocked) > 0) {
				t.Fatalf("blocked = %+v, want reasons containing %q", cs.Blocked, tc.blocked)
			}
			for _, want := range tc.blocked {
				found := false
				for _, b := range cs.Blocked {
					found = found || strings.Contains(b.Reason, want)
				}
				if !found {
					t.Errorf("no blocked reason contains %q: %+v", want, cs.Blocked)
				}
			}
			if cs.Converged() != (len(tc.kinds) == 0 && len(tc.blocked) == 0) {
				t.Errorf("Converged() = %t", cs.Converged())
			}
		})
	}
}

// TestPlanStaleStoryGolden pins the plan text of the user story: the stale
// node named with both versions and the diff (issue "Done when").
func TestPlanStaleStoryGolden(t *testing.T) {
	cs := Plan(declared(storyNodes...), staleStory(), testNow)
	golden(t, "stale-node.plan.txt", cs.Text())
	b, err := json.MarshalIndent(&cs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "stale-node.plan.json", string(b)+"\n")
	text := cs.Text()
	for _, want := range []string{"resync pve14: local corosync.conf v31 → cluster v32", "+    name: pve15", "-  config_version: 31"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan text lacks %q", want)
		}
	}
}

// TestPlanIsDeterministic: same inputs, same bytes (STYLE.md "Planning is a
// pure function"), also when the observation lists nodes in another order.
func TestPlanIsDeterministic(t *testing.T) {
	a := Plan(declared(storyNodes...), staleStory(), testNow)
	obs := staleStory()
	for i, j := 0, len(obs.Nodes)-1; i < j; i, j = i+1, j-1 {
		obs.Nodes[i], obs.Nodes[j] = obs.Nodes[j], obs.Nodes[i]
	}
	b := Plan(declared(storyNodes...), obs, testNow)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("plans differ:\n%s\n%s", ja, jb)
	}
}

// TestChangesetJSONRoundTrip: a saved plan reads back to the same plan.
func TestChangesetJSONRoundTrip(t *testing.T) {
	cs := Plan(declared(storyNodes...), staleStory(), testNow)
	b, _ := json.Marshal(&cs)
	var back Changeset
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Text() != cs.Text() {
		t.Errorf("round trip changed the plan:\n%s\n%s", back.Text(), cs.Text())
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *rewrite {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -rewrite to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test -rewrite, then review the diff):\n--- got\n%s", name, got)
	}
}

// TestMarkdownGolden pins the pull-request rendering of the ring0 move: the
// table with vote arithmetic and risk per action.
func TestMarkdownGolden(t *testing.T) {
	cl := topo{nodes: four, links: map[int]int{0: 0}, addr: defaultAddr, version: 7, down: map[string]bool{}}
	d := decl(four, map[int]int{0: 0}, func(l, id int) string { return fmt.Sprintf("10.30.30.%d", id) })
	cs := Plan(d, cl.observe(), testNow)
	golden(t, "move-ring0.plan.md", cs.Markdown())
	if !strings.Contains(cs.Markdown(), "| 2 | RemoveLink link 0 | 4/4 q3 → 4/4 q3 | quorum margin 1 vote(s) after it; the cluster relies on its other links meanwhile |") {
		t.Errorf("table row missing:\n%s", cs.Markdown())
	}
}
