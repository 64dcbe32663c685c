package sim

import (
	"fmt"
	"sort"
	"strings"

	"github.com/quorate/quorate/state/corosync"
)

// scenarios are built by running the model (power, Exec), never by writing
// end states, so their journals and DB histories are what the real sequence
// would leave.
var scenarios = map[string]func() (*Model, error){
	"healthy":    scenarioHealthy,
	"stale-node": scenarioStaleNode,
}

// ScenarioNames lists the scenarios Scenario knows, sorted.
func ScenarioNames() []string {
	var out []string
	for k := range scenarios {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Scenario builds a named scenario:
//   - "healthy": cluster "lab", pve1..pve3 (nodeid 1..3, link0 10.10.10.1..3),
//     config_version 3, all powered on and quorate;
//   - "stale-node": cluster "prod", pve11..pve14 at version 31; pve14 is
//     powered off, pve15 is added from pve11 the way an operator would
//     (version 32) and started, then pve14 comes back and its corosync exits
//     with the CMAP line (32 vs 31), reference §5.4;
//   - with an intent (scenarios_intent.go; Declaration differs from the
//     cluster): "remove-member" (lab pve1..pve4 v5, pve4 off; declared
//     without pve4, removeAbsentMembers), "remove-online" (same, pve4
//     running), "remove-with-guests" (remove-member plus qemu 104 on pve4,
//     HA group g1 listing pve4, replication 100-0 to pve4), "move-ring0"
//     (pve1..pve4 v7, link0 10.10.10.N -> 10.30.30.N, both configured),
//     "add-link" (pve1..pve3, add link 1 priority 10 on 10.20.20.N),
//     "remove-link" (pve1..pve3 on links 0 and 1, keep 0), "votes" (pve1
//     gets 2 votes) and "lagging-runtime" (pve3 cut while pve1 edited,
//     healed: pve3 runs v3 under v4 files; declared as it is);
//   - with a joiner (scenarios_join.go): "join-member" (lab pve1..pve3 v4
//     running; pve4 standalone and powered on, host IP 192.0.2.4, also
//     configured on 10.10.10.4; declared with nodeid 4, link0 10.10.10.4)
//     and "join-would-lose-quorum" (the same with pve3 powered off);
//   - with a qdevice (scenarios_qdevice.go; qnetd host 10.99.1.200):
//     "qdevice-two-node" (cluster "duo" pve1, pve2 v3 running, qnetd up;
//     declared with an ffsplit qdevice), "qdevice-grow" (lab pve1..pve4 v5
//     with an ffsplit qdevice set up by pvecm qdevice setup, v6; pve5
//     standalone, host IP 192.0.2.5, also on 10.10.10.5; declared with
//     five members and an lms qdevice) and "qdevice-grow-off" (the same,
//     declared with five members and no qdevice).
func Scenario(name string) (*Model, error) {
	f, ok := scenarios[name]
	if !ok {
		return nil, fmt.Errorf("sim: unknown scenario %q (known: %s)", name, strings.Join(ScenarioNames(), ", "))
	}
	return f()
}

// labNodes returns nodes named prefix+N for N in ids, nodeid = index+1, link0
// 10.10.10.N, host IP 192.0.2.N.
func labNodes(prefix string, nums ...int) []NodeSpec {
	var out []NodeSpec
	for i, num := range nums {
		out = append(out, NodeSpec{
			Name:   fmt.Sprintf("%s%d", prefix, num),
			NodeID: i + 1,
			Votes:  1,
			Addrs:  map[int]string{0: fmt.Sprintf("10.10.10.%d", num)},
			HostIP: fmt.Sprintf("192.0.2.%d", num),
		})
	}
	return out
}

var link0 = []corosync.Interface{{Number: 0}}

func powerAll(m *Model, names ...string) error {
	for _, nm := range names {
		if err := m.PowerOn(nm); err != nil {
			return err
		}
	}
	return nil
}

func scenarioHealthy() (*Model, error) {
	m := NewCluster("lab", link0, labNodes("pve", 1, 2, 3), 3)
	return m, powerAll(m, m.Nodes()...)
}

func scenarioStaleNode() (*Model, error) {
	nodes := labNodes("pve", 11, 12, 13, 14)
	m := NewCluster("prod", link0, nodes, 31)
	if err := powerAll(m, m.Nodes()...); err != nil {
		return nil, err
	}
	if err := m.PowerOff("pve14"); err != nil {
		return nil, err
	}
	// The operator adds pve15 by editing /etc/pve/corosync.conf on pve11
	// (reference §4.3 manual edit procedure), which bumps the version to 32.
	pve15 := NodeSpec{Name: "pve15", NodeID: 5, Votes: 1, Addrs: map[int]string{0: "10.10.10.15"}, HostIP: "192.0.2.15"}
	conf := BuildConf("prod", link0, append(nodes, pve15), 32)
	for _, step := range []struct {
		cmd   string
		stdin []byte
	}{
		{"cat > /etc/pve/corosync.conf.new", conf},
		{"mv /etc/pve/corosync.conf.new /etc/pve/corosync.conf", nil},
	} {
		if _, serr, code := m.Exec("pve11", step.cmd, step.stdin); code != 0 {
			return nil, fmt.Errorf("sim: stale-node scenario: pve11: %s: exit %d: %s", step.cmd, code, serr)
		}
	}
	m.AddNode(pve15)
	m.WriteFile("pve15", localConf, conf)
	m.WriteFile("pve15", authkeyPath, Authkey("prod"))
	if err := powerAll(m, "pve15", "pve14"); err != nil {
		return nil, err
	}
	return m, nil
}
