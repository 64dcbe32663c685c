// Package journal is the controller's crash-safe record of what it is doing
// to each cluster, and its audit log.
//
// Two files per cluster under Dir:
//
//	journal/CLUSTER.json    the Pending record: the one action in flight, from
//	                        its first intent until its last outcome. Replaced
//	                        atomically (temp file, fsync, rename, fsync of the
//	                        directory), so after a crash it holds the old record
//	                        or the new one, never a mix.
//	audit/CLUSTER.jsonl     the audit log: one JSON Entry per line, appended
//	                        with O_APPEND and fsynced before Append returns.
//	                        Past MaxAuditBytes it is renamed CLUSTER.jsonl.1 (one
//	                        old file is kept).
//
// The protocol the controller follows: Put an "intent" record with step 0
// when an action begins (its backups taken), and before each step; Append the
// intent, run the step, Put a "done" (or "failed") record and Append the
// outcome; Clear after the action ends. On start, Get tells whether an action
// was interrupted and which step it was about; Phase "intent" means the step
// may or may not have run, and only a fresh observation can tell.
//
// Crash cases and what each leaves:
//   - killed during Put before the rename: a temp file next to the old record;
//     Get and Clear ignore it and delete it.
//   - killed during Append: at most a torn last line without its newline;
//     Audit skips it and the next Append cuts it off before writing, so it
//     never becomes a bad line in the middle.
//
// A record that is damaged in any other way (not JSON, another cluster's,
// a newer format) is an error naming the file and what to do: quorate never
// guesses about an action it cannot read.
//
// Concurrency: one Journal is safe for use from many goroutines; calls for
// one cluster are serialised by a per-cluster mutex, calls for different
// clusters touch different files. Two processes must not share a Dir (the
// controller holds the cluster's pmxcfs lock while it writes, and replicas
// each have their own state directory).
//
// The package stores what the controller hands it; payloads it keeps
// verbatim (the action) are json.RawMessage, so it imports neither
// reconciler nor clusters.
package journal
