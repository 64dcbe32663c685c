// Package sshrun runs shell commands on Proxmox VE nodes over SSH.
//
// A Runner keeps one SSH connection per node address and opens one session per
// command on it, at most Config.MaxSessions at a time (OpenSSH refuses sessions
// past its MaxSessions, 10 by default; dependencies.md §2.3). A connection that
// dies is noticed through ssh.Client.Wait and redialled on the next command.
//
// Host keys are always checked against an OpenSSH known_hosts file. An unknown
// or changed key is a *HostKeyError that says what to do; nothing is ever
// accepted silently, and there is no trust-on-first-use mode.
//
// A command's non-zero exit status is data (Result.Code), not an error: the
// node command surface in package clusters gives exit codes meaning (e.g.
// corosync-quorumtool exits 2 when inquorate). Errors are transport failures,
// host key problems, and timeouts.
//
// Not done here: keepalives on idle connections (a half-open connection is
// found when the next session fails to open, which triggers one redial), jump
// hosts, ssh-agent.
package sshrun
