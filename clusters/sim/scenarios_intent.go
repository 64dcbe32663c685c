package sim

import (
	"fmt"
	"time"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/state/corosync"
)

// Scenarios whose declaration asks for a change (issue #3): the model is the
// cluster as it is, the intent edits what Declaration returns. Each is built
// by running the model, like the others.

func init() {
	for name, f := range map[string]func() (*Model, error){
		"remove-member":      scenarioRemoveMember,
		"remove-online":      scenarioRemoveOnline,
		"remove-with-guests": scenarioRemoveWithGuests,
		"move-ring0":         scenarioMoveRing0,
		"add-link":           scenarioAddLink,
		"remove-link":        scenarioRemoveLink,
		"votes":              scenarioVotes,
		"lagging-runtime":    scenarioLaggingRuntime,
		"two-node-degraded":  scenarioTwoNodeDegraded,
	} {
		scenarios[name] = f
	}
}

// withoutMember is the intent "remove name", with the policy that allows it.
func withoutMember(name string) func(*api.Cluster) {
	return func(d *api.Cluster) {
		var keep []api.Member
		for _, mem := range d.Spec.Members {
			if mem.Name != name {
				keep = append(keep, mem)
			}
		}
		d.Spec.Members = keep
		d.Spec.Policy.RemoveAbsentMembers = true
	}
}

// fourNodes is "lab" pve1..pve4 on link0 at version v, all powered on.
func fourNodes(v uint64) (*Model, error) {
	m := NewCluster("lab", link0, labNodes("pve", 1, 2, 3, 4), v)
	return m, powerAll(m, m.Nodes()...)
}

// scenarioRemoveMember: pve4 was shut down for good; the declaration drops
// it and allows removal.
func scenarioRemoveMember() (*Model, error) {
	m, err := fourNodes(5)
	if err != nil {
		return nil, err
	}
	if err := m.PowerOff("pve4"); err != nil {
		return nil, err
	}
	m.intent = withoutMember("pve4")
	return m, nil
}

// scenarioRemoveOnline: the same declaration while pve4 still runs; quorate
// must refuse (reference §2.7 item 6: delnode would kill it).
func scenarioRemoveOnline() (*Model, error) {
	m, err := fourNodes(5)
	if err != nil {
		return nil, err
	}
	m.intent = withoutMember("pve4")
	return m, nil
}

// scenarioRemoveWithGuests: remove-member, but the cluster still refers to
// pve4 (reference §9 "What removal leaves behind"): guest qemu 104 lives on
// it (HA-managed in group g1, which lists pve4), and guest 100 on pve1
// replicates to it.
func scenarioRemoveWithGuests() (*Model, error) {
	m, err := fourNodes(5)
	if err != nil {
		return nil, err
	}
	steps := []func() error{
		func() error { return m.AddGuest("pve1", 100, "qemu") },
		func() error { return m.AddGuest("pve4", 104, "qemu") },
		func() error { return m.AddHAGroup("g1", "pve1:2", "pve4") },
		func() error { return m.AddHAResource("vm:104", "g1") },
		func() error { return m.AddReplication("100-0", 100, "pve4") },
		func() error { return m.PowerOff("pve4") },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("sim: remove-with-guests scenario: %w", err)
		}
	}
	m.intent = withoutMember("pve4")
	return m, nil
}

// withInterfaces returns labNodes with each node's machine also configured
// on net.N (e.g. "10.30.30").
func withInterfaces(nodes []NodeSpec, net string) []NodeSpec {
	for i := range nodes {
		s := &nodes[i]
		s.Interfaces = []string{s.Addrs[0], s.HostIP, fmt.Sprintf("%s.%s", net, lastOctet(s.Addrs[0]))}
	}
	return nodes
}

// lastOctet returns what follows the last '.' of an IPv4 address.
func lastOctet(ip string) string {
	for i := len(ip) - 1; i >= 0; i-- {
		if ip[i] == '.' {
			return ip[i+1:]
		}
	}
	return ip
}

// setAddress is the intent "member's address on link l is net.N".
func setAddress(d *api.Cluster, link int, net string) {
	for i := range d.Spec.Members {
		mem := &d.Spec.Members[i]
		addr := fmt.Sprintf("%s.%s", net, lastOctet(mem.Address(0)))
		found := false
		for j := range mem.Addresses {
			if mem.Addresses[j].Link == link {
				mem.Addresses[j].Address = addr
				found = true
			}
		}
		if !found {
			mem.Addresses = append(mem.Addresses, api.LinkAddress{Link: link, Address: addr})
		}
	}
}

// scenarioMoveRing0: link 0 moves from 10.10.10.N to 10.30.30.N, which every
// machine already has (reference §4.7, §8.2: not a live reload; lab §1(a)
// shows the 4-reload way).
func scenarioMoveRing0() (*Model, error) {
	m := NewCluster("lab", link0, withInterfaces(labNodes("pve", 1, 2, 3, 4), "10.30.30"), 7)
	if err := powerAll(m, m.Nodes()...); err != nil {
		return nil, err
	}
	m.intent = func(d *api.Cluster) { setAddress(d, 0, "10.30.30") }
	return m, nil
}

// scenarioAddLink: a redundant link 1 on 10.20.20.N with priority 10
// (reference §4.7, lab §1(d), §1(e)).
func scenarioAddLink() (*Model, error) {
	m := NewCluster("lab", link0, withInterfaces(labNodes("pve", 1, 2, 3), "10.20.20"), 3)
	if err := powerAll(m, m.Nodes()...); err != nil {
		return nil, err
	}
	m.intent = func(d *api.Cluster) {
		d.Spec.Links = []api.Link{{Number: 0}, {Number: 1, Priority: 10}}
		setAddress(d, 1, "10.20.20")
	}
	return m, nil
}

// scenarioRemoveLink: links 0 and 1 (10.10.10.N, 10.20.20.N); the
// declaration keeps link 0 only (lab §1(d): removal is live).
func scenarioRemoveLink() (*Model, error) {
	nodes := labNodes("pve", 1, 2, 3)
	for i := range nodes {
		nodes[i].Addrs[1] = fmt.Sprintf("10.20.20.%d", i+1)
	}
	m := NewCluster("lab", []corosync.Interface{{Number: 0}, {Number: 1}}, nodes, 4)
	if err := powerAll(m, m.Nodes()...); err != nil {
		return nil, err
	}
	m.intent = func(d *api.Cluster) {
		d.Spec.Links = []api.Link{{Number: 0}}
		for i := range d.Spec.Members {
			mem := &d.Spec.Members[i]
			var keep []api.LinkAddress
			for _, a := range mem.Addresses {
				if a.Link == 0 {
					keep = append(keep, a)
				}
			}
			mem.Addresses = keep
		}
	}
	return m, nil
}

// scenarioVotes: pve1 gets 2 votes (reference §8.1: applied live).
func scenarioVotes() (*Model, error) {
	m := NewCluster("lab", link0, labNodes("pve", 1, 2, 3), 3)
	if err := powerAll(m, m.Nodes()...); err != nil {
		return nil, err
	}
	m.intent = func(d *api.Cluster) {
		if mem := d.Member("pve1"); mem != nil {
			mem.Votes = 2
		}
	}
	return m, nil
}

// scenarioLaggingRuntime is the partition-heal story: pve3's cable is cut,
// pve1 edits /etc/pve/corosync.conf (token 3000, version 4) while pve1+pve2
// are quorate, so only they copy and reload it; the cable is replugged,
// pve3's pmxcfs resyncs and its copy rule writes v4 to its local file
// without a reload (reference §5.1: notify only on the originator), and its
// corosync, past its first sync, never re-checks (§5.2). pve3 runs v3
// against v4 files. The declaration is the cluster as it is.
func scenarioLaggingRuntime() (*Model, error) {
	m := NewCluster("lab", link0, labNodes("pve", 1, 2, 3), 3)
	if err := powerAll(m, m.Nodes()...); err != nil {
		return nil, err
	}
	m.Cut("pve3", true)
	if err := editClusterConf(m, "pve1", func(c *corosync.Config) { c.Main.Ensure("totem").Set("token", "3000") }); err != nil {
		return nil, fmt.Errorf("sim: lagging-runtime scenario: %w", err)
	}
	m.Cut("pve3", false)
	return m, nil
}

// editClusterConf edits /etc/pve/corosync.conf on node the recommended way
// (reference §4.3): read it, change it, bump config_version, write .new and
// mv it over.
func editClusterConf(m *Model, node string, edit func(*corosync.Config)) error {
	raw, serr, code := m.Exec(node, "cat "+clusterConf, nil)
	if code != 0 {
		return fmt.Errorf("%s: cat %s: exit %d: %s", node, clusterConf, code, serr)
	}
	cfg, err := corosync.Parse(raw)
	if err != nil {
		return err
	}
	edit(cfg)
	if _, err := cfg.BumpVersion(); err != nil {
		return err
	}
	for _, step := range []struct {
		cmd   string
		stdin []byte
	}{
		{"cat > " + clusterConf + ".new", cfg.Bytes()},
		{"mv " + clusterConf + ".new " + clusterConf, nil},
	} {
		if _, serr, code := m.Exec(node, step.cmd, step.stdin); code != 0 {
			return fmt.Errorf("%s: %s: exit %d: %s", node, step.cmd, code, serr)
		}
	}
	return nil
}

// scenarioTwoNodeDegraded is the seed story of a temporary expected-votes
// override: a two-node cluster "duo" without two_node (Proxmox writes none,
// reference §7.2) whose pve2 is down, so pve1 is inquorate and /etc/pve
// read-only. The intent declares `pvecm expected 1` for two hours from the
// model's clock, with a reason.
func scenarioTwoNodeDegraded() (*Model, error) {
	m := NewCluster("duo", link0, labNodes("pve", 1, 2), 3)
	if err := powerAll(m, "pve1"); err != nil {
		return nil, err
	}
	expires := m.now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	m.intent = func(d *api.Cluster) {
		d.Spec.Quorum.TemporaryExpectedVotes = &api.TemporaryExpected{Votes: 1, Reason: "pve2 mainboard swap", Expires: expires}
	}
	return m, nil
}
