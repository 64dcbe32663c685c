package clusters

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/reconciler"
	"github.com/quorate/quorate/state/corosync"
)

// Lines pvecm qdevice prints that the executor acts on (reference §3.9,
// §3.10; pve-cluster src/PVE/CLI/pvecm.pm).
const (
	pvecmQDeviceExists   = "QDevice already configured!"
	pvecmNoQDevice       = "No QDevice configured!"
	pvecmNodesOffline    = "All nodes must be online!"
	pvecmOddNodeCount    = "Clusters with an odd node count are not officially supported!"
	pvecmQDeviceReplaced = "Qdevice already configured, must be removed before setting up new one!"
	pvecmCertStoreExists = "QDevice certificate store already initialised"
)

// stderrTail is how many of pvecm's last output lines a StepError keeps:
// its die message is last, and the INFO lines before it say how far it got.
const stderrTail = 6

// qdeviceSetup runs `pvecm qdevice setup Peer [--force]` on the step's node
// (reference §3.9). Peer must be an IP address (pvecm's own format) and the
// declared qnetd host, checked before anything reaches the shell. pvecm
// qdevice dies with a non-zero exit on failure (reference §3), so the exit
// code decides. A re-run after a setup that went through ("QDevice already
// configured!" while /etc/pve/corosync.conf names the same host) succeeds;
// whether the device then votes is for the action's postconditions.
func (r *Remote) qdeviceSetup(ctx context.Context, m *api.Member, s reconciler.Step) error {
	peer, err := r.checkQNetdPeer(s)
	if err != nil {
		return err
	}
	res, err := r.run(ctx, m, CmdQDeviceSetup(peer, s.Force), nil)
	if err != nil {
		return fmt.Errorf("%s: %w (pvecm may have run part of the setup; observe again before retrying)", s, err)
	}
	if res.Code == 0 {
		return nil
	}
	out := string(res.Stdout) + string(res.Stderr)
	tail := lastLines(res.Stderr, res.Stdout, stderrTail)
	switch {
	case strings.Contains(out, pvecmQDeviceExists) || strings.Contains(out, pvecmQDeviceReplaced):
		host, err := r.configuredQNetdHost(ctx, m, s)
		if err != nil {
			return err
		}
		if host == peer {
			return nil // set up by an earlier run: idempotent
		}
		return &StepError{Step: s, Code: res.Code, Stderr: tail,
			Msg: fmt.Sprintf("a quorum device with qnetd host %q is already configured; it must be removed (pvecm qdevice remove) before %s can be set up; corosync.conf was not changed", host, peer)}
	case strings.Contains(out, pvecmNodesOffline):
		return &StepError{Step: s, Code: res.Code, Stderr: tail,
			Msg: "pvecm qdevice setup needs every cluster node online (reference §3.9); bring the offline node back or remove it, then apply again; nothing was changed"}
	case strings.Contains(out, pvecmCertStoreExists):
		return &StepError{Step: s, Code: res.Code, Stderr: tail,
			Msg: fmt.Sprintf("an earlier setup left the qdevice certificate store /etc/corosync/qdevice/net/nssdb on %s, which pvecm deletes only with --force (reference §3.9 step 5); remove /etc/corosync/qdevice on %s by hand and apply again; nothing was changed", s.Node, s.Node)}
	case strings.Contains(out, pvecmOddNodeCount):
		return &StepError{Step: s, Code: res.Code, Stderr: tail,
			Msg: "the cluster has an odd number of nodes, which pvecm sets up only with --force (algorithm lms, reference §3.9, §7.4); the plan did not ask for it; nothing was changed"}
	}
	return &StepError{Step: s, Code: res.Code, Stderr: tail,
		Msg: "pvecm qdevice setup failed; it may have stopped part way (certificates are kept on the qnetd host and the nodes); fix the cause shown below and apply again"}
}

// qdeviceRemove runs `pvecm qdevice remove` on the step's node (reference
// §3.10). "No QDevice configured!" means an earlier run (or someone else)
// already removed it: the step is done.
func (r *Remote) qdeviceRemove(ctx context.Context, m *api.Member, s reconciler.Step) error {
	res, err := r.run(ctx, m, CmdQDeviceRemove, nil)
	if err != nil {
		return fmt.Errorf("%s: %w (pvecm may have run; observe again before retrying)", s, err)
	}
	if res.Code == 0 {
		return nil
	}
	out := string(res.Stdout) + string(res.Stderr)
	tail := lastLines(res.Stderr, res.Stdout, stderrTail)
	switch {
	case strings.Contains(out, pvecmNoQDevice):
		return nil
	case strings.Contains(out, pvecmNodesOffline):
		return &StepError{Step: s, Code: res.Code, Stderr: tail,
			Msg: "pvecm qdevice remove needs every cluster node online (reference §3.10); bring the offline node back or remove it, then apply again; nothing was changed"}
	}
	return &StepError{Step: s, Code: res.Code, Stderr: tail, Msg: "pvecm qdevice remove failed; fix the cause shown below and apply again"}
}

// checkQNetdPeer returns the step's Peer when it is an IP address without a
// zone and the qnetd host the declaration names; otherwise it refuses
// before any command is sent.
func (r *Remote) checkQNetdPeer(s reconciler.Step) (string, error) {
	addr, err := netip.ParseAddr(s.Peer)
	if err != nil || addr.Zone() != "" {
		return "", fmt.Errorf("step %s: qnetd host %q is not an IP address (pvecm qdevice setup takes an IP only, reference §3.9); the plan is damaged; nothing was changed", s, s.Peer)
	}
	q := r.decl.Spec.QDevice
	if q == nil {
		return "", fmt.Errorf("step %s: the declaration has no spec.qdevice; refusing to set up a quorum device it does not ask for; nothing was changed", s)
	}
	if want, err := netip.ParseAddr(q.Host); err != nil || want != addr {
		return "", fmt.Errorf("step %s: qnetd host %s is not the declared spec.qdevice.host %q; plan again from the current declaration; nothing was changed", s, s.Peer, q.Host)
	}
	return addr.String(), nil
}

// configuredQNetdHost returns quorum.device.net.host of the node's
// /etc/pve/corosync.conf ("" when there is no device).
func (r *Remote) configuredQNetdHost(ctx context.Context, m *api.Member, s reconciler.Step) (string, error) {
	b, present, err := r.readFile(ctx, m, s, ClusterConfPath)
	if err != nil {
		return "", err
	}
	if !present {
		return "", &StepError{Step: s, Msg: ClusterConfPath + " is missing on this node; is pve-cluster running and the node in a cluster?"}
	}
	conf, err := corosync.Parse(b)
	if err != nil {
		return "", &StepError{Step: s, Msg: fmt.Sprintf("%s does not parse: %v", ClusterConfPath, err)}
	}
	host, _ := conf.Main.Section("quorum").Section("device").Section("net").Value("host")
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.String() // the same form checkQNetdPeer returns
	}
	return host, nil
}

// lastLines returns the last n non-empty lines of stderr, or of stdout when
// stderr is empty, joined with newlines.
func lastLines(stderr, stdout []byte, n int) string {
	src := stderr
	if len(strings.TrimSpace(string(src))) == 0 {
		src = stdout
	}
	var lines []string
	for _, l := range strings.Split(string(src), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimRight(l, "\r"))
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
