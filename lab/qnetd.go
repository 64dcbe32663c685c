package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// QNetdHost is the name of the lab's qnetd host (Options.QNetd) for Exec,
// Addr and Namespace. It is not a cluster node: Nodes and Specs leave it
// out, and the corosync methods (StartCorosync, WriteConf, ...) refuse it.
const QNetdHost = "qnetd"

// qnetdOctet is the last octet of the qnetd host's address on link 0's
// network (corosync-lab.md: "a qnetd host has .200"). Node ids stop at 99,
// so it never collides with a node.
const qnetdOctet = 200

// Files of the qnetd side (corosync-qnetd-certutil's fixed paths, inside
// the qnetd host's private /etc/corosync) and of the daemon's output.
const (
	qnetdDBDir   = "/etc/corosync/qnetd/nssdb"
	qnetdCACert  = qnetdDBDir + "/qnetd-cacert.crt"
	qnetdRunDir  = "/run/corosync-qnetd" // its local socket (systemd's RuntimeDirectory)
	qnetdOutName = "corosync-qnetd.out"
)

// qdeviceTools are the programs a lab with Options.QNetd runs: the qnetd
// daemon and tools on the qnetd host, the qdevice daemon and tools on the
// nodes, and NSS's certutil and pk12util that both certutil scripts call
// (packages corosync-qnetd, corosync-qdevice, libnss3-tools).
var qdeviceTools = []string{
	"corosync-qnetd", "corosync-qnetd-certutil", "corosync-qnetd-tool",
	"corosync-qdevice", "corosync-qdevice-net-certutil", "corosync-qdevice-tool",
	"certutil", "pk12util",
}

// QNetdAvailable reports whether a lab with Options.QNetd can run here:
// everything Available checks plus the programs in qdeviceTools. When ok is
// false, why is one line for t.Skip.
func QNetdAvailable() (ok bool, why string) {
	if ok, why := Available(); !ok {
		return false, why
	}
	var missing []string
	for _, t := range qdeviceTools {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return false, fmt.Sprintf("lab: %s not on PATH (apt-get install -y corosync-qnetd corosync-qdevice libnss3-tools; "+
			"the packages' own services need not run)", strings.Join(missing, ", "))
	}
	return true, ""
}

// QNetdAddr returns the qnetd host's address, 10.99.k.200 on link 0's
// network, or "" for a lab without Options.QNetd.
func (l *Lab) QNetdAddr() string {
	if l.qnetd == nil {
		return ""
	}
	return l.Addr(QNetdHost)
}

// buildQNetd gives the qnetd host its directories and mount holder,
// initializes its NSS database with the QNet CA and the server certificate
// (`corosync-qnetd-certutil -i`, corosync-lab §4 step 1) and starts
// corosync-qnetd.
func (l *Lab) buildQNetd() error {
	n := l.qnetd
	if err := n.makeDirs(nil, nil); err != nil {
		return err
	}
	if err := n.startHolder(); err != nil {
		return err
	}
	if err := l.execOK(QNetdHost, "corosync-qnetd-certutil", "-i"); err != nil {
		return err
	}
	return l.StartQNetd()
}

// StartQNetd starts `corosync-qnetd -f` on the qnetd host, inside its
// namespace and private mounts, in its own session, PID recorded, output
// appended to Dir/qnetd/corosync-qnetd.out. It runs as root (systemd runs
// it as coroqnetd; root reads the same NSS database) with TLS on and client
// certificates required, the package defaults. It returns once
// `corosync-qnetd-tool -s` answers on the host (bounded by
// DaemonStartTimeout). Starting it while it runs is an error.
func (l *Lab) StartQNetd() error {
	n, err := l.qnetdNode()
	if err != nil {
		return err
	}
	n.mu.Lock()
	c, err := l.spawnQNetd(n)
	n.mu.Unlock()
	if err != nil {
		return err
	}
	return l.waitReady(QNetdHost, "corosync-qnetd", c, l.QNetdOutput(), DaemonStartTimeout,
		l.probeExec(QNetdHost, "corosync-qnetd-tool", "-s"))
}

// spawnQNetd is StartQNetd's start, with n.mu held.
func (l *Lab) spawnQNetd(n *node) (*child, error) {
	if err := n.holderOK(); err != nil {
		return nil, err
	}
	if n.qd.running() {
		return nil, fmt.Errorf("lab %s: corosync-qnetd already runs as PID %d; stop it first", l.ID, n.qd.proc.PID)
	}
	// systemd's RuntimeDirectory=corosync-qnetd, in the host's private /run.
	if err := os.MkdirAll(n.hostPath(qnetdRunDir), 0o770); err != nil {
		return nil, err
	}
	c, err := n.spawnDaemon([]string{"corosync-qnetd", "-f"}, "corosync-qnetd", qnetdOutName)
	if err != nil {
		return nil, fmt.Errorf("lab %s: starting corosync-qnetd: %w", l.ID, err)
	}
	n.qd = c
	return c, nil
}

// StopQNetd stops corosync-qnetd with SIGTERM and waits for it (see
// StopCorosync for the limits). The qdevice daemons notice at once, their
// TCP connections being closed. Stopping a qnetd that does not run returns
// nil.
func (l *Lab) StopQNetd() error { return l.signalQNetd(syscall.SIGTERM) }

// KillQNetd kills corosync-qnetd with SIGKILL (a crash) and waits for it to
// be reaped.
func (l *Lab) KillQNetd() error { return l.signalQNetd(syscall.SIGKILL) }

func (l *Lab) signalQNetd(sig syscall.Signal) error {
	n, err := l.qnetdNode()
	if err != nil {
		return err
	}
	n.mu.Lock()
	c := n.qd
	n.mu.Unlock()
	return l.signalChild(QNetdHost, "corosync-qnetd", c, sig, l.QNetdOutput())
}

// QNetdRunning reports whether the corosync-qnetd the lab started runs.
func (l *Lab) QNetdRunning() bool {
	if l.qnetd == nil {
		return false
	}
	l.qnetd.mu.Lock()
	defer l.qnetd.mu.Unlock()
	return l.qnetd.qd.running()
}

// QNetdOutput returns the host path of the file that collects
// corosync-qnetd's output, or "" without Options.QNetd.
func (l *Lab) QNetdOutput() string {
	if l.qnetd == nil {
		return ""
	}
	return filepath.Join(l.qnetd.dir, qnetdOutName)
}

// qnetdNode returns the qnetd host, or an error for a lab without one.
func (l *Lab) qnetdNode() (*node, error) {
	if l.qnetd == nil {
		return nil, fmt.Errorf("lab %s: no qnetd host; start the lab with Options.QNetd", l.ID)
	}
	return l.node(QNetdHost)
}

// execOK runs argv on node and turns a non-zero exit into an error that
// shows the command and its output.
func (l *Lab) execOK(node string, argv ...string) error {
	out, serr, code := l.Exec(node, argv...)
	if code != 0 {
		return fmt.Errorf("lab %s: node %s: %s: exit %d: %s", l.ID, node, strings.Join(argv, " "), code, oneLine(append(out, serr...), nil))
	}
	return nil
}
