package reconciler

import "github.com/quorate/quorate/state"

// Quorum invariants, evaluated on values before a step is proposed (and again
// by Apply on a fresh observation). votequorum's rules are in the reference
// §7.1: quorum = floor(highest_expected/2)+1, and quorum never drops when a
// member leaves — only an explicit expected-votes change or a reconfiguration
// lowers it. So the prediction for "node X stops" keeps the current quorum and
// removes X's votes from the total.

// votesWithout returns the votes present in q if nodeid left the membership.
func votesWithout(q *state.Quorum, nodeid int) int {
	total := q.TotalVotes
	for _, m := range q.Members {
		if m.NodeID == nodeid && nodeid != 0 {
			total -= m.Votes
		}
	}
	return total
}

// QuorateWithout predicts whether the partition q describes stays quorate if
// nodeid's corosync stops. A nodeid that is not a member changes nothing. With
// two_node set (flag 2Node) quorum is 1 while at most two nodes vote.
func QuorateWithout(q *state.Quorum, nodeid int) bool {
	if q == nil || !q.Quorate {
		return false
	}
	return votesWithout(q, nodeid) >= q.Quorum
}
