package status

import (
	"encoding/json"
	"fmt"
	"time"
)

// ClusterStatus is what the controller last concluded about one cluster. It
// is written as JSON (field names in camelCase, as Kubernetes writes status)
// to the Store and served on /status.
type ClusterStatus struct {
	// Cluster is the cluster's name (metadata.name), or the file's base name
	// when the file did not load.
	Cluster string `json:"cluster"`
	// File is the declaration's path.
	File string `json:"file"`
	// Generation is the declaration's current generation (content hash or
	// Git commit); a condition with another ObservedGeneration is about an
	// older file.
	Generation string `json:"generation,omitempty"`
	// Revision is the Git commit checked out in the clusters directory when
	// it is a Git work tree ("" otherwise): which commit asked for this.
	Revision string `json:"revision,omitempty"`
	// Conditions holds Ready, Reconciling and Stalled once a reconcile ended;
	// before that it may be empty.
	Conditions []Condition `json:"conditions"`
	// LastReconcile is when the last reconcile started (zero: none yet).
	LastReconcile time.Time `json:"lastReconcile,omitzero"`
	// LastDuration is how long it took. In JSON it is a Go duration string
	// rounded to the millisecond ("1.234s"); a number is read as seconds.
	LastDuration time.Duration `json:"-"`
	// NextReconcile is when the next reconcile is due; zero means it waits
	// for the declaration to change (an invalid file).
	NextReconcile time.Time `json:"nextReconcile,omitzero"`
	// ConsecutiveFailures counts failed reconciles since the last one that
	// did not fail; it drives the backoff.
	ConsecutiveFailures int `json:"consecutiveFailures"`
	// PendingActions is how many actions the last plan held; Blocked how
	// many differences it refused to act on.
	PendingActions int `json:"pendingActions"`
	Blocked        int `json:"blocked"`
	// Quorate, TotalVotes and Quorum are votequorum's view from the last
	// observation. Quorate is nil (and the numbers 0) when no observation
	// was made.
	Quorate    *bool `json:"quorate,omitempty"`
	TotalVotes int   `json:"totalVotes,omitempty"`
	Quorum     int   `json:"quorum,omitempty"`
	// Lock is the cluster lock as the last reconcile saw it: ours while
	// applying, or the other holder's when it was refused. nil when the
	// reconcile did not need the lock.
	Lock *LockInfo `json:"lock,omitempty"`
	// LastError is the last reconcile's error, shortened to a few lines; ""
	// when it did not fail.
	LastError string `json:"lastError,omitempty"`
}

// LockInfo describes who holds a cluster's lock.
type LockInfo struct {
	// Holder names the holder (a replica's identity, or a person's).
	Holder string `json:"holder"`
	// Node is the member the lock was taken through.
	Node string `json:"node"`
	// Since is when it was taken.
	Since time.Time `json:"since,omitzero"`
	// Ours is true when this replica holds it.
	Ours bool `json:"ours"`
}

// clusterStatusJSON is ClusterStatus without its methods (so marshalling it
// does not recurse), plus the duration in its written form.
type clusterStatusJSON struct {
	plain
	LastDuration json.RawMessage `json:"lastDuration,omitempty"`
}

type plain ClusterStatus

// MarshalJSON writes the status with LastDuration as a duration string.
func (s ClusterStatus) MarshalJSON() ([]byte, error) {
	out := clusterStatusJSON{plain: plain(s)}
	if s.LastDuration != 0 {
		out.LastDuration, _ = json.Marshal(s.LastDuration.Round(time.Millisecond).String())
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes. lastDuration may also be a
// number of seconds, the form Prometheus and most JSON consumers use.
func (s *ClusterStatus) UnmarshalJSON(b []byte) error {
	var in clusterStatusJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*s = ClusterStatus(in.plain)
	s.LastDuration = 0
	if len(in.LastDuration) == 0 || string(in.LastDuration) == "null" {
		return nil
	}
	var str string
	if err := json.Unmarshal(in.LastDuration, &str); err == nil {
		d, err := time.ParseDuration(str)
		if err != nil {
			return fmt.Errorf("lastDuration %q is not a duration (want e.g. \"1.5s\")", str)
		}
		s.LastDuration = d
		return nil
	}
	var secs float64
	if err := json.Unmarshal(in.LastDuration, &secs); err != nil {
		return fmt.Errorf("lastDuration %s is neither a duration string nor a number of seconds", in.LastDuration)
	}
	s.LastDuration = time.Duration(secs * float64(time.Second))
	return nil
}
