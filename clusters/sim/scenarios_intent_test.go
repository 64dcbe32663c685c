package sim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/quorate/quorate/api"
)

// memberLine renders a declared member: "pve1/1 v1 0=10.10.10.1".
func memberLine(mem api.Member) string {
	s := fmt.Sprintf("%s/%d v%d", mem.Name, mem.NodeID, mem.Votes)
	for _, a := range mem.Addresses {
		s += fmt.Sprintf(" %d=%s", a.Link, a.Address)
	}
	return s
}

func declared(d api.Cluster) string {
	var lines []string
	for _, l := range d.Spec.Links {
		lines = append(lines, fmt.Sprintf("link %d pri %d", l.Number, l.Priority))
	}
	for _, mem := range d.Spec.Members {
		lines = append(lines, memberLine(mem))
	}
	lines = append(lines, fmt.Sprintf("removeAbsentMembers %v", d.Spec.Policy.RemoveAbsentMembers))
	return strings.Join(lines, "\n")
}

// Each scenario's declaration: the cluster as it is, edited by its intent.
func TestScenarios_Declaration(t *testing.T) {
	cases := []struct{ scenario, want string }{
		{"remove-member", "link 0 pri 0\npve1/1 v1 0=10.10.10.1\npve2/2 v1 0=10.10.10.2\npve3/3 v1 0=10.10.10.3\nremoveAbsentMembers true"},
		{"remove-online", "link 0 pri 0\npve1/1 v1 0=10.10.10.1\npve2/2 v1 0=10.10.10.2\npve3/3 v1 0=10.10.10.3\nremoveAbsentMembers true"},
		{"remove-with-guests", "link 0 pri 0\npve1/1 v1 0=10.10.10.1\npve2/2 v1 0=10.10.10.2\npve3/3 v1 0=10.10.10.3\nremoveAbsentMembers true"},
		{"move-ring0", "link 0 pri 0\npve1/1 v1 0=10.30.30.1\npve2/2 v1 0=10.30.30.2\npve3/3 v1 0=10.30.30.3\npve4/4 v1 0=10.30.30.4\nremoveAbsentMembers false"},
		{"add-link", "link 0 pri 0\nlink 1 pri 10\npve1/1 v1 0=10.10.10.1 1=10.20.20.1\npve2/2 v1 0=10.10.10.2 1=10.20.20.2\npve3/3 v1 0=10.10.10.3 1=10.20.20.3\nremoveAbsentMembers false"},
		{"remove-link", "link 0 pri 0\npve1/1 v1 0=10.10.10.1\npve2/2 v1 0=10.10.10.2\npve3/3 v1 0=10.10.10.3\nremoveAbsentMembers false"},
		{"votes", "link 0 pri 0\npve1/1 v2 0=10.10.10.1\npve2/2 v1 0=10.10.10.2\npve3/3 v1 0=10.10.10.3\nremoveAbsentMembers false"},
		{"lagging-runtime", "link 0 pri 0\npve1/1 v1 0=10.10.10.1\npve2/2 v1 0=10.10.10.2\npve3/3 v1 0=10.10.10.3\nremoveAbsentMembers false"},
		{"join-member", "link 0 pri 0\npve1/1 v1 0=10.10.10.1\npve2/2 v1 0=10.10.10.2\npve3/3 v1 0=10.10.10.3\npve4/4 v1 0=10.10.10.4\nremoveAbsentMembers false"},
		{"join-would-lose-quorum", "link 0 pri 0\npve1/1 v1 0=10.10.10.1\npve2/2 v1 0=10.10.10.2\npve3/3 v1 0=10.10.10.3\npve4/4 v1 0=10.10.10.4\nremoveAbsentMembers false"},
	}
	for _, tc := range cases {
		t.Run(tc.scenario, func(t *testing.T) {
			m := scenario(t, tc.scenario)
			if got := declared(m.Declaration()); got != tc.want {
				t.Errorf("declaration:\n%s\nwant:\n%s", got, tc.want)
			}
			if m.Declaration().Metadata.Name != "lab" {
				t.Errorf("cluster name %q", m.Declaration().Metadata.Name)
			}
		})
	}
}

// The cluster side of the remove scenarios: pve4 still in corosync.conf
// (version 5) with its node directory; off (quorum from 3 of 4) or running.
func TestScenarios_Remove_ClusterState(t *testing.T) {
	cases := []struct {
		scenario string
		pve4On   bool
		members  string
	}{
		{"remove-member", false, "1 2 3"},
		{"remove-online", true, "1 2 3 4"},
		{"remove-with-guests", false, "1 2 3"},
	}
	for _, tc := range cases {
		t.Run(tc.scenario, func(t *testing.T) {
			m := scenario(t, tc.scenario)
			if m.Powered("pve4") != tc.pve4On {
				t.Errorf("pve4 powered %v", m.Powered("pve4"))
			}
			if got := memberIDs(t, m, "pve1"); got != tc.members {
				t.Errorf("members %q, want %q", got, tc.members)
			}
			conf := mustRun(t, m, "pve1", "cat /etc/pve/corosync.conf")
			if !strings.Contains(conf, "name: pve4") || !strings.Contains(conf, "config_version: 5") {
				t.Errorf("corosync.conf:\n%s", conf)
			}
			if o, _, code := run(t, m, "pve1", "corosync-quorumtool -s"); code != 0 || !strings.Contains(o, "Expected votes:   4") {
				t.Errorf("quorum rc %d:\n%s", code, o)
			}
			if got := mustRun(t, m, "pve1", "ls -1 /etc/pve/nodes"); got != "pve1\npve2\npve3\npve4\n" {
				t.Errorf("node dirs %q", got)
			}
		})
	}
}

// The cluster side of the link scenarios: what the machines have configured
// and what corosync runs now.
func TestScenarios_Links_ClusterState(t *testing.T) {
	cases := []struct {
		scenario string
		version  string
		links    string // pve1's -s view
	}{
		{"move-ring0", "7", "0=10.10.10.1[1:localhost 2:connected 3:connected 4:connected]"},
		{"add-link", "3", "0=10.10.10.1[1:localhost 2:connected 3:connected]"},
		{"remove-link", "4", "0=10.10.10.1[1:localhost 2:connected 3:connected] 1=10.20.20.1[1:localhost 2:connected 3:connected]"},
		{"votes", "3", "0=10.10.10.1[1:localhost 2:connected 3:connected]"},
	}
	for _, tc := range cases {
		t.Run(tc.scenario, func(t *testing.T) {
			m := scenario(t, tc.scenario)
			if got := runtimeVersion(t, m, "pve1"); got != tc.version {
				t.Errorf("runtime version %s, want %s", got, tc.version)
			}
			snap := m.Snapshot()
			if got := linksOf(snap.Node("pve1").Links); got != tc.links {
				t.Errorf("pve1 links\n got %s\nwant %s", got, tc.links)
			}
		})
	}
	// The new nets are configured on the machines, so the declared change
	// can be bound.
	m := scenario(t, "move-ring0")
	for _, nm := range m.Nodes() {
		num := strings.TrimPrefix(nm, "pve")
		if !m.nodes[nm].ifaces["10.30.30."+num] || !m.nodes[nm].ifaces["10.10.10."+num] {
			t.Errorf("%s interfaces %v", nm, m.nodes[nm].ifaces)
		}
	}
	m = scenario(t, "add-link")
	if !m.nodes["pve2"].ifaces["10.20.20.2"] {
		t.Errorf("add-link: pve2 interfaces %v", m.nodes["pve2"].ifaces)
	}
}

// The partition-heal story (reference §5.1 LAB, §5.2): pve3 was cut while
// pve1 edited the file, then healed. All files say 4; pve3's runtime is
// still 3, it is a member and quorate, and its journal shows no reload.
func TestScenario_LaggingRuntime_Ref5_1(t *testing.T) {
	m := scenario(t, "lagging-runtime")
	for _, nm := range []string{"pve1", "pve2", "pve3"} {
		for _, p := range []string{clusterConf, localConf} {
			if got := mustRun(t, m, nm, "cat "+p); !strings.Contains(got, "config_version: 4") || !strings.Contains(got, "token: 3000") {
				t.Errorf("%s %s is not the v4 edit:\n%s", nm, p, got)
			}
		}
		if got := memberIDs(t, m, nm); got != "1 2 3" {
			t.Errorf("%s members %q", nm, got)
		}
	}
	for nm, want := range map[string]string{"pve1": "4", "pve2": "4", "pve3": "3"} {
		if got := runtimeVersion(t, m, nm); got != want {
			t.Errorf("%s runtime version %s, want %s", nm, got, want)
		}
	}
	if log := journal(t, m, "pve3", "corosync"); strings.Contains(log, "Config reload requested") {
		t.Errorf("pve3 reloaded:\n%s", log)
	}
	if log := journal(t, m, "pve3", "pve-cluster"); !strings.Contains(log, "wrote new corosync config '/etc/corosync/corosync.conf' (version = 4)") {
		t.Errorf("pve3's copy rule did not write v4 after the heal:\n%s", log)
	}
}
