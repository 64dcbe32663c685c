package clusters_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state/corosync"
)

// editWhileCut changes /etc/pve/corosync.conf on pve1 (Proxmox's edit
// procedure: .new, version bump, rename) while pve3 is cut off, then heals the
// cut. pmxcfs copies the newer file to pve3 without a reload there, so pve3
// keeps running the old config_version (reference §5.1, LAB).
func editWhileCut(t *testing.T, m *sim.Model, edit func(c *corosync.Config)) {
	t.Helper()
	m.Cut("pve3", true)
	cur, _ := m.ReadFile("pve1", "/etc/pve/corosync.conf")
	c, err := corosync.Parse(cur)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.BumpVersion(); err != nil {
		t.Fatal(err)
	}
	edit(c)
	for _, cmd := range []string{"cat > /etc/pve/corosync.conf.new", "mv /etc/pve/corosync.conf.new /etc/pve/corosync.conf"} {
		if _, errb, code := m.Exec("pve1", cmd, c.Bytes()); code != 0 {
			t.Fatalf("%s: %s", cmd, errb)
		}
	}
	m.Cut("pve3", false)
}

func TestLaggingRuntimeVersionIsReloaded(t *testing.T) {
	m, _ := sim.Scenario("healthy")
	editWhileCut(t, m, func(c *corosync.Config) { c.Main.Section("totem").Set("token", "5000") })
	decl, remote, _ := inMemory(t, m)
	ctx := context.Background()
	obs, err := remote.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rv := obs.Node("pve3").RuntimeVersion; rv == nil || *rv != 3 {
		t.Fatalf("pve3 runtime version %v, want the old 3", rv)
	}
	cs := reconciler.Plan(decl, obs, t0)
	if len(cs.Actions) != 1 || cs.Actions[0].Kind != reconciler.ReloadCorosync || cs.Actions[0].Target != "pve3" {
		t.Fatalf("plan:\n%s", cs.Text())
	}
	if _, err := reconciler.Apply(ctx, remote, &cs, reconciler.ApplyOptions{Clock: &instantClock{t: t0}}); err != nil {
		t.Fatal(err)
	}
	obs, _ = remote.Observe(ctx)
	if after := reconciler.Plan(decl, obs, t0); !after.Converged() {
		t.Fatalf("not converged:\n%s", after.Text())
	}
}

// TestRejectedReloadStopsApply: an address change cannot be reloaded
// (reference §8.2); the executor reads config.reload_status instead of
// trusting the exit code, and Apply stops with the reason.
func TestRejectedReloadStopsApply(t *testing.T) {
	m, _ := sim.Scenario("healthy")
	editWhileCut(t, m, func(c *corosync.Config) {
		for _, n := range c.Main.Section("nodelist").List("node") {
			if v, _ := n.Value("name"); v == "pve2" {
				n.Set("ring0_addr", "10.10.10.22")
			}
		}
	})
	decl, remote, _ := inMemory(t, m)
	// The declaration follows the file, so only the reload is pending.
	ctx := context.Background()
	obs, err := remote.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cs := reconciler.Plan(decl, obs, t0)
	if len(cs.Actions) != 1 || cs.Actions[0].Kind != reconciler.ReloadCorosync {
		t.Fatalf("plan:\n%s", cs.Text())
	}
	_, err = reconciler.Apply(ctx, remote, &cs, reconciler.ApplyOptions{Clock: &instantClock{t: t0}})
	var ae *reconciler.ApplyError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "rejected the reload") {
		t.Fatalf("err = %v, want a rejected reload", err)
	}
	if !strings.Contains(err.Error(), "= 7") {
		t.Errorf("the reload status is not reported: %v", err)
	}
}
