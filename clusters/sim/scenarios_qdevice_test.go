package sim

import (
	"fmt"
	"strings"
	"testing"
)

// The qdevice scenarios' declarations: the cluster as it is, edited by the
// intent.
func TestScenarios_QDeviceDeclaration(t *testing.T) {
	cases := []struct {
		scenario, name, members, qdevice string
	}{
		{"qdevice-two-node", "duo", "pve1 pve2", "10.99.1.200 ffsplit lowest"},
		{"qdevice-grow", "lab", "pve1 pve2 pve3 pve4 pve5", "10.99.1.200 lms lowest"},
		{"qdevice-grow-off", "lab", "pve1 pve2 pve3 pve4 pve5", "none"},
	}
	for _, tc := range cases {
		t.Run(tc.scenario, func(t *testing.T) {
			d := scenario(t, tc.scenario).Declaration()
			var names []string
			for _, mem := range d.Spec.Members {
				names = append(names, mem.Name)
			}
			q := "none"
			if d.Spec.QDevice != nil {
				q = fmt.Sprintf("%s %s %s", d.Spec.QDevice.Host, d.Spec.QDevice.Algorithm, d.Spec.QDevice.TieBreaker)
			}
			if d.Metadata.Name != tc.name || strings.Join(names, " ") != tc.members || q != tc.qdevice {
				t.Errorf("declaration %s [%s] qdevice %s, want %s [%s] %s", d.Metadata.Name, strings.Join(names, " "), q, tc.name, tc.members, tc.qdevice)
			}
			if mem := d.Member("pve5"); mem != nil && (mem.NodeID != 5 || mem.Address(0) != "10.10.10.5") {
				t.Errorf("pve5 declared as %+v", mem)
			}
		})
	}
}

// The cluster side: qdevice-two-node has no device yet and qnetd reachable;
// qdevice-grow has the ffsplit device set up by pvecm (4 nodes + 1 vote:
// expected 5, quorum 3) and pve5 standalone.
func TestScenarios_QDeviceClusterState(t *testing.T) {
	m := scenario(t, "qdevice-two-node")
	if got := mustRun(t, m, "pve1", "corosync-quorumtool -s"); !strings.Contains(got, "Expected votes:   2\n") || strings.Contains(got, "Qdevice") {
		t.Errorf("qdevice-two-node quorum:\n%s", got)
	}
	mustRun(t, m, "pve2", "timeout 3 bash -c '</dev/tcp/10.99.1.200/5403'")

	for _, name := range []string{"qdevice-grow", "qdevice-grow-off"} {
		m := scenario(t, name)
		got := mustRun(t, m, "pve4", "corosync-quorumtool -s")
		if !strings.Contains(got, "Expected votes:   5\nHighest expected: 5\nTotal votes:      5\nQuorum:           3  \nFlags:            Quorate Qdevice \n") {
			t.Errorf("%s quorum:\n%s", name, got)
		}
		if conf := mustRun(t, m, "pve1", "cat /etc/pve/corosync.conf"); !strings.Contains(conf, "algorithm: ffsplit") || !strings.Contains(conf, "config_version: 6\n") {
			t.Errorf("%s conf:\n%s", name, conf)
		}
		if got := mustRun(t, m, "pve5", "ls -1 /etc/corosync"); got != "" {
			t.Errorf("%s: pve5 /etc/corosync = %q, want empty (standalone)", name, got)
		}
		snap := m.Snapshot()
		if s := snap.Node("pve3").QDevice; s == nil || !s.Installed || s.Service != "active" || s.State != "Connected" || s.QNetdReachable == nil || !*s.QNetdReachable {
			t.Errorf("%s: pve3 qdevice facts %+v", name, s)
		}
	}
}
