package status

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/quorate/quorate/state"
)

// Store keeps one status file per cluster: Dir/status/CLUSTER.json. Each Write
// replaces the file atomically (state.WriteFileAtomic: temp file, fsync,
// rename, fsync of the directory), so a reader such as `quorate status` sees
// the old status or the new one, never a torn file. The zero value with Dir
// set is ready; writes for different clusters may run concurrently, and two
// writes for one cluster leave one of them whole (the last rename wins).
type Store struct {
	Dir string
}

// Path returns the file that holds cluster's status.
func (s *Store) Path(cluster string) string {
	return filepath.Join(s.Dir, "status", cluster+".json")
}

// checkName refuses names that would leave Dir/status or collide with the
// temp files and hidden files ReadAll skips. A cluster name is normally a
// corosync cluster_name; when its file did not load it is the file's base
// name, which may hold dots and underscores, so this is deliberately looser
// than the pve-node format.
func checkName(cluster string) error {
	switch {
	case cluster == "":
		return errors.New("status: empty cluster name")
	case strings.HasPrefix(cluster, "."), strings.ContainsAny(cluster, "/\\\x00"):
		return fmt.Errorf("status: cluster name %q cannot be a file name (it starts with a dot or holds a slash)", cluster)
	}
	return nil
}

// Write stores cs as cs.Cluster's status, replacing the previous one.
func (s *Store) Write(cs ClusterStatus) error {
	if err := checkName(cs.Cluster); err != nil {
		return err
	}
	b, err := json.MarshalIndent(cs, "", "  ")
	if err != nil {
		return fmt.Errorf("status of cluster %q: %w", cs.Cluster, err)
	}
	if err := state.WriteFileAtomic(s.Path(cs.Cluster), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing the status of cluster %q: %w", cs.Cluster, err)
	}
	return nil
}

// ReadAll returns every stored status, sorted by cluster. A missing
// directory gives none and no error. A file that cannot be read or parsed
// is skipped and named in the error; the others are still returned, so one
// damaged file does not hide the rest. Hidden files (the temp files of an
// interrupted Write) are ignored.
func (s *Store) ReadAll() ([]ClusterStatus, error) {
	dir := filepath.Join(s.Dir, "status")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the status directory: %w", err)
	}
	var out []ClusterStatus
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("reading status file: %w", err))
			continue
		}
		var cs ClusterStatus
		if err := json.Unmarshal(b, &cs); err != nil {
			errs = append(errs, fmt.Errorf("status file %s is damaged (%v); delete it and the controller writes it again on its next reconcile", path, err))
			continue
		}
		if cs.Cluster == "" {
			cs.Cluster = strings.TrimSuffix(name, ".json")
		}
		out = append(out, cs)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Cluster < out[j].Cluster })
	return out, errors.Join(errs...)
}

// Remove deletes cluster's status (a cluster no longer declared). Removing a
// status that does not exist is not an error.
func (s *Store) Remove(cluster string) error {
	if err := checkName(cluster); err != nil {
		return err
	}
	err := os.Remove(s.Path(cluster))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the status of cluster %q: %w", cluster, err)
	}
	return nil
}
