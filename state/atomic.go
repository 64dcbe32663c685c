package state

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// WriteFileAtomic writes data to path so that readers see the old file or the
// new one, never a mix, and the new one survives a crash once it returns:
// a temp file next to path (named for IsTempOf), fsync, rename, fsync of the
// directory; directories it creates are made durable too (MkdirDurable).
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := MkdirDurable(dir); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, tempPrefix(filepath.Base(path))+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// tempPrefix starts the names of WriteFileAtomic's temp files for base:
// ".tmp-BASE-" followed by os.CreateTemp's random digits.
func tempPrefix(base string) string { return ".tmp-" + base + "-" }

// IsTempOf reports whether name is a temp file WriteFileAtomic made for a
// file called base (one a crash left behind, when no write is running). The
// digits-only suffix keeps "lab"'s temp files apart from "lab-2"'s.
func IsTempOf(name, base string) bool {
	rest, ok := strings.CutPrefix(name, tempPrefix(base))
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// SyncDir makes dir's entries (a rename, a new file, a removal) durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// MkdirDurable creates dir and any missing parents (mode 0700), syncing each
// new directory's parent so the new entries survive a crash too.
func MkdirDurable(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := MkdirDurable(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return SyncDir(parent)
}
