package sim

import (
	"strings"
	"testing"
)

func TestScenario_UnknownNameListsKnownNames(t *testing.T) {
	_, err := Scenario("nope")
	if err == nil || !strings.Contains(err.Error(), "add-link, healthy, join-member, join-would-lose-quorum, lagging-runtime, move-ring0, qdevice-grow, qdevice-grow-off, qdevice-two-node, remove-link, remove-member, remove-online, remove-with-guests, stale-node, two-node-degraded, votes") {
		t.Fatalf("err = %v, want it to list every scenario, sorted", err)
	}
}

func TestScenario_Healthy(t *testing.T) {
	m := scenario(t, "healthy")
	for _, nm := range []string{"pve1", "pve2", "pve3"} {
		if got := mustRun(t, m, nm, "systemctl is-active corosync pve-cluster"); got != "active\nactive\n" {
			t.Errorf("%s services = %q", nm, got)
		}
		if got := memberIDs(t, m, nm); got != "1 2 3" {
			t.Errorf("%s members = %q, want 1 2 3", nm, got)
		}
		if got := mustRun(t, m, nm, "corosync-cmapctl -g totem.config_version"); got != "totem.config_version (u64) = 3\n" {
			t.Errorf("%s runtime version = %q", nm, got)
		}
	}
	d := m.Declaration()
	if d.Metadata.Name != "lab" || len(d.Spec.Members) != 3 || len(d.Spec.Links) != 1 {
		t.Fatalf("declaration = %+v", d)
	}
	if a := d.Spec.Members[2].Address(0); d.Spec.Members[2].Name != "pve3" || a != "10.10.10.3" || d.Spec.Members[2].NodeID != 3 {
		t.Errorf("member 3 = %+v", d.Spec.Members[2])
	}
}

// The user story (reference §5.4 steps 1-2, lab §2): pve14 comes back at
// version 31 while the cluster moved to 32.
func TestScenario_StaleNode_CMAPExit_Ref5_4(t *testing.T) {
	m := scenario(t, "stale-node")
	log := journal(t, m, "pve14", "corosync")
	want := "corosync["
	line := "]:   [CMAP  ] Received config version (32) is different than my config version (31)! Exiting\n"
	if !strings.Contains(log, line) || !strings.Contains(log, " pve14 "+want) {
		t.Fatalf("pve14 corosync journal lacks the CMAP line:\n%s", log)
	}
	// The line sits ~23 lines from the end (lab §2), after the unload lines.
	lines := strings.Split(strings.TrimSpace(log), "\n")
	pos := -1
	for i, l := range lines {
		if strings.Contains(l, "[CMAP  ]") {
			pos = len(lines) - i
		}
	}
	if pos < 15 || pos > 30 {
		t.Errorf("CMAP line is %d lines from the end, want about 23", pos)
	}
	if !strings.HasSuffix(lines[len(lines)-2], "[MAIN  ] Corosync Cluster Engine exiting normally") {
		t.Errorf("second-to-last line = %q", lines[len(lines)-2])
	}
	if got, _, code := run(t, m, "pve14", "systemctl is-active corosync pve-cluster"); got != "inactive\nactive\n" || code != 3 {
		t.Errorf("pve14 services = %q (rc %d), want corosync inactive (clean exit), pve-cluster active", got, code)
	}
	if got := memberIDs(t, m, "pve11"); got != "1 2 3 5" {
		t.Errorf("pve11 members = %q, want 1 2 3 5 (pve14 absent)", got)
	}
	_, body := m.API("pve14", "GET", "/cluster/status", nil)
	if !strings.Contains(string(body), `"quorate":0`) || !strings.Contains(string(body), `"version":31`) {
		t.Errorf("pve14 /cluster/status = %s, want quorate 0 at version 31", body)
	}
	if _, e, code := run(t, m, "pve14", "cat > /etc/pve/corosync.conf", "x"); code == 0 || !strings.Contains(e, "Permission denied") {
		t.Errorf("write on stale pve14 = rc %d %q, want Permission denied", code, e)
	}
	d := m.Declaration()
	var names []string
	for _, mem := range d.Spec.Members {
		names = append(names, mem.Name)
	}
	if got := strings.Join(names, " "); got != "pve11 pve12 pve13 pve14 pve15" {
		t.Errorf("declaration members = %q, want all 5", got)
	}
	snap := m.Snapshot()
	if r := snap.Node("pve14").CMAPRejection; r == nil || r.Received != 32 || r.Mine != 31 {
		t.Errorf("snapshot pve14 CMAP rejection = %+v", r)
	}
}

// The manual runbook (reference §5.4 step 3-5): stop pve-cluster and
// corosync, copy the cluster's file into /etc/corosync through .new + mv,
// start corosync then pve-cluster.
func TestScenario_StaleNode_RunbookRepair_Ref5_4(t *testing.T) {
	m := scenario(t, "stale-node")
	good := mustRun(t, m, "pve11", "cat /etc/pve/corosync.conf")
	for _, step := range []struct{ cmd, stdin string }{
		{"systemctl stop pve-cluster", ""},
		{"systemctl stop corosync", ""},
		{"cat > /etc/corosync/corosync.conf.new", good},
		{"mv /etc/corosync/corosync.conf.new /etc/corosync/corosync.conf", ""},
		{"systemctl start corosync", ""},
		{"systemctl start pve-cluster", ""},
	} {
		mustRun(t, m, "pve14", step.cmd, step.stdin)
	}
	if got := mustRun(t, m, "pve14", "corosync-cmapctl -g totem.config_version"); got != "totem.config_version (u64) = 32\n" {
		t.Errorf("pve14 runtime version = %q", got)
	}
	for _, nm := range []string{"pve11", "pve14"} {
		if got := memberIDs(t, m, nm); got != "1 2 3 4 5" {
			t.Errorf("%s members = %q, want 1 2 3 4 5", nm, got)
		}
	}
	if got := mustRun(t, m, "pve14", "cat /etc/pve/corosync.conf"); got != good {
		t.Errorf("pve14 /etc/pve copy was not replaced by the leader's v32:\n%s", got)
	}
	cfs := journal(t, m, "pve14", "pve-cluster")
	if !strings.Contains(cfs, "[dcdb] crit: local corosync.conf is newer") {
		t.Errorf("pve14 pmxcfs did not log 'local corosync.conf is newer' at start:\n%s", cfs)
	}
	if strings.Contains(cfs, "wrote new corosync config") {
		t.Errorf("the post-sync copy rule should find identical bytes, but it wrote:\n%s", cfs)
	}
	if o, _, code := run(t, m, "pve14", "corosync-quorumtool -s"); code != 0 || !strings.Contains(o, "Expected votes:   5") {
		t.Errorf("pve14 quorum rc %d:\n%s", code, o)
	}
}
