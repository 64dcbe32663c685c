package sim

import (
	"regexp"
	"strings"
	"testing"
)

var ringRE = regexp.MustCompile(`(?m)^Ring ID:          ([0-9a-f]+\.[0-9a-f]+)$`)

// ring extracts the Ring ID so the exact-layout tests can compare the rest.
func ring(t *testing.T, out string) string {
	t.Helper()
	m := ringRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no well-formed Ring ID line in:\n%s", out)
	}
	return m[1]
}

// TestQuorumtoolStatus_ExactLayout_Lab3 compares byte for byte with lab §3,
// including the two trailing spaces after "Quorum: 2" and the space after
// "Quorate" in Flags.
func TestQuorumtoolStatus_ExactLayout_Lab3(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	out, _, rc := run(t, m, "pve1", "corosync-quorumtool -s")
	want := "Quorum information\n" +
		"------------------\n" +
		"Date:             Sun Nov 22 01:55:43 2026\n" +
		"Quorum provider:  corosync_votequorum\n" +
		"Nodes:            3\n" +
		"Node ID:          1\n" +
		"Ring ID:          " + ring(t, out) + "\n" +
		"Quorate:          Yes\n" +
		"\n" +
		"Votequorum information\n" +
		"----------------------\n" +
		"Expected votes:   3\n" +
		"Highest expected: 3\n" +
		"Total votes:      3\n" +
		"Quorum:           2  \n" +
		"Flags:            Quorate \n" +
		"\n" +
		"Membership information\n" +
		"----------------------\n" +
		"    Nodeid      Votes Name\n" +
		"         1          1 pve1 (local)\n" +
		"         2          1 pve2\n" +
		"         3          1 pve3\n"
	if out != want || rc != 0 {
		t.Errorf("rc %d, got:\n%q\nwant:\n%q", rc, out, want)
	}
	if !strings.HasPrefix(ring(t, out), "1.") {
		t.Errorf("ring id %q should start with the lowest nodeid", ring(t, out))
	}
}

func TestQuorumtoolStatus_InquorateLayout_Lab3(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	_ = m.PowerOff("pve2")
	_ = m.PowerOff("pve3")
	out, _, rc := run(t, m, "pve1", "corosync-quorumtool -s")
	wantTail := "Nodes:            1\n" +
		"Node ID:          1\n" +
		"Ring ID:          " + ring(t, out) + "\n" +
		"Quorate:          No\n" +
		"\n" +
		"Votequorum information\n" +
		"----------------------\n" +
		"Expected votes:   3\n" +
		"Highest expected: 3\n" +
		"Total votes:      1\n" +
		"Quorum:           2 Activity blocked\n" +
		"Flags:            \n" +
		"\n" +
		"Membership information\n" +
		"----------------------\n" +
		"    Nodeid      Votes Name\n" +
		"         1          1 pve1 (local)\n"
	if !strings.HasSuffix(out, wantTail) || rc != 2 {
		t.Errorf("rc %d, got:\n%q\nwant suffix:\n%q", rc, out, wantTail)
	}
}

// TestPvecmStatus_ExactLayout_Ref3_6: the Cluster information block from
// /etc/pve/corosync.conf, then quorumtool -siH.
func TestPvecmStatus_ExactLayout_Ref3_6(t *testing.T) {
	m := cluster(t, 7, 1, 2, 3)
	out, _, rc := run(t, m, "pve2", "pvecm status")
	want := "Cluster information\n" +
		"-------------------\n" +
		"Name:             lab\n" +
		"Config Version:   7\n" +
		"Transport:        knet\n" +
		"Secure auth:      on\n" +
		"\n" +
		"Quorum information\n" +
		"------------------\n" +
		"Date:             Sun Nov 22 01:55:43 2026\n" +
		"Quorum provider:  corosync_votequorum\n" +
		"Nodes:            3\n" +
		"Node ID:          0x00000002\n" +
		"Ring ID:          " + ring(t, out) + "\n" +
		"Quorate:          Yes\n" +
		"\n" +
		"Votequorum information\n" +
		"----------------------\n" +
		"Expected votes:   3\n" +
		"Highest expected: 3\n" +
		"Total votes:      3\n" +
		"Quorum:           2  \n" +
		"Flags:            Quorate \n" +
		"\n" +
		"Membership information\n" +
		"----------------------\n" +
		"    Nodeid      Votes Name\n" +
		"0x00000001          1 10.10.10.1\n" +
		"0x00000002          1 10.10.10.2 (local)\n" +
		"0x00000003          1 10.10.10.3\n"
	if out != want || rc != 0 {
		t.Errorf("rc %d, got:\n%q\nwant:\n%q", rc, out, want)
	}
}

// pvecm status with corosync down still prints the cluster block (§3.6).
func TestPvecmStatus_CorosyncDown_Ref3_6(t *testing.T) {
	m := cluster(t, 7, 1, 2, 3)
	mustRun(t, m, "pve2", "systemctl stop corosync")
	out, e, rc := run(t, m, "pve2", "pvecm status")
	if !strings.HasPrefix(out, "Cluster information\n") || e != "Cannot initialize QUORUM service\n" || rc != 1 {
		t.Errorf("rc %d stdout %q stderr %q", rc, out, e)
	}
	mustRun(t, m, "pve2", "systemctl stop pve-cluster")
	_, e, rc = run(t, m, "pve2", "pvecm status")
	if rc == 0 || e != "Error: Corosync config '/etc/pve/corosync.conf' does not exist - is this node part of a cluster?\n" {
		t.Errorf("without pmxcfs: rc %d stderr %q", rc, e)
	}
}

// TestPvecmNodes_Layout_Ref3_7: starts with an empty line, decimal ids.
func TestPvecmNodes_Layout_Ref3_7(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	out := mustRun(t, m, "pve1", "pvecm nodes")
	want := "\nMembership information\n----------------------\n    Nodeid      Votes Name\n" +
		"         1          1 pve1 (local)\n         2          1 pve2\n         3          1 pve3\n"
	if out != want {
		t.Errorf("got %q\nwant %q", out, want)
	}
}

// TestCfgtoolStatus_Layout_Ref7_6: literal tabs, nodeid right-aligned to 10.
func TestCfgtoolStatus_Layout_Ref7_6(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	_ = m.PowerOff("pve3")
	out := mustRun(t, m, "pve1", "corosync-cfgtool -s")
	want := "Local node ID 1, transport knet\nLINK ID 0 udp\n\taddr\t= 10.10.10.1\n\tstatus:\n" +
		"\t\tnodeid:          1:\tlocalhost\n\t\tnodeid:          2:\tconnected\n\t\tnodeid:          3:\tdisconnected\n"
	if out != want {
		t.Errorf("got %q\nwant %q", out, want)
	}
	out = mustRun(t, m, "pve1", "corosync-cfgtool -n")
	want = "Local node ID 1, transport knet\nnodeid: 2 reachable\n   LINK: 0 udp (10.10.10.1->10.10.10.2) enabled connected mtu: 1397\n\n"
	if out != want {
		t.Errorf("-n got %q\nwant %q", out, want)
	}
}

// Tools against a stopped corosync (reference §3.6, §7.6, brief).
func TestCorosyncTools_WhenDown(t *testing.T) {
	m := cluster(t, 3, 1, 2)
	mustRun(t, m, "pve1", "systemctl stop corosync")
	cases := []struct{ cmd, stderr string }{
		{"corosync-quorumtool -s", "Cannot initialize QUORUM service\n"},
		{"corosync-cmapctl -g totem.config_version", "Failed to initialize the cmap API. Error CS_ERR_LIBRARY\n"},
		{"corosync-cfgtool -s", "Could not initialize corosync configuration API error 2\n"},
	}
	for _, tc := range cases {
		if _, e, rc := run(t, m, "pve1", tc.cmd); rc != 1 || e != tc.stderr {
			t.Errorf("%s: rc %d stderr %q, want 1 %q", tc.cmd, rc, e, tc.stderr)
		}
	}
	if _, e, rc := run(t, m, "pve2", "corosync-cmapctl -g no.such.key"); rc != 1 || e != "Can't get key no.such.key. Error CS_ERR_NOT_EXIST\n" {
		t.Errorf("unknown key: rc %d %q", rc, e)
	}
	if o := mustRun(t, m, "pve2", "corosync-cmapctl -b runtime.members"); !strings.Contains(o, "runtime.members.2.config_version (u64) = 3\n") {
		t.Errorf("-b runtime.members:\n%s", o)
	}
}
