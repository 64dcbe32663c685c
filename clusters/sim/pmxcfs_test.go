package sim

import (
	"strings"
	"testing"
)

// TestPmxcfs_InquorateIsReadOnly_Ref6_1: every write is refused with EACCES
// while reads still work.
func TestPmxcfs_InquorateIsReadOnly_Ref6_1(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	_ = m.PowerOff("pve2")
	_ = m.PowerOff("pve3")
	before, _ := m.ReadFile("pve1", clusterConf)
	cases := []struct{ cmd, stderr string }{
		{"cat > /etc/pve/corosync.conf.new", "bash: line 1: /etc/pve/corosync.conf.new: Permission denied\n"},
		{"cp /etc/pve/corosync.conf /etc/pve/corosync.conf.bak", "cp: cannot create regular file '/etc/pve/corosync.conf.bak': Permission denied\n"},
		{"mv /etc/pve/corosync.conf /etc/pve/corosync.conf.old", "mv: cannot move '/etc/pve/corosync.conf' to '/etc/pve/corosync.conf.old': Permission denied\n"},
		{"rm -f /etc/pve/corosync.conf", "rm: cannot remove '/etc/pve/corosync.conf': Permission denied\n"},
		{"mkdir -p /etc/pve/priv/lock/x", "mkdir: cannot create directory '/etc/pve/priv/lock/x': Permission denied\n"},
	}
	for _, tc := range cases {
		if _, e, rc := run(t, m, "pve1", tc.cmd, "data"); rc != 1 || e != tc.stderr {
			t.Errorf("%s: rc %d stderr %q, want 1 %q", tc.cmd, rc, e, tc.stderr)
		}
	}
	if got := mustRun(t, m, "pve1", "cat /etc/pve/corosync.conf"); got != string(before) {
		t.Errorf("read while inquorate changed or failed")
	}
	if !strings.Contains(journal(t, m, "pve1", "pve-cluster"), "[status] notice: node lost quorum") {
		t.Errorf("pmxcfs did not log 'node lost quorum'")
	}
	// pvecm expected restores write access (§5.1 "after pvecm expected").
	mustRun(t, m, "pve1", "pvecm expected 1")
	mustRun(t, m, "pve1", "cat > /etc/pve/note", "ok")
}

// TestPmxcfs_NotMounted_Ref5_3: with pve-cluster stopped /etc/pve is the bare
// mount point; the local file stays readable.
func TestPmxcfs_NotMounted_Ref5_3(t *testing.T) {
	m := cluster(t, 3, 1, 2)
	mustRun(t, m, "pve1", "systemctl stop pve-cluster")
	if _, e, rc := run(t, m, "pve1", "cat /etc/pve/corosync.conf"); rc != 1 || e != "cat: /etc/pve/corosync.conf: No such file or directory\n" {
		t.Errorf("cat: rc %d %q", rc, e)
	}
	mustRun(t, m, "pve1", "cat /etc/corosync/corosync.conf")
	if st, body := m.API("pve1", "GET", "/cluster/status", nil); st != 500 || !strings.Contains(string(body), "pmxcfs) not mounted") {
		t.Errorf("API without pmxcfs: %d %s", st, body)
	}
	mustRun(t, m, "pve1", "systemctl start pve-cluster")
	mustRun(t, m, "pve1", "cat /etc/pve/corosync.conf")
}

// A node whose pmxcfs runs but whose corosync is stopped is read-only and
// shows offline in the others' /cluster/status (reference §2.1).
func TestPmxcfs_OnlineIsCPGMembership_Ref2_1(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	mustRun(t, m, "pve3", "systemctl stop pve-cluster")
	_, body := m.API("pve1", "GET", "/cluster/status", nil)
	if !strings.Contains(string(body), `"name":"pve3","nodeid":3,"online":0`) {
		t.Errorf("pve3 with corosync up but pmxcfs down must be online:0: %s", body)
	}
}
