package sim

import (
	"strings"
	"testing"
)

// field returns the value of "Label:" in quorumtool -s output, right-trimmed.
func field(out, label string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, label+":") {
			return strings.TrimRight(strings.TrimSpace(strings.TrimPrefix(l, label+":")), " ")
		}
	}
	return "<missing>"
}

// withQuorum adds options to the quorum section of a BuildConf file.
func withQuorum(raw []byte, opts ...string) []byte {
	block := "quorum {\n"
	for _, o := range opts {
		block += "  " + o + "\n"
	}
	return []byte(strings.Replace(string(raw), "quorum {\n", block, 1))
}

// quorumCluster builds a cluster from specs with quorum options, powers on
// up (in order), then powers off down.
func quorumCluster(t *testing.T, specs []NodeSpec, opts []string, up, down []string) *Model {
	t.Helper()
	m := NewCluster("lab", link0, specs, 3)
	m.Clock = fixedClock
	conf := withQuorum(BuildConf("lab", link0, specs, 3), opts...)
	for _, s := range specs {
		m.WriteFile(s.Name, localConf, conf)
		m.WriteFile(s.Name, clusterConf, conf)
	}
	if err := powerAll(m, up...); err != nil {
		t.Fatal(err)
	}
	for _, nm := range down {
		if err := m.PowerOff(nm); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// TestVotequorum_Arithmetic_Ref7_1 checks expected votes, quorum and flags
// against reference §7.1 (worked numbers) and §7.2 / lab §3” (two_node).
func TestVotequorum_Arithmetic_Ref7_1(t *testing.T) {
	heavy := labNodes("pve", 1, 2, 3)
	heavy[0].Votes = 2
	cases := []struct {
		name                  string
		specs                 []NodeSpec
		opts                  []string
		up, down              []string
		expected, total, quor string
		quorate, flags        string
		rc                    int
	}{
		{"2 of 2", labNodes("pve", 1, 2), nil, []string{"pve1", "pve2"}, nil, "2", "2", "2", "Yes", "Quorate", 0},
		{"1 of 2 loses quorum", labNodes("pve", 1, 2), nil, []string{"pve1", "pve2"}, []string{"pve2"}, "2", "1", "2 Activity blocked", "No", "", 2},
		{"3 of 3", labNodes("pve", 1, 2, 3), nil, []string{"pve1", "pve2", "pve3"}, nil, "3", "3", "2", "Yes", "Quorate", 0},
		{"2 of 3", labNodes("pve", 1, 2, 3), nil, []string{"pve1", "pve2"}, nil, "3", "2", "2", "Yes", "Quorate", 0},
		{"1 of 3", labNodes("pve", 1, 2, 3), nil, []string{"pve1"}, nil, "3", "1", "2 Activity blocked", "No", "", 2},
		{"3 of 4", labNodes("pve", 1, 2, 3, 4), nil, []string{"pve1", "pve2", "pve3"}, nil, "4", "3", "3", "Yes", "Quorate", 0},
		{"2 of 4", labNodes("pve", 1, 2, 3, 4), nil, []string{"pve1", "pve2"}, nil, "4", "2", "3 Activity blocked", "No", "", 2},
		{"3 of 5", labNodes("pve", 1, 2, 3, 4, 5), nil, []string{"pve1", "pve2", "pve3"}, nil, "5", "3", "3", "Yes", "Quorate", 0},
		{"quorum_votes 2 counts twice", heavy, nil, []string{"pve1", "pve2"}, nil, "4", "3", "3", "Yes", "Quorate", 0},
		{"expected_votes wins over the nodelist", labNodes("pve", 1, 2, 3), []string{"expected_votes: 5"}, []string{"pve1", "pve2", "pve3"}, nil, "5", "3", "3", "Yes", "Quorate", 0},
		{"two_node both up", labNodes("pve", 1, 2), []string{"two_node: 1"}, []string{"pve1", "pve2"}, nil, "2", "2", "1", "Yes", "2Node Quorate WaitForAll", 0},
		{"two_node survivor stays quorate", labNodes("pve", 1, 2), []string{"two_node: 1"}, []string{"pve1", "pve2"}, []string{"pve2"}, "2", "1", "1", "Yes", "2Node Quorate WaitForAll", 0},
		{"two_node started alone waits for all", labNodes("pve", 1, 2), []string{"two_node: 1"}, []string{"pve1"}, nil, "2", "1", "1 Activity blocked", "No", "2Node WaitForAll", 2},
		{"two_node disabled with 3 nodes", labNodes("pve", 1, 2, 3), []string{"two_node: 1", "wait_for_all: 0"}, []string{"pve1"}, nil, "3", "1", "2 Activity blocked", "No", "", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := quorumCluster(t, tc.specs, tc.opts, tc.up, tc.down)
			out, _, rc := run(t, m, "pve1", "corosync-quorumtool -s")
			got := []string{field(out, "Expected votes"), field(out, "Total votes"), field(out, "Quorum"), field(out, "Quorate"), field(out, "Flags")}
			want := []string{tc.expected, tc.total, tc.quor, tc.quorate, tc.flags}
			if strings.Join(got, "|") != strings.Join(want, "|") || rc != tc.rc {
				t.Errorf("expected|total|quorum|quorate|flags = %q rc %d, want %q rc %d\n%s", got, rc, want, tc.rc, out)
			}
		})
	}
}

// TestVotequorum_SetExpected_Ref7_3 mirrors lab §3 on `-e 1`.
func TestVotequorum_SetExpected_Ref7_3(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	// Refused with all three members present.
	if _, e, rc := run(t, m, "pve1", "corosync-quorumtool -e 1"); rc != 1 || e != "Unable to set expected votes: CS_ERR_INVALID_PARAM\n" {
		t.Fatalf("-e 1 with 3 members: rc %d stderr %q", rc, e)
	}
	// Refused when it would make a quorate partition inquorate.
	if _, e, rc := run(t, m, "pve1", "corosync-quorumtool -e 9"); rc != 1 || !strings.Contains(e, "CS_ERR_INVALID_PARAM") {
		t.Errorf("-e 9 (quorum 5 > 3 votes): rc %d stderr %q", rc, e)
	}
	_ = m.PowerOff("pve2")
	_ = m.PowerOff("pve3")
	if _, _, rc := run(t, m, "pve1", "corosync-quorumtool -s"); rc != 2 {
		t.Fatalf("lone pve1 should be inquorate, rc %d", rc)
	}
	// pvecm expected 1 on the lone node: accepted, no output, quorate.
	if o, e, rc := run(t, m, "pve1", "pvecm expected 1"); rc != 0 || o != "" || e != "" {
		t.Fatalf("pvecm expected 1: rc %d %q %q", rc, o, e)
	}
	out, _, rc := run(t, m, "pve1", "corosync-quorumtool -s")
	if rc != 0 || field(out, "Expected votes") != "1" || field(out, "Quorum") != "1" || field(out, "Flags") != "Quorate" {
		t.Errorf("after -e 1:\n%s", out)
	}
	// Votes rising above it raise expected (lab: pve2 back -> 2, pve3 -> 3).
	_ = m.PowerOn("pve2")
	if out := mustRun(t, m, "pve1", "corosync-quorumtool -s"); field(out, "Expected votes") != "2" {
		t.Errorf("after pve2 returned, expected = %s, want 2", field(out, "Expected votes"))
	}
	_ = m.PowerOn("pve3")
	if out := mustRun(t, m, "pve1", "corosync-quorumtool -s"); field(out, "Expected votes") != "3" {
		t.Errorf("after pve3 returned, expected = %s, want 3", field(out, "Expected votes"))
	}
}

// Not persistent: a restart and a successful reload both undo -e (§7.3).
func TestVotequorum_SetExpectedClearedByRestartAndReload_Ref7_3(t *testing.T) {
	for _, undo := range []string{"systemctl restart corosync", "corosync-cfgtool -R"} {
		t.Run(undo, func(t *testing.T) {
			m := cluster(t, 3, 1, 2, 3)
			_ = m.PowerOff("pve2")
			_ = m.PowerOff("pve3")
			mustRun(t, m, "pve1", "corosync-quorumtool -e 1")
			mustRun(t, m, "pve1", undo)
			out, _, rc := run(t, m, "pve1", "corosync-quorumtool -s")
			if rc != 2 || field(out, "Expected votes") != "3" || field(out, "Quorate") != "No" {
				t.Errorf("after %s: rc %d\n%s", undo, rc, out)
			}
		})
	}
}
