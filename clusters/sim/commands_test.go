package sim_test

import (
	"strings"
	"testing"

	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sim"
)

// TestCommandSurface_EveryClustersCommand runs every command line
// clusters/commands.go builds against the healthy scenario.
func TestCommandSurface_EveryClustersCommand(t *testing.T) {
	m, err := sim.Scenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	conf, _ := m.ReadFile("pve1", clusters.LocalConfPath)
	backup := clusters.BackupDir + "/corosync.conf.1"
	cases := []struct {
		cmd    string
		stdin  string
		code   int
		prefix string
	}{
		{clusters.CmdServices, "", 0, "active\nactive\n"},
		{clusters.CmdQuorum, "", 0, "Quorum information\n"},
		{clusters.CmdRuntimeVersion, "", 0, "totem.config_version (u64) = 3\n"},
		{clusters.CmdLinks, "", 0, "Local node ID 1, transport knet\n"},
		{clusters.CmdCorosyncLog, "", 0, ""},
		{clusters.CmdCat(clusters.ClusterConfPath), "", 0, "logging {\n"},
		{clusters.CmdCat(clusters.LocalConfPath), "", 0, "logging {\n"},
		{clusters.CmdCat("/etc/it's-missing"), "", 1, ""},
		{clusters.CmdBackup(clusters.LocalConfPath, backup), "", 0, ""},
		{clusters.CmdCat(backup), "", 0, "logging {\n"},
		{clusters.CmdWriteStdin(clusters.LocalConfPath + ".new"), string(conf), 0, ""},
		{clusters.CmdRename(clusters.LocalConfPath+".new", clusters.LocalConfPath), "", 0, ""},
		{clusters.CmdSystemctl("restart", "corosync"), "", 0, ""},
		{clusters.CmdSystemctl("stop", "pve-cluster"), "", 0, ""},
		{clusters.CmdSystemctl("start", "pve-cluster"), "", 0, ""},
	}
	for _, tc := range cases {
		o, e, code := m.Exec("pve1", tc.cmd, []byte(tc.stdin))
		if code != tc.code || !strings.HasPrefix(string(o), tc.prefix) {
			t.Errorf("%s: rc %d (want %d) stdout %.60q stderr %q", tc.cmd, code, tc.code, o, e)
		}
	}
	if o, _, _ := m.Exec("pve1", clusters.CmdCat("/etc/it's-missing"), nil); len(o) != 0 {
		t.Errorf("missing file printed %q", o)
	}
	if _, e, _ := m.Exec("pve1", clusters.CmdCat("/etc/it's-missing"), nil); string(e) != "cat: /etc/it's-missing: No such file or directory\n" {
		t.Errorf("quoting: stderr %q", e)
	}
	if log, _, _ := m.Exec("pve1", clusters.CmdCorosyncLog, nil); !strings.Contains(string(log), "Corosync Cluster Engine 3.1.7 starting up") {
		t.Errorf("corosync log lacks the start line:\n%s", log)
	}
}

func TestShell_Basics(t *testing.T) {
	m, err := sim.Scenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, cmd, out, errOut string
		code                   int
	}{
		{"unknown command", "frobnicate --x", "", "bash: line 1: frobnicate: command not found\n", 127},
		{"&& stops at the first failure", "cat /nope && hostname", "", "cat: /nope: No such file or directory\n", 1},
		{"&& runs left to right", "hostname && hostname", "pve2\npve2\n", "", 0},
		{"double quotes and escapes", `mkdir -p "/tmp/a b" && cat > "/tmp/a b/\"x\"" && cat '/tmp/a b/"x"'`, "", "", 0},
		{"sha256sum format", "sha256sum /tmp/empty-missing", "", "sha256sum: /tmp/empty-missing: No such file or directory\n", 1},
		{"is-active exit 3", "systemctl is-active corosync nosuchunit", "active\ninactive\n", "", 3},
		{"journal -n", "journalctl -b -u pve-cluster --no-pager -o short -n 1", "", "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, e, code := m.Exec("pve2", tc.cmd, nil)
			if tc.name == "journal -n" {
				if strings.Count(string(o), "\n") != 1 || code != 0 {
					t.Errorf("journalctl -n 1 printed %q rc %d", o, code)
				}
				return
			}
			if string(o) != tc.out || string(e) != tc.errOut || code != tc.code {
				t.Errorf("got %q %q rc %d, want %q %q rc %d", o, e, code, tc.out, tc.errOut, tc.code)
			}
		})
	}
	o, _, _ := m.Exec("pve2", "cat > /tmp/f && sha256sum /tmp/f", []byte("abc"))
	if string(o) != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  /tmp/f\n" {
		t.Errorf("sha256sum = %q", o)
	}
}

func TestExec_PoweredOffAndHook(t *testing.T) {
	m, err := sim.Scenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	_ = m.PowerOff("pve3")
	if _, _, code := m.Exec("pve3", "hostname", nil); code != 255 {
		t.Errorf("powered-off node: code %d, want 255", code)
	}
	if st, _ := m.API("pve3", "GET", "/version", nil); st != 595 {
		t.Errorf("powered-off API: %d, want 595", st)
	}
	m.FailExec = func(node, cmd string) ([]byte, []byte, int, bool) {
		return nil, []byte("injected\n"), 42, node == "pve1" && strings.HasPrefix(cmd, "systemctl")
	}
	if _, e, code := m.Exec("pve1", "systemctl is-active corosync", nil); code != 42 || string(e) != "injected\n" {
		t.Errorf("hook not applied: %d %q", code, e)
	}
	if _, _, code := m.Exec("pve2", "systemctl is-active corosync", nil); code != 0 {
		t.Errorf("hook applied to the wrong node: %d", code)
	}
}
