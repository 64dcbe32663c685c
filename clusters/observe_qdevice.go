package clusters

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/cmdout"
)

// notObservedQDevice is the QDeviceFacts of a member that did not answer
// over SSH: nothing about its qdevice side is known.
var notObservedQDevice = state.QDeviceFacts{Service: state.Unknown, Error: "not observed: the node did not answer over SSH"}

// observeQDevice fills Node.QDevice for every declared member when the
// cluster has a quorum device or the declaration asks for one (reference
// §3.9, §7.4, corosync-lab §4). "Has one" means the authority's
// /etc/pve/corosync.conf holds quorum.device; with no authority (no quorate
// member, which is when a device's state matters most) it means any
// member's local corosync.conf, the file its corosync runs, holds one.
// Members are read concurrently; a member that did not answer over SSH gets
// facts that only carry an Error. Nothing here stops the observation.
func (r *Remote) observeQDevice(ctx context.Context, obs *state.Cluster, auth *state.Node) {
	declared := r.decl.Spec.QDevice
	if declared == nil && !hasQDevice(obs, auth) {
		return
	}
	var wg sync.WaitGroup
	for i := range obs.Nodes {
		n := &obs.Nodes[i]
		m := r.decl.Member(n.Name)
		if m == nil {
			continue
		}
		if !n.SSH.OK {
			f := notObservedQDevice
			n.QDevice = &f
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.QDevice = r.qdeviceFacts(ctx, m, declared)
		}()
	}
	wg.Wait()
}

// hasQDevice reports whether the cluster's corosync.conf configures a quorum
// device: the authority's copy when there is one, else any member's local
// copy.
func hasQDevice(obs *state.Cluster, auth *state.Node) bool {
	if auth != nil {
		return confHasQDevice(auth.ClusterConf)
	}
	for i := range obs.Nodes {
		if confHasQDevice(obs.Nodes[i].LocalConf) {
			return true
		}
	}
	return false
}

// confHasQDevice reports whether c parses and has a quorum.device section
// (reference §4.6).
func confHasQDevice(c state.ConfCopy) bool {
	conf, err := c.Parsed()
	return err == nil && conf.Main.Section("quorum").Section("device") != nil
}

// qdeviceFacts reads one member's qdevice side, the four commands
// concurrently: whether the daemon is installed, its unit's state, the
// daemon's own "State:" and, only when a device is declared, whether the
// declared qnetd host answers on TCP 5403 from this member. What could not
// be read is named in Error; the fields it would have set keep their zero
// value (Service: state.Unknown), so a reader must treat them as unknown
// whenever Error is set.
func (r *Remote) qdeviceFacts(ctx context.Context, m *api.Member, declared *api.QDevice) *state.QDeviceFacts {
	f := &state.QDeviceFacts{Service: state.Unknown}
	// One error slot per command, in the order below, so that Error reads
	// the same on every run although the commands run concurrently.
	const nCmds = 4
	var (
		errs [nCmds]string
		wg   sync.WaitGroup
	)
	// run runs cmd and hands a result the transport delivered to done;
	// each done sets its own fields and its own error slot only.
	run := func(slot int, cmd string, done func(code int, stdout, stderr []byte) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := r.run(ctx, m, cmd, nil)
			if err == nil {
				err = done(res.Code, res.Stdout, res.Stderr)
			} else {
				err = fmt.Errorf("%s: %w", cmd, err)
			}
			if err != nil {
				errs[slot] = err.Error()
			}
		}()
	}
	run(0, CmdQDeviceInstalled, func(code int, _, stderr []byte) error {
		// `command -v` exits 1, silently, when there is no such command.
		switch code {
		case 0:
			f.Installed = true
		case 1:
		default:
			return exitError(CmdQDeviceInstalled, code, stderr)
		}
		return nil
	})
	run(1, CmdQDeviceService, func(code int, stdout, _ []byte) error {
		// is-active exits non-zero for every state but active, and prints
		// the state anyway ("inactive" for a unit that is not installed),
		// so only its output counts.
		st, err := cmdout.ParseServices(stdout, 1)
		if err != nil {
			return fmt.Errorf("%w (exit %d)", err, code)
		}
		f.Service = st[0]
		return nil
	})
	run(2, CmdQDeviceStatus, func(code int, stdout, _ []byte) error {
		if code != 0 {
			return nil // the daemon does not answer (not running or not installed): State stays ""
		}
		st, err := cmdout.ParseQDeviceState(stdout)
		f.State = st
		return err
	})
	if declared != nil {
		// The host goes into a `bash -c` script, so it must be an IP
		// address (api.Validate insists too; this is the executor's own
		// check).
		if cmd, ok := qnetdCheck(declared.Host); !ok {
			errs[3] = fmt.Sprintf("spec.qdevice.host %q is not an IP address; the qnetd host was not checked", declared.Host)
		} else {
			run(3, cmd, func(code int, _, stderr []byte) error {
				// 0: connected; 1: bash could not connect (refused, no
				// route); 124: timeout(1) gave up after 3 s. Anything
				// else (125-127) means the check itself did not run.
				switch code {
				case 0:
					f.QNetdReachable = ptr(true)
				case 1, 124:
					f.QNetdReachable = ptr(false)
				default:
					return exitError(cmd, code, stderr)
				}
				return nil
			})
		}
	}
	wg.Wait()
	var msgs []string
	for _, e := range errs {
		if e != "" {
			msgs = append(msgs, e)
		}
	}
	f.Error = strings.Join(msgs, "; ")
	return f
}

// exitError describes a command that exited with a code its reader does not
// expect.
func exitError(cmd string, code int, stderr []byte) error {
	return fmt.Errorf("%s: exit %d: %s", cmd, code, strings.TrimSpace(string(stderr)))
}

// qnetdCheck returns CmdQNetdReachable for host when host is an IP
// address without a zone.
func qnetdCheck(host string) (string, bool) {
	addr, err := netip.ParseAddr(host)
	if err != nil || addr.Zone() != "" {
		return "", false
	}
	return CmdQNetdReachable(addr.String()), true
}

func ptr[T any](v T) *T { return &v }
