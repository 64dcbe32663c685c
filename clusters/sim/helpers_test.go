package sim

import (
	"strings"
	"testing"
	"time"
)

// fixedClock is the tests' clock: Sun Nov 22 01:55:43 2026 UTC.
func fixedClock() time.Time { return time.Date(2026, time.November, 22, 1, 55, 43, 0, time.UTC) }

// run executes cmd on node and returns stdout, stderr and the exit status.
func run(t *testing.T, m *Model, node, cmd string, stdin ...string) (string, string, int) {
	t.Helper()
	var in []byte
	if len(stdin) > 0 {
		in = []byte(stdin[0])
	}
	o, e, c := m.Exec(node, cmd, in)
	return string(o), string(e), c
}

// mustRun executes cmd and fails the test unless it exits 0.
func mustRun(t *testing.T, m *Model, node, cmd string, stdin ...string) string {
	t.Helper()
	o, e, c := run(t, m, node, cmd, stdin...)
	if c != 0 {
		t.Fatalf("%s: %q: exit %d, stderr %q, stdout %q", node, cmd, c, e, o)
	}
	return o
}

// scenario builds a named scenario with the fixed clock set afterwards.
func scenario(t *testing.T, name string) *Model {
	t.Helper()
	m, err := Scenario(name)
	if err != nil {
		t.Fatal(err)
	}
	m.Clock = fixedClock
	return m
}

// cluster builds a powered-on cluster of n nodes pveI (nodeid I, link0
// 10.10.10.I) at version v, with the fixed clock.
func cluster(t *testing.T, v uint64, nums ...int) *Model {
	t.Helper()
	m := NewCluster("lab", link0, labNodes("pve", nums...), v)
	m.Clock = fixedClock
	if err := powerAll(m, m.Nodes()...); err != nil {
		t.Fatal(err)
	}
	return m
}

// journal returns the unit's journal of this boot on node.
func journal(t *testing.T, m *Model, node, unit string) string {
	t.Helper()
	return mustRun(t, m, node, "journalctl -b -u "+unit+" --no-pager -o short")
}

// memberIDs returns the nodeids corosync-quorumtool -l lists on node, as text.
func memberIDs(t *testing.T, m *Model, node string) string {
	t.Helper()
	out := mustRun(t, m, node, "corosync-quorumtool -l")
	var ids []string
	for _, l := range strings.Split(out, "\n")[4:] {
		if f := strings.Fields(l); len(f) > 0 {
			ids = append(ids, f[0])
		}
	}
	return strings.Join(ids, " ")
}

// editConf rebuilds raw at version with the nodes edit returns (link0 only).
func editConf(t *testing.T, raw []byte, version uint64, edit func(c *rtConf) []NodeSpec) []byte {
	t.Helper()
	c, err := parseRuntime(raw)
	if err != nil {
		t.Fatal(err)
	}
	return BuildConf(c.clusterName, link0, edit(c), version)
}

// specs turns a runtime nodelist back into NodeSpecs.
func specs(c *rtConf) []NodeSpec {
	var out []NodeSpec
	for _, n := range c.nodes {
		addrs := map[int]string{}
		for l, a := range n.addrs {
			addrs[l] = a
		}
		out = append(out, NodeSpec{Name: n.name, NodeID: n.id, Votes: n.votes, Addrs: addrs})
	}
	return out
}
