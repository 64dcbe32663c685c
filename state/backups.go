package state

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// BackupStore keeps the controller's own copy of every file quorate replaces on
// a node, under Dir/backups/CLUSTER/NODE/. Files are written atomically (temp
// file, fsync, rename, fsync of the directory) so a crash never leaves a torn
// backup. Nothing is ever deleted here (retention arrives with the controller).
type BackupStore struct {
	Dir string
	// Now names the files; nil means time.Now.
	Now func() time.Time
}

// Save stores content and returns the file's path. Its name carries the
// original path, the config_version and the time, e.g.
// etc_corosync_corosync.conf.v31.20261122T034500.123Z.
func (b *BackupStore) Save(cluster, node, path string, version uint64, content []byte) (string, error) {
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	dir := filepath.Join(b.Dir, "backups", cluster, node)
	name := fmt.Sprintf("%s.v%d.%s", strings.ReplaceAll(strings.TrimPrefix(path, "/"), "/", "_"), version,
		now().UTC().Format("20060102T150405.000Z"))
	dst := filepath.Join(dir, name)
	if err := WriteFileAtomic(dst, content, 0o600); err != nil {
		return "", fmt.Errorf("backup of %s:%s: %w", node, path, err)
	}
	return dst, nil
}

// WriteFileAtomic writes data to path so that readers see the old file or the
// new one, never a mix, and the new one survives a crash once it returns.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
