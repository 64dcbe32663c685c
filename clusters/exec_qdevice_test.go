package clusters_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/quorate/quorate/api"
	"github.com/quorate/quorate/clusters"
	"github.com/quorate/quorate/clusters/sshrun"
	"github.com/quorate/quorate/reconciler"
)

// The qdevice steps (exec_qdevice.go) against canned pvecm answers: what
// the executor makes of pvecm qdevice's exit code and die messages
// (reference §3, §3.9, §3.10). Perl's die exits 255 with the message on
// stderr.

func pvecmDie(msg string) sshrun.Result {
	return sshrun.Result{Code: 255, Stderr: []byte(msg + "\n")}
}

func setupStep(peer string, force bool) reconciler.Step {
	return reconciler.Step{Kind: reconciler.StepQDeviceSetup, Node: "pve1", Peer: peer, Force: force}
}

var removeStep = reconciler.Step{Kind: reconciler.StepQDeviceRemove, Node: "pve1"}

// TestQDeviceStepsAgainstPvecmAnswers: success, idempotent re-runs and
// refusals, each with the exact command sent.
func TestQDeviceStepsAgainstPvecmAnswers(t *testing.T) {
	setup := clusters.CmdQDeviceSetup(qnetdIP, false)
	tests := []struct {
		name string
		step reconciler.Step
		// confHost, when set, is the qnetd host /etc/pve/corosync.conf
		// names (a device is configured).
		confHost string
		answer   sshrun.Result
		wantCmd  string
		// wantErr is "" for success, else text the error must hold.
		wantErr []string
	}{
		{name: "§3.9 setup succeeds", step: setupStep(qnetdIP, false), wantCmd: setup,
			answer: sshrun.Result{Stdout: []byte("INFO: add QDevice to cluster configuration\nReloading corosync.conf...\nDone\n")}},
		{name: "§3.9 setup with --force (lms, odd node count)", step: setupStep(qnetdIP, true),
			wantCmd: "pvecm qdevice setup '10.99.1.200' --force"},
		{name: "§3.9 step 2 on a re-run: the same host is configured, so it is done", step: setupStep(qnetdIP, false),
			confHost: qnetdIP, answer: pvecmDie("QDevice already configured!"), wantCmd: setup},
		{name: "§3.9 step 14 with --force: the same host is configured, so it is done", step: setupStep(qnetdIP, true),
			confHost: qnetdIP, answer: pvecmDie("Qdevice already configured, must be removed before setting up new one!"),
			wantCmd: "pvecm qdevice setup '10.99.1.200' --force"},
		{name: "§3.9 step 2: another host is configured", step: setupStep(qnetdIP, false),
			confHost: "10.99.1.201", answer: pvecmDie("QDevice already configured!"), wantCmd: setup,
			wantErr: []string{`qnetd host "10.99.1.201" is already configured`, "pvecm qdevice remove", "(exit 255)", "QDevice already configured!"}},
		{name: "§3.9 step 1: a node is offline", step: setupStep(qnetdIP, false),
			answer: pvecmDie("All nodes must be online! Node pve3 is offline, aborting."), wantCmd: setup,
			wantErr: []string{"needs every cluster node online", "Node pve3 is offline", "nothing was changed"}},
		{name: "§3.9 step 3: odd node count without --force", step: setupStep(qnetdIP, false),
			answer: pvecmDie("Clusters with an odd node count are not officially supported!"), wantCmd: setup,
			wantErr: []string{"odd number of nodes", "--force", "lms"}},
		{name: "§3.9 step 5: a certificate store left by an earlier setup", step: setupStep(qnetdIP, false),
			answer: pvecmDie("QDevice certificate store already initialised, set force to delete!"), wantCmd: setup,
			wantErr: []string{"/etc/corosync/qdevice/net/nssdb on pve1", "by hand", "nothing was changed"}},
		{name: "§3.9 the qnetd host does not answer ssh: the last lines are kept", step: setupStep(qnetdIP, false),
			answer: sshrun.Result{Code: 255,
				Stdout: []byte("INFO: initializing qnetd server\n"),
				Stderr: []byte("l1\nl2\nl3\nl4\nssh: connect to host 10.99.1.200 port 22: No route to host\n\ncommand 'ssh -o BatchMode=yes -lroot 10.99.1.200 corosync-qnetd-certutil -i' failed: exit code 255\n")},
			wantCmd: setup,
			wantErr: []string{"pvecm qdevice setup failed", "l3\nl4\nssh: connect to host 10.99.1.200 port 22: No route to host\ncommand 'ssh"}},
		{name: "§3.10 remove succeeds", step: removeStep, wantCmd: clusters.CmdQDeviceRemove,
			answer: sshrun.Result{Stdout: []byte("Reloading corosync.conf...\nDone\nRemoved Qdevice.\n")}},
		{name: "§3.10 remove on a re-run: No QDevice configured! means done", step: removeStep,
			answer: pvecmDie("No QDevice configured!"), wantCmd: clusters.CmdQDeviceRemove},
		{name: "§3.10 remove with a node offline", step: removeStep,
			answer: pvecmDie("All nodes must be online! Node pve2 is offline, aborting."), wantCmd: clusters.CmdQDeviceRemove,
			wantErr: []string{"pvecm qdevice remove needs every cluster node online", "Node pve2 is offline"}},
		{name: "§3.10 remove fails otherwise", step: removeStep,
			answer: pvecmDie("cfs-lock 'file-corosync_conf' error: got lock request timeout"), wantCmd: clusters.CmdQDeviceRemove,
			wantErr: []string{"pvecm qdevice remove failed", "got lock request timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answers := map[string]qdAnswers{"pve1": {tt.wantCmd: tt.answer}}
			m, decl, remote, runner := qdRemote(t, answers, nil)
			decl.Spec.QDevice = &api.QDevice{Host: qnetdIP}
			if tt.confHost != "" {
				conf, _ := m.ReadFile("pve1", clusters.ClusterConfPath)
				answers["pve1"][clusters.CmdCat(clusters.ClusterConfPath)] = sshrun.Result{Stdout: withDevice(t, conf, tt.confHost)}
			}
			err := remote.Exec(context.Background(), tt.step)
			sent := runner.since(0)
			if len(sent) == 0 || sent[0] != "pve1: "+tt.wantCmd {
				t.Errorf("commands sent:\n%s\nwant first: pve1: %s", strings.Join(sent, "\n"), tt.wantCmd)
			}
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Exec: %v", err)
				}
				return
			}
			var se *clusters.StepError
			if !errors.As(err, &se) {
				t.Fatalf("Exec: got %v, want a *StepError", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

// TestQDeviceStepsRefuseWithoutRunning: damaged or foreign steps are refused
// before any command reaches a node.
func TestQDeviceStepsRefuseWithoutRunning(t *testing.T) {
	tests := []struct {
		name     string
		step     reconciler.Step
		noDevice bool
		wantErr  string
	}{
		{"peer is a host name (§3.9: IP only)", setupStep("qnetd.example", false), false, `"qnetd.example" is not an IP address`},
		{"peer smuggles a command", setupStep("10.99.1.200; reboot", false), false, "is not an IP address"},
		{"peer with a zone", setupStep("fe80::1%eth0", false), false, "is not an IP address"},
		{"empty peer", setupStep("", false), false, `"" is not an IP address`},
		{"peer is not the declared host", setupStep("10.99.1.201", false), false, `not the declared spec.qdevice.host "10.99.1.200"`},
		{"no device declared", setupStep(qnetdIP, false), true, "has no spec.qdevice"},
		{"setup on an undeclared node", reconciler.Step{Kind: reconciler.StepQDeviceSetup, Node: "pve9", Peer: qnetdIP}, false, "pve9 is not a declared member"},
		{"remove on an undeclared node", reconciler.Step{Kind: reconciler.StepQDeviceRemove, Node: "pve9"}, false, "pve9 is not a declared member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, decl, remote, runner := qdRemote(t, nil, nil)
			if !tt.noDevice {
				decl.Spec.QDevice = &api.QDevice{Host: qnetdIP}
			}
			err := remote.Exec(context.Background(), tt.step)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Exec: got %v, want an error containing %q", err, tt.wantErr)
			}
			if sent := runner.since(0); len(sent) > 0 {
				t.Errorf("commands sent despite the refusal:\n%s", strings.Join(sent, "\n"))
			}
		})
	}
}

// TestQDeviceSetupAcceptsIPv6Peer: an IPv6 qnetd host is an IP address too;
// the declared and the step's spelling may differ.
func TestQDeviceSetupAcceptsIPv6Peer(t *testing.T) {
	want := clusters.CmdQDeviceSetup("2001:db8::50", false)
	_, decl, remote, runner := qdRemote(t, map[string]qdAnswers{"pve1": {want: {}}}, nil)
	decl.Spec.QDevice = &api.QDevice{Host: "2001:DB8:0::50"}
	if err := remote.Exec(context.Background(), setupStep("2001:db8::50", false)); err != nil {
		t.Fatal(err)
	}
	if sent := runner.since(0); len(sent) != 1 || sent[0] != "pve1: "+want {
		t.Errorf("sent %q, want %q", sent, want)
	}
}
