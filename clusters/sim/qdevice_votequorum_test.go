package sim

import (
	"strings"
	"testing"
)

// Reference §7.1 table, the rows with a qdevice: 2 nodes + ffsplit (1 vote)
// → expected 3, quorum 2; 3 nodes + lms (N−1 = 2 votes, §7.4) → expected 5,
// quorum 3. Set up through pvecm qdevice setup (§3.9: --force for odd).
func TestVotequorum_QDeviceTable_Ref7_1(t *testing.T) {
	cases := []struct {
		name  string
		nums  []int
		setup string
		want  string
	}{
		{"2 + ffsplit", []int{1, 2}, "pvecm qdevice setup 10.99.1.200",
			"Expected votes:   3\nHighest expected: 3\nTotal votes:      3\nQuorum:           2  \nFlags:            Quorate Qdevice \n"},
		{"3 + lms", []int{1, 2, 3}, "pvecm qdevice setup 10.99.1.200 --force",
			"Expected votes:   5\nHighest expected: 5\nTotal votes:      5\nQuorum:           3  \nFlags:            Quorate Qdevice \n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := cluster(t, 3, tc.nums...)
			m.AddQNetd(qnetdIP)
			mustRun(t, m, "pve1", tc.setup)
			got := textFrom(mustRun(t, m, "pve1", "corosync-quorumtool -s"), "Expected votes:")
			if got != tc.want {
				t.Errorf("votequorum:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// Lab §4, both nodes up: the exact votequorum and membership blocks of
// corosync-quorumtool -s on pve1, and pvecm status's -siH form (§3.6).
func TestQuorumtool_QDeviceLayout_Lab4(t *testing.T) {
	m := duoWithQDevice(t)
	want := "Expected votes:   3\n" +
		"Highest expected: 3\n" +
		"Total votes:      3\n" +
		"Quorum:           2  \n" +
		"Flags:            Quorate Qdevice \n" +
		"\n" +
		"Membership information\n" +
		"----------------------\n" +
		"    Nodeid      Votes    Qdevice Name\n" +
		"         1          1    A,V,NMW pve1 (local)\n" +
		"         2          1    A,V,NMW pve2\n" +
		"         0          1            Qdevice\n"
	out := mustRun(t, m, "pve1", "corosync-quorumtool -s")
	if i := strings.Index(out, "Expected votes:"); i < 0 || out[i:] != want {
		t.Errorf("quorumtool -s:\n%s\nwant tail:\n%s", out, want)
	}
	wantH := "    Nodeid      Votes    Qdevice Name\n" +
		"0x00000001          1    A,V,NMW 10.10.10.1 (local)\n" +
		"0x00000002          1    A,V,NMW 10.10.10.2\n" +
		"0x00000000          1            Qdevice\n"
	if got := mustRun(t, m, "pve1", "pvecm status"); !strings.HasSuffix(got, wantH) {
		t.Errorf("pvecm status:\n%s\nwant suffix:\n%s", got, wantH)
	}
	if got := mustRun(t, m, "pve2", "pvecm nodes"); !strings.HasSuffix(got, "         2          1    A,V,NMW pve2 (local)\n         0          1            Qdevice\n") {
		t.Errorf("pvecm nodes on pve2:\n%s", got)
	}
}

// The lab §4 stories, each from the two-node cluster with a working ffsplit
// qdevice.
func TestQDevice_Stories_Lab4(t *testing.T) {
	cases := []struct {
		name    string
		act     func(t *testing.T, m *Model)
		on      string // where to look
		rc      int    // quorumtool exit status: 0 quorate, 2 not
		total   string
		rows    string // the member rows and the Qdevice row
		qdState string // corosync-qdevice-tool State:, "" = not checked
	}{
		{"one node dies: the survivor stays quorate", func(t *testing.T, m *Model) { mustPowerOff(t, m, "pve2") },
			"pve1", 0, "2", "         1          1    A,V,NMW pve1 (local)\n         0          1            Qdevice\n", "Connected"},
		{"qnetd also dies: inquorate", func(t *testing.T, m *Model) {
			mustPowerOff(t, m, "pve2")
			if err := m.PowerOffQNetd(qnetdIP); err != nil {
				t.Fatal(err)
			}
		}, "pve1", 2, "1", "         1          1   A,NV,NMW pve1 (local)\n         0          0            Qdevice (votes 1)\n", "Connect failed"},
		{"qnetd and the node come back: quorate again", func(t *testing.T, m *Model) {
			mustPowerOff(t, m, "pve2")
			_ = m.PowerOffQNetd(qnetdIP)
			_ = m.PowerOnQNetd(qnetdIP)
			if err := m.PowerOn("pve2"); err != nil {
				t.Fatal(err)
			}
		}, "pve2", 0, "3", "         1          1    A,V,NMW pve1\n         2          1    A,V,NMW pve2 (local)\n         0          1            Qdevice\n", "Connected"},
		{"split, lowest nodeid wins: pve1 side", splitDuo, "pve1", 0, "2",
			"         1          1    A,V,NMW pve1 (local)\n         0          1            Qdevice\n", "Connected"},
		{"split, lowest nodeid wins: pve2 side", splitDuo, "pve2", 2, "1",
			"         2          1   A,NV,NMW pve2 (local)\n         0          0            Qdevice (votes 1)\n", "Connected"},
		{"qnetd unreachable, both up: quorate on node votes", func(t *testing.T, m *Model) {
			if err := m.CutQNetd(qnetdIP, true); err != nil {
				t.Fatal(err)
			}
		}, "pve1", 0, "2", "         1          1   A,NV,NMW pve1 (local)\n         2          1   A,NV,NMW pve2\n         0          0            Qdevice (votes 1)\n", "Connect failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := duoWithQDevice(t)
			tc.act(t, m)
			out, _, rc := run(t, m, tc.on, "corosync-quorumtool -s")
			if rc != tc.rc {
				t.Errorf("exit %d, want %d", rc, tc.rc)
			}
			if !strings.Contains(out, "Total votes:      "+tc.total+"\n") {
				t.Errorf("want total %s:\n%s", tc.total, out)
			}
			if !strings.HasSuffix(out, "Qdevice Name\n"+tc.rows) {
				t.Errorf("rows:\n%s\nwant:\n%s", out, tc.rows)
			}
			if tc.qdState != "" {
				if got := mustRun(t, m, tc.on, "corosync-qdevice-tool -s"); !strings.HasSuffix(got, "State:\t\t\t"+tc.qdState+"\n") {
					t.Errorf("qdevice-tool:\n%s", got)
				}
			}
		})
	}
}

// splitDuo separates pve1 and pve2 while both still reach qnetd (lab §4's
// split used a second link): pve2 gets another authkey and restarts
// corosync, so knet drops its packets.
func splitDuo(t *testing.T, m *Model) {
	t.Helper()
	m.WriteFile("pve2", authkeyPath, Authkey("other"))
	mustRun(t, m, "pve2", "systemctl restart corosync")
	if got := memberIDs(t, m, "pve1"); got != "1 0" {
		t.Fatalf("pve1 members after the split %q", got)
	}
}

func mustPowerOff(t *testing.T, m *Model, name string) {
	t.Helper()
	if err := m.PowerOff(name); err != nil {
		t.Fatal(err)
	}
}

// Lab §4 "device configured but no qdevice daemon running": the daemon
// exits on a missing NSS DB after registering, members show NA,NV,NMW, the
// device still counts in expected votes (3), and the 2-node cluster loses
// quorum when either node dies.
func TestQDevice_ConfiguredDaemonDown_Lab4(t *testing.T) {
	m := duoWithQDevice(t)
	for _, nm := range []string{"pve1", "pve2"} {
		mustRun(t, m, nm, "systemctl stop corosync-qdevice && rm -rf /etc/corosync/qdevice")
	}
	// A reboot of both: the enabled daemons start with corosync and fail.
	for _, nm := range []string{"pve1", "pve2"} {
		mustPowerOff(t, m, nm)
	}
	if err := powerAll(m, "pve1", "pve2"); err != nil {
		t.Fatal(err)
	}
	if got, _, rc := run(t, m, "pve1", "systemctl is-active corosync-qdevice"); got != "failed\n" || rc != 3 {
		t.Errorf("daemon state %q rc %d, want failed", got, rc)
	}
	if j := journal(t, m, "pve1", "corosync-qdevice"); !strings.Contains(j, "Can't init nss (-8174): security library: bad database.") {
		t.Errorf("qdevice journal lacks the NSS line:\n%s", j)
	}
	out := mustRun(t, m, "pve1", "corosync-quorumtool -s")
	want := "Expected votes:   3\nHighest expected: 3\nTotal votes:      2\nQuorum:           2  \nFlags:            Quorate Qdevice \n\n" +
		"Membership information\n----------------------\n    Nodeid      Votes    Qdevice Name\n" +
		"         1          1  NA,NV,NMW pve1 (local)\n"
	if !strings.Contains(out, want) {
		t.Errorf("quorumtool:\n%s\nwant:\n%s", out, want)
	}
	mustPowerOff(t, m, "pve2")
	if _, _, rc := run(t, m, "pve1", "corosync-quorumtool -s"); rc != 2 {
		t.Errorf("after pve2 died: exit %d, want 2 (inquorate)", rc)
	}
}
