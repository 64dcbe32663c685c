package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// DaemonStartTimeout bounds the wait for corosync-qnetd or
// corosync-qdevice to become usable (their local socket answers, or
// corosync's cmap answers before a qdevice starts). They need well under a
// second when things work; the limit only bounds a failure.
const DaemonStartTimeout = 30 * time.Second

// readyEvery is how often a daemon's readiness probe is repeated.
const readyEvery = 100 * time.Millisecond

// spawnDaemon starts argv in node n's namespaces in its own session, with
// stdout and stderr appended to n.dir/outName, and records it like
// corosync ("what" names it in the state file).
func (n *node) spawnDaemon(argv []string, what, outName string) (*child, error) {
	out, err := os.OpenFile(filepath.Join(n.dir, outName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	cmd := n.command(context.Background(), argv)
	cmd.Stdout, cmd.Stderr = out, out
	// nsenter without -p execs the program in place, so this PID is the
	// daemon's own.
	return n.spawn(cmd, what)
}

// waitReady polls probe every readyEvery until it reports ok, c exits, or
// limit passes. The errors name the daemon, the node, what the probe saw
// last and the file with the daemon's output.
func (l *Lab) waitReady(node, what string, c *child, outFile string, limit time.Duration, probe func() (ok bool, seen string)) error {
	deadline := time.Now().Add(limit)
	for {
		ok, seen := probe()
		if ok {
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("lab %s: node %s: %s exited (%v) before it was ready; last probe: %s; its output, in %s: %s",
				l.ID, node, what, c.state, seen, outFile, lastLines(outFile, 5))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("lab %s: node %s: %s not ready within %v; last probe: %s; see %s", l.ID, node, what, limit, seen, outFile)
		}
		time.Sleep(readyEvery)
	}
}

// probeExec returns a readiness probe that runs argv on node and succeeds
// on exit status 0.
func (l *Lab) probeExec(node string, argv ...string) func() (bool, string) {
	return func() (bool, string) {
		out, serr, code := l.Exec(node, argv...)
		if code == 0 {
			return true, ""
		}
		return false, fmt.Sprintf("%q: exit %d: %s", argv, code, oneLine(append(out, serr...), nil))
	}
}
