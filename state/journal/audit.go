package journal

import (
	"github.com/quorate/quorate/state"

	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Audit events the controller writes. Entry.Event is free text; these are the
// names status and tests rely on.
const (
	EventIntent       = "intent"
	EventOutcome      = "outcome"
	EventResume       = "resume"
	EventActionDone   = "action-done"
	EventActionFailed = "action-failed"
	EventLockAcquired = "lock-acquired"
	EventLockLost     = "lock-lost"
	EventBlocked      = "blocked"
)

// Entry is one line of a cluster's audit log: when, which cluster, which
// action and step, why (the generation of the declaration), the
// config_versions before and after, and the outcome. Zero fields are left out
// of the line.
type Entry struct {
	// Time is when it happened (UTC); Append sets it when zero.
	Time       time.Time `json:"time"`
	Cluster    string    `json:"cluster"`
	Generation string    `json:"generation,omitempty"`
	Replica    string    `json:"replica,omitempty"`
	RunID      string    `json:"run_id,omitempty"`
	// Event says what the line records, e.g. EventIntent.
	Event string `json:"event"`
	// Action is the 1-based index of the action, of Actions; 0 when the
	// event is not about one action.
	Action  int    `json:"action,omitempty"`
	Actions int    `json:"actions,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Target  string `json:"target,omitempty"`
	Summary string `json:"summary,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Step is the 1-based step, of Steps; 0 when the event is not about one.
	Step     int    `json:"step,omitempty"`
	Steps    int    `json:"steps,omitempty"`
	StepText string `json:"step_text,omitempty"`
	Node     string `json:"node,omitempty"`
	// Backup is a controller-side backup path taken for the action.
	Backup         string            `json:"backup,omitempty"`
	VersionsBefore map[string]uint64 `json:"versions_before,omitempty"`
	VersionsAfter  map[string]uint64 `json:"versions_after,omitempty"`
	Outcome        string            `json:"outcome,omitempty"`
	Error          string            `json:"error,omitempty"`
}

// Append adds e as one line to Dir/audit/CLUSTER.jsonl (CLUSTER is
// e.Cluster) and syncs it before returning. Time is set to now when zero.
// Before writing it cuts off a torn last line a crash left (one without its
// newline, which no caller was told was written), then rotates the file to
// CLUSTER.jsonl.1, replacing an older one, if it is larger than MaxAuditBytes.
func (j *Journal) Append(e Entry) error {
	if err := checkCluster(e.Cluster); err != nil {
		return err
	}
	if e.Time.IsZero() {
		e.Time = j.now()
	}
	e.Time = e.Time.UTC()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // error texts keep their <, > and &
	if err := enc.Encode(e); err != nil {
		return fmt.Errorf("journal: cluster %q: encoding an audit entry: %w", e.Cluster, err)
	}
	defer j.lock(e.Cluster)()
	path := j.AuditPath(e.Cluster)
	if err := j.appendLine(path, buf.Bytes()); err != nil {
		return fmt.Errorf("journal: appending to %s: %w; check the state directory's space and permissions", path, err)
	}
	return nil
}

func (j *Journal) appendLine(path string, line []byte) error {
	if err := state.MkdirDurable(filepath.Dir(path)); err != nil {
		return err
	}
	f, size, err := openAudit(path)
	if err != nil {
		return err
	}
	max := j.MaxAuditBytes
	if max == 0 {
		max = DefaultMaxAuditBytes
	}
	if max > 0 && size > max {
		f.Close()
		if err := os.Rename(path, path+".1"); err != nil {
			return err
		}
		if err := state.SyncDir(filepath.Dir(path)); err != nil {
			return err
		}
		if f, size, err = openAudit(path); err != nil {
			return err
		}
	}
	// One write of a whole line: with O_APPEND it lands at the end in one
	// piece even if another descriptor appends too.
	_, err = f.Write(line)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && size == 0 {
		// A new file: its directory entry must survive a crash as well.
		err = state.SyncDir(filepath.Dir(path))
	}
	return err
}

// openAudit opens path for appending, creating it, and cuts off a torn last
// line. It returns the file and its size after the cut.
func openAudit(path string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, 0, err
	}
	size, err := cutTornTail(f)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, size, nil
}

// cutTornTail truncates f after its last newline when it does not end with
// one, and returns the resulting size.
func cutTornTail(f *os.File) (int64, error) {
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := info.Size()
	if size == 0 {
		return 0, nil
	}
	const chunk = 4096
	buf := make([]byte, chunk)
	end := size
	for end > 0 {
		start := max(end-chunk, 0)
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		b := buf[:n]
		if end == size && len(b) > 0 && b[len(b)-1] == '\n' {
			return size, nil // the common case: a whole last line
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			end = start + int64(i) + 1
			break
		}
		end = start
	}
	if err := f.Truncate(end); err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	return end, nil
}

// Audit reads cluster's audit log back, oldest first: the rotated file
// (CLUSTER.jsonl.1) if there is one, then the current file. None, without
// error, when nothing was written. A last line without its newline (a crash
// during Append) is skipped; any other line that is not an Entry is an error
// naming file:line.
func (j *Journal) Audit(cluster string) ([]Entry, error) {
	if err := checkCluster(cluster); err != nil {
		return nil, err
	}
	defer j.lock(cluster)()
	path := j.AuditPath(cluster)
	var out []Entry
	for _, p := range []string{path + ".1", path} {
		es, err := readAudit(p)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	return out, nil
}

// readAudit parses one audit file; none when it does not exist.
func readAudit(path string) ([]Entry, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journal: reading %s: %w", path, err)
	}
	var out []Entry
	for n := 1; len(b) > 0; n++ {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break // torn last line: Append never finished it
		}
		line := b[:i]
		b = b[i+1:]
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("journal: %s:%d: not an audit entry (%v); the file was changed by something other than quorate. Move it away to start a new log, or delete that line", path, n, err)
		}
		out = append(out, e)
	}
	return out, nil
}
