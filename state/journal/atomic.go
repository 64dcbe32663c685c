package journal

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tempPrefix starts the names of base's temp files: ".BASE.tmp" followed by
// os.CreateTemp's random digits. The leading dot hides them; the fixed
// ".tmp" plus a dot-free suffix keeps one cluster's temp files from matching
// another's (cluster "lab" never claims ".lab.json-x.json.tmp123").
func tempPrefix(base string) string {
	return "." + base + ".tmp"
}

// isTempOf reports whether name is a temp file of base.
func isTempOf(name, base string) bool {
	rest, ok := strings.CutPrefix(name, tempPrefix(base))
	return ok && rest != "" && !strings.ContainsAny(rest, "./")
}

// writeTemp writes data to a new synced temp file next to path and returns
// its name. A crash after it returns leaves that file behind, which
// cleanTemps removes.
func writeTemp(path string, data []byte) (string, error) {
	dir := filepath.Dir(path)
	if err := mkdirDurable(dir); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, tempPrefix(filepath.Base(path))+"*")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// writeAtomic replaces path with data so that after a crash path holds the
// old content or the new, and the new once writeAtomic has returned.
func writeAtomic(path string, data []byte) error {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

// cleanTemps deletes the temp files of path left by a crash. Callers hold the
// cluster's lock, so no write of this process is in progress.
func cleanTemps(path string) error {
	dir, base := filepath.Split(path)
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, de := range des {
		if isTempOf(de.Name(), base) {
			if err := os.Remove(filepath.Join(dir, de.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// syncDir makes dir's entries (a rename, a new file, a removal) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// mkdirDurable creates dir and any missing parents, syncing each new
// directory's parent so the new entries survive a crash too.
func mkdirDurable(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirDurable(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}
