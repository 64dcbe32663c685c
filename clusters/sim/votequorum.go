package sim

import "fmt"

// quorumView is one node's votequorum state, what `corosync-quorumtool -s`
// prints.
type quorumView struct {
	expected int // this node's expected votes
	highest  int // highest expected among members
	total    int
	quorum   int
	quorate  bool
	flags    []string
	members  []qMember // ascending nodeid
}

// qMember is one row of the membership table.
type qMember struct {
	id    int
	votes int
	name  string // nodelist name as this node's runtime config has it
	addr  string // first link address (what -i prints)
}

// ownVotes is the votes a node contributes: its own nodelist entry's
// quorum_votes (absent = 1).
func ownVotes(n *node) int {
	if e := ownEntry(n.cs.cfg, n); e != nil {
		return e.votes
	}
	return 1
}

// quorumOf computes votequorum for n given its partition's total votes and
// highest expected (reference §7.1, §7.2):
//   - quorum = floor(highest_expected/2)+1, or 1 with two_node active;
//   - quorate when total >= quorum, unless still waiting for all
//     (wait_for_all, implied by two_node) — released once total reached
//     this node's expected votes;
//   - flags in the order 2Node Quorate WaitForAll LastManStanding
//     AutoTieBreaker AllowDownscale Qdevice.
func quorumOf(p *corosyncProc, total, highest int) (quorum int, quorate bool, flags []string) {
	quorum = highest/2 + 1
	if p.cfg.twoNodeActive() {
		quorum = 1
	}
	if p.wfaWaiting && total >= p.expectedVotes() {
		p.wfaWaiting = false
	}
	quorate = total >= quorum && !p.wfaWaiting
	if p.cfg.twoNodeActive() {
		flags = append(flags, "2Node")
	}
	if quorate {
		flags = append(flags, "Quorate")
	}
	if p.cfg.waitForAll {
		flags = append(flags, "WaitForAll")
	}
	if p.cfg.lms {
		flags = append(flags, "LastManStanding")
	}
	if p.cfg.atb {
		flags = append(flags, "AutoTieBreaker")
	}
	if p.cfg.downscale {
		flags = append(flags, "AllowDownscale")
	}
	return quorum, quorate, flags
}

// expectedVotes is this node's current expected votes: the runtime value
// (set at start and by a successful reload from the config, by -e, and raised
// when the total exceeds it), reference §7.1, §7.3.
func (p *corosyncProc) expectedVotes() int {
	if p.override > 0 {
		return p.override
	}
	return p.cfg.configExpected()
}

// computeQuorum recomputes the votequorum view of every member of part and
// logs quorate transitions the way corosync does.
func (m *Model) computeQuorum(part []*node) {
	total := 0
	for _, n := range part {
		total += ownVotes(n)
	}
	highest := 0
	for _, n := range part {
		p := n.cs
		// Votes above expected raise expected (and clear an -e value below
		// them; reference §7.3 (b)).
		if total > p.expectedVotes() {
			p.override = total
		}
		if p.override > 0 && p.override == p.cfg.configExpected() {
			p.override = 0
		}
		if e := p.expectedVotes(); e > highest {
			highest = e
		}
	}
	for _, n := range part {
		p := n.cs
		wasKnown := p.qv.quorum != 0
		was := p.quorate
		q, ok, flags := quorumOf(p, total, highest)
		view := quorumView{expected: p.expectedVotes(), highest: highest, total: total, quorum: q, quorate: ok, flags: flags}
		for _, x := range part {
			row := qMember{id: x.nodeID(), votes: ownVotes(x)}
			if e := p.cfg.byID(row.id); e != nil {
				row.name, row.addr = e.name, e.firstAddr()
			}
			view.members = append(view.members, row)
		}
		p.qv = view
		p.quorate = ok
		if p.wfaWaiting && !wasKnown {
			m.csLog(n, p.pid, "VOTEQ", fmt.Sprintf("Waiting for all cluster members. Current votes: %d expected_votes: %d", total, p.expectedVotes()))
		}
		if !wasKnown || was != ok {
			if ok {
				m.csLog(n, p.pid, "QUORUM", "This node is within the primary component and will provide service.")
			} else {
				m.csLog(n, p.pid, "QUORUM", "This node is within the non-primary component and will NOT provide any services.")
			}
		}
	}
}

// setExpected is `corosync-quorumtool -e N` run on n (reference §7.3, lab
// §3): refused when N is below the total votes, or when the partition is
// quorate and the new quorum would exceed the total; otherwise every member
// takes N, with quorum allowed to decrease.
func (m *Model) setExpected(n *node, want int) bool {
	part := m.partitionOf(n)
	total := 0
	for _, x := range part {
		total += ownVotes(x)
	}
	if want < 1 || want < total {
		return false
	}
	if n.cs.quorate && want/2+1 > total {
		return false
	}
	for _, x := range part {
		x.cs.override = want
		if x.cs.override == x.cs.cfg.configExpected() {
			x.cs.override = 0
		}
	}
	return true
}
