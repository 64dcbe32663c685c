package reconciler

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/corosync"
)

// joinProblems mirrors Proxmox's own join check (assert_joinable, reference
// §2.9) on an observed node: no cluster config, no authkey, corosync not
// running, no guests, and every link address configured on the node. It
// returns the problems in Proxmox's order and wording where one exists.
func joinProblems(n *state.Node, addrs []LinkAddress) []string {
	if n == nil || !n.SSH.OK {
		return []string{"the node does not answer over SSH"}
	}
	if n.Joiner == nil {
		return []string{"the node's join facts were not observed"}
	}
	if n.Joiner.Error != "" {
		return []string{"its join facts could not be read: " + n.Joiner.Error}
	}
	var out []string
	if n.Joiner.Authkey {
		out = append(out, "authentication key '/etc/corosync/authkey' already exists")
	}
	if n.ClusterConf.Present {
		out = append(out, "cluster config '/etc/pve/corosync.conf' already exists")
	}
	if len(n.Joiner.Guests) > 0 {
		ids := make([]string, len(n.Joiner.Guests))
		for i, g := range n.Joiner.Guests {
			ids[i] = strconv.Itoa(g)
		}
		out = append(out, "this host already contains virtual guests ("+strings.Join(ids, ", ")+")")
	}
	if n.Corosync == state.Active {
		out = append(out, "corosync is already running, is this node already in a cluster?!")
	}
	for _, a := range addrs {
		if !slices.Contains(n.Joiner.Interfaces, a.Address) {
			out = append(out, fmt.Sprintf("link%d: cannot use IP '%s', not found on local node!", a.Link, a.Address))
		}
	}
	return out
}

// joinChanges plans at most one join per round, and none in a round that
// already changes the membership. A join raises expected votes as soon as the
// new nodelist is reloaded, before the node runs (reference §2.6, corosync-lab
// §1(b)), so it is refused when that would cost quorum; removing an absent
// member first (planned earlier in the round) is the reordering that helps.
func (p *planner) joinChanges(membershipChanged bool) (joined bool) {
	inConf := map[string]bool{}
	usedIDs := map[int]string{}
	usedAddr := map[string]string{}
	for _, n := range p.pred.conf.Nodes() {
		inConf[n.Name] = true
		usedIDs[n.NodeID] = n.Name
		for l, a := range n.Addrs {
			usedAddr[a] = fmt.Sprintf("ring%d_addr of %s", l, n.Name)
		}
	}
	var links []int
	for _, it := range p.pred.conf.Interfaces() {
		links = append(links, it.Number)
	}
	sort.Ints(links)
	for _, m := range p.desired.Spec.Members {
		if inConf[m.Name] {
			continue
		}
		key := "member:" + m.Name
		if membershipChanged {
			p.explain(key, m.Name, "declared, not in the cluster yet; waits for the membership change above (one per round)", "apply continues with it in the next round")
			continue
		}
		var addrs []LinkAddress
		var declLinks []int
		for _, a := range m.Addresses {
			addrs = append(addrs, LinkAddress{Link: a.Link, Address: a.Address})
			declLinks = append(declLinks, a.Link)
		}
		sort.Ints(declLinks)
		var problems []string
		if other, ok := usedIDs[m.NodeID]; ok {
			problems = append(problems, fmt.Sprintf("nodeid %d is already %s's", m.NodeID, other))
		}
		for _, a := range addrs {
			if use, ok := usedAddr[a.Address]; ok {
				problems = append(problems, fmt.Sprintf("address '%s' is already %s", a.Address, use))
			}
		}
		if !slices.Equal(declLinks, links) {
			problems = append(problems, fmt.Sprintf("declared on links %v, but the cluster has links %v (Proxmox requires the same link set)", declLinks, links))
		}
		problems = append(problems, joinProblems(p.obs.Node(m.Name), addrs)...)
		if len(problems) > 0 {
			p.explain(key, m.Name, "declared, but it cannot join: "+strings.Join(problems, "; "),
				"fix the node (Proxmox's join check would refuse it too) or its declaration; a node that was in a cluster before must be reinstalled or separated first (pvecm docs)")
			continue
		}
		if p.desired.Spec.Access.RootPassword == nil {
			p.explain(key, m.Name, "declared, not in the cluster, and joinable, but spec.access.rootPassword is not set",
				"set spec.access.rootPassword: pvecm add logs in to a member as root@pam (API tokens cannot join)")
			continue
		}
		if !p.dry && hasDevice(p.pred.conf) {
			p.explain(key, m.Name, "declared; the cluster's qdevice must be removed before members are added (pvecm docs)",
				"quorate removes the qdevice first when it can (see above), then joins the member, then sets the qdevice up again if declared")
			continue
		}
		return p.joinAction(m, addrs)
	}
	return false
}

func (p *planner) joinAction(m api.Member, addrs []LinkAddress) bool {
	w := p.pred
	next := w.conf.Clone()
	addNode(next, m)
	v, err := next.BumpVersion()
	if err != nil {
		return false
	}
	before, after := voteMath(w.conf, p.present, p.qdevCasting), voteMath(next, p.present, p.qdevCasting && hasDevice(next))
	if before.Quorate && !after.Quorate {
		p.explain("member:"+m.Name, m.Name,
			fmt.Sprintf("joining now would cost quorum: expected votes rise as soon as the nodelist is reloaded, before %s runs (%s → %s)", m.Name, before, after),
			"bring the missing members back first, or let quorate remove the absent ones (policy.removeAbsentMembers)")
		return false
	}
	peer := p.authIP()
	authDecl := p.desired.Member(p.auth.Name)
	a := Action{
		Kind: JoinMember, Target: m.Name,
		Reason:      fmt.Sprintf("declared (nodeid %d, %d vote(s)) but not in the cluster; Proxmox's join check passes on it", m.NodeID, m.Votes),
		FromVersion: w.version, ToVersion: v,
		Votes: &VoteChange{Before: before, After: after},
		Pre: []Fact{
			{Kind: FactClusterQuorate, Node: p.auth.Name},
			{Kind: FactClusterConf, Node: p.auth.Name, Digest: w.digest},
			{Kind: FactJoinable, Node: m.Name, Links: addrs},
		},
		Steps: []Step{
			{Kind: StepJoin, Node: m.Name, Peer: peer, Fingerprint: authDecl.Management.Fingerprint,
				NodeID: m.NodeID, Votes: m.Votes, Links: addrs},
			{Kind: StepLearnFingerprint, Node: p.auth.Name, Target: m.Name},
		},
		Post: []Fact{
			{Kind: FactMember, Node: m.Name, Via: p.auth.Name, NodeID: m.NodeID},
			{Kind: FactRuntimeVersion, Node: m.Name, Version: v},
			{Kind: FactNodeQuorate, Node: m.Name},
		},
	}
	p.commitPvecm(a, next, v)
	return true
}

// authIP is the address the joining node uses to reach the authority's API:
// the authority's hostname address as its own /cluster/status reports it
// (what pvecm uses for SSH and API between members, reference §6.7), else
// its link 0 address.
func (p *planner) authIP() string {
	if st := p.auth.PVE; st != nil {
		for _, n := range st.Nodes {
			if n.Name == p.auth.Name && n.IP != "" {
				return n.IP
			}
		}
	}
	for _, n := range p.pred.conf.Nodes() {
		if n.Name == p.auth.Name {
			return n.Addrs[0]
		}
	}
	return p.auth.Name
}

// addNode appends a node section as addnode writes it (reference §2.6 step
// 12): name, nodeid, quorum_votes, ringN_addr.
func addNode(c *corosync.Config, m api.Member) {
	nl := c.Main.Ensure("nodelist")
	s := corosync.NewSection()
	s.Set("name", m.Name)
	s.Set("nodeid", strconv.Itoa(m.NodeID))
	s.Set("quorum_votes", strconv.Itoa(m.Votes))
	for _, a := range m.Addresses {
		s.Set(fmt.Sprintf("ring%d_addr", a.Link), a.Address)
	}
	nl.SetList("node", append(nl.List("node"), s))
}
