package sim

import (
	"strings"

	"github.com/quorate/quorate/state"
)

// DefaultPVEVersion is the pve-manager version a node reports unless its
// NodeSpec says otherwise.
const DefaultPVEVersion = "8.4.1"

// haDisarmSince is the first pve-manager release with
// `ha-manager crm-command disarm-ha` / `arm-ha` (Proxmox VE 9.2).
var haDisarmSince = [2]int{9, 2}

func (n *node) pveVersion() string {
	if n.spec.PVEVersion != "" {
		return n.spec.PVEVersion
	}
	return DefaultPVEVersion
}

// cmdPveversion is `pveversion`: "pve-manager/<version>/<repoid> (running
// kernel: ...)".
func cmdPveversion(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	r.outf("pve-manager/%s/2a5fa54a (running kernel: 6.8.12-4-pve)\n", n.pveVersion())
	return r
}

// cmdHAManager models the part of ha-manager quorate uses: `crm-command
// disarm-ha freeze|ignore` and `crm-command arm-ha` (Proxmox VE 9.2+), which
// release and restore the HA watchdogs cluster-wide. Older versions answer
// with an unknown-command error (the wording is representative). The
// request needs a quorate pmxcfs, as it is written to the cluster's CRM
// command file.
func cmdHAManager(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	args := c.args[1:]
	if len(args) < 2 || args[0] != "crm-command" {
		return r.fail(255, "ERROR: unknown command 'ha-manager %s'", strings.Join(args, " "))
	}
	if !state.VersionAtLeast(n.pveVersion(), haDisarmSince[0], haDisarmSince[1]) && (args[1] == "disarm-ha" || args[1] == "arm-ha") {
		return r.fail(255, "ERROR: unknown command 'ha-manager crm-command %s'", args[1])
	}
	if m.cfsWritable(n) != nil {
		return r.fail(255, "cluster not ready - no quorum?")
	}
	switch {
	case args[1] == "disarm-ha" && len(args) == 3 && (args[2] == "freeze" || args[2] == "ignore"):
		m.haDisarmed = args[2]
	case args[1] == "disarm-ha":
		return r.fail(255, "400 not enough arguments\nha-manager crm-command disarm-ha <resource-mode>")
	case args[1] == "arm-ha" && len(args) == 2:
		m.haDisarmed = ""
	default:
		return r.fail(255, "ERROR: unknown command 'ha-manager crm-command %s'", args[1])
	}
	return r
}

// HADisarmed returns the resource mode HA is disarmed with ("freeze",
// "ignore"), or "" while armed.
func (m *Model) HADisarmed() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.haDisarmed
}
