package sim

import (
	"fmt"
	"sort"
	"strings"
)

// cmapQuery selects cmap keys: one key (-g) or every key under a prefix
// ("" = all).
type cmapQuery struct {
	key   string
	exact bool
}

// wants reports whether key is selected.
func (q cmapQuery) wants(key string) bool {
	if q.exact {
		return key == q.key
	}
	return strings.HasPrefix(key, q.key)
}

// under reports whether some key starting with prefix may be selected, so
// that whole sections are skipped without rendering them.
func (q cmapQuery) under(prefix string) bool {
	return strings.HasPrefix(q.key, prefix) || (!q.exact && strings.HasPrefix(prefix, q.key))
}

// cmapKeys is the part of cmap the simulator exposes that q selects,
// key -> "(type) = value".
func (m *Model) cmapKeys(n *node, q cmapQuery) map[string]string {
	p := n.cs
	k := map[string]string{}
	u64 := func(key string, v uint64) {
		if q.wants(key) {
			k[key] = fmt.Sprintf("(u64) = %d", v)
		}
	}
	u32 := func(key string, v int) {
		if q.wants(key) {
			k[key] = fmt.Sprintf("(u32) = %d", v)
		}
	}
	str := func(key, v string) {
		if q.wants(key) {
			k[key] = "(str) = " + v
		}
	}
	u64("totem.config_version", p.cfg.version)
	str("totem.cluster_name", p.cfg.clusterName)
	if p.cfg.transport != "" {
		str("totem.transport", p.cfg.transport)
	}
	str("quorum.provider", "corosync_votequorum")
	if p.cfg.expected > 0 {
		u32("quorum.expected_votes", p.cfg.expected)
	}
	if p.cfg.twoNode && q.wants("quorum.two_node") {
		k["quorum.two_node"] = "(u8) = 1"
	}
	if p.reloadStatus != 0 && q.wants("config.reload_status") {
		k["config.reload_status"] = fmt.Sprintf("(i32) = %d", p.reloadStatus)
	}
	if q.under("nodelist.") {
		for i, nd := range p.cfg.nodes {
			pre := fmt.Sprintf("nodelist.node.%d.", i)
			str(pre+"name", nd.name)
			u32(pre+"nodeid", nd.id)
			u32(pre+"quorum_votes", nd.votes)
			for l, a := range nd.addrs {
				str(fmt.Sprintf("%sring%d_addr", pre, l), a)
			}
		}
	}
	if q.under("runtime.members.") {
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
	if has(opts, 'g') {
		key := vals['g']
		v, ok := m.cmapKeys(n, cmapQuery{key: key, exact: true})[key]
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
	keys := m.cmapKeys(n, cmapQuery{key: prefix})
	var names []string
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		r.outf("%s %s\n", k, keys[k])
	}
	return r
}
