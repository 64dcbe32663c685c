package sim

import (
	"strings"
	"testing"
)

const cmapExiting = "[CMAP  ] Received config version"

func runtimeVersion(t *testing.T, m *Model, node string) string {
	t.Helper()
	o, _, rc := run(t, m, node, "corosync-cmapctl -g totem.config_version")
	if rc != 0 {
		return "down"
	}
	return strings.TrimPrefix(strings.TrimSpace(o), "totem.config_version (u64) = ")
}

// TestCMAP_HigherJoinsSilentlyLowerExits_Lab1g1h mirrors lab §1 "config_version
// and reload": different versions coexist among running nodes; a higher one
// joins silently; a freshly started lower one exits.
func TestCMAP_HigherJoinsSilentlyLowerExits_Lab1g1h(t *testing.T) {
	m := cluster(t, 2, 1, 2, 3)
	m.WriteFile("pve1", localConf, confV(3, ""))
	mustRun(t, m, "pve1", "systemctl restart corosync")
	if strings.Contains(journal(t, m, "pve1", "corosync"), cmapExiting) {
		t.Fatalf("a node with a higher version must join silently (lab 1h)")
	}
	if got := memberIDs(t, m, "pve2"); got != "1 2 3" {
		t.Fatalf("members %q", got)
	}
	// Running nodes never re-check (1g).
	for nm, want := range map[string]string{"pve1": "3", "pve2": "2", "pve3": "2"} {
		if got := runtimeVersion(t, m, nm); got != want {
			t.Errorf("%s runtime %s, want %s", nm, got, want)
		}
	}
	if o := mustRun(t, m, "pve2", "corosync-cmapctl -b runtime.members"); !strings.Contains(o, "runtime.members.1.config_version (u64) = 3") ||
		!strings.Contains(o, "runtime.members.3.config_version (u64) = 2") {
		t.Errorf("runtime.members does not show each node's version:\n%s", o)
	}
	// A restarted v2 node meets v3 on its first sync and exits, cleanly.
	mustRun(t, m, "pve3", "systemctl restart corosync")
	if !strings.Contains(journal(t, m, "pve3", "corosync"), "[CMAP  ] Received config version (3) is different than my config version (2)! Exiting") {
		t.Errorf("pve3 did not exit on the CMAP check")
	}
	if got, _, rc := run(t, m, "pve3", "systemctl is-active corosync pve-cluster"); got != "inactive\nactive\n" || rc != 3 {
		t.Errorf("pve3 services %q rc %d, want corosync inactive after a clean exit", got, rc)
	}
}

// TestCMAP_OnlyOnFirstMultiNodeSync_Ref5_2: a node that starts alone is not
// checked until its first sync with others; a node past it never is.
func TestCMAP_OnlyOnFirstMultiNodeSync_Ref5_2(t *testing.T) {
	t.Run("started alone, checked when it first meets others", func(t *testing.T) {
		m := cluster(t, 3, 1, 2, 3)
		// Cut first: pmxcfs's own resync would otherwise rewrite the file.
		m.Cut("pve3", true)
		m.WriteFile("pve3", localConf, confV(2, ""))
		mustRun(t, m, "pve3", "systemctl restart corosync")
		if got := runtimeVersion(t, m, "pve3"); got != "2" {
			t.Fatalf("alone, pve3 must keep running at v2, got %s", got)
		}
		m.Cut("pve3", false)
		if got := runtimeVersion(t, m, "pve3"); got != "down" {
			t.Errorf("after the heal pve3 must have exited (first multi-node sync), runtime %s", got)
		}
	})
	t.Run("past its first sync, a heal is not checked (LAB §5.1 note)", func(t *testing.T) {
		m := cluster(t, 2, 1, 2, 3)
		m.Cut("pve3", true)
		mustRun(t, m, "pve1", "cat > /etc/pve/corosync.conf", string(confV(3, "")))
		m.Cut("pve3", false)
		if got := runtimeVersion(t, m, "pve3"); got != "2" {
			t.Errorf("pve3 runtime %s, want 2 (kept running, no reload reached it)", got)
		}
		if got, _ := m.ReadFile("pve3", localConf); string(got) != string(confV(3, "")) {
			t.Errorf("pve3's /etc/corosync copy should have received v3 through the pmxcfs sync")
		}
		if strings.Contains(journal(t, m, "pve3", "corosync"), cmapExiting) {
			t.Errorf("a running node must not exit on a heal")
		}
	})
	t.Run("own version 0 is never checked", func(t *testing.T) {
		m := cluster(t, 3, 1, 2, 3)
		m.WriteFile("pve3", localConf, confV(0, ""))
		mustRun(t, m, "pve3", "systemctl restart corosync")
		if got := runtimeVersion(t, m, "pve3"); got != "0" {
			t.Errorf("pve3 runtime %s, want 0 and running", got)
		}
	})
}

// TestCorosyncStart_NotInNodelist_Lab2: exit status 8, unit failed.
func TestCorosyncStart_NotInNodelist_Lab2(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	m.WriteFile("pve3", localConf, BuildConf("lab", link0, labNodes("pve", 1, 2), 4))
	_, e, rc := run(t, m, "pve3", "systemctl restart corosync")
	if rc != 1 || !strings.Contains(e, "Job for corosync.service failed") {
		t.Errorf("restart: rc %d stderr %q", rc, e)
	}
	log := journal(t, m, "pve3", "corosync")
	for _, want := range []string{"[MAIN  ] parse error in config: No valid name found for local host", "[MAIN  ] Corosync Cluster Engine exiting with status 8 at main.c:1445."} {
		if !strings.Contains(log, want) {
			t.Errorf("journal lacks %q", want)
		}
	}
	if o, _, _ := run(t, m, "pve3", "systemctl is-active corosync"); o != "failed\n" {
		t.Errorf("unit state %q, want failed", o)
	}
}

func TestCfgtoolKill_Ref2_7(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	if o, e, rc := run(t, m, "pve1", "corosync-cfgtool -k 3"); o != "Killing node 3\n" || e != "" || rc != 0 {
		t.Errorf("kill running node: %q %q rc %d", o, e, rc)
	}
	if o, _, _ := run(t, m, "pve3", "systemctl is-active corosync"); o != "failed\n" {
		t.Errorf("killed corosync unit %q, want failed (exit -1)", o)
	}
	o, e, rc := run(t, m, "pve1", "corosync-cfgtool -k 3")
	if o != "Killing node 3\n" || e != "Could not kill node (error = CS_ERR_NOT_EXIST)\n" || rc != 1 {
		t.Errorf("kill absent node: %q %q rc %d (reference §3.4)", o, e, rc)
	}
}

// A query renders only what it selects, and selects exactly the keys a full
// listing filtered by the same rule would hold.
func TestCMAP_QuerySelectsAsFilter(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	mustRun(t, m, "pve1", "corosync-cfgtool -R") // adds config.reload_status
	n := m.nodes["pve1"]
	all := m.cmapKeys(n, cmapQuery{})
	if len(all) < 20 {
		t.Fatalf("full listing has only %d keys", len(all))
	}
	cases := []struct {
		name string
		q    cmapQuery
	}{
		{"all", cmapQuery{}},
		{"-g totem key", cmapQuery{key: "totem.config_version", exact: true}},
		{"-g nodelist key", cmapQuery{key: "nodelist.node.2.ring0_addr", exact: true}},
		{"-g runtime key", cmapQuery{key: "runtime.members.3.ip", exact: true}},
		{"-g reload status", cmapQuery{key: "config.reload_status", exact: true}},
		{"-g section name only", cmapQuery{key: "nodelist", exact: true}},
		{"-g unknown", cmapQuery{key: "totem.nope", exact: true}},
		{"prefix runtime.members", cmapQuery{key: "runtime.members"}},
		{"prefix run", cmapQuery{key: "run"}},
		{"prefix nodelist.node.1.", cmapQuery{key: "nodelist.node.1."}},
		{"prefix n", cmapQuery{key: "n"}},
		{"prefix totem", cmapQuery{key: "totem"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := m.cmapKeys(n, tc.q)
			want := map[string]string{}
			for k, v := range all {
				if tc.q.wants(k) {
					want[k] = v
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d keys, want %d: %v", len(got), len(want), got)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
