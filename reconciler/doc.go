// Package reconciler decides what to change and carries it out one verified
// step at a time.
//
// Plan(desired, observed, now) is a pure function: it takes values and returns
// a Changeset (ordered actions plus the fingerprint of the observation it was
// computed from). It does no I/O, reads no clock and does not depend on map
// order, so the same inputs give the same plan byte for byte.
//
// Apply executes a Changeset through the narrow Cluster interface that
// clusters/ implements: before each action it observes afresh and re-checks the
// action's preconditions; after it, it waits for the postconditions; on any
// failure it stops and says what happened, what changed and what to do.
//
// The rules that order actions and keep the cluster quorate live in order.go and
// quorum.go. deps_test.go keeps network, process and SSH packages out of here.
package reconciler
