// Package cmdout turns what quorate reads from a node into state values. Every
// function is pure: it takes the bytes a command printed (or an API body) and
// returns a value or an error that says which line was not understood. None of
// them panics on any input (FuzzParsers checks the three that read free text).
//
// The formats and where they are documented:
//
//   - ParseQuorumtool: `corosync-quorumtool -s` (reference proxmox-cluster.md
//     §3.6, corosync-lab.md §3 and §4), including -i, -H, the Qdevice column and
//     row, and `pvecm status`, which prints a "Cluster information" block first.
//   - ParseCfgtoolStatus: `corosync-cfgtool -s` (reference §7.6).
//   - ParseCmapGet, ParseCmapUint: `corosync-cmapctl -g KEY` (reference §7.6).
//   - ParseServices: `systemctl is-active UNIT...`, one state per line.
//   - ParseQDeviceState: the "State:" line of `corosync-qdevice-tool -s`
//     (corosync-lab.md §4, the state strings of reference §2.10).
//   - ParseIPAddr: `ip -o addr show`, the addresses a joining node has
//     (reference §2.9 assert_joinable).
//   - FindCMAPRejection: corosync's log or journal, searched since its last
//     start for the CMAP exit line (reference §5.2, corosync-lab.md §2).
//   - ParseClusterStatus: the JSON body of GET /cluster/status (reference §2.1).
//   - ParseResources, ParseHAResources, ParseHAGroups, ParseReplication: the
//     JSON bodies of GET /cluster/resources?type=vm, /cluster/ha/resources,
//     /cluster/ha/groups and /cluster/replication (what still names a node
//     before it is removed, reference §2.7, §9).
//
// Parsers accept what the tools print, not a loose superset: a line that does
// not have the shape its place calls for is an error, because skipping it
// would turn a changed format into a wrong observation. Where the reference
// allows variants (trailing spaces, CRLF, hex node IDs, the optional Qdevice
// column) they are accepted, and the tests name the section that documents
// them. Labels a newer tool might add to a "Label: value" block are ignored.
//
// Errors start with the command or call they are about and give the line
// number and (shortened) text that was not understood.
package cmdout
