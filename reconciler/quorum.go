package reconciler

import (
	"fmt"
	"strconv"

	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/corosync"
)

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

// VoteMath is votequorum's arithmetic for one configuration and one set of
// present members (reference §7.1): Expected is quorum.expected_votes when
// set, else the sum of quorum_votes over the nodelist (absent = 1), raised to
// Present when more votes are present; Quorum is floor(Expected/2)+1, or 1
// with two_node while at most two nodes are configured.
type VoteMath struct {
	Expected int  `json:"expected"`
	Present  int  `json:"present"`
	Quorum   int  `json:"quorum"`
	Quorate  bool `json:"quorate"`
}

// String renders "4 of 5 votes present, quorum 3 (quorate)".
func (v VoteMath) String() string {
	q := "quorate"
	if !v.Quorate {
		q = "NOT quorate"
	}
	return fmt.Sprintf("%d of %d votes present, quorum %d (%s)", v.Present, v.Expected, v.Quorum, q)
}

// VoteChange is the arithmetic before and after one action.
type VoteChange struct {
	Before VoteMath `json:"before"`
	After  VoteMath `json:"after"`
}

// voteMath computes the arithmetic of conf with the nodes in present (by
// nodeid) voting, and the qdevice's votes when conf has one and it casts them
// (reference §7.4: quorum.device.votes, or node count − 1 when absent).
func voteMath(conf *corosync.Config, present map[int]bool, qdevCasting bool) VoteMath {
	var v VoteMath
	nodes := conf.Nodes()
	if dv := deviceVotes(conf); dv > 0 {
		v.Expected += dv
		if qdevCasting {
			v.Present += dv
		}
	}
	for _, n := range nodes {
		votes := n.Votes
		if votes == 0 {
			votes = 1
		}
		v.Expected += votes
		if present[n.NodeID] {
			v.Present += votes
		}
	}
	q := conf.Main.Section("quorum")
	if ev, ok := q.Value("expected_votes"); ok {
		if n, err := strconv.Atoi(ev); err == nil && n > 0 {
			v.Expected = n
		}
	}
	if v.Present > v.Expected {
		v.Expected = v.Present
	}
	v.Quorum = v.Expected/2 + 1
	if tn, _ := q.Value("two_node"); tn == "1" && len(nodes) <= 2 {
		v.Quorum = 1
	}
	v.Quorate = v.Present >= v.Quorum
	return v
}

// hasDevice reports whether conf configures a quorum device.
func hasDevice(conf *corosync.Config) bool {
	return conf.Main.Section("quorum").Section("device") != nil
}

// deviceVotes is the quorum device's votes in conf: quorum.device.votes, or
// the node count − 1 when absent (what lms relies on, reference §7.4); 0
// without a device.
func deviceVotes(conf *corosync.Config) int {
	dev := conf.Main.Section("quorum").Section("device")
	if dev == nil {
		return 0
	}
	if v, ok := dev.Value("votes"); ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return len(conf.Nodes()) - 1
}
