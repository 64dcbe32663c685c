package controller

import (
	"path/filepath"
	"sort"
	"time"

	"github.com/quorate/quorate/clusters/lock"
	"github.com/quorate/quorate/state/status"
)

// entry is one cluster file and the controller's memory of it.
type entry struct {
	declared
	// conn is reused between reconciles of the same generation (SSH
	// connections stay open); connGen is the generation it was made for.
	conn    Conn
	connGen string
	running bool
	removed bool
	// next is when the cluster is due; zero means "wait for a change of its
	// file" (invalid declaration).
	next     time.Time
	failures int
	status   status.ClusterStatus
	held     *lock.Lock
}

// sortedEntries returns the entries by cluster name then file. c.mu is held.
func (c *Controller) sortedEntries() []*entry {
	out := make([]*entry, 0, len(c.entries))
	for _, e := range c.entries {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].File < out[j].File
	})
	return out
}

// rescan reads the directory and schedules what changed (everything when
// all is set). A cluster whose file disappeared is forgotten once it is not
// running: its metrics and status go, its lock is not held between
// reconciles anyway.
func (c *Controller) rescan(all bool) {
	found, err := scanDir(c.cfg.Clusters.Dir)
	now := c.opts.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if c.scanErr == nil || c.scanErr.Error() != err.Error() {
			c.log.Error("cannot read the clusters directory; keeping the clusters known so far", "dir", c.cfg.Clusters.Dir, "err", err)
		}
		c.scanErr = err
		return
	}
	c.scanErr = nil
	seen := map[string]bool{}
	for _, d := range found {
		seen[d.File] = true
		e, ok := c.entries[d.File]
		switch {
		case !ok:
			e = &entry{declared: d, next: now}
			e.status = status.ClusterStatus{Cluster: d.Name, File: d.File, Generation: d.Generation}
			c.entries[d.File] = e
			c.log.Info("cluster file found", "file", d.File, "cluster", d.Name, "generation", d.Generation)
		case e.Generation != d.Generation || errText(e.Err) != errText(d.Err):
			if e.Name != d.Name && !e.running {
				c.forget(e)
			}
			e.declared = d
			e.next, e.failures = now, 0
			c.log.Info("cluster file changed", "file", d.File, "cluster", d.Name, "generation", d.Generation)
		case all:
			e.next = now
		}
	}
	for file, e := range c.entries {
		if seen[file] {
			continue
		}
		c.log.Info("cluster file removed; the cluster is no longer reconciled", "file", file, "cluster", e.Name)
		if e.running {
			e.removed = true
			continue
		}
		c.forget(e)
		delete(c.entries, file)
	}
	if len(c.entries) == 0 {
		c.log.Warn(errNoClusters.Error(), "dir", c.cfg.Clusters.Dir)
	}
}

// revision is the Git commit of the work tree holding file, if any.
func (c *Controller) revision(file string) string { return gitRevision(filepath.Dir(file)) }

// forget drops what the controller exports about e's cluster. c.mu is held.
func (c *Controller) forget(e *entry) {
	c.metrics.Forget(e.Name)
	if err := c.status.Remove(e.Name); err != nil {
		c.log.Warn("removing the status file failed", "cluster", e.Name, "err", err)
	}
	if e.conn != nil {
		e.conn.Close()
		e.conn = nil
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
