// Package lock makes sure that at most one quorate controller acts on a
// Proxmox VE cluster at a time (issue #4). Several replicas may watch the
// same cluster; only the one holding the cluster lock may change it.
//
// The lock is where Proxmox keeps its own cluster-wide locks: a directory in
// pmxcfs, /etc/pve/priv/lock/quorate (clusters.QuorateLockDir, reference
// §6.6), taken and renewed over SSH with the commands of
// clusters/commands.go. What pmxcfs guarantees (pve-cluster src/README
// "File Locking", src/pmxcfs/memdb.c, src/pmxcfs/cfs-plug-memdb.c):
//
//   - mkdir of the directory is atomic cluster-wide and fails with "File
//     exists" whenever it exists, and with "Permission denied" while the
//     member has no quorum (pmxcfs is read-only then).
//   - The lock expires 120 s after it was created or last renewed, but
//     pmxcfs deletes an expired lock only when asked to, by an unlock
//     request (setting its mtime to 0).
//   - Only the node that created it can renew it (touch -m); from any
//     other node pmxcfs refuses.
//
// Because the directory must stay empty (pmxcfs deletes only empty ones),
// who holds it is written beside it, in clusters.QuorateLockOwner, as JSON
// (Owner). Each acquisition gets a random token, and every renewal checks
// that the record still carries it: pmxcfs's writer check is per node, so
// two controllers that go through the same node could otherwise renew each
// other's lock.
//
// Acquire tries the members in the order given (the caller passes quorate
// ones first) and takes the lock through the first member that can act;
// a lock held by another holder is a *HeldError, and Acquire then changes
// nothing. A holder whose previous run still holds the lock (same Holder
// string, e.g. a restarted replica) takes it back by renewing it through
// the node it was taken through. Renew, Keep and Valid keep the lock and
// tell whether it may still be relied on; Release frees it.
//
// Valid is deliberately stricter than pmxcfs: it reports the lock good
// only while the last confirmed take or renewal is younger than half the
// timeout, leaving the other half as margin for clock differences between
// the controller and the cluster and for the time a change takes.
//
// Known weak spot: the owner record outlives a lock that pmxcfs freed after
// expiry. A restarted holder that reads its own old record takes the lock
// back only when that record was renewed within the timeout, which a lock
// freed by expiry cannot have been; the check uses the record's timestamps,
// written by the controller's clock, so a holder name shared by controllers
// on hosts with badly skewed clocks defeats it.
package lock
