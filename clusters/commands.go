package clusters

import (
	"fmt"
	"strings"
)

// The node command surface: every shell command quorate sends over SSH is built
// here, so the real nodes, the simulator (clusters/sim) and the lab agree on one
// list. Each command is a single line for root's login shell; arguments that
// come from outside are validated names or paths and are single-quoted anyway.
// The simulator interprets exactly these forms (plus the reference §10 surface);
// anything else it answers with "bash: X: command not found", exit 127.

// Paths on a Proxmox VE node.
const (
	ClusterConfPath = "/etc/pve/corosync.conf"
	LocalConfPath   = "/etc/corosync/corosync.conf"
	// BackupDir is where quorate keeps a node's previous corosync.conf copies on
	// the node itself (besides the copy kept in the controller's state dir).
	BackupDir = "/var/lib/quorate/backup"
)

// Observation commands.
const (
	// CmdServices prints one systemd state per line, corosync first
	// ("active", "inactive", "failed", ...). Exit 3 when any is not active.
	CmdServices = "systemctl is-active corosync pve-cluster"
	// CmdQuorum is votequorum's view: exit 0 quorate, 2 inquorate, 1 when
	// corosync is not running ("Cannot initialize QUORUM service" on stderr).
	CmdQuorum = "corosync-quorumtool -s"
	// CmdRuntimeVersion prints "totem.config_version (u64) = N".
	CmdRuntimeVersion = "corosync-cmapctl -g totem.config_version"
	// CmdLinks is knet link status per peer.
	CmdLinks = "corosync-cfgtool -s"
	// CmdCorosyncLog is corosync's journal for this boot; the observer reads it
	// from the last "Corosync Cluster Engine ... starting up" line on, because
	// the CMAP exit line sits ~23 lines from the end (reference corosync-lab §2).
	CmdCorosyncLog = "journalctl -b -u corosync --no-pager -o short -n 400"
)

// Change commands without arguments.
const (
	// CmdReload makes every member re-read its own corosync.conf. From corosync
	// 3.1.9 a rejected reload may still exit 0, so CmdReloadStatus is read after
	// it (reference §7.6, §8).
	CmdReload = "corosync-cfgtool -R"
	// CmdReloadStatus prints "config.reload_status (i32) = N"; 1 is CS_OK.
	CmdReloadStatus = "corosync-cmapctl -g config.reload_status"
)

// Paths in the replicated /etc/pve that membership changes touch.
const (
	NodesDir           = "/etc/pve/nodes"
	AuthorizedKeysPath = "/etc/pve/priv/authorized_keys"
	KnownHostsPath     = "/etc/pve/priv/known_hosts"
	// ConfLockDir is Proxmox's cluster-wide lock for corosync.conf edits: a
	// directory taken with mkdir (reference §6.6).
	ConfLockDir = "/etc/pve/priv/lock/file-corosync_conf"
	// ArchiveDir is where quorate keeps removed nodes' /etc/pve/nodes/NAME.
	ArchiveDir = "/var/lib/quorate/archive"
)

// Cluster-level observation and change commands.
const (
	// CmdListNodeDirs prints one directory name per line.
	CmdListNodeDirs = "ls -1 " + NodesDir
	// CmdLockConf takes the corosync.conf cluster lock; it fails with
	// "File exists" while another holder has it.
	CmdLockConf = "mkdir " + ConfLockDir
	// CmdUnlockConf releases it.
	CmdUnlockConf = "rmdir " + ConfLockDir
	// CmdConfLockUnlockRequest asks pmxcfs to delete the lock if it expired
	// (older than 120 s), as Proxmox's cfs_lock does while it waits; the
	// touch itself reports "Permission denied" either way.
	CmdConfLockUnlockRequest = "touch -c -m -d @0 " + ConfLockDir
)

// Join preflight commands (reference §2.9 assert_joinable).
const (
	// CmdInterfaces lists the node's addresses, one per line:
	// "2: eth0    inet 10.10.10.4/24 brd 10.10.10.255 scope global eth0\ ...".
	CmdInterfaces = "ip -o addr show"
	// CmdListCorosyncDir shows whether /etc/corosync/authkey exists.
	CmdListCorosyncDir = "ls -1 /etc/corosync"
)

// CmdListDir lists one directory, one entry per line.
func CmdListDir(path string) string { return "ls -1 " + Quote(path) }

// CmdJoin is `pvecm add PEER --fingerprint FP --nodeid N --votes V --linkN A
// ...`; root@pam's password goes on stdin (pvecm reads one line without a
// prompt when stdin is not a TTY, reference §3.2).
func CmdJoin(peer, fingerprint string, nodeid, votes int, links map[int]string) string {
	cmd := fmt.Sprintf("pvecm add %s --fingerprint %s --nodeid %d --votes %d", Quote(peer), Quote(fingerprint), nodeid, votes)
	for l := 0; l <= 7; l++ {
		if a, ok := links[l]; ok {
			cmd += fmt.Sprintf(" --link%d %s", l, Quote(a))
		}
	}
	return cmd
}

// HA commands. `ha-manager crm-command disarm-ha freeze` releases every HA
// watchdog cluster-wide while keeping the resources' state; `arm-ha` undoes
// it. Both exist from Proxmox VE 9.2 on.
const (
	// CmdPVEVersion prints "pve-manager/9.2.1/<repoid> (running kernel: ...)".
	CmdPVEVersion = "pveversion"
	CmdHADisarm   = "ha-manager crm-command disarm-ha freeze"
	CmdHAArm      = "ha-manager crm-command arm-ha"
)

// QDevice commands (reference §3.9, §3.10).
const (
	// CmdQDeviceInstalled prints the daemon's path; exit 1 when absent.
	CmdQDeviceInstalled = "command -v corosync-qdevice"
	// CmdQDeviceService prints corosync-qdevice.service's state.
	CmdQDeviceService = "systemctl is-active corosync-qdevice"
	// CmdQDeviceStatus is corosync-qdevice-tool -s (its "State:" line).
	CmdQDeviceStatus = "corosync-qdevice-tool -s"
	// CmdQDeviceRemove is `pvecm qdevice remove`.
	CmdQDeviceRemove = "pvecm qdevice remove"
)

// CmdQNetdReachable checks TCP 5403 on the qnetd host within 3 seconds
// (exit 0 when it connects).
func CmdQNetdReachable(host string) string {
	return "timeout 3 bash -c " + Quote("</dev/tcp/"+host+"/5403")
}

// CmdQDeviceSetup is `pvecm qdevice setup HOST [--force]`; HOST must be an
// IP address (the parameter's format, reference §3.9).
func CmdQDeviceSetup(host string, force bool) string {
	cmd := "pvecm qdevice setup " + Quote(host)
	if force {
		cmd += " --force"
	}
	return cmd
}

// CmdSetExpected is `pvecm expected N`: runtime-only expected votes (it execs
// corosync-quorumtool -e N; refused with CS_ERR_INVALID_PARAM below the votes
// present, reference §3.5).
func CmdSetExpected(votes int) string { return fmt.Sprintf("pvecm expected %d", votes) }

// CmdCopy copies a file, keeping mode and times.
func CmdCopy(src, dst string) string { return fmt.Sprintf("cp -p %s %s", Quote(src), Quote(dst)) }

// CmdBackupClusterConf keeps the node-local copy of /etc/pve/corosync.conf
// before an edit.
func CmdBackupClusterConf(dst string) string {
	return fmt.Sprintf("mkdir -p %s && cp -p %s %s", Quote(BackupDir), Quote(ClusterConfPath), Quote(dst))
}

// CmdDelnode is `pvecm delnode NAME` (reference §3.4).
func CmdDelnode(name string) string { return "pvecm delnode " + Quote(name) }

// CmdArchiveDir copies a directory tree (from /etc/pve) under ArchiveDir.
func CmdArchiveDir(src, dst string) string {
	return fmt.Sprintf("mkdir -p %s && cp -a %s %s", Quote(ArchiveDir), Quote(src), Quote(dst))
}

// CmdRemoveTree removes a directory tree.
func CmdRemoveTree(path string) string { return "rm -rf " + Quote(path) }

// Quote returns s single-quoted for a POSIX shell.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// CmdCat prints a file; exit 1 with "cat: PATH: No such file or directory" when
// it is missing.
func CmdCat(path string) string { return "cat " + Quote(path) }

// CmdSystemctl runs systemctl VERB UNIT (start, stop, restart).
func CmdSystemctl(verb, unit string) string {
	return fmt.Sprintf("systemctl %s %s", verb, Quote(unit))
}

// CmdBackup copies src to dst under BackupDir, keeping mode and times.
func CmdBackup(src, dst string) string {
	return fmt.Sprintf("mkdir -p %s && cp -p %s %s", Quote(BackupDir), Quote(src), Quote(dst))
}

// CmdWriteStdin writes standard input to path (used for PATH.new).
func CmdWriteStdin(path string) string { return "cat > " + Quote(path) }

// CmdRename renames src onto dst (atomic within one filesystem).
func CmdRename(src, dst string) string { return fmt.Sprintf("mv %s %s", Quote(src), Quote(dst)) }

// quorate's own cluster lock (issue #4): one controller replica acts on a
// cluster at a time. It is a pmxcfs lock directory like Proxmox's own
// (reference §6.6): mkdir takes it atomically cluster-wide, `touch -m` from
// the node that took it renews it (from any other node pmxcfs refuses), and
// pmxcfs deletes it on an unlock request (`touch -m -d @0`) once it is 120 s
// past its last renewal. The directory must stay empty (rmdir and pmxcfs's
// expiry remove only empty ones), so who holds it is recorded beside it in
// QuorateLockOwner. clusters/lock uses these commands.
const (
	// QuorateLockDir is the lock directory.
	QuorateLockDir = "/etc/pve/priv/lock/quorate"
	// QuorateLockOwner is the owner record: JSON written by the holder.
	// It may outlive its lock (pmxcfs's expiry leaves it), so it says who
	// held the lock last, not that anyone holds it now.
	QuorateLockOwner = "/etc/pve/priv/quorate-lock.json"

	// CmdQuorateLockTake takes the lock: exit 0 when taken; "File exists"
	// while it exists (held or expired), "Permission denied" while pmxcfs
	// is read-only (no quorum), "No such file or directory" when pmxcfs is
	// not mounted. Never -p: on a node whose pmxcfs is down that would
	// create the directory on the local disk under the bare mount point,
	// and the mkdir would "succeed".
	CmdQuorateLockTake = "mkdir " + QuorateLockDir
	// CmdQuorateLockRenew renews the lock and prints the owner record, so
	// the caller can check that it still names it. It fails when the lock
	// is gone (test -d, exit 1, no output), when this node did not take it
	// or pmxcfs is read-only (touch: "Permission denied"). -c: touch must
	// never create anything under priv/lock.
	CmdQuorateLockRenew = "test -d " + QuorateLockDir + " && touch -c -m " + QuorateLockDir + " && cat " + QuorateLockOwner
	// CmdQuorateLockUnlockRequest asks pmxcfs to delete the lock if it has
	// expired. The touch itself always fails on a cluster ("Permission
	// denied": mtime 0 is older than the lock's); its status means
	// nothing, as in Proxmox's own cfs_lock.
	CmdQuorateLockUnlockRequest = "touch -c -m -d @0 " + QuorateLockDir
	// CmdQuorateLockRelease removes the owner record, then the lock.
	CmdQuorateLockRelease = "rm -f " + QuorateLockOwner + " && rmdir " + QuorateLockDir
	// CmdClusterLocks lists the cluster locks held (or expired but not yet
	// freed), one name per line; QuorateLockDir's is "quorate". It fails
	// with "No such file or directory" when pmxcfs is not mounted (or the
	// cluster never took a lock), which CmdPmxcfsMounted tells apart.
	CmdClusterLocks = "ls -1 /etc/pve/priv/lock"
	// CmdPmxcfsMounted exits 0 when /etc/pve is pmxcfs: /etc/pve/priv
	// exists only there (the bare mount point is empty).
	CmdPmxcfsMounted = "test -d /etc/pve/priv"
	// CmdQuorateLockReadOwner prints the owner record; exit 1 with
	// "No such file or directory" when there is none.
	CmdQuorateLockReadOwner = "cat " + QuorateLockOwner
	// CmdQuorateLockWriteOwner writes the owner record from standard input.
	CmdQuorateLockWriteOwner = "cat > " + QuorateLockOwner
)
