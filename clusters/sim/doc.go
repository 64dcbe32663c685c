// Package sim is an in-memory model of a Proxmox VE cluster's membership
// machinery: corosync (membership, the config_version join check, reload,
// votequorum), pve-cluster (pmxcfs, its replicated DB and the corosync.conf
// copy rule) and the bits of systemd and the shell that quorate touches. It
// speaks the real wire formats — command output, exit codes, journal lines
// and API JSON as in /work/shared/reference/proxmox-cluster.md (cited as
// "reference §N") and corosync-lab.md ("lab §N") — so that clusters/simnet
// can put an SSH and an HTTPS server in front of it and quorate's real
// client code runs unchanged.
//
// # What is modelled
//
//   - Machines: power (PowerOn boots pve-cluster then corosync; PowerOff
//     drops both without a leave message), a network cable (Cut), local
//     files, a per-boot journal.
//   - Membership (reference §10.1): two running corosyncs are connected when
//     on some link each lists the other at the address the other bound
//     (and their authkeys match); partitions are connected components; each
//     new membership gets a ring id "<lowest nodeid hex>.<seq hex>".
//   - corosync start (§5.2, lab §2): parse errors and "No valid name found
//     for local host" fail the unit (exit status 8); on its first
//     multi-node sync a node whose non-zero config_version is lower than a
//     member's logs the CMAP line and exits cleanly (unit inactive).
//   - votequorum (§7): expected from -e, quorum.expected_votes or the
//     nodelist sum, raised by the total; quorum floor(highest/2)+1; two_node
//     (quorum 1, implied wait_for_all); flags in corosync's order; -e
//     refusals and clearing (§7.3).
//   - pmxcfs (§5, §6): CPG group per partition, DB resync from the highest
//     DB version, the §5.1 copy rule on start (notify), after sync and on
//     every write or rename onto corosync.conf, the originator's cluster-wide
//     reload, EACCES while inquorate, local mode when the DB has no
//     corosync.conf, import of /etc/corosync/corosync.conf into a new DB.
//   - pmxcfs directories (§6.3): files and directories in the DB, strict
//     (a parent must exist); NewCluster seeds nodes/<name>/ (qemu-server,
//     lxc, priv, pve-ssl.pem, ssh_known_hosts), priv/authorized_keys,
//     the legacy priv/known_hosts and priv/lock with deterministic fake
//     keys (§9). Cluster locks (§6.6, pmxcfs_lock.go): mkdir of
//     priv/lock/<id> acquires (EEXIST whenever it exists); `touch -m` by
//     the writer's node renews it; `touch -m -d @0` is an unlock request,
//     which deletes a lock older than LockTimeout (120 s) by Clock; rmdir
//     releases. pmxcfs measures the age per node with each node's clock;
//     the model keeps one age per lock.
//   - Standalone machines (AddNode + PowerOn, reference §5.3, §6.2): pmxcfs
//     in local mode with its own DB, always quorate, given nodes/<self>/,
//     its certificate and its root key by the `pvecm updatecerts --silent`
//     pve-cluster runs after starting; corosync skipped for want of
//     /etc/corosync/corosync.conf (ConditionPathExists). AddGuest on such a
//     machine writes into its own DB.
//   - Joining (pvecm add, API mode, reference §2.9, §3.2; cmd_pvecm_add.go):
//     assert_joinable, the login (root@pam password RootPassword, the
//     peer's certificate fingerprint), the peer's addnode (§2.6: expected
//     votes rise at once), finish_join (authkey and corosync.conf written,
//     old DB backed up and dropped, corosync and pve-cluster started, the
//     cluster DB synced in), then node files, a new certificate generation
//     (CertGeneration; OnCertChange tells simnet) and the merged root key,
//     with pvecm's exact output lines; exit 0 once the worker started, even
//     when it failed (§3).
//   - Certificates: each node has a fake pve-ssl.pem per generation; its
//     fingerprint is Fingerprints[node] when set (simnet), else the fake
//     certificate's SHA-256.
//   - Guests (nodes/<n>/qemu-server|lxc/<vmid>.conf), HA resources and
//     groups and replication jobs as section-config files, with the
//     helpers AddGuest, AddHAGroup, AddHAResource, AddReplication.
//   - Versions and HA: each node reports NodeSpec.PVEVersion (pveversion,
//     GET /version); `ha-manager crm-command disarm-ha freeze|ignore` and
//     `arm-ha` exist from 9.2 on and flip a cluster-wide flag (HADisarmed).
//     Watchdogs and fencing are not modelled; HA rules
//     (/cluster/ha/rules) are not served (the API answers 501, as
//     Proxmox VE 8 does).
//   - Links (§8, lab §1): a link binds only to an address the machine has
//     (NodeSpec.Interfaces, AddInterface); an unbindable link is down for
//     that node and tried again at the next start or reload.
//   - Scenarios with intent: Declaration returns the state the scenario's
//     declaration asks for (remove-member, move-ring0, ..., and the qdevice
//     ones: qdevice-two-node, qdevice-grow, qdevice-grow-off); spec.qdevice
//     is read from quorum.device.
//   - qdevice (qnetd.go, qdevice*.go, reference §3.6, §7.1, §7.2, §7.4,
//     §7.5, lab §4): qnetd hosts by IP (AddQNetd, PowerOnQNetd,
//     PowerOffQNetd, CutQNetd, SetQNetdKeyAccess; not in Nodes), reached by
//     a node when both are powered and neither is cut; per node the
//     corosync-qdevice package (NodeSpec.WithoutQDevice,
//     SetQDeviceInstalled), its unit (start/stop/enable/disable,
//     Requires=corosync, started at boot when enabled) and the client NSS
//     DB. The daemon registers with votequorum, exits on a missing NSS DB
//     leaving its registration (NA,NV,NMW), and connects to qnetd; qnetd
//     gives the vote to the largest partition with a connected node (ties by
//     tie_breaker), whose connected nodes count the device's votes
//     (quorum.device.votes, or N−1). Expected votes include them; the
//     Qdevice flag, column (A|NA,V|NV,NMW or NR) and nodeid-0 row follow lab
//     §4; two_node with a device and bad device votes are refused at start
//     (and handled at reload as votequorum does). corosync-qdevice-tool -s,
//     command -v, the `timeout 3 bash -c '</dev/tcp/H/5403'` probe (bash
//     5.2 wording), GET /cluster/config/qdevice, and pvecm qdevice
//     setup/remove with their checks, INFO steps, cfs-locked write with a
//     version bump, per-member systemctl and final reload (§3.9, §3.10).
//   - reload (§8, lab §1): per node, all-or-nothing; address changes on an
//     existing link are rejected (rc 7, reload_status 7, runtime untouched);
//     nodelist, links, votes and expected_votes apply live; read-only keys
//     are kept.
//   - The command surface of clusters/commands.go plus systemctl,
//     corosync-quorumtool, corosync-cmapctl, corosync-cfgtool, pvecm
//     status/nodes/expected/apiver/addnode/delnode/add/qdevice, cat, cp (-a/-r/-p),
//     mv, mkdir (-p), rmdir, rm (-rf), ls (-1), sha256sum, journalctl,
//     hostname and `ip -o addr show` (iproute2's one-line layout) with GNU
//     coreutils' wording, behind a tiny shell (shell.go).
//   - The read-only API endpoints quorate uses (api.go, shared.go:
//     /cluster/resources, /cluster/ha/resources, /cluster/ha/groups,
//     /cluster/replication).
//
// # Real corosync underneath
//
// SetEngine attaches an Engine (lab.Engine runs real corosync in network
// namespaces): the model then replays its corosync starts, stops, kills,
// reloads and corosync.conf writes on it, in order, and answers the
// read-only corosync tools and the corosync journal from it (engine.go).
//
// # What it does not model
//
//   - Time: everything is instant. Real corosync needs ~3.5 s to join, ~8 s
//     to notice a crashed peer (token + consensus), ~3 s before a stale node
//     exits; pmxcfs sleeps 1 s before its reload. There are no knet
//     ping/pong, retransmits or "Token has not been received" lines.
//   - Membership is a connected component; real totem needs every pair to
//     reach each other, so asymmetric or partial link failures differ.
//   - last_man_standing windows, auto_tie_breaker decisions and
//     allow_downscale are parsed into flags but not computed.
//   - qdevice: no heartbeats, timeouts or 8 s reconnects (a daemon is
//     Connected the moment qnetd is reachable); ffsplit and lms pick the
//     winning partition by the same rule (size, then tie_breaker), and
//     master_wins, heuristics, keep_active_partition_tie_breaker and
//     ports other than 5403 are not modelled; the qnetd host has no shell,
//     no qnetd service of its own apart from power, and its certificate
//     DB is two flags; certutil tools' output and scp are silent in pvecm
//     qdevice setup; ssh-copy-id's lines, the daemon's journal lines other
//     than the NSS one, corosync's exit status 20 for a refused quorum
//     configuration and the API's "Last poll call" (only while casting)
//     are representative. A device removed by a reload makes the daemon
//     exit cleanly. --network is ignored, as by pvecm.
//   - The reload result of `corosync-cfgtool -R` is the local node's own; a
//     parse error on reload is reported as CS_ERR_INVALID_PARAM. corosync's
//     own parser is approximated by Proxmox's (state/corosync).
//   - "Members joined/left" lines list nodeids relative to each node's last
//     view; real corosync logs "Sync" lines slightly differently.
//   - pmxcfs: the DB holds only what NewCluster seeds and what is written
//     through the model (no user.cfg, storage.cfg, CA, virtual files such
//     as .members, nor the local/qemu-server/lxc symlinks); modes, owners
//     and times other than lock mtimes are not kept; a multi-entry change
//     (mkdir -p, rm -rf, cp -a) is one DB version, real pmxcfs bumps one per
//     entry; mv renames files only. A lock's age is one model-wide value
//     (real pmxcfs: per node, by its own clock, restarted with pmxcfs);
//     touch supports -a, -c, -m, -f, -h and -d @EPOCH only; pvecm's
//     cfs_lock does not wait: it sends one unlock request, and a lock still
//     held then fails at once. pvecm updatecerts at
//     pve-cluster start is run only in local mode (a cluster member's
//     nodes/<name>/ comes from NewCluster or its join). The cluster log and
//     pmxcfs -l are not modelled. ls sorts bytewise (C locale).
//   - Guests do not run: /cluster/resources reports "running" when the
//     guest's node is online, else "unknown"; no storage or SDN entries.
//   - An address missing from NodeSpec.Interfaces fails the bind with a
//     representative TOTEM line; real knet's wording and its retry
//     behaviour differ.
//   - API: only GET; /cluster/* and /nodes answer 500 "pve configuration
//     filesystem (pmxcfs) not mounted" when pve-cluster is stopped (real
//     pveproxy depends on pmxcfs and would not answer); /cluster/status
//     always reports ip (the host IP) for known machines; /nodes has no RRD
//     statistics; node order is reverse nodeid order (real: Perl hash order).
//   - pvecm create/updatecerts and `pvecm add --use_ssh` are not
//     implemented. pvecm add is instant: no 3 s 401 delay, and when the
//     joined node is not quorate right after its start the worker fails
//     where the real one waits forever ("waiting for quorum...OK" is always
//     printed whole, although a real node that is quorate at once prints
//     nothing); its backup file is a gzip of a listing, not SQL; a wrong
//     password gives "401 authentication failure" (the login's status line,
//     as pveproxy sets it); connection failures are LWP's "500 Can't connect
//     to HOST:8006 (...)" with a representative reason. addnode and delnode
//     take the file-corosync_conf lock; addnode creates nodes/<name>/
//     (gen_local_dirs) and changes corosync.conf; delnode, like the real
//     one, cleans nothing up (reference §2.7); no cluster log.
//   - Journal lines are representative, not byte-identical to corosync
//     3.1.7's in every case (the CMAP, CFG, reload and membership lines
//     quoted by the reference are exact).
package sim
