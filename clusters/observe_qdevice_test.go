package clusters_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sim"
	"github.com/quorate/quorate/clusters/sshrun"
	"github.com/quorate/quorate/state"
	"github.com/quorate/quorate/state/corosync"
)

// Observation of the qdevice side (observe_qdevice.go) with canned answers
// for the four qdevice commands, so that what quorate makes of each answer
// is pinned independently of the simulator's qdevice model. The answers are
// the real tools' (corosync-lab §4, reference §3.9).

const qnetdIP = "10.99.1.200"

// qdeviceToolConnected is corosync-qdevice-tool -s from corosync-lab §4.
const qdeviceToolConnected = "Qdevice information\n-------------------\nModel:\t\t\tNet\nNode ID:\t\t1\n" +
	"Configuration version:\t2\nConfigured node list:\n    0\tNode ID = 1\n    1\tNode ID = 2\n" +
	"Membership node list:\t1, 2\n\nQdevice-net information\n----------------------\n" +
	"Cluster name:\t\tpvelab\nQNetd host:\t\t10.99.1.200:5403\nAlgorithm:\t\tFifty-Fifty split\n" +
	"Tie-breaker:\t\tNode with lowest node ID\nState:\t\t\tConnected\n"

// Canned answers, by what they stand for.
var (
	qdInstalled    = sshrun.Result{Stdout: []byte("/usr/sbin/corosync-qdevice\n")}
	qdNotInstalled = sshrun.Result{Code: 1}
	qdActive       = sshrun.Result{Stdout: []byte("active\n")}
	qdInactive     = sshrun.Result{Stdout: []byte("inactive\n"), Code: 3}
	qdConnected    = sshrun.Result{Stdout: []byte(qdeviceToolConnected)}
	qdNoDaemon     = sshrun.Result{Stderr: []byte("Can't connect to QDevice socket (is QDevice running?): No such file or directory\n"), Code: 1}
	qnetdUp        = sshrun.Result{}
	qnetdRefused   = sshrun.Result{Code: 1, Stderr: []byte("bash: connect: Connection refused\nbash: line 1: /dev/tcp/10.99.1.200/5403: Connection refused\n")}
	qnetdTimeout   = sshrun.Result{Code: 124}
)

// qdAnswers are one node's canned answers, keyed by command.
type qdAnswers map[string]sshrun.Result

func healthyQD(installed, service, status, reach sshrun.Result) qdAnswers {
	return qdAnswers{
		clusters.CmdQDeviceInstalled:        installed,
		clusters.CmdQDeviceService:          service,
		clusters.CmdQDeviceStatus:           status,
		clusters.CmdQNetdReachable(qnetdIP): reach,
	}
}

// withDevice returns conf with the quorum.device block `pvecm qdevice setup`
// writes for ffsplit (reference §4.6).
func withDevice(t *testing.T, conf []byte, host string) []byte {
	t.Helper()
	c, err := corosync.Parse(conf)
	if err != nil {
		t.Fatal(err)
	}
	dev := c.Main.Ensure("quorum").Ensure("device")
	dev.Set("model", "net")
	dev.Set("votes", "1")
	net := dev.Ensure("net")
	net.Set("algorithm", "ffsplit")
	net.Set("host", host)
	net.Set("tls", "on")
	return c.Bytes()
}

// qdRemote is the healthy model (pve1..pve3) observed through canned
// qdevice answers; confDevice lists files (by node and path) that are read
// with a quorum.device block added.
func qdRemote(t *testing.T, answers map[string]qdAnswers, confDevice map[string][]string) (*sim.Model, *api.Cluster, *clusters.Remote, *memRunner) {
	t.Helper()
	m, err := sim.Scenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	decl, remote, runner := inMemory(t, m)
	runner.reply = func(node, cmd string) (sshrun.Result, bool) {
		if !m.Powered(node) {
			return sshrun.Result{}, false // a powered-off node answers nothing
		}
		for _, p := range confDevice[node] {
			if cmd == clusters.CmdCat(p) {
				b, ok := m.ReadFile(node, p)
				if !ok {
					t.Errorf("%s: no %s to add a device to", node, p)
				}
				return sshrun.Result{Stdout: withDevice(t, b, qnetdIP)}, true
			}
		}
		res, ok := answers[node][cmd]
		return res, ok
	}
	return m, decl, remote, runner
}

func qdeviceCommands(log []string) []string {
	var out []string
	for _, l := range log {
		cmd := l[strings.Index(l, ": ")+2:]
		if strings.Contains(cmd, "qdevice") || strings.Contains(cmd, "/dev/tcp/") {
			out = append(out, l)
		}
	}
	return out
}

func qdString(f *state.QDeviceFacts) string {
	if f == nil {
		return "<nil>"
	}
	reach := "-"
	if f.QNetdReachable != nil {
		reach = fmt.Sprint(*f.QNetdReachable)
	}
	return fmt.Sprintf("installed=%t service=%s state=%q reachable=%s error=%q", f.Installed, f.Service, f.State, reach, f.Error)
}

// TestObserveQDeviceFacts covers when the facts are read and what each
// answer becomes.
func TestObserveQDeviceFacts(t *testing.T) {
	all := []string{"pve1", "pve2", "pve3"}
	tests := []struct {
		name       string
		declare    bool
		confDevice map[string][]string
		powerOff   []string
		answers    map[string]qdAnswers
		// want is qdString per node; a missing node means nil facts.
		want map[string]string
	}{
		{
			name: "no device configured or declared: nothing is read",
			want: map[string]string{},
		},
		{
			name:    "declared only (reference §3.9 prerequisites): every member, qnetd checked",
			declare: true,
			answers: map[string]qdAnswers{
				"pve1": healthyQD(qdInstalled, qdInactive, qdNoDaemon, qnetdUp),
				"pve2": healthyQD(qdNotInstalled, qdInactive, qdNoDaemon, qnetdRefused),
				"pve3": healthyQD(qdInstalled, qdInactive, qdNoDaemon, qnetdTimeout),
			},
			want: map[string]string{
				"pve1": `installed=true service=inactive state="" reachable=true error=""`,
				"pve2": `installed=false service=inactive state="" reachable=false error=""`,
				"pve3": `installed=true service=inactive state="" reachable=false error=""`,
			},
		},
		{
			name:       "configured in the authority's file (lab §4 connected), not declared: qnetd not checked",
			confDevice: map[string][]string{"pve1": {clusters.ClusterConfPath}, "pve2": {clusters.ClusterConfPath}, "pve3": {clusters.ClusterConfPath}},
			answers: map[string]qdAnswers{
				"pve1": healthyQD(qdInstalled, qdActive, qdConnected, qnetdUp),
				"pve2": healthyQD(qdInstalled, qdActive, qdConnected, qnetdUp),
				"pve3": healthyQD(qdInstalled, qdActive, qdConnected, qnetdUp),
			},
			want: map[string]string{
				"pve1": `installed=true service=active state="Connected" reachable=- error=""`,
				"pve2": `installed=true service=active state="Connected" reachable=- error=""`,
				"pve3": `installed=true service=active state="Connected" reachable=- error=""`,
			},
		},
		{
			name:       "only a non-authority's local file has a device: the authority's file decides",
			confDevice: map[string][]string{"pve3": {clusters.LocalConfPath}},
			answers:    map[string]qdAnswers{"pve3": healthyQD(qdInstalled, qdActive, qdConnected, qnetdUp)},
			want:       map[string]string{},
		},
		{
			name:       "no authority (2 of 3 off): a member's local file with a device counts; the others are not observed",
			confDevice: map[string][]string{"pve1": {clusters.LocalConfPath}},
			powerOff:   []string{"pve2", "pve3"},
			answers:    map[string]qdAnswers{"pve1": healthyQD(qdInstalled, qdActive, qdConnected, qnetdUp)},
			want: map[string]string{
				"pve1": `installed=true service=active state="Connected" reachable=- error=""`,
				"pve2": `installed=false service=unknown state="" reachable=- error="not observed: the node did not answer over SSH"`,
				"pve3": `installed=false service=unknown state="" reachable=- error="not observed: the node did not answer over SSH"`,
			},
		},
		{
			name:    "answers that are not the tools' own become Error, the rest is kept",
			declare: true,
			answers: map[string]qdAnswers{
				"pve1": healthyQD(sshrun.Result{Code: 127, Stderr: []byte("bash: command: not found\n")}, qdActive, qdConnected, qnetdUp),
				"pve2": healthyQD(qdInstalled, sshrun.Result{Stdout: []byte("Failed to connect to bus\n"), Code: 1}, qdConnected, qnetdUp),
				"pve3": healthyQD(qdInstalled, qdActive, sshrun.Result{Stdout: []byte("Qdevice information\n")}, sshrun.Result{Code: 127, Stderr: []byte("bash: timeout: command not found\n")}),
			},
			want: map[string]string{
				"pve1": `installed=false service=active state="Connected" reachable=true error="command -v corosync-qdevice: exit 127: bash: command: not found"`,
				"pve2": `installed=true service=unknown state="Connected" reachable=true error="systemctl is-active: line 1: \"Failed to connect to bus\" is not a systemd unit state (exit 1)"`,
				"pve3": `installed=true service=active state="" reachable=- error="corosync-qdevice-tool -s: no \"State:\" line (cut short, or not a net-model qdevice?); timeout 3 bash -c '</dev/tcp/10.99.1.200/5403': exit 127: bash: timeout: command not found"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, decl, remote, runner := qdRemote(t, tt.answers, tt.confDevice)
			if tt.declare {
				decl.Spec.QDevice = &api.QDevice{Host: qnetdIP, Algorithm: "ffsplit", TieBreaker: "lowest"}
			}
			for _, n := range tt.powerOff {
				if err := m.PowerOff(n); err != nil {
					t.Fatal(err)
				}
			}
			obs, err := remote.Observe(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range all {
				got := qdString(obs.Node(name).QDevice)
				want, ok := tt.want[name]
				if !ok {
					want = "<nil>"
				}
				if got != want {
					t.Errorf("%s:\n got  %s\n want %s", name, got, want)
				}
			}
			sent := qdeviceCommands(runner.since(0))
			if len(tt.want) == 0 && len(sent) > 0 {
				t.Errorf("qdevice commands sent although no device is configured or declared:\n%s", strings.Join(sent, "\n"))
			}
			if !tt.declare {
				for _, l := range sent {
					if strings.Contains(l, "/dev/tcp/") {
						t.Errorf("qnetd checked without a declared device: %s", l)
					}
				}
			}
		})
	}
}

// TestObserveQDeviceRefusesNonIPHost: a declared host that is not an IP
// address never reaches the `bash -c` script (the executor's own check;
// api.Validate refuses it first).
func TestObserveQDeviceRefusesNonIPHost(t *testing.T) {
	answers := map[string]qdAnswers{}
	for _, n := range []string{"pve1", "pve2", "pve3"} {
		answers[n] = healthyQD(qdInstalled, qdActive, qdConnected, qnetdUp)
	}
	_, decl, remote, runner := qdRemote(t, answers, nil)
	decl.Spec.QDevice = &api.QDevice{Host: "x/5403 $(reboot) #"}
	obs, err := remote.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range obs.Nodes {
		if n.QDevice == nil || !strings.Contains(n.QDevice.Error, `spec.qdevice.host "x/5403 $(reboot) #" is not an IP address`) || n.QDevice.QNetdReachable != nil {
			t.Errorf("%s: %s", n.Name, qdString(n.QDevice))
		}
	}
	for _, l := range runner.since(0) {
		if strings.Contains(l, "/dev/tcp/") {
			t.Errorf("sent %s", l)
		}
	}
}

// TestObserveQDeviceTransportFailure: one command that fails in transport
// leaves the node's other facts and names the command in Error.
func TestObserveQDeviceTransportFailure(t *testing.T) {
	answers := map[string]qdAnswers{}
	for _, n := range []string{"pve1", "pve2", "pve3"} {
		answers[n] = healthyQD(qdInstalled, qdActive, qdConnected, qnetdUp)
	}
	_, decl, remote, runner := qdRemote(t, answers, nil)
	decl.Spec.QDevice = &api.QDevice{Host: qnetdIP}
	runner.failOn = func(node, cmd string) error {
		if node == "pve2" && cmd == clusters.CmdQDeviceStatus {
			return fmt.Errorf("ssh: session closed")
		}
		return nil
	}
	obs, err := remote.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := `installed=true service=active state="" reachable=true error="corosync-qdevice-tool -s: ssh: session closed"`
	if got := qdString(obs.Node("pve2").QDevice); got != want {
		t.Errorf("pve2:\n got  %s\n want %s", got, want)
	}
	if got := qdString(obs.Node("pve1").QDevice); !strings.Contains(got, `error=""`) {
		t.Errorf("pve1 should be unaffected: %s", got)
	}
}
