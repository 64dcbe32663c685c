package state

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/quorate/quorate/state/corosync"
)

// FormatVersion is the version of the JSON form of Cluster. It changes only when
// a field changes meaning or is removed; new fields may appear without a bump.
const FormatVersion = 1

// Cluster is one observation of a cluster. Nodes are sorted by name.
type Cluster struct {
	FormatVersion int       `json:"format_version"`
	Name          string    `json:"name"`
	ObservedAt    time.Time `json:"observed_at"`
	Nodes         []Node    `json:"nodes"`
	// Shared is what the cluster's replicated filesystem and API say, read
	// from the authority after the per-node pass; nil when there was no
	// authority to read it from.
	Shared *Shared `json:"shared,omitempty"`
}

// Shared is the cluster-wide data quorate reads once, from one quorate node.
type Shared struct {
	// From is the node it was read from.
	From string `json:"from"`
	// NodeDirs lists /etc/pve/nodes (one directory per node ever added and
	// not cleaned up), sorted.
	NodeDirs []string `json:"node_dirs"`
	// AuthorizedKeys is /etc/pve/priv/authorized_keys; KnownHosts is the
	// legacy /etc/pve/priv/known_hosts (reference §9).
	AuthorizedKeys FileCopy `json:"authorized_keys"`
	KnownHosts     FileCopy `json:"known_hosts"`
	// APIError is set when the API reads below failed; the lists are then
	// unknown (nil), never taken for empty.
	APIError string `json:"api_error,omitempty"`
	// Guests is GET /cluster/resources?type=vm.
	Guests []Guest `json:"guests"`
	// HAResources and HAGroups are GET /cluster/ha/resources and
	// /cluster/ha/groups.
	HAResources []HAResource `json:"ha_resources"`
	HAGroups    []HAGroup    `json:"ha_groups"`
	// HARules is GET /cluster/ha/rules (Proxmox VE 9 replaced HA groups with
	// rules; an API without the endpoint gives an empty list).
	HARules []HARule `json:"ha_rules"`
	// Replication is GET /cluster/replication.
	Replication []ReplicationJob `json:"replication"`
}

// FileCopy is a plain file read from a node.
type FileCopy struct {
	Present bool   `json:"present"`
	Content string `json:"content,omitempty"`
	Digest  string `json:"digest,omitempty"` // SHA-256 hex of Content
}

// NewFileCopy describes raw as a present file.
func NewFileCopy(raw []byte) FileCopy {
	sum := sha256.Sum256(raw)
	return FileCopy{Present: true, Content: string(raw), Digest: hex.EncodeToString(sum[:])}
}

// Guest is a VM or container and the node it is on.
type Guest struct {
	VMID int    `json:"vmid"`
	Type string `json:"type"` // qemu or lxc
	Node string `json:"node"`
	Name string `json:"name,omitempty"`
}

// HAResource is one HA-managed resource, e.g. SID "vm:100".
type HAResource struct {
	SID   string `json:"sid"`
	Group string `json:"group,omitempty"`
	State string `json:"state,omitempty"`
}

// HAGroup is an HA group and the node names it lists (priorities dropped).
type HAGroup struct {
	Group string   `json:"group"`
	Nodes []string `json:"nodes"`
}

// HARule is one HA rule (Proxmox VE 9+): node-affinity rules list nodes,
// resource-affinity rules only resources.
type HARule struct {
	Rule      string   `json:"rule"`
	Type      string   `json:"type"`
	Nodes     []string `json:"nodes,omitempty"`
	Resources []string `json:"resources,omitempty"`
}

// ReplicationJob is one storage replication job, e.g. ID "100-0".
type ReplicationJob struct {
	ID     string `json:"id"`
	Guest  int    `json:"guest"`
	Target string `json:"target"`
	Source string `json:"source,omitempty"`
}

// HAResourcesOn returns the SIDs of the HA resources whose guest runs on
// node ("vm:100" for guest 100).
func (s *Shared) HAResourcesOn(node string) []string {
	if s == nil {
		return nil
	}
	onNode := map[int]bool{}
	for _, g := range s.Guests {
		if g.Node == node {
			onNode[g.VMID] = true
		}
	}
	var out []string
	for _, r := range s.HAResources {
		var id int
		if _, err := fmt.Sscanf(r.SID[strings.IndexByte(r.SID, ':')+1:], "%d", &id); err == nil && onNode[id] {
			out = append(out, r.SID)
		}
	}
	return out
}

// References lists everything in s that still names node: its guests, HA
// resources of those guests, HA groups listing it, and replication jobs from
// or to it. ok is false when the API data is unknown.
func (s *Shared) References(node string) (refs []string, ok bool) {
	if s == nil || s.APIError != "" || s.Guests == nil {
		return nil, false
	}
	for _, g := range s.Guests {
		if g.Node == node {
			refs = append(refs, fmt.Sprintf("%s %d", g.Type, g.VMID))
		}
	}
	for _, sid := range s.HAResourcesOn(node) {
		refs = append(refs, "HA resource "+sid)
	}
	for _, g := range s.HAGroups {
		for _, n := range g.Nodes {
			if n == node {
				refs = append(refs, "HA group "+g.Group)
			}
		}
	}
	for _, r := range s.HARules {
		for _, n := range r.Nodes {
			if n == node {
				refs = append(refs, "HA rule "+r.Rule)
			}
		}
	}
	for _, j := range s.Replication {
		if j.Target == node || j.Source == node {
			refs = append(refs, "replication job "+j.ID)
		}
	}
	return refs, true
}

// Service states as systemctl is-active prints them.
const (
	Active   = "active"
	Inactive = "inactive"
	Failed   = "failed"
	Unknown  = "unknown" // not observed (SSH did not answer)
)

// Node is what one observation saw of one node.
type Node struct {
	Name string `json:"name"`
	// API is the outcome of the node's own HTTPS API.
	API Reach `json:"api"`
	// SSH is the outcome of logging in over SSH.
	SSH Reach `json:"ssh"`
	// PVEVersion is the node's pve-manager version (pveversion), "" when not
	// read.
	PVEVersion string `json:"pve_version,omitempty"`
	// Corosync and PVECluster are the systemd states of corosync.service and
	// pve-cluster.service (Active, Inactive, Failed, or Unknown).
	Corosync   string `json:"corosync"`
	PVECluster string `json:"pve_cluster"`
	// ClusterConf is /etc/pve/corosync.conf as this node's pmxcfs shows it.
	ClusterConf ConfCopy `json:"cluster_conf"`
	// LocalConf is /etc/corosync/corosync.conf, the file corosync reads.
	LocalConf ConfCopy `json:"local_conf"`
	// RuntimeVersion is cmap totem.config_version (nil when corosync is not
	// running or did not answer).
	RuntimeVersion *uint64 `json:"runtime_config_version,omitempty"`
	// Quorum is `corosync-quorumtool -s` as this node reports it (nil when
	// corosync is not running).
	Quorum *Quorum `json:"quorum,omitempty"`
	// Links is `corosync-cfgtool -s` on this node.
	Links []Link `json:"links,omitempty"`
	// PVE is GET /cluster/status on this node's API (nil when it did not answer).
	PVE *PVEStatus `json:"pve,omitempty"`
	// QDevice is what the node's qdevice side looks like (nil when not read:
	// only read when the cluster has or is declared to have a qdevice).
	QDevice *QDeviceFacts `json:"qdevice,omitempty"`
	// Joiner holds what a join's preflight needs; set only for a declared
	// member that is not in the cluster's corosync.conf.
	Joiner *JoinerFacts `json:"joiner,omitempty"`
	// CMAPRejection is set when corosync's log since its last start holds the
	// "Received config version (X) is different than my config version (Y)!
	// Exiting" line.
	CMAPRejection *CMAPRejection `json:"cmap_rejection,omitempty"`
}

// QDeviceFacts is a node's qdevice side (reference §3.9, §7.4, §7.5).
type QDeviceFacts struct {
	// Installed is true when the corosync-qdevice package's daemon exists.
	Installed bool `json:"installed"`
	// Service is the systemd state of corosync-qdevice.service.
	Service string `json:"service"`
	// State is corosync-qdevice-tool's "State:" (Connected, Connect failed,
	// ...), "" when the daemon does not answer.
	State string `json:"state,omitempty"`
	// QNetdReachable reports whether TCP 5403 on the declared qnetd host
	// answered from this node (nil when not checked).
	QNetdReachable *bool `json:"qnetd_reachable,omitempty"`
	// Error is set when the facts could not be read.
	Error string `json:"error,omitempty"`
}

// JoinerFacts is what Proxmox's own join check (assert_joinable, reference
// §2.9) looks at on a node that is to join.
type JoinerFacts struct {
	// Interfaces are the addresses configured on the node (ip -o addr show),
	// without prefix lengths.
	Interfaces []string `json:"interfaces"`
	// Authkey is true when /etc/corosync/authkey exists.
	Authkey bool `json:"authkey"`
	// Guests are the VMIDs of the node's own guests (qemu-server and lxc).
	Guests []int `json:"guests"`
	// Error is set when the facts could not be read; the rest is then unknown.
	Error string `json:"error,omitempty"`
}

// Reach records whether a channel to a node answered.
type Reach struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// ConfCopy is one copy of corosync.conf.
type ConfCopy struct {
	// Present is false when the file does not exist or could not be read.
	Present bool `json:"present"`
	// Content is the file's bytes (corosync.conf is text).
	Content string `json:"content,omitempty"`
	// Version is config_version as pmxcfs reads it (0 when absent).
	Version uint64 `json:"version"`
	// Digest is the SHA-256 hex of Content.
	Digest string `json:"digest,omitempty"`
	// ParseError is Proxmox's parse error for Content, if any.
	ParseError string `json:"parse_error,omitempty"`
}

// NewConfCopy describes raw as a present file.
func NewConfCopy(raw []byte) ConfCopy {
	c := ConfCopy{Present: true, Content: string(raw)}
	c.Version, _ = corosync.VersionOf(raw)
	sum := sha256.Sum256(raw)
	c.Digest = hex.EncodeToString(sum[:])
	if _, err := corosync.Parse(raw); err != nil {
		c.ParseError = err.Error()
	}
	return c
}

// Parsed parses the copy. It returns an error for an absent copy.
func (c ConfCopy) Parsed() (*corosync.Config, error) {
	if !c.Present {
		return nil, fmt.Errorf("file absent")
	}
	return corosync.Parse([]byte(c.Content))
}

// Quorum is the votequorum view of one node (corosync-quorumtool -s).
type Quorum struct {
	Nodes           int      `json:"nodes"`
	NodeID          int      `json:"node_id"`
	RingID          string   `json:"ring_id"`
	Quorate         bool     `json:"quorate"`
	ExpectedVotes   int      `json:"expected_votes"`
	HighestExpected int      `json:"highest_expected"`
	TotalVotes      int      `json:"total_votes"`
	Quorum          int      `json:"quorum"`
	Flags           []string `json:"flags"`
	Members         []Member `json:"members"`
}

// Member is one row of the membership table. A qdevice row has NodeID 0.
type Member struct {
	NodeID  int    `json:"nodeid"`
	Votes   int    `json:"votes"`
	Qdevice string `json:"qdevice,omitempty"` // e.g. "A,V,NMW"
	Name    string `json:"name"`
	Local   bool   `json:"local,omitempty"`
}

// HasMember reports whether nodeid is in the membership.
func (q *Quorum) HasMember(nodeid int) bool {
	if q == nil {
		return false
	}
	for _, m := range q.Members {
		if m.NodeID == nodeid {
			return true
		}
	}
	return false
}

// Link is one link of corosync-cfgtool -s.
type Link struct {
	Number int        `json:"link"`
	Addr   string     `json:"addr"`
	Peers  []LinkPeer `json:"peers"`
}

// LinkPeer is one nodeid's status on a link: "localhost", "connected",
// "disconnected" (as corosync-cfgtool prints it).
type LinkPeer struct {
	NodeID int    `json:"nodeid"`
	Status string `json:"status"`
}

// PVEStatus is GET /cluster/status as one node's API answers it.
type PVEStatus struct {
	ClusterName string    `json:"cluster_name"`
	Version     uint64    `json:"version"` // runtime config_version as pmxcfs reports it
	Quorate     bool      `json:"quorate"`
	Nodes       []PVENode `json:"nodes"` // sorted by name
}

// PVENode is one type:"node" entry of /cluster/status.
type PVENode struct {
	Name   string `json:"name"`
	NodeID int    `json:"nodeid"`
	Online bool   `json:"online"`
	Local  bool   `json:"local,omitempty"`
	IP     string `json:"ip,omitempty"`
}

// CMAPRejection is corosync's refusal to join with an older config_version.
type CMAPRejection struct {
	Received uint64 `json:"received"`
	Mine     uint64 `json:"mine"`
	Line     string `json:"line"`
}

// Node returns the node with the given name, or nil.
func (c *Cluster) Node(name string) *Node {
	for i := range c.Nodes {
		if c.Nodes[i].Name == name {
			return &c.Nodes[i]
		}
	}
	return nil
}

// Sort orders Nodes by name.
func (c *Cluster) Sort() {
	sort.Slice(c.Nodes, func(i, j int) bool { return c.Nodes[i].Name < c.Nodes[j].Name })
}

// Quorate reports whether this node's corosync says it is quorate.
func (n *Node) Quorate() bool { return n.Quorum != nil && n.Quorum.Quorate }

// Authority returns the node whose /etc/pve/corosync.conf speaks for the
// cluster: among nodes whose corosync is quorate and whose pmxcfs shows the file,
// the one with the highest version (ties to the first by name). nil when no
// quorate node was observed.
func (c *Cluster) Authority() *Node {
	var best *Node
	for i := range c.Nodes {
		n := &c.Nodes[i]
		if !n.Quorate() || !n.ClusterConf.Present || n.PVECluster != Active {
			continue
		}
		if best == nil || n.ClusterConf.Version > best.ClusterConf.Version ||
			(n.ClusterConf.Version == best.ClusterConf.Version && n.Name < best.Name) {
			best = n
		}
	}
	return best
}

// Fingerprint identifies the facts a plan depends on, so that a saved plan can
// be refused when the cluster changed since. It covers, per node: services,
// both conf digests, runtime version, quorum state and membership. It leaves
// out the observation time and anything that varies between two observations of
// an unchanged cluster.
func (c *Cluster) Fingerprint() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cluster %s\n", c.Name)
	nodes := append([]Node(nil), c.Nodes...)
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	for _, n := range nodes {
		rv := "-"
		if n.RuntimeVersion != nil {
			rv = fmt.Sprint(*n.RuntimeVersion)
		}
		fmt.Fprintf(&b, "node %s ssh=%t corosync=%s pve-cluster=%s cluster_conf=%s local_conf=%s runtime=%s",
			n.Name, n.SSH.OK, n.Corosync, n.PVECluster, n.ClusterConf.Digest, n.LocalConf.Digest, rv)
		if q := n.Quorum; q != nil {
			ids := make([]string, 0, len(q.Members))
			for _, m := range q.Members {
				ids = append(ids, fmt.Sprintf("%d:%d", m.NodeID, m.Votes))
			}
			fmt.Fprintf(&b, " quorate=%t expected=%d members=%s", q.Quorate, q.ExpectedVotes, strings.Join(ids, ","))
		}
		if d := n.QDevice; d != nil {
			fmt.Fprintf(&b, " qdevice=%t/%s/%s/%t", d.Installed, d.Service, d.State, d.Error != "")
		}
		if j := n.Joiner; j != nil {
			fmt.Fprintf(&b, " joiner=%v/%t/%v/%t", j.Interfaces, j.Authkey, j.Guests, j.Error != "")
		}
		b.WriteString("\n")
	}
	if sh := c.Shared; sh != nil {
		fmt.Fprintf(&b, "shared from=%s dirs=%s keys=%s known=%s api_error=%t\n", sh.From, strings.Join(sh.NodeDirs, ","),
			sh.AuthorizedKeys.Digest, sh.KnownHosts.Digest, sh.APIError != "")
		for _, g := range sh.Guests {
			fmt.Fprintf(&b, "guest %d %s\n", g.VMID, g.Node)
		}
		for _, r := range sh.HAResources {
			fmt.Fprintf(&b, "ha %s %s\n", r.SID, r.Group)
		}
		for _, g := range sh.HAGroups {
			fmt.Fprintf(&b, "hagroup %s %s\n", g.Group, strings.Join(g.Nodes, ","))
		}
		for _, r := range sh.HARules {
			fmt.Fprintf(&b, "harule %s %s\n", r.Rule, strings.Join(r.Nodes, ","))
		}
		for _, j := range sh.Replication {
			fmt.Fprintf(&b, "repl %s %s %s\n", j.ID, j.Source, j.Target)
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return "sha256:" + hex.EncodeToString(sum[:16])
}
