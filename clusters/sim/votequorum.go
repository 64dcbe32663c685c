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

	// qdevice is true when this node's votequorum has a qdevice registered:
	// the Qdevice column and row are shown (reference §3.6); devVotes and
	// devCast are the device's votes and whether it casts them here.
	qdevice  bool
	devVotes int
	devCast  bool
}

// qMember is one row of the membership table.
type qMember struct {
	id    int
	votes int
	name  string // nodelist name as this node's runtime config has it
	addr  string // first link address (what -i prints)
	qdev  string // Qdevice column: "A,V,NMW"-style or "NR"; "" without the column
}

// qdeviceFlags is member x's Qdevice column (reference §3.6): NR when no
// qdevice registered on it, else Alive (daemon running), casts Vote, and
// Master Wins (never set: the net model's algorithms do not use it).
func qdeviceFlags(x *node) string {
	p := x.cs
	if !p.qdRegistered {
		return "NR"
	}
	a, v := "NA", "NV"
	if x.qd != nil {
		a = "A"
	}
	if p.qdCast {
		v = "V"
	}
	return a + "," + v + ",NMW"
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
//     AutoTieBreaker AllowDownscale Qdevice (Qdevice while a device is
//     registered here, lab §4).
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
	if p.qdRegistered {
		flags = append(flags, "Qdevice")
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

// nodeTotal is n's total votes: the partition's node votes plus the
// device's while it casts them on n (reference §7.1, lab §4: the survivor
// of a split counts 2 of 3, the other side 1).
func nodeTotal(n *node, nodeVotes int) int {
	if n.cs.qdCast {
		return nodeVotes + n.cs.cfg.deviceVotes()
	}
	return nodeVotes
}

// computeQuorum recomputes the votequorum view of every member of part and
// logs quorate transitions the way corosync does.
func (m *Model) computeQuorum(part []*node) {
	nodeVotes := 0
	for _, n := range part {
		nodeVotes += ownVotes(n)
	}
	// A runtime expected value set with -e spreads to nodes that join the
	// partition: votequorum members exchange expected votes, and a node
	// joining a cluster whose expected was lowered takes the lower value
	// (then raised to the votes present below). Seen on real corosync 3.1.7
	// (lab/conformance_test.go TestConformanceExpectedOverrideNodeReturns):
	// -e 1 on a lone node, a second node returns, both show expected 2.
	low := 0
	for _, n := range part {
		if o := n.cs.override; o > 0 && (low == 0 || o < low) {
			low = o
		}
	}
	if low > 0 {
		for _, n := range part {
			if n.cs.override == 0 || n.cs.override > low {
				n.cs.override = low
			}
		}
	}
	highest := 0
	for _, n := range part {
		p := n.cs
		total := nodeTotal(n, nodeVotes)
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
		total := nodeTotal(n, nodeVotes)
		q, ok, flags := quorumOf(p, total, highest)
		view := quorumView{expected: p.expectedVotes(), highest: highest, total: total, quorum: q, quorate: ok, flags: flags,
			qdevice: p.qdRegistered || p.qdSeen, devVotes: p.cfg.deviceVotes(), devCast: p.qdCast}
		for _, x := range part {
			row := qMember{id: x.nodeID(), votes: ownVotes(x)}
			if e := p.cfg.byID(row.id); e != nil {
				row.name, row.addr = e.name, e.firstAddr()
			}
			if view.qdevice {
				row.qdev = qdeviceFlags(x)
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
	total = nodeTotal(n, total)
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
