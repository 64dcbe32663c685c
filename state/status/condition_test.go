package status

import (
	"testing"
	"time"
)

var (
	t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Minute)
)

// TestSetTransitions: LastTransitionTime moves only when Status changes, as
// apimachinery's meta.SetStatusCondition does; everything else is replaced.
func TestSetTransitions(t *testing.T) {
	ready := func(status, reason string, at time.Time) Condition {
		return Condition{Type: Ready, Status: status, Reason: reason, Message: reason + " msg", ObservedGeneration: "g1", LastTransitionTime: at}
	}
	tests := []struct {
		name        string
		before      []Condition
		set         Condition
		wantChanged bool
		wantLen     int
		wantLTT     time.Time
		wantReason  string
	}{
		{name: "new condition takes now", set: ready("True", ReasonReconciliationSucceeded, time.Time{}),
			wantChanged: true, wantLen: 1, wantLTT: t1, wantReason: ReasonReconciliationSucceeded},
		{name: "new condition keeps its own time", set: ready("True", ReasonReconciliationSucceeded, t0.Add(-time.Hour)),
			wantChanged: true, wantLen: 1, wantLTT: t0.Add(-time.Hour), wantReason: ReasonReconciliationSucceeded},
		{name: "same status new reason keeps time", before: []Condition{ready("False", ReasonClusterUnreachable, t0)},
			set: ready("False", ReasonReconciliationFailed, time.Time{}), wantChanged: true, wantLen: 1, wantLTT: t0, wantReason: ReasonReconciliationFailed},
		{name: "status change moves time", before: []Condition{ready("False", ReasonClusterUnreachable, t0)},
			set: ready("True", ReasonReconciliationSucceeded, time.Time{}), wantChanged: true, wantLen: 1, wantLTT: t1, wantReason: ReasonReconciliationSucceeded},
		{name: "same status ignores a given time", before: []Condition{ready("True", ReasonReconciliationSucceeded, t0)},
			set: ready("True", ReasonReconciliationSucceeded, t1.Add(time.Hour)), wantChanged: false, wantLen: 1, wantLTT: t0, wantReason: ReasonReconciliationSucceeded},
		{name: "identical is no change", before: []Condition{ready("True", ReasonReconciliationSucceeded, t0)},
			set: ready("True", ReasonReconciliationSucceeded, time.Time{}), wantChanged: false, wantLen: 1, wantLTT: t0, wantReason: ReasonReconciliationSucceeded},
		{name: "other type is appended", before: []Condition{{Type: Stalled, Status: "False", Reason: ReasonIdle, LastTransitionTime: t0}},
			set: ready("True", ReasonReconciliationSucceeded, time.Time{}), wantChanged: true, wantLen: 2, wantLTT: t1, wantReason: ReasonReconciliationSucceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conds := append([]Condition(nil), tc.before...)
			if got := Set(&conds, tc.set, t1); got != tc.wantChanged {
				t.Errorf("changed = %v, want %v", got, tc.wantChanged)
			}
			if len(conds) != tc.wantLen {
				t.Fatalf("len = %d, want %d: %+v", len(conds), tc.wantLen, conds)
			}
			c := Find(conds, Ready)
			if c == nil {
				t.Fatal("Ready not found after Set")
			}
			if !c.LastTransitionTime.Equal(tc.wantLTT) {
				t.Errorf("LastTransitionTime = %v, want %v", c.LastTransitionTime, tc.wantLTT)
			}
			if c.Reason != tc.wantReason || c.Status != tc.set.Status || c.Message != tc.set.Message {
				t.Errorf("got %+v, want status/reason/message of %+v", *c, tc.set)
			}
		})
	}
}

func TestSetNilIsIgnored(t *testing.T) {
	if Set(nil, Condition{Type: Ready, Status: "True"}, t0) {
		t.Error("Set(nil) reported a change")
	}
}

func TestSetUpdatesObservedGeneration(t *testing.T) {
	conds := []Condition{{Type: Ready, Status: "True", Reason: ReasonReconciliationSucceeded, ObservedGeneration: "old", LastTransitionTime: t0}}
	if !Set(&conds, Condition{Type: Ready, Status: "True", Reason: ReasonReconciliationSucceeded, ObservedGeneration: "new"}, t1) {
		t.Error("a new generation is a change")
	}
	if got := conds[0].ObservedGeneration; got != "new" {
		t.Errorf("ObservedGeneration = %q, want new", got)
	}
}

func TestFindAndIsTrue(t *testing.T) {
	conds := []Condition{{Type: Ready, Status: "False"}, {Type: Stalled, Status: "True"}}
	if Find(conds, Reconciling) != nil {
		t.Error("Find of an absent type is not nil")
	}
	Find(conds, Ready).Status = ConditionTrue
	if conds[0].Status != ConditionTrue {
		t.Error("Find's pointer does not point into the slice")
	}
	tests := []struct {
		typ  string
		want bool
	}{{Ready, true}, {Stalled, true}, {Reconciling, false}}
	for _, tc := range tests {
		if got := IsTrue(conds, tc.typ); got != tc.want {
			t.Errorf("IsTrue(%s) = %v, want %v", tc.typ, got, tc.want)
		}
	}
}
