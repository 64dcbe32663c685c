package lab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Paths inside a node's private mounts, and the host directories behind
// them (node dir + the second element).
var mounts = [][2]string{
	{"/etc/corosync", "etc-corosync"},
	{"/var/lib/corosync", "var-lib-corosync"},
	{"/var/log", "var-log"},
	{"/run", "run"}, // private /run: corosync's pid file and lock (corosync-lab.md)
}

// LogPath is corosync's log file inside every node's mounts. The same path
// on every node keeps corosync.conf byte-identical across nodes, as Proxmox
// keeps it; on the host it is Dir/pveN/var-log/corosync/corosync.log.
const LogPath = "/var/log/corosync/corosync.log"

// node is one lab node: a network namespace, a directory, a holder process
// that owns the private mount namespace, and at most one corosync and one
// corosync-qdevice. The qnetd host is a node too (isQNetd), with the same
// namespace and mounts, whose daemon is corosync-qnetd instead.
type node struct {
	name    string
	id      int // nodeid; for the qnetd host the last octet of its address
	ns      string
	dir     string
	lab     *Lab
	isQNetd bool

	holder *child // set once by startHolder

	mu       sync.Mutex
	cs       *child // the current or last corosync; nil before the first start
	sshd     *child // the node's sshd (Options.SSH); nil without
	qd       *child // the current or last corosync-qdevice (or, on the qnetd host, corosync-qnetd)
	logStart int64  // size of the log when corosync was last started
}

// child is a process the lab started and reaps.
type child struct {
	proc  Proc
	done  chan struct{} // closed when Wait returned
	state *os.ProcessState
}

// spawn starts cmd in its own session (setsid, so a terminal's signals do
// not reach it), records it in the state file and reaps it in the
// background.
func (n *node) spawn(cmd *exec.Cmd, what string) (*child, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{done: make(chan struct{})}
	// Record before anything can fail, so teardown finds it.
	c.proc = Proc{PID: cmd.Process.Pid, What: what}
	if st, err := procStart(c.proc.PID); err == nil {
		c.proc.Start = st
	}
	go func() {
		cmd.Wait()
		c.state = cmd.ProcessState
		close(c.done)
	}()
	if err := n.lab.addProc(c.proc); err != nil {
		c.proc.signal(syscall.SIGKILL)
		<-c.done
		return nil, err
	}
	return c, nil
}

// makeDirs creates the node's directories, its corosync.conf and authkey
// (each skipped when nil: the qnetd host has neither).
func (n *node) makeDirs(authkey, conf []byte) error {
	for _, m := range mounts {
		if err := os.MkdirAll(filepath.Join(n.dir, m[1]), 0o755); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(n.dir, "var-log", "corosync"), 0o755); err != nil {
		return err
	}
	if authkey != nil {
		if err := os.WriteFile(n.hostPath("/etc/corosync/authkey"), authkey, 0o400); err != nil {
			return err
		}
	}
	if conf != nil {
		return os.WriteFile(n.hostPath("/etc/corosync/corosync.conf"), conf, 0o644)
	}
	return nil
}

// hostPath maps a path under one of the node's private mounts to the host,
// or "" when p is under none of them.
func (n *node) hostPath(p string) string {
	for _, m := range mounts {
		if p == m[0] || strings.HasPrefix(p, m[0]+"/") {
			return filepath.Join(n.dir, m[1], strings.TrimPrefix(p, m[0]))
		}
	}
	return ""
}

// startHolder starts the process that keeps the node's mount namespace: it
// enters the network namespace (ip netns exec), unshares a private mount
// namespace, bind-mounts the node's directories over the stock paths, says
// "ready" and then sleeps. Commands join it with nsenter -t PID -m -n.
func (n *node) startHolder() error {
	script := `set -e
mount --bind "$1" /etc/corosync
mount --bind "$2" /var/lib/corosync
mount --bind "$3" /var/log
mount --bind "$4" /run
echo ready
exec sleep infinity`
	args := []string{"netns", "exec", n.ns, "unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh"}
	for _, m := range mounts {
		args = append(args, filepath.Join(n.dir, m[1]))
	}
	cmd := exec.Command("ip", args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	errf, err := os.Create(filepath.Join(n.dir, "holder.stderr"))
	if err != nil {
		return err
	}
	defer errf.Close()
	cmd.Stderr = errf
	// ip netns exec, unshare and sh all exec the next program without
	// forking, so the PID we start is the holder's PID.
	c, err := n.spawn(cmd, "holder "+n.name)
	if err != nil {
		return fmt.Errorf("starting the mount holder: %w", err)
	}
	n.holder = c
	line, rerr := bufio.NewReader(out).ReadString('\n')
	if rerr != nil || line != "ready\n" {
		msg, _ := os.ReadFile(errf.Name())
		return fmt.Errorf("mount holder did not get ready (%q): %s", line, oneLine(msg, rerr))
	}
	return nil
}

// command returns cmd running argv inside node's namespaces.
func (n *node) command(ctx context.Context, argv []string) *exec.Cmd {
	args := append([]string{"-t", strconv.Itoa(n.holder.proc.PID), "-m", "-n", "--"}, argv...)
	return exec.CommandContext(ctx, "nsenter", args...)
}

// waitChildren waits for the reapers of every process the node ran (after
// teardown killed them).
func (n *node) waitChildren() {
	n.mu.Lock()
	cs, sshd, qd := n.cs, n.sshd, n.qd
	n.mu.Unlock()
	for _, c := range []*child{n.holder, cs, sshd, qd} {
		if c == nil {
			continue
		}
		select {
		case <-c.done:
		case <-time.After(StopTimeout):
			// teardown already reported the survivor; do not hang Close.
			return
		}
	}
}

// holderOK returns an error unless the node's holder still runs as the
// process the lab started: nsenter -t PID into a reused PID would run
// commands in somebody else's namespaces.
func (n *node) holderOK() error {
	if n.holder == nil || !n.holder.running() || !n.holder.proc.Alive() {
		return fmt.Errorf("lab %s: node %s: its namespace holder is gone (killed from outside?); Close the lab and start a new one", n.lab.ID, n.name)
	}
	return nil
}

// running reports whether c is a live, unreaped process.
func (c *child) running() bool {
	if c == nil {
		return false
	}
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

var errNotRunning = errors.New("corosync is not running")
