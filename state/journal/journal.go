package journal

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// DefaultMaxAuditBytes is the audit file size past which Append rotates it
// when Journal.MaxAuditBytes is 0.
const DefaultMaxAuditBytes = 16 << 20

// Journal keeps the Pending records and audit logs of every cluster under
// Dir. The zero value with Dir set is ready to use. A Journal must not be
// copied after first use.
type Journal struct {
	// Dir is the controller's state directory.
	Dir string
	// Now stamps records and entries whose time is zero; nil means time.Now.
	Now func() time.Time
	// MaxAuditBytes is the size past which the audit file is rotated before
	// the next Append; 0 means DefaultMaxAuditBytes, negative never rotates.
	MaxAuditBytes int64

	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

// lock takes cluster's mutex and returns its unlock.
func (j *Journal) lock(cluster string) func() {
	j.mu.Lock()
	if j.locks == nil {
		j.locks = map[string]*sync.Mutex{}
	}
	m := j.locks[cluster]
	if m == nil {
		m = &sync.Mutex{}
		j.locks[cluster] = m
	}
	j.mu.Unlock()
	m.Lock()
	return m.Unlock
}

func (j *Journal) now() time.Time {
	if j.Now != nil {
		return j.Now().UTC()
	}
	return time.Now().UTC()
}

// PendingPath returns the file that holds cluster's Pending record.
func (j *Journal) PendingPath(cluster string) string {
	return filepath.Join(j.Dir, "journal", cluster+".json")
}

// AuditPath returns cluster's current audit file; the rotated one is the
// same path with ".1" appended.
func (j *Journal) AuditPath(cluster string) string {
	return filepath.Join(j.Dir, "audit", cluster+".jsonl")
}

// checkCluster refuses cluster names that cannot safely become file names.
// api validates names already; this guards the file system against a caller
// that skipped it.
func checkCluster(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("journal: the cluster name is empty; every record must name its cluster (a bug in the caller, nothing was written)")
	case strings.ContainsAny(name, `/\`+"\x00") || strings.Contains(name, "..") || strings.HasPrefix(name, "."):
		return fmt.Errorf("journal: cluster name %q cannot be a file name (no '/', '\\', '..' or leading '.'); rename the cluster in its metadata.name, nothing was written", name)
	}
	return nil
}
