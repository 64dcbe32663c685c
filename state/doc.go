// Package state holds the observed state of a cluster as a plain value, and the
// parsers for what quorate reads from nodes. A Cluster is what one observation
// saw: per node, whether the API and SSH answered, whether corosync and
// pve-cluster run, both corosync.conf copies, the runtime config_version, the
// quorum and membership that node's corosync reports, link status, and a CMAP
// rejection found in corosync's log since its last start.
//
// A Cluster has a documented JSON form (FormatVersion); the simulator can start
// from one (quorate sim serve --from SNAPSHOT.json). Gathering lives in
// clusters/; deciding lives in reconciler/. This package does no I/O on
// nodes; it keeps the controller's own records on local disk: BackupStore
// (copies of replaced files) and PinStore (certificate fingerprints learned
// after joins).
package state
