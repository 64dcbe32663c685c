package reconciler

import (
	"fmt"
	"strings"

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
	// FactLinkConnected: on Node, corosync-cfgtool -s shows link Link with
	// every nodeid in Peers connected.
	FactLinkConnected
	// FactLinkAbsent: Node's corosync no longer has link Link.
	FactLinkAbsent
	// FactNotMember: nodeid NodeID (Node) is not in the membership Via sees.
	FactNotMember
	// FactUnreachable: Node does not answer over SSH (powered off or cut off).
	FactUnreachable
	// FactNoReferences: no guest, HA resource or group, or replication job
	// names Node (from the cluster's API).
	FactNoReferences
	// FactConfLacksNode: Via's /etc/pve/corosync.conf has no node named Node.
	FactConfLacksNode
	// FactNoNodeDir: /etc/pve/nodes/Node does not exist.
	FactNoNodeDir
	// FactSharedFile: the shared file Path has Digest.
	FactSharedFile
	// FactVotes: Via's membership shows nodeid NodeID with Votes votes.
	FactVotes
	// FactJoinable: Node passes Proxmox's join check with the link addresses
	// in Links (reference §2.9 assert_joinable).
	FactJoinable
	// FactExpectedVotes: Node's votequorum runs with Votes expected votes.
	FactExpectedVotes
	// FactVotesAtMost: Node's partition has at most Votes votes present (so
	// corosync accepts expected votes of Votes, reference §7.3).
	FactVotesAtMost
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
	FactLinkConnected:     "LinkConnected",
	FactLinkAbsent:        "LinkAbsent",
	FactNotMember:         "NotMember",
	FactUnreachable:       "Unreachable",
	FactNoReferences:      "NoReferences",
	FactConfLacksNode:     "ConfLacksNode",
	FactNoNodeDir:         "NoNodeDir",
	FactSharedFile:        "SharedFile",
	FactVotes:             "Votes",
	FactJoinable:          "Joinable",
	FactExpectedVotes:     "ExpectedVotes",
	FactVotesAtMost:       "VotesAtMost",
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
	Link    int      `json:"link,omitempty"`
	Peers   []int    `json:"peers,omitempty"`
	Votes   int      `json:"votes,omitempty"`
	Path    string   `json:"path,omitempty"`
	// Links are link addresses (FactJoinable).
	Links []LinkAddress `json:"links,omitempty"`
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
	case FactLinkConnected:
		return fmt.Sprintf("%s: link %d connected to nodeids %s", f.Node, f.Link, ints(f.Peers))
	case FactLinkAbsent:
		return fmt.Sprintf("%s: link %d is gone", f.Node, f.Link)
	case FactNotMember:
		return fmt.Sprintf("%s (nodeid %d) is not in the membership (seen from %s)", f.Node, f.NodeID, f.Via)
	case FactUnreachable:
		return fmt.Sprintf("%s does not answer (powered off or cut off)", f.Node)
	case FactNoReferences:
		return fmt.Sprintf("no guest, HA resource or group, or replication job refers to %s", f.Node)
	case FactConfLacksNode:
		return fmt.Sprintf("/etc/pve/corosync.conf (seen from %s) has no node %s", f.Via, f.Node)
	case FactNoNodeDir:
		return fmt.Sprintf("/etc/pve/nodes/%s does not exist", f.Node)
	case FactSharedFile:
		return fmt.Sprintf("%s is %s", f.Path, short(f.Digest))
	case FactVotes:
		return fmt.Sprintf("nodeid %d (%s) has %d vote(s) (seen from %s)", f.NodeID, f.Node, f.Votes, f.Via)
	case FactExpectedVotes:
		return fmt.Sprintf("%s runs with %d expected votes", f.Node, f.Votes)
	case FactVotesAtMost:
		return fmt.Sprintf("%s's partition has at most %d vote(s) present", f.Node, f.Votes)
	case FactJoinable:
		return fmt.Sprintf("%s passes Proxmox's join check (no cluster config, no authkey, corosync stopped, no guests, link addresses configured)", f.Node)
	}
	return f.Kind.String()
}

// nodeFact reports whether the fact needs Node in the observation.
func nodeFact(k FactKind) bool {
	switch k {
	case FactNotMember, FactUnreachable, FactNoReferences, FactConfLacksNode, FactNoNodeDir, FactSharedFile, FactVotes, FactJoinable:
		return false
	}
	return true
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
	if n == nil && nodeFact(f.Kind) {
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
	case FactExpectedVotes, FactVotesAtMost:
		if n.Quorum == nil {
			return fmt.Errorf("%s: corosync is not running (%s)", f.Node, n.Corosync)
		}
		if f.Kind == FactExpectedVotes && n.Quorum.ExpectedVotes != f.Votes {
			return fmt.Errorf("%s: expected votes are %d", f.Node, n.Quorum.ExpectedVotes)
		}
		if f.Kind == FactVotesAtMost && n.Quorum.TotalVotes > f.Votes {
			return fmt.Errorf("%s: %d votes are present; corosync refuses expected votes below that", f.Node, n.Quorum.TotalVotes)
		}
	case FactRuntimeVersion:
		if n.RuntimeVersion == nil {
			return fmt.Errorf("%s: corosync is not running (%s)", f.Node, n.Corosync)
		}
		if *n.RuntimeVersion != f.Version {
			return fmt.Errorf("%s: runs config_version %d, expected %d", f.Node, *n.RuntimeVersion, f.Version)
		}
	default:
		return f.checkShared(obs)
	}
	return nil
}

// checkShared evaluates the facts about links, membership and the shared
// filesystem; they may name nodes that are not observed (a removed node).
func (f Fact) checkShared(obs *state.Cluster) error {
	switch f.Kind {
	case FactLinkConnected:
		n := obs.Node(f.Node)
		for _, l := range n.Links {
			if l.Number != f.Link {
				continue
			}
			status := map[int]string{}
			for _, p := range l.Peers {
				status[p.NodeID] = p.Status
			}
			for _, id := range f.Peers {
				if st := status[id]; st != "connected" && st != "localhost" {
					return fmt.Errorf("%s: link %d to nodeid %d is %q", f.Node, f.Link, id, st)
				}
			}
			return nil
		}
		return fmt.Errorf("%s: no link %d in corosync-cfgtool -s", f.Node, f.Link)
	case FactLinkAbsent:
		for _, l := range obs.Node(f.Node).Links {
			if l.Number == f.Link {
				return fmt.Errorf("%s: link %d is still configured", f.Node, f.Link)
			}
		}
	case FactNotMember:
		via := obs.Node(f.Via)
		if via == nil || via.Quorum == nil {
			return fmt.Errorf("%s: cannot see the membership", f.Via)
		}
		if via.Quorum.HasMember(f.NodeID) {
			if f.NodeID == 0 {
				return fmt.Errorf("the qdevice is still registered in the membership")
			}
			return fmt.Errorf("%s (nodeid %d) is still in the membership; it must be powered off first", f.Node, f.NodeID)
		}
	case FactUnreachable:
		if n := obs.Node(f.Node); n != nil && n.SSH.OK {
			return fmt.Errorf("%s answers over SSH (corosync %s); quorate never removes a node that is up: power it off first", f.Node, n.Corosync)
		}
	case FactNoReferences:
		refs, ok := obs.Shared.References(f.Node)
		if !ok {
			return fmt.Errorf("the cluster's guests, HA and replication could not be read, so references to %s are unknown", f.Node)
		}
		if len(refs) > 0 {
			return fmt.Errorf("still referenced: %s", strings.Join(refs, ", "))
		}
	case FactConfLacksNode:
		via := obs.Node(f.Via)
		if via == nil || !via.ClusterConf.Present {
			return fmt.Errorf("%s: /etc/pve/corosync.conf not readable", f.Via)
		}
		conf, err := via.ClusterConf.Parsed()
		if err != nil {
			return err
		}
		for _, n := range conf.Nodes() {
			if n.Name == f.Node {
				return fmt.Errorf("%s is still in /etc/pve/corosync.conf (v%d)", f.Node, via.ClusterConf.Version)
			}
		}
	case FactNoNodeDir:
		if obs.Shared == nil {
			return fmt.Errorf("the shared filesystem was not read")
		}
		for _, d := range obs.Shared.NodeDirs {
			if d == f.Node {
				return fmt.Errorf("/etc/pve/nodes/%s still exists", f.Node)
			}
		}
	case FactSharedFile:
		if obs.Shared == nil {
			return fmt.Errorf("the shared filesystem was not read")
		}
		got := sharedFile(obs.Shared, f.Path)
		if got.Digest != f.Digest {
			return fmt.Errorf("%s is %s, expected %s", f.Path, short(got.Digest), short(f.Digest))
		}
	case FactJoinable:
		if problems := joinProblems(obs.Node(f.Node), f.Links); len(problems) > 0 {
			return fmt.Errorf("%s cannot join: %s", f.Node, strings.Join(problems, "; "))
		}
	case FactVotes:
		via := obs.Node(f.Via)
		if via == nil || via.Quorum == nil {
			return fmt.Errorf("%s: cannot see the membership", f.Via)
		}
		for _, m := range via.Quorum.Members {
			if m.NodeID == f.NodeID {
				if m.Votes != f.Votes {
					return fmt.Errorf("nodeid %d has %d vote(s)", f.NodeID, m.Votes)
				}
				return nil
			}
		}
		return fmt.Errorf("nodeid %d is not in the membership", f.NodeID)
	default:
		return fmt.Errorf("unknown fact %v", f.Kind)
	}
	return nil
}

// Shared file paths facts may name.
const (
	authorizedKeysPath = "/etc/pve/priv/authorized_keys"
	knownHostsPath     = "/etc/pve/priv/known_hosts"
)

func sharedFile(sh *state.Shared, path string) state.FileCopy {
	switch path {
	case authorizedKeysPath:
		return sh.AuthorizedKeys
	case knownHostsPath:
		return sh.KnownHosts
	}
	return state.FileCopy{}
}

func ints(v []int) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ",")
}
