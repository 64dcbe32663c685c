package sim

import (
	"strings"
	"testing"
)

// The per-node qdevice probes quorate runs (clusters/commands.go), with the
// package present or not, the qnetd host up, down or cut.
func TestQDeviceProbes(t *testing.T) {
	probe := "timeout 3 bash -c '</dev/tcp/10.99.1.200/5403'"
	cases := []struct {
		name     string
		prep     func(t *testing.T, m *Model)
		node     string
		cmd      string
		out, err string
		rc       int
	}{
		{"command -v, installed", nil, "pve1", "command -v corosync-qdevice", "/usr/sbin/corosync-qdevice\n", "", 0},
		{"command -v, not installed: silent rc 1", func(t *testing.T, m *Model) { _ = m.SetQDeviceInstalled("pve1", false) },
			"pve1", "command -v corosync-qdevice", "", "", 1},
		{"is-active before setup", nil, "pve1", "systemctl is-active corosync-qdevice", "inactive\n", "", 3},
		{"is-active without the package", func(t *testing.T, m *Model) { _ = m.SetQDeviceInstalled("pve1", false) },
			"pve1", "systemctl is-active corosync-qdevice", "inactive\n", "", 3},
		{"start without the package", func(t *testing.T, m *Model) { _ = m.SetQDeviceInstalled("pve1", false) },
			"pve1", "systemctl start corosync-qdevice", "", "Failed to start corosync-qdevice.service: Unit corosync-qdevice.service not found.\n", 5},
		{"enable without the package", func(t *testing.T, m *Model) { _ = m.SetQDeviceInstalled("pve1", false) },
			"pve1", "systemctl enable corosync-qdevice", "", "Failed to enable unit: Unit file corosync-qdevice.service does not exist.\n", 1},
		{"start without quorum.device fails", nil, "pve1", "systemctl start corosync-qdevice", "",
			"Job for corosync-qdevice.service failed because the control process exited with error code.\nSee \"systemctl status corosync-qdevice.service\" and \"journalctl -xeu corosync-qdevice.service\" for details.\n", 1},
		{"qdevice-tool without the package", func(t *testing.T, m *Model) { _ = m.SetQDeviceInstalled("pve1", false) },
			"pve1", "corosync-qdevice-tool -s", "", "bash: line 1: corosync-qdevice-tool: command not found\n", 127},
		{"qdevice-tool without a daemon", nil, "pve1", "corosync-qdevice-tool -s", "",
			"corosync-qdevice-tool: Can't connect to QDevice socket (is QDevice running?): No such file or directory\n", 3},
		{"qnetd up", nil, "pve1", probe, "", "", 0},
		{"qnetd powered off: timeout", func(t *testing.T, m *Model) { _ = m.PowerOffQNetd(qnetdIP) }, "pve1", probe, "", "", 124},
		{"qnetd cable cut: timeout", func(t *testing.T, m *Model) { _ = m.CutQNetd(qnetdIP, true) }, "pve1", probe, "", "", 124},
		{"node cable cut: timeout", func(t *testing.T, m *Model) { m.Cut("pve2", true) }, "pve2", probe, "", "", 124},
		{"no qnetd there: a node answers refused (bash 5.2 wording)", nil, "pve1", "timeout 3 bash -c '</dev/tcp/10.10.10.2/5403'", "",
			"bash: connect: Connection refused\nbash: /dev/tcp/10.10.10.2/5403: Connection refused\n", 1},
		{"nobody at that address: timeout", nil, "pve1", "timeout 3 bash -c '</dev/tcp/10.99.1.201/5403'", "", "", 124},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := cluster(t, 3, 1, 2)
			m.AddQNetd(qnetdIP)
			if tc.prep != nil {
				tc.prep(t, m)
			}
			out, errOut, rc := run(t, m, tc.node, tc.cmd)
			if out != tc.out || errOut != tc.err || rc != tc.rc {
				t.Errorf("got rc %d out %q err %q\nwant rc %d out %q err %q", rc, out, errOut, tc.rc, tc.out, tc.err)
			}
		})
	}
}

// corosync-qdevice Requires= corosync: stopping corosync stops the daemon,
// restarting corosync restarts it, and a running daemon keeps its vote.
func TestQDeviceFollowsCorosync(t *testing.T) {
	m := duoWithQDevice(t)
	mustRun(t, m, "pve2", "systemctl restart corosync")
	if got := mustRun(t, m, "pve2", "systemctl is-active corosync-qdevice"); got != "active\n" {
		t.Errorf("after restart of corosync: %q", got)
	}
	if got := mustRun(t, m, "pve1", "corosync-quorumtool -s"); !strings.Contains(got, "Total votes:      3\n") {
		t.Errorf("after restart:\n%s", got)
	}
	mustRun(t, m, "pve2", "systemctl stop corosync")
	if got, _, _ := run(t, m, "pve2", "systemctl is-active corosync-qdevice"); got != "inactive\n" {
		t.Errorf("after stop of corosync: %q", got)
	}
	mustRun(t, m, "pve2", "systemctl start corosync-qdevice") // pulls corosync in
	if got := mustRun(t, m, "pve2", "systemctl is-active corosync corosync-qdevice"); got != "active\nactive\n" {
		t.Errorf("after starting the daemon alone: %q", got)
	}
}

// GET /cluster/config/qdevice (reference §2.10): {} without the daemon,
// else the kept keys; "Echo reply" never appears.
func TestAPIQDevice_Ref2_10(t *testing.T) {
	m := cluster(t, 3, 1, 2)
	if _, body := m.API("pve1", "GET", "/cluster/config/qdevice", nil); string(body) != `{"data":{}}` {
		t.Errorf("without a qdevice: %s", body)
	}
	m = duoWithQDevice(t)
	_, body := m.API("pve2", "GET", "/cluster/config/qdevice", nil)
	want := `{"data":{"Algorithm":"Fifty-Fifty split","Last poll call":"2026-11-22T01:55:43 (cast vote)","Model":"Net","QNetd host":"10.99.1.200:5403","State":"Connected","Tie-breaker":"Node with lowest node ID"}}`
	if string(body) != want {
		t.Errorf("got  %s\nwant %s", body, want)
	}
}

// corosync-qdevice-tool -s: the lab §4 layout.
func TestQDeviceTool_Lab4(t *testing.T) {
	m := duoWithQDevice(t)
	want := "Qdevice information\n-------------------\nModel:\t\t\tNet\nNode ID:\t\t1\nConfiguration version:\t4\n" +
		"Configured node list:\n    0\tNode ID = 1\n    1\tNode ID = 2\nMembership node list:\t1, 2\n\n" +
		"Qdevice-net information\n----------------------\nCluster name:\t\tduo\nQNetd host:\t\t10.99.1.200:5403\n" +
		"Algorithm:\t\tFifty-Fifty split\nTie-breaker:\t\tNode with lowest node ID\nState:\t\t\tConnected\n"
	if got := mustRun(t, m, "pve1", "corosync-qdevice-tool -s"); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// Reference §7.2: two_node together with a device is refused at start (the
// quorum service fails to load) and, on reload, the runtime quorum data is
// kept.
func TestQDevice_TwoNodeConflict_Ref7_2(t *testing.T) {
	m := duoWithQDevice(t)
	raw := mustRun(t, m, "pve1", "cat /etc/pve/corosync.conf")
	bad := strings.Replace(raw, "  provider: corosync_votequorum\n", "  provider: corosync_votequorum\n  two_node: 1\n", 1)
	bad = strings.Replace(bad, "config_version: 4", "config_version: 5", 1)
	mustRun(t, m, "pve1", "cat > /etc/pve/corosync.conf", bad) // pmxcfs copies and reloads
	if j := journal(t, m, "pve2", "corosync"); !strings.Contains(j, "[VOTEQ ] configuration error: two_node and quorum device cannot be configured at the same time!") ||
		!strings.Contains(j, "[VOTEQ ] will continue with current runtime data") {
		t.Errorf("reload journal:\n%s", j)
	}
	if got := mustRun(t, m, "pve1", "corosync-quorumtool -s"); !strings.Contains(got, "Flags:            Quorate Qdevice \n") {
		t.Errorf("runtime after the refused reload:\n%s", got)
	}
	_, e, rc := run(t, m, "pve2", "systemctl restart corosync")
	if rc != 1 || !strings.Contains(e, "Job for corosync.service failed") {
		t.Errorf("restart: exit %d %q", rc, e)
	}
	if j := journal(t, m, "pve2", "corosync"); !strings.Contains(j, "[SERV  ] Service engine 'corosync_quorum' failed to load for reason 'configuration error: two_node and quorum device cannot be configured at the same time!'") {
		t.Errorf("start journal:\n%s", j)
	}
}

// Reference §7.4: device votes N−1 when absent; consistency errors.
func TestDeviceVotes_Ref7_4(t *testing.T) {
	cases := []struct {
		name     string
		expected int
		votes    []int // per node
		devVotes int
		wantV    int
		wantErr  string
	}{
		{"lms default: N-1", 0, []int{1, 1, 1}, 0, 2, ""},
		{"ffsplit: configured 1", 0, []int{1, 1}, 1, 1, ""},
		{"absent with expected_votes", 5, []int{1, 1, 1}, 0, 0, "quorum.device.votes must be specified when quorum.expected_votes is set"},
		{"absent with uneven node votes", 0, []int{2, 1, 1}, 0, 0, "quorum.device.votes must be specified when not all nodes votes 1"},
		{"too high for expected_votes", 3, []int{1, 1}, 2, 0, "quorum.device.votes is too high or expected_votes is too low"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &rtConf{expected: tc.expected, device: &rtDevice{votes: tc.devVotes}}
			for i, v := range tc.votes {
				c.nodes = append(c.nodes, rtNode{id: i + 1, votes: v})
			}
			v, err := c.computeDeviceVotes()
			if v != tc.wantV || err != tc.wantErr {
				t.Errorf("got %d %q, want %d %q", v, err, tc.wantV, tc.wantErr)
			}
		})
	}
}
