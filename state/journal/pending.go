package journal

import (
	"github.com/quorate/quorate/state"

	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// PendingFormatVersion is the version of a pending file's JSON form.
const PendingFormatVersion = 1

// Phases of a Pending record.
const (
	// PhaseIntent: the step is about to run, or ran, or ran partly; only a
	// fresh observation can tell.
	PhaseIntent = "intent"
	// PhaseDone: the step finished successfully; the next one has not
	// started.
	PhaseDone = "done"
	// PhaseFailed: the step finished with an error; what it changed before
	// failing is for a fresh observation to tell.
	PhaseFailed = "failed"
)

// knownPhase reports whether phase is one of the Phase constants.
func knownPhase(phase string) bool {
	return phase == PhaseIntent || phase == PhaseDone || phase == PhaseFailed
}

// Pending is the one in-flight record per cluster: present from an action's
// first intent until its last outcome. Put writes it atomically to
// Dir/journal/CLUSTER.json.
type Pending struct {
	// Cluster names the cluster; it is also the file name.
	Cluster string `json:"cluster"`
	// Generation is the declaration the action was planned from.
	Generation string `json:"generation,omitempty"`
	// Replica and RunID identify the controller process that wrote it.
	Replica string `json:"replica,omitempty"`
	RunID   string `json:"run_id,omitempty"`
	// Started is when the action began (UTC).
	Started time.Time `json:"started"`
	// Updated is when this record was written; Put sets it.
	Updated time.Time `json:"updated"`
	// Action is the 1-based index of the action in its changeset, of Actions.
	Action  int    `json:"action"`
	Actions int    `json:"actions"`
	Kind    string `json:"kind,omitempty"`
	Target  string `json:"target,omitempty"`
	Summary string `json:"summary,omitempty"`
	// ActionJSON is the full action as the controller marshalled it; nil
	// when not given. The file shows it indented; Get returns it compacted,
	// so json.Marshal's output comes back byte for byte.
	ActionJSON json.RawMessage `json:"action_json,omitempty"`
	// Step is the 1-based step the record is about, of Steps; 0 means the
	// action has begun (backups taken) but none of its steps has.
	Step  int `json:"step"`
	Steps int `json:"steps"`
	// Phase is PhaseIntent, PhaseDone or PhaseFailed.
	Phase string `json:"phase"`
	// Backups are the controller-side backup paths taken for this action.
	Backups []string `json:"backups,omitempty"`
	// VersionsBefore maps node -> corosync.conf config_version when the
	// action began.
	VersionsBefore map[string]uint64 `json:"versions_before,omitempty"`
}

// pendingFile is the JSON form on disk: the record plus its format version.
type pendingFile struct {
	FormatVersion int `json:"format_version"`
	Pending
}

// Put replaces cluster p.Cluster's pending record with p, atomically and
// durably: once Put returns, a crash leaves p; a crash during Put leaves the
// previous record. Updated is set to now, and Started when zero. A record
// whose Phase is not one of the Phase constants, or whose Step or Action lie
// outside 0..Steps / 1..Actions, is refused.
func (j *Journal) Put(p Pending) error {
	if err := checkCluster(p.Cluster); err != nil {
		return err
	}
	if !knownPhase(p.Phase) {
		return fmt.Errorf("journal: cluster %q: phase %q is not %q, %q or %q (a bug in the controller; nothing was written)", p.Cluster, p.Phase, PhaseIntent, PhaseDone, PhaseFailed)
	}
	if p.Step < 0 || p.Step > p.Steps || p.Action < 1 || p.Action > p.Actions {
		return fmt.Errorf("journal: cluster %q: step %d of %d, action %d of %d is out of range (a bug in the controller; nothing was written)", p.Cluster, p.Step, p.Steps, p.Action, p.Actions)
	}
	now := j.now()
	p.Updated = now
	if p.Started.IsZero() {
		p.Started = now
	}
	p.Started = p.Started.UTC()
	b, err := json.MarshalIndent(pendingFile{FormatVersion: PendingFormatVersion, Pending: p}, "", "  ")
	if err != nil {
		return fmt.Errorf("journal: cluster %q: encoding the pending record: %w", p.Cluster, err)
	}
	defer j.lock(p.Cluster)()
	path := j.PendingPath(p.Cluster)
	if err := state.WriteFileAtomic(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("journal: writing %s: %w; the step was not started", path, err)
	}
	return nil
}

// Get returns cluster's pending record, or nil, nil when there is none (no
// action was in flight). Temp files a crash left during Put are ignored and
// deleted. A file that cannot be read, is not a pending record, belongs to
// another cluster or has another format version is an error that names the
// path and what to do: the controller must not guess where an action stood.
func (j *Journal) Get(cluster string) (*Pending, error) {
	if err := checkCluster(cluster); err != nil {
		return nil, err
	}
	defer j.lock(cluster)()
	path := j.PendingPath(cluster)
	if err := cleanTemps(path); err != nil {
		return nil, fmt.Errorf("journal: deleting leftover temp files of %s: %w; check the directory's permissions", path, err)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journal: reading %s: %w", path, err)
	}
	var f pendingFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, j.damaged(cluster, path, fmt.Sprintf("it is not a pending record (%v)", err))
	}
	switch {
	case f.FormatVersion != PendingFormatVersion:
		return nil, j.damaged(cluster, path, fmt.Sprintf("it has format_version %d, this quorate reads %d", f.FormatVersion, PendingFormatVersion))
	case f.Cluster != cluster:
		return nil, j.damaged(cluster, path, fmt.Sprintf("it is the record of cluster %q", f.Cluster))
	case !knownPhase(f.Phase):
		return nil, j.damaged(cluster, path, fmt.Sprintf("its phase %q is unknown", f.Phase))
	}
	p := f.Pending
	if len(p.ActionJSON) > 0 {
		var c bytes.Buffer
		if err := json.Compact(&c, p.ActionJSON); err != nil {
			return nil, j.damaged(cluster, path, fmt.Sprintf("its action_json is not JSON (%v)", err))
		}
		p.ActionJSON = c.Bytes()
	}
	return &p, nil
}

// damaged is the error for a pending file quorate cannot use.
func (j *Journal) damaged(cluster, path, why string) error {
	return fmt.Errorf("journal: cluster %q: cannot use %s: %s. quorate cannot tell whether an interrupted action took effect, so it will not act on this cluster. "+
		"Check the cluster by hand (quorate plan), read the audit log %s for the last action, then move the file away; nothing was changed",
		cluster, path, why, j.AuditPath(cluster))
}

// Clear removes cluster's pending record durably (the removal is synced to
// the directory), and any temp files a crash left. Clearing when there is no
// record is not an error.
func (j *Journal) Clear(cluster string) error {
	if err := checkCluster(cluster); err != nil {
		return err
	}
	defer j.lock(cluster)()
	path := j.PendingPath(cluster)
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if err == nil {
		err = cleanTemps(path)
	}
	if err == nil {
		err = state.SyncDir(filepath.Dir(path))
		if errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("journal: clearing %s: %w; the action is done, but the next start will think it interrupted unless the file is removed", path, err)
	}
	return nil
}
