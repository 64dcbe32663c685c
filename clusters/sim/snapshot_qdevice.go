package sim

import "github.com/quorate/quorate/state"

// nodeDevice is the quorum.device n's corosync uses: the runtime one while
// corosync runs, else the one in its local corosync.conf (nil when none).
func nodeDevice(n *node) *rtDevice {
	if n.cs != nil {
		return n.cs.cfg.device
	}
	if c, err := parseRuntime(n.files[localConf]); err == nil {
		return c.device
	}
	return nil
}

// snapshotQDevice is a node's qdevice facts as a perfect observer would
// read them with clusters.CmdQDeviceInstalled, CmdQDeviceService,
// CmdQDeviceStatus and CmdQNetdReachable. nil when the node has no device
// configured and its daemon unit is inactive (the observer reads them only
// when the cluster has or is declared to have a qdevice; the model does not
// know the declaration).
func (m *Model) snapshotQDevice(n *node) *state.QDeviceFacts {
	dev := nodeDevice(n)
	if dev == nil && n.units[unitQDevice] == "inactive" {
		return nil
	}
	f := &state.QDeviceFacts{Installed: n.qdInstalled, Service: n.units[unitQDevice]}
	if n.qd != nil && n.cs != nil {
		f.State = n.qd.state
	}
	if dev != nil {
		ok := m.tcpProbe(n, dev.host, qnetdPort) == "ok"
		f.QNetdReachable = &ok
	}
	return f
}

// restoreQDevices is FromSnapshot's qdevice part (see there).
func (m *Model) restoreQDevices(s state.Cluster) {
	for _, sn := range s.Nodes {
		n := m.nodes[sn.Name]
		f := sn.QDevice
		if n == nil || f == nil {
			continue
		}
		n.qdInstalled = f.Installed
		dev := nodeDevice(n)
		if dev == nil {
			continue
		}
		if (f.QNetdReachable != nil && *f.QNetdReachable) || f.State == "Connected" {
			if m.qnetd == nil {
				m.qnetd = map[string]*qnetdHost{}
			}
			if m.qnetd[dev.host] == nil {
				m.qnetd[dev.host] = &qnetdHost{ip: dev.host, powered: true, certDB: true, signed: map[string]bool{s.Name: true}}
			}
		}
	}
	for _, sn := range s.Nodes {
		n := m.nodes[sn.Name]
		if n == nil || sn.QDevice == nil || !n.powered || !n.qdInstalled {
			continue
		}
		switch sn.QDevice.Service {
		case state.Active:
			n.mkdirAll(nssdbDir)
			n.files[nssdbCert] = []byte("CA qnetd-cacert\ncluster-" + s.Name + "\n")
			n.qdEnabled = true
			m.startQDevice(n)
		case state.Failed:
			n.units[unitQDevice] = state.Failed
		}
	}
}
