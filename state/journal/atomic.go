package journal

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/quorate/quorate/state"
)

// The journal writes through state.WriteFileAtomic (temp file, fsync, rename,
// fsync of the directory) and recognises that function's temp files
// (state.IsTempOf) to remove those a crash left behind.

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
		if state.IsTempOf(de.Name(), base) {
			if err := os.Remove(filepath.Join(dir, de.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
