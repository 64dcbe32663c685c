package clusters_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state/corosync"
)

// haCluster is a running three-node cluster on Proxmox VE version v whose
// pve3 runs an HA-managed guest and holds an older corosync.conf because its
// pmxcfs was stopped while pve1 edited the cluster's: resyncing it restarts
// the corosync of a member with HA resources.
func haCluster(t *testing.T, v string) *sim.Model {
	t.Helper()
	var specs []sim.NodeSpec
	for i := 1; i <= 3; i++ {
		specs = append(specs, sim.NodeSpec{Name: fmt.Sprintf("pve%d", i), NodeID: i, Votes: 1,
			Addrs: map[int]string{0: fmt.Sprintf("10.10.10.%d", i)}, HostIP: fmt.Sprintf("192.0.2.%d", i), PVEVersion: v})
	}
	m := sim.NewCluster("lab", []corosync.Interface{{Number: 0}}, specs, 5)
	for _, s := range specs {
		m.PowerOn(s.Name)
	}
	if err := m.AddGuest("pve3", 300, "qemu"); err != nil {
		t.Fatal(err)
	}
	if err := m.AddHAResource("vm:300", ""); err != nil {
		t.Fatal(err)
	}
	if _, errb, code := m.Exec("pve3", "systemctl stop pve-cluster", nil); code != 0 {
		t.Fatal(string(errb))
	}
	cur, _ := m.ReadFile("pve1", "/etc/pve/corosync.conf")
	c, _ := corosync.Parse(cur)
	c.BumpVersion()
	c.Main.Section("totem").Set("token", "5000")
	for _, cmd := range []string{"cat > /etc/pve/corosync.conf.new", "mv /etc/pve/corosync.conf.new /etc/pve/corosync.conf"} {
		if _, errb, code := m.Exec("pve1", cmd, c.Bytes()); code != 0 {
			t.Fatalf("%s: %s", cmd, errb)
		}
	}
	return m
}

// TestStoryHADisarmedAroundCorosyncRestart: on Proxmox VE 9.2 the resync of
// a member with HA-managed guests is bracketed by disarm-ha/arm-ha and HA
// ends armed; on 8.4 it is refused with the resources named.
func TestStoryHADisarmedAroundCorosyncRestart(t *testing.T) {
	m := haCluster(t, "9.2.1")
	decl, remote, runner := inMemory(t, m)
	w := &watchedRemote{Remote: remote, t: t}
	mark := runner.mark()
	plans := converge(t, decl, w)
	if got := strings.Join(kinds(plans), "; "); got != "ResyncCorosyncConf pve3" {
		t.Fatalf("actions: %s", got)
	}
	cmds := runner.since(mark)
	disarm := slices.IndexFunc(cmds, func(c string) bool { return strings.HasSuffix(c, "disarm-ha freeze") })
	stop := slices.IndexFunc(cmds, func(c string) bool { return strings.HasPrefix(c, "pve3: systemctl stop 'corosync'") })
	arm := slices.IndexFunc(cmds, func(c string) bool { return strings.HasSuffix(c, "crm-command arm-ha") })
	if disarm < 0 || stop < 0 || arm < 0 || !(disarm < stop && stop < arm) {
		t.Errorf("disarm %d, stop %d, arm %d in %q", disarm, stop, arm, cmds)
	}
	if got := m.HADisarmed(); got != "" {
		t.Errorf("HA left disarmed (%s)", got)
	}

	old := haCluster(t, "8.4.1")
	decl, remote, _ = inMemory(t, old)
	obs, err := remote.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cs := reconciler.Plan(decl, obs, t0)
	if len(cs.Actions) != 0 || !strings.Contains(cs.Text(), "vm:300") {
		t.Fatalf("on 8.4:\n%s", cs.Text())
	}
}
