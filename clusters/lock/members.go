package lock

import "github.com/quorate/quorate/state"

// Members lists an observation's members in the order to try the lock
// through: quorate ones first (pmxcfs is read-only without quorum, so only
// they can take it), then the rest, each group in observed order.
func Members(obs *state.Cluster) []string {
	var first, rest []string
	for _, n := range obs.Nodes {
		if n.Quorate() {
			first = append(first, n.Name)
		} else {
			rest = append(rest, n.Name)
		}
	}
	return append(first, rest...)
}
