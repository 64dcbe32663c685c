package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Time limits for waits on processes. They bound a failure; nothing waits
// for them to pass when things work.
const (
	// ExecTimeout bounds one Exec (corosync tools answer in milliseconds;
	// a hang means a wedged corosync).
	ExecTimeout = 60 * time.Second
	// StopTimeout bounds StopCorosync: corosync-lab §5' measured 0.3–0.45 s
	// for a graceful stop.
	StopTimeout = 30 * time.Second
)

// StartCorosync starts `corosync -f` on node inside its namespaces, in its
// own session, with stdout and stderr appended to Dir/pveN/corosync.out. It
// returns once the process runs; it does not wait for membership (poll
// corosync-quorumtool -s with Exec for that). Starting while corosync runs
// on the node is an error.
func (l *Lab) StartCorosync(node string) error {
	n, err := l.clusterNode(node)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.holderOK(); err != nil {
		return err
	}
	if n.cs.running() {
		return fmt.Errorf("lab %s: node %s: corosync already runs as PID %d; stop it first", l.ID, node, n.cs.proc.PID)
	}
	if fi, err := os.Stat(n.hostPath(LogPath)); err == nil {
		n.logStart = fi.Size()
	} else {
		n.logStart = 0
	}
	out, err := os.OpenFile(filepath.Join(n.dir, "corosync.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := n.command(context.Background(), []string{"corosync", "-f"})
	cmd.Stdout, cmd.Stderr = out, out
	// nsenter without -p execs corosync in place, so this PID is corosync's.
	c, err := n.spawn(cmd, "corosync "+node)
	if err != nil {
		return fmt.Errorf("lab %s: node %s: starting corosync: %w", l.ID, node, err)
	}
	n.cs = c
	return nil
}

// StopCorosync stops corosync on node with SIGTERM (what `systemctl stop
// corosync` sends) and waits up to StopTimeout for it to exit; after that it
// sends SIGKILL and returns an error. Stopping a node whose corosync is not
// running returns nil.
func (l *Lab) StopCorosync(node string) error {
	return l.signalCorosync(node, syscall.SIGTERM)
}

// Kill kills corosync on node with SIGKILL (a crash: peers notice only after
// token + consensus, corosync-lab §5') and waits for it to be reaped.
func (l *Lab) Kill(node string) error {
	return l.signalCorosync(node, syscall.SIGKILL)
}

func (l *Lab) signalCorosync(node string, sig syscall.Signal) error {
	n, err := l.clusterNode(node)
	if err != nil {
		return err
	}
	n.mu.Lock()
	c := n.cs
	n.mu.Unlock()
	return l.signalChild(node, "corosync", c, sig, n.hostPath(LogPath))
}

// signalChild sends sig to c (a process the lab started on node) and waits
// up to StopTimeout for it to be reaped; after that it sends SIGKILL and
// returns an error that points at logPath. A c that is nil or already gone
// gives nil.
func (l *Lab) signalChild(node, what string, c *child, sig syscall.Signal, logPath string) error {
	if !c.running() {
		return nil
	}
	c.proc.signal(sig)
	select {
	case <-c.done:
		return nil
	case <-time.After(StopTimeout):
		c.proc.signal(syscall.SIGKILL)
		<-c.done
		return fmt.Errorf("lab %s: node %s: %s (PID %d) ignored %v for %v and was killed; see %s",
			l.ID, node, what, c.proc.PID, sig, StopTimeout, logPath)
	}
}

// WaitCorosyncExit waits up to limit for corosync on node to exit by itself
// and returns its exit code (-1 when a signal ended it). It returns an error
// when corosync was never started or still runs after limit.
func (l *Lab) WaitCorosyncExit(node string, limit time.Duration) (code int, err error) {
	n, err := l.clusterNode(node)
	if err != nil {
		return 0, err
	}
	n.mu.Lock()
	c := n.cs
	n.mu.Unlock()
	if c == nil {
		return 0, fmt.Errorf("lab %s: node %s: %w (never started)", l.ID, node, errNotRunning)
	}
	select {
	case <-c.done:
		return c.state.ExitCode(), nil
	case <-time.After(limit):
		return 0, fmt.Errorf("lab %s: node %s: corosync (PID %d) still runs after %v", l.ID, node, c.proc.PID, limit)
	}
}

// Running reports whether corosync started by the lab runs on node.
func (l *Lab) Running(node string) bool {
	n := l.nodes[node]
	if n == nil {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cs.running()
}

// Exec runs argv on node, inside its network namespace and its private
// mounts (nsenter into the node's holder), and returns its output and exit
// code. code is -1, with the reason in stderr, when the command could not be
// run or was killed (after ExecTimeout); a program that is not installed in
// the node gives 127, as from a shell (nsenter cannot exec it).
func (l *Lab) Exec(node string, argv ...string) (stdout, stderr []byte, code int) {
	n, err := l.node(node)
	if err != nil {
		return nil, []byte(err.Error()), -1
	}
	if len(argv) == 0 {
		return nil, []byte("lab: Exec needs a command"), -1
	}
	if err := n.holderOK(); err != nil {
		return nil, []byte(err.Error()), -1
	}
	ctx, cancel := context.WithTimeout(context.Background(), ExecTimeout)
	defer cancel()
	cmd := n.command(ctx, argv)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	var xe *exec.ExitError
	switch {
	case err == nil:
		return o.Bytes(), e.Bytes(), 0
	case ctx.Err() != nil:
		fmt.Fprintf(&e, "lab: node %s: %q killed after %v", node, argv, ExecTimeout)
		return o.Bytes(), e.Bytes(), -1
	case errors.As(err, &xe):
		return o.Bytes(), e.Bytes(), xe.ExitCode()
	default:
		fmt.Fprintf(&e, "lab: node %s: %v", node, err)
		return o.Bytes(), e.Bytes(), -1
	}
}

// WriteConf replaces node's /etc/corosync/corosync.conf with conf, as is
// (atomically, mode 0644, as pmxcfs writes it, reference §5.1). corosync
// reads it at its next start or `corosync-cfgtool -R`.
func (l *Lab) WriteConf(node string, conf []byte) error {
	n, err := l.clusterNode(node)
	if err != nil {
		return err
	}
	p := n.hostPath("/etc/corosync/corosync.conf")
	tmp := p + ".new"
	if err := os.WriteFile(tmp, conf, 0o644); err != nil {
		return fmt.Errorf("lab %s: node %s: %w", l.ID, node, err)
	}
	return os.Rename(tmp, p)
}

// ReadConf returns node's /etc/corosync/corosync.conf.
func (l *Lab) ReadConf(node string) ([]byte, error) {
	n, err := l.clusterNode(node)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(n.hostPath("/etc/corosync/corosync.conf"))
}

// Log returns node's whole corosync log (LogPath inside the node), or nil
// when there is none yet.
func (l *Lab) Log(node string) []byte {
	n := l.nodes[node]
	if n == nil {
		return nil
	}
	b, _ := os.ReadFile(n.hostPath(LogPath))
	return b
}

// LogSinceStart returns the part of node's corosync log written since the
// last StartCorosync: the place to look for why the last start ended
// (corosync-lab §2: the CMAP line is ~23 lines from the end, so search, do
// not tail).
func (l *Lab) LogSinceStart(node string) []byte {
	n := l.nodes[node]
	if n == nil {
		return nil
	}
	n.mu.Lock()
	off := n.logStart
	n.mu.Unlock()
	b := l.Log(node)
	if int64(len(b)) < off {
		return b // truncated meanwhile: all of it is new
	}
	return b[off:]
}

// PID returns the PID of node's running corosync, or 0.
func (l *Lab) PID(node string) int {
	n := l.nodes[node]
	if n == nil {
		return 0
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.cs.running() {
		return 0
	}
	return n.cs.proc.PID
}

// Procs returns every process the lab recorded (holders and each corosync
// ever started), for tests that check teardown.
func (l *Lab) Procs() []Proc {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Proc(nil), l.rec.Procs...)
}
