package status

// Reasons the controller puts on conditions. They are CamelCase, stable, and
// meant for programs and alert rules; the Message says the rest. A reason
// may be used on more than one condition type (InvalidSpec and Blocked set
// both Ready=False and Stalled=True), as Flux does.
const (
	// ReasonReconciliationSucceeded (Ready=True): the last reconcile found
	// the cluster as declared, or made it so.
	ReasonReconciliationSucceeded = "ReconciliationSucceeded"
	// ReasonChangesPending (Ready=False): the cluster differs from the
	// declaration and the controller has not applied the changes: it runs
	// in plan (dry-run) mode, or it is shutting down between actions.
	ReasonChangesPending = "ChangesPending"
	// ReasonReconciliationFailed (Ready=False): the reconcile failed on
	// something other than reaching the cluster (an action's step, the
	// journal, the lock); it is retried with backoff.
	ReasonReconciliationFailed = "ReconciliationFailed"
	// ReasonClusterUnreachable (Ready=False): observing the cluster failed
	// (no member answered, or not within observeTimeout); retried with
	// backoff.
	ReasonClusterUnreachable = "ClusterUnreachable"
	// ReasonInvalidSpec (Ready=False, Stalled=True): the declaration does not
	// load or validate. Nothing is contacted until the file changes.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonBlocked (Ready=False, Stalled=True): the plan holds differences
	// quorate refuses to change on its own (removing a member without
	// policy.removeAbsentMembers, a step that would lose quorum, HA risk);
	// the message says which and what to do.
	ReasonBlocked = "Blocked"
	// ReasonLockHeldElsewhere (Ready=False): another replica or a person holds
	// the cluster's lock; the controller tries again later.
	ReasonLockHeldElsewhere = "LockHeldElsewhere"
	// ReasonPreconditionFailed (Ready=False, Stalled=True): an action's
	// precondition did not hold on a fresh observation in a way a retry
	// will not fix; the message names the fact that failed.
	ReasonPreconditionFailed = "PreconditionFailed"
	// ReasonProgressing (Reconciling=True): the controller is observing or
	// applying actions right now.
	ReasonProgressing = "Progressing"
	// ReasonRetrying (Reconciling=True): the last reconcile failed and
	// another is scheduled after a backoff (Flux says
	// "ProgressingWithRetry").
	ReasonRetrying = "Retrying"
	// ReasonIdle (Reconciling=False, Stalled=False): nothing in progress and
	// nothing stuck.
	ReasonIdle = "Idle"
)
