package reconciler

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/corosync"
)

// changes plans the declared changes quorate makes, in this order (see the
// rules at the top of order.go): links (add, move, priority, remove), votes,
// at most one member removal, then the cleanup of removed members. Each is a
// separate corosync.conf version; each starts from the bytes the previous one
// leaves (p.pred). A change that cannot be made safely is explained in
// Blocked and recorded in p.explained so drift does not report it twice.
func (p *planner) changes() (deferred bool) {
	p.linkChanges()
	p.voteChanges()
	p.quorumOptions()
	if p.qdeviceFirst() {
		return true
	}
	removed := p.memberRemoval()
	joined := p.joinChanges(removed)
	p.cleanupRemoved()
	if !removed && !joined {
		p.qdeviceSetup()
	}
	return removed || joined
}

func (p *planner) explain(key, target, reason, do string) {
	if p.explained == nil {
		p.explained = map[string]bool{}
	}
	p.explained[key] = true
	p.block(target, reason, do)
}

// runningIDs returns the nodeids of the running members, for link checks.
func (p *planner) runningIDs() []int {
	var ids []int
	for _, n := range p.running {
		ids = append(ids, p.ids[n])
	}
	sort.Ints(ids)
	return ids
}

// linkUp is the set of facts "link l connects every running member".
func (p *planner) linkUp(l int) []Fact {
	var out []Fact
	for _, n := range p.running {
		out = append(out, Fact{Kind: FactLinkConnected, Node: n, Link: l, Peers: p.runningIDs()})
	}
	return out
}

func (p *planner) linkGone(l int) []Fact {
	var out []Fact
	for _, n := range p.running {
		out = append(out, Fact{Kind: FactLinkAbsent, Node: n, Link: l})
	}
	return out
}

// declaredAddrs returns, for every node of the predicted nodelist, its
// declared address on link l; missing names a node without one.
func (p *planner) declaredAddrs(l int) (addrs map[string]string, missing string) {
	addrs = map[string]string{}
	for _, n := range p.pred.conf.Nodes() {
		m := p.desired.Member(n.Name)
		if m == nil || m.Address(l) == "" {
			return nil, n.Name
		}
		addrs[n.Name] = m.Address(l)
	}
	return addrs, ""
}

func (p *planner) addLinkAction(l, priority int, addrs map[string]string, reason string) bool {
	a, err := p.edit(AddLink, fmt.Sprintf("link %d", l), reason,
		func(c *corosync.Config) { addLink(c, l, priority, addrs) }, p.linkUp(l))
	if err != nil {
		p.explain(fmt.Sprintf("link:%d", l), fmt.Sprintf("link %d", l), err.Error(), "report this: adding a link should never cost quorum")
		return false
	}
	p.add(a)
	return true
}

func (p *planner) removeLinkAction(l, keep int, reason string) bool {
	a, err := p.edit(RemoveLink, fmt.Sprintf("link %d", l), reason,
		func(c *corosync.Config) { removeLink(c, l) }, p.linkGone(l))
	if err != nil {
		p.explain(fmt.Sprintf("link:%d", l), fmt.Sprintf("link %d", l), err.Error(), "report this: removing a link should never cost quorum")
		return false
	}
	// Never drop a link unless another one already connects every pair.
	a.Pre = append(a.Pre, p.linkUp(keep)...)
	p.add(a)
	return true
}

func (p *planner) linkChanges() {
	cur := map[int]int{} // link → priority in the cluster
	for _, it := range p.pred.conf.Interfaces() {
		cur[it.Number] = it.Priority
	}
	want := map[int]int{}
	for _, l := range p.desired.Spec.Links {
		want[l.Number] = l.Priority
	}
	nums := sortedLinks
	// 1. Add declared links the cluster lacks.
	for _, l := range nums(want) {
		if _, ok := cur[l]; ok {
			continue
		}
		addrs, missing := p.declaredAddrs(l)
		if missing != "" {
			p.explain(fmt.Sprintf("link:%d", l), fmt.Sprintf("link %d", l),
				fmt.Sprintf("declared, but %s is in the cluster without an address declared on it", missing),
				"every node needs an address on every link (Proxmox's verify_conf): declare it, or let quorate remove the node first")
			continue
		}
		if !p.addLinkAction(l, want[l], addrs, fmt.Sprintf("declared link %d is not in the cluster; adding a link applies live (reference §8.1)", l)) {
			return
		}
		cur[l] = want[l]
	}
	// 2. Move links whose addresses changed: corosync refuses an address
	// change on a live link (reference §8.2), so the link is removed and added
	// again while another link carries the cluster (corosync-lab §1(a)).
	for _, l := range nums(want) {
		addrs, missing := p.declaredAddrs(l)
		if missing != "" {
			continue
		}
		if sameAddrs(p.pred.conf, l, addrs) {
			continue
		}
		if !p.moveLink(l, want[l], addrs, cur, want) {
			return
		}
	}
	// 3. Priorities.
	for _, l := range nums(want) {
		if prio, ok := cur[l]; ok && prio != want[l] {
			a, err := p.edit(SetLinkPriority, fmt.Sprintf("link %d", l),
				fmt.Sprintf("knet_link_priority of link %d is %d, declared %d (live, reference §8.1; in passive mode the highest number carries traffic)", l, prio, want[l]),
				func(c *corosync.Config) { setPriority(c, l, want[l]) }, nil)
			if err != nil {
				p.explain(fmt.Sprintf("link:%d", l), fmt.Sprintf("link %d", l), err.Error(), "report this")
				return
			}
			p.add(a)
			cur[l] = want[l]
		}
	}
	// 4. Remove links that are not declared, while a declared one connects.
	for _, l := range nums(cur) {
		if _, ok := want[l]; ok {
			continue
		}
		keep := -1
		for _, k := range nums(want) {
			if _, ok := cur[k]; ok {
				keep = k
				break
			}
		}
		if keep < 0 {
			p.explain(fmt.Sprintf("link:%d", l), fmt.Sprintf("link %d", l), "no declared link is in place to carry the cluster", "add the declared link first")
			continue
		}
		if !p.removeLinkAction(l, keep, fmt.Sprintf("link %d is in the cluster but not declared; removing a link applies live once link %d connects every node", l, keep)) {
			return
		}
		delete(cur, l)
	}
}

// moveLink plans the address move of link l, in two steps when another
// declared link with unchanged addresses can carry the cluster, else in four
// through a temporary link.
func (p *planner) moveLink(l, priority int, addrs map[string]string, cur, want map[int]int) bool {
	for _, m := range sortedLinks(cur) {
		if m == l {
			continue
		}
		if _, declared := want[m]; !declared {
			continue
		}
		if mAddrs, missing := p.declaredAddrs(m); missing == "" && sameAddrs(p.pred.conf, m, mAddrs) {
			why := fmt.Sprintf("move link %d to its declared addresses (step %%d of 2): corosync cannot change an address on a live link (reference §8.2); link %d carries the cluster meanwhile", l, m)
			return p.removeLinkAction(l, m, fmt.Sprintf(why, 1)) &&
				p.addLinkAction(l, priority, addrs, fmt.Sprintf(why, 2))
		}
	}
	// An undeclared link already on the new addresses is the temporary link
	// of a move that stopped after its first step (a controller killed
	// there, or an apply that was cut off): continue that move rather than
	// start another one.
	for _, m := range sortedLinks(cur) {
		if _, declared := want[m]; declared || m == l || !sameAddrs(p.pred.conf, m, addrs) {
			continue
		}
		why := fmt.Sprintf("move link %d to its declared addresses (step %%d of 4, continued): link %d, a temporary link already on the new addresses, carries the cluster while link %d is removed and added again (corosync-lab §1(a))", l, m, l)
		if !p.removeLinkAction(l, m, fmt.Sprintf(why, 2)) ||
			!p.addLinkAction(l, priority, addrs, fmt.Sprintf(why, 3)) ||
			!p.removeLinkAction(m, l, fmt.Sprintf(why, 4)) {
			return false
		}
		delete(cur, m)
		return true
	}
	tmp := -1
	for n := 0; n <= 7; n++ {
		_, inCur := cur[n]
		_, inWant := want[n]
		if !inCur && !inWant {
			tmp = n
			break
		}
	}
	if tmp < 0 {
		p.explain(fmt.Sprintf("link:%d", l), fmt.Sprintf("link %d", l), "its addresses changed, and no free link number is left for the temporary link a live move needs", "free a link number (at most 8 links)")
		return false
	}
	why := fmt.Sprintf("move link %d to its declared addresses (step %%d of 4): corosync cannot change an address on a live link (reference §8.2), so a temporary link %d on the new addresses carries the cluster while link %d is removed and added again (corosync-lab §1(a))", l, tmp, l)
	if !p.addLinkAction(tmp, priority, addrs, fmt.Sprintf(why, 1)) ||
		!p.removeLinkAction(l, tmp, fmt.Sprintf(why, 2)) ||
		!p.addLinkAction(l, priority, addrs, fmt.Sprintf(why, 3)) ||
		!p.removeLinkAction(tmp, l, fmt.Sprintf(why, 4)) {
		return false
	}
	return true
}

func sortedLinks(m map[int]int) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

func sameAddrs(c *corosync.Config, l int, addrs map[string]string) bool {
	for _, n := range c.Nodes() {
		if n.Addrs[l] != addrs[n.Name] {
			return false
		}
	}
	return true
}

func (p *planner) voteChanges() {
	for _, n := range p.pred.conf.Nodes() {
		m := p.desired.Member(n.Name)
		if m == nil {
			continue
		}
		votes := n.Votes
		if votes == 0 {
			votes = 1
		}
		if votes == m.Votes {
			continue
		}
		var post []Fact
		if p.present[n.NodeID] {
			post = append(post, Fact{Kind: FactVotes, Node: n.Name, Via: p.auth.Name, NodeID: n.NodeID, Votes: m.Votes})
		}
		name, want := n.Name, m.Votes
		a, err := p.edit(SetVotes, n.Name, fmt.Sprintf("quorum_votes is %d, declared %d (applied live, reference §7.3)", votes, want),
			func(c *corosync.Config) { setVotes(c, name, want) }, post)
		if err != nil {
			p.explain("votes:"+n.Name, n.Name, fmt.Sprintf("changing quorum_votes from %d to %d: %v", votes, want, err),
				"bring the missing members back first, so that the new expected votes can be met")
			continue
		}
		p.add(a)
	}
}

// memberRemoval removes at most one undeclared member per round (rule: one
// membership change at a time), and only one that is powered off, referenced
// by nothing, with the removal allowed by policy.
func (p *planner) memberRemoval() (removed bool) {
	var extra []corosync.Node
	for _, n := range p.pred.conf.Nodes() {
		if p.desired.Member(n.Name) == nil {
			extra = append(extra, n)
		}
	}
	for _, n := range extra {
		key := "member:" + n.Name
		switch {
		case !p.desired.Spec.Policy.RemoveAbsentMembers:
			p.explain(key, n.Name, fmt.Sprintf("in the cluster's corosync.conf (v%d) but not declared", p.pred.version),
				"declare it under members, or set policy.removeAbsentMembers: true to let quorate remove it once it is powered off")
		case p.present[n.NodeID]:
			p.explain(key, n.Name, "not declared, but it is running and in the membership; quorate never removes an online node (delnode would kill its corosync, reference §2.7)",
				"migrate its guests away and power it off; quorate removes it on the next run")
		case !p.dry && hasDevice(p.pred.conf):
			p.explain(key, n.Name, "not declared; the cluster's qdevice must be removed before members are removed (pvecm docs)",
				"quorate removes the qdevice first when it can (see above), then the member, then sets the qdevice up again if declared")
		case removed:
			p.explain(key, n.Name, "not declared; waits for the removal above (one membership change per round)", "run apply again")
		default:
			refs, ok := p.obs.Shared.References(n.Name)
			if !ok {
				p.explain(key, n.Name, "not declared, but the cluster's guests, HA resources and replication jobs could not be read to check for references",
					"check the API (the token needs Sys.Audit on /), then run again")
				continue
			}
			if len(refs) > 0 {
				p.explain(key, n.Name, "not declared, but still referenced: "+strings.Join(refs, ", "),
					"move or remove those guests, HA entries and replication jobs first (replication jobs left behind become irremovable)")
				continue
			}
			if p.removeAction(n) {
				removed = true
			}
		}
	}
	return removed
}

func (p *planner) removeAction(n corosync.Node) bool {
	w := p.pred
	next := w.conf.Clone()
	removeNode(next, n.Name)
	v, err := next.BumpVersion()
	if err != nil {
		return false
	}
	before, after := voteMath(w.conf, p.present, p.qdevCasting), voteMath(next, p.present, p.qdevCasting && hasDevice(next))
	if before.Quorate && !after.Quorate {
		p.explain("member:"+n.Name, n.Name, "removing it would cost quorum: "+after.String(), "bring the other members back first")
		return false
	}
	a := Action{
		Kind: RemoveMember, Target: n.Name,
		Reason:      fmt.Sprintf("in the cluster's corosync.conf but not declared, powered off and referenced by nothing; policy.removeAbsentMembers allows removing it (nodeid %d)", n.NodeID),
		FromVersion: w.version, ToVersion: v,
		Votes: &VoteChange{Before: before, After: after},
		Pre: []Fact{
			{Kind: FactClusterQuorate, Node: p.auth.Name},
			{Kind: FactClusterConf, Node: p.auth.Name, Digest: w.digest},
			{Kind: FactNotMember, Node: n.Name, Via: p.auth.Name, NodeID: n.NodeID},
			{Kind: FactUnreachable, Node: n.Name},
			{Kind: FactNoReferences, Node: n.Name},
		},
		Steps: []Step{{Kind: StepDelnode, Node: p.auth.Name, Target: n.Name}},
		Post:  []Fact{{Kind: FactConfLacksNode, Node: n.Name, Via: p.auth.Name}},
	}
	p.commitPvecm(a, next, v)
	return true
}

// cleanupRemoved plans the cleanup of nodes that are no longer in the
// cluster's corosync.conf (after this round's removal) and not declared, but
// still have /etc/pve/nodes/NAME, a root key or known_hosts lines.
func (p *planner) cleanupRemoved() {
	sh := p.obs.Shared
	if sh == nil || !p.desired.Spec.Policy.RemoveAbsentMembers {
		return
	}
	inConf := map[string]bool{}
	for _, n := range p.pred.conf.Nodes() {
		inConf[n.Name] = true
	}
	candidates := map[string]bool{}
	for _, d := range sh.NodeDirs {
		candidates[d] = true
	}
	for _, name := range keyOwners(sh.AuthorizedKeys.Content) {
		candidates[name] = true
	}
	var names []string
	for name := range candidates {
		if !inConf[name] && p.desired.Member(name) == nil && validNodeName(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	keys, known := sh.AuthorizedKeys, sh.KnownHosts
	for _, name := range names {
		a := Action{Kind: CleanupRemovedNode, Target: name,
			Reason: fmt.Sprintf("%s is no longer in the cluster; delnode leaves its /etc/pve/nodes directory, root key and known_hosts lines behind (pve-docs, reference §9)", name),
			Pre: []Fact{
				{Kind: FactClusterQuorate, Node: p.auth.Name},
				{Kind: FactConfLacksNode, Node: name, Via: p.auth.Name},
			},
		}
		for _, d := range sh.NodeDirs {
			if d == name {
				a.Steps = append(a.Steps,
					Step{Kind: StepArchiveNodeDir, Node: p.auth.Name, Target: name,
						BackupPath: path.Join("/var/lib/quorate/archive", name+"."+p.now.Format("20060102T150405Z"))},
					Step{Kind: StepRemoveNodeDir, Node: p.auth.Name, Target: name})
				a.Post = append(a.Post, Fact{Kind: FactNoNodeDir, Node: name})
			}
		}
		if next := dropLines(keys.Content, func(l string) bool { return keyOwner(l) == name }); keys.Present && next != keys.Content {
			a.Steps = append(a.Steps, Step{Kind: StepEditClusterFile, Node: p.auth.Name, Path: authorizedKeysPath,
				BaseDigest: keys.Digest, Content: next, Digest: sha([]byte(next))})
			a.Post = append(a.Post, Fact{Kind: FactSharedFile, Path: authorizedKeysPath, Digest: sha([]byte(next))})
			keys = state.NewFileCopy([]byte(next))
		}
		if next := dropLines(known.Content, func(l string) bool { return knownHostsNames(l)[name] }); known.Present && next != known.Content {
			a.Steps = append(a.Steps, Step{Kind: StepEditClusterFile, Node: p.auth.Name, Path: knownHostsPath,
				BaseDigest: known.Digest, Content: next, Digest: sha([]byte(next))})
			a.Post = append(a.Post, Fact{Kind: FactSharedFile, Path: knownHostsPath, Digest: sha([]byte(next))})
			known = state.NewFileCopy([]byte(next))
		}
		if len(a.Steps) > 0 {
			p.add(a)
		}
	}
}

// keyOwner returns NAME for an authorized_keys line whose comment is
// root@NAME (ssh-keygen's default comment on a PVE node; DERIVED, reference §9).
func keyOwner(line string) string {
	f := strings.Fields(line)
	if len(f) < 3 || strings.HasPrefix(line, "#") {
		return ""
	}
	owner, ok := strings.CutPrefix(f[len(f)-1], "root@")
	if !ok {
		return ""
	}
	return owner
}

func keyOwners(content string) []string {
	var out []string
	for _, l := range strings.Split(content, "\n") {
		if o := keyOwner(l); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// knownHostsNames returns the host names of a known_hosts line (lower case,
// as Proxmox merges them).
func knownHostsNames(line string) map[string]bool {
	f := strings.Fields(line)
	out := map[string]bool{}
	if len(f) < 2 || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "@") {
		return out
	}
	for _, h := range strings.Split(f[0], ",") {
		out[strings.ToLower(h)] = true
	}
	return out
}

func dropLines(content string, drop func(string) bool) string {
	if content == "" {
		return content
	}
	lines := strings.SplitAfter(content, "\n")
	var b strings.Builder
	for _, l := range lines {
		if !drop(strings.TrimRight(l, "\n")) {
			b.WriteString(l)
		}
	}
	return b.String()
}

func validNodeName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i, r := range s {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && !(r == '-' && i > 0 && i < len(s)-1) {
			return false
		}
	}
	return true
}
