package api

import (
	"fmt"
	"strings"
	"time"
)

// APIVersion is the only apiVersion this build reads.
const APIVersion = "quorate.dev/v1alpha1"

// KindCluster is the kind of a cluster declaration.
const KindCluster = "Cluster"

// Cluster is the declared state of one Proxmox VE cluster, as read from one YAML
// file. The zero value is not valid; obtain one with Load or LoadBytes, which also
// apply defaults and validate.
type Cluster struct {
	APIVersion string      `yaml:"apiVersion" json:"apiVersion"`
	Kind       string      `yaml:"kind" json:"kind"`
	Metadata   Metadata    `yaml:"metadata" json:"metadata"`
	Spec       ClusterSpec `yaml:"spec" json:"spec"`

	// Source is the file the declaration was read from ("" when read from bytes).
	// Relative paths in Spec.Access are resolved against its directory by Load.
	Source string `yaml:"-" json:"-"`
}

// Metadata names the cluster. Name must equal corosync's totem.cluster_name.
type Metadata struct {
	Name string `yaml:"name" json:"name"`
}

// ClusterSpec is everything a declaration says about one cluster.
type ClusterSpec struct {
	Access  Access   `yaml:"access" json:"access"`
	Links   []Link   `yaml:"links" json:"links"`
	Members []Member `yaml:"members" json:"members"`
	Quorum  Quorum   `yaml:"quorum,omitempty" json:"quorum"`
	QDevice *QDevice `yaml:"qdevice,omitempty" json:"qdevice,omitempty"`
	Policy  Policy   `yaml:"policy,omitempty" json:"policy"`
}

// Access says how quorate reaches the cluster's nodes: the Proxmox HTTP API for
// reads and SSH for reads and writes (API tokens cannot change membership).
type Access struct {
	API APIAccess `yaml:"api" json:"api"`
	SSH SSHAccess `yaml:"ssh" json:"ssh"`
	// RootPassword names where root@pam's password is kept; only joining a
	// member needs it (pvecm add logs in with it; tokens cannot join).
	RootPassword *SecretRef `yaml:"rootPassword,omitempty" json:"rootPassword,omitempty"`
}

// SecretRef names a secret kept outside the declaration: exactly one of File
// (first line; relative to the YAML file) and Env.
type SecretRef struct {
	File string `yaml:"file,omitempty" json:"file,omitempty"`
	Env  string `yaml:"env,omitempty" json:"env,omitempty"`
}

// APIAccess configures the Proxmox HTTPS API client. Each member's certificate
// fingerprint is pinned in Member.Management.Fingerprint.
type APIAccess struct {
	// Port is pveproxy's port; default 8006.
	Port int `yaml:"port,omitempty" json:"port"`
	// Token is the API token used for reads (Sys.Audit is enough).
	Token APIToken `yaml:"token" json:"token"`
	// Timeout bounds one HTTP request; default 10s.
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout"`
}

// APIToken names an API token and where its secret is kept. Exactly one of
// SecretFile and SecretEnv must be set; secrets are never written inline.
type APIToken struct {
	// ID is USER@REALM!TOKENID, e.g. root@pam!quorate.
	ID string `yaml:"id" json:"id"`
	// SecretFile holds the token secret (the UUID) on its first line. Relative
	// paths are resolved against the directory of the YAML file.
	SecretFile string `yaml:"secretFile,omitempty" json:"secretFile,omitempty"`
	// SecretEnv names an environment variable holding the secret.
	SecretEnv string `yaml:"secretEnv,omitempty" json:"secretEnv,omitempty"`
}

// SSHAccess configures the SSH runner. Host keys are always verified against
// KnownHostsFile; an unknown or changed key stops the run.
type SSHAccess struct {
	// User to log in as; default root.
	User string `yaml:"user,omitempty" json:"user"`
	// Port is sshd's port; default 22. A member may override it.
	Port int `yaml:"port,omitempty" json:"port"`
	// PrivateKeyFile is an OpenSSH or PEM private key (unencrypted). Relative
	// paths are resolved against the directory of the YAML file.
	PrivateKeyFile string `yaml:"privateKeyFile" json:"privateKeyFile"`
	// KnownHostsFile is an OpenSSH known_hosts file holding every member's host key.
	KnownHostsFile string `yaml:"knownHostsFile" json:"knownHostsFile"`
	// MaxSessions caps concurrent sessions per connection; default 8 (OpenSSH
	// allows 10 by default).
	MaxSessions int `yaml:"maxSessions,omitempty" json:"maxSessions"`
	// Timeout bounds connecting and the handshake; default 10s.
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout"`
	// CommandTimeout bounds one remote command; default 60s.
	CommandTimeout Duration `yaml:"commandTimeout,omitempty" json:"commandTimeout"`
}

// Link is one corosync (knet) link, written as an interface section in totem.
type Link struct {
	// Number is the link number, 0..7 (corosync's maximum is 8 links).
	Number int `yaml:"number" json:"number"`
	// Priority is knet_link_priority, 0..255. In passive link mode corosync uses
	// the highest number (see reference §4.5; Proxmox's own help text has it
	// backwards). 0 means "not written".
	Priority int `yaml:"priority,omitempty" json:"priority"`
}

// Member is one declared cluster node.
type Member struct {
	// Name is the node name (hostname), pve-node format, at most 63 characters.
	Name string `yaml:"name" json:"name"`
	// NodeID is corosync's nodeid, 1..65535 (knet needs it explicit).
	NodeID int `yaml:"nodeid" json:"nodeid"`
	// Votes is quorum_votes; default 1.
	Votes int `yaml:"votes,omitempty" json:"votes"`
	// Addresses gives the node's address on each declared link (ringN_addr).
	Addresses []LinkAddress `yaml:"addresses" json:"addresses"`
	// Management says how quorate reaches this node.
	Management Management `yaml:"management" json:"management"`
}

// LinkAddress is a member's address on one link.
type LinkAddress struct {
	Link    int    `yaml:"link" json:"link"`
	Address string `yaml:"address" json:"address"`
}

// Management is where quorate reaches a member's API and SSH server. It is the
// node's management address, which need not be any ring address.
type Management struct {
	// Host is an IP address or DNS name.
	Host string `yaml:"host" json:"host"`
	// APIPort overrides Access.API.Port for this node (0 = use it).
	APIPort int `yaml:"apiPort,omitempty" json:"apiPort,omitempty"`
	// SSHPort overrides Access.SSH.Port for this node (0 = use it).
	SSHPort int `yaml:"sshPort,omitempty" json:"sshPort,omitempty"`
	// Fingerprint is the SHA-256 fingerprint of the node's HTTPS certificate,
	// 32 colon-separated hex bytes as Proxmox shows it.
	Fingerprint string `yaml:"fingerprint" json:"fingerprint"`
}

// Quorum holds votequorum options. Proxmox writes none of them.
type Quorum struct {
	// ExpectedVotes pins quorum.expected_votes; 0 = derived from the votes.
	ExpectedVotes int `yaml:"expectedVotes,omitempty" json:"expectedVotes,omitempty"`
	// TwoNode sets two_node: 1 (only valid with exactly two members and no qdevice).
	TwoNode bool `yaml:"twoNode,omitempty" json:"twoNode,omitempty"`
	// WaitForAll sets wait_for_all: 1. two_node implies it (votequorum.5).
	WaitForAll bool `yaml:"waitForAll,omitempty" json:"waitForAll,omitempty"`
	// TemporaryExpectedVotes lowers expected votes at runtime (pvecm expected)
	// until Expires: the escape for a two-node cluster with one node down.
	// It is never written to corosync.conf; a reload or restart clears it and
	// quorate sets it again until it expires, then clears it.
	TemporaryExpectedVotes *TemporaryExpected `yaml:"temporaryExpectedVotes,omitempty" json:"temporaryExpectedVotes,omitempty"`
}

// TemporaryExpected is a declared, time-boxed runtime expected-votes override.
type TemporaryExpected struct {
	// Votes is the expected votes to set, at least 1 and never below the votes
	// present (corosync refuses that).
	Votes int `yaml:"votes" json:"votes"`
	// Reason is why (kept in plans and the audit log).
	Reason string `yaml:"reason" json:"reason"`
	// Expires is when the override lapses (RFC 3339, e.g. 2026-11-23T18:00:00Z).
	Expires time.Time `yaml:"expires" json:"expires"`
}

// QDevice declares an external corosync-qnetd arbiter.
type QDevice struct {
	// Host is the qnetd host's IP address (pvecm qdevice setup takes an IP only).
	Host string `yaml:"host" json:"host"`
	// Algorithm is ffsplit or lms; default ffsplit.
	Algorithm string `yaml:"algorithm,omitempty" json:"algorithm"`
	// TieBreaker is lowest, highest or a member's nodeid; default lowest.
	TieBreaker string `yaml:"tieBreaker,omitempty" json:"tieBreaker"`
}

// Policy limits what quorate may do on its own.
type Policy struct {
	// RemoveAbsentMembers allows removing nodes the declaration no longer lists.
	RemoveAbsentMembers bool `yaml:"removeAbsentMembers,omitempty" json:"removeAbsentMembers"`
	// AcknowledgeHARisk allows steps that stop corosync on a member that runs
	// HA-managed guests: its watchdog may fence it if it stays out of quorum.
	// Without it such steps are refused and the resources at risk listed.
	AcknowledgeHARisk bool `yaml:"acknowledgeHARisk,omitempty" json:"acknowledgeHARisk"`
}

// Duration is a time.Duration written in YAML as a Go duration string ("10s").
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("%q is not a duration (use e.g. 10s, 2m)", string(b))
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Member returns the declared member with the given name, or nil.
func (c *Cluster) Member(name string) *Member {
	for i := range c.Spec.Members {
		if c.Spec.Members[i].Name == name {
			return &c.Spec.Members[i]
		}
	}
	return nil
}

// APIPort returns the port of m's API server after defaults.
func (c *Cluster) APIPort(m *Member) int {
	if m.Management.APIPort != 0 {
		return m.Management.APIPort
	}
	return c.Spec.Access.API.Port
}

// SSHPort returns the port of m's SSH server after defaults.
func (c *Cluster) SSHPort(m *Member) int {
	if m.Management.SSHPort != 0 {
		return m.Management.SSHPort
	}
	return c.Spec.Access.SSH.Port
}

// Address returns m's address on link n, or "".
func (m *Member) Address(link int) string {
	for _, a := range m.Addresses {
		if a.Link == link {
			return a.Address
		}
	}
	return ""
}
