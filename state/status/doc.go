// Package status is what `quorate run` reports about each cluster it
// reconciles, in the shape Kubernetes controllers use, so that operators who
// know `kubectl get` and Flux read it without a manual.
//
// A ClusterStatus carries three conditions (metav1.Condition semantics):
//
//	Ready        True when the last reconcile left the cluster as declared;
//	             False with a Reason saying why not (ReasonChangesPending,
//	             ReasonBlocked, ReasonClusterUnreachable, ...).
//	Reconciling  True while the controller is working on the cluster or
//	             retrying after a failure (ReasonProgressing, ReasonRetrying).
//	Stalled      True when retrying alone will not help: the declaration is
//	             invalid or a precondition needs a human (ReasonInvalidSpec,
//	             ReasonBlocked, ReasonPreconditionFailed).
//
// These follow kstatus (sigs.k8s.io/cli-utils/pkg/kstatus) and Flux:
// Reconciling and Stalled are "abnormal-true" conditions, present as False
// when nothing is wrong; Ready is "normal-true". Each condition's
// ObservedGeneration names the declaration it refers to (the content hash of
// the YAML file, or a Git commit), so a reader can tell a verdict on an old
// file from one on the current file. LastTransitionTime changes only when a
// condition's Status changes (Set), as apimachinery's meta.SetStatusCondition
// does, so "Ready False since 3h" stays true however often the controller
// retries.
//
// Store keeps one JSON file per cluster under DIR/status/, replaced
// atomically, so `quorate status` works while the controller is down; Table
// prints them like `kubectl get`.
package status
