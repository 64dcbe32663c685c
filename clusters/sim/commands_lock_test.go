package sim_test

import (
	"testing"

	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sim"
)

// TestCommandSurface_QuorateLock runs the cluster lock commands of
// clusters/commands.go in the order clusters/lock uses them, with the
// outputs a real node gives (reference §6.6).
func TestCommandSurface_QuorateLock(t *testing.T) {
	m, err := sim.Scenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	const denied = "touch: setting times of '/etc/pve/priv/lock/quorate': Permission denied\n"
	steps := []struct {
		node, cmd, stdin string
		code             int
		stdout, stderr   string
	}{
		{"pve1", clusters.CmdClusterLocks, "", 0, "", ""},
		{"pve1", clusters.CmdPmxcfsMounted, "", 0, "", ""},
		{"pve1", clusters.CmdQuorateLockReadOwner, "", 1, "", "cat: /etc/pve/priv/quorate-lock.json: No such file or directory\n"},
		{"pve1", clusters.CmdQuorateLockTake, "", 0, "", ""},
		{"pve2", clusters.CmdQuorateLockTake, "", 1, "", "mkdir: cannot create directory '/etc/pve/priv/lock/quorate': File exists\n"},
		{"pve1", clusters.CmdQuorateLockWriteOwner, "{}\n", 0, "", ""},
		{"pve1", clusters.CmdQuorateLockRenew, "", 0, "{}\n", ""},
		{"pve2", clusters.CmdQuorateLockRenew, "", 1, "", denied},
		{"pve2", clusters.CmdQuorateLockUnlockRequest, "", 1, "", denied},
		{"pve3", clusters.CmdClusterLocks, "", 0, "quorate\n", ""},
		{"pve3", clusters.CmdQuorateLockRelease, "", 0, "", ""},
		{"pve1", clusters.CmdQuorateLockRenew, "", 1, "", ""},
		{"pve1", clusters.CmdQuorateLockUnlockRequest, "", 0, "", ""},
		{"pve2", clusters.CmdClusterLocks, "", 0, "", ""},
	}
	for i, s := range steps {
		o, e, code := m.Exec(s.node, s.cmd, []byte(s.stdin))
		if code != s.code || string(o) != s.stdout || string(e) != s.stderr {
			t.Errorf("step %d %s: %s: rc %d stdout %q stderr %q; want %d %q %q", i, s.node, s.cmd, code, o, e, s.code, s.stdout, s.stderr)
		}
	}
	if _, ok := m.ReadFile("pve1", clusters.QuorateLockDir); ok {
		t.Errorf("touch -c created a file where the lock was")
	}
	if _, ok := m.ReadFile("pve1", clusters.QuorateLockOwner); ok {
		t.Errorf("release left the owner record")
	}
}
