package sim

import "time"

// Cluster locks in pmxcfs (reference §6.6; pve-cluster src/README "File
// Locking", src/pmxcfs/memdb.c, src/pmxcfs/cfs-plug-memdb.c). A lock is a
// directory /etc/pve/priv/lock/<id>:
//
//   - mkdir takes it, atomically cluster-wide; it fails with EEXIST while the
//     directory exists, expired or not (memdb_mkdir).
//   - It expires CFS_LOCK_TIMEOUT (120 s; Model.LockTimeout) after its last
//     change: its creation or a renewal (memdb_lock_expired).
//   - Setting its mtime to 0 (utime(0,0), `touch -m -d @0`) is an unlock
//     request: an expired lock is deleted (only while empty, as memdb_delete
//     refuses a non-empty directory). In cluster mode the request travels
//     to the member with the lowest nodeid, which sends the unlock after the
//     mtime change itself was refused, so the touch fails with EACCES either
//     way; in local mode the deletion is the touch's result.
//   - Any other mtime is memdb_mtime: refused with EACCES when older than the
//     stored one, or when the caller's node is not the lock's writer (the
//     nodeid of its last change); otherwise a renewal.
//   - rmdir releases it.
//
// Simplification: real pmxcfs measures a lock's age per node, with that
// node's own clock, from when that node last saw the entry change (and a
// restarted pmxcfs starts counting again). The model keeps one "last change"
// time per lock for the whole cluster, stamped by the model's Clock, and
// checks it against the Clock when an unlock request arrives.

// defaultLockTimeout is pmxcfs's CFS_LOCK_TIMEOUT (60 * 2 seconds).
const defaultLockTimeout = 120 * time.Second

// cfsLock is what pmxcfs knows about one lock directory besides its
// existence: the writer (nodeid) of its last change, its mtime as of that
// change, and when the change happened (by the model's Clock). A record
// whose mtime differs from the directory's in a node's DB does not describe
// that node's entry (the DB was replaced or edited since); lockOf then
// falls back.
type cfsLock struct {
	writer  int
	mtime   time.Time
	changed time.Time
}

// lockTimeout is Model.LockTimeout with its default.
func (m *Model) lockTimeout() time.Duration {
	if m.LockTimeout > 0 {
		return m.LockTimeout
	}
	return defaultLockTimeout
}

// cfsWriter is the writer pmxcfs records for n's changes: the corosync
// nodeid in cluster mode, 0 in local mode (no dfsm: memdb is called with
// writer 0).
func cfsWriter(n *node) int {
	if n.cfs == nil || n.cfs.local {
		return 0
	}
	return n.nodeID()
}

// noteLock records a change of lock directory d, made by writer, that left
// it with mtime.
func (m *Model) noteLock(d string, writer int, mtime time.Time) {
	if m.locks == nil {
		m.locks = map[string]cfsLock{}
	}
	m.locks[d] = cfsLock{writer: writer, mtime: mtime, changed: m.now()}
}

// forgetLock drops d's record once the directory is gone.
func (m *Model) forgetLock(d string) { delete(m.locks, d) }

// lockOf returns what n's pmxcfs knows about lock directory d, which must
// exist in its DB. A directory the model has no current record for (one
// made by a scenario or copied in) has writer 0 and counts as changed at
// its mtime.
func (m *Model) lockOf(n *node, d string) cfsLock {
	mt := n.db.dirs[d]
	if l, ok := m.locks[d]; ok && l.mtime.Equal(mt) {
		return l
	}
	return cfsLock{mtime: mt, changed: mt}
}

// lockExpired reports whether lock directory d was last changed more than
// the lock timeout ago (memdb_lock_expired: strictly more).
func (m *Model) lockExpired(n *node, d string) bool {
	return m.now().Sub(m.lockOf(n, d).changed) > m.lockTimeout()
}

// cfsUtime is utimensat(2) on /etc/pve path p, which exists in n's DB,
// setting its mtime. Only the lock rules above refuse anything; other
// entries take any mtime (the model keeps directories' mtimes, not files').
func (m *Model) cfsUtime(n *node, p string, mtime time.Time) error {
	if err := m.cfsWritable(n); err != nil {
		return err
	}
	if !isLockDir(p) || !n.db.isDir(p) {
		m.cfsCommit(n, false, func(db *pveDB) {
			if p != pveDir && db.isDir(p) {
				db.dirs[p] = mtime
			}
		})
		return nil
	}
	unlock := mtime.Unix() == 0 && m.lockExpired(n, p)
	if unlock && n.cfs.local {
		return m.deleteLock(n, p)
	}
	err := m.lockMtime(n, p, mtime)
	if unlock && err != nil {
		// The lowest nodeid's unlock names the entry's checksum; it still
		// matches because the mtime change was refused.
		_ = m.deleteLock(n, p)
	}
	return err
}

// lockMtime is memdb_mtime on a lock directory: a renewal when the new
// mtime is not older (whole seconds, as pmxcfs stores them) and n is the
// lock's writer.
func (m *Model) lockMtime(n *node, d string, mtime time.Time) error {
	l := m.lockOf(n, d)
	if mtime.Unix() < l.mtime.Unix() {
		return errAccess
	}
	w := cfsWriter(n)
	if l.writer != w {
		return errAccess
	}
	m.cfsCommit(n, false, func(db *pveDB) { db.dirs[d] = mtime })
	m.noteLock(d, w, mtime)
	return nil
}

// deleteLock is memdb_delete of an expired lock directory.
func (m *Model) deleteLock(n *node, d string) error {
	if len(n.db.list(d)) > 0 {
		return errNotEmpty
	}
	m.cfsCommit(n, false, func(db *pveDB) { delete(db.dirs, d) })
	m.forgetLock(d)
	return nil
}

// cfsUnlockRequest is the unlock request PVE::Cluster's cfs_lock sends
// while it waits for a held lock (`utime 0, 0, $filename`, whose result it
// ignores).
func (m *Model) cfsUnlockRequest(n *node, d string) {
	if inCfs(n, d) && n.db.isDir(d) {
		_ = m.cfsUtime(n, d, time.Unix(0, 0))
	}
}
