// Package lab runs real corosync 3 clusters on one Linux machine, for tests
// that check quorate's reading of corosync (and the simulator in
// clusters/sim) against the real thing. It follows the recipe of
// /work/shared/reference/corosync-lab.md ("lab §N" in comments):
//
//   - one network namespace per node (qlab<id>-pveN), joined by a veth pair
//     to a private bridge qlab<id>b0; node pveN has nodeid N and address
//     10.99.k.N/24, the host has 10.99.k.254 on the bridge, and k is chosen
//     per lab so that it overlaps no host route and no other lab;
//   - one holder process per node (ip netns exec … unshare -m --propagation
//     private) that bind-mounts the node's own directories over
//     /etc/corosync, /var/lib/corosync, /var/log and /run, so stock paths work
//     and a second corosync does not see the first one's lock; every command
//     (Exec) and corosync itself (StartCorosync) join it with
//     `nsenter -t PID -m -n`;
//   - corosync.conf in Proxmox's layout (sim.BuildConf, reference §4.5) plus
//     logging to LogPath with hires timestamps; a shared random authkey;
//   - `corosync -f` in its own session, its PID recorded;
//   - with Options.SSH, a real OpenSSH server per node: `sshd -D -e -f
//     Dir/pveN/ssh/sshd_config` started the same way (inside the node's
//     namespace and private mounts, PID and start time recorded), listening
//     on 10.99.k.N:22 (SSHAddr) with the node's own ed25519 host key,
//     PidFile and privilege-separation dir (/run/sshd) in the node's private
//     /run, UsePAM no, root allowed with the lab's client key only
//     (ClientKeyFile; AuthorizedKeysFile is Dir/ssh/authorized_keys).
//     SSHKnownHosts / KnownHostsFile bind each address to its node's key,
//     so an SSH client such as clusters/sshrun verifies host keys for real.
//     A command run over SSH lands in the node's namespaces, hence sees its
//     corosync (IPC is per network namespace) and its /etc/corosync.
//
// # Running it by hand
//
// As root, with the corosync package installed (apt-get install -y corosync;
// the package's own corosync.service need not run, the lab never uses the
// host's /etc/corosync or /run), and for the SSH tests openssh-server (the
// package's ssh.service need not run either: the lab's sshds read only
// their own config and listen only on lab addresses; `systemctl disable
// ssh.service ssh.socket` keeps a host from starting one at boot):
//
//	go test ./lab -run TestLab -v
//	go test ./lab -run TestConformance -v   # real corosync vs clusters/sim
//	go test ./lab -run TestLabSSHRunner -v  # clusters/sshrun against real sshd
//	go test ./lab -run '^$' -bench StartToMembership -benchtime 3x
//
// Without root, network namespaces or the corosync binaries every test skips
// with one line saying what is missing (Available); the SSH tests also skip
// without sshd (SSHAvailable), the others do not need it.
//
// # Safety rules
//
//   - The lab touches only what it created: namespaces, links and
//     directories carrying its id, and processes it started. Processes are
//     signalled by recorded PID, and only while the PID's start time still
//     matches the record (a reused PID is left alone), or because they run
//     inside one of the lab's own namespaces — never by name.
//   - Addresses are used only inside 10.99.k.0/24 on the lab's own bridge.
//     Before connecting to a lab address from the host, call CheckRoute: it
//     refuses unless `ip route get ADDR` leaves through the lab's bridge.
//   - Start writes a record (/run/quorate-lab/<id>.json: owner, namespaces,
//     links, directory, PIDs) before it creates anything and updates it for
//     every process. A lab whose owner died without Close is torn down by
//     the next Start, as are namespaces and links with the lab prefix that no
//     live lab records.
//   - Close is idempotent; tests call it from t.Cleanup. Close SSH clients
//     first (a Runner made after Start and closed in its own t.Cleanup is,
//     cleanups run last-in first-out): sshd processes of connections still
//     open are killed with the lab and, orphaned, left for PID 1 to reap.
//
// # Not done yet
//
// One link only (no second bridge, no link cuts), no qnetd; the lead wires
// the lab into .ci/run later.
package lab
