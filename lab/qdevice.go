package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/quorate/quorate/state/corosync"
)

// Files of the node side of a qdevice (corosync-qdevice-net-certutil's fixed
// paths inside each node's private /etc/corosync, corosync-lab §4).
const (
	qdeviceDBDir   = "/etc/corosync/qdevice/net/nssdb"
	qdeviceCSR     = qdeviceDBDir + "/qdevice-net-node.crq"
	qdeviceP12     = qdeviceDBDir + "/qdevice-net-node.p12"
	qdeviceRunDir  = "/run/corosync-qdevice" // its local socket (systemd's RuntimeDirectory)
	qdeviceOutName = "corosync-qdevice.out"
)

// WithQDevice returns conf (any corosync.conf) with quorum.device set for
// the lab's qnetd host, as corosync-lab §4 configured it:
//
//	quorum { device { model: net; votes: 1; net { algorithm: ffsplit;
//	         host: <QNetdAddr>; tie_breaker: lowest; tls: on } } }
//
// An existing quorum.device is replaced; config_version is left alone
// (SetupQDevice bumps it). It returns an error for a lab without
// Options.QNetd or a file that does not parse.
func (l *Lab) WithQDevice(conf []byte) ([]byte, error) {
	if l.qnetd == nil {
		return nil, fmt.Errorf("lab %s: a quorum device needs a qnetd host; start the lab with Options.QNetd", l.ID)
	}
	c, err := corosync.Parse(conf)
	if err != nil {
		return nil, fmt.Errorf("lab %s: corosync.conf: %w", l.ID, err)
	}
	q := c.Main.Ensure("quorum")
	q.Delete("device")
	dev := q.Ensure("device")
	dev.Set("model", "net")
	dev.Set("votes", "1") // ffsplit's one vote (reference §4.6)
	nt := dev.Ensure("net")
	nt.Set("algorithm", "ffsplit")
	nt.Set("host", l.QNetdAddr())
	nt.Set("tie_breaker", "lowest")
	nt.Set("tls", "on")
	return c.Bytes(), nil
}

// SetupQDevice does on the lab what `pvecm qdevice setup` does on Proxmox
// (corosync-lab §4, reference §3.9), with host-side file copies in place of
// scp:
//
//  1. every node imports the qnetd CA (corosync-qdevice-net-certutil -i);
//  2. the first node (pve1) makes a certificate request for the cluster
//     name, the qnetd host signs it (corosync-qnetd-certutil -s), pve1
//     imports the signed certificate and exports it with its key (-M);
//  3. every other node imports that p12 (-m);
//  4. pve1's corosync.conf gets quorum.device (WithQDevice) and
//     config_version + 1, and is written to every node;
//  5. `corosync-cfgtool -R` runs on the first node whose corosync runs
//     (skipped when none does: the next start reads the file);
//  6. corosync-qdevice is started (StartQDevice) on every node whose
//     corosync runs.
//
// It returns the new config_version. It does not wait for the device to
// vote: poll corosync-quorumtool -s for the Qdevice flag and its votes. It
// can run once per lab (the NSS databases exist afterwards); a second call
// is an error that changes nothing.
func (l *Lab) SetupQDevice() (uint64, error) {
	q, err := l.qnetdNode()
	if err != nil {
		return 0, err
	}
	l.mu.Lock()
	done := l.qdeviceSetup
	l.qdeviceSetup = true
	l.mu.Unlock()
	if done {
		return 0, fmt.Errorf("lab %s: SetupQDevice already ran; the nodes' NSS databases exist", l.ID)
	}
	if err := l.qdeviceCerts(q); err != nil {
		return 0, fmt.Errorf("lab %s: qdevice certificates: %w", l.ID, err)
	}
	first := l.names[0]
	cur, err := l.ReadConf(first)
	if err != nil {
		return 0, err
	}
	withDev, err := l.WithQDevice(cur)
	if err != nil {
		return 0, err
	}
	c, err := corosync.Parse(withDev)
	if err != nil {
		return 0, err
	}
	v, err := c.BumpVersion()
	if err != nil {
		return 0, fmt.Errorf("lab %s: node %s: corosync.conf: %w", l.ID, first, err)
	}
	conf := c.Bytes()
	for _, nm := range l.names {
		if err := l.WriteConf(nm, conf); err != nil {
			return 0, err
		}
	}
	var running []string
	for _, nm := range l.names {
		if l.Running(nm) {
			running = append(running, nm)
		}
	}
	if len(running) > 0 {
		if err := l.execOK(running[0], "corosync-cfgtool", "-R"); err != nil {
			return 0, fmt.Errorf("%w (every node's corosync.conf already has the device at config_version %d)", err, v)
		}
	}
	for _, nm := range running {
		if err := l.StartQDevice(nm); err != nil {
			return 0, err
		}
	}
	l.logf("lab %s: qdevice on %s set up at config_version %d, daemons started on %v", l.ID, l.QNetdAddr(), v, running)
	return v, nil
}

// qdeviceCerts runs steps 1-3 of SetupQDevice.
func (l *Lab) qdeviceCerts(q *node) error {
	cluster := l.cluster
	for _, nm := range l.names {
		if err := copyFile(q.hostPath(qnetdCACert), l.nodes[nm].hostPath("/etc/corosync/qnetd-cacert.crt")); err != nil {
			return fmt.Errorf("node %s: %w", nm, err)
		}
		if err := l.execOK(nm, "corosync-qdevice-net-certutil", "-i", "-c", "/etc/corosync/qnetd-cacert.crt"); err != nil {
			return err
		}
	}
	first := l.nodes[l.names[0]]
	if err := l.execOK(first.name, "corosync-qdevice-net-certutil", "-r", "-n", cluster); err != nil {
		return err
	}
	if err := copyFile(first.hostPath(qdeviceCSR), q.hostPath(qnetdDBDir+"/qdevice-net-node.crq")); err != nil {
		return err
	}
	// The qnetd tool writes cluster-NAME.crt into the current directory's
	// database, hence the cd (corosync-lab §4).
	if err := l.execOK(QNetdHost, "sh", "-c", `cd "$1" && corosync-qnetd-certutil -s -c qdevice-net-node.crq -n "$2"`, "sh", qnetdDBDir, cluster); err != nil {
		return err
	}
	crt := "/etc/corosync/cluster-" + cluster + ".crt"
	if err := copyFile(q.hostPath(qnetdDBDir+"/cluster-"+cluster+".crt"), first.hostPath(crt)); err != nil {
		return err
	}
	if err := l.execOK(first.name, "corosync-qdevice-net-certutil", "-M", "-c", crt); err != nil {
		return err
	}
	for _, nm := range l.names[1:] {
		const p12 = "/etc/corosync/qdevice-net-node.p12"
		if err := copyFile(first.hostPath(qdeviceP12), l.nodes[nm].hostPath(p12)); err != nil {
			return fmt.Errorf("node %s: %w", nm, err)
		}
		if err := l.execOK(nm, "corosync-qdevice-net-certutil", "-m", "-c", p12); err != nil {
			return err
		}
	}
	return nil
}

// StartQDevice starts `corosync-qdevice -f` on node inside its namespaces,
// in its own session, PID recorded, output appended to
// Dir/pveN/corosync-qdevice.out. corosync must run on the node
// (Requires=corosync.service); the start waits until corosync's cmap
// answers first, because a qdevice started earlier exits with "Failed to
// initialize the cmap API" (corosync-lab §4). It returns once
// `corosync-qdevice-tool -s` answers (bounded by DaemonStartTimeout), not
// once the device votes. Starting it while it runs is an error.
func (l *Lab) StartQDevice(node string) error {
	n, err := l.clusterNode(node)
	if err != nil {
		return err
	}
	check := func() error {
		if err := n.holderOK(); err != nil {
			return err
		}
		if !n.cs.running() {
			return fmt.Errorf("lab %s: node %s: corosync-qdevice needs corosync running on the node (StartCorosync first)", l.ID, node)
		}
		if n.qd.running() {
			return fmt.Errorf("lab %s: node %s: corosync-qdevice already runs as PID %d; stop it first", l.ID, node, n.qd.proc.PID)
		}
		return nil
	}
	n.mu.Lock()
	err = check()
	n.mu.Unlock()
	if err != nil {
		return err
	}
	// systemd's RuntimeDirectory=corosync-qdevice, in the node's private /run.
	if err := os.MkdirAll(n.hostPath(qdeviceRunDir), 0o770); err != nil {
		return err
	}
	out := l.QDeviceOutput(node)
	n.mu.Lock()
	cs := n.cs
	n.mu.Unlock()
	if err := l.waitReady(node, "corosync (cmap, before corosync-qdevice)", cs, n.hostPath(LogPath), DaemonStartTimeout,
		l.probeExec(node, "corosync-cmapctl", "-g", "totem.config_version")); err != nil {
		return err
	}
	n.mu.Lock()
	if err := check(); err != nil {
		n.mu.Unlock()
		return err
	}
	c, err := n.spawnDaemon([]string{"corosync-qdevice", "-f"}, "corosync-qdevice "+node, qdeviceOutName)
	if err == nil {
		n.qd = c
	}
	n.mu.Unlock()
	if err != nil {
		return fmt.Errorf("lab %s: node %s: starting corosync-qdevice: %w", l.ID, node, err)
	}
	return l.waitReady(node, "corosync-qdevice", c, out, DaemonStartTimeout, l.probeExec(node, "corosync-qdevice-tool", "-s"))
}

// StopQDevice stops corosync-qdevice on node with SIGTERM (systemctl stop:
// the daemon unregisters from votequorum) and waits for it, as
// StopCorosync does. A daemon that does not run gives nil.
func (l *Lab) StopQDevice(node string) error { return l.signalQDevice(node, syscall.SIGTERM) }

// KillQDevice kills corosync-qdevice on node with SIGKILL (a crash: its
// registration stays with votequorum until the device timeout) and waits
// for it to be reaped.
func (l *Lab) KillQDevice(node string) error { return l.signalQDevice(node, syscall.SIGKILL) }

func (l *Lab) signalQDevice(node string, sig syscall.Signal) error {
	n, err := l.clusterNode(node)
	if err != nil {
		return err
	}
	n.mu.Lock()
	c := n.qd
	n.mu.Unlock()
	return l.signalChild(node, "corosync-qdevice", c, sig, l.QDeviceOutput(node))
}

// QDeviceRunning reports whether the corosync-qdevice the lab started runs
// on node. The daemon exits by itself when its corosync goes away.
func (l *Lab) QDeviceRunning(node string) bool {
	n := l.nodes[node]
	if n == nil || n.isQNetd {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.qd.running()
}

// QDeviceOutput returns the host path of the file that collects node's
// corosync-qdevice output (Dir/pveN/corosync-qdevice.out), or "" for an
// unknown node.
func (l *Lab) QDeviceOutput(node string) string {
	n := l.nodes[node]
	if n == nil || n.isQNetd {
		return ""
	}
	return filepath.Join(n.dir, qdeviceOutName)
}

// copyFile copies a file between two host paths (between the private
// directories of two lab hosts: the lab's scp).
func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}
