package api

import (
	"fmt"
	"net/netip"
	"strconv"
)

// Accepted qdevice algorithms and fixed tie-breakers (reference §7.5).
const (
	AlgorithmFFSplit  = "ffsplit"
	AlgorithmLMS      = "lms"
	TieBreakerLowest  = "lowest"
	TieBreakerHighest = "highest"
)

// totalVotes is the sum of the members' votes.
func (c *Cluster) totalVotes() int {
	n := 0
	for _, m := range c.Spec.Members {
		n += m.Votes
	}
	return n
}

// allOneVote reports whether every member has exactly 1 vote.
func (c *Cluster) allOneVote() bool {
	for _, m := range c.Spec.Members {
		if m.Votes != 1 {
			return false
		}
	}
	return true
}

func (v *validator) quorum() {
	c, q := v.c, v.c.Spec.Quorum
	if t := q.TemporaryExpectedVotes; t != nil {
		const path = "spec.quorum.temporaryExpectedVotes"
		if t.Votes < 1 {
			v.add(path+".votes", fmt.Sprintf("%d is below 1", t.Votes), "pvecm expected takes 1 or more (reference §3.5)")
		} else if t.Votes >= c.totalVotes() {
			v.add(path+".votes", fmt.Sprintf("%d is not below the declared %d votes, so it would change nothing", t.Votes, c.totalVotes()), "use it to lower expected votes while members are down, e.g. 1 for a two-node cluster with one node down")
		}
		if t.Reason == "" {
			v.add(path+".reason", "is required", "say why the override exists; it is kept in plans and the audit log")
		}
		if t.Expires.IsZero() {
			v.add(path+".expires", "is required", "give an RFC 3339 time, e.g. 2026-11-23T18:00:00Z; an override without an end is how split brains start")
		}
	}
	if q.TwoNode {
		// two_node makes quorum 1 for exactly two voters of 1 vote each, and
		// corosync refuses it together with a quorum device (reference §7.2).
		switch {
		case len(c.Spec.Members) != 2:
			v.add("spec.quorum.twoNode", fmt.Sprintf("needs exactly 2 members, %d are declared", len(c.Spec.Members)), "corosync disables two_node with more than 2 nodes (reference §7.2); remove twoNode")
		case !c.allOneVote():
			v.add("spec.quorum.twoNode", "needs both members to have 1 vote", "set votes: 1 on both members or remove twoNode (reference §7.2)")
		}
		if c.Spec.QDevice != nil {
			v.add("spec.quorum.twoNode", "cannot be combined with a qdevice", "corosync refuses \"two_node and quorum device cannot be configured at the same time\" (reference §7.2); remove twoNode or spec.qdevice")
		}
	}
	switch {
	case q.ExpectedVotes < 0:
		v.add("spec.quorum.expectedVotes", fmt.Sprintf("%d is negative", q.ExpectedVotes), "leave it out to let corosync derive it from the votes")
	case q.ExpectedVotes == 0:
	case c.Spec.QDevice != nil && c.Spec.QDevice.Algorithm == AlgorithmLMS:
		// Proxmox writes no quorum.device.votes for lms, and corosync then
		// refuses "quorum.device.votes must be specified when
		// quorum.expected_votes is set" (reference §4.6, §7.4).
		v.add("spec.quorum.expectedVotes", "cannot be set with an lms qdevice", "Proxmox writes no device votes for lms and corosync then refuses expected_votes (reference §7.4); remove expectedVotes")
	default:
		total, what := c.totalVotes(), "the members' votes"
		if c.Spec.QDevice != nil {
			total++ // ffsplit's device vote (reference §4.6)
			what = "the members' votes plus the qdevice's"
		}
		// corosync raises expected votes to the votes present anyway
		// (reference §7.1), so a lower number only hides a mistake.
		if q.ExpectedVotes < total {
			v.add("spec.quorum.expectedVotes", fmt.Sprintf("%d is less than the %d votes declared (%s)", q.ExpectedVotes, total, what),
				fmt.Sprintf("corosync raises expected votes to the total anyway (reference §7.1); remove expectedVotes or set it to at least %d", total))
		}
	}
}

func (v *validator) qdevice() {
	c, d := v.c, v.c.Spec.QDevice
	if d == nil {
		return
	}
	ms := c.Spec.Members
	switch {
	case d.Host == "":
		v.add("spec.qdevice.host", "is required", "give the IP address of the corosync-qnetd host")
	default:
		addr, msg := checkIP(d.Host)
		if msg != "" {
			hint := "give the IP address of the corosync-qnetd host"
			if isDNSName(d.Host) {
				msg = fmt.Sprintf("%q is a host name, not an IP address", d.Host)
				hint = "pvecm qdevice setup takes an IP address only (reference §3.9)"
			}
			v.add("spec.qdevice.host", msg, hint)
			break
		}
		if who := v.memberUsing(addr); who != "" {
			v.add("spec.qdevice.host", fmt.Sprintf("%s is an address of member %s", addr, who), "the qnetd arbiter must run outside the cluster, or losing that member also loses the arbiter's vote")
		}
	}
	if len(ms) < 2 {
		v.add("spec.qdevice", fmt.Sprintf("a quorum device needs at least 2 members, %d declared", len(ms)), "remove spec.qdevice")
	}
	switch d.Algorithm {
	case AlgorithmFFSplit, AlgorithmLMS:
		// pvecm qdevice setup picks the algorithm from the node count: even
		// gives ffsplit, odd gives lms (only with --force) (reference §3.9).
		even := len(ms)%2 == 0
		if len(ms) >= 2 && even != (d.Algorithm == AlgorithmFFSplit) {
			want := AlgorithmLMS
			if even {
				want = AlgorithmFFSplit
			}
			v.add("spec.qdevice.algorithm", fmt.Sprintf("%s does not fit %d members", d.Algorithm, len(ms)), fmt.Sprintf("pvecm qdevice setup uses ffsplit for an even and lms for an odd number of nodes (reference §3.9); set algorithm: %s", want))
		}
	default:
		v.add("spec.qdevice.algorithm", fmt.Sprintf("%q is not an algorithm", d.Algorithm), "use ffsplit or lms (reference §7.5)")
	}
	// ffsplit needs every node at 1 vote; so does lms as Proxmox writes it,
	// since without quorum.device.votes corosync refuses nodes with other
	// votes (reference §7.4).
	for i, m := range ms {
		if m.Votes != 1 && m.Votes != 0 {
			v.add(fmt.Sprintf("spec.members[%d].votes", i), fmt.Sprintf("%d votes cannot be combined with a qdevice", m.Votes), "with a quorum device every member must have 1 vote (reference §7.4)")
		}
	}
	switch d.TieBreaker {
	case TieBreakerLowest, TieBreakerHighest:
	default:
		id, err := strconv.Atoi(d.TieBreaker)
		if err != nil {
			v.add("spec.qdevice.tieBreaker", fmt.Sprintf("%q is not a tie-breaker", d.TieBreaker), "use lowest, highest or a member's nodeid (reference §7.5)")
			break
		}
		found := false
		for _, m := range ms {
			found = found || m.NodeID == id
		}
		if !found {
			v.add("spec.qdevice.tieBreaker", fmt.Sprintf("nodeid %d is not a member's", id), "use lowest, highest or the nodeid of a declared member")
		}
	}
}

// memberUsing returns the name of a member that has addr as a ring or
// management address, or "". Loopback management addresses are skipped: the
// simulator and single-host labs reach every node, and the arbiter, through
// 127.0.0.1 on different ports.
func (v *validator) memberUsing(addr netip.Addr) string {
	for i, m := range v.c.Spec.Members {
		var hosts []string
		if !addr.IsLoopback() {
			hosts = append(hosts, m.Management.Host)
		}
		for _, a := range m.Addresses {
			hosts = append(hosts, a.Address)
		}
		for _, h := range hosts {
			if a, err := netip.ParseAddr(h); err == nil && a == addr {
				return memberLabel(v.c.Spec.Members, i)
			}
		}
	}
	return ""
}
