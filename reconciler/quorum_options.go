package reconciler

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/corosync"
)

// quorumOptions plans one edit that sets two_node, wait_for_all and
// expected_votes as declared. two_node implies wait_for_all in corosync
// (votequorum.5), so with twoNode declared wait_for_all is left as corosync
// derives it unless waitForAll is declared too.
func (p *planner) quorumOptions() {
	changes, want := p.quorumOptionChanges(p.pred.conf)
	if len(changes) == 0 {
		return
	}
	cur := p.pred.conf.Main.Section("quorum")
	reason := "declared quorum options differ: " + strings.Join(changes, ", ")
	if w, _ := cur.Value("wait_for_all"); norm(w) != want["wait_for_all"] {
		reason += "; corosync applies wait_for_all only at its next restart (votequorum.5)"
	}
	a, err := p.edit(SetQuorumOptions, "quorum", reason, func(c *corosync.Config) {
		qs := c.Main.Ensure("quorum")
		for k, v := range want {
			if v == "" {
				qs.Delete(k)
			} else {
				qs.Set(k, v)
			}
		}
	}, nil)
	if err != nil {
		p.explain("quorum", "quorum", "changing the quorum options now: "+err.Error(), "bring the missing members back first")
		return
	}
	p.add(a)
}

// quorumOptionChanges lists how conf's quorum options differ from the
// declaration, and the declared values ("" = absent).
func (p *planner) quorumOptionChanges(conf *corosync.Config) ([]string, map[string]string) {
	q := conf.Main.Section("quorum")
	d := p.desired.Spec.Quorum
	cur := func(key string) string { v, _ := q.Value(key); return v }
	want := map[string]string{"two_node": "", "wait_for_all": "", "expected_votes": ""}
	if d.TwoNode {
		want["two_node"] = "1"
	}
	if d.WaitForAll {
		want["wait_for_all"] = "1"
	}
	if d.ExpectedVotes > 0 {
		want["expected_votes"] = strconv.Itoa(d.ExpectedVotes)
	}
	var changes []string
	for _, k := range []string{"expected_votes", "two_node", "wait_for_all"} {
		if norm(cur(k)) != want[k] {
			changes = append(changes, fmt.Sprintf("%s %s → %s", k, show(cur(k)), show(want[k])))
		}
	}
	return changes, want
}

// norm treats "0" like an absent key (the default).
func norm(v string) string {
	if v == "0" {
		return ""
	}
	return v
}

func show(v string) string {
	if norm(v) == "" {
		return "unset"
	}
	return v
}

// temporaryExpected handles a declared runtime expected-votes override
// (reference §3.5, §7.3). It runs before the authority is looked for: its
// whole point is a cluster without quorum, e.g. a two-node cluster with one
// node down. It returns true when it planned something, which is then all
// this round does.
//
//   - Active (now before expires) and the running partition is inquorate:
//     set it with `pvecm expected N`, if corosync will accept N (not below
//     the votes present).
//   - Expired and still in force (runtime expected below the configured
//     expected): clear it with a reload. This may make a lone node inquorate
//     again: that is what the declaration asked for, and keeping a lone
//     two-node member writable past its window is how split brains start.
//   - A lowered expected that is not declared is reported, never touched.
func (p *planner) temporaryExpected() bool {
	t := p.desired.Spec.Quorum.TemporaryExpectedVotes
	var running []*state.Node
	for i := range p.obs.Nodes {
		n := &p.obs.Nodes[i]
		if n.SSH.OK && n.Quorum != nil && p.desired.Member(n.Name) != nil {
			running = append(running, n)
		}
	}
	sort.Slice(running, func(i, j int) bool { return running[i].Name < running[j].Name })
	for _, n := range running {
		// Only a node of the declared cluster: this runs before the
		// authority's cluster-name check (plan.go run).
		if conf, err := n.LocalConf.Parsed(); err != nil || conf.ClusterName() != p.desired.Metadata.Name {
			continue
		}
		configured := configuredExpected(n)
		lowered := configured > 0 && n.Quorum.ExpectedVotes < configured
		switch {
		case t != nil && p.now.Before(t.Expires) && !n.Quorum.Quorate:
			if n.Quorum.TotalVotes > t.Votes {
				p.block(n.Name, fmt.Sprintf("temporaryExpectedVotes %d is below the %d vote(s) present; corosync refuses that", t.Votes, n.Quorum.TotalVotes), "raise temporaryExpectedVotes.votes")
				return false
			}
			p.add(Action{Kind: SetExpectedVotes, Target: n.Name,
				Reason: fmt.Sprintf("declared override until %s (%s): %s has %d of %d votes, quorum %d; expected votes %d make it quorate (runtime only)",
					t.Expires.UTC().Format("2006-01-02 15:04Z"), t.Reason, n.Name, n.Quorum.TotalVotes, n.Quorum.ExpectedVotes, n.Quorum.Quorum, t.Votes),
				Pre:   []Fact{{Kind: FactVotesAtMost, Node: n.Name, Votes: t.Votes}},
				Steps: []Step{{Kind: StepSetExpected, Node: n.Name, Votes: t.Votes}},
				Post:  []Fact{{Kind: FactExpectedVotes, Node: n.Name, Votes: t.Votes}, {Kind: FactNodeQuorate, Node: n.Name}},
			})
			return true
		case lowered && t != nil && !p.now.Before(t.Expires):
			p.add(Action{Kind: ClearExpectedVotes, Target: n.Name,
				Reason: fmt.Sprintf("the declared override (%s) expired at %s; a reload re-derives expected votes (%d) from corosync.conf",
					t.Reason, t.Expires.UTC().Format("2006-01-02 15:04Z"), configured),
				Pre:   []Fact{{Kind: FactExpectedVotes, Node: n.Name, Votes: n.Quorum.ExpectedVotes}},
				Steps: []Step{{Kind: StepReloadCorosync, Node: n.Name}},
				Post:  []Fact{{Kind: FactExpectedVotes, Node: n.Name, Votes: configured}},
			})
			return true
		case lowered && t == nil:
			p.block(n.Name, fmt.Sprintf("runs with %d expected votes, below the %d its corosync.conf gives: lowered by hand (pvecm expected)", n.Quorum.ExpectedVotes, configured),
				"declare it under quorum.temporaryExpectedVotes with a reason and an expiry, or end it with `corosync-cfgtool -R`; quorate does not touch an undeclared override")
			return false
		}
	}
	return false
}

// configuredExpected is what votequorum derives from the node's own
// corosync.conf (0 when it cannot be read).
func configuredExpected(n *state.Node) int {
	conf, err := n.LocalConf.Parsed()
	if err != nil {
		return 0
	}
	return voteMath(conf, nil, false).Expected
}
