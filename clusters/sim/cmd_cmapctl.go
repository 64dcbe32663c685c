package sim

import (
	"fmt"
	"sort"
	"strings"
)

// cmapKeys is the part of cmap the simulator exposes, key -> "(type) = value".
func (m *Model) cmapKeys(n *node) map[string]string {
	p := n.cs
	k := map[string]string{}
	u64 := func(key string, v uint64) { k[key] = fmt.Sprintf("(u64) = %d", v) }
	u32 := func(key string, v int) { k[key] = fmt.Sprintf("(u32) = %d", v) }
	str := func(key, v string) { k[key] = "(str) = " + v }
	u64("totem.config_version", p.cfg.version)
	str("totem.cluster_name", p.cfg.clusterName)
	if p.cfg.transport != "" {
		str("totem.transport", p.cfg.transport)
	}
	str("quorum.provider", "corosync_votequorum")
	if p.cfg.expected > 0 {
		u32("quorum.expected_votes", p.cfg.expected)
	}
	if p.cfg.twoNode {
		k["quorum.two_node"] = "(u8) = 1"
	}
	if p.reloadStatus != 0 {
		k["config.reload_status"] = fmt.Sprintf("(i32) = %d", p.reloadStatus)
	}
	for i, nd := range p.cfg.nodes {
		pre := fmt.Sprintf("nodelist.node.%d.", i)
		str(pre+"name", nd.name)
		u32(pre+"nodeid", nd.id)
		u32(pre+"quorum_votes", nd.votes)
		for l, a := range nd.addrs {
			str(fmt.Sprintf("%sring%d_addr", pre, l), a)
		}
	}
	for _, x := range m.partitionOf(n) {
		pre := fmt.Sprintf("runtime.members.%d.", x.nodeID())
		u64(pre+"config_version", x.cs.cfg.version)
		str(pre+"status", "joined")
		var ipParts []string
		for _, l := range sortedLinks(x.cs.bound) {
			ipParts = append(ipParts, fmt.Sprintf("r(%d) ip(%s)", l, x.cs.bound[l]))
		}
		str(pre+"ip", strings.Join(ipParts, " ")+" ")
	}
	return k
}

func sortedLinks(m map[int]string) []int {
	var out []int
	for l := range m {
		out = append(out, l)
	}
	sort.Ints(out)
	return out
}

// cmdCmapctl: corosync-cmapctl -g KEY | -b PREFIX | [PREFIX].
func cmdCmapctl(m *Model, n *node, c simpleCmd, _ []byte) *result {
	r := &result{}
	opts, vals, rest, err := getopt(c.args[1:], "gbp")
	if err != nil {
		return r.fail(1, "corosync-cmapctl: %v", err)
	}
	if n.cs == nil {
		return r.fail(1, "Failed to initialize the cmap API. Error CS_ERR_LIBRARY")
	}
	keys := m.cmapKeys(n)
	if has(opts, 'g') {
		key := vals['g']
		v, ok := keys[key]
		if !ok {
			return r.fail(1, "Can't get key %s. Error CS_ERR_NOT_EXIST", key)
		}
		r.outf("%s %s\n", key, v)
		return r
	}
	prefix := vals['b']
	if prefix == "" && len(rest) > 0 {
		prefix = rest[0]
	}
	var names []string
	for k := range keys {
		if strings.HasPrefix(k, prefix) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		r.outf("%s %s\n", k, keys[k])
	}
	return r
}
