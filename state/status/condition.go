package status

import "time"

// Condition is one aspect of a cluster's state, with the fields and JSON
// names of Kubernetes' metav1.Condition. ObservedGeneration is a string here:
// the declaration's content hash or Git commit, not an integer counter.
type Condition struct {
	// Type is Ready, Reconciling or Stalled.
	Type string `json:"type"`
	// Status is ConditionTrue, ConditionFalse or ConditionUnknown.
	Status string `json:"status"`
	// ObservedGeneration is the generation of the declaration this verdict
	// was reached on ("" when none was read).
	ObservedGeneration string `json:"observedGeneration,omitempty"`
	// LastTransitionTime is when Status last changed (Set keeps it otherwise).
	LastTransitionTime time.Time `json:"lastTransitionTime"`
	// Reason is a CamelCase word for programs: one of the Reason constants.
	Reason string `json:"reason"`
	// Message is for humans: what happened and what to do. It may be empty.
	Message string `json:"message"`
}

// Condition types, as in kstatus and Flux.
const (
	// Ready is True when the cluster is as declared.
	Ready = "Ready"
	// Reconciling is True while the controller works on the cluster or
	// retries after a failure.
	Reconciling = "Reconciling"
	// Stalled is True when the controller cannot make progress without a
	// change by a human (the declaration, or the cluster itself).
	Stalled = "Stalled"
)

// Condition statuses, as metav1.ConditionStatus spells them.
const (
	ConditionTrue    = "True"
	ConditionFalse   = "False"
	ConditionUnknown = "Unknown"
)

// Set puts c into *conds, replacing the condition of the same Type or
// appending it, and reports whether anything changed. As apimachinery's
// meta.SetStatusCondition does, LastTransitionTime moves only when Status
// changes (or the condition is new): then it becomes c.LastTransitionTime, or
// now when that is zero. Reason, Message and ObservedGeneration are always
// taken from c. A nil conds is ignored.
func Set(conds *[]Condition, c Condition, now time.Time) (changed bool) {
	if conds == nil {
		return false
	}
	at := c.LastTransitionTime
	if at.IsZero() {
		at = now
	}
	old := Find(*conds, c.Type)
	if old == nil {
		c.LastTransitionTime = at
		*conds = append(*conds, c)
		return true
	}
	if old.Status != c.Status {
		old.Status = c.Status
		old.LastTransitionTime = at
		changed = true
	}
	if old.Reason != c.Reason || old.Message != c.Message || old.ObservedGeneration != c.ObservedGeneration {
		old.Reason, old.Message, old.ObservedGeneration = c.Reason, c.Message, c.ObservedGeneration
		changed = true
	}
	return changed
}

// Find returns the condition of type t in conds, or nil. The pointer is into
// conds: writing through it changes the slice.
func Find(conds []Condition, t string) *Condition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

// IsTrue reports whether conds holds a condition of type t with Status True.
// A missing condition is not True.
func IsTrue(conds []Condition, t string) bool {
	c := Find(conds, t)
	return c != nil && c.Status == ConditionTrue
}
