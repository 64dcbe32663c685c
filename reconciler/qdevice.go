package reconciler

import (
	"fmt"
	"strings"

	"github.com/quorate/quorate/state/corosync"
)

// QDevice ordering (pvecm docs, reference §3.10): a qdevice is removed before
// members are added or removed, and set up again afterwards when the
// declaration still wants one. Proxmox's code does not enforce this; quorate
// does, because an ffsplit device with an odd node count is a configuration
// corosync-qdevice does not support (reference §7.4).

// qdeviceFirst plans the removal of the cluster's qdevice when it is in the
// way: not declared, declared differently, or a membership change is waiting
// for it. It returns true when it planned the removal: nothing else happens
// in that round.
func (p *planner) qdeviceFirst() bool {
	if !hasDevice(p.pred.conf) {
		return false
	}
	var why string
	switch d := p.desired.Spec.QDevice; {
	case d == nil:
		why = "the cluster has a qdevice, but none is declared"
	case !sameDevice(p.pred.conf, d.Host, d.Algorithm, d.TieBreaker):
		why = fmt.Sprintf("the cluster's qdevice differs from the declared one (%s); pvecm cannot change a qdevice in place, so it is removed and set up again", deviceText(p.pred.conf))
	case p.membershipWaits():
		why = "a membership change waits for it: the qdevice is removed before members are added or removed (pvecm docs), and set up again afterwards"
	default:
		return false
	}
	return p.removeQDevice(why)
}

// membershipWaits asks a throw-away copy of the planner whether a removal or
// join would be planned if there were no qdevice in the way.
func (p *planner) membershipWaits() bool {
	cp := *p
	cp.dry = true
	cp.cs = &Changeset{}
	cp.explained = map[string]bool{}
	removed := cp.memberRemoval()
	return removed || cp.joinChanges(removed)
}

func (p *planner) removeQDevice(why string) bool {
	if missing := p.offline(); len(missing) > 0 {
		p.explain("qdevice", "qdevice", why+"; but `pvecm qdevice remove` needs every member online and "+strings.Join(missing, ", ")+" is not",
			"bring them online, or remove the quorum.device section by hand with Proxmox's corosync.conf edit procedure and stop corosync-qdevice on the nodes")
		return false
	}
	w := p.pred
	next := w.conf.Clone()
	next.Main.Section("quorum").Delete("device")
	v, err := next.BumpVersion()
	if err != nil {
		return false
	}
	before, after := voteMath(w.conf, p.present, p.qdevCasting), voteMath(next, p.present, false)
	if before.Quorate && !after.Quorate {
		p.explain("qdevice", "qdevice", why+"; but removing it now would cost quorum: "+after.String(), "bring the missing members back first")
		return false
	}
	a := Action{Kind: RemoveQDevice, Target: "qdevice", Reason: why,
		FromVersion: w.version, ToVersion: v,
		Votes: &VoteChange{Before: before, After: after},
		Pre: []Fact{
			{Kind: FactClusterQuorate, Node: p.auth.Name},
			{Kind: FactClusterConf, Node: p.auth.Name, Digest: w.digest},
		},
		Steps: []Step{{Kind: StepQDeviceRemove, Node: p.auth.Name}},
		Post:  []Fact{{Kind: FactNotMember, Node: "qdevice", Via: p.auth.Name, NodeID: 0}},
	}
	p.commitPvecm(a, next, v)
	return true
}

// qdeviceSetup plans `pvecm qdevice setup` when one is declared, the cluster
// has none and its membership is as declared. Preconditions mirror pvecm's
// own (reference §3.9) plus what makes the device work: every member online,
// corosync-qdevice installed on each, qnetd reachable on TCP 5403.
func (p *planner) qdeviceSetup() {
	d := p.desired.Spec.QDevice
	if d == nil || hasDevice(p.pred.conf) {
		return
	}
	nodes := p.pred.conf.Nodes()
	if len(nodes) != len(p.desired.Spec.Members) {
		return // membership not settled yet; drift says why
	}
	var problems []string
	if missing := p.offline(); len(missing) > 0 {
		problems = append(problems, "every member must be online ("+strings.Join(missing, ", ")+" is not)")
	}
	for _, n := range nodes {
		o := p.obs.Node(n.Name)
		switch {
		case o == nil || o.QDevice == nil:
			problems = append(problems, n.Name+": qdevice facts not observed")
		case o.QDevice.Error != "":
			problems = append(problems, n.Name+": "+o.QDevice.Error)
		case !o.QDevice.Installed:
			problems = append(problems, n.Name+": corosync-qdevice is not installed (apt install corosync-qdevice)")
		}
	}
	if o := p.auth.QDevice; o != nil && o.QNetdReachable != nil && !*o.QNetdReachable {
		problems = append(problems, fmt.Sprintf("the qnetd host %s does not answer on TCP 5403 from %s", d.Host, p.auth.Name))
	}
	odd := len(nodes)%2 == 1
	if odd != (d.Algorithm == "lms") {
		problems = append(problems, fmt.Sprintf("algorithm %s does not fit %d nodes (pvecm uses ffsplit for an even count and lms, with --force, for an odd one)", d.Algorithm, len(nodes)))
	}
	if len(problems) > 0 {
		p.explain("qdevice", "qdevice", "declared, but it cannot be set up now: "+strings.Join(problems, "; "), "fix the above; quorate sets it up on a later run")
		return
	}
	w := p.pred
	next := w.conf.Clone()
	addDevice(next, d.Host, d.Algorithm, d.TieBreaker)
	v, err := next.BumpVersion()
	if err != nil {
		return
	}
	dv := deviceVotes(next)
	before, after := voteMath(w.conf, p.present, false), voteMath(next, p.present, true)
	reason := fmt.Sprintf("declared qdevice %s (%s, %d vote(s)) is not set up", d.Host, d.Algorithm, dv)
	if d.Algorithm == "lms" {
		reason += fmt.Sprintf("; lms on %d nodes gives the device %d votes: if the qnetd host fails, no other node may fail (pve-docs)", len(nodes), dv)
	}
	a := Action{Kind: SetupQDevice, Target: "qdevice", Reason: reason,
		FromVersion: w.version, ToVersion: v,
		Votes: &VoteChange{Before: before, After: after},
		Pre: []Fact{
			{Kind: FactClusterQuorate, Node: p.auth.Name},
			{Kind: FactClusterConf, Node: p.auth.Name, Digest: w.digest},
		},
		Steps: []Step{{Kind: StepQDeviceSetup, Node: p.auth.Name, Peer: d.Host, Force: d.Algorithm == "lms"}},
		Post:  []Fact{{Kind: FactVotes, Node: "qdevice", Via: p.auth.Name, NodeID: 0, Votes: dv}},
	}
	p.commitPvecm(a, next, v)
}

// offline lists the predicted nodelist's members that are not in the
// authority's membership.
func (p *planner) offline() []string {
	var out []string
	for _, n := range p.pred.conf.Nodes() {
		if !p.present[n.NodeID] {
			out = append(out, n.Name)
		}
	}
	return out
}

// addDevice writes the block `pvecm qdevice setup` writes (reference §4.6):
// votes 1 only for ffsplit; tie_breaker only when not the default.
func addDevice(c *corosync.Config, host, algorithm, tieBreaker string) {
	dev := c.Main.Ensure("quorum").Ensure("device")
	dev.Set("model", "net")
	net := dev.Ensure("net")
	net.Set("algorithm", algorithm)
	net.Set("host", host)
	net.Set("tls", "on")
	if tieBreaker != "" && tieBreaker != "lowest" {
		net.Set("tie_breaker", tieBreaker)
	}
	if algorithm == "ffsplit" {
		dev.Set("votes", "1")
	}
}

func sameDevice(c *corosync.Config, host, algorithm, tieBreaker string) bool {
	net := c.Main.Section("quorum").Section("device").Section("net")
	h, _ := net.Value("host")
	a, _ := net.Value("algorithm")
	if a == "" {
		a = "ffsplit"
	}
	tb, _ := net.Value("tie_breaker")
	if tb == "" {
		tb = "lowest"
	}
	if tieBreaker == "" {
		tieBreaker = "lowest"
	}
	return h == host && a == algorithm && tb == tieBreaker
}

func deviceText(c *corosync.Config) string {
	net := c.Main.Section("quorum").Section("device").Section("net")
	h, _ := net.Value("host")
	a, _ := net.Value("algorithm")
	return fmt.Sprintf("host %s, algorithm %s", h, a)
}
