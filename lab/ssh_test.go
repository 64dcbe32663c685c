package lab

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quorate/quorate/clusters/sshrun"
	"github.com/quorate/quorate/state/cmdout"
	"golang.org/x/crypto/ssh"
)

// startSSHLab is startLab with Options.SSH, skipping when sshd is missing.
func startSSHLab(tb testing.TB, opts Options) *Lab {
	tb.Helper()
	if ok, why := SSHAvailable(); !ok {
		tb.Skip(why)
	}
	opts.SSH = true
	return startLab(tb, opts)
}

// sshRunner builds an sshrun.Runner with the lab's client key and the given
// known_hosts bytes, closed at cleanup (before the lab, cleanups run last
// first).
func sshRunner(tb testing.TB, l *Lab, knownHosts []byte) *sshrun.Runner {
	tb.Helper()
	signer, err := sshrun.LoadKey(l.ClientKeyFile())
	if err != nil {
		tb.Fatal(err)
	}
	kh := filepath.Join(tb.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, knownHosts, 0o600); err != nil {
		tb.Fatal(err)
	}
	r, err := sshrun.New(sshrun.Config{Signer: signer, KnownHostsFile: kh, DialTimeout: 5 * time.Second, CommandTimeout: 20 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close() })
	return r
}

// runOn checks the route to node's address (safety rule: only the lab's
// own bridge) and runs cmd there over SSH.
func runOn(tb testing.TB, l *Lab, r *sshrun.Runner, node, cmd string) (sshrun.Result, error) {
	tb.Helper()
	if err := l.CheckRoute(l.Addr(node)); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return r.Run(ctx, l.SSHAddr(node), cmd, nil)
}

// TestLabSSHRunner: every node runs a real OpenSSH server (corosync-lab.md:
// "own host key, root with a lab key"); quorate's SSH runner logs in with
// verified host keys and runs corosync-quorumtool -s on each node, where it
// sees that node's corosync (its nodeid is the local one) and its private
// /etc/corosync; a known_hosts line with another key is a
// *sshrun.HostKeyError and nothing runs.
func TestLabSSHRunner(t *testing.T) {
	l := startSSHLab(t, Options{Nodes: 3})
	startAll(t, l)

	known := l.SSHKnownHosts()
	if got := bytes.Count(known, []byte("\n")); got != 3 {
		t.Fatalf("SSHKnownHosts has %d lines, want 3:\n%s", got, known)
	}
	r := sshRunner(t, l, known)
	for i, nm := range l.Nodes() {
		res, err := runOn(t, l, r, nm, "corosync-quorumtool -s")
		if err != nil {
			t.Fatalf("%s: %v\nsshd log:\n%s", nm, err, l.SSHLog(nm))
		}
		if res.Code != 0 {
			t.Fatalf("%s: corosync-quorumtool -s over SSH: exit %d, stderr %q", nm, res.Code, res.Stderr)
		}
		q, err := cmdout.ParseQuorumtool(res.Stdout)
		if err != nil {
			t.Fatalf("%s: %v", nm, err)
		}
		if q.Nodes != 3 || !q.Quorate || q.NodeID != i+1 {
			t.Errorf("%s over SSH: Nodes %d, Quorate %v, Node ID %d; want 3, true, %d", nm, q.Nodes, q.Quorate, q.NodeID, i+1)
		}
		// The node's own mounts: its /etc/corosync holds the lab's file,
		// not the host's.
		res, err = runOn(t, l, r, nm, "cat /etc/corosync/corosync.conf")
		if err != nil || res.Code != 0 {
			t.Fatalf("%s: cat corosync.conf over SSH: %v, exit %d, %q", nm, err, res.Code, res.Stderr)
		}
		if !bytes.Equal(res.Stdout, l.Conf(1)) {
			t.Errorf("%s: /etc/corosync/corosync.conf over SSH is not the lab's file:\n%s", nm, res.Stdout)
		}
	}

	// A wrong key for pve1 (pve2's, as after a reinstall that reused an
	// address): the runner refuses with a HostKeyError naming both keys.
	lines := strings.Split(strings.TrimSpace(string(known)), "\n")
	f1, f2 := strings.Fields(lines[0]), strings.Fields(lines[1])
	wrong := []byte(f1[0] + " " + f2[1] + " " + f2[2] + "\n")
	bad := sshRunner(t, l, wrong)
	res, err := runOn(t, l, bad, "pve1", "touch /run/ssh-wrong-key-ran")
	var hke *sshrun.HostKeyError
	if !errors.As(err, &hke) || hke.Unknown {
		t.Fatalf("pve1 with pve2's key in known_hosts: result %+v, error %v; want a *sshrun.HostKeyError (mismatch)", res, err)
	}
	pub1, _, _, _, err := ssh.ParseAuthorizedKey([]byte(f1[1] + " " + f1[2]))
	if err != nil {
		t.Fatal(err)
	}
	if want := ssh.FingerprintSHA256(pub1); hke.Got != want {
		t.Errorf("HostKeyError.Got = %s, want pve1's key %s", hke.Got, want)
	}
	if _, err := os.Stat(filepath.Join(l.nodes["pve1"].dir, "run", "ssh-wrong-key-ran")); err == nil {
		t.Error("the command ran on pve1 although its host key did not match")
	}

	t.Logf("pve1's sshd log:\n%s", l.SSHLog("pve1"))

	// Close stops every sshd the lab started. The clients go first: their
	// connections' sshd children then end by themselves and are reaped by
	// their sshd (killed with open connections they would be orphaned).
	r.Close()
	bad.Close()
	procs := l.Procs()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	nsshd := 0
	for _, p := range procs {
		if strings.HasPrefix(p.What, "sshd ") {
			nsshd++
		}
		if p.Alive() {
			t.Errorf("after Close, %s (PID %d) still runs", p.What, p.PID)
		}
	}
	if nsshd != 3 {
		t.Errorf("the lab recorded %d sshd processes, want 3", nsshd)
	}
}

// TestSSHConfig: the generated sshd_config holds what the lab relies on,
// with Port before ListenAddress (sshd rejects the other order). No root
// needed.
func TestSSHConfig(t *testing.T) {
	c := sshdConfig("10.99.7.2", "/tmp/x y/ssh_host_ed25519_key", "/tmp/x y/authorized_keys")
	for _, want := range []string{
		"\nPort 22\nListenAddress 10.99.7.2\n",
		"\nHostKey \"/tmp/x y/ssh_host_ed25519_key\"\n",
		"\nAuthorizedKeysFile \"/tmp/x y/authorized_keys\"\n",
		"\nPidFile /run/sshd.pid\n",
		"\nPermitRootLogin prohibit-password\n",
		"\nPasswordAuthentication no\n",
		"\nUsePAM no\n",
	} {
		if !strings.Contains(c, want) {
			t.Errorf("sshd_config lacks %q:\n%s", want, c)
		}
	}
	l := &Lab{subnet: 7, names: []string{"pve2"}, nodes: map[string]*node{"pve2": {name: "pve2", id: 2}}}
	if got := l.SSHAddr("pve2"); got != "10.99.7.2:22" {
		t.Errorf("SSHAddr(pve2) = %q", got)
	}
	if l.SSHAddr("pve9") != "" || l.ClientKeyFile() != "" || l.KnownHostsFile() != "" || l.SSHKnownHosts() != nil {
		t.Error("a lab without SSH (or an unknown node) must give empty SSH answers")
	}
}
