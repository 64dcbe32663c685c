package simnet

import (
	"context"
	"errors"
	"testing"

	"path/filepath"

	"golang.org/x/crypto/ssh"

	"github.com/quorate/quorate/clusters/sshrun"
)

func TestSSHEndToEnd(t *testing.T) {
	s := startSim(t, newFake("pve1", "pve2", "pve3"), Options{})
	r := runnerFor(t, s)
	tests := []struct {
		name     string
		node     string
		cmd      string
		stdin    []byte
		wantOut  string
		wantErr  string
		wantCode int
	}{
		{name: "routed to pve1", node: "pve1", cmd: "hostname", wantOut: "pve1\n"},
		{name: "routed to pve3", node: "pve3", cmd: "hostname", wantOut: "pve3\n"},
		{name: "exit code and stderr", node: "pve2", cmd: "exit 2", wantErr: "exiting 2\n", wantCode: 2},
		{name: "unknown command", node: "pve2", cmd: "frobnicate", wantErr: "bash: frobnicate: command not found\n", wantCode: 127},
		{name: "stdin round trip", node: "pve1", cmd: "cat", stdin: []byte("totem {\n  config_version: 9\n}\n"), wantOut: "totem {\n  config_version: 9\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.Run(context.Background(), loopback(s.Node(tt.node).SSHPort), tt.cmd, tt.stdin)
			if err != nil {
				t.Fatal(err)
			}
			if string(res.Stdout) != tt.wantOut || string(res.Stderr) != tt.wantErr || res.Code != tt.wantCode {
				t.Errorf("got %q %q %d; want %q %q %d", res.Stdout, res.Stderr, res.Code, tt.wantOut, tt.wantErr, tt.wantCode)
			}
		})
	}
}

// TestSSHSessionCap: OpenSSH's MaxSessions 10 refuses the 11th session on a
// connection with "open failed" (dependencies.md §2.3).
func TestSSHSessionCap(t *testing.T) {
	s := startSim(t, newFake("pve1"), Options{})
	c := sshClient(t, s, "pve1")
	for i := range maxSessions {
		if _, err := c.NewSession(); err != nil {
			t.Fatalf("session %d: %v", i+1, err)
		}
	}
	_, err := c.NewSession()
	var oce *ssh.OpenChannelError
	if !errors.As(err, &oce) || oce.Reason != ssh.Prohibited {
		t.Fatalf("11th session: %v; want OpenChannelError Prohibited", err)
	}
}

func TestSSHRefusesShellAndPTY(t *testing.T) {
	s := startSim(t, newFake("pve1"), Options{})
	c := sshClient(t, s, "pve1")
	tests := []struct {
		name string
		do   func(*ssh.Session) error
	}{
		{name: "shell", do: func(s *ssh.Session) error { return s.Shell() }},
		{name: "pty", do: func(s *ssh.Session) error { return s.RequestPty("xterm", 24, 80, nil) }},
		{name: "subsystem", do: func(s *ssh.Session) error { return s.RequestSubsystem("sftp") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess, err := c.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			if err := tt.do(sess); err == nil {
				t.Errorf("%s was accepted", tt.name)
			}
		})
	}
}

func TestSSHOnlyRootWithSimKey(t *testing.T) {
	s := startSim(t, newFake("pve1"), Options{})
	sshClient(t, s, "pve1") // root with the simulator's key gets in
	ep := s.Node("pve1")
	key, err := sshrun.LoadKey(filepath.Join(s.Dir(), ClientKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ssh.Dial("tcp", loopback(ep.SSHPort), &ssh.ClientConfig{
		User: "admin", Auth: []ssh.AuthMethod{ssh.PublicKeys(key)}, HostKeyCallback: ssh.FixedHostKey(ep.SSHHostKey),
	})
	if err == nil {
		t.Fatal("user admin was let in")
	}
}
