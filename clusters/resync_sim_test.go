package clusters_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/reconciler"
)

type instantClock struct{ t time.Time }

func (c *instantClock) Now() time.Time { return c.t }
func (c *instantClock) Sleep(_ context.Context, d time.Duration) error {
	c.t = c.t.Add(d)
	return nil
}

var t0 = time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)

// TestStaleNodeRepairOnSimulator runs the user story end to end in memory:
// observe → plan → apply → observe on the simulator's model, through the same
// Remote that talks to real nodes (reference §5.4).
func TestStaleNodeRepairOnSimulator(t *testing.T) {
	m, err := sim.Scenario("stale-node")
	if err != nil {
		t.Fatal(err)
	}
	decl, remote, _ := inMemory(t, m)
	ctx := context.Background()
	obs, err := remote.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stale := obs.Node("pve14")
	if stale.CMAPRejection == nil || stale.CMAPRejection.Received != 32 || stale.CMAPRejection.Mine != 31 {
		t.Fatalf("pve14's CMAP refusal not observed: %+v", stale)
	}
	cs := reconciler.Plan(decl, obs, t0)
	if len(cs.Actions) != 1 || cs.Actions[0].Kind != reconciler.ResyncCorosyncConf || cs.Actions[0].Target != "pve14" {
		t.Fatalf("plan:\n%s", cs.Text())
	}
	if _, err := reconciler.Apply(ctx, remote, &cs, reconciler.ApplyOptions{Clock: &instantClock{t: t0}}); err != nil {
		t.Fatal(err)
	}
	obs, err = remote.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after := reconciler.Plan(decl, obs, t0); !after.Converged() {
		t.Fatalf("not converged:\n%s", after.Text())
	}
	for _, n := range obs.Nodes {
		if n.RuntimeVersion == nil || *n.RuntimeVersion != 32 || !n.Quorum.HasMember(4) {
			t.Errorf("%s: runtime %v, members %+v", n.Name, n.RuntimeVersion, n.Quorum)
		}
	}
	// The node keeps its previous file (reference: back up before every write).
	if _, ok := m.ReadFile("pve14", "/var/lib/quorate/backup/corosync.conf.v31.20261122T040000Z"); !ok {
		t.Errorf("no backup of the v31 file on pve14")
	}
}

// TestResyncResumesAfterInterruption interrupts the resync at every step
// boundary (the step's command fails as if the connection dropped), checks
// the cluster stayed quorate, then runs plan+apply again until converged.
func TestResyncResumesAfterInterruption(t *testing.T) {
	for stop := 1; stop <= 6; stop++ {
		t.Run(fmt.Sprintf("stop-before-step-%d", stop), func(t *testing.T) {
			m, err := sim.Scenario("stale-node")
			if err != nil {
				t.Fatal(err)
			}
			decl, remote, runner := inMemory(t, m)
			ctx := context.Background()
			obs, err := remote.Observe(ctx)
			if err != nil {
				t.Fatal(err)
			}
			cs := reconciler.Plan(decl, obs, t0)
			step := cs.Actions[0].Steps[stop-1]
			marker := stepMarker(step)
			runner.failOn = func(node, cmd string) error {
				if node == step.Node && strings.Contains(cmd, marker) {
					return errors.New("connection lost")
				}
				return nil
			}
			_, err = reconciler.Apply(ctx, remote, &cs, reconciler.ApplyOptions{Clock: &instantClock{t: t0}})
			var ae *reconciler.ApplyError
			if !errors.As(err, &ae) {
				t.Fatalf("apply did not stop at step %d: %v", stop, err)
			}
			runner.failOn = nil
			obs, err = remote.Observe(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !obs.Node("pve11").Quorate() {
				t.Fatalf("cluster lost quorum after an interruption at step %d", stop)
			}
			for round := 0; round < 3; round++ {
				cs = reconciler.Plan(decl, obs, t0)
				if cs.Converged() {
					return
				}
				if len(cs.Actions) == 0 {
					t.Fatalf("round %d: blocked without an action:\n%s", round, cs.Text())
				}
				if _, err := reconciler.Apply(ctx, remote, &cs, reconciler.ApplyOptions{Clock: &instantClock{t: t0}}); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				if obs, err = remote.Observe(ctx); err != nil {
					t.Fatal(err)
				}
			}
			final := reconciler.Plan(decl, obs, t0)
			t.Fatalf("not converged after 3 rounds:\n%s", final.Text())
		})
	}
}

// stepMarker is a substring of the command a step sends.
func stepMarker(s reconciler.Step) string {
	switch s.Kind {
	case reconciler.StepStopService:
		return "systemctl stop '" + s.Unit + "'"
	case reconciler.StepStartService:
		return "systemctl start '" + s.Unit + "'"
	case reconciler.StepBackupFile:
		return "cp -p"
	case reconciler.StepInstallFile:
		return "cat > "
	}
	return "\x00"
}
