package sim_test

import (
	"testing"

	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sim"
)

// Every qdevice command clusters/commands.go builds runs on the simulator,
// in the order quorate would use them on a two-node cluster.
func TestCommandSurface_QDevice(t *testing.T) {
	m, err := sim.Scenario("qdevice-two-node")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		cmd  string
		code int
		out  string
	}{
		{clusters.CmdQDeviceInstalled, 0, "/usr/sbin/corosync-qdevice\n"},
		{clusters.CmdQDeviceService, 3, "inactive\n"},
		{clusters.CmdQNetdReachable("10.99.1.200"), 0, ""},
		{clusters.CmdQDeviceSetup("10.99.1.200", false), 0, ""},
		{clusters.CmdQDeviceService, 0, "active\n"},
		{clusters.CmdQDeviceStatus, 0, ""},
		{clusters.CmdQDeviceRemove, 0, ""},
		{clusters.CmdQDeviceService, 3, "inactive\n"},
		{clusters.CmdQDeviceSetup("10.99.1.200", true), 0, ""},
	}
	for _, tc := range cases {
		o, e, c := m.Exec("pve1", tc.cmd, nil)
		if c != tc.code || (tc.out != "" && string(o) != tc.out) {
			t.Errorf("%s: exit %d stdout %q stderr %q, want exit %d stdout %q", tc.cmd, c, o, e, tc.code, tc.out)
		}
	}
}
