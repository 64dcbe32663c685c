package reconciler

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"

	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/corosync"
)

// predicted is the cluster's /etc/pve/corosync.conf as it will be after the
// actions planned so far in this round. Every edit starts from it, so chained
// edits name the exact bytes they replace (compare-and-swap in the executor).
type predicted struct {
	conf    *corosync.Config
	raw     string
	digest  string
	version uint64
}

func newPredicted(cc state.ConfCopy) (*predicted, error) {
	conf, err := cc.Parsed()
	if err != nil {
		return nil, err
	}
	return &predicted{conf: conf, raw: cc.Content, digest: cc.Digest, version: cc.Version}, nil
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// edit builds an action that changes the cluster's corosync.conf through
// mutate, bumps config_version by one as Proxmox does (reference §4.3), and
// advances the prediction. Post facts: every running member holds the new
// file and runs its version; extra facts are appended.
func (p *planner) edit(kind Kind, target, reason string, mutate func(c *corosync.Config), extraPost []Fact) (Action, error) {
	w := p.pred
	next := w.conf.Clone()
	mutate(next)
	v, err := next.BumpVersion()
	if err != nil {
		return Action{}, err
	}
	raw := next.Bytes()
	digest := sha(raw)
	a := Action{
		Kind: kind, Target: target, Reason: reason,
		FromVersion: w.version, ToVersion: v,
		Diff: unifiedDiff(fmt.Sprintf("/etc/pve/corosync.conf (v%d)", w.version), fmt.Sprintf("/etc/pve/corosync.conf (v%d)", v), w.raw, string(raw)),
		Pre: []Fact{
			{Kind: FactClusterQuorate, Node: p.auth.Name},
			{Kind: FactClusterConf, Node: p.auth.Name, Digest: w.digest},
		},
		Steps: []Step{{Kind: StepEditClusterConf, Node: p.auth.Name, BaseDigest: w.digest,
			Content: string(raw), Digest: digest, Version: v}},
	}
	before, after := voteMath(w.conf, p.present, p.qdevCasting), voteMath(next, p.present, p.qdevCasting && hasDevice(next))
	a.Votes = &VoteChange{Before: before, After: after}
	if before.Quorate && !after.Quorate {
		return Action{}, fmt.Errorf("the cluster would lose quorum: %s", after)
	}
	for _, name := range p.running {
		a.Post = append(a.Post,
			Fact{Kind: FactLocalConf, Node: name, Digest: digest},
			Fact{Kind: FactRuntimeVersion, Node: name, Version: v})
	}
	a.Post = append(a.Post, extraPost...)
	p.pred = &predicted{conf: next, raw: string(raw), digest: digest, version: v}
	return a, nil
}

// interfaces returns totem's interface sections keyed by link number.
func interfaces(c *corosync.Config) map[int]*corosync.Section {
	out := map[int]*corosync.Section{}
	for _, s := range c.Main.Section("totem").List("interface") {
		v, ok := s.Value("linknumber")
		if !ok {
			v, _ = s.Value("ringnumber")
		}
		if n, err := strconv.Atoi(v); err == nil {
			out[n] = s
		}
	}
	return out
}

// addLink adds link l with the given priority and one address per node name.
func addLink(c *corosync.Config, l, priority int, addrs map[string]string) {
	totem := c.Main.Ensure("totem")
	it := corosync.NewSection()
	it.Set("linknumber", strconv.Itoa(l))
	if priority != 0 {
		it.Set("knet_link_priority", strconv.Itoa(priority))
	}
	totem.SetList("interface", append(totem.List("interface"), it))
	for _, n := range c.Main.Section("nodelist").List("node") {
		name, ok := n.Value("name")
		if !ok {
			name, _ = n.Value("ring0_addr")
		}
		n.Set(fmt.Sprintf("ring%d_addr", l), addrs[name])
	}
}

// removeLink removes link l's interface section and every node's address on it.
func removeLink(c *corosync.Config, l int) {
	totem := c.Main.Section("totem")
	var keep []*corosync.Section
	for n, s := range interfaces(c) {
		if n != l {
			keep = append(keep, s)
		}
	}
	sort.Slice(keep, func(i, j int) bool {
		a, _ := keep[i].Value("linknumber")
		b, _ := keep[j].Value("linknumber")
		return a < b
	})
	if totem != nil {
		totem.SetList("interface", keep)
	}
	for _, n := range c.Main.Section("nodelist").List("node") {
		n.Delete(fmt.Sprintf("ring%d_addr", l))
		n.Delete(fmt.Sprintf("link%d_addr", l))
	}
}

// setPriority sets (or, for 0, removes) knet_link_priority of link l.
func setPriority(c *corosync.Config, l, priority int) {
	it := interfaces(c)[l]
	if it == nil {
		return
	}
	if priority == 0 {
		it.Delete("knet_link_priority")
	} else {
		it.Set("knet_link_priority", strconv.Itoa(priority))
	}
}

// setVotes sets quorum_votes of the node named name.
func setVotes(c *corosync.Config, name string, votes int) {
	for _, n := range c.Main.Section("nodelist").List("node") {
		if v, _ := n.Value("name"); v == name {
			n.Set("quorum_votes", strconv.Itoa(votes))
		}
	}
}

// removeNode drops the node named name from the nodelist, as delnode does.
func removeNode(c *corosync.Config, name string) {
	nl := c.Main.Section("nodelist")
	var keep []*corosync.Section
	for _, n := range nl.List("node") {
		if v, _ := n.Value("name"); v != name {
			keep = append(keep, n)
		}
	}
	nl.SetList("node", keep)
}

// commitPvecm adds an action whose step lets pvecm write corosync.conf
// (delnode, add, qdevice setup/remove): every running member must end up
// running version v, and the prediction advances to next. pvecm writes with
// Proxmox's writer, which state/corosync reproduces byte for byte, so later
// edits in the round can chain on the predicted bytes.
func (p *planner) commitPvecm(a Action, next *corosync.Config, v uint64) {
	for _, r := range p.running {
		a.Post = append(a.Post, Fact{Kind: FactRuntimeVersion, Node: r, Version: v})
	}
	p.add(a)
	raw := next.Bytes()
	p.pred = &predicted{conf: next, raw: string(raw), digest: sha(raw), version: v}
}
