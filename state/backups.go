package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// BackupStore keeps the controller's own copy of every file quorate replaces on
// a node, under Dir/backups/CLUSTER/NODE/. Files are written atomically (temp
// file, fsync, rename, fsync of the directory) so a crash never leaves a torn
// backup.
//
// Retention: with Keep > 0, every Save then deletes the older copies of the
// same cluster, node and original path so that Keep remain, the one just
// written always among them. Only files named by this store's scheme
// (backupName) are ever deleted; other nodes, other original paths and
// foreign files in the directory are left alone. Keep <= 0 deletes nothing.
//
// The zero value with Dir set is ready to use and keeps everything. It is
// safe for concurrent use by one process; use it through a pointer.
type BackupStore struct {
	Dir string
	// Now names the files; nil means time.Now.
	Now func() time.Time
	// Keep is how many copies per cluster, node and original path survive a
	// Save (api Controller spec.backups.keep); 0 or less keeps all.
	Keep int
	// OnPruneError is told when deleting old copies failed. Such a failure
	// never fails Save: the new backup is safely written, which is what the
	// action needs, and the next Save of that file tries the deletion again.
	// nil drops the error.
	OnPruneError func(error)

	mu sync.Mutex
	// remove deletes a file; nil means os.Remove (tests inject failures).
	remove func(string) error
}

// backupTimeLayout is the time part of a backup's name (UTC, milliseconds);
// it sorts lexically in time order.
const backupTimeLayout = "20060102T150405.000Z"

// backupFile matches a name of this store's scheme:
// FLATPATH.vVERSION.TIME, e.g. etc_corosync_corosync.conf.v31.20261122T034500.123Z.
// Temp files (".tmp-NAME-RANDOM") do not match: they end in digits, not Z.
var backupFile = regexp.MustCompile(`^(.+)\.v([0-9]+)\.([0-9]{8}T[0-9]{6}\.[0-9]{3}Z)$`)

// flatPath is how an original path appears in a backup's name. It is lossy
// ("/etc/a_b" and "/etc/a/b" flatten alike), so both would share retention;
// quorate backs up only corosync.conf files, where that cannot happen.
func flatPath(path string) string {
	return strings.ReplaceAll(strings.TrimPrefix(path, "/"), "/", "_")
}

// backupName is the file name Save gives a copy of path at version, taken at t.
func backupName(path string, version uint64, t time.Time) string {
	return fmt.Sprintf("%s.v%d.%s", flatPath(path), version, t.UTC().Format(backupTimeLayout))
}

// backupEntry is one parsed backup file name.
type backupEntry struct {
	name, flat, stamp string
	version           uint64
}

// newer orders backups newest first: by the time in the name, then by
// config_version (two saves in one millisecond), then by name, so the order
// never depends on the directory listing.
func (a backupEntry) newer(b backupEntry) bool {
	if a.stamp != b.stamp {
		return a.stamp > b.stamp
	}
	if a.version != b.version {
		return a.version > b.version
	}
	return a.name > b.name
}

// checkStoreComponent refuses names that would leave Dir/backups when they
// become directory names.
func checkStoreComponent(what, name string) error {
	if name == "" || name == "." || strings.ContainsAny(name, `/\`+"\x00") || strings.Contains(name, "..") {
		return fmt.Errorf("backup: %s name %q cannot be used as a directory name (empty, '/', '\\' or '..'); this is a bug in the caller, nothing was saved", what, name)
	}
	return nil
}

func (b *BackupStore) nodeDir(cluster, node string) string {
	return filepath.Join(b.Dir, "backups", cluster, node)
}

// Save stores content and returns the file's path. Its name carries the
// original path, the config_version and the time, e.g.
// etc_corosync_corosync.conf.v31.20261122T034500.123Z. With Keep > 0 it then
// deletes older copies of the same cluster, node and path (see BackupStore).
func (b *BackupStore) Save(cluster, node, path string, version uint64, content []byte) (string, error) {
	if err := checkStoreComponent("cluster", cluster); err != nil {
		return "", err
	}
	if err := checkStoreComponent("node", node); err != nil {
		return "", err
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	dir := b.nodeDir(cluster, node)
	name := backupName(path, version, now())
	dst := filepath.Join(dir, name)
	if err := WriteFileAtomic(dst, content, 0o600); err != nil {
		return "", fmt.Errorf("backup of %s:%s: %w", node, path, err)
	}
	if b.Keep > 0 {
		if err := b.prune(dir, flatPath(path), name); err != nil && b.OnPruneError != nil {
			b.OnPruneError(fmt.Errorf("backup retention of %s:%s in %s: %w (the new copy %s is saved; the next save retries)", node, path, dir, err, name))
		}
	}
	return dst, nil
}

// prune deletes the copies of flat in dir beyond the newest b.Keep, never
// keep (the file just written, which counts as one of them even if a clock
// step made it look older).
func (b *BackupStore) prune(dir, flat, keep string) error {
	all, err := listBackups(dir)
	if err != nil {
		return err
	}
	left := b.Keep - 1 // the one just written is kept
	var errs []error
	removed := false
	for _, e := range all {
		if e.flat != flat || e.name == keep {
			continue
		}
		if left > 0 {
			left--
			continue
		}
		remove := os.Remove
		if b.remove != nil {
			remove = b.remove
		}
		if err := remove(filepath.Join(dir, e.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = true
	}
	if removed {
		// Not needed for safety (a deletion that does not survive a crash is
		// redone by the next Save), only so that what retention promised holds
		// on disk.
		if err := SyncDir(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// listBackups returns the store's backup files in dir, newest first; none
// when dir does not exist.
func listBackups(dir string) ([]backupEntry, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []backupEntry
	for _, de := range des {
		m := backupFile.FindStringSubmatch(de.Name())
		if m == nil || !de.Type().IsRegular() {
			continue
		}
		v, err := strconv.ParseUint(m[2], 10, 64)
		if err != nil {
			continue // a version too large for uint64 was not written by Save
		}
		out = append(out, backupEntry{name: de.Name(), flat: m[1], stamp: m[3], version: v})
	}
	sort.Slice(out, func(i, k int) bool { return out[i].newer(out[k]) })
	return out, nil
}

// List returns the paths of node's backups in cluster, of every original
// path, newest first (time in the name, then config_version). It is empty,
// without error, when nothing was saved for node. Files in the directory
// that do not follow the store's naming scheme are not listed.
func (b *BackupStore) List(cluster, node string) ([]string, error) {
	if err := checkStoreComponent("cluster", cluster); err != nil {
		return nil, err
	}
	if err := checkStoreComponent("node", node); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	dir := b.nodeDir(cluster, node)
	all, err := listBackups(dir)
	if err != nil {
		return nil, fmt.Errorf("backup: listing %s: %w", dir, err)
	}
	out := make([]string, len(all))
	for i, e := range all {
		out[i] = filepath.Join(dir, e.name)
	}
	return out, nil
}
