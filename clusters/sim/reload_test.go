package sim

import (
	"strings"
	"testing"
)

// moveAddr returns the cluster file at version v with node id's link0 moved.
func moveAddr(t *testing.T, raw []byte, v uint64, id int, addr string) []byte {
	return editConf(t, raw, v, func(c *rtConf) []NodeSpec {
		s := specs(c)
		for i := range s {
			if s[i].NodeID == id {
				s[i].Addrs[0] = addr
			}
		}
		return s
	})
}

// TestReload_RejectsAddressChange_Ref8_2 mirrors lab §1a: moving pve3's
// ring0_addr is refused on every node and nothing is applied.
func TestReload_RejectsAddressChange_Ref8_2(t *testing.T) {
	m := cluster(t, 1, 1, 2, 3)
	cur, _ := m.ReadFile("pve1", clusterConf)
	next := moveAddr(t, cur, 2, 3, "10.99.1.3")
	mustRun(t, m, "pve1", "cat > /etc/pve/corosync.conf.new", string(next))
	mustRun(t, m, "pve1", "mv /etc/pve/corosync.conf.new /etc/pve/corosync.conf")
	// pmxcfs discards the tool's output and only logs the exit code (§8.2).
	if !strings.Contains(journal(t, m, "pve1", "pve-cluster"), "corosync-cfgtool -R failed with exit code 7") {
		t.Errorf("pve1 pmxcfs did not log the failed reload")
	}
	o, e, rc := run(t, m, "pve1", "corosync-cfgtool -R")
	if o != "Reloading corosync.conf...\n" || e != "Could not reload configuration. Error CS_ERR_INVALID_PARAM\n" || rc != 7 {
		t.Errorf("corosync-cfgtool -R = %q %q rc %d", o, e, rc)
	}
	for _, nm := range []string{"pve1", "pve2", "pve3"} {
		if got := mustRun(t, m, nm, "corosync-cmapctl -g totem.config_version"); got != "totem.config_version (u64) = 1\n" {
			t.Errorf("%s runtime version = %q, want 1 (nothing applied)", nm, got)
		}
		if got := mustRun(t, m, nm, "corosync-cmapctl -g config.reload_status"); got != "config.reload_status (i32) = 7\n" {
			t.Errorf("%s reload_status = %q", nm, got)
		}
		log := journal(t, m, nm, "corosync")
		if !strings.Contains(log, "[CFG   ] Cannot configure new interface definitions: To reconfigure an interface it must be deleted and recreated. A working interface needs to be available to corosync at all times") {
			t.Errorf("%s lacks the CFG rejection line", nm)
		}
		diffLine := "[TOTEM ] new config has different address for link 0 (addr changed from 10.10.10.3 to 10.99.1.3). Internal value was NOT changed."
		// On every node, as real corosync 3.1.7 logs it (lab/); the
		// reference's lab saw it only on pve3.
		if !strings.Contains(log, diffLine) {
			t.Errorf("%s: different-address line missing", nm)
		}
		if got := memberIDs(t, m, nm); got != "1 2 3" {
			t.Errorf("%s members = %q", nm, got)
		}
	}
	if n := mustRun(t, m, "pve1", "corosync-cfgtool -n"); !strings.Contains(n, "(10.10.10.1->10.10.10.3)") {
		t.Errorf("knet peer address changed:\n%s", n)
	}
	// Restarting pve3 binds the new address: it is alone, the others stay
	// quorate (lab §1a transcript).
	mustRun(t, m, "pve3", "systemctl restart corosync")
	if got := memberIDs(t, m, "pve3"); got != "3" {
		t.Errorf("pve3 after restart: members %q, want 3 alone", got)
	}
	if got := memberIDs(t, m, "pve1"); got != "1 2" {
		t.Errorf("pve1 after pve3 restart: members %q, want 1 2", got)
	}
}

// TestReload_AddNodeRaisesExpectedAtOnce_Ref2_6 mirrors lab §1b and §11.14.
func TestReload_AddNodeRaisesExpectedAtOnce_Ref2_6(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	cur, _ := m.ReadFile("pve1", clusterConf)
	next := editConf(t, cur, 4, func(c *rtConf) []NodeSpec {
		return append(specs(c), NodeSpec{Name: "pve4", NodeID: 4, Addrs: map[int]string{0: "10.10.10.4"}})
	})
	mustRun(t, m, "pve1", "cat > /etc/pve/corosync.conf.new", string(next))
	mustRun(t, m, "pve1", "mv /etc/pve/corosync.conf.new /etc/pve/corosync.conf")
	out := mustRun(t, m, "pve2", "corosync-quorumtool -s")
	if field(out, "Nodes") != "3" || field(out, "Expected votes") != "4" || field(out, "Quorum") != "3" || field(out, "Quorate") != "Yes" {
		t.Errorf("after adding pve4 (not running):\n%s", out)
	}
	if !strings.Contains(journal(t, m, "pve1", "corosync"), "[KNET  ] host: host: 4 has no active links") {
		t.Errorf("pve1 did not log the new knet host")
	}
	// One more node down now costs quorum.
	_ = m.PowerOff("pve3")
	if _, _, rc := run(t, m, "pve1", "corosync-quorumtool -s"); rc != 2 {
		t.Errorf("with 2 of 4 votes the cluster must be inquorate, rc %d", rc)
	}
}

// Removing a stopped node drops expected votes at once (lab §1c).
func TestReload_RemoveStoppedNodeLowersExpected_LabE1c(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3, 4)
	_ = m.PowerOff("pve4")
	cur, _ := m.ReadFile("pve1", clusterConf)
	next := editConf(t, cur, 4, func(c *rtConf) []NodeSpec { return specs(c)[:3] })
	mustRun(t, m, "pve1", "cat > /etc/pve/corosync.conf", string(next))
	if out := mustRun(t, m, "pve1", "corosync-quorumtool -s"); field(out, "Expected votes") != "3" {
		t.Errorf("expected after removing pve4 = %s, want 3", field(out, "Expected votes"))
	}
}
