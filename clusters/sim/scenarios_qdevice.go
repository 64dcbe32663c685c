package sim

import (
	"fmt"

	"github.com/quorate/quorate/api"
)

// Scenarios with a quorum device (reference §3.9, §3.10, §7.4, lab §4). The
// qnetd host is 10.99.1.200, as in the lab.

// qnetdIP is the scenarios' qnetd host.
const qnetdIP = "10.99.1.200"

func init() {
	scenarios["qdevice-two-node"] = scenarioQDeviceTwoNode
	scenarios["qdevice-grow"] = scenarioQDeviceGrow
	scenarios["qdevice-grow-off"] = scenarioQDeviceGrowOff
}

// withQDevice is the intent "a qdevice on qnetdIP with this algorithm".
func withQDevice(algorithm string) func(*api.Cluster) {
	return func(d *api.Cluster) {
		d.Spec.QDevice = &api.QDevice{Host: qnetdIP, Algorithm: algorithm, TieBreaker: "lowest"}
	}
}

// scenarioQDeviceTwoNode: cluster "duo", pve1 and pve2 at version 3,
// running; a qnetd host is up at 10.99.1.200; the declaration asks for an
// ffsplit qdevice on it (the pve-docs 2-node case, reference §7.1 table).
func scenarioQDeviceTwoNode() (*Model, error) {
	m := NewCluster("duo", link0, labNodes("pve", 1, 2), 3)
	if err := powerAll(m, m.Nodes()...); err != nil {
		return nil, err
	}
	m.AddQNetd(qnetdIP)
	m.intent = withQDevice("ffsplit")
	return m, nil
}

// qdeviceFourNodes is "lab" pve1..pve4 at version 5, running, with an
// ffsplit qdevice set up by `pvecm qdevice setup 10.99.1.200` on pve1
// (version 6), plus pve5: a standalone machine, powered on, host IP
// 192.0.2.5, also configured on 10.10.10.5.
func qdeviceFourNodes() (*Model, error) {
	m, err := fourNodes(5)
	if err != nil {
		return nil, err
	}
	m.AddQNetd(qnetdIP)
	if _, serr, code := m.Exec("pve1", "pvecm qdevice setup "+qnetdIP, nil); code != 0 {
		return nil, fmt.Errorf("sim: qdevice scenario: pve1: pvecm qdevice setup: exit %d: %s", code, serr)
	}
	m.AddNode(NodeSpec{Name: "pve5", HostIP: "192.0.2.5", Interfaces: []string{"192.0.2.5", "10.10.10.5"}})
	if err := m.PowerOn("pve5"); err != nil {
		return nil, err
	}
	return m, nil
}

// pve5Intent declares pve5 with nodeid 5, one vote, link0 10.10.10.5.
var pve5Intent = withMember(api.Member{Name: "pve5", NodeID: 5, Votes: 1,
	Addresses: []api.LinkAddress{{Link: 0, Address: "10.10.10.5"}}})

// scenarioQDeviceGrow: the declaration adds pve5 and switches the qdevice
// to lms, which an odd member count needs (reference §3.9 step 3, §3.10:
// the docs require removing the qdevice before adding a node and setting it
// up again afterwards).
func scenarioQDeviceGrow() (*Model, error) {
	m, err := qdeviceFourNodes()
	if err != nil {
		return nil, err
	}
	m.intent = func(d *api.Cluster) {
		pve5Intent(d)
		withQDevice("lms")(d)
	}
	return m, nil
}

// scenarioQDeviceGrowOff: the same cluster; the declaration adds pve5 and
// drops the qdevice.
func scenarioQDeviceGrowOff() (*Model, error) {
	m, err := qdeviceFourNodes()
	if err != nil {
		return nil, err
	}
	m.intent = func(d *api.Cluster) {
		pve5Intent(d)
		d.Spec.QDevice = nil
	}
	return m, nil
}
