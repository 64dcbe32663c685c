package sim

import (
	"strings"
	"testing"
)

// Reference §3.9: the INFO steps in order, the §4.6 block with votes: 1 for
// ffsplit, config_version + 1, the daemons started and enabled everywhere,
// and corosync-cfgtool -R's output last.
func TestPvecmQDeviceSetup_Ref3_9(t *testing.T) {
	m := cluster(t, 3, 1, 2)
	m.AddQNetd(qnetdIP)
	out, errOut, rc := run(t, m, "pve1", "pvecm qdevice setup '10.99.1.200'")
	if rc != 0 {
		t.Fatalf("exit %d: %s", rc, errOut)
	}
	want := "\nINFO: initializing qnetd server\n" +
		"\nINFO: copying CA cert and initializing on all nodes\n" +
		"\nINFO: generating cert request\n" +
		"\nINFO: copying exported cert request to qnetd server\n" +
		"\nINFO: sign and export cluster cert\n" +
		"\nINFO: copy exported CRT\n" +
		"\nINFO: import certificate\n" +
		"\nINFO: copy and import pk12 cert to all nodes\n" +
		"\nINFO: add QDevice to cluster configuration\n" +
		"\nINFO: start and enable corosync qdevice daemon on node 'pve1'...\n" +
		"\nINFO: start and enable corosync qdevice daemon on node 'pve2'...\n" +
		"Reloading corosync.conf...\nDone\n"
	if out != want {
		t.Errorf("stdout:\n%q\nwant:\n%q", out, want)
	}
	if !strings.Contains(errOut, "Created symlink /etc/systemd/system/multi-user.target.wants/corosync-qdevice.service") {
		t.Errorf("stderr lacks systemctl enable's line:\n%s", errOut)
	}
	conf := mustRun(t, m, "pve2", "cat /etc/pve/corosync.conf")
	block := "quorum {\n  device {\n    model: net\n    net {\n      algorithm: ffsplit\n      host: 10.99.1.200\n      tls: on\n    }\n    votes: 1\n  }\n  provider: corosync_votequorum\n}\n"
	if !strings.Contains(conf, block) || !strings.Contains(conf, "config_version: 4\n") {
		t.Errorf("corosync.conf:\n%s\nwant the §4.6 block at version 4", conf)
	}
	for _, nm := range []string{"pve1", "pve2"} {
		if got := mustRun(t, m, nm, "systemctl is-active corosync-qdevice"); got != "active\n" {
			t.Errorf("%s daemon %q", nm, got)
		}
		if _, e, _ := run(t, m, nm, "systemctl enable corosync-qdevice"); e != "" {
			t.Errorf("%s: enable again printed %q, want nothing (already enabled)", nm, e)
		}
	}
	if _, ok := m.ReadFile("pve1", "/etc/pve/qdevice-net-node.p12"); ok {
		t.Error("the p12 copy in /etc/pve was left behind")
	}
}

// §4.6: for lms (odd count with --force) the votes line is absent.
func TestPvecmQDeviceSetup_LMSHasNoVotes_Ref4_6(t *testing.T) {
	m := cluster(t, 3, 1, 2, 3)
	m.AddQNetd(qnetdIP)
	mustRun(t, m, "pve1", "pvecm qdevice setup 10.99.1.200 --force")
	conf := mustRun(t, m, "pve3", "cat /etc/pve/corosync.conf")
	if !strings.Contains(conf, "  device {\n    model: net\n    net {\n      algorithm: lms\n      host: 10.99.1.200\n      tls: on\n    }\n  }\n") {
		t.Errorf("corosync.conf:\n%s", conf)
	}
}

// The refusals of §3.9, in the order pvecm checks them; nothing is written
// by any refusal before step 14.
func TestPvecmQDeviceSetup_Refusals_Ref3_9(t *testing.T) {
	cases := []struct {
		name    string
		nums    []int
		prep    func(t *testing.T, m *Model)
		cmd     string
		wantErr string
		version string // config_version after, on pve1
	}{
		{"not an IP", []int{1, 2}, nil, "pvecm qdevice setup qnetd.example",
			"400 Parameter verification failed.\naddress: value does not look like a valid IP address\npvecm qdevice setup <address> [OPTIONS]\n", "3"},
		{"a member offline", []int{1, 2, 3, 4}, func(t *testing.T, m *Model) { mustPowerOff(t, m, "pve3") },
			"pvecm qdevice setup 10.99.1.200", "All nodes must be online! Node pve3 is offline, aborting.\n", "3"},
		{"odd count without --force", []int{1, 2, 3}, nil, "pvecm qdevice setup 10.99.1.200",
			"Clusters with an odd node count are not officially supported!\n", "3"},
		{"already configured", []int{1, 2}, func(t *testing.T, m *Model) { mustRun(t, m, "pve1", "pvecm qdevice setup 10.99.1.200") },
			"pvecm qdevice setup 10.99.1.200", "QDevice already configured!\n", "4"},
		{"already configured, --force: refused at step 14", []int{1, 2}, func(t *testing.T, m *Model) {
			mustRun(t, m, "pve1", "pvecm qdevice setup 10.99.1.200")
		}, "pvecm qdevice setup 10.99.1.200 --force", "Qdevice already configured, must be removed before setting up new one!\n", "4"},
		{"qnetd host down: ssh fails", []int{1, 2}, func(t *testing.T, m *Model) { _ = m.PowerOffQNetd(qnetdIP) },
			"pvecm qdevice setup 10.99.1.200",
			"/usr/bin/ssh-copy-id: ERROR: ssh: connect to host 10.99.1.200 port 22: No route to host\n\ncommand 'ssh-copy-id -i /root/.ssh/id_rsa root@10.99.1.200' failed: exit code 1\n", "3"},
		{"no key access to qnetd", []int{1, 2}, func(t *testing.T, m *Model) { _ = m.SetQNetdKeyAccess(qnetdIP, false) },
			"pvecm qdevice setup 10.99.1.200",
			"root@10.99.1.200: Permission denied (publickey,password).\ncommand 'ssh-copy-id -i /root/.ssh/id_rsa root@10.99.1.200' failed: exit code 1\n", "3"},
		{"local certificate store exists", []int{1, 2}, func(t *testing.T, m *Model) { m.WriteFile("pve1", nssdbCert, []byte("old\n")) },
			"pvecm qdevice setup 10.99.1.200", "QDevice certificate store already initialised, set force to delete!\n", "3"},
		{"a member without the package: written, then the start fails", []int{1, 2}, func(t *testing.T, m *Model) {
			if err := m.SetQDeviceInstalled("pve2", false); err != nil {
				t.Fatal(err)
			}
		}, "pvecm qdevice setup 10.99.1.200",
			"Failed to start corosync-qdevice.service: Unit corosync-qdevice.service not found.\n" +
				"command '/usr/bin/ssh -e none -o 'BatchMode=yes' -o 'HostKeyAlias=pve2' -o 'UserKnownHostsFile=/etc/pve/nodes/pve2/ssh_known_hosts' -o 'GlobalKnownHostsFile=none' root@192.0.2.2 -- systemctl start corosync-qdevice' failed: exit code 5\n", "4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := cluster(t, 3, tc.nums...)
			m.AddQNetd(qnetdIP)
			if tc.prep != nil {
				tc.prep(t, m)
			}
			_, errOut, rc := run(t, m, "pve1", tc.cmd)
			if rc != 255 || !strings.HasSuffix(errOut, tc.wantErr) {
				t.Errorf("exit %d, stderr:\n%s\nwant 255 and suffix:\n%s", rc, errOut, tc.wantErr)
			}
			if got := mustRun(t, m, "pve1", "corosync-cmapctl -g totem.config_version"); got != "totem.config_version (u64) = "+tc.version+"\n" {
				t.Errorf("runtime version %q, want %s", got, tc.version)
			}
		})
	}
}

// Reference §3.10: remove drops quorum.device with a bump, cleans
// /etc/corosync/qdevice, stops and disables the daemons, reloads and says
// "Removed Qdevice."; expected votes fall back to the node sum.
func TestPvecmQDeviceRemove_Ref3_10(t *testing.T) {
	m := duoWithQDevice(t)
	out, errOut, rc := run(t, m, "pve2", "pvecm qdevice remove")
	if rc != 0 || out != "Reloading corosync.conf...\nDone\n\nRemoved Qdevice.\n" {
		t.Fatalf("exit %d stdout %q stderr %q", rc, out, errOut)
	}
	if !strings.Contains(errOut, `Removed "/etc/systemd/system/multi-user.target.wants/corosync-qdevice.service".`) {
		t.Errorf("stderr lacks systemctl disable's line: %q", errOut)
	}
	conf := mustRun(t, m, "pve1", "cat /etc/pve/corosync.conf")
	if strings.Contains(conf, "device") || !strings.Contains(conf, "config_version: 5\n") {
		t.Errorf("corosync.conf:\n%s", conf)
	}
	for _, nm := range []string{"pve1", "pve2"} {
		if got, _, _ := run(t, m, nm, "systemctl is-active corosync-qdevice"); got != "inactive\n" {
			t.Errorf("%s daemon %q", nm, got)
		}
		if got := mustRun(t, m, nm, "ls -1 /etc/corosync"); strings.Contains(got, "qdevice") {
			t.Errorf("%s: /etc/corosync still has qdevice: %q", nm, got)
		}
	}
	q := mustRun(t, m, "pve1", "corosync-quorumtool -s")
	if !strings.Contains(q, "Expected votes:   2\n") || !strings.Contains(q, "Flags:            Quorate \n") ||
		!strings.HasSuffix(q, "    Nodeid      Votes Name\n         1          1 pve1 (local)\n         2          1 pve2\n") {
		t.Errorf("quorumtool after remove:\n%s", q)
	}
	if _, e, rc := run(t, m, "pve1", "pvecm qdevice remove"); rc != 255 || e != "No QDevice configured!\n" {
		t.Errorf("second remove: exit %d %q", rc, e)
	}
}

func TestPvecmQDeviceRemove_NeedsAllOnline_Ref3_10(t *testing.T) {
	m := duoWithQDevice(t)
	mustPowerOff(t, m, "pve2")
	if _, e, rc := run(t, m, "pve1", "pvecm qdevice remove"); rc != 255 || e != "All nodes must be online! Node pve2 is offline, aborting.\n" {
		t.Errorf("exit %d %q", rc, e)
	}
}
