package reconciler

import (
	"fmt"

	"github.com/quorate/quorate/state"
)

// FactKind names a checkable statement about an observation.
type FactKind int

// Fact kinds. Each is evaluated by Fact.Check against a fresh observation.
const (
	// FactClusterQuorate: the node Node (the authority) reports a quorate cluster.
	FactClusterQuorate FactKind = iota + 1
	// FactClusterConf: Node's /etc/pve/corosync.conf has Digest (the cluster's
	// config did not change since planning).
	FactClusterConf
	// FactLocalVersionBelow: Node's /etc/corosync/corosync.conf is absent or its
	// config_version is below Version.
	FactLocalVersionBelow
	// FactLocalConf: Node's /etc/corosync/corosync.conf has Digest.
	FactLocalConf
	// FactQuorumWithout: the cluster stays quorate if Node's corosync stops
	// (predicted from Via's votequorum view).
	FactQuorumWithout
	// FactMember: Node (nodeid NodeID) is in the membership Via reports.
	FactMember
	// FactRuntimeVersion: Node's running corosync has config_version Version.
	FactRuntimeVersion
	// FactNodeQuorate: Node's own corosync reports quorate.
	FactNodeQuorate
	// FactPmxcfsConf: Node's pmxcfs shows /etc/pve/corosync.conf with Digest.
	FactPmxcfsConf
)

var factNames = map[FactKind]string{
	FactClusterQuorate:    "ClusterQuorate",
	FactClusterConf:       "ClusterConf",
	FactLocalVersionBelow: "LocalVersionBelow",
	FactLocalConf:         "LocalConf",
	FactQuorumWithout:     "QuorumWithout",
	FactMember:            "Member",
	FactRuntimeVersion:    "RuntimeVersion",
	FactNodeQuorate:       "NodeQuorate",
	FactPmxcfsConf:        "PmxcfsConf",
}

// String returns the kind's name.
func (k FactKind) String() string {
	if s, ok := factNames[k]; ok {
		return s
	}
	return fmt.Sprintf("FactKind(%d)", int(k))
}

// MarshalText writes the kind's name (JSON plans).
func (k FactKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name.
func (k *FactKind) UnmarshalText(b []byte) error {
	for kk, s := range factNames {
		if s == string(b) {
			*k = kk
			return nil
		}
	}
	return fmt.Errorf("unknown fact kind %q", b)
}

// Fact is one statement a fresh observation must show. Facts are data so that a
// saved plan carries them and Apply re-checks them.
type Fact struct {
	Kind    FactKind `json:"kind"`
	Node    string   `json:"node,omitempty"`
	Via     string   `json:"via,omitempty"`
	NodeID  int      `json:"nodeid,omitempty"`
	Version uint64   `json:"version,omitempty"`
	Digest  string   `json:"digest,omitempty"`
}

// String renders the fact for plan text.
func (f Fact) String() string {
	switch f.Kind {
	case FactClusterQuorate:
		return fmt.Sprintf("cluster is quorate (seen from %s)", f.Node)
	case FactClusterConf:
		return fmt.Sprintf("cluster corosync.conf on %s is unchanged (%s)", f.Node, short(f.Digest))
	case FactLocalVersionBelow:
		return fmt.Sprintf("%s local corosync.conf version < %d", f.Node, f.Version)
	case FactLocalConf:
		return fmt.Sprintf("%s local corosync.conf is the cluster's (%s)", f.Node, short(f.Digest))
	case FactQuorumWithout:
		return fmt.Sprintf("cluster stays quorate without %s's corosync (seen from %s)", f.Node, f.Via)
	case FactMember:
		return fmt.Sprintf("%s (nodeid %d) is in the membership (seen from %s)", f.Node, f.NodeID, f.Via)
	case FactRuntimeVersion:
		return fmt.Sprintf("%s runs config_version %d", f.Node, f.Version)
	case FactNodeQuorate:
		return fmt.Sprintf("%s is quorate", f.Node)
	case FactPmxcfsConf:
		return fmt.Sprintf("%s /etc/pve/corosync.conf is the cluster's (%s)", f.Node, short(f.Digest))
	}
	return f.Kind.String()
}

func short(digest string) string {
	if len(digest) > 12 {
		return digest[:12]
	}
	return digest
}

// Check evaluates the fact against obs. It returns nil when the fact holds, or
// an error that says what was seen instead.
func (f Fact) Check(obs *state.Cluster) error {
	n := obs.Node(f.Node)
	if n == nil {
		return fmt.Errorf("%s was not observed", f.Node)
	}
	switch f.Kind {
	case FactClusterQuorate, FactNodeQuorate:
		if n.Quorum == nil {
			return fmt.Errorf("%s: corosync is not running (%s)", f.Node, n.Corosync)
		}
		if !n.Quorum.Quorate {
			return fmt.Errorf("%s: not quorate (%d of %d votes, quorum %d)", f.Node, n.Quorum.TotalVotes, n.Quorum.ExpectedVotes, n.Quorum.Quorum)
		}
	case FactClusterConf, FactPmxcfsConf:
		if !n.ClusterConf.Present {
			return fmt.Errorf("%s: /etc/pve/corosync.conf not readable", f.Node)
		}
		if n.ClusterConf.Digest != f.Digest {
			return fmt.Errorf("%s: /etc/pve/corosync.conf is %s (v%d), expected %s", f.Node, short(n.ClusterConf.Digest), n.ClusterConf.Version, short(f.Digest))
		}
	case FactLocalVersionBelow:
		if n.LocalConf.Present && n.LocalConf.Version >= f.Version {
			return fmt.Errorf("%s: local corosync.conf is already version %d", f.Node, n.LocalConf.Version)
		}
		if !n.SSH.OK {
			return fmt.Errorf("%s: not reachable over SSH: %s", f.Node, n.SSH.Error)
		}
	case FactLocalConf:
		if !n.LocalConf.Present || n.LocalConf.Digest != f.Digest {
			return fmt.Errorf("%s: local corosync.conf is %s (v%d), expected %s", f.Node, short(n.LocalConf.Digest), n.LocalConf.Version, short(f.Digest))
		}
	case FactQuorumWithout:
		via := obs.Node(f.Via)
		if via == nil || via.Quorum == nil {
			return fmt.Errorf("%s: no quorum view to predict from", f.Via)
		}
		if !QuorateWithout(via.Quorum, f.NodeID) {
			return fmt.Errorf("stopping %s would leave %d votes against a quorum of %d", f.Node, votesWithout(via.Quorum, f.NodeID), via.Quorum.Quorum)
		}
	case FactMember:
		via := obs.Node(f.Via)
		if via == nil || via.Quorum == nil {
			return fmt.Errorf("%s: corosync is not running, cannot see the membership", f.Via)
		}
		if !via.Quorum.HasMember(f.NodeID) {
			return fmt.Errorf("%s: nodeid %d is not in the membership (%d nodes)", f.Via, f.NodeID, via.Quorum.Nodes)
		}
	case FactRuntimeVersion:
		if n.RuntimeVersion == nil {
			return fmt.Errorf("%s: corosync is not running (%s)", f.Node, n.Corosync)
		}
		if *n.RuntimeVersion != f.Version {
			return fmt.Errorf("%s: runs config_version %d, expected %d", f.Node, *n.RuntimeVersion, f.Version)
		}
	default:
		return fmt.Errorf("unknown fact %v", f.Kind)
	}
	return nil
}
