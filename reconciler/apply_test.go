package reconciler

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quorate/quorate/state"
)

// fakeCluster serves observations of a value and lets each test decide what a
// step does to it. It records every step it was asked to run.
type fakeCluster struct {
	obs      *state.Cluster
	onExec   func(s Step, obs *state.Cluster) error
	executed []Step
	observed int
}

func (f *fakeCluster) Observe(context.Context) (*state.Cluster, error) {
	f.observed++
	b, _ := json.Marshal(f.obs)
	var c state.Cluster
	_ = json.Unmarshal(b, &c)
	return &c, nil
}

func (f *fakeCluster) Exec(_ context.Context, s Step) error {
	f.executed = append(f.executed, s)
	if f.onExec != nil {
		return f.onExec(s, f.obs)
	}
	return nil
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }
func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.t = c.t.Add(d)
	return nil
}

type memBackups map[string]string

func (m memBackups) Save(cluster, node, path string, version uint64, content []byte) (string, error) {
	key := cluster + "/" + node + path
	m[key] = string(content)
	return key, nil
}

// repairOnStart makes the stale node healthy when pve-cluster starts on it,
// as the simulator and real nodes do after the resync's steps.
func repairOnStart(s Step, obs *state.Cluster) error {
	if s.Kind == StepStartService && s.Unit == "pve-cluster" {
		*obs = *healthyStory()
	}
	return nil
}

func TestApplyResyncsStaleNode(t *testing.T) {
	obs := staleStory()
	cs := Plan(declared(storyNodes...), obs, testNow)
	f := &fakeCluster{obs: obs, onExec: repairOnStart}
	backups := memBackups{}
	var events []Event
	rep, err := Apply(context.Background(), f, &cs, ApplyOptions{Clock: &fakeClock{t: testNow}, Backups: backups,
		Events: func(e Event) { events = append(events, e) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Done) != 1 || len(f.executed) != 6 {
		t.Fatalf("done %d actions, %d steps; want 1 and 6", len(rep.Done), len(f.executed))
	}
	if got := backups["prod/pve14/etc/corosync/corosync.conf"]; !strings.Contains(got, "config_version: 31") {
		t.Errorf("controller backup = %q, want the v31 file", got)
	}
	var steps int
	for _, e := range events {
		if e.Phase == "step" {
			steps++
		}
	}
	if steps != 6 {
		t.Errorf("%d step events, want 6", steps)
	}
	// Converged: the next plan is empty.
	if next := Plan(declared(storyNodes...), f.obs, testNow); !next.Converged() {
		t.Errorf("not converged after apply:\n%s", next.Text())
	}
}

func TestApplyRefusesStalePlan(t *testing.T) {
	obs := staleStory()
	cs := Plan(declared(storyNodes...), obs, testNow)
	obs.Node("pve12").Corosync = state.Failed // the cluster changed since planning
	f := &fakeCluster{obs: obs}
	_, err := Apply(context.Background(), f, &cs, ApplyOptions{Clock: &fakeClock{t: testNow}})
	if !errors.Is(err, ErrStalePlan) {
		t.Fatalf("err = %v, want ErrStalePlan", err)
	}
	if len(f.executed) != 0 {
		t.Errorf("ran %d steps on a stale plan", len(f.executed))
	}
}

func TestApplyStopsOnFailedPrecondition(t *testing.T) {
	obs := staleStory()
	cs := Plan(declared(storyNodes...), obs, testNow)
	// Tamper with the saved plan so that its precondition cannot hold: the
	// fingerprint still matches, the facts do not.
	cs.Actions[0].Pre = append(cs.Actions[0].Pre, Fact{Kind: FactLocalVersionBelow, Node: "pve14", Version: 30})
	f := &fakeCluster{obs: obs}
	_, err := Apply(context.Background(), f, &cs, ApplyOptions{Clock: &fakeClock{t: testNow}})
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.What != "precondition failed" {
		t.Fatalf("err = %v, want a failed precondition", err)
	}
	if len(f.executed) != 0 {
		t.Errorf("ran %d steps despite a failed precondition", len(f.executed))
	}
	if !strings.Contains(err.Error(), "already version 31") {
		t.Errorf("error does not say what was seen: %v", err)
	}
}

func TestApplyStopsAtFailingStepAndExplains(t *testing.T) {
	obs := staleStory()
	cs := Plan(declared(storyNodes...), obs, testNow)
	f := &fakeCluster{obs: obs, onExec: func(s Step, _ *state.Cluster) error {
		if s.Kind == StepInstallFile {
			return errors.New("disk full")
		}
		return nil
	}}
	_, err := Apply(context.Background(), f, &cs, ApplyOptions{Clock: &fakeClock{t: testNow}})
	var ae *ApplyError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want ApplyError", err)
	}
	if len(f.executed) != 4 {
		t.Errorf("executed %d steps, want 4 (stopped at the install)", len(f.executed))
	}
	for _, want := range []string{"disk full", "stop pve-cluster on pve14", "corosync.conf.v31.", "cp -p"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("explanation lacks %q:\n%v", want, err)
		}
	}
}

func TestApplyWaitsForPostconditionsThenGivesUp(t *testing.T) {
	obs := staleStory()
	cs := Plan(declared(storyNodes...), obs, testNow)
	clock := &fakeClock{t: testNow}
	f := &fakeCluster{obs: obs} // steps "succeed" but nothing changes
	_, err := Apply(context.Background(), f, &cs, ApplyOptions{Clock: clock, Settle: 10 * time.Second, Poll: time.Second})
	var ae *ApplyError
	if !errors.As(err, &ae) || !strings.Contains(ae.What, "postcondition not met") {
		t.Fatalf("err = %v, want a postcondition failure", err)
	}
	if waited := clock.t.Sub(testNow); waited < 10*time.Second {
		t.Errorf("gave up after %s, want the 10s settle time", waited)
	}
	if !strings.Contains(err.Error(), "nodeid 4 is not in the membership") {
		t.Errorf("failure lacks the evidence: %v", err)
	}
}

func TestApplySkipsActionWhosePostconditionsHold(t *testing.T) {
	obs := staleStory()
	cs := Plan(declared(storyNodes...), obs, testNow)
	f := &fakeCluster{obs: obs}
	// Someone repaired pve14 by hand between planning and applying; the
	// fingerprint check is what would normally catch this, so re-fingerprint.
	_ = repairOnStart(Step{Kind: StepStartService, Unit: "pve-cluster", Node: "pve14"}, obs)
	cs.Fingerprint = obs.Fingerprint()
	rep, err := Apply(context.Background(), f, &cs, ApplyOptions{Clock: &fakeClock{t: testNow}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Skipped) != 1 || len(f.executed) != 0 {
		t.Errorf("skipped %d, executed %d; want 1 and 0", len(rep.Skipped), len(f.executed))
	}
}

// TestApplyReArmsHAEvenWhenAStepFails: an Always step (arm-ha) runs after a
// failure, and the error says so.
func TestApplyReArmsHAEvenWhenAStepFails(t *testing.T) {
	obs := staleStory()
	cs := Plan(declared(storyNodes...), obs, testNow)
	cs.Actions[0] = bracketHA(cs.Actions[0], "pve11")
	f := &fakeCluster{obs: obs, onExec: func(s Step, _ *state.Cluster) error {
		if s.Kind == StepInstallFile {
			return errors.New("disk full")
		}
		return nil
	}}
	_, err := Apply(context.Background(), f, &cs, ApplyOptions{Clock: &fakeClock{t: testNow}})
	if err == nil {
		t.Fatal("apply succeeded")
	}
	last := f.executed[len(f.executed)-1]
	if last.Kind != StepHAArm {
		t.Errorf("last step run: %s, want arm-ha", last)
	}
	if f.executed[0].Kind != StepHADisarm {
		t.Errorf("first step run: %s, want disarm-ha", f.executed[0])
	}
}
