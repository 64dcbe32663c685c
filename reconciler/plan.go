package reconciler

import (
	"fmt"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/state"
)

// FormatVersion is the version of the JSON form of a Changeset.
const FormatVersion = 1

// Changeset is the result of Plan: the actions to run, in order, and the drift
// that quorate sees but may not act on now. It names the observation it was
// computed from, so a saved plan is refused once the cluster has changed.
type Changeset struct {
	FormatVersion int    `json:"format_version"`
	Cluster       string `json:"cluster"`
	// Fingerprint is state.Cluster.Fingerprint of the observation.
	Fingerprint string `json:"fingerprint"`
	// CreatedAt is the now given to Plan.
	CreatedAt time.Time `json:"created_at"`
	// Actions run in this order, one at a time.
	Actions []Action `json:"actions"`
	// Blocked lists differences quorate will not change now, each with why and
	// what to do. A Changeset with Blocked entries is not converged.
	Blocked []Blocked `json:"blocked"`
}

// Blocked is a difference between declared and observed state that no action
// addresses: a failed precondition, or a change this build does not make.
type Blocked struct {
	Target string `json:"target"`
	Reason string `json:"reason"`
	// Do is what the operator can do about it.
	Do string `json:"do"`
}

// Converged reports whether nothing is left to do or explain.
func (c *Changeset) Converged() bool { return len(c.Actions) == 0 && len(c.Blocked) == 0 }

// Plan compares the declared state with one observation and returns the
// actions that converge them, in execution order. It is pure: no I/O, no clock
// (now is an input, used only for names such as backup files), no map-order
// dependence. desired must have passed api.Validate.
func Plan(desired *api.Cluster, observed *state.Cluster, now time.Time) Changeset {
	cs := Changeset{
		FormatVersion: FormatVersion,
		Cluster:       desired.Metadata.Name,
		Fingerprint:   observed.Fingerprint(),
		CreatedAt:     now.UTC(),
		Actions:       []Action{},
		Blocked:       []Blocked{},
	}
	p := planner{desired: desired, obs: observed, now: now.UTC(), cs: &cs}
	p.run()
	return cs
}

type planner struct {
	desired *api.Cluster
	obs     *state.Cluster
	now     time.Time
	cs      *Changeset

	// Set once an authority is found (plan.go run):
	auth    *state.Node
	pred    *predicted     // the cluster's corosync.conf after the actions so far
	present map[int]bool   // nodeids in the authority's membership
	running []string       // observed nodes in that membership, by name
	ids     map[string]int // nodeid by name in the cluster's corosync.conf
	// explained records differences already reported by changes(), by key
	// ("link:1", "member:pve4", "votes:pve1").
	explained map[string]bool
	// dry marks a planner copy used to ask "would a membership change be
	// planned if there were no qdevice?" (qdevice.go); its results are
	// discarded.
	dry bool
	// qdevCasting is true when the authority's membership shows the qdevice
	// casting its votes.
	qdevCasting bool
}

func (p *planner) block(target, reason, do string) {
	p.cs.Blocked = append(p.cs.Blocked, Blocked{Target: target, Reason: reason, Do: do})
}

func (p *planner) add(a Action) { p.cs.Actions = append(p.cs.Actions, a) }

// run applies the ordering rules of order.go.
func (p *planner) run() {
	if p.temporaryExpected() {
		return
	}
	auth := p.obs.Authority()
	if auth == nil {
		p.block(p.desired.Metadata.Name,
			"no node was observed with a quorate corosync and a readable /etc/pve/corosync.conf, so quorate cannot tell which configuration is the cluster's",
			"restore quorum first (see `pvecm status` on the nodes); quorate does not act on an inquorate cluster")
		p.unreachable()
		return
	}
	conf, err := auth.ClusterConf.Parsed()
	if err != nil {
		p.block(p.desired.Metadata.Name,
			fmt.Sprintf("%s: /etc/pve/corosync.conf does not parse: %v", auth.Name, err),
			"repair /etc/pve/corosync.conf by hand (Proxmox's tools refuse it too)")
		return
	}
	if name := conf.ClusterName(); name != p.desired.Metadata.Name {
		p.block(p.desired.Metadata.Name,
			fmt.Sprintf("the cluster at these addresses is named %q (totem.cluster_name on %s), not %q", name, auth.Name, p.desired.Metadata.Name),
			"check metadata.name and the members' management addresses; quorate will not touch a cluster it was not pointed at")
		return
	}
	p.unreachable()
	p.setAuthority(auth)
	p.resyncStale(auth)
	if len(p.cs.Actions) == 0 {
		p.reloadLagging(auth)
	}
	if len(p.cs.Actions) > 0 {
		// Rule 3: repairs first; changes are planned once they are done.
		p.drift(auth, conf, true)
		return
	}
	deferred := p.changes()
	p.drift(auth, p.pred.conf, deferred)
}

func (p *planner) setAuthority(auth *state.Node) {
	p.auth = auth
	p.pred, _ = newPredicted(auth.ClusterConf)
	p.present = map[int]bool{}
	for _, m := range auth.Quorum.Members {
		if m.NodeID != 0 {
			p.present[m.NodeID] = true
		} else if m.Votes > 0 {
			p.qdevCasting = true
		}
	}
	p.ids = map[string]int{}
	for _, n := range p.pred.conf.Nodes() {
		p.ids[n.Name] = n.NodeID
	}
	for _, n := range p.obs.Nodes {
		if id, ok := p.ids[n.Name]; ok && p.present[id] && n.Corosync == state.Active {
			p.running = append(p.running, n.Name)
		}
	}
}

// unreachable reports declared members that could not be observed over SSH.
func (p *planner) unreachable() {
	for _, n := range p.obs.Nodes {
		if p.desired.Member(n.Name) == nil || n.SSH.OK {
			continue
		}
		p.block(n.Name,
			fmt.Sprintf("not reachable over SSH: %s", n.SSH.Error),
			"check that the node is powered on and that members[].management points at it; quorate plans only from what it can see")
	}
}

// RuntimeOnly reports whether every action only changes votequorum's runtime
// state (SetExpectedVotes, `pvecm expected`): the one change that is possible,
// and needed, while no member is quorate and pmxcfs is read-only. Such a
// changeset cannot wait for the cluster lock, which lives in pmxcfs.
func (c *Changeset) RuntimeOnly() bool {
	if len(c.Actions) == 0 {
		return false
	}
	for _, a := range c.Actions {
		if a.Kind != SetExpectedVotes {
			return false
		}
	}
	return true
}
