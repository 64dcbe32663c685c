// Package metrics is the Prometheus instrumentation of `quorate run`.
//
// # Controller metrics
//
// The controller exports controller-runtime's metrics under their exact
// names, labels, help texts and buckets (controller-runtime
// pkg/internal/controller/metrics/metrics.go), so dashboards and alerts
// written for Kubernetes controllers work unchanged. The controller label is
// the name given to New.
//
//	controller_runtime_reconcile_total{controller,result}       counter; result is
//	    success|error|requeue|requeue_after, all four present from the start at 0
//	controller_runtime_reconcile_errors_total{controller}       counter, every error
//	controller_runtime_terminal_reconcile_errors_total{controller}
//	                                                            counter, errors retrying will not fix
//	                                                            (counted in reconcile_errors_total too)
//	controller_runtime_reconcile_time_seconds{controller}       histogram, 5ms..60s buckets
//	controller_runtime_active_workers{controller}               gauge
//	controller_runtime_max_concurrent_reconciles{controller}    gauge
//	controller_runtime_reconcile_panics_total{controller}       counter, recovered panics
//	                                                            (each also a failed reconcile)
//
// controller_runtime_reconcile_timeouts_total is not exported: the
// controller does not wrap reconciles in a timeout of its own
// (observeTimeout bounds one observation and shows as an error).
//
// # Cluster metrics
//
// Every series below has the label cluster (metadata.name). Values derived
// from an observation (ObserveCluster) reflect only that observation: a
// series that the latest observation does not support is deleted, never left
// at its last value. In particular a node whose SSH did not fully answer
// exports only quorate_node_reachable; its versions and links disappear until
// it answers again. Forget deletes every series of a cluster.
//
//	quorate_node_reachable{cluster,node,via}            1/0: the node's API (via="api") or SSH
//	                                                    (via="ssh") answered in the last observation
//	quorate_cluster_quorate{cluster}                    1 when an observed member's votequorum reports
//	                                                    Quorate; 0 otherwise, also when no member's
//	                                                    corosync answered
//	quorate_cluster_votes{cluster}                      votequorum "Total votes" (present votes,
//	                                                    qdevice included while it votes)
//	quorate_cluster_expected_votes{cluster}             votequorum "Expected votes"
//	quorate_cluster_quorum_votes{cluster}               votequorum "Quorum"
//	quorate_cluster_quorum_margin_votes{cluster}        votes minus quorum: how many votes may go while
//	                                                    staying quorate (reference §7.1); 0 means the
//	                                                    next lost vote loses quorum, below 0 means
//	                                                    inquorate. wait_for_all can keep a partition
//	                                                    inquorate at 0 or more (reference §7.2).
//	quorate_node_config_version{cluster,node,copy}      totem.config_version of one copy on one node:
//	                                                    copy="cluster" /etc/pve/corosync.conf as the
//	                                                    node's pmxcfs shows it, "local"
//	                                                    /etc/corosync/corosync.conf, "runtime" cmap
//	                                                    (reference §5.1); absent when not read
//	quorate_cluster_config_version_skew{cluster}        max minus min of the local copies' versions of
//	                                                    the members that answered (joining nodes left
//	                                                    out); above 0 means a node corosync would judge
//	                                                    with another config (reference §5.2)
//	quorate_link_connected{cluster,node,peer,link}      1/0: corosync-cfgtool -s on node reports peer
//	                                                    connected on knet link number link; peer is a
//	                                                    node name, or "nodeid:N" when no config names it
//	quorate_temporary_expected_votes_remaining_seconds{cluster}
//	                                                    seconds until the declared temporary
//	                                                    expected-votes override expires (0 once
//	                                                    expired); absent when none is declared
//	quorate_actions_total{cluster,kind,result}          counter of applied actions by kind (Delnode,
//	                                                    ResyncCorosyncConf, ...) and result
//	                                                    (done, failed)
//	quorate_cluster_ready{cluster}                      1/0: the Ready condition after the last reconcile
//	quorate_cluster_pending_actions{cluster}            actions in the last plan
//	quorate_cluster_lock_held{cluster}                  1/0: this replica holds the cluster lock
//	quorate_cluster_last_success_timestamp_seconds{cluster}
//	                                                    Unix time of the observation behind the last
//	                                                    reconcile that ended Ready=True
//
// Labels carry only cluster, node and action names and fixed words: nothing
// from spec.access (token IDs, secret references, key paths) and no command
// output, so scraping never leaks a credential.
package metrics
