// Package controller is quorate's long-running reconcile loop (`quorate run`):
// every cluster declared in a directory is observed, planned and, in apply
// mode, converged, each on its own schedule, with at most Concurrency clusters
// in progress at once.
//
// Conventions follow Kubernetes controllers: level-based reconciles (every
// reconcile observes afresh; nothing is remembered between them but status),
// requeue after the interval with jitter, exponential backoff after failures,
// conditions Ready/Reconciling/Stalled with the generation they refer to
// (state/status), and controller-runtime's metric names
// (reconciler/controller/metrics).
//
// What a Proxmox cluster needs on top:
//   - One actor per cluster: before changing anything the controller takes
//     the cluster's lock in pmxcfs (clusters/lock), renews it while it works
//     and checks it before every step; a replica that cannot reach a quorate
//     member cannot take it.
//   - Crash safety: before every step the intent is journaled durably, after
//     it the outcome (state/journal). On the next start an interrupted action
//     is resumed: its pending Always steps (re-arming HA) run, the
//     interrupted step's effect is judged from a fresh observation and
//     recorded, and planning continues from what is observed.
//   - Shutdown parks between actions: the action in progress finishes (its
//     steps are short and a half-done resync would leave a node stopped),
//     no new one starts; after ShutdownTimeout the work is cut off and the
//     journal keeps the record.
//   - An invalid file or a blocked plan waits for a change instead of
//     hammering the cluster; a cluster that does not answer backs off and
//     holds one worker at most for ObserveTimeout.
package controller
