package api

import (
	"fmt"
	"time"
)

// Defaults for fields a declaration may leave out.
const (
	DefaultAPIPort          = 8006             // pveproxy (reference §1.1)
	DefaultAPITimeout       = 10 * time.Second // one HTTP request
	DefaultSSHUser          = "root"           // pvecm needs root
	DefaultSSHPort          = 22
	DefaultMaxSessions      = 8                // below OpenSSH's MaxSessions default of 10
	DefaultSSHTimeout       = 10 * time.Second // connect + handshake
	DefaultCommandTimeout   = 60 * time.Second // one remote command
	DefaultVotes            = 1                // what corosync counts when quorum_votes is absent
	DefaultQDeviceAlgorithm = "ffsplit"        // pvecm's choice for an even node count (reference §3.9)
	DefaultTieBreaker       = "lowest"         // corosync-qdevice's default (reference §7.5)
)

// ApplyDefaults fills every defaultable field that holds its zero value. It is
// for declarations built in Go; Load and LoadBytes apply defaults only to
// fields the file leaves out, so that an explicit "votes: 0" or "port: 0" is
// reported by Validate instead of silently replaced.
func (c *Cluster) ApplyDefaults() {
	applyDefaults(c, func(string) bool { return false })
}

// applyDefaults sets each defaultable field that written(path) says the
// declaration did not write and that still holds its zero value.
func applyDefaults(c *Cluster, written func(path string) bool) {
	setInt := func(path string, v *int, def int) {
		if *v == 0 && !written(path) {
			*v = def
		}
	}
	setDur := func(path string, v *Duration, def time.Duration) {
		if *v == 0 && !written(path) {
			*v = Duration(def)
		}
	}
	setStr := func(path string, v *string, def string) {
		if *v == "" && !written(path) {
			*v = def
		}
	}
	a := &c.Spec.Access
	setInt("spec.access.api.port", &a.API.Port, DefaultAPIPort)
	setDur("spec.access.api.timeout", &a.API.Timeout, DefaultAPITimeout)
	setStr("spec.access.ssh.user", &a.SSH.User, DefaultSSHUser)
	setInt("spec.access.ssh.port", &a.SSH.Port, DefaultSSHPort)
	setInt("spec.access.ssh.maxSessions", &a.SSH.MaxSessions, DefaultMaxSessions)
	setDur("spec.access.ssh.timeout", &a.SSH.Timeout, DefaultSSHTimeout)
	setDur("spec.access.ssh.commandTimeout", &a.SSH.CommandTimeout, DefaultCommandTimeout)
	for i := range c.Spec.Members {
		setInt(fmt.Sprintf("spec.members[%d].votes", i), &c.Spec.Members[i].Votes, DefaultVotes)
	}
	if q := c.Spec.QDevice; q != nil {
		setStr("spec.qdevice.algorithm", &q.Algorithm, DefaultQDeviceAlgorithm)
		setStr("spec.qdevice.tieBreaker", &q.TieBreaker, DefaultTieBreaker)
	}
}
