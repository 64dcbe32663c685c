package sim

import (
	"strings"
	"testing"
)

func confV(v uint64, extra string) []byte {
	return append(BuildConf("lab", link0, labNodes("pve", 1, 2, 3), v), []byte(extra)...)
}

// TestCopyRule_Ref5_1 walks the copy rule's steps 1-6 on one node.
func TestCopyRule_Ref5_1(t *testing.T) {
	cases := []struct {
		name      string
		db, local []byte // nil = absent
		wantLocal []byte
		wantLog   string // "" = no pmxcfs line at all
	}{
		{"1 no corosync.conf in the DB: nothing", nil, confV(3, ""), confV(3, ""), ""},
		{"2 DB copy without config_version: crit, no write", []byte("totem {\n}\n"), confV(3, ""), confV(3, ""), "[dcdb] crit: unable to parse cluster config_version"},
		{"2 DB copy at version 0: crit, no write", confV(0, ""), confV(3, ""), confV(3, ""), "[dcdb] crit: unable to parse cluster config_version"},
		{"4 identical bytes: nothing", confV(3, ""), confV(3, ""), confV(3, ""), ""},
		{"5 DB older than local: crit, no write", confV(3, ""), confV(4, ""), confV(4, ""), "[dcdb] crit: local corosync.conf is newer"},
		{"6 DB newer: written", confV(5, ""), confV(4, ""), confV(5, ""), "[dcdb] notice: wrote new corosync config '/etc/corosync/corosync.conf' (version = 5)"},
		{"6 equal version, different content: written (§11.15)", confV(4, "# edited\n"), confV(4, ""), confV(4, "# edited\n"), "(version = 4)"},
		{"3 local file missing: written", confV(2, ""), nil, confV(2, ""), "wrote new corosync config"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := &Model{name: "lab", nodes: map[string]*node{}, Clock: fixedClock}
			n := m.addNode(NodeSpec{Name: "pve1"})
			n.powered = true
			n.cfs = &pmxcfs{pid: 42}
			n.db = &pveDB{files: map[string][]byte{}}
			if tc.db != nil {
				n.db.files[clusterConf] = tc.db
			}
			if tc.local != nil {
				n.files[localConf] = tc.local
			}
			m.copyRule(n, false)
			if got := string(n.files[localConf]); got != string(tc.wantLocal) {
				t.Errorf("local file =\n%s\nwant\n%s", got, tc.wantLocal)
			}
			log := strings.Join(n.journalFor(unitPVECluster, 0), "\n")
			if tc.wantLog == "" && log != "" {
				t.Errorf("unexpected log: %s", log)
			}
			if tc.wantLog != "" && !strings.Contains(log, tc.wantLog) {
				t.Errorf("log %q lacks %q", log, tc.wantLog)
			}
		})
	}
}

// A rename onto /etc/pve/corosync.conf reaches every node's /etc/corosync and
// the originator's reload moves every runtime version (reference §5.1).
func TestCopyRule_RenameOntoReplicatesAndReloads_Ref5_1(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	next := confV(4, "")
	mustRun(t, m, "pve2", "cat > /etc/pve/corosync.conf.new", string(next))
	for _, nm := range m.Nodes() {
		if got, _ := m.ReadFile(nm, "/etc/pve/corosync.conf.new"); string(got) != string(next) {
			t.Errorf("%s: .new not replicated", nm)
		}
		if got, _ := m.ReadFile(nm, localConf); string(got) == string(next) {
			t.Errorf("%s: a plain write of .new must not run the copy rule", nm)
		}
	}
	mustRun(t, m, "pve2", "mv /etc/pve/corosync.conf.new /etc/pve/corosync.conf")
	for _, nm := range m.Nodes() {
		if got, _ := m.ReadFile(nm, localConf); string(got) != string(next) {
			t.Errorf("%s: /etc/corosync/corosync.conf not updated", nm)
		}
		if got := mustRun(t, m, nm, "corosync-cmapctl -g totem.config_version"); got != "totem.config_version (u64) = 4\n" {
			t.Errorf("%s runtime = %q, want 4 after the originator's reload", nm, got)
		}
		if _, ok := m.ReadFile(nm, "/etc/pve/corosync.conf.new"); ok {
			t.Errorf("%s: .new still present after mv", nm)
		}
	}
	if !strings.Contains(journal(t, m, "pve1", "corosync"), "[CFG   ] Config reload requested by node 2") {
		t.Errorf("pve1 did not log the reload requested by node 2")
	}
}

// Equal config_version with other content is still copied everywhere and
// applied by the reload (reference §11.15, lab 1f).
func TestCopyRule_EqualVersionDifferentContentIsCopied_Ref11_15(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	same := confV(3, "# same version, new content\n")
	mustRun(t, m, "pve1", "cat > /etc/pve/corosync.conf", string(same))
	for _, nm := range m.Nodes() {
		if got, _ := m.ReadFile(nm, localConf); string(got) != string(same) {
			t.Errorf("%s: equal-version file was not copied", nm)
		}
	}
}

// A node whose local file is newer than the replicated one keeps it.
func TestCopyRule_LocalNewerIsKept_Ref5_1(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	newer := confV(9, "")
	m.WriteFile("pve3", localConf, newer)
	mustRun(t, m, "pve1", "cat > /etc/pve/corosync.conf", string(confV(4, "")))
	if got, _ := m.ReadFile("pve3", localConf); string(got) != string(newer) {
		t.Errorf("pve3 local file overwritten")
	}
	if !strings.Contains(journal(t, m, "pve3", "pve-cluster"), "local corosync.conf is newer") {
		t.Errorf("pve3 did not log 'local corosync.conf is newer'")
	}
}
