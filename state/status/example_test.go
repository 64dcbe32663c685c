package status_test

import (
	"fmt"
	"os"
	"time"

	"github.com/quorate/quorate/state/status"
)

// A condition's LastTransitionTime stays put while its Status does: a
// cluster that keeps failing for new reasons has been not-Ready since the
// first failure.
func ExampleSet() {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var conds []status.Condition
	status.Set(&conds, status.Condition{Type: status.Ready, Status: status.ConditionFalse, Reason: status.ReasonClusterUnreachable}, t0)
	status.Set(&conds, status.Condition{Type: status.Ready, Status: status.ConditionFalse, Reason: status.ReasonReconciliationFailed}, t0.Add(time.Minute))
	c := status.Find(conds, status.Ready)
	fmt.Println(c.Reason, c.LastTransitionTime.Format(time.Kitchen))
	status.Set(&conds, status.Condition{Type: status.Ready, Status: status.ConditionTrue, Reason: status.ReasonReconciliationSucceeded}, t0.Add(2*time.Minute))
	fmt.Println(c.Reason, c.LastTransitionTime.Format(time.Kitchen))
	// Output:
	// ReconciliationFailed 10:00AM
	// ReconciliationSucceeded 10:02AM
}

func ExampleTable() {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	st := status.ClusterStatus{Cluster: "lab", Generation: "3f2a9c0d41be", LastReconcile: t0}
	status.Set(&st.Conditions, status.Condition{Type: status.Ready, Status: status.ConditionTrue,
		Reason: status.ReasonReconciliationSucceeded, Message: "quorate, 3/3 votes"}, t0)
	status.Set(&st.Conditions, status.Condition{Type: status.Reconciling, Status: status.ConditionFalse, Reason: status.ReasonIdle}, t0)
	status.Set(&st.Conditions, status.Condition{Type: status.Stalled, Status: status.ConditionFalse, Reason: status.ReasonIdle}, t0)
	status.Table(os.Stdout, []status.ClusterStatus{st}, t0.Add(45*time.Second))
	// Output:
	// CLUSTER   READY   RECONCILING   STALLED   AGE   GENERATION     MESSAGE
	// lab       True    False         False     45s   3f2a9c0d41be   quorate, 3/3 votes
}
