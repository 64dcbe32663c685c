package reconciler

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/corosync"
)

// The ordering rules, in one place (STYLE.md "Order and safety live in one
// place"):
//
//  1. Nothing is planned without an authority: a node whose corosync is quorate
//     and whose pmxcfs shows /etc/pve/corosync.conf. Its copy is the cluster's
//     configuration; an inquorate cluster is never acted on.
//  2. A cluster whose totem.cluster_name differs from metadata.name is not
//     touched at all: the declaration points at the wrong cluster.
//  3. Repairs come first, and alone: stale nodes are resynced (one node per
//     action, in name order; each predicts that the rest stays quorate without
//     the node's corosync), interrupted resyncs finished, and a lagging
//     runtime config_version reloaded. While any repair is planned, declared
//     changes wait for the next round (apply runs rounds until converged).
//  4. A node whose local corosync.conf is newer than the cluster's, or has the
//     same version with other content, is never overwritten: quorate never
//     installs a corosync.conf without a higher config_version.
//  5. Declared changes, each one corosync.conf version, chained from the
//     bytes the previous one leaves (changes.go): links first (add, move,
//     priority, remove; a link is only removed while another one connects
//     every running member, and an address move goes through removal and
//     re-adding, never an in-place change, reference §8.2), then votes, then
//     at most one member removal (one membership change per round), then the
//     cleanup of removed members.
//  6. No action is proposed whose predicted vote arithmetic leaves a quorate
//     cluster inquorate (quorum.go); such a change is explained instead.
//  7. Remaining drift (joins, nodeids, quorum options, qdevice) is reported
//     as Blocked.

// Units stopped and started by a resync, in the runbook's order (reference
// §5.4): pmxcfs first so it cannot copy anything while corosync is down.
const (
	unitCorosync   = "corosync"
	unitPVECluster = "pve-cluster"
)

func (p *planner) resyncStale(auth *state.Node) {
	clusterConf, _ := auth.ClusterConf.Parsed()
	ids := map[string]int{}
	for _, n := range clusterConf.Nodes() {
		ids[n.Name] = n.NodeID
	}
	cluster := auth.ClusterConf
	for i := range p.obs.Nodes {
		n := &p.obs.Nodes[i]
		nodeid, inCluster := ids[n.Name]
		if p.desired.Member(n.Name) == nil || !n.SSH.OK || !inCluster {
			continue
		}
		local := n.LocalConf
		switch {
		case local.Present && local.Digest == cluster.Digest:
			if n.Corosync != state.Active || n.PVECluster != state.Active {
				// Starting services risks nothing; no HA bracket needed.
				p.add(p.startAction(auth, n, nodeid))
			}
			continue
		case local.Present && local.Version > cluster.Version:
			p.block(n.Name,
				fmt.Sprintf("local corosync.conf is version %d, newer than the cluster's %d on %s; a node with a higher version joins silently and its file would win at the next edit", local.Version, cluster.Version, auth.Name),
				fmt.Sprintf("compare %s on %s with %s on %s by hand; quorate never replaces a corosync.conf with a lower version", "/etc/corosync/corosync.conf", n.Name, "/etc/pve/corosync.conf", auth.Name))
			continue
		case local.Present && local.Version == cluster.Version:
			p.block(n.Name,
				fmt.Sprintf("local corosync.conf has the cluster's version %d but different content", local.Version),
				"quorate only installs a corosync.conf with a higher config_version; bump config_version in /etc/pve/corosync.conf (Proxmox's edit procedure) so pmxcfs copies it, or repair the node's file by hand")
			continue
		}
		blocked, bracket := p.haAtRisk(n, nodeid)
		if blocked {
			continue
		}
		a := p.resyncAction(auth, n, nodeid)
		if bracket {
			a = bracketHA(a, auth.Name)
		}
		p.add(a)
	}
}

// bracketHA disarms HA around an action (Proxmox VE 9.2+): the watchdogs are
// released before the first step and re-armed after the postconditions hold,
// or after a failure (Always).
func bracketHA(a Action, node string) Action {
	a.Reason += "; HA is disarmed (freeze) around it so no watchdog fences a node while corosync restarts"
	a.Steps = append(append([]Step{{Kind: StepHADisarm, Node: node}}, a.Steps...), Step{Kind: StepHAArm, Node: node, Always: true})
	return a
}

// haAtRisk decides what to do about a step that stops corosync on a running
// member with HA-managed guests: the node's HA watchdog fences it when it
// stays without quorum (pve-ha-manager). Where every running member has
// Proxmox VE 9.2 or later, the action is bracketed with disarm-ha/arm-ha
// (bracket); otherwise it is refused and explained (blocked) unless the
// policy acknowledges the risk.
func (p *planner) haAtRisk(n *state.Node, nodeid int) (blocked, bracket bool) {
	if n.Corosync != state.Active || !p.present[nodeid] {
		return false, false
	}
	if p.haDisarmable() {
		return false, true
	}
	if p.desired.Spec.Policy.AcknowledgeHARisk {
		return false, false
	}
	sh := p.obs.Shared
	if sh == nil || sh.Guests == nil {
		p.block(n.Name, "restarting its corosync is needed, but the cluster's HA resources could not be read to see whether its watchdog could fence it",
			"check the API, or set policy.acknowledgeHARisk: true")
		return true, false
	}
	risk := sh.HAResourcesOn(n.Name)
	if len(risk) == 0 {
		return false, false
	}
	p.block(n.Name, fmt.Sprintf("restarting its corosync is needed, but HA-managed guests run on it (%s): its watchdog may fence the node while it is out of quorum", strings.Join(risk, ", ")),
		fmt.Sprintf("put it into HA maintenance first (`ha-manager crm-command node-maintenance enable %s`) so its guests move away, or set policy.acknowledgeHARisk: true; on Proxmox VE 9.2 and later quorate disarms HA around the step itself", n.Name))
	return true, false
}

// haDisarmable reports whether every running member runs Proxmox VE 9.2 or
// later, which has `ha-manager crm-command disarm-ha` and `arm-ha`.
func (p *planner) haDisarmable() bool {
	if len(p.running) == 0 {
		return false
	}
	for _, name := range p.running {
		n := p.obs.Node(name)
		if n == nil || !state.VersionAtLeast(n.PVEVersion, 9, 2) {
			return false
		}
	}
	return true
}

func (p *planner) resyncAction(auth, n *state.Node, nodeid int) Action {
	cluster, local := auth.ClusterConf, n.LocalConf
	stamp := p.now.Format("20060102T150405Z")
	a := Action{
		Kind:        ResyncCorosyncConf,
		Target:      n.Name,
		Reason:      resyncReason(n, cluster.Version),
		FromVersion: local.Version,
		ToVersion:   cluster.Version,
		Diff: unifiedDiff(
			fmt.Sprintf("%s:%s (v%d)", n.Name, "/etc/corosync/corosync.conf", local.Version),
			fmt.Sprintf("%s:%s (v%d)", auth.Name, "/etc/pve/corosync.conf", cluster.Version),
			local.Content, cluster.Content),
		Pre: []Fact{
			{Kind: FactClusterQuorate, Node: auth.Name},
			{Kind: FactClusterConf, Node: auth.Name, Digest: cluster.Digest},
			{Kind: FactLocalVersionBelow, Node: n.Name, Version: cluster.Version},
			{Kind: FactQuorumWithout, Node: n.Name, Via: auth.Name, NodeID: nodeid},
		},
		Post: resyncPost(auth, n, nodeid),
	}
	a.Steps = append(a.Steps,
		Step{Kind: StepStopService, Node: n.Name, Unit: unitPVECluster},
		Step{Kind: StepStopService, Node: n.Name, Unit: unitCorosync})
	if local.Present {
		a.Steps = append(a.Steps, Step{Kind: StepBackupFile, Node: n.Name,
			Path:       "/etc/corosync/corosync.conf",
			BackupPath: path.Join("/var/lib/quorate/backup", fmt.Sprintf("corosync.conf.v%d.%s", local.Version, stamp)),
			Digest:     local.Digest, Version: local.Version})
	}
	a.Steps = append(a.Steps,
		Step{Kind: StepInstallFile, Node: n.Name, Path: "/etc/corosync/corosync.conf",
			Content: cluster.Content, Digest: cluster.Digest, Version: cluster.Version},
		Step{Kind: StepStartService, Node: n.Name, Unit: unitCorosync},
		Step{Kind: StepStartService, Node: n.Name, Unit: unitPVECluster})
	return a
}

// startAction starts the cluster services of a node whose local file is already
// the cluster's: what is left of an interrupted resync.
func (p *planner) startAction(auth, n *state.Node, nodeid int) Action {
	cluster := auth.ClusterConf
	a := Action{
		Kind:        StartClusterServices,
		Target:      n.Name,
		Reason:      fmt.Sprintf("%s has the cluster's corosync.conf, but corosync is %s and pve-cluster is %s", n.Name, n.Corosync, n.PVECluster),
		FromVersion: cluster.Version,
		ToVersion:   cluster.Version,
		Pre: []Fact{
			{Kind: FactClusterQuorate, Node: auth.Name},
			{Kind: FactClusterConf, Node: auth.Name, Digest: cluster.Digest},
			{Kind: FactLocalConf, Node: n.Name, Digest: cluster.Digest},
		},
		Post: resyncPost(auth, n, nodeid),
	}
	a.Steps = []Step{
		{Kind: StepStartService, Node: n.Name, Unit: unitCorosync},
		{Kind: StepStartService, Node: n.Name, Unit: unitPVECluster},
	}
	return a
}

// resyncPost is what a node looks like once it is back: the cluster's file,
// running it, counted in the membership, quorate, and pmxcfs in sync.
func resyncPost(auth, n *state.Node, nodeid int) []Fact {
	cluster := auth.ClusterConf
	return []Fact{
		{Kind: FactLocalConf, Node: n.Name, Digest: cluster.Digest},
		{Kind: FactRuntimeVersion, Node: n.Name, Version: cluster.Version},
		{Kind: FactMember, Node: n.Name, Via: auth.Name, NodeID: nodeid},
		{Kind: FactNodeQuorate, Node: n.Name},
		{Kind: FactPmxcfsConf, Node: n.Name, Digest: cluster.Digest},
	}
}

// reloadLagging plans one corosync-cfgtool -R when running members run an
// older config_version than the cluster's file that they already hold. Only
// when every running member holds exactly the cluster's file: a reload makes
// each node re-read its own copy, and quorate will not reload a cluster whose
// copies differ.
func (p *planner) reloadLagging(auth *state.Node) {
	cluster := auth.ClusterConf
	var lagging []string
	for i := range p.obs.Nodes {
		n := &p.obs.Nodes[i]
		if n.RuntimeVersion == nil || !n.Quorate() {
			continue
		}
		if !n.LocalConf.Present || n.LocalConf.Digest != cluster.Digest {
			return // resync or blocked first; reload later
		}
		if *n.RuntimeVersion < cluster.Version {
			lagging = append(lagging, n.Name)
		}
	}
	if len(lagging) == 0 {
		return
	}
	a := Action{
		Kind:      ReloadCorosync,
		Target:    lagging[0],
		Reason:    fmt.Sprintf("running config_version is behind the cluster's v%d on %s although the file is current there (a reload missed while partitioned); the next node to start would be judged against the old value", cluster.Version, strings.Join(lagging, ", ")),
		ToVersion: cluster.Version,
		Pre: []Fact{
			{Kind: FactClusterQuorate, Node: auth.Name},
			{Kind: FactClusterConf, Node: auth.Name, Digest: cluster.Digest},
		},
		Steps: []Step{{Kind: StepReloadCorosync, Node: lagging[0]}},
	}
	for i := range p.obs.Nodes {
		n := &p.obs.Nodes[i]
		if n.RuntimeVersion == nil || !n.Quorate() {
			continue
		}
		a.Pre = append(a.Pre, Fact{Kind: FactLocalConf, Node: n.Name, Digest: cluster.Digest})
		a.Post = append(a.Post, Fact{Kind: FactRuntimeVersion, Node: n.Name, Version: cluster.Version})
	}
	p.add(a)
}

func resyncReason(n *state.Node, clusterVersion uint64) string {
	switch {
	case n.CMAPRejection != nil:
		return fmt.Sprintf("corosync on %s refused to join: %q", n.Name, strings.TrimSpace(n.CMAPRejection.Line))
	case !n.LocalConf.Present:
		return fmt.Sprintf("%s has no /etc/corosync/corosync.conf, so corosync cannot start", n.Name)
	case n.Corosync != state.Active:
		return fmt.Sprintf("local corosync.conf v%d is older than the cluster's v%d: corosync (%s) would exit at start with the CMAP config-version refusal", n.LocalConf.Version, clusterVersion, n.Corosync)
	}
	return fmt.Sprintf("corosync runs with an older local corosync.conf (v%d < v%d) and would be refused at its next start", n.LocalConf.Version, clusterVersion)
}

// drift reports every declared-vs-cluster difference left after this
// round's actions (conf is the predicted corosync.conf). Differences that
// changes() makes are reported as waiting when repairs come first
// (deferred); differences it already explained are skipped; the rest are
// changes this build does not make.
func (p *planner) drift(auth *state.Node, conf *corosync.Config, deferred bool) {
	const later = "quorate does not make this change; make it by hand with pvecm or Proxmox's corosync.conf edit procedure, or change the declaration"
	const waits = "quorate plans it once the actions above are done; apply continues with it"
	v := auth.ClusterConf.Version
	report := func(key, target, reason string, supported bool) {
		if p.explained[key] {
			return
		}
		switch {
		case supported && deferred:
			p.block(target, reason, waits)
		case supported:
			p.block(target, reason, "see the blocked reasons above; run plan again once they are resolved")
		default:
			p.block(target, reason, later)
		}
	}
	actual := map[string]corosync.Node{}
	for _, n := range conf.Nodes() {
		actual[n.Name] = n
	}
	for _, m := range p.desired.Spec.Members {
		n, ok := actual[m.Name]
		if !ok {
			report("member:"+m.Name, m.Name, fmt.Sprintf("declared, but not in the cluster's corosync.conf (v%d): it would have to join", v), true)
			continue
		}
		if n.NodeID != m.NodeID {
			p.block(m.Name, fmt.Sprintf("nodeid is %d in the cluster, declared %d", n.NodeID, m.NodeID),
				"a nodeid cannot change in place: fix the declaration to the cluster's nodeid")
		}
		votes := n.Votes
		if votes == 0 {
			votes = 1 // absent quorum_votes counts as 1 (reference §2.6 item 10)
		}
		if votes != m.Votes {
			report("votes:"+m.Name, m.Name, fmt.Sprintf("quorum_votes is %d in the cluster, declared %d", votes, m.Votes), true)
		}
		for _, d := range addrDiffs(n, m.Addresses) {
			report(fmt.Sprintf("link:%d", d.link), m.Name, d.text, true)
		}
	}
	var extra []string
	for name := range actual {
		if p.desired.Member(name) == nil {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		report("member:"+name, name, fmt.Sprintf("in the cluster's corosync.conf (v%d) but not declared", v), true)
	}
	p.linkDrift(conf, report)
	if changes, _ := p.quorumOptionChanges(conf); len(changes) > 0 {
		report("quorum", "quorum", "declared quorum options differ: "+strings.Join(changes, ", "), true)
	}
	p.quorumDrift(conf, report)
}

type addrDiff struct {
	link int
	text string
}

func addrDiffs(n corosync.Node, declared []api.LinkAddress) []addrDiff {
	var out []addrDiff
	want := map[int]string{}
	for _, a := range declared {
		want[a.Link] = a.Address
	}
	links := map[int]bool{}
	for l := range want {
		links[l] = true
	}
	for l := range n.Addrs {
		links[l] = true
	}
	var nums []int
	for l := range links {
		nums = append(nums, l)
	}
	sort.Ints(nums)
	for _, l := range nums {
		got, w := n.Addrs[l], want[l]
		switch {
		case got == w:
		case got == "":
			out = append(out, addrDiff{l, fmt.Sprintf("has no address on link %d, declared %s", l, w)})
		case w == "":
			out = append(out, addrDiff{l, fmt.Sprintf("has ring%d_addr %s, but link %d is not declared for it", l, got, l)})
		default:
			out = append(out, addrDiff{l, fmt.Sprintf("ring%d_addr is %s in the cluster, declared %s", l, got, w)})
		}
	}
	return out
}

func (p *planner) linkDrift(conf *corosync.Config, report func(key, target, reason string, supported bool)) {
	have := map[int]int{}
	for _, it := range conf.Interfaces() {
		have[it.Number] = it.Priority
	}
	want := map[int]int{}
	for _, l := range p.desired.Spec.Links {
		want[l.Number] = l.Priority
	}
	for _, l := range p.desired.Spec.Links {
		key, target := fmt.Sprintf("link:%d", l.Number), fmt.Sprintf("link %d", l.Number)
		prio, ok := have[l.Number]
		switch {
		case !ok:
			report(key, target, "declared, but the cluster has no interface section for it", true)
		case prio != l.Priority:
			report(key, target, fmt.Sprintf("knet_link_priority is %d in the cluster, declared %d", prio, l.Priority), true)
		}
	}
	for _, it := range conf.Interfaces() {
		if _, ok := want[it.Number]; !ok {
			report(fmt.Sprintf("link:%d", it.Number), fmt.Sprintf("link %d", it.Number), "in the cluster, but not declared", true)
		}
	}
}

func (p *planner) quorumDrift(conf *corosync.Config, report func(key, target, reason string, supported bool)) {
	d := p.desired.Spec.QDevice
	switch {
	case !hasDevice(conf) && d != nil:
		report("qdevice", "qdevice", fmt.Sprintf("declared (%s, %s), but the cluster has no quorum.device", d.Host, d.Algorithm), true)
	case hasDevice(conf) && d == nil:
		report("qdevice", "qdevice", "the cluster has a quorum.device ("+deviceText(conf)+"), but none is declared", true)
	case hasDevice(conf) && !sameDevice(conf, d.Host, d.Algorithm, d.TieBreaker):
		report("qdevice", "qdevice", fmt.Sprintf("the cluster's qdevice is %s, declared host %s, algorithm %s", deviceText(conf), d.Host, d.Algorithm), true)
	}
}
