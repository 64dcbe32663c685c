// Package clusters holds all of quorate's I/O: reaching real clusters over the
// Proxmox HTTP API (clusters/pveapi) and SSH (clusters/sshrun), and the
// simulated cluster (clusters/sim, served by clusters/simnet) that speaks the
// same wire formats.
//
// Remote implements reconciler.Cluster for one declared cluster: Observe
// gathers a state.Cluster from every member in parallel and then the
// cluster-wide state.Shared once from the authority (observe_shared.go); Exec
// carries out one reconciler.Step with the node commands of commands.go
// (exec.go, and exec_cluster.go for the /etc/pve edits, delnode and node-dir
// cleanup). For a declared member that the authority's corosync.conf does not
// list, Observe also reads what Proxmox's join check looks at
// (observe_joiner.go); exec_join.go runs `pvecm add` on it with root@pam's
// password on standard input only. When the cluster has, or the declaration
// asks for, a quorum device, Observe reads every member's qdevice side
// (observe_qdevice.go); exec_qdevice.go runs `pvecm qdevice setup` and
// `pvecm qdevice remove`, whose exit codes count (reference §3.9, §3.10).
//
// A changed SSH host key or TLS fingerprint is never accepted: it stops the
// observation with an error that says what to do, and nothing is changed. The
// one fingerprint change quorate expects, the new certificate a join gives the
// joining node (reference §1.1), is learned from a member that was already in
// the cluster and kept in a state.PinStore (pins.go); Connect uses it while
// the declaration still pins the old fingerprint, and PinNotes tells the
// operator to update it.
package clusters
