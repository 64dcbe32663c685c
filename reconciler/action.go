package reconciler

import (
	"fmt"
)

// Kind is the kind of an action.
type Kind int

// Action kinds. Issue #3 adds the membership kinds.
const (
	// ResyncCorosyncConf installs the cluster's corosync.conf on a node whose
	// local copy is older (the CMAP "Received config version" refusal, reference
	// §5.2 and §5.4) and restarts its corosync and pve-cluster.
	ResyncCorosyncConf Kind = iota + 1
	// StartClusterServices starts corosync and pve-cluster on a node that
	// already has the cluster's corosync.conf (an interrupted resync, or a node
	// whose services were left stopped).
	StartClusterServices
	// ReloadCorosync runs `corosync-cfgtool -R` so that running nodes whose
	// runtime config_version lags their (already current) file re-read it:
	// after a partition heals, pmxcfs copies the newer file to the returning
	// node without triggering a reload there (reference §5.1, LAB).
	ReloadCorosync
	// AddLink adds link Link (interface section + ringN_addr on every node)
	// with one corosync.conf edit; applied live by a reload (reference §8.1).
	AddLink
	// RemoveLink removes link Link from every node and totem, live; only while
	// another link connects every pair.
	RemoveLink
	// SetLinkPriority changes knet_link_priority of link Link (live, §8.1;
	// in passive mode the highest number wins, §4.5).
	SetLinkPriority
	// SetVotes changes a member's quorum_votes (live, §7.3).
	SetVotes
	// RemoveMember deletes a powered-off member with `pvecm delnode` (§2.7).
	RemoveMember
	// JoinMember joins a declared node to the cluster with `pvecm add` run on
	// it (reference §2.9, §3.2), then learns its new certificate fingerprint.
	JoinMember
	// SetQuorumOptions writes two_node, wait_for_all and expected_votes as
	// declared (Proxmox writes none of them; two_node and expected_votes apply
	// live, wait_for_all at corosync's next restart, reference §7.2, §7.3).
	SetQuorumOptions
	// SetExpectedVotes sets a declared temporary expected-votes override at
	// runtime (`pvecm expected N`, reference §3.5, §7.3).
	SetExpectedVotes
	// ClearExpectedVotes ends an expired override with a reload, which
	// re-derives expected votes from corosync.conf (reference §7.3).
	ClearExpectedVotes
	// SetupQDevice runs `pvecm qdevice setup HOST` (with --force for lms on an
	// odd node count, reference §3.9).
	SetupQDevice
	// RemoveQDevice runs `pvecm qdevice remove` (reference §3.10); done before
	// members are added or removed (pvecm docs).
	RemoveQDevice
	// CleanupRemovedNode archives and removes what delnode leaves behind:
	// /etc/pve/nodes/NAME, its root key in /etc/pve/priv/authorized_keys and
	// its lines in /etc/pve/priv/known_hosts (pve-docs "Cleanup Steps After
	// Node Removal", reference §9).
	CleanupRemovedNode
)

var kindNames = map[Kind]string{
	ResyncCorosyncConf:   "ResyncCorosyncConf",
	StartClusterServices: "StartClusterServices",
	ReloadCorosync:       "ReloadCorosync",
	AddLink:              "AddLink",
	RemoveLink:           "RemoveLink",
	SetLinkPriority:      "SetLinkPriority",
	SetVotes:             "SetVotes",
	RemoveMember:         "RemoveMember",
	CleanupRemovedNode:   "CleanupRemovedNode",
	JoinMember:           "JoinMember",
	SetQuorumOptions:     "SetQuorumOptions",
	SetExpectedVotes:     "SetExpectedVotes",
	ClearExpectedVotes:   "ClearExpectedVotes",
	SetupQDevice:         "SetupQDevice",
	RemoveQDevice:        "RemoveQDevice",
}

// String returns the kind's name.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// MarshalText writes the kind's name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	for kk, s := range kindNames {
		if s == string(b) {
			*k = kk
			return nil
		}
	}
	return fmt.Errorf("unknown action kind %q", b)
}

// Action is one change to one target, with the facts that must hold before it
// runs (Pre) and after it (Post). If Post already holds, Apply treats the action
// as done. Reason and Diff are for people; they are not checked.
type Action struct {
	Kind   Kind   `json:"kind"`
	Target string `json:"target"`
	Reason string `json:"reason"`
	// FromVersion and ToVersion are the config_version before and after, when
	// the action writes corosync.conf.
	FromVersion uint64 `json:"from_version,omitempty"`
	ToVersion   uint64 `json:"to_version,omitempty"`
	// Diff is a unified diff of the file the action replaces.
	Diff string `json:"diff,omitempty"`
	// Votes is the quorum arithmetic before and after the action, for
	// actions that change the nodelist, votes or membership.
	Votes *VoteChange `json:"votes,omitempty"`
	Pre   []Fact      `json:"pre"`
	Post  []Fact      `json:"post"`
	Steps []Step      `json:"steps"`
}

// Summary is the one-line description used in plan text.
func (a Action) Summary() string {
	switch a.Kind {
	case ResyncCorosyncConf:
		if a.FromVersion == 0 {
			return fmt.Sprintf("resync %s: local corosync.conf missing → cluster v%d", a.Target, a.ToVersion)
		}
		return fmt.Sprintf("resync %s: local corosync.conf v%d → cluster v%d", a.Target, a.FromVersion, a.ToVersion)
	case ReloadCorosync:
		return fmt.Sprintf("reload corosync from %s: runtime config_version behind the file (v%d)", a.Target, a.ToVersion)
	case StartClusterServices:
		return fmt.Sprintf("start corosync and pve-cluster on %s (it has the cluster's corosync.conf v%d)", a.Target, a.ToVersion)
	}
	return fmt.Sprintf("%s %s", a.Kind, a.Target)
}

// StepKind is the kind of a step.
type StepKind int

// Step kinds; clusters/ maps each to node commands (clusters/commands.go).
const (
	// StepStopService stops Unit on Node (systemctl stop).
	StepStopService StepKind = iota + 1
	// StepStartService starts Unit on Node (systemctl start).
	StepStartService
	// StepBackupFile copies Path on Node to BackupPath (on the node), and the
	// controller keeps its own copy of the bytes it observed.
	StepBackupFile
	// StepInstallFile writes Content to Path+".new" on Node and renames it onto
	// Path. The executor refuses when the file it replaces has a config_version
	// at or above Version (never write a lower corosync.conf).
	StepInstallFile
	// StepReloadCorosync runs corosync-cfgtool -R on Node (every member re-reads
	// its own file) and checks config.reload_status, because from corosync
	// 3.1.9 a rejected reload can exit 0 (reference §7.6).
	StepReloadCorosync
	// StepEditClusterConf replaces /etc/pve/corosync.conf on Node (any quorate
	// member; pmxcfs replicates it and reloads corosync everywhere) following
	// Proxmox's procedure (reference §4.3): take the cluster lock
	// file-corosync_conf, check the file still has BaseDigest, refuse unless
	// Version is higher than the file's, copy it to corosync.conf.bak and to
	// the node's backup dir, write corosync.conf.new, rename it onto
	// corosync.conf, read it back, release the lock.
	StepEditClusterConf
	// StepDelnode runs `pvecm delnode Target` on Node (§2.7, §3.4).
	StepDelnode
	// StepArchiveNodeDir copies /etc/pve/nodes/Target to BackupPath on Node
	// (a local directory under /var/lib/quorate/archive).
	StepArchiveNodeDir
	// StepRemoveNodeDir removes /etc/pve/nodes/Target (replicated by pmxcfs).
	StepRemoveNodeDir
	// StepEditClusterFile replaces a file under /etc/pve (Path) on Node with
	// Content, if it still has BaseDigest: .new then rename.
	StepEditClusterFile
	// StepJoin runs `pvecm add Peer --fingerprint Fingerprint --nodeid NodeID
	// --votes Votes --linkN ADDR...` on Node, root@pam's password on stdin.
	// pvecm add can exit 0 after a failed join, so the executor reads its
	// output, and the action's postconditions decide (reference §3, §11.4).
	StepJoin
	// StepSetExpected runs `pvecm expected Votes` on Node.
	StepSetExpected
	// StepQDeviceSetup runs `pvecm qdevice setup Peer [--force]` on Node
	// (Force for lms on an odd node count). It needs root SSH from Node to
	// the qnetd host without a password.
	StepQDeviceSetup
	// StepQDeviceRemove runs `pvecm qdevice remove` on Node.
	StepQDeviceRemove
	// StepHADisarm runs `ha-manager crm-command disarm-ha freeze` on Node:
	// every HA watchdog is released cluster-wide, resources keep their state
	// (Proxmox VE 9.2+).
	StepHADisarm
	// StepHAArm runs `ha-manager crm-command arm-ha` on Node. Planned with
	// Always, so it runs even when an earlier step of its action failed.
	StepHAArm
	// StepLearnFingerprint reads Target's new certificate fingerprint from
	// Node's API (GET /cluster/config/join, pve_fp) and records it in the
	// controller's pins: joining regenerates the certificate (reference §1.1).
	StepLearnFingerprint
)

var stepNames = map[StepKind]string{
	StepStopService:      "StopService",
	StepStartService:     "StartService",
	StepBackupFile:       "BackupFile",
	StepInstallFile:      "InstallFile",
	StepReloadCorosync:   "ReloadCorosync",
	StepEditClusterConf:  "EditClusterConf",
	StepDelnode:          "Delnode",
	StepArchiveNodeDir:   "ArchiveNodeDir",
	StepRemoveNodeDir:    "RemoveNodeDir",
	StepEditClusterFile:  "EditClusterFile",
	StepJoin:             "Join",
	StepLearnFingerprint: "LearnFingerprint",
	StepSetExpected:      "SetExpected",
	StepQDeviceSetup:     "QDeviceSetup",
	StepQDeviceRemove:    "QDeviceRemove",
	StepHADisarm:         "HADisarm",
	StepHAArm:            "HAArm",
}

// String returns the step kind's name.
func (k StepKind) String() string {
	if s, ok := stepNames[k]; ok {
		return s
	}
	return fmt.Sprintf("StepKind(%d)", int(k))
}

// MarshalText writes the step kind's name.
func (k StepKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a step kind's name.
func (k *StepKind) UnmarshalText(b []byte) error {
	for kk, s := range stepNames {
		if s == string(b) {
			*k = kk
			return nil
		}
	}
	return fmt.Errorf("unknown step kind %q", b)
}

// Step is one operation on one node. Fields not used by a kind are empty.
type Step struct {
	Kind       StepKind `json:"kind"`
	Node       string   `json:"node"`
	Unit       string   `json:"unit,omitempty"`
	Path       string   `json:"path,omitempty"`
	BackupPath string   `json:"backup_path,omitempty"`
	// Content is the file content InstallFile writes; Digest its SHA-256 hex and
	// Version its config_version.
	Content string `json:"content,omitempty"`
	Digest  string `json:"digest,omitempty"`
	Version uint64 `json:"version,omitempty"`
	// BaseDigest is the SHA-256 hex the file must still have before an edit
	// replaces it (compare-and-swap: nobody changed it since planning).
	BaseDigest string `json:"base_digest,omitempty"`
	// Target is the node a cluster-wide step acts on (delnode, node dirs).
	Target string `json:"target,omitempty"`
	// Join: the member to contact (its address), its pinned certificate
	// fingerprint, and the joining node's nodeid, votes and link addresses.
	Peer        string        `json:"peer,omitempty"`
	Fingerprint string        `json:"fingerprint,omitempty"`
	NodeID      int           `json:"nodeid,omitempty"`
	Votes       int           `json:"votes,omitempty"`
	Links       []LinkAddress `json:"links,omitempty"`
	// Force adds --force (qdevice setup with lms).
	Force bool `json:"force,omitempty"`
	// Always runs the step even after an earlier step of the same action
	// failed (re-arming HA).
	Always bool `json:"always,omitempty"`
}

// LinkAddress is a node's address on one link.
type LinkAddress struct {
	Link    int    `json:"link"`
	Address string `json:"address"`
}

// String describes the step for progress lines and plan text.
func (s Step) String() string {
	switch s.Kind {
	case StepStopService:
		return fmt.Sprintf("stop %s on %s", s.Unit, s.Node)
	case StepStartService:
		return fmt.Sprintf("start %s on %s", s.Unit, s.Node)
	case StepBackupFile:
		return fmt.Sprintf("back up %s on %s to %s", s.Path, s.Node, s.BackupPath)
	case StepReloadCorosync:
		return fmt.Sprintf("corosync-cfgtool -R on %s (every member re-reads its file)", s.Node)
	case StepEditClusterConf:
		return fmt.Sprintf("write /etc/pve/corosync.conf v%d on %s (cluster lock, .bak, .new, rename; pmxcfs copies it to every node and reloads)", s.Version, s.Node)
	case StepDelnode:
		return fmt.Sprintf("pvecm delnode %s on %s", s.Target, s.Node)
	case StepArchiveNodeDir:
		return fmt.Sprintf("archive /etc/pve/nodes/%s on %s to %s", s.Target, s.Node, s.BackupPath)
	case StepRemoveNodeDir:
		return fmt.Sprintf("remove /etc/pve/nodes/%s on %s", s.Target, s.Node)
	case StepEditClusterFile:
		return fmt.Sprintf("rewrite %s on %s (.new, then rename)", s.Path, s.Node)
	case StepJoin:
		return fmt.Sprintf("pvecm add %s on %s (nodeid %d, votes %d, fingerprint %s)", s.Peer, s.Node, s.NodeID, s.Votes, short(s.Fingerprint))
	case StepQDeviceSetup:
		if s.Force {
			return fmt.Sprintf("pvecm qdevice setup %s --force on %s", s.Peer, s.Node)
		}
		return fmt.Sprintf("pvecm qdevice setup %s on %s", s.Peer, s.Node)
	case StepQDeviceRemove:
		return fmt.Sprintf("pvecm qdevice remove on %s", s.Node)
	case StepHADisarm:
		return fmt.Sprintf("ha-manager crm-command disarm-ha freeze on %s (HA watchdogs released cluster-wide)", s.Node)
	case StepHAArm:
		return fmt.Sprintf("ha-manager crm-command arm-ha on %s (runs even if a step above fails)", s.Node)
	case StepSetExpected:
		return fmt.Sprintf("pvecm expected %d on %s (runtime only)", s.Votes, s.Node)
	case StepLearnFingerprint:
		return fmt.Sprintf("learn %s's new certificate fingerprint from %s's API", s.Target, s.Node)
	case StepInstallFile:
		return fmt.Sprintf("install %s v%d on %s (%s.new, then rename)", s.Path, s.Version, s.Node, s.Path)
	}
	return s.Kind.String()
}
