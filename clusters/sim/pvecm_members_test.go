package sim

import (
	"strings"
	"testing"
)

// TestPvecmDelnode_PoweredOffNode_Ref3_4: the CS_ERR_NOT_EXIST lines are
// printed and the deletion still succeeds with config_version + 1.
func TestPvecmDelnode_PoweredOffNode_Ref3_4(t *testing.T) {
	m := cluster(t, 5, 1, 2, 3, 4)
	_ = m.PowerOff("pve4")
	o, e, rc := run(t, m, "pve1", "pvecm delnode pve4")
	if o != "Killing node 4\n" || e != "Could not kill node (error = CS_ERR_NOT_EXIST)\n" || rc != 0 {
		t.Fatalf("delnode: %q %q rc %d", o, e, rc)
	}
	for _, nm := range []string{"pve1", "pve2", "pve3"} {
		if got := runtimeVersion(t, m, nm); got != "6" {
			t.Errorf("%s runtime %s, want 6", nm, got)
		}
		out := mustRun(t, m, nm, "corosync-quorumtool -s")
		if field(out, "Expected votes") != "3" {
			t.Errorf("%s expected %s, want 3", nm, field(out, "Expected votes"))
		}
	}
	if raw, _ := m.ReadFile("pve2", localConf); strings.Contains(string(raw), "pve4") {
		t.Errorf("pve4 still in pve2's local file")
	}
}

func TestPvecmDelnode_Errors_Ref2_7(t *testing.T) {
	m := cluster(t, 5, 1, 2, 3)
	cases := []struct{ cmd, stderr string }{
		{"pvecm delnode pve1", "Cannot delete myself from cluster!\n"},
		{"pvecm delnode pve9", "Node/IP: pve9 is not a known host of the cluster.\n"},
	}
	for _, tc := range cases {
		if _, e, rc := run(t, m, "pve1", tc.cmd); rc != 255 || e != tc.stderr {
			t.Errorf("%s: rc %d %q", tc.cmd, rc, e)
		}
	}
	_ = m.PowerOff("pve2")
	_ = m.PowerOff("pve3")
	if _, e, rc := run(t, m, "pve1", "pvecm delnode pve3"); rc != 255 || e != "cluster not ready - no quorum?\n" {
		t.Errorf("inquorate delnode: rc %d %q", rc, e)
	}
}

// TestPvecmAddnode_Ref2_6: lowest free nodeid, address and link checks,
// expected votes rise at once.
func TestPvecmAddnode_Ref2_6(t *testing.T) {
	m := cluster(t, 5, 1, 2, 3)
	cases := []struct{ cmd, stderr string }{
		{"pvecm addnode pve4 --link0 10.10.10.2", "corosync: address '10.10.10.2' already used on link ring0_addr by node 'pve2'\n"},
		{"pvecm addnode pve4 --link0 10.10.10.4 --link1 10.20.20.4", "corosync: link 1 specified for new node doesn't exist in cluster config\n"},
		{"pvecm addnode pve2 --link0 10.10.10.2", "can't add existing node 'pve2'\n"},
		{"pvecm addnode pve4", "no links and no fallback ip (new_node_ip) given, cannot join cluster\n"},
	}
	for _, tc := range cases {
		if _, e, rc := run(t, m, "pve1", tc.cmd); rc != 255 || e != tc.stderr {
			t.Errorf("%s: rc %d %q, want %q", tc.cmd, rc, e, tc.stderr)
		}
	}
	mustRun(t, m, "pve1", "pvecm addnode pve4 --link0 10.10.10.4")
	raw, _ := m.ReadFile("pve3", localConf)
	if !strings.Contains(string(raw), "    name: pve4\n    nodeid: 4\n    quorum_votes: 1\n    ring0_addr: 10.10.10.4\n") {
		t.Errorf("pve4 section missing or wrong:\n%s", raw)
	}
	if out := mustRun(t, m, "pve1", "corosync-quorumtool -s"); field(out, "Expected votes") != "4" || field(out, "Quorum") != "3" {
		t.Errorf("after addnode:\n%s", out)
	}
	if o := mustRun(t, m, "pve1", "pvecm addnode pve2 --link0 10.10.10.2 --force 1"); o != "forcing overwrite of configured node 'pve2'\n" {
		t.Errorf("forced re-add printed %q", o)
	}
}
