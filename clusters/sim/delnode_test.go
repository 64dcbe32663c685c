package sim

import (
	"strings"
	"testing"
)

// pvecm delnode of a powered-off node (reference §2.7, §3.4): the kill
// lines, exit 0, version + 1, lock released, and everything else left in
// place ("What delnode does not do").
func TestDelnode_PoweredOff_Ref3_4(t *testing.T) {
	m := scenario(t, "remove-member")
	keys := mustRun(t, m, "pve1", "cat /etc/pve/priv/authorized_keys")
	known := mustRun(t, m, "pve1", "cat /etc/pve/priv/known_hosts")
	o, e, code := run(t, m, "pve1", "pvecm delnode 'pve4'")
	if code != 0 || o != "Killing node 4\n" || e != "Could not kill node (error = CS_ERR_NOT_EXIST)\n" {
		t.Fatalf("delnode: rc %d stdout %q stderr %q", code, o, e)
	}
	conf := mustRun(t, m, "pve2", "cat /etc/pve/corosync.conf")
	if !strings.Contains(conf, "config_version: 6") || strings.Contains(conf, "pve4") {
		t.Errorf("pve2 corosync.conf after delnode:\n%s", conf)
	}
	if got := mustRun(t, m, "pve2", "corosync-cmapctl -g totem.config_version"); got != "totem.config_version (u64) = 6\n" {
		t.Errorf("runtime after delnode: %q", got)
	}
	if got := mustRun(t, m, "pve2", "ls -1 /etc/pve/nodes"); got != "pve1\npve2\npve3\npve4\n" {
		t.Errorf("node dirs after delnode = %q, want pve4 kept", got)
	}
	if got := mustRun(t, m, "pve2", "cat /etc/pve/priv/authorized_keys"); got != keys {
		t.Errorf("authorized_keys changed by delnode")
	}
	if got := mustRun(t, m, "pve2", "cat /etc/pve/priv/known_hosts"); got != known {
		t.Errorf("known_hosts changed by delnode")
	}
	if got := mustRun(t, m, "pve2", "ls -1 /etc/pve/priv/lock"); got != "" {
		t.Errorf("lock left behind: %q", got)
	}
	if o, _, code := run(t, m, "pve1", "corosync-quorumtool -s"); code != 0 || !strings.Contains(o, "Expected votes:   3") {
		t.Errorf("quorum after delnode rc %d:\n%s", code, o)
	}
}

// A held file-corosync_conf lock makes delnode fail without touching the
// file (reference §6.6 error text).
func TestDelnode_LockHeld_Ref6_6(t *testing.T) {
	m := scenario(t, "remove-member")
	mustRun(t, m, "pve2", "mkdir /etc/pve/priv/lock/file-corosync_conf")
	before := mustRun(t, m, "pve1", "cat /etc/pve/corosync.conf")
	o, e, code := run(t, m, "pve1", "pvecm delnode pve4")
	if code != 255 || o != "" || e != "cfs-lock 'file-corosync_conf' error: got lock request timeout\n" {
		t.Errorf("delnode with lock held: rc %d stdout %q stderr %q", code, o, e)
	}
	if got := mustRun(t, m, "pve1", "cat /etc/pve/corosync.conf"); got != before {
		t.Errorf("corosync.conf changed although the lock was held")
	}
	if got := mustRun(t, m, "pve1", "ls -1 /etc/pve/priv/lock"); got != "file-corosync_conf\n" {
		t.Errorf("the other holder's lock was released: %q", got)
	}
}

// delnode of a running member kills its corosync (reference §2.7 item 6,
// LAB: "Killed by node 1 : Killed by corosync-cfgtool", exit -1, unit
// failed); the others go on without it.
func TestDelnode_RunningMemberIsKilled_Ref2_7(t *testing.T) {
	m := scenario(t, "remove-online")
	o, e, code := run(t, m, "pve1", "pvecm delnode pve4")
	if code != 0 || o != "Killing node 4\n" || e != "" {
		t.Fatalf("delnode: rc %d stdout %q stderr %q", code, o, e)
	}
	if got, _, _ := run(t, m, "pve4", "systemctl is-active corosync"); got != "failed\n" {
		t.Errorf("pve4 corosync = %q, want failed", got)
	}
	if log := journal(t, m, "pve4", "corosync"); !strings.Contains(log, "[CFG   ] Killed by node 1 : Killed by corosync-cfgtool") {
		t.Errorf("pve4 journal lacks the kill line:\n%s", log)
	}
	if got := memberIDs(t, m, "pve1"); got != "1 2 3" {
		t.Errorf("members after delnode = %q", got)
	}
}
