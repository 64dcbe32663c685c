package sim_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sim"
)

// The join commands of clusters/commands.go, run as quorate runs them on the
// join-member scenario: the preflight reads on the joiner, then CmdJoin.
func TestCommandSurface_JoinCommands(t *testing.T) {
	m, err := sim.Scenario("join-member")
	if err != nil {
		t.Fatal(err)
	}
	m.SetRootPassword("pw")
	// The peer's fingerprint as an operator reads it from the join info.
	fp := func(node string) string {
		_, body := m.API("pve1", "GET", "/cluster/config/join", nil)
		var ji struct {
			Data struct {
				Nodelist []map[string]string `json:"nodelist"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &ji); err != nil {
			t.Fatal(err)
		}
		for _, n := range ji.Data.Nodelist {
			if n["name"] == node {
				return n["pve_fp"]
			}
		}
		t.Fatalf("no %s in the join info: %s", node, body)
		return ""
	}
	cases := []struct {
		cmd, stdin string
		code       int
		want       string // exact stdout, or a suffix when it starts with "..."
	}{
		{clusters.CmdInterfaces, "", 0, "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n" +
			"2: eth0    inet 192.0.2.4/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever\n" +
			"3: eth1    inet 10.10.10.4/24 brd 10.10.10.255 scope global eth1\\       valid_lft forever preferred_lft forever\n"},
		{clusters.CmdListCorosyncDir, "", 0, ""},
		{clusters.CmdListDir("/etc/pve/nodes/pve4/qemu-server"), "", 0, ""},
		{clusters.CmdListDir("/etc/pve/nodes/pve4/lxc"), "", 0, ""},
		{clusters.CmdJoin("pve1", fp("pve1"), 4, 1, map[int]string{0: "10.10.10.4"}), "pw\n", 0, "...successfully added node 'pve4' to cluster.\n"},
		{clusters.CmdListCorosyncDir, "", 0, "authkey\ncorosync.conf\n"},
		{clusters.CmdServices, "", 0, "active\nactive\n"},
	}
	for _, tc := range cases {
		o, e, code := m.Exec("pve4", tc.cmd, []byte(tc.stdin))
		ok := string(o) == tc.want
		if suffix, cut := strings.CutPrefix(tc.want, "..."); cut {
			ok = strings.HasSuffix(string(o), suffix)
		}
		if code != tc.code || !ok || len(e) != 0 {
			t.Errorf("%s: rc %d (want %d) stderr %q stdout:\n%s", tc.cmd, code, tc.code, e, o)
		}
	}
}
