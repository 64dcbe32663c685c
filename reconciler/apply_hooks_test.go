package reconciler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestApplyHooksSeeEveryBoundary: the hooks are called in order around every
// step and the action, with the backups the action took.
func TestApplyHooksSeeEveryBoundary(t *testing.T) {
	obs := staleStory()
	cs := Plan(declared(storyNodes...), obs, testNow)
	f := &fakeCluster{obs: obs, onExec: repairOnStart}
	var log []string
	hooks := Hooks{
		BeforeAction: func(_ context.Context, a ActionRef) error {
			log = append(log, fmt.Sprintf("action %d/%d backups=%d", a.Index, a.Count, len(a.Backups)))
			return nil
		},
		BeforeStep: func(_ context.Context, s StepRef) error {
			log = append(log, fmt.Sprintf("before %d", s.Step))
			return nil
		},
		AfterStep: func(_ context.Context, s StepRef, err error) {
			log = append(log, fmt.Sprintf("after %d %v", s.Step, err))
		},
		AfterAction: func(_ context.Context, a ActionRef, err error) {
			log = append(log, fmt.Sprintf("end %d %v", a.Index, err))
		},
	}
	if _, err := Apply(context.Background(), f, &cs, ApplyOptions{Clock: &fakeClock{t: testNow}, Backups: memBackups{}, Hooks: hooks}); err != nil {
		t.Fatal(err)
	}
	want := []string{"action 1/1 backups=1"}
	for i := 1; i <= 6; i++ {
		want = append(want, fmt.Sprintf("before %d", i), fmt.Sprintf("after %d <nil>", i))
	}
	want = append(want, "end 1 <nil>")
	if strings.Join(log, "\n") != strings.Join(want, "\n") {
		t.Errorf("hook calls:\n%s\nwant:\n%s", strings.Join(log, "\n"), strings.Join(want, "\n"))
	}
}

// TestApplyBeforeStepRefusalStopsTheAction: a refusing BeforeStep keeps the
// step from running, Apply stops with the hook's error, and Always steps
// still run (re-arming HA).
func TestApplyBeforeStepRefusalStopsTheAction(t *testing.T) {
	obs := staleStory()
	cs := Plan(declared(storyNodes...), obs, testNow)
	cs.Actions[0] = bracketHA(cs.Actions[0], "pve11")
	f := &fakeCluster{obs: obs}
	stop := errors.New("lock lost")
	var ended error
	hooks := Hooks{
		BeforeStep: func(_ context.Context, s StepRef) error {
			if s.Step == 3 {
				return stop
			}
			return nil
		},
		AfterAction: func(_ context.Context, _ ActionRef, err error) { ended = err },
	}
	_, err := Apply(context.Background(), f, &cs, ApplyOptions{Clock: &fakeClock{t: testNow}, Hooks: hooks})
	if !errors.Is(err, stop) || !errors.Is(ended, stop) {
		t.Fatalf("apply err = %v, AfterAction saw %v; want both to wrap the hook's error", err, ended)
	}
	if len(f.executed) != 3 || f.executed[2].Kind != StepHAArm {
		t.Errorf("executed %v; want steps 1-2 then arm-ha", f.executed)
	}
}

// TestApplyParksBetweenActions: BeforeAction's ErrParked stops before any
// step of the action.
func TestApplyParksBetweenActions(t *testing.T) {
	obs := staleStory()
	cs := Plan(declared(storyNodes...), obs, testNow)
	f := &fakeCluster{obs: obs}
	_, err := Apply(context.Background(), f, &cs, ApplyOptions{Clock: &fakeClock{t: testNow},
		Hooks: Hooks{BeforeAction: func(context.Context, ActionRef) error { return ErrParked }}})
	if !errors.Is(err, ErrParked) || len(f.executed) != 0 {
		t.Fatalf("err = %v, executed %d steps; want ErrParked and none", err, len(f.executed))
	}
}
